import Foundation
import MailDNS
import MailLog
import PostfixConfig
import PostlsCore
import TLSKit
import TLSProbe

/// What the diagnosis engine joins. Each source is optional: a diagnosis says which sources it had.
public struct DiagnosisInput: Sendable {
    public var configuration: PostfixConfiguration?
    public var configFindings: [Finding]
    public var probe: ProbeReport?
    public var logEvents: [TLSEvent]
    public var logSummary: LogSummary?
    /// `postconf -h mail_version`, when known (the `unexpected eof` noise depends on it).
    public var postfixVersion: String?
    public var now: Date
    /// Findings of the DNS side (MX, TLSA, MTA-STS), when a domain was checked.
    public var dnsFindings: [DNSFinding] = []
    /// The records the DNS engine suggests publishing: the fixes of the DNS diagnoses.
    public var dnsSuggestions: [RecordSuggestion] = []
    /// Ports that receive mail from the internet besides 25 (`--smtp-port`).
    public var smtpPorts: Set<Int>
    /// Senders refused for not using TLS where the MX requires it (from the same logs).
    public var plaintextRefusals: [PlaintextRefusals]
    /// Dovecot's configuration when it was linted too: its fixes name its files, lines and settings.
    public var dovecot: DovecotConfig?
    /// Whether master runs (from its pid file), when known: a stopped Postfix explains every refused connection.
    public var master: MasterStatus?
    /// Senders' TLS reports' failure details, joined to the local logs (`LocalLogMatcher`), when reports were given.
    public var reportedFailures: [ReportedFailure] = []

    public init(configuration: PostfixConfiguration? = nil, configFindings: [Finding] = [], probe: ProbeReport? = nil,
                logEvents: [TLSEvent] = [], logSummary: LogSummary? = nil, postfixVersion: String? = nil, now: Date = Date(),
                smtpPorts: Set<Int> = [], plaintextRefusals: [PlaintextRefusals] = [], reportedFailures: [ReportedFailure] = []) {
        self.configuration = configuration; self.configFindings = configFindings; self.probe = probe
        self.logEvents = logEvents; self.logSummary = logSummary; self.postfixVersion = postfixVersion; self.now = now
        self.smtpPorts = smtpPorts; self.plaintextRefusals = plaintextRefusals; self.reportedFailures = reportedFailures
    }

    /// Whether a listener on `port` receives mail from the internet.
    func isMXPort(_ port: Int) -> Bool { port == 25 || smtpPorts.contains(port) }
}

/// Joins config findings, probe results and log events into ranked diagnoses with evidence and fixes.
public struct DiagnosisEngine: Sendable {
    public init() {}

    /// Causes a configuration change or a live probe can reproduce; seen only in old log lines while the
    /// probe now passes, they are probably fixed already.
    static let reproducible: Set<Cause> = [
        .protocolMismatch, .noSharedCipher, .untrustedCertificate, .incompleteChain, .expiredCertificate,
        .nameMismatch, .keyMismatch, .certificateUnreadable, .starttlsUnavailable, .dhParameters, .weakCertificate,
        .staleCertificate,
    ]

    public func diagnose(_ input: DiagnosisInput) -> DiagnosisReport {
        var builder = Builder(input: input)
        builder.refineCertificateRejections()
        builder.addConfigFindings()
        builder.joinPlaintextRefusals()
        builder.addProbeResults()
        builder.addUnreachableListeners()
        builder.addStaleCertificate()
        builder.addDNSFindings()
        builder.joinLogsToConfigAndProbe()
        builder.addLogEvents()
        builder.addOutboundHops()
        builder.addSenderReports()
        builder.mergeTLSDisabledIntoRootCause()
        var diagnoses = builder.finish()
        let planner = FixPlanner(input: input)
        var fixes: [Fix] = []
        for index in diagnoses.indices {
            let planned = planner.fixes(for: diagnoses[index], findings: builder.findingsByCause[diagnoses[index].cause] ?? [])
            diagnoses[index].fixes = planned.map(\.id)
            for fix in planned where !fixes.contains(where: { $0.id == fix.id }) { fixes.append(fix) }
        }
        var limitations: [String] = []
        if input.configuration == nil { limitations.append("main.cf/master.cf were not read: config evidence is missing") }
        if input.probe == nil { limitations.append("no live probe was run (--no-probe): nothing was reproduced") }
        if input.logSummary == nil { limitations.append("no mail log was read: peers' failures are unknown") }
        if input.probe != nil {
            limitations.append("the probe ran from this machine: a sender on the internet may see another path (NAT, firewalls, IPv6 routing)")
        }
        return DiagnosisReport(diagnoses: diagnoses, fixes: fixes, limitations: limitations)
    }
}

