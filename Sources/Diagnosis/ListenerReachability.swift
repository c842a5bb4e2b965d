import Foundation
import PostfixConfig
import PostlsCore
import TLSKit
import TLSProbe

/// Whether Postfix's master process runs, read from its pid file (`$queue_directory/pid/master.pid`).
public enum MasterStatus: Sendable, Equatable {
    case running(pid: Int32)
    /// Not running; `detail` says how that was found ("pid/master.pid names 1234, which is not running").
    case stopped(detail: String)

    /// Reads `queueDirectory/pid/master.pid` and checks that the process exists and is master. Nil when it cannot tell
    /// (the queue directory is unreadable).
    public static func read(queueDirectory: String) -> MasterStatus? {
        let pidFile = queueDirectory + "/pid/master.pid"
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: queueDirectory + "/pid", isDirectory: &isDirectory) || FileManager.default.isReadableFile(atPath: queueDirectory) else { return nil }
            return .stopped(detail: "\(pidFile) does not exist: master has not run with this queue directory")
        }
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else {
            return .stopped(detail: "\(pidFile) holds no process id")
        }
        if kill(pid, 0) != 0 && errno != EPERM {
            return .stopped(detail: "\(pidFile) names process \(pid), which is not running")
        }
        // A pid reused by another program after master stopped.
        if let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) {
            let name = comm.trimmingCharacters(in: .whitespacesAndNewlines)
            if name != "master" { return .stopped(detail: "\(pidFile) names process \(pid), which is now \(name), not master") }
        }
        return .running(pid: pid)
    }
}

extension GatherOptions {
    /// Whether master runs, for the diagnosis: read only when probing (a live check like the probe; `--no-probe`
    /// keeps the diagnosis to files and logs), and only when every probed host is this machine: this machine's
    /// master says nothing about a server probed with `--host` elsewhere. The CLI's gathering and the wizard's
    /// both call this.
    public func masterStatus(configuration: PostfixConfiguration?) -> MasterStatus? {
        guard probe, let configuration else { return nil }
        if !hosts.isEmpty {
            let local = LocalAddresses.current()
            guard hosts.allSatisfy({ $0 == "localhost" || local.contains($0) || SocketAddress(ip: $0, port: 0).map(LocalAddresses.isLoopback) == true }) else { return nil }
        }
        return MasterStatus.read(queueDirectory: configuration.value("queue_directory"))
    }
}

/// This machine's interface addresses (getifaddrs), to tell a probe of this host from one of another.
enum LocalAddresses {
    static func current() -> Set<String> { Set(InterfaceEntry.all().map(\.text)) }

    static func isLoopback(_ address: SocketAddress) -> Bool {
        address.ip.hasPrefix("127.") || address.ip == "::1"
    }
}

/// A probed listener that no connection reached, and why, from the probe, the configuration and master's state.
/// The diagnosis (evidence, summary) and the fix planner (commands, edits) read the same analysis.
struct UnreachableListener: Sendable {
    enum Kind: Sendable { case refused, unanswered }

    enum Reason: Sendable, Equatable {
        /// master does not run.
        case postfixStopped(detail: String)
        /// No active service for the port; a commented-out one at `line`.
        case serviceCommentedOut(line: Int, text: String)
        /// No service in master.cf for the port, active or commented out.
        case noService
        /// The port's services are bound to other addresses in their master.cf names.
        case boundElsewhere(services: [String], lines: [Int])
        /// inet_interfaces leaves the address out (`bound`: the addresses it gives).
        case inetInterfaces(value: String, source: String, bound: [String])
        /// inet_protocols leaves the address family out.
        case inetProtocols(value: String, source: String, family: String)
        /// The service is configured for the address and master runs (`masterRunning`; nil: not known), yet
        /// connections are refused.
        case notBound(service: String, line: Int, masterRunning: Bool?)
        /// The service is configured and master runs (or may run), yet connections go unanswered.
        case filtered(service: String, line: Int, masterRunning: Bool?)
    }

    var target: ListenerProbeResult
    var kind: Kind
    var reasons: [Reason]
    /// Port 25 or a `--smtp-port`: senders on the internet use it.
    var isMX: Bool

    var location: String { target.evidenceLocation }

