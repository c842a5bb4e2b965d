import ArgumentParser
import Diagnosis
import Foundation
import MailLog
import PostlsCore
import TLSKit
import TLSProbe

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "A Nagios/Icinga/monitoring-plugins check: TLS works, certificates are not expiring.",
        discussion: """
            Prints one status line with perfdata (POSTLS OK - ... | 'label'=value;warn;crit;;) and exits \
            0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. CRITICAL: a listener without working TLS, or a certificate \
            that expired or expires within --critical-days. WARNING: expiry within --warning-days, a chain \
            that does not verify, or a name the certificate does not cover. The whole check never runs longer \
            than --timeout (then UNKNOWN).

            With --log, TLS failures in the mail log over the last hour become perfdata per cause \
            (postls_tls_failures_last_hour in Prometheus), and --failures-warning / --failures-critical \
            turn their total into WARNING / CRITICAL.

            Icinga 2 / Nagios command definition:
              command[check_postls]=/usr/local/bin/postls check --host mail.example.org --warning-days 21 --critical-days 7
            Prometheus (node_exporter textfile collector): --output replaces the file atomically, so the \
            collector never reads half a file. The Debian package ships postls-check.timer, which runs every \
            5 minutes (enable it with systemctl enable --now postls-check.timer):
              postls check --format prometheus --output /var/lib/prometheus/node-exporter/postls.prom
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case nagios, prometheus }

    @Option(name: .long, help: "Host to check (repeatable; default: this machine's myhostname).")
    var host: [String] = []

    @Option(name: .long, help: "Comma-separated ports.")
    var port: String = "25"

    @OptionGroup var listener: ListenerOptions

    @Option(name: .customLong("warning-days"), help: "WARNING when a certificate expires within this many days.")
    var warningDays: Int = 21

    @Option(name: .customLong("critical-days"), help: "CRITICAL when a certificate expires within this many days.")
    var criticalDays: Int = 7

    @Option(name: .long, help: "Seconds the whole check may take; past that it ends UNKNOWN.")
    var timeout: Double = 30

    @Option(name: .long, help: "Output format: nagios (status line + perfdata) or prometheus (text exposition format).")
    var format: Format = .nagios

    @Option(name: .long, help: ArgumentHelp("Write the result to FILE instead of standard output, replacing it atomically (a new file beside it, mode 0644, renamed over it).", valueName: "file"))
    var output: String?

    @Option(name: .customLong("config-dir"), help: "Postfix configuration directory whose myhostname is the default --host.")
    var configDir: String?

    @Option(name: .long, help: "Mail log to count TLS failures of the last hour in (repeatable; plain or .gz).")
    var log: [String] = []

    @Option(name: .customLong("failures-warning"), help: "WARNING at this many TLS failures in the last hour (needs --log).")
    var failuresWarning: Int?

    @Option(name: .customLong("failures-critical"), help: "CRITICAL at this many TLS failures in the last hour (needs --log).")
    var failuresCritical: Int?

    func validate() throws {
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
        if criticalDays > warningDays { throw ValidationError("--critical-days must not exceed --warning-days") }
        _ = try ProbeCommand.ports(port, option: "--port")
        if (failuresWarning != nil || failuresCritical != nil) && log.isEmpty {
            throw ValidationError("--failures-warning and --failures-critical count failures in --log FILE: name the mail log")
        }
        if let failuresWarning, let failuresCritical, failuresCritical < failuresWarning {
            throw ValidationError("--failures-critical must not be below --failures-warning")
        }
    }

    /// TLS failures per cause in `log` since an hour ago; a log that cannot be read makes the check UNKNOWN.
    func failuresLastHour() throws -> [Cause: Int]? {
        guard !log.isEmpty else { return nil }
        let report: LogReport
        do {
            let options = LogAnalyzerOptions(since: Date().addingTimeInterval(-3600), ownProbes: ProbeRecordWiring.matcher(configDirectory: configDir))
            report = try LogReport.analyze(paths: log, options: options, maxEvents: 0)
        } catch {
            emit(HealthCheck(status: .unknown, summary: "cannot read the mail log: \(error)", details: [], perfdata: []))
            throw ArgumentParser.ExitCode(HealthCheck.Status.unknown.rawValue)
        }
        var counts: [Cause: Int] = [:]
        for (cause, count) in report.summary.byCause { counts[cause] = count }
        return counts
    }

    func run() throws {
        // The plugin's runtime is bounded whatever happens below (a stalled resolver included).
        let limit = timeout
        let command = self
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: limit)
            command.emit(HealthCheck(status: .unknown, summary: "check did not finish within \(Int(limit)) s", details: [], perfdata: []))
            _exit(HealthCheck.Status.unknown.rawValue)
        }
        let ports = try ProbeCommand.ports(port, option: "--port")
        let implicitPorts = listener.implicitPorts
        let failures = try failuresLastHour()
        let hosts = host.isEmpty ? [ProbeCommand.defaultHost(configDirectory: configDir)] : host
        let expansion = ProbeTarget.expand(hosts: hosts, ports: ports, implicitPorts: implicitPorts, starttlsPorts: [], family: .any, name: listener.name)
        // Phases share the budget: a listener gets at most 4 phases' worth, and listeners run in parallel.
        var options = ProbeOptions(phaseTimeout: max(1, timeout / 5), listenerTimeout: max(1, timeout * 0.8),
                                   trust: listener.trust, maxConnections: 8)
        // Only the default handshake: every refused version attempt would be a logged failure on the server,
        // which the next run of this check (with --log) would count.
        options.versionMatrix = false
        options.senders = []
        var report = try Prober(options: options, recorder: ProbeRecordWiring.recorder(command: "check")).probe(expansion.targets)
        for miss in expansion.unresolved {
            report.targets.append(ListenerProbeResult(unresolved: miss, mode: .starttls))
        }
        let check: HealthCheck
        if report.targets.isEmpty {
            check = HealthCheck(status: .unknown, summary: "no listener to check", details: [], perfdata: [])
        } else {
            check = HealthCheck(report: report, failuresLastHour: failures,
                                thresholds: .init(warningDays: warningDays, criticalDays: criticalDays,
                                                  failureWarning: failuresWarning, failureCritical: failuresCritical))
        }
        emit(check)
        if check.status != .ok { throw ArgumentParser.ExitCode(check.status.rawValue) }
    }

    /// The result in --format, to --output (replaced atomically) or standard output. A file that cannot be
    /// written is said on standard error and on standard output, and the check ends UNKNOWN.
    func emit(_ check: HealthCheck) {
        let text = format == .prometheus ? check.prometheusOutput : check.nagiosOutput
        guard let output else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        do {
            try replaceFileAtomically(output, bytes: Array(text.utf8), mode: 0o644)
        } catch {
            let message = "POSTLS UNKNOWN - cannot write --output \(output): \(error)\n"
            FileHandle.standardError.write(Data(message.utf8))
            FileHandle.standardOutput.write(Data(message.utf8))
            _exit(HealthCheck.Status.unknown.rawValue)
        }
    }
}