/// Accumulates evidence per cause, then ranks.
struct Builder {
    let input: DiagnosisInput
    var evidence: [Cause: [Evidence]] = [:]
    var severities: [Cause: Severity] = [:]
    var summaries: [Cause: [String]] = [:]
    var notes: [Cause: [String]] = [:]
    var logCounts: [Cause: Int] = [:]
    var findingsByCause: [Cause: [Finding]] = [:]
    var status: [Cause: DiagnosisStatus] = [:]
    var confidenceCap: [Cause: Confidence] = [:]
    /// The log events, with certificate rejections re-attributed by `refineCertificateRejections`.
    var logEvents: [TLSEvent]

    init(input: DiagnosisInput) { self.input = input; logEvents = input.logEvents }

    mutating func add(_ cause: Cause, _ severity: Severity, _ item: Evidence, summary: String? = nil) {
        // Two events may cite the same line (a start-up warning shared by sessions): list it once.
        if !(evidence[cause]?.contains(item) ?? false) { evidence[cause, default: []].append(item) }
        severities[cause] = max(severities[cause] ?? .info, severity)
        if let summary, !(summaries[cause]?.contains(summary) ?? false) { summaries[cause, default: []].append(summary) }
    }

    // MARK: config

    mutating func addConfigFindings() {
        for finding in input.configFindings {
            // Parse trouble is not a TLS cause of its own unless the linter named one.
            let location = finding.location ?? "config"
            let parameter = finding.parameter.map { "\($0): " } ?? ""
            add(finding.cause, finding.severity, Evidence(source: .config, location: location, text: parameter + finding.message, server: finding.server),
                summary: finding.message)
            findingsByCause[finding.cause, default: []].append(finding)
        }
    }

    // MARK: probe

    mutating func addProbeResults() {
        guard let probe = input.probe else { return }
        for t in probe.targets {
            let location = t.evidenceLocation
            for f in t.findings {
                guard let cause = f.cause else { continue }
                add(cause, f.severity, Evidence(source: .probe, location: location, text: f.message), summary: f.message)
            }
            if t.mode == .starttls, t.starttlsOffered == false {
                add(.starttlsUnavailable, input.isMXPort(t.port) ? .critical : .warning,
                    Evidence(source: .probe, location: location, text: "EHLO does not offer STARTTLS"),
                    summary: "port \(t.port) does not offer STARTTLS")
            }
            // The probe's own finding already quotes a 454; a second item would say the same thing twice.
            if let reply = t.starttlsReply, reply.hasPrefix("454"), !t.findings.contains(where: { $0.cause == .starttlsUnavailable && $0.message.contains("454") }) {
                add(.starttlsUnavailable, .critical, Evidence(source: .probe, location: location, text: "STARTTLS answered: \(reply)"),
                    summary: "port \(t.port) answers STARTTLS with 454: the server's TLS set-up failed")
            }
            if let error = t.error {
                let text = "\(error.phase.rawValue) failed: \(error.message)"
                let lower = error.message.lowercased()
                if error.phase == .handshake {
                    if lower.contains("stall") || lower.contains("timed out") || lower.contains("black hole") {
                        add(.handshakeTimeout, .critical, Evidence(source: .probe, location: location, text: text),
                            summary: "the handshake stalls on port \(t.port)\(t.family == "IPv6" ? " over IPv6" : "")")
                    } else if lower.contains("protocol version") || lower.contains("unsupported protocol") {
                        add(.protocolMismatch, .critical, Evidence(source: .probe, location: location, text: text))
                    } else if lower.contains("handshake failure") || lower.contains("no shared cipher") {
                        add(.noSharedCipher, .critical, Evidence(source: .probe, location: location, text: text),
                            summary: "no handshake succeeds on port \(t.port): the cipher lists do not overlap")
                    } else if lower.contains("plaintext") || lower.contains("not tls") || lower.contains("wrong version") {
                        add(.tlsOnPlaintextPort, .critical, Evidence(source: .probe, location: location, text: text),
                            summary: "port \(t.port) speaks plaintext where clients expect implicit TLS")
                    }
                } else if error.phase == .greeting, t.mode == .implicit, lower.contains("plaintext") || lower.contains("220") {
                    add(.tlsOnPlaintextPort, .critical, Evidence(source: .probe, location: location, text: text),
                        summary: "port \(t.port) speaks plaintext where clients expect implicit TLS")
                }
            }
        }
    }

