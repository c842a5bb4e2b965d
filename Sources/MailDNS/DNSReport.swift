import Foundation
import PostlsCore
import TLSKit

/// A finding of the DNS engine: always one of the cause ids of causes.md.
public struct DNSFinding: Sendable, Equatable, Encodable {
    public var cause: Cause
    public var severity: Severity
    public var message: String
    /// What it is about: "mx", "tlsa", "mta_sts", "dnssec", "lookup".
    public var topic: String
    /// The MX host concerned, when there is one.
    public var host: String?

    public init(cause: Cause, severity: Severity, message: String, topic: String, host: String? = nil) {
        self.cause = cause; self.severity = severity; self.message = message; self.topic = topic; self.host = host
    }

    enum CodingKeys: String, CodingKey { case cause, severity, message, topic, host }
    public func encode(to encoder: Encoder) throws {
        try encoder.encode(fields: [CodingKeys.cause: cause, .severity: severity, .message: message, .topic: topic, .host: host])
    }
}

/// The certificate an MX served, as the DNS view needs it.
public struct MXCertificateReport: Sendable, Equatable, Encodable {
    public var sha256: String
    public var spkiSHA256: String
    public var names: [String]
    public var coversHost: Bool
    public var notAfter: Date
    public var verify: VerifyResult
    /// The address that served it.
    public var address: String

    enum CodingKeys: String, CodingKey { case sha256, spkiSHA256 = "spki_sha256", names, coversHost = "covers_host", notAfter = "not_after", verify, address }
}

public struct TLSAReport: Sendable, Equatable, Encodable {
    /// "3 1 1 hex", as published.
    public var records: [String]
    /// DNSSEC-validated (AD): only then do senders use DANE.
    public var validated: Bool
    /// A usable record matches the served chain; nil when no chain was served.
    public var matches: Bool?
    public var dnssec: DNSSECStatus
    /// A usable record pins the key on disk (`DNSCheckOptions.onDiskKeyDER`); nil when no key on disk was given.
    /// With `matches` it tells a rollover in progress (both pinned) from a stale record (neither) and from records
    /// published ahead of a reload (the key on disk pinned, the served one not).
    public var onDiskKeyPinned: Bool?

    public init(records: [String], validated: Bool, matches: Bool?, dnssec: DNSSECStatus, onDiskKeyPinned: Bool? = nil) {
        self.records = records; self.validated = validated; self.matches = matches; self.dnssec = dnssec
        self.onDiskKeyPinned = onDiskKeyPinned
    }

    enum CodingKeys: String, CodingKey { case records, validated, matches, dnssec, onDiskKeyPinned = "on_disk_key_pinned" }
    public func encode(to encoder: Encoder) throws {
        try encoder.encode(fields: [CodingKeys.records: records, .validated: validated, .matches: matches, .dnssec: dnssec, .onDiskKeyPinned: onDiskKeyPinned])
    }
}

public struct PTRReport: Sendable, Equatable, Encodable {
    public var address: String
    public var names: [String]
    /// A PTR name resolves back to the address (forward-confirmed reverse DNS).
    public var forwardConfirmed: Bool
    enum CodingKeys: String, CodingKey { case address, names, forwardConfirmed = "forward_confirmed" }
}

public struct MXReport: Sendable, Encodable {
    public var host: String
    public var preference: Int
    public var addresses: [String]
    public var dnssec: DNSSECStatus
    public var certificate: MXCertificateReport?
    public var tlsa: TLSAReport?
    public var ptr: [PTRReport]
    /// Why the certificate is missing, when it is.
    public var probeError: String?
    /// The chain as served (not encoded; for callers joining with other engines).
    public var servedChain: [Certificate] = []

    enum CodingKeys: String, CodingKey { case host, preference, addresses, dnssec, certificate, tlsa, ptr, probeError = "probe_error" }
    public func encode(to encoder: Encoder) throws {
        try encoder.encode(fields: [CodingKeys.host: host, .preference: preference, .addresses: addresses, .dnssec: dnssec,
                                    .certificate: certificate, .tlsa: tlsa, .ptr: ptr, .probeError: probeError])
    }
}

public struct MTASTSReport: Sendable, Equatable, Encodable {
    public var txt: String?
    public var policy: MTASTSPolicy?
    /// Every MX is matched by an mx pattern; nil without a policy.
    public var mxCovered: Bool?
    public var uncoveredMX: [String]
    public var error: String?

