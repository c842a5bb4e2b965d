import PostlsCore

// The wizard's own view of engine results. The engines are separate targets; small adapters (in the
// executable) fill these from their types, so screens and the reducer never depend on engine internals.

/// One listener (a master.cf service on one address) as the probe saw it.
public struct ListenerStatus: Sendable, Hashable, Codable {
    public enum Family: String, Sendable, Hashable, Codable { case ipv4, ipv6 }
    /// STARTTLS after EHLO (25, 587) or TLS from the first byte (465).
    public enum Mode: String, Sendable, Hashable, Codable { case starttls, implicit }

    public var service: String
    public var port: Int
    public var address: String
    public var family: Family
    public var mode: Mode
    /// nil until probed; false when no TLS session could be set up.
    public var tlsOK: Bool?
    public var protocolVersion: String?
    public var cipher: String?
    /// OpenSSL's X509 verify result (0 ok) and its text.
    public var verifyCode: Int?
    public var verifyMessage: String?
    public var daysToExpiry: Int?
    /// connect, greeting, ehlo, starttls or handshake.
    public var errorPhase: String?
    public var errorMessage: String?
    public var cause: Cause?
    /// Which TLS versions the listener accepted ("TLSv1" ... "TLSv1.3": true accepted, false
    /// rejected); versions not tested are absent.
    public var protocolSupport: [String: Bool]
    /// What each named sender (docs/SENDERS.md) would do with mail for this listener; nil when the probe ran none
    /// (`--as none`, or a bundle written before senders existed).
    public var senders: [SenderStatus]?

    // Support bundles (docs/json/bundle.schema.json) spell fields as every contract does.
    enum CodingKeys: String, CodingKey {
        case service, port, address, family, mode, tlsOK = "tls_ok", protocolVersion = "protocol_version", cipher
        case verifyCode = "verify_code", verifyMessage = "verify_message", daysToExpiry = "days_to_expiry"
        case errorPhase = "error_phase", errorMessage = "error_message", cause, protocolSupport = "protocol_support", senders
    }

    public init(service: String, port: Int, address: String, family: Family = .ipv4, mode: Mode = .starttls,
                tlsOK: Bool? = nil, protocolVersion: String? = nil, cipher: String? = nil,
                verifyCode: Int? = nil, verifyMessage: String? = nil, daysToExpiry: Int? = nil,
                errorPhase: String? = nil, errorMessage: String? = nil, cause: Cause? = nil,
                protocolSupport: [String: Bool] = [:], senders: [SenderStatus]? = nil) {
        self.service = service; self.port = port; self.address = address; self.family = family; self.mode = mode
        self.tlsOK = tlsOK; self.protocolVersion = protocolVersion; self.cipher = cipher
        self.verifyCode = verifyCode; self.verifyMessage = verifyMessage; self.daysToExpiry = daysToExpiry
        self.errorPhase = errorPhase; self.errorMessage = errorMessage; self.cause = cause
        self.protocolSupport = protocolSupport; self.senders = senders
    }

    /// Where other domains' MTAs deliver: port 25, or master.cf's `smtp` service moved to another port.
    public var isMX: Bool { port == 25 || service == "smtp" }

    /// Named senders that would not deliver over TLS here (plaintext or defer).
    public var sendersWithoutTLS: [SenderStatus] { (senders ?? []).filter { $0.outcome != .tls } }

    /// What an admin needs first: does TLS work here, and can peers verify the certificate.
    public enum Health: Sendable, Hashable { case notProbed, ok, warning, failed }

    public var health: Health {
        guard let tlsOK else { return .notProbed }
        if !tlsOK { return .failed }
        if let code = verifyCode, code != 0 { return .warning }
        if let days = daysToExpiry, days < 14 { return .warning }
        return .ok
    }
}

/// One named sender's verdict for one listener, as the Probe step shows it: an approximation of a real MTA.
public struct SenderStatus: Sendable, Hashable, Codable {
    /// What the sender does with the mail: delivers over TLS, in plaintext after a failed or missing TLS, or defers.
    public enum Outcome: String, Sendable, Hashable, Codable { case tls, plaintext, `defer` }