    // MARK: DNS

    mutating func addDNSFindings() {
        for f in input.dnsFindings {
            add(f.cause, f.severity, Evidence(source: .dns, location: "dns \(f.host ?? f.topic)", text: f.message), summary: f.message)
        }
    }

    // MARK: stale certificate

    /// The served leaf differs from the leaf in the configured file: renewed on disk, not reloaded.
    mutating func addStaleCertificate() {
        guard let configuration = input.configuration, let probe = input.probe else { return }
        for listener in configuration.smtpdListeners {
            guard let port = listener.listen.port else { continue }
            let files = listener.tls.chainFiles.isEmpty ? listener.tls.certFiles : listener.tls.chainFiles
            guard let file = files.first, let onDisk = try? Certificate.load(pemFile: file).first else { continue }
            for t in probe.targets where t.port == port {
                guard let served = t.chain.first, served.sha256 != onDisk.sha256Fingerprint else { continue }
                // A different name on disk is a different certificate, not a renewal: only flag the same subject.
                guard served.subject == onDisk.subject || Set(served.san) == Set(onDisk.subjectAltNames) else { continue }
                let source = listener.sources[listener.tls.chainFiles.isEmpty ? "smtpd_tls_cert_file" : "smtpd_tls_chain_files"]
                add(.staleCertificate, .warning,
                    Evidence(source: .config, location: source.map { "\($0)" } ?? "main.cf",
                             text: "\(file) holds \(onDisk.sha256Fingerprint.prefix(16))…, valid until \(Self.day(onDisk.notAfter))"),
                    summary: "port \(port) still serves an older certificate than \(file): Postfix was not reloaded after the renewal")
                add(.staleCertificate, .warning,
                    Evidence(source: .probe, location: t.evidenceLocation,
                             text: "serves \(served.sha256.prefix(16))…, valid until \(served.notAfter)"))
            }
        }
    }

    static func day(_ date: Date) -> String {
        TimeFormat.day(date)
    }

    // MARK: logs

