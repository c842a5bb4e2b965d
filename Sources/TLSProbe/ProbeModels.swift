import Foundation
import PostlsCore
import TLSKit

/// How a listener starts TLS: STARTTLS after EHLO (25, 587) or a handshake right after connect (465, wrapper mode).
public enum ProbeMode: String, Codable, Sendable {
    case starttls
    case implicit
}

/// The step of the SMTP/TLS dialogue a probe was in when it stopped (the contract's `error.phase`).
public enum ProbePhase: String, Codable, Sendable {
    case connect, greeting, ehlo, starttls, handshake
}

/// Whether a listener accepted a TLS version when offered only that version.
public enum ProtocolStatus: String, Codable, Sendable {
    case accepted, rejected, untested
}

/// One listener to probe: a host as the user named it, one of its addresses, a port and a mode.
public struct ProbeTarget: Sendable, Hashable {
    /// The name or literal the user gave (shown and used for SNI).
    public var host: String
    public var address: SocketAddress
    public var mode: ProbeMode
    /// The name the certificate must cover; nil when there is none to check (a literal address without --name).
    public var expectedName: String?
    /// Whether other mail servers deliver here, so that the named senders' handshakes mean something. A
    /// submission listener (587, or implicit TLS on 465) serves mail clients: no MTA delivers there, and a
    /// failed handshake there is no "fallback to plaintext".
    public var isMX: Bool

    public init(host: String, address: SocketAddress, mode: ProbeMode, expectedName: String?, isMX: Bool = true) {
        self.host = host; self.address = address; self.mode = mode; self.expectedName = expectedName; self.isMX = isMX
    }

    /// A submission port by its number and mode alone (when nothing else says what the listener is for).
    public var looksLikeSubmission: Bool { mode == .implicit || port == 587 }

    public var port: UInt16 { address.port }

    /// The SNI name sent: the expected name, else the host unless it is a literal address.
    public var serverName: String? {
        if let expectedName { return expectedName }
        return SocketAddress(ip: host, port: 0) == nil ? host : nil
    }

    /// 465 is implicit TLS, every other port STARTTLS, unless the caller says otherwise.
    public static func defaultMode(port: UInt16, implicitPorts: Set<UInt16> = [], starttlsPorts: Set<UInt16> = []) -> ProbeMode {
        if implicitPorts.contains(port) { return .implicit }
        if starttlsPorts.contains(port) { return .starttls }
        return port == 465 ? .implicit : .starttls
    }
}

/// Tunables of a probe run. Defaults suit a probe of one's own server from the server itself.
public struct ProbeOptions: Sendable {
    /// Deadline of each phase (connect, greeting, EHLO, STARTTLS, handshake), seconds.
    public var phaseTimeout: Double
    /// Deadline of everything done for one listener, seconds (default: four phases' worth).
    public var listenerTimeout: Double
    /// The name sent in EHLO.
    public var ehloName: String
    /// Trust anchors for the verify result.
    public var trust: TrustAnchors
    /// Enumerate accepted cipher suites per version (many connections).
    public var enumerateCiphers: Bool
    /// At most this many connections open at once across all targets.
    public var maxConnections: Int
    /// Compare the chain served without SNI with the one served with SNI (one extra connection).
    public var checkWithoutSNI: Bool
    /// Limits for one reply: an endless multi-line reply is an error, never a hang.
    public var maxReplyLines: Int
    public var maxReplyBytes: Int
    /// Pause before retrying a connection answered with 421 (the server limits connections).
    public var backoffAfter421: Double
    /// Try each protocol version on its own. Off, only the default handshake is made: a monitoring check then
    /// leaves no refused TLS 1.0/1.1 handshakes in the server's log for the next run to count as failures.
    public var versionMatrix: Bool = true
    /// Named senders to simulate, one handshake each at most (none where the version matrix already answers).
    public var senders: [SenderProfile] = SenderProfile.all

    public init(phaseTimeout: Double = 10, listenerTimeout: Double? = nil, ehloName: String = ProbeOptions.defaultEHLOName(),
                trust: TrustAnchors = .system, enumerateCiphers: Bool = false, maxConnections: Int = 4,
                checkWithoutSNI: Bool = true, maxReplyLines: Int = 100, maxReplyBytes: Int = 64 * 1024, backoffAfter421: Double = 1) {
        self.phaseTimeout = phaseTimeout
        self.listenerTimeout = listenerTimeout ?? phaseTimeout * 4
        self.ehloName = ehloName
        self.trust = trust
        self.enumerateCiphers = enumerateCiphers
        self.maxConnections = max(1, maxConnections)
        self.checkWithoutSNI = checkWithoutSNI
        self.maxReplyLines = maxReplyLines
        self.maxReplyBytes = maxReplyBytes
        self.backoffAfter421 = backoffAfter421
    }

