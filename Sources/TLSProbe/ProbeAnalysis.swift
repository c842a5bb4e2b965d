import Foundation
import PostlsCore
import TLSKit

/// Turns one listener's raw probe data into findings with causes.md ids. Pure: data in, findings out.
public enum ProbeAnalysis {
    /// Days before expiry that make a warning.
    public static let expiryWarningDays = 14

    public static func findings(for r: ListenerProbeResult, handshakeFailures: [HandshakeFailureKind] = [], rateLimited: Bool = false) -> [ProbeFinding] {
        var out: [ProbeFinding] = []
        if let error = r.error {
            out.append(errorFinding(error, result: r, handshakeFailures: handshakeFailures))
        }
        if rateLimited {
            out.append(ProbeFinding(id: "rate_limited", cause: nil, severity: .warning,
                                    message: "the server answered 421 to a later probe connection: it limits connections per client "
                                        + "(smtpd_client_connection_count_limit / smtpd_client_connection_rate_limit); some results may be untested"))
        }
        if let verify = r.verify, let cause = verify.cause {
            out.append(ProbeFinding(id: "verify_failed", cause: cause, severity: .critical,
                                    message: "the served chain does not verify: \(verify.code) (\(verify.message))"))
        }
        if let days = r.daysToExpiry, days >= 0, days < expiryWarningDays, r.verify?.code != VerifyCode.certHasExpired {
            out.append(ProbeFinding(id: "expires_soon", cause: .expiredCertificate, severity: .warning,
                                    message: "the certificate expires in \(days) day(s)"))
        }
        if r.nameMatch == false, let name = r.expectedName {
            let names = r.chain.first?.san.joined(separator: ", ") ?? ""
            out.append(ProbeFinding(id: "name_mismatch", cause: .nameMismatch, severity: .warning,
                                    message: "the certificate does not cover \(name) (it names: \(names.isEmpty ? "no DNS names" : names))"))
        }
        for problem in r.chainOrderProblems {
            out.append(ProbeFinding(id: "chain_order", cause: .incompleteChain, severity: .warning, message: problem))
        }
        if let leaf = r.chain.first {
            if leaf.keyType == "RSA" && leaf.keyBits < 2048 {
                out.append(ProbeFinding(id: "weak_key", cause: .weakCertificate, severity: .warning,
                                        message: "the certificate's key is \(leaf.key): peers at OpenSSL security level 2 and above reject keys under 2048 bits"))
            }
            let signature = leaf.signature.lowercased()
            if signature.contains("sha1") || signature.contains("md5") {
                out.append(ProbeFinding(id: "weak_signature", cause: .weakCertificate, severity: .warning,
                                        message: "the certificate is signed with \(leaf.signature), which current OpenSSL rejects"))
            }
        }
        if let before = r.capabilitiesBeforeTLS, r.mode == .starttls, r.port != 25,
           before.contains(where: { $0.uppercased().hasPrefix("AUTH") }) {
            out.append(ProbeFinding(id: "auth_before_tls", cause: nil, severity: .warning,
                                    message: "AUTH is offered before STARTTLS on port \(r.port): clients may send passwords in plaintext "
                                        + "(set smtpd_tls_auth_only = yes)"))
        }
        if r.sameChainWithoutSNI == false {
            out.append(ProbeFinding(id: "sni_different_chain", cause: .sniMisconfiguration, severity: .info,
                                    message: "without SNI the server sends a different certificate: senders that send no SNI (most MTAs) see that one"))
        }
        let legacy = [TLSVersion.tls1, .tls1_1].filter { r.status($0) == .accepted }.map(\.rawValue)
        if !legacy.isEmpty {
            out.append(ProbeFinding(id: "legacy_protocols", cause: nil, severity: .info,
                                    message: "accepts \(legacy.joined(separator: " and ")): fine for opportunistic TLS on port 25, old for submission"))
        }
        return out
    }

    private static func errorFinding(_ error: ProbeError, result r: ListenerProbeResult, handshakeFailures: [HandshakeFailureKind]) -> ProbeFinding {
        let id: String, cause: Cause?, severity: Severity
        switch error.phase {
        case .connect where error.message.hasPrefix("connection refused") && r.port != 25:
            // Nothing listens: not every server runs 465 and 587, and the default port list asks for all three.
            (id, cause, severity) = ("nothing_listens", nil, .warning)
        case .connect:
            (id, cause, severity) = ("connect_failed", nil, .critical)
        case .greeting where error.reply?.hasPrefix("421") == true || error.reply?.hasPrefix("554") == true:
            (id, cause, severity) = ("service_refused", nil, .critical)
        case .greeting where r.mode == .starttls && (error.bytesReceived ?? 0) == 0:
            // Silence on a STARTTLS port is what a wrapper-mode service looks like.
            (id, cause, severity) = ("no_greeting", .plaintextOnTLSPort, .critical)
        case .greeting, .ehlo:
            (id, cause, severity) = ("smtp_dialogue_failed", nil, .critical)
        case .starttls:
            (id, cause, severity) = ("starttls_unavailable", .starttlsUnavailable, .critical)
        case .handshake:
            let kinds = Set(handshakeFailures)
            if kinds.contains(.timeout) { (id, cause, severity) = ("handshake_stalled", .handshakeTimeout, .critical) }
            else if kinds.contains(.notTLS) && r.mode == .starttls {
                // The server agreed to STARTTLS, so no port mix-up: nothing in causes.md names a broken peer or middlebox.
                (id, cause, severity) = ("not_tls_after_starttls", nil, .critical)
            }
            else if kinds.contains(.notTLS) { (id, cause, severity) = ("plaintext_on_implicit_port", .plaintextOnTLSPort, .critical) }
            else if !kinds.isEmpty && kinds.allSatisfy({ $0 == .protocolVersion }) { (id, cause, severity) = ("no_common_protocol", .protocolMismatch, .critical) }
            else if kinds.contains(.handshakeFailure) { (id, cause, severity) = ("handshake_failed", .noSharedCipher, .critical) }
            else { (id, cause, severity) = ("handshake_failed", .peerAborted, .critical) }
        }
        return ProbeFinding(id: id, cause: cause, severity: severity, message: error.message)
    }
}