    mutating func addLogEvents() {
        var grouped: [Cause: [TLSEvent]] = [:]
        for event in logEvents { grouped[event.cause, default: []].append(event) }
        for (cause, events) in grouped {
            logCounts[cause] = events.count
            let peers = Self.topPeers(events)
            let services = Set(events.compactMap(\.service)).sorted()
            let ipv6 = events.filter { $0.peer?.family == .ipv6 }.count
            let ipv4 = events.filter { $0.peer?.family == .ipv4 }.count
            let severity = logSeverity(cause, events: events)
            // Postfix's and Dovecot's failures are told apart, so each server gets its own fixes.
            for server in MailServer.allCases {
                let part = events.filter { Self.server(of: $0) == server }
                guard !part.isEmpty else { continue }
                // The first event's most telling line, with its file and line number.
                var items = [Evidence(source: .log, location: "\(part.count) events", text: Self.sessionsText(part), server: server)]
                for event in part.prefix(2) {
                    // The line with OpenSSL's reason says why ("...:no shared cipher:..."); `SSL_accept error ...: -1` says only that.
                    let reason = event.errors.first?.reason
                    if let line = event.lines.first(where: { reason != nil && $0.message.contains(reason ?? "") })
                        ?? event.lines.first(where: { $0.message.contains("warning") })
                        ?? event.lines.first(where: { $0.message.contains("error") || $0.message.contains("TLS") }) ?? event.lines.first {
                        items.append(Evidence(source: .log, location: "\(Self.basename(line.file)):\(line.lineNumber)", text: line.message, server: server))
                    }
                }
                for item in items { add(cause, severity, item) }
            }
            switch cause {
            case .handshakeTimeout where ipv6 > 0 && ipv6 >= 4 * max(ipv4, 1) / 5 && ipv4 * 5 <= ipv6:
                summaries[cause, default: []].insert("handshakes stall for IPv6 peers (\(ipv6) of \(ipv6 + ipv4)): suspect a path-MTU black hole", at: 0)
                notes[cause, default: []].append("Settle it: probe over IPv6 from outside (or `ping -6 -s 1400 -M do PEER`); if large packets vanish, let ICMPv6 \"packet too big\" through the firewall (path-MTU discovery), or clamp the TCP MSS to the path MTU. postls cannot see or test the network path, so it proposes no change here.")
            case .peerAborted:
                if events.contains(where: { $0.errors.contains { $0.reason.contains("unexpected eof") } }), Self.isBeforeEOFFix(input.postfixVersion) {
                    summaries[cause, default: []].insert("`unexpected eof while reading` is noise of Postfix \(input.postfixVersion ?? "") on OpenSSL 3 (silenced from 3.7.4 on)", at: 0)
                    severities[cause] = .info
                }
            case .plaintextOnTLSPort:
                if events.allSatisfy({ Self.server(of: $0) == .dovecot }) {
                    summaries[cause, default: []].append("mail clients speak plaintext to Dovecot's implicit-TLS port (\(services.joined(separator: ", "))): they must use SSL/TLS there (993 IMAPS, 995 POP3S), or STARTTLS on 143/110")
                } else {
                    summaries[cause, default: []].append("clients speak plaintext to an implicit-TLS port (\(services.joined(separator: ", "))): they must use implicit TLS there, or STARTTLS on 587")
                }
            default:
                break
            }
            if !peers.isEmpty, cause == .protocolMismatch || cause == .noSharedCipher {
                summaries[cause, default: []].append("peers that failed: \(peers.joined(separator: ", "))")
            }
            if events.allSatisfy({ $0.confidence == .low }) { confidenceCap[cause] = .low }
        }
        // Seen in the logs, reproduced by nothing, and the probe of the same service passes: likely fixed already.
        for (cause, events) in grouped where DiagnosisEngine.reproducible.contains(cause) {
            // The probe speaks SMTP: passing, it says nothing about Dovecot's logins.
            guard events.contains(where: { Self.server(of: $0) == .postfix }) else { continue }
            let sources = Set((evidence[cause] ?? []).map(\.source))
            guard sources == [.log], let probe = input.probe, !probe.targets.isEmpty,
                  probe.targets.allSatisfy({ $0.negotiated != nil && ($0.verify?.code ?? 0) == 0 }) else { continue }
            let last = events.compactMap(\.time).max()
            status[cause] = .possiblyFixed
            severities[cause] = .info
            summaries[cause, default: []].insert("seen in the logs\(last.map { " until \(Self.stamp($0))" } ?? ""), but the current configuration and a live probe no longer reproduce it: probably fixed already", at: 0)
            notes[cause, default: []].append("Settle it: watch for new occurrences (`postls logs --follow`).")
        }
    }

    /// Dovecot's logins and configuration lines are Dovecot's; everything else in the mail log is Postfix's.
    static func server(of event: TLSEvent) -> MailServer { event.kind == .dovecot ? .dovecot : .postfix }

    /// "3 failed TLS sessions on smtps from a (2), b (1), 2026-... to 2026-...".
    static func sessionsText(_ events: [TLSEvent]) -> String {
        let services = Set(events.compactMap(\.service)).sorted()
        let peers = topPeers(events)
        let times = events.compactMap(\.time).sorted()
        var text = "\(events.count) failed TLS session\(events.count == 1 ? "" : "s")"
        if !services.isEmpty { text += " on \(services.joined(separator: ", "))" }
        if !peers.isEmpty { text += " from \(peers.joined(separator: ", "))" }
        if let first = times.first, let last = times.last {
            text += first == last ? " at \(stamp(first))" : ", \(stamp(first)) to \(stamp(last))"
        }
        return text
    }

    func logSeverity(_ cause: Cause, events: [TLSEvent]) -> Severity {
        switch cause {
        case .unclassified: return .info
        case .peerAborted:
            // Scanners abort constantly; a real mail provider doing it repeatedly matters.
            let providers = events.filter { ($0.peer?.domain).map { ["google.com", "outlook.com", "yahoo.com", "protection.outlook.com", "icloud.com"].contains($0) } ?? false }
            return providers.count >= 5 ? .warning : .info
        case .plaintextOnTLSPort, .tlsOnPlaintextPort:
            return .warning
        case .starttlsUnavailable, .certificateUnreadable, .keyMismatch:
            return .critical
        case .protocolMismatch, .noSharedCipher, .untrustedCertificate, .incompleteChain, .expiredCertificate, .handshakeTimeout:
            return events.count >= 3 ? .critical : .warning
        default:
            return .warning
        }
    }