    /// This machine's name when it is fully qualified, else a syntactically valid placeholder
    /// (`reject_non_fqdn_helo_hostname` would refuse a bare name).
    public static func defaultEHLOName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        if gethostname(&buffer, buffer.count) == 0 {
            let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if name.contains("."), !name.hasSuffix(".") { return name }
        }
        return "postls-probe.invalid"
    }
}

/// What was negotiated (contract: `negotiated`).
public struct NegotiatedTLS: Codable, Sendable, Equatable {
    public var `protocol`: String
    public var cipher: String
    public var group: String?

    public init(protocol: String, cipher: String, group: String?) {
        self.protocol = `protocol`; self.cipher = cipher; self.group = group
    }

    /// Group names as Postfix logs them ("key-exchange X25519"), so probe results and log lines compare equal;
    /// OpenSSL 3's SSL_group_to_name says "x25519".
    static func normalizedGroup(_ name: String?) -> String? {
        guard let name else { return nil }
        switch name.lowercased() {
        case "x25519": return "X25519"
        case "x448": return "X448"
        default: return name
        }
    }

    enum CodingKeys: String, CodingKey { case `protocol`, cipher, group }

    public func encode(to encoder: Encoder) throws {
        try encoder.encode(fields: [CodingKeys.protocol: `protocol`, .cipher: cipher, .group: group])
    }
}

/// One served certificate (contract: `chain[]`), plus a few derived fields.
public struct ServedCertificate: Codable, Sendable, Equatable {
    public var subject: String
    public var issuer: String
    public var san: [String]
    /// ISO-8601
    public var notBefore: String
    public var notAfter: String
    /// "RSA 2048", "EC 256 (prime256v1)"
    public var key: String
    public var signature: String
    public var sha256: String
    public var keyType: String
    public var keyBits: Int
    public var daysToExpiry: Int
    public var selfIssued: Bool

    enum CodingKeys: String, CodingKey {
        case subject, issuer, san, key, signature, sha256
        case notBefore = "not_before", notAfter = "not_after", keyType = "key_type", keyBits = "key_bits"
        case daysToExpiry = "days_to_expiry", selfIssued = "self_issued"
    }

    public init(_ info: CertificateInfo, now: Date) {
        subject = info.subject; issuer = info.issuer; san = info.san
        notBefore = TimeFormat.iso8601(info.notBefore); notAfter = TimeFormat.iso8601(info.notAfter)
        key = info.key; signature = info.signature; sha256 = info.sha256
        keyType = info.keyType; keyBits = info.keyBits
        daysToExpiry = info.daysUntilExpiry(from: now); selfIssued = info.isSelfIssued
    }
}

/// Why a probe stopped (contract: `error`), with how far it got.
public struct ProbeError: Codable, Sendable, Equatable, Error {
    public var phase: ProbePhase
    public var message: String
    /// OpenSSL's handshake state when a handshake failed or stalled ("SSLv3/TLS write client hello").
    public var state: String?
    /// Bytes received on the connection before it stopped.
    public var bytesReceived: Int?
    /// A reply that ended the dialogue, e.g. "421 4.3.2 Service shutting down" or "454 4.7.0 TLS not available".
    public var reply: String?

    public init(phase: ProbePhase, message: String, state: String? = nil, bytesReceived: Int? = nil, reply: String? = nil) {
        self.phase = phase; self.message = message; self.state = state; self.bytesReceived = bytesReceived; self.reply = reply
    }

    enum CodingKeys: String, CodingKey {
        case phase, message, state, reply
        case bytesReceived = "bytes_received"
    }
}

/// One thing the probe noticed about a listener.
public struct ProbeFinding: Codable, Sendable, Equatable {
    /// Rule id, e.g. "verify_failed", "auth_before_tls".
    public var id: String
    /// Root cause id of causes.md, when one applies.
    public var cause: Cause?
    public var severity: Severity
    public var message: String

    public init(id: String, cause: Cause?, severity: Severity, message: String) {
        self.id = id; self.cause = cause; self.severity = severity; self.message = message
    }

    enum CodingKeys: String, CodingKey { case id, cause, severity, message }

    public func encode(to encoder: Encoder) throws {
        try encoder.encode(fields: [CodingKeys.id: id, .cause: cause, .severity: severity, .message: message])
    }
}

