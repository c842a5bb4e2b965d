import PostlsCore

/// What a rule looks at: the signals, OpenSSL reasons, role and context of one event.
public struct EventFacts: Sendable {
    public var signals: Set<Signal>
    /// Lower-cased OpenSSL reason texts, plus free-text details (`Connection timed out`).
    public var reasons: [String]
    public var role: Role
    public var service: String?
    public var peer: Peer?

    public init(signals: Set<Signal>, reasons: [String], role: Role, service: String?, peer: Peer?) {
        self.signals = signals; self.reasons = reasons; self.role = role; self.service = service; self.peer = peer
    }

    /// The handshake started right at connect (an implicit-TLS listener such as smtps).
    public var isWrapperMode: Bool {
        service == "smtps" || signals.contains(.lostAfterConnect) || signals.contains(.wrapperModeDropped) || peer?.port == 465
    }
}

/// A condition of a rule, small enough to read as data.
public indirect enum RuleCondition: Sendable {
    case signal(Signal)
    /// An OpenSSL reason contains this text (lower case).
    case reason(String)
    case role(Role)
    case wrapperMode
    case noOpenSSLErrors
    case loopbackPeerPort(Set<Int>)
    case all([RuleCondition])
    case any([RuleCondition])
    case not(RuleCondition)

    func holds(_ f: EventFacts) -> Bool {
        switch self {
        case .signal(let s): return f.signals.contains(s)
        case .reason(let r): return f.reasons.contains { $0.utf8Contains(r) }
        case .role(let r): return f.role == r
        case .wrapperMode: return f.isWrapperMode
        case .noOpenSSLErrors: return f.reasons.isEmpty
        case .loopbackPeerPort(let ports):
            guard let p = f.peer, p.isLoopback, let port = p.port else { return false }
            return ports.contains(port)
        case .all(let cs): return cs.allSatisfy { $0.holds(f) }
        case .any(let cs): return cs.contains { $0.holds(f) }
        case .not(let c): return !c.holds(f)
        }
    }
}

/// One classification rule: the first rule whose condition holds names the cause.
public struct ClassificationRule: Sendable {
    public let id: String
    public let cause: Cause
    public let confidence: Confidence
    public let condition: RuleCondition
    /// Why the rule says so, for the curious admin and the next maintainer.
    public let why: String
}

private func anyReason(_ rs: String...) -> RuleCondition { .any(rs.map { .reason($0) }) }
private func anySignal(_ ss: Signal...) -> RuleCondition { .any(ss.map { .signal($0) }) }
private let inbound: RuleCondition = .not(.role(.client))
private let outbound: RuleCondition = .role(.client)