    enum CodingKeys: String, CodingKey { case txt, policy, mxCovered = "mx_covered", uncoveredMX = "uncovered_mx", error }
    public func encode(to encoder: Encoder) throws {
        try encoder.encode(fields: [CodingKeys.txt: txt, .policy: policy, .mxCovered: mxCovered, .uncoveredMX: uncoveredMX, .error: error])
    }
}

/// One lookup as it went: every name and type asked, with its DNSSEC status (the audit trail of a report).
public struct LookupSummary: Sendable, Equatable, Encodable {
    public var name: String
    public var type: String
    /// "records", "nodata", "nxdomain", "servfail", "refused", "cname_loop", "failed"
    public var result: String
    public var dnssec: DNSSECStatus
    public var records: [String]
    public var cnames: [String]
    public var error: String?

    public init(_ r: DNSLookupResult) {
        name = r.name.description
        type = r.type.description
        switch r.outcome {
        case .records: result = "records"
        case .noData: result = "nodata"
        case .nameError: result = "nxdomain"
        case .serverFailure(let code): result = code == .refused ? "refused" : code == .serverFailure ? "servfail" : code.description.lowercased()
        case .cnameLoop: result = "cname_loop"
        case .failed: result = "failed"
        }
        dnssec = r.dnssec
        records = r.records.map { Self.presentation($0.data) }
        cnames = r.cnames.map(\.description)
        error = r.problem
    }

    static func presentation(_ data: DNSRecordData) -> String {
        switch data {
        case .a(let s), .aaaa(let s): return s
        case .cname(let n), .ptr(let n), .ns(let n): return n.absolute
        case .mx(let p, let x): return "\(p) \(x.absolute)"
        case .txt: return data.joinedText ?? ""
        case .tlsa(let t): return t.description
        case .other(let bytes): return "\\# \(bytes.count) " + hex(bytes)
        }
    }

    enum CodingKeys: String, CodingKey { case name, type, result, dnssec, records, cnames, error }
    public func encode(to encoder: Encoder) throws {
        try encoder.encode(fields: [CodingKeys.name: name, .type: type, .result: result, .dnssec: dnssec, .records: records, .cnames: cnames, .error: error])
    }
}

/// Everything `postls dns DOMAIN` reports (docs/json/dns.schema.json); field names are a contract.
public struct DNSReport: Sendable, Encodable {
    public var domain: String
    public var resolver: String
    public var dnssec: DNSSECStatus
    public var mx: [MXReport]
    public var mtaSTS: MTASTSReport?
    public var tlsRPT: String?
    public var spf: String?
    public var dmarc: String?
    /// Selector -> record (nil: none found), in selector order.
    public var dkim: [(selector: String, record: String?)]
    public var findings: [DNSFinding]
    /// Context that is not a TLS cause: SPF, DMARC, DKIM, TLS-RPT, PTR, MTA-STS mode remarks.
    public var context: [DNSNote]
    /// Records to publish (fixes of kind `dns_record`).
    public var suggestions: [RecordSuggestion]
    /// Every lookup made, in a stable order, with its DNSSEC status.
    public var lookups: [LookupSummary] = []
    public var elapsedMS: Int

    /// The worst severity among the findings.
    public var worstSeverity: Severity? { findings.map(\.severity).max() }

    enum CodingKeys: String, CodingKey {
        case domain, resolver, dnssec, mx, mtaSTS = "mta_sts", tlsRPT = "tls_rpt", spf, dmarc, dkim, findings, context, suggestions, lookups, elapsedMS = "elapsed_ms"
    }

    struct SelectorKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(fields: [.domain: domain, .resolver: resolver, .dnssec: dnssec, .mx: mx, .mtaSTS: mtaSTS, .tlsRPT: tlsRPT,
                              .spf: spf, .dmarc: dmarc])
        var d = c.nestedContainer(keyedBy: SelectorKey.self, forKey: .dkim)
        for entry in dkim { try d.encode(entry.record, forKey: SelectorKey(stringValue: entry.selector)) }
        try c.encode(fields: [.findings: findings, .context: context, .suggestions: suggestions, .lookups: lookups, .elapsedMS: elapsedMS])
    }

    /// JSON as `postls dns --json` prints it (ISO-8601 dates, sorted keys).
    public func jsonData() throws -> Data {
        try ContractJSON.encode(self)
    }
}