    var cause: Cause { kind == .refused ? .portNotListening : .portFiltered }

    /// The probed listeners no connection reached, on ports Postfix should serve: ports of its smtpd services (active
    /// or commented out), and the MX ports. Ports probed by default with nothing configured for them are not counted.
    static func analyze(_ input: DiagnosisInput) -> [UnreachableListener] {
        guard let probe = input.probe else { return [] }
        var out: [UnreachableListener] = []
        for t in probe.targets {
            guard let error = t.error, error.phase == .connect else { continue }
            let kind: Kind
            if error.message.hasPrefix("connection refused") { kind = .refused }
            else if error.message.hasPrefix("no TCP connection") { kind = .unanswered }
            else { continue }
            let listeners = (input.configuration?.smtpdListeners ?? []).filter { $0.listen.port == t.port }
            let commented = input.configuration.map { commentedOutServices($0.master, port: t.port) } ?? []
            let isMX = input.isMXPort(t.port)
            guard isMX || !listeners.isEmpty || !commented.isEmpty else { continue }
            var reasons: [Reason] = []
            if case .stopped(let detail)? = input.master { reasons.append(.postfixStopped(detail: detail)) }
            if let configuration = input.configuration {
                if listeners.isEmpty {
                    if let first = commented.first { reasons.append(.serviceCommentedOut(line: first.line, text: first.text)) }
                    else { reasons.append(.noService) }
                } else {
                    let bindings = listeners.map { Self.binds($0, address: t.address, family: t.family, configuration: configuration) }
                    if let index = bindings.firstIndex(of: .yes) {
                        let listener = listeners[index]
                        let running: Bool? = input.master.map { if case .running = $0 { true } else { false } }
                        if kind == .unanswered {
                            reasons.append(.filtered(service: listener.service.qualifiedName, line: listener.service.line, masterRunning: running))
                        } else if running != false {
                            reasons.append(.notBound(service: listener.service.qualifiedName, line: listener.service.line, masterRunning: running))
                        }
                    } else if !bindings.contains(.unknown) {
                        // Every configured service leaves this address out: say how. (A host name in master.cf or
                        // inet_interfaces, which postls does not resolve, leaves the reason untold.)
                        for binding in bindings {
                            guard case .no(let reason) = binding, !reasons.contains(reason) else { continue }
                            if case .boundElsewhere(let services, let lines) = reason,
                               let index = reasons.firstIndex(where: { if case .boundElsewhere = $0 { return true } else { return false } }),
                               case .boundElsewhere(let s0, let l0) = reasons[index] {
                                reasons[index] = .boundElsewhere(services: s0 + services, lines: l0 + lines)
                            } else {
                                reasons.append(reason)
                            }
                        }
                    }
                }
            } else if kind == .unanswered {
                reasons.append(.filtered(service: "smtp/inet", line: 0, masterRunning: nil))
            }
            out.append(UnreachableListener(target: t, kind: kind, reasons: reasons, isMX: isMX))
        }
        return out
    }

    /// Whether a listener accepts connections to an address as configured; when not, why.
    enum Binding: Equatable { case yes, no(Reason), unknown }