    /// The profile id (`postls probe --as ID`), e.g. "gmail", "legacy".
    public var id: String
    /// The profile's short name, e.g. "Microsoft 365".
    public var label: String
    public var outcome: Outcome
    /// Version and cipher of the sender's handshake when it completed.
    public var `protocol`: String?
    public var cipher: String?
    /// The policy the sender applied: "none", "mta-sts", "dane".
    public var policy: String
    public var reasons: [String]

    public init(id: String, label: String, outcome: Outcome, protocol: String? = nil, cipher: String? = nil,
                policy: String = "none", reasons: [String] = []) {
        self.id = id; self.label = label; self.outcome = outcome; self.protocol = `protocol`; self.cipher = cipher
        self.policy = policy; self.reasons = reasons
    }

    /// "TLS", "plaintext", "defer": a word on screen, never colour alone.
    public var outcomeWord: String { outcome == .tls ? "TLS" : outcome.rawValue }
}

extension [ListenerStatus] {
    /// The named senders that would not deliver over TLS to an MX listener (port 25, or master.cf's `smtp` service on
    /// another port), one entry per sender and outcome with the listeners ("smtp 25", once for all its addresses), in
    /// the listeners' and profiles' order.
    public var mxSendersWithoutTLS: [(sender: String, outcome: SenderStatus.Outcome, listeners: [String])] {
        var out: [(sender: String, outcome: SenderStatus.Outcome, listeners: [String])] = []
        for l in self where l.isMX {
            for v in l.sendersWithoutTLS {
                let name = "\(l.service) \(l.port)"
                if let i = out.firstIndex(where: { $0.sender == v.id && $0.outcome == v.outcome }) {
                    if !out[i].listeners.contains(name) { out[i].listeners.append(name) }
                } else {
                    out.append((v.id, v.outcome, [name]))
                }
            }
        }
        return out
    }
}

/// A config lint finding, at file and line.
public struct ConfigFindingRow: Sendable, Hashable, Codable {
    public var severity: Severity
    public var cause: Cause
    public var file: String
    public var line: Int?
    public var parameter: String?
    public var message: String

    public init(severity: Severity, cause: Cause, file: String, line: Int?, parameter: String?, message: String) {
        self.severity = severity; self.cause = cause; self.file = file; self.line = line
        self.parameter = parameter; self.message = message
    }

    /// "main.cf:12" or "main.cf".
    public var location: String { line.map { "\(file):\($0)" } ?? file }
}

/// One effective TLS setting of one service.
public struct ConfigSettingRow: Sendable, Hashable, Codable {
    public var service: String
    public var parameter: String
    public var value: String
    /// "main.cf:12", "master.cf:17 (-o)" or "default".
    public var source: String

    public init(service: String, parameter: String, value: String, source: String) {
        self.service = service; self.parameter = parameter; self.value = value; self.source = source
    }
}

/// One failed TLS session from the mail log.
public struct LogEventRow: Sendable, Hashable, Codable {
    public var time: String
    public var peerName: String?
    public var peerAddress: String?
    public var service: String
    public var cause: Cause
    public var confidence: Confidence
    /// The raw log lines of the session, as logged (with "file:line: " when known).
    public var lines: [String]

    enum CodingKeys: String, CodingKey { case time, peerName = "peer_name", peerAddress = "peer_address", service, cause, confidence, lines }

    public init(time: String, peerName: String?, peerAddress: String?, service: String, cause: Cause,
                confidence: Confidence, lines: [String]) {
        self.time = time; self.peerName = peerName; self.peerAddress = peerAddress; self.service = service
        self.cause = cause; self.confidence = confidence; self.lines = lines
    }

    /// "mx.example.net[192.0.2.7]" the way Postfix writes peers.
    public var peer: String {
        switch (peerName, peerAddress) {
        case let (n?, a?): "\(n)[\(a)]"
        case let (n?, nil): n
        case let (nil, a?): "unknown[\(a)]"
        default: "-"
        }
    }

    /// Lowercased text that `/` search looks in.
    public var searchKey: String {
        ([time, peer, service, cause.rawValue] + lines).joined(separator: "\n").lowercased()
    }
}