/// The rules, in order: configuration first (they explain everything after them), then outbound,
/// then inbound handshakes from the most specific OpenSSL reason to the vaguest symptom.
public let classificationRules: [ClassificationRule] = [
    // What disabled TLS in a process or in Dovecot.
    .init(id: "key-mismatch", cause: .keyMismatch, confidence: .high,
          condition: .any([.reason("key values mismatch"), anySignal(.keyDoesNotMatch, .dovecotKeyMismatch)]),
          why: "OpenSSL's X509_check_private_key or Postfix's chain loader found a key that does not belong to the certificate"),
    .init(id: "dh-parameters", cause: .dhParameters, confidence: .high,
          condition: .any([.reason("dh key too small"), anySignal(.dhProblem, .dovecotDH)]),
          why: "DH parameter files and groups are named in the message"),
    .init(id: "weak-certificate", cause: .weakCertificate, confidence: .high,
          condition: anyReason("ee key too small", "ca md too weak", "ca key too small"),
          why: "OpenSSL's security level refused the key size or signature digest"),
    .init(id: "certificate-unreadable", cause: .certificateUnreadable, confidence: .high,
          condition: .any([anySignal(.certificateLoadFailed, .privateKeyLoadFailed, .caLoadFailed, .dovecotCertificate),
                           anyReason("no such file", "permission denied", "no start line")]),
          why: "Postfix or Dovecot could not load a certificate, key or CA file"),
    .init(id: "unsupported-setting", cause: .unsupportedSetting, confidence: .high,
          condition: anySignal(.invalidProtocolList, .invalidCipherGrade, .invalidTLSLevel, .dovecotUnknownSetting, .dovecotCipherList),
          why: "the installed version rejected a TLS setting's value or name"),
    .init(id: "tls-disabled", cause: .certificateUnreadable, confidence: .medium, condition: .signal(.tlsDisabled),
          why: "Postfix disabled TLS support at start-up; a file it needs is the usual reason"),
    .init(id: "no-protocols-available", cause: .unsupportedSetting, confidence: .medium,
          condition: .reason("no protocols available"),
          why: "the protocol settings leave OpenSSL no version to offer"),
    .init(id: "sni-misconfiguration", cause: .sniMisconfiguration, confidence: .high, condition: .signal(.sniProblem),
          why: "Postfix logged an SNI map problem"),

    // Outbound deliveries.
    .init(id: "client-policy-leak", cause: .clientPolicyLeak, confidence: .medium,
          condition: .all([outbound, .loopbackPeerPort([10024, 10025, 10026, 10027, 10028, 10029])]),
          why: "a TLS failure toward a loopback content-filter port: internet TLS settings reach an internal transport"),
    .init(id: "smtps-wrappermode", cause: .wrappermodeMismatch, confidence: .high, condition: .signal(.smtpsWrappermode),
          why: "Postfix itself says port 465 needs smtp_tls_wrappermode = yes"),
    .init(id: "greeting-timeout-on-465", cause: .wrappermodeMismatch, confidence: .medium, condition: .signal(.greetingTimeoutOn465),
          why: "a relay on port 465 expects a TLS handshake first; without smtp_tls_wrappermode both sides wait for the other"),
    .init(id: "outbound-wrong-version", cause: .wrappermodeMismatch, confidence: .medium,
          condition: .all([outbound, anyReason("wrong version number", "unknown protocol")]),
          why: "our client spoke TLS and got plaintext back: a TLS-wrapper/STARTTLS mix-up toward the relay"),
    .init(id: "remote-certificate-unverified", cause: .remoteCertificateUnverified, confidence: .high,
          condition: .all([outbound, .any([anySignal(.serverCertNotVerified, .certVerificationFailed), .reason("certificate verify failed")])]),
          why: "the remote's certificate did not verify against our trust anchors"),
    .init(id: "remote-tls-unavailable", cause: .remoteTLSUnavailable, confidence: .high,
          condition: anySignal(.tlsRequiredNotOffered, .tlsRequiredRefused),
          why: "TLS is required for the destination and the remote does not offer it"),
    .init(id: "remote-handshake-failure", cause: .remoteHandshakeFailure, confidence: .high,
          condition: .all([outbound, anySignal(.sslConnectError, .cannotStartTLS, .lostDuringSTARTTLS)]),
          why: "our client's handshake with the remote failed"),

    // Inbound handshakes, most specific first.
    .init(id: "http-on-tls-port", cause: .plaintextOnTLSPort, confidence: .high, condition: .reason("http request"),
          why: "an HTTP request arrived where a TLS ClientHello was expected"),
    .init(id: "tls-hello-on-plaintext-port", cause: .tlsOnPlaintextPort, confidence: .high,
          condition: .signal(.tlsBytesOnPlaintext),
          why: "the client's first bytes were a TLS record (\\026\\003) on a port that expects SMTP"),
    .init(id: "plaintext-on-wrapper-port", cause: .plaintextOnTLSPort, confidence: .high,
          condition: .all([inbound, .wrapperMode, anyReason("wrong version number", "unknown protocol")]),
          why: "bytes that are not TLS arrived on an implicit-TLS listener (plain SMTP on 465)"),
    .init(id: "no-shared-cipher", cause: .noSharedCipher, confidence: .high,
          condition: .all([inbound, .reason("no shared cipher")]),
          why: "OpenSSL found no cipher both sides accept"),
    .init(id: "protocol-version", cause: .protocolMismatch, confidence: .high,
          condition: .all([inbound, anyReason("unsupported protocol", "version too low", "alert protocol version", "wrong ssl version")]),
          why: "the client's TLS version is outside the versions this server enables"),
    .init(id: "unknown-protocol", cause: .protocolMismatch, confidence: .medium,
          condition: .all([inbound, .reason("unknown protocol")]),
          why: "OpenSSL 1.0 could not parse the ClientHello: a legacy client or a scanner"),
    .init(id: "dovecot-wrong-version", cause: .plaintextOnTLSPort, confidence: .medium,
          condition: .all([.role(.dovecot), .reason("wrong version number")]),
          why: "Dovecot got bytes that are not TLS where a handshake was expected: plaintext IMAP/POP3 on 993/995"),
    .init(id: "wrong-version-after-starttls", cause: .protocolMismatch, confidence: .low,
          condition: .all([inbound, .reason("wrong version number")]),
          why: "a record with an unexpected version arrived after STARTTLS"),
    .init(id: "alert-handshake-failure", cause: .noSharedCipher, confidence: .medium,
          condition: .all([inbound, .reason("alert handshake failure")]),
          why: "the client aborted with handshake_failure: usually no overlap in ciphers or versions"),
    .init(id: "alert-unknown-ca", cause: .untrustedCertificate, confidence: .medium,
          condition: .all([inbound, anyReason("alert unknown ca", "alert bad certificate", "alert certificate unknown")]),
          why: "the client rejected our certificate: it does not chain to a CA the client trusts"),
    .init(id: "alert-certificate-expired", cause: .expiredCertificate, confidence: .medium,
          condition: .all([inbound, .reason("alert certificate expired")]),
          why: "the client says our certificate has expired"),
    .init(id: "legacy-sigalg", cause: .weakCertificate, confidence: .medium,
          condition: .reason("legacy sigalg disallowed"),
          why: "OpenSSL 3 refused a SHA-1 signature at its security level"),
    .init(id: "client-certificate-unverified", cause: .untrustedCertificate, confidence: .low,
          condition: .all([inbound, .reason("certificate verify failed")]),
          why: "a client certificate did not verify"),
    .init(id: "handshake-timeout", cause: .handshakeTimeout, confidence: .high,
          condition: anySignal(.acceptTimedOut, .timeoutAfterSTARTTLS),
          why: "the handshake started and stalled until the timeout"),
    .init(id: "peer-aborted", cause: .peerAborted, confidence: .high,
          condition: .any([anySignal(.acceptLostConnection, .acceptReset),
                           anyReason("unexpected eof while reading", "bad key share", "alert internal error", "connection reset")]),
          why: "the client closed or reset the connection during the handshake"),
    .init(id: "tls-unavailable", cause: .starttlsUnavailable, confidence: .high,
          condition: anySignal(.wrapperModeDropped, .tlsNotAvailable),
          why: "the server could not offer TLS because its TLS context failed to initialise"),
    .init(id: "dovecot-context", cause: .certificateUnreadable, confidence: .low, condition: .signal(.dovecotContextFailed),
          why: "Dovecot could not build its SSL context; the detail was not recognised"),
    .init(id: "dovecot-handshake-syscall", cause: .peerAborted, confidence: .medium,
          condition: .all([.signal(.dovecotHandshake), .noOpenSSLErrors]),
          why: "the client closed the connection during the handshake (syscall failed / closed during handshake)"),
    .init(id: "non-tls-first-line", cause: .tlsOnPlaintextPort, confidence: .low,
          condition: .all([.signal(.lostAfterUnknown), .not(.wrapperMode)]),
          why: "the first line was not SMTP: possibly a TLS ClientHello on a STARTTLS port"),
    .init(id: "starttls-abandoned", cause: .peerAborted, confidence: .low,
          condition: .all([anySignal(.lostAfterSTARTTLS, .starttlsFailed), .noOpenSSLErrors, .not(.signal(.sslAcceptError))]),
          why: "the client sent STARTTLS and then left without completing a handshake"),
]