    /// Whether `listener` accepts connections to `address` as configured: the service's own address, else
    /// inet_interfaces and inet_protocols. Host names, which postls does not resolve here, give `unknown`.
    static func binds(_ listener: SMTPDListener, address: String, family: String?, configuration: PostfixConfiguration) -> Binding {
        if let host = listener.listen.host {
            if sameHost(host, address) { return .yes }
            guard host == "localhost" || SocketAddress(ip: host, port: 0) != nil else { return .unknown }
            return .no(.boundElsewhere(services: [listener.service.name], lines: [listener.service.line]))
        }
        // No address in the service name: master binds the addresses of inet_interfaces, for inet_protocols' families.
        let isIPv6 = family == "IPv6" || address.contains(":")
        let protocols = Self.words(configuration.value("inet_protocols").lowercased())
        if !protocols.contains("all") && !protocols.contains(isIPv6 ? "ipv6" : "ipv4") {
            let source = configuration.raw("inet_protocols")?.source.description ?? "default"
            return .no(.inetProtocols(value: configuration.value("inet_protocols"), source: source, family: isIPv6 ? "IPv6" : "IPv4"))
        }
        let interfaces = Self.words(configuration.value("inet_interfaces"))
        if interfaces.isEmpty || interfaces.contains(where: { $0.lowercased() == "all" }) { return .yes }
        var bound: [String] = []
        for interface in interfaces {
            switch interface.lowercased() {
            case "loopback-only", "localhost":
                if protocols.contains("all") || protocols.contains("ipv4") { bound.append("127.0.0.1") }
                if protocols.contains("all") || protocols.contains("ipv6") { bound.append("::1") }
            default:
                let literal = interface.hasPrefix("[") && interface.hasSuffix("]") ? String(interface.dropFirst().dropLast()) : interface
                // A host name resolves to addresses postls does not look up here: it cannot say.
                guard SocketAddress(ip: literal, port: 0) != nil else { return .unknown }
                bound.append(literal)
            }
        }
        if bound.contains(where: { sameHost($0, address) }) { return .yes }
        let source = configuration.raw("inet_interfaces")?.source.description ?? "default"
        return .no(.inetInterfaces(value: configuration.value("inet_interfaces"), source: source, bound: bound))
    }

    /// The addresses inet_interfaces names when it names only literal addresses (not `all`, `loopback-only` or host
    /// names): a service without an address of its own listens there, so the probe goes there, not to 127.0.0.1.
    static func interfaceAddresses(_ configuration: PostfixConfiguration) -> [String]? {
        let interfaces = words(configuration.value("inet_interfaces"))
        let literals = interfaces.map { $0.hasPrefix("[") && $0.hasSuffix("]") ? String($0.dropFirst().dropLast()) : $0 }
        guard !literals.isEmpty, literals.allSatisfy({ SocketAddress(ip: $0, port: 0) != nil }) else { return nil }
        return literals
    }

    static func sameHost(_ host: String, _ address: String) -> Bool {
        if host == "localhost" { return address == "127.0.0.1" || sameHost("::1", address) }
        guard let a = SocketAddress(ip: host, port: 0), let b = SocketAddress(ip: address, port: 0) else { return host == address }
        return a == b
    }

    static func words(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\n" }).map(String.init)
    }

    /// Commented-out `inet` services of master.cf that would listen on `port` with smtpd or postscreen
    /// (`#smtp inet n - y - - smtpd`), with their line numbers.
    static func commentedOutServices(_ master: MasterCF, port: Int) -> [(line: Int, text: String)] {
        var out: [(line: Int, text: String)] = []
        for (index, line) in master.lines.enumerated() where line.kind == .comment {
            let text = String(decoding: master.bytes[line.start..<line.end], as: UTF8.self)
            let body = text.drop { $0 == " " || $0 == "\t" || $0 == "#" }
            let fields = body.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count >= 8, fields[1] == "inet", ListenAddress(serviceName: fields[0]).port == port else { continue }
            let command = fields[7]
            guard command == "smtpd" || command == "postscreen" || command.hasSuffix("/smtpd") || command.hasSuffix("/postscreen") else { continue }
            out.append((index + 1, text))
        }
        return out
    }
}

extension UnreachableListener.Reason {
    /// The clause that says why, for the diagnosis's summary.
    var clause: String {
        switch self {
        case .postfixStopped: return "Postfix is not running"
        case .serviceCommentedOut(let line, _): return "its service is commented out in master.cf:\(line)"
        case .noService: return "master.cf has no service for the port"
        case .boundElsewhere(let services, _): return "master.cf binds the port to another address (\(services.joined(separator: ", ")))"
        case .inetInterfaces(let value, _, let bound):
            return "inet_interfaces = \(value) leaves the address out (Postfix binds \(bound.joined(separator: ", ")) only)"
        case .inetProtocols(let value, _, let family): return "inet_protocols = \(value) leaves out \(family)"
        case .notBound(_, _, let running?) where running:
            return "Postfix runs and master.cf has the service, but master has not bound the port (master.cf changed since the last start or reload, or the bind failed)"
        case .notBound:
            return "master.cf has the service, but nothing has bound the port (Postfix is not running, master.cf changed since its last start or reload, or the bind failed)"
        case .filtered(_, _, let running?) where running:
            return "Postfix runs and master.cf has the service: a firewall drops the connection attempts"
        case .filtered:
            return "master.cf has the service: a firewall drops the connection attempts (or Postfix's host is down)"
        }
    }