    static func topPeers(_ events: [TLSEvent]) -> [String] {
        var counts: [String: Int] = [:]
        for e in events { if let p = e.peer { counts[p.domain ?? p.name, default: 0] += 1 } }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(3).map { "\($0.key) (\($0.value))" }
    }

    static func stamp(_ date: Date) -> String {
        TimeFormat.iso8601(date)
    }

    static func basename(_ path: String) -> String { (path as NSString).lastPathComponent }

    /// Postfix before 3.7.4 (and before 3.6.8, 3.5.18 on their branches) logs `unexpected eof` on OpenSSL 3.
    static func isBeforeEOFFix(_ version: String?) -> Bool {
        guard let version = version.flatMap(PostfixVersion.init) else { return true }
        if version.major != 3 { return version.major < 3 }
        switch version.minor {
        case ..<5: return true
        case 5: return version < PostfixVersion(3, 5, 18)
        case 6: return version < PostfixVersion(3, 6, 8)
        case 7: return version < PostfixVersion(3, 7, 4)
        default: return false
        }
    }

    // MARK: joins

    /// TLS disabled (454, no STARTTLS) is the symptom; an unreadable or mismatched key or certificate is the cause.
    mutating func mergeTLSDisabledIntoRootCause() {
        guard let symptom = evidence[.starttlsUnavailable] else { return }
        // Only Postfix's own key or certificate explains Postfix's disabled TLS (a broken Dovecot key does not).
        for root in [Cause.certificateUnreadable, .keyMismatch] where evidence[root]?.contains(where: { $0.server == .postfix }) == true {
            let moved = symptom.filter { $0.source != .config }
            evidence[root, default: []].append(contentsOf: moved)
            severities[root] = .critical
            summaries[root, default: []].append("so Postfix disabled TLS: STARTTLS is refused or not offered")
            // Keep starttls_unavailable only if the config itself also disables TLS.
            let own = symptom.filter { $0.source == .config }
            if own.isEmpty {
                evidence[.starttlsUnavailable] = nil
                logCounts[root, default: 0] += logCounts[.starttlsUnavailable] ?? 0
                logCounts[.starttlsUnavailable] = nil
            } else {
                evidence[.starttlsUnavailable] = own
            }
            break
        }
    }

    // MARK: ranking

    func finish() -> [Diagnosis] {
        var out: [Diagnosis] = []
        for (cause, items) in evidence where !items.isEmpty {
            let sources = Set(items.map(\.source))
            var confidence: Confidence
            switch sources.count {
            case 3...: confidence = .high
            case 2: confidence = .high
            default:
                if sources == [.log] {
                    confidence = logEvents.filter { $0.cause == cause }.map(\.confidence).max() ?? .low
                    if confidence == .high { confidence = .medium }  // one source alone never proves the cause
                } else {
                    confidence = .medium
                }
            }
            if let cap = confidenceCap[cause], cap < confidence { confidence = cap }
            var diagnosisNotes = notes[cause] ?? []
            if confidence != .high {
                let onlyDovecot = items.allSatisfy { $0.server == .dovecot }
                diagnosisNotes.append(Self.settle(cause, sources: sources, dovecot: onlyDovecot, logsRead: input.logSummary != nil))
            }
            let severity = severities[cause] ?? .info
            let summary = summaries[cause]?.first ?? CauseCatalog.shared.title(cause)
            out.append(Diagnosis(cause: cause, severity: severity, confidence: confidence,
                                 summary: summary, explanation: CauseCatalog.shared.explanation(cause),
                                 evidence: items, fixes: [], status: status[cause] ?? .active,
                                 notes: diagnosisNotes.filter { !$0.isEmpty }, logEvents: logCounts[cause] ?? 0))
        }
        return out.sorted { a, b in
            if (a.status == .active) != (b.status == .active) { return a.status == .active }
            // Nothing reaches the port: every TLS symptom of that port follows from it, so it comes first.
            if Self.explainsOthers(a) != Self.explainsOthers(b) { return Self.explainsOthers(a) }
            if a.severity != b.severity { return a.severity > b.severity }
            if a.sources.count != b.sources.count { return a.sources.count > b.sources.count }
            if a.confidence != b.confidence { return a.confidence > b.confidence }
            if a.logEvents != b.logEvents { return a.logEvents > b.logEvents }
            return a.cause < b.cause
        }
    }

