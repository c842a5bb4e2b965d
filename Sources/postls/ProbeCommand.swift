import ArgumentParser
import Diagnosis
import Foundation
import MailDNS
import PostfixConfig
import PostlsCore
import Synchronization
import TLSKit
import TLSProbe

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Live-probe SMTP listeners with the system OpenSSL: STARTTLS, TLS versions, chain, verification.",
        discussion: """
            Each HOST is resolved to all its addresses and each address is probed separately. Port 465 is \
            implicit TLS, other ports STARTTLS, unless --implicit or --starttls says otherwise. At most 11 \
            connections per listener (6, plus one per named sender of --as; more with --ciphers). Each listener probed is noted in postls's probe record \
            (/var/lib/postls/probes.jsonl, or $POSTLS_PROBE_RECORD), so `postls logs` later tells the handshakes \
            the server refused to the probe from peers' failures. Exit 0 ok, 1 warnings, 2 critical problems.
            """ + " " + JSONOption.schema("probe"))

    @Argument(help: "Host names or addresses (default: this machine's myhostname).")
    var hosts: [String] = []

    @Option(name: .long, help: "Comma-separated ports.")
    var port: String = "25,465,587"

    @Option(name: .long, help: "Ports that use STARTTLS (overrides the 465 default).")
    var starttls: String?

    @Flag(name: .long, help: "Probe IPv4 addresses only.")
    var ipv4 = false

    @Flag(name: .long, help: "Probe IPv6 addresses only.")
    var ipv6 = false

    @OptionGroup var listener: ListenerOptions

    @Option(name: .long, help: "Seconds allowed for each phase (connect, greeting, EHLO, STARTTLS, handshake); each listener gets at most 4 times that in all.")
    var timeout: Double = 10

    @OptionGroup var format: JSONOption

    @Option(name: .customLong("max-connections"), help: "Listeners probed at once (connections open at once).")
    var maxConnections: Int = 4

    @Flag(name: .long, help: "Also enumerate the accepted cipher suites per TLS version (many connections).")
    var ciphers = false

    @Option(name: .long, help: "The name to send in EHLO.")
    var ehlo: String?

    @Flag(name: .long, help: "Show progress on stderr even when it is not a terminal.")
    var progress = false

    @OptionGroup var color: ColorOption

    @Option(name: .customLong("as"), help: ArgumentHelp("Named senders to simulate, one handshake each (default: all of \(SenderProfile.all.map(\.id).joined(separator: ",")), on ports other than 587 and implicit TLS, which serve mail clients); none: only the probe's own five connections.", valueName: "SENDERS"))
    var senders: String?

    @Option(name: .long, help: ArgumentHelp("The mail domain: enforcing senders check the certificate against its MTA-STS policy (enforce) and DNSSEC-valid TLSA records.", valueName: "DOMAIN"))
    var domain: String?

    @Option(name: .long, help: ArgumentHelp("DNS resolver for --domain (default: the first nameserver in /etc/resolv.conf).", valueName: "ADDR[:PORT]"))
    var resolver: String?

    func validate() throws {
        if ipv4 && ipv6 { throw ValidationError("--ipv4 and --ipv6 exclude each other") }
        if timeout <= 0 { throw ValidationError("--timeout must be a positive number of seconds") }
        if maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        _ = try Self.ports(port, option: "--port")
        _ = try Self.ports(starttls, option: "--starttls")
        if let senders { do { _ = try SenderProfile.named(senders) } catch { throw ValidationError("--as: \(error)") } }
        if let resolver, parseResolverAddress(resolver) == nil { throw ValidationError("--resolver \(resolver): expected an IP address with an optional port") }
    }

    static func ports(_ text: String?, option: String) throws -> [UInt16] {
        guard let text else { return [] }
        var out: [UInt16] = []
        for part in text.split(separator: ",") {
            guard let p = UInt16(part.trimmingCharacters(in: .whitespaces)), p > 0 else {
                throw ValidationError("\(option): \"\(part)\" is not a port number")
            }
            if !out.contains(p) { out.append(p) }
        }
        if out.isEmpty { throw ValidationError("\(option): no ports given") }
        return out
    }

    /// myhostname of `configDirectory` (`postconf -c`) or of the system's Postfix, else the system's host name.
    static func defaultHost(configDirectory: String? = nil) -> String { DefaultHost.name(configDirectory: configDirectory) }

    func run() throws {
        let ports = try Self.ports(port, option: "--port")
        let implicitPorts = listener.implicitPorts
        let starttlsPorts = Set(try Self.ports(starttls, option: "--starttls"))
        let hostList = hosts.isEmpty ? [Self.defaultHost()] : hosts
        var expansion = ProbeTarget.expand(hosts: hostList, ports: ports, implicitPorts: implicitPorts, starttlsPorts: starttlsPorts,
                                           family: ipv4 ? .ipv4Only : ipv6 ? .ipv6Only : .any, name: listener.name)
        // The named senders on submission ports only when asked for by name (--as).
        if senders == nil {
            for i in expansion.targets.indices where expansion.targets[i].looksLikeSubmission { expansion.targets[i].isMX = false }
        }
        var options = ProbeOptions(phaseTimeout: timeout, trust: listener.trust,
                                   enumerateCiphers: ciphers, maxConnections: maxConnections)
        if let ehlo { options.ehloName = ehlo }
        if let senders { options.senders = try SenderProfile.named(senders) }
        let prober: Prober
        do {
            prober = try Prober(options: options, recorder: ProbeRecordWiring.recorder(command: "probe"))
        } catch {
            CommandOutput.error("postls probe: cannot set up OpenSSL: \(error)")
            throw ArgumentParser.ExitCode(PostlsCore.ExitCode.internalError.rawValue)
        }
        let showProgress = progress || isatty(2) == 1
        let reporter = ProgressReporter(enabled: showProgress, tty: isatty(2) == 1)
        let onProgress: (@Sendable (ProbeProgress) -> Void)? = showProgress ? { @Sendable event in reporter.report(event) } : nil
        var report: ProbeReport = prober.probe(expansion.targets, progress: onProgress)
        reporter.finish()
        if let domain {
            // The DNS join: enforcing senders check what the domain publishes (postls dns) against the served certificate.
            let dns = MailDomainInspector.standard(server: DNSCommand.resolverAddress(resolver), trust: options.trust,
                                                   options: DNSCheckOptions(timeout: timeout)).inspect(domain: domain)
            SenderPolicyJoin.apply(dns, to: &report, profiles: options.senders)
        }
        for miss in expansion.unresolved {
            report.targets.append(ListenerProbeResult(unresolved: miss, mode: ProbeTarget.defaultMode(port: miss.port, implicitPorts: implicitPorts, starttlsPorts: starttlsPorts)))
        }
        if format.json {
            try CommandOutput.write(json: report)
        } else {
            CommandOutput.write(text: ProbeTextRenderer(color: color.useColor).render(report))
        }
        try CommandOutput.exit(report.exitCode)
    }
}

/// Progress lines on stderr: one updating line on a terminal, plain lines otherwise.
final class ProgressReporter: Sendable {
    private let enabled: Bool
    private let tty: Bool
    /// Held while a line is written, so lines from concurrent probes never interleave.
    private let done = Mutex(0)

    init(enabled: Bool, tty: Bool) { self.enabled = enabled; self.tty = tty }

    func report(_ event: ProbeProgress) {
        guard enabled else { return }
        done.withLock { done in
            let text: String
            switch event {
            case .started(let t): text = "probing \(t.host) \(t.address) (\(t.mode.rawValue))"
            case .connection(let t, let what): text = "  \(t.address): \(what)"
            case .finished(let r):
                done += 1
                text = "done \(r.address):\(r.port): \(r.connections) connections, \(r.elapsedMs) ms" + (r.error.map { ", \($0.phase.rawValue) failed" } ?? "")
            }
            FileHandle.standardError.write(Data((tty ? "\r\u{1B}[K" + text : text + "\n").utf8))
        }
    }

    func finish() {
        guard enabled, tty else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