    /// The evidence item the reason rests on.
    var evidence: Evidence {
        switch self {
        case .postfixStopped(let detail):
            return Evidence(source: .system, location: "master.pid", text: "master is not running: \(detail)")
        case .serviceCommentedOut(let line, let text):
            return Evidence(source: .config, location: "master.cf:\(line)", text: "commented out: \(text.trimmingCharacters(in: .whitespaces))")
        case .noService:
            return Evidence(source: .config, location: "master.cf", text: "no inet service (smtpd or postscreen) for the port, active or commented out")
        case .boundElsewhere(let services, let lines):
            return Evidence(source: .config, location: lines.map { "master.cf:\($0)" }.joined(separator: ", "),
                            text: "the port's services listen on their own address only: \(services.joined(separator: ", "))")
        case .inetInterfaces(let value, let source, let bound):
            return Evidence(source: .config, location: source, text: "inet_interfaces = \(value): Postfix binds \(bound.joined(separator: ", ")) only")
        case .inetProtocols(let value, let source, let family):
            return Evidence(source: .config, location: source, text: "inet_protocols = \(value): no \(family) listener")
        case .notBound(let service, let line, _):
            return Evidence(source: .config, location: "master.cf:\(line)", text: "\(service) is configured for this address")
        case .filtered(let service, let line, _):
            return Evidence(source: .config, location: line > 0 ? "master.cf:\(line)" : "master.cf", text: "\(service) is configured for this address")
        }
    }
}

extension Builder {
    /// Nothing listens (`port_not_listening`) or nothing answers (`port_filtered`) on a port Postfix should serve:
    /// the probe's failed connection, joined to the reason the configuration and master's state give.
    mutating func addUnreachableListeners() {
        for unreachable in UnreachableListener.analyze(input) {
            let cause = unreachable.cause
            let t = unreachable.target
            // A service that is not the MX (submission, a content filter's return port) matters less than port 25.
            let severity: Severity = unreachable.isMX || unreachable.reasons.contains { if case .postfixStopped = $0 { true } else { false } } ? .critical : .warning
            let where_ = t.endpoint
            let error = t.error?.message ?? "no connection"
            add(cause, severity, Evidence(source: .probe, location: unreachable.location, text: error))
            let clause = unreachable.reasons.first?.clause
            let summary: String
            switch unreachable.kind {
            case .refused:
                summary = "nothing listens on \(where_)" + (clause.map { ": \($0)" } ?? "")
            case .unanswered:
                summary = "connections to \(where_) go unanswered" + (clause.map { ": \($0)" } ?? ": a firewall drops them, or the host is down")
            }
            summaries[cause, default: []].append(summary)
            for reason in unreachable.reasons { add(cause, severity, reason.evidence) }
            if unreachable.kind == .unanswered {
                let note = "Vantage point: the probe ran from this machine. A firewall in front of it (the provider's port-25 block, a security group) is not on this path, and one on this host may treat outside senders differently: test from outside as well (`nc -vz THIS-HOST \(t.port)` from another network)."
                if !(notes[cause]?.contains(note) ?? false) { notes[cause, default: []].append(note) }
            }
            if unreachable.reasons.isEmpty, input.configuration == nil {
                let note = "main.cf/master.cf were not read: postls cannot say why nothing listens."
                if !(notes[cause]?.contains(note) ?? false) { notes[cause, default: []].append(note) }
            }
        }
    }
}