/// Applies `classificationRules`, then the message table: an event no rule explains takes the cause of the
/// first of its lines' rows that names one (`messages`, in line order), and a configuration message overrides
/// a rule that is less than sure (the rules look at signals; the row knows the exact message). An event
/// neither explains is `.unclassified` with low confidence. Rule ids of rows are `message:<row id>`.
public func classify(_ facts: EventFacts, messages: [LogMessage] = [],
                     rules: [ClassificationRule] = classificationRules) -> (cause: Cause, confidence: Confidence, rule: String) {
    refine(classifyByRules(facts, rules: rules), messages: messages)
}

/// The first rule that holds, else `.unclassified` with low confidence.
func classifyByRules(_ facts: EventFacts, rules: [ClassificationRule] = classificationRules)
    -> (cause: Cause, confidence: Confidence, rule: String) {
    for rule in rules where rule.condition.holds(facts) { return (rule.cause, rule.confidence, rule.id) }
    return (.unclassified, .low, "unclassified")
}

/// The message table's say over a rules' result; a sure result needs no rows (`needsMessages`).
/// Only the first row that names a cause counts: a lazy `messages` is matched no further than that row.
func refine(_ result: (cause: Cause, confidence: Confidence, rule: String), messages: some Sequence<LogMessage>)
    -> (cause: Cause, confidence: Confidence, rule: String) {
    if !needsMessages(result) { return result }
    let named = messages.first { $0.cause != nil && $0.cause != .unclassified && ($0.level != .info || $0.software == .openssl) }
    guard let row = named, let cause = row.cause, cause != result.cause else { return result }
    if result.cause == .unclassified || (row.level == .config && row.software != .openssl) {
        return (cause, .medium, "message:" + row.id)
    }
    return result
}

/// False when the rules are sure: the message table cannot change their result.
func needsMessages(_ result: (cause: Cause, confidence: Confidence, rule: String)) -> Bool { result.confidence != .high }
