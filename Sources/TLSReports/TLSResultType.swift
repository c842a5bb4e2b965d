import PostlsCore

/// A `result-type` of RFC 8460 (section 4.3; IANA "STARTTLS Validation Result Types"). A value no RFC defines is
/// kept as written, so nothing a sender reports is lost.
public struct TLSResultType: RawRepresentable, Hashable, Comparable, Sendable, Codable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    // Negotiation failures (4.3.1)
    public static let starttlsNotSupported = TLSResultType(rawValue: "starttls-not-supported")
    public static let certificateHostMismatch = TLSResultType(rawValue: "certificate-host-mismatch")
    public static let certificateExpired = TLSResultType(rawValue: "certificate-expired")
    public static let certificateNotTrusted = TLSResultType(rawValue: "certificate-not-trusted")
    public static let validationFailure = TLSResultType(rawValue: "validation-failure")
    // Policy failures: MTA-STS (4.3.2.2)
    public static let stsPolicyFetchError = TLSResultType(rawValue: "sts-policy-fetch-error")
    public static let stsPolicyInvalid = TLSResultType(rawValue: "sts-policy-invalid")
    public static let stsWebPKIInvalid = TLSResultType(rawValue: "sts-webpki-invalid")
    // Policy failures: DANE (4.3.2.1)
    public static let tlsaInvalid = TLSResultType(rawValue: "tlsa-invalid")
    public static let dnssecInvalid = TLSResultType(rawValue: "dnssec-invalid")
    public static let daneRequired = TLSResultType(rawValue: "dane-required")

    /// What each result type means in postls's cause vocabulary (docs/CAUSES.md): the one table a diagnosis
    /// joins report failures through. `validation-failure` is RFC 8460's "any other reason".
    public static let causes: [TLSResultType: Cause] = [
        .starttlsNotSupported: .starttlsUnavailable,
        .certificateHostMismatch: .nameMismatch,
        .certificateExpired: .expiredCertificate,
        .certificateNotTrusted: .untrustedCertificate,
        .validationFailure: .unclassified,
        .stsPolicyFetchError: .mtaSTSMismatch,
        .stsPolicyInvalid: .mtaSTSMismatch,
        .stsWebPKIInvalid: .mtaSTSMismatch,
        .tlsaInvalid: .daneMismatch,
        .dnssecInvalid: .dnssecBogus,
        .daneRequired: .dnssecInsecure,
    ]

    /// Failures that happen before any SMTP session with the receiving MX: the MTA-STS policy fetched over HTTPS
    /// from the policy host, and DNSSEC validation of the MX's records. The MX's own logs cannot hold them.
    public static let beforeSession: Set<TLSResultType> = [.stsPolicyFetchError, .stsPolicyInvalid, .stsWebPKIInvalid, .dnssecInvalid]

    /// Whether a failed session of this type reached the receiving MX (and may have left lines in its logs).
    public var reachesServer: Bool { !Self.beforeSession.contains(self) }

    /// The result types RFC 8460 defines.
    public static var known: [TLSResultType] { causes.keys.sorted() }

    public var isKnown: Bool { Self.causes[self] != nil }

    /// The postls cause of this result type; `unclassified` for a value no RFC defines.
    public var cause: Cause { Self.causes[self] ?? .unclassified }

    public static func < (lhs: TLSResultType, rhs: TLSResultType) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
}