/// Totals from reading the logs.
public struct LogTotals: Sendable, Hashable {
    public var linesRead: Int
    public var linesSkipped: Int
    public var byCause: [Cause: Int]
    public var tlsEstablished: [String: Int]
    public var sources: [String]
    /// Failed sessions that were postls's own earlier probes, not counted in `byCause` (said on screen, not hidden).
    public var ownProbes: Int
    /// Next hops the smtp/lmtp client reached with TLS or failed to, and of those the ones with failed attempts.
    public var outboundHops: Int
    public var outboundFailingHops: Int

    public init(linesRead: Int = 0, linesSkipped: Int = 0, byCause: [Cause: Int] = [:],
                tlsEstablished: [String: Int] = [:], sources: [String] = [], ownProbes: Int = 0,
                outboundHops: Int = 0, outboundFailingHops: Int = 0) {
        self.linesRead = linesRead; self.linesSkipped = linesSkipped; self.byCause = byCause
        self.tlsEstablished = tlsEstablished; self.sources = sources; self.ownProbes = ownProbes
        self.outboundHops = outboundHops; self.outboundFailingHops = outboundFailingHops
    }

    public var failures: Int { byCause.values.reduce(0, +) }
}

/// A diagnosis: cause, how bad, how sure, and the evidence behind it.
public struct DiagnosisRow: Sendable, Hashable, Codable {
    public var cause: Cause
    public var severity: Severity
    public var confidence: Confidence
    public var summary: String
    public var evidence: [String]
    public var fixIDs: [String]

    enum CodingKeys: String, CodingKey { case cause, severity, confidence, summary, evidence, fixIDs = "fix_ids" }

    public init(cause: Cause, severity: Severity, confidence: Confidence, summary: String, evidence: [String], fixIDs: [String]) {
        self.cause = cause; self.severity = severity; self.confidence = confidence; self.summary = summary
        self.evidence = evidence; self.fixIDs = fixIDs
    }

    /// The Overview's glimpse of the evidence: the first line of each kind (config, probe, log, ...) in order, at
    /// most `limit`. A fixed, small count keeps a move in the Problems list cheap over SSH (the Fixes step shows all).
    public func evidencePreview(limit: Int) -> [String] {
        var kinds: Set<Substring> = []
        var out: [String] = []
        for line in evidence where out.count < limit {
            let kind = line.prefix { $0 != " " }
            if kinds.insert(kind).inserted { out.append(line) }
        }
        return out
    }
}

/// What senders reported (`--tlsrpt`), as the Overview's "Reported by senders" section shows it.
public struct SenderReportsRow: Sendable, Hashable, Codable {
    /// "2 reports from Google Inc., Microsoft Corporation: 94 successful, 13 failed sessions"
    public var headline: String
    /// One line per failure detail: cause, count, result type, sender, and what the local logs hold of it.
    public var lines: [String]
    /// Failure details the local logs do not show (the vantage-point limit).
    public var notSeenLocally: Int

    enum CodingKeys: String, CodingKey { case headline, lines, notSeenLocally = "not_seen_locally" }

    public init(headline: String, lines: [String], notSeenLocally: Int) {
        self.headline = headline; self.lines = lines; self.notSeenLocally = notSeenLocally
    }
}

/// A fix the wizard can show and (for config edits, files and commands) apply.
public struct FixRow: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable { case configEdit = "config_edit", command, dnsRecord = "dns_record", file }

    public var id: String
    public var title: String
    public var kind: Kind
    public var diff: String?
    public var commands: [String]
    /// One line on who is affected, e.g. "3 peers in the log used TLSv1; they would fall back to plaintext".
    public var impact: String
    /// Whether postls can carry the fix out itself; commands for the admin (a CSR, client settings) are not.
    public var runsItself: Bool

    /// A DNS fix's records, as lines to paste into a zone file.
    public var records: [String]
    /// The fix is `postls setup`: the wizard runs it as its Setup step.
    public var opensSetup = false

    enum CodingKeys: String, CodingKey {
        case id, title, kind, diff, commands, impact, runsItself = "runs_itself", records, opensSetup = "opens_setup"
    }

    public init(id: String, title: String, kind: Kind, diff: String?, commands: [String], impact: String, runsItself: Bool = true,
                records: [String] = []) {
        self.id = id; self.title = title; self.kind = kind; self.diff = diff; self.commands = commands; self.impact = impact
        self.runsItself = runsItself; self.records = records
    }

    /// DNS changes happen at the DNS provider, and some fixes are commands for the admin: postls only shows them.
    public var isApplicable: Bool { kind != .dnsRecord && runsItself }
}