extension FixPlanner {
    /// Start Postfix, restore the service, widen inet_interfaces/inet_protocols, reload, or open the firewall: the
    /// reason decides. inet_interfaces and inet_protocols take effect only at `postfix stop; postfix start`, which
    /// `fix apply` does not do, so those fixes are commands to run, not applicable edits.
    func reachabilityFixes(cause: Cause) -> [Fix] {
        let dir = input.configuration?.directory ?? "/etc/postfix"
        let c = dir == "/etc/postfix" ? "" : " -c \(dir)"
        var out: [Fix] = []
        func append(_ fix: Fix) { if !out.contains(where: { $0.id == fix.id }) { out.append(fix) } }
        for unreachable in UnreachableListener.analyze(input) where unreachable.cause == cause {
            let port = unreachable.target.port
            for reason in unreachable.reasons {
                switch reason {
                case .postfixStopped:
                    append(makeFix(cause: cause, title: "Start Postfix", kind: .command,
                                   commands: ["postfix\(c) check    # fix what it reports first", "postfix\(c) start", "# with systemd: systemctl start postfix; and enable it at boot: systemctl enable postfix"],
                                   applicable: false))
                case .serviceCommentedOut(let line, let text):
                    append(makeFix(cause: cause, title: "Uncomment the service for port \(port) in master.cf:\(line), then reload Postfix",
                                   kind: .command,
                                   commands: ["sed -i '\(line)s/^#[[:space:]]*//' \(dir)/master.cf    # \(text.trimmingCharacters(in: .whitespaces)); uncomment its -o lines too",
                                              "postfix\(c) check", "postfix\(c) reload"],
                                   applicable: false))
                case .noService:
                    append(makeFix(cause: cause, title: "Add a service for port \(port) to master.cf, then reload Postfix", kind: .command,
                                   commands: ["# in \(dir)/master.cf: \(port == 25 ? "smtp" : String(port))      inet  n       -       y       -       -       smtpd",
                                              "postfix\(c) reload"],
                                   applicable: false))
                case .boundElsewhere(let services, _):
                    append(makeFix(cause: cause, title: "Bind the port-\(port) service to the address senders use (master.cf: \(services.joined(separator: ", ")))",
                                   kind: .command,
                                   commands: ["# in \(dir)/master.cf, name the service \(port == 25 ? "smtp" : String(port)) (all inet_interfaces) or ADDRESS:\(port)",
                                              "postfix\(c) reload"],
                                   applicable: false))
                case .inetInterfaces:
                    append(makeFix(cause: cause, title: "Listen on every interface: inet_interfaces = all (needs postfix stop and start)", kind: .command,
                                   commands: ["postconf\(c) -e 'inet_interfaces = all'    # or list the addresses senders connect to",
                                              "postfix\(c) stop && postfix\(c) start    # a reload does not rebind the listeners"],
                                   applicable: false))
                case .inetProtocols(_, _, let family):
                    append(makeFix(cause: cause, title: "Listen on \(family) too: inet_protocols = all (needs postfix stop and start)", kind: .command,
                                   commands: ["postconf\(c) -e 'inet_protocols = all'",
                                              "postfix\(c) stop && postfix\(c) start    # a reload does not rebind the listeners"],
                                   applicable: false))
                case .notBound(_, _, let running):
                    if running == true {
                        append(makeFix(cause: cause, title: "Reload Postfix so master binds the services of master.cf", kind: .command,
                                       commands: [reloadCommand, "# still refused: the log says why master could not bind (\"bind ... Address already in use\")"],
                                       applicable: input.configuration != nil))
                    } else {
                        append(makeFix(cause: cause, title: "Start Postfix, or reload it so master binds the services of master.cf", kind: .command,
                                       commands: ["postfix\(c) status    # not running: postfix\(c) start", reloadCommand,
                                                  "# still refused: the log says why master could not bind (\"bind ... Address already in use\")"],
                                       applicable: false))
                    }
                case .filtered:
                    append(makeFix(cause: cause, title: "Let connections to port \(port) through the firewall", kind: .command,
                                   commands: ["nft list ruleset | grep -n 'dport.*\(port)'    # or: iptables -S | grep -- '--dport \(port)'",
                                              "# allow TCP \(port) in the host's firewall, the provider's security group and any port-25 block; then test from outside: nc -vz THIS-HOST \(port)"],
                                   applicable: false))
                }
            }
        }
        return out
    }
}

extension ListenerProbeResult {
    /// Where a probe's evidence comes from, as diagnoses cite it: `127.0.0.1:25 (IPv4, starttls)`,
    /// `[::1]:465 (IPv6, implicit)`; the evidence's source already says it is the probe.
    var evidenceLocation: String {
        "\(endpoint) (\(family ?? "?"), \(mode.rawValue))"
    }
}