    /// A critical `port_not_listening` or `port_filtered`: no sender reaches the service at all.
    static func explainsOthers(_ d: Diagnosis) -> Bool {
        d.status == .active && d.severity == .critical && (d.cause == .portNotListening || d.cause == .portFiltered)
    }

    /// What evidence would settle a diagnosis that rests on too little; in Dovecot's terms when it rests on
    /// Dovecot's evidence alone.
    static func settle(_ cause: Cause, sources: Set<Evidence.Source>, dovecot: Bool, logsRead: Bool) -> String {
        if sources == [.log] {
            let rows = dovecot ? settleDovecotFromLogs : settleFromLogs
            return (rows.first { $0.causes.contains(cause) } ?? rows[rows.count - 1]).text
        }
        if sources.contains(.tlsrpt), !sources.contains(.log) {
            // A sender's report is a real peer's failure; whether the logs show it is said in the notes already.
            return cause == .reportedNotSeenLocally ? ""
                : "Settle it: a sender's report is evidence from outside; `postls diagnose --domain YOUR-DOMAIN` checks the MX, MTA-STS and TLSA it names against what the server serves."
        }
        if !sources.contains(.log) && !logsRead {
            // Nothing was read, so nothing can be said of the logs.
            return "No mail log was read: whether this has hurt \(dovecot ? "a mail client" : "a real peer") is unknown (give the log with --log FILE)."
        }
        if !sources.contains(.log) {
            return (dovecot ? "Dovecot's logs" : "The logs")
                + " show no failure for this yet: it may not have hurt \(dovecot ? "a mail client" : "a real peer") (or the logs read did not cover the time)."
        }
        return ""
    }

    /// For a diagnosis from the logs alone: what to run next, by cause; the last row (no causes) for any other.
    static let settleFromLogs: [(causes: [Cause], text: String)] = [
        ([.protocolMismatch, .noSharedCipher],
         "Settle it: `postls probe` this server, and compare the failing peers' offer (they are in the log) with smtpd_tls_protocols/ciphers."),
        ([.untrustedCertificate, .incompleteChain, .expiredCertificate, .nameMismatch],
         "Settle it: `postls probe --name YOUR-MX-NAME` shows the chain peers see and its verify code."),
        ([.peerAborted, .unclassified], "Settle it: raise smtpd_tls_loglevel to 2 for a while to see where the handshake stops."),
        ([.plaintextOnTLSPort],
         "This is the client's side: find the client by its address in the log and set it to implicit TLS (\"SSL/TLS\") on 465, or STARTTLS on 587."),
        ([.tlsOnPlaintextPort],
         "This is the client's side: the client starts TLS at once on a STARTTLS port; set it to STARTTLS on 25/587, or use 465 for implicit TLS."),
        ([], "Settle it: run `postls diagnose` with both the probe and the logs."),
    ]

    /// The same for Dovecot's logs alone, in Dovecot's terms.
    static let settleDovecotFromLogs: [(causes: [Cause], text: String)] = [
        ([.protocolMismatch, .noSharedCipher],
         "Settle it: `openssl s_client -connect THIS-HOST:993 -tls1_2` shows whether Dovecot accepts what the clients offer; compare with ssl_min_protocol and ssl_cipher_list (`doveconf -n`)."),
        ([.untrustedCertificate, .incompleteChain, .expiredCertificate, .nameMismatch],
         "Settle it: `openssl s_client -connect THIS-HOST:993 -servername THIS-HOST` shows the chain mail clients see."),
        ([.keyMismatch, .certificateUnreadable, .dhParameters],
         "Settle it: `doveconf -n` names the file and line Dovecot cannot load; `postls diagnose --dovecot-config FILE` checks the files."),
        ([], "Settle it: raise Dovecot's verbose_ssl = yes for a while to see where the handshake stops."),
    ]
}