public enum ApplyStepStatus: String, Sendable, Hashable, Codable { case pending, running, done, failed, skipped }

/// One step of applying a fix: backup, write, check, reload, re-probe (or rollback's steps).
public struct ApplyStepRow: Sendable, Hashable, Codable {
    public var id: String
    public var label: String
    public var status: ApplyStepStatus
    public var detail: String

    public init(id: String, label: String, status: ApplyStepStatus = .pending, detail: String = "") {
        self.id = id; self.label = label; self.status = status; self.detail = detail
    }

    /// The steps of an apply, in order; the runner reports progress by these ids.
    public static let standardSteps: [ApplyStepRow] = [
        ApplyStepRow(id: "backup", label: "Back up the files"),
        ApplyStepRow(id: "write", label: "Write the change"),
        ApplyStepRow(id: "check", label: "postfix check"),
        ApplyStepRow(id: "reload", label: "postfix reload"),
        ApplyStepRow(id: "reprobe", label: "Probe again"),
    ]

    /// The steps of applying first-time setup (`Setup.apply`: files, the safe apply of the edits, reload, probe).
    public static let setupSteps: [ApplyStepRow] = [
        ApplyStepRow(id: "files", label: "Create the certificate files"),
        ApplyStepRow(id: "write", label: "Back up, write, postfix check"),
        ApplyStepRow(id: "reload", label: "postfix reload"),
        ApplyStepRow(id: "reprobe", label: "Probe every listener"),
    ]
}

/// The DNS step's view of a mail domain: its MX hosts (which one is this server), their TLSA records against the
/// served key and the key on disk, MTA-STS and TLS-RPT, the findings and the records to publish.
public struct DNSView: Sendable, Hashable, Codable {
    /// How a line reads at a glance (words on screen, never colour alone).
    public enum Mark: String, Sendable, Hashable, Codable { case ok = "OK", warning = "WARN", critical = "CRIT", none = "-" }

    public struct Line: Sendable, Hashable, Codable {
        public var mark: Mark
        public var label: String
        public var text: String
        public init(_ mark: Mark, _ label: String, _ text: String) { self.mark = mark; self.label = label; self.text = text }
    }

    public struct MX: Sendable, Hashable, Codable {
        public var host: String
        public var preference: Int
        public var addresses: [String]
        public var isThisServer: Bool
        /// The certificate the MX served and the TLSA state, one line each.
        public var lines: [Line]
        enum CodingKeys: String, CodingKey { case host, preference, addresses, isThisServer = "is_this_server", lines }
        public init(host: String, preference: Int, addresses: [String], isThisServer: Bool, lines: [Line]) {
            self.host = host; self.preference = preference; self.addresses = addresses; self.isThisServer = isThisServer; self.lines = lines
        }
    }

    public struct Finding: Sendable, Hashable, Codable {
        public var severity: Severity
        public var cause: Cause
        public var message: String
        public init(severity: Severity, cause: Cause, message: String) { self.severity = severity; self.cause = cause; self.message = message }
    }

    public var domain: String
    public var resolver: String
    /// "secure", "insecure", "bogus"…: whether DANE applies at all.
    public var dnssec: String
    public var mx: [MX]
    /// MTA-STS and TLS-RPT, one line each.
    public var policies: [Line]
    public var findings: [Finding]
    /// Every suggested record, ready to paste into a zone file.
    public var records: [String]

    public init(domain: String, resolver: String, dnssec: String, mx: [MX], policies: [Line], findings: [Finding], records: [String]) {
        self.domain = domain; self.resolver = resolver; self.dnssec = dnssec; self.mx = mx; self.policies = policies
        self.findings = findings; self.records = records
    }
}
