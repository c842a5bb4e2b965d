/// Root causes: the project's vocabulary (docs/CAUSES.md; docs/json/common.schema.json lists the same ids). Raw values are a contract.
public enum Cause: String, Codable, CaseIterable, Sendable, Comparable {
    // Inbound
    case portNotListening = "port_not_listening"
    case portFiltered = "port_filtered"
    case protocolMismatch = "protocol_mismatch"
    case noSharedCipher = "no_shared_cipher"
    case plaintextOnTLSPort = "plaintext_on_tls_port"
    case tlsOnPlaintextPort = "tls_on_plaintext_port"
    case untrustedCertificate = "untrusted_certificate"
    case incompleteChain = "incomplete_chain"
    case expiredCertificate = "expired_certificate"
    case nameMismatch = "name_mismatch"
    case keyMismatch = "key_mismatch"
    case certificateUnreadable = "certificate_unreadable"
    case staleCertificate = "stale_certificate"
    case weakCertificate = "weak_certificate"
    case dhParameters = "dh_parameters"
    case starttlsUnavailable = "starttls_unavailable"
    case tlsRequiredOnMX = "tls_required_on_mx"
    case sniMisconfiguration = "sni_misconfiguration"
    case handshakeTimeout = "handshake_timeout"
    case peerAborted = "peer_aborted"
    case unsupportedSetting = "unsupported_setting"
    case tlsTableError = "tls_table_error"
    case tlsEngineFailure = "tls_engine_failure"
    case dovecotConfigPre24 = "dovecot_config_pre_2_4"
    case reportedNotSeenLocally = "reported_not_seen_locally"
    // Outbound
    case remoteCertificateUnverified = "remote_certificate_unverified"
    case remoteCertificateExpired = "remote_certificate_expired"
    case remoteNameMismatch = "remote_name_mismatch"
    case remoteTLSUnavailable = "remote_tls_unavailable"
    case remoteHandshakeFailure = "remote_handshake_failure"
    case wrappermodeMismatch = "wrappermode_mismatch"
    case clientPolicyLeak = "client_policy_leak"
    // DNS
    case daneMismatch = "dane_mismatch"
    case dnssecInsecure = "dnssec_insecure"
    case dnssecBogus = "dnssec_bogus"
    case mtaSTSMismatch = "mta_sts_mismatch"
    // Always available
    case unclassified = "unclassified"

    public static func < (lhs: Cause, rhs: Cause) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Which side of the mail flow the cause concerns.
    public var direction: Direction {
        switch self {
        case .remoteCertificateUnverified, .remoteCertificateExpired, .remoteNameMismatch, .remoteTLSUnavailable, .remoteHandshakeFailure,
             .wrappermodeMismatch, .clientPolicyLeak:
            return .outbound
        case .daneMismatch, .dnssecInsecure, .dnssecBogus, .mtaSTSMismatch:
            return .dns
        default:
            return .inbound
        }
    }

    public enum Direction: String, Sendable { case inbound, outbound, dns }
}

/// How bad a finding or diagnosis is. Ordered: critical is the most important.
public enum Severity: String, Codable, CaseIterable, Sendable, Comparable {
    case info, warning, critical

    private var rank: Int { switch self { case .info: 0; case .warning: 1; case .critical: 2 } }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }

    /// The severity as the text outputs print it: upper case in eight columns; with `color`, red, yellow or
    /// cyan (critical always bold, the others when `bold`).
    public func label(color: Bool, bold: Bool) -> String {
        let text = rawValue.uppercased() + String(repeating: " ", count: max(0, 8 - rawValue.count))
        guard color else { return text }
        let code: String
        switch self {
        case .critical: code = "1;31"
        case .warning: code = bold ? "1;33" : "33"
        case .info: code = bold ? "1;36" : "36"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}

/// How sure a classification or diagnosis is.
public enum Confidence: String, Codable, CaseIterable, Sendable, Comparable {
    case low, medium, high

    private var rank: Int { switch self { case .low: 0; case .medium: 1; case .high: 2 } }
    public static func < (lhs: Confidence, rhs: Confidence) -> Bool { lhs.rank < rhs.rank }
}