/// The result for one listener (one address and port). Field names follow docs/json/probe.schema.json (`postls probe`);
/// fields beyond the contract are additions.
public struct ListenerProbeResult: Codable, Sendable, Equatable {
    public var host: String
    public var address: String
    public var port: Int
    public var mode: ProbeMode
    /// "IPv4" or "IPv6"
    public var family: String?
    /// The greeting's first line as sent ("220 mail.example.org ESMTP Postfix").
    public var greeting: String?
    public var starttlsOffered: Bool?
    /// STARTTLS's reply line ("220 2.0.0 Ready to start TLS", "454 4.7.0 TLS not available ...").
    public var starttlsReply: String?
    /// EHLO keywords before and after TLS.
    public var capabilitiesBeforeTLS: [String]?
    public var capabilitiesAfterTLS: [String]?
    /// "TLSv1" ... "TLSv1.3"
    public var protocols: [String: ProtocolStatus]
    public var negotiated: NegotiatedTLS?
    /// Negotiated by a default handshake without SNI, and whether it served the same leaf.
    public var negotiatedWithoutSNI: NegotiatedTLS?
    public var sameChainWithoutSNI: Bool?
    public var chain: [ServedCertificate]
    /// Problems of the served order: each certificate should be issued by the next.
    public var chainOrderProblems: [String]
    public var verify: VerifyResult?
    public var expectedName: String?
    public var nameMatch: Bool?
    public var daysToExpiry: Int?
    /// With --ciphers: accepted cipher suites per version, in the server's order of choice.
    public var ciphers: [String: [String]]?
    public var error: ProbeError?
    public var findings: [ProbeFinding]
    /// Named senders' verdicts (SenderProfiles.swift): approximations, each cited in docs/SENDERS.md.
    public var profiles: [SenderVerdict]
    public var connections: Int
    public var elapsedMs: Int
    /// Milliseconds the default handshake took (ClientHello to Finished), for monitoring.
    public var handshakeMs: Double?

    public init(target: ProbeTarget) {
        self.init(host: target.host, address: target.address.ip, port: Int(target.port), mode: target.mode,
                  family: target.address.family.rawValue, expectedName: target.expectedName)
    }

    /// An empty result: every version untested, nothing served yet.
    public init(host: String, address: String, port: Int, mode: ProbeMode, family: String?, expectedName: String?) {
        self.host = host; self.address = address; self.port = port; self.mode = mode; self.family = family
        protocols = Dictionary(uniqueKeysWithValues: TLSVersion.allCases.map { ($0.rawValue, .untested) })
        chain = []; chainOrderProblems = []; self.expectedName = expectedName
        findings = []; profiles = []; connections = 0; elapsedMs = 0
    }

    /// The worst severity among the findings (nil when there are none).
    public var worstSeverity: Severity? { findings.map(\.severity).max() }

    enum CodingKeys: String, CodingKey {
        case host, address, port, mode, family, greeting, protocols, negotiated, chain, verify, error, findings, profiles, connections, ciphers
        case starttlsOffered = "starttls_offered", starttlsReply = "starttls_reply"
        case capabilitiesBeforeTLS = "capabilities_before_tls", capabilitiesAfterTLS = "capabilities_after_tls"
        case negotiatedWithoutSNI = "negotiated_without_sni", sameChainWithoutSNI = "same_chain_without_sni"
        case chainOrderProblems = "chain_order_problems", expectedName = "expected_name", nameMatch = "name_match"
        case daysToExpiry = "days_to_expiry", elapsedMs = "elapsed_ms", handshakeMs = "handshake_ms"
    }

    // Contract fields that may be null are written as null, never left out.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(fields: [.host: host, .address: address, .port: port, .mode: mode])
        try c.encodeIfPresent(family, forKey: .family)
        try c.encode(fields: [.greeting: greeting, .starttlsOffered: starttlsOffered, .starttlsReply: starttlsReply,
                              .capabilitiesBeforeTLS: capabilitiesBeforeTLS,
                              .capabilitiesAfterTLS: capabilitiesAfterTLS, .protocols: protocols,
                              .negotiated: negotiated, .negotiatedWithoutSNI: negotiatedWithoutSNI,
                              .sameChainWithoutSNI: sameChainWithoutSNI, .chain: chain,
                              .chainOrderProblems: chainOrderProblems, .verify: verify, .expectedName: expectedName,
                              .nameMatch: nameMatch, .daysToExpiry: daysToExpiry])
        try c.encodeIfPresent(ciphers, forKey: .ciphers)
        try c.encode(fields: [.error: error, .findings: findings, .profiles: profiles, .connections: connections,
                              .elapsedMs: elapsedMs, .handshakeMs: handshakeMs])
    }

    /// Status of one version.
    public func status(_ version: TLSVersion) -> ProtocolStatus { protocols[version.rawValue] ?? .untested }
}

/// The whole result of `postls probe` (contract: `{ "targets": [...] }`).
public struct ProbeReport: Codable, Sendable, Equatable {
    public var targets: [ListenerProbeResult]

    public init(targets: [ListenerProbeResult]) { self.targets = targets }

    /// Exit code per the contract: 2 when a listener has no working TLS, fails verification or is expired; 1 on warnings.
    public var exitCode: ExitCode { ExitCode(worst: targets.compactMap(\.worstSeverity).max()) }

    /// The contract's JSON (ContractJSON), without a final newline.
    public func jsonData() throws -> Data {
        try ContractJSON.encode(self)
    }

    public static func decode(_ data: Data) throws -> ProbeReport {
        try JSONDecoder().decode(ProbeReport.self, from: data)
    }
}

extension ListenerProbeResult {
    /// `127.0.0.1:25`, `[::1]:465`: the listener as logs, reports and evidence write it.
    public var endpoint: String { "\(address.contains(":") ? "[\(address)]" : address):\(port)" }
}
