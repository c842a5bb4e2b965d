import ArgumentParser
import Diagnosis
import Foundation
import MailDNS
import PostlsCore
import TLSKit
import TLSProbe

/// The options every command that gathers (diagnose, fix, report) shares.
struct GatherArguments: ParsableArguments {
    @Option(name: .long, help: "Postfix configuration directory (like postconf -c).")
    var configDir = "/etc/postfix"

    @Option(name: .long, help: "Mail log to read (repeatable; default: the system's mail logs, rotated ones included).")
    var log: [String] = []

    @Option(name: .long, help: "Host to probe (repeatable; default: each listener's own address, else 127.0.0.1).")
    var host: [String] = []

    @Option(name: .long, help: "Comma-separated ports to probe (default: every smtpd listener in master.cf).")
    var port: String?

    @Option(name: .long, help: "Ports that use implicit TLS (wrapper-mode services are detected from master.cf).")
    var implicit: String?

    @Option(name: .long, help: "The name the certificate must cover, e.g. the MX name (default: myhostname).")
    var name: String?

    @Option(name: .customLong("smtp-port"),
            help: "Comma-separated ports that receive mail from the internet, e.g. behind a port forward (default 25): their listeners get the MX rules even on loopback.")
    var smtpPort: String?

    @Option(name: .customLong("ca-file"), help: "Verify certificates against these trust anchors instead of the system store.")
    var caFile: String?

    @Flag(name: .customLong("no-probe"), help: "Do not probe the listeners.")
    var noProbe = false

    @Flag(name: .customLong("no-logs"), help: "Do not read mail logs.")
    var noLogs = false

    @Option(name: .long, help: "Seconds allowed for each probe phase.")
    var timeout: Double = 10

    @Option(name: .long, help: "Also check this mail domain's DNS (MX, TLSA/DANE, MTA-STS) against what the server serves.")
    var domain: String?

    @Option(name: .long, help: ArgumentHelp("Resolver for --domain (a validating one reports DNSSEC).", valueName: "ADDR[:PORT]"))
    var resolver: String?

    @Option(name: .long, help: ArgumentHelp("Senders' TLS reports (RFC 8460) to join with the logs and the probe: files, Maildir folders, mbox, .eml, gzip, as `postls tlsrpt` reads them (repeatable).", valueName: "PATH"))
    var tlsrpt: [String] = []
    /// The SMTP port the DNS check probes on each MX (a test's Postfix listens elsewhere than 25).
    @Option(name: .customLong("mx-port"), help: .hidden)
    var mxPort: UInt16 = 25

    @Option(name: .customLong("dovecot-config"),
            help: "Dovecot configuration to check too (default: /etc/dovecot/dovecot.conf when present and --config-dir is /etc/postfix).")
    var dovecotConfig: String?

    /// --dovecot-config, else the system's Dovecot only for the system's Postfix (DovecotDefault).
    var effectiveDovecotConfig: String? { DovecotDefault.configFile(explicit: dovecotConfig, postfixDirectory: configDir) }

    func validate() throws {
        _ = try ProbeCommand.ports(port, option: "--port")
        _ = try ProbeCommand.ports(implicit, option: "--implicit")
        _ = try ProbeCommand.ports(smtpPort, option: "--smtp-port")
        try ListenerOptions.checkReadable(caFile: caFile)
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
        if let resolver, parseResolverAddress(resolver) == nil {
            throw ValidationError("--resolver \(resolver): expected an IP address with an optional port, e.g. 127.0.0.1:53")
        }
    }

    var options: GatherOptions {
        var o = GatherOptions()
        o.configDirectory = configDir
        o.logFiles = log
        o.hosts = host
        o.ports = (try? ProbeCommand.ports(port, option: "--port")) ?? []
        o.implicitPorts = Set((try? ProbeCommand.ports(implicit, option: "--implicit")) ?? [])
        o.name = name
        o.trust = caFile.map { .file($0) } ?? .system
        o.probe = !noProbe
        o.logs = !noLogs
        o.phaseTimeout = timeout
        o.domain = domain
        o.resolver = resolver.flatMap(parseResolverAddress)
        o.dnsSMTPPort = mxPort
        o.smtpPorts = Set(((try? ProbeCommand.ports(smtpPort, option: "--smtp-port")) ?? []).map(Int.init))
        o.dovecotConfig = effectiveDovecotConfig
        o.tlsReports = tlsrpt
        o.probeRecords = ProbeRecordWiring.store()
        o.command = ProbeRecordWiring.command
        o.cache = .standard()
        return o
    }

    /// Gathers with progress on stderr when it is a terminal.
    func gather() -> Gathered {
        let tty = isatty(2) == 1
        let gathered = Gatherer().gather(options) { step in
            guard tty else { return }
            let text: String
            switch step {
            case .config: text = "reading \(configDir)"
            case .probe(.started(let t)): text = "probing \(t.address) (\(t.mode.rawValue))"
            case .probe: return
            case .logs(let files): text = "reading \(files)"
            case .dns(let domain): text = "looking up \(domain) in DNS"
            case .tlsReports(let paths): text = "reading senders' TLS reports in \(paths)"
            case .diagnosis: text = "joining the evidence"
            }
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
        }
        if tty { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        return gathered
    }
}

struct DiagnoseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose",
        abstract: "Join config, a live probe and the mail logs into diagnoses with evidence and fixes.",
        discussion: """
            Reads main.cf/master.cf, probes every smtpd listener, reads the mail logs, and names the root \
            causes, most important first, each with its evidence (file:line, probe, log line), how sure it is, \
            and fixes; then the named senders' verdicts per listener (docs/SENDERS.md). With --tlsrpt PATH, senders' \
            TLS reports (RFC 8460) join in: each reported failure becomes evidence for its cause with the local log \
            lines of its sessions, and failures the logs never saw are said plainly (reported_not_seen_locally). \
            Apply a fix with `postls fix apply ID`. Exit 0 nothing wrong, 1 warnings, 2 critical.
            """ + " " + JSONOption.schema("diagnose"))

    @OptionGroup var gather: GatherArguments

    @OptionGroup var format: JSONOption

    @OptionGroup var color: ColorOption

    func run() throws {
        let gathered = gather.gather()
        let report = gathered.report
        if format.json {
            try CommandOutput.write(json: report)
        } else {
            CommandOutput.write(text: gathered.diagnoseText(color: color.useColor))
        }
        try CommandOutput.exit(report.exitCode)
    }
}
