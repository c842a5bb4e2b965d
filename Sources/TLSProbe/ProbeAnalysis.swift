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
        if let days = r.daysToExpiry, days >= 0, days < expiryWarningDays, r.verify?.code != VerifyResult.certHasExpired {
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

/// Simulated senders, derived from the data already collected (no extra connections). Approximations:
/// real MTAs differ in details (cipher order, extensions) that only their own stacks show.
public enum ClientProfiles {
    public static func verdicts(for r: ListenerProbeResult) -> [ClientProfileVerdict] {
        [modern(r), legacy(r), strict(r)]
    }

    /// Whether STARTTLS (or the implicit handshake) could begin at all; the reason if not.
    private static func tlsReachable(_ r: ListenerProbeResult) -> String? {
        guard let error = r.error, error.phase != .handshake else { return nil }
        return "TLS never starts: \(error.message)"
    }

    static func modern(_ r: ListenerProbeResult) -> ClientProfileVerdict {
        let label = "Modern MTA (approximation of Gmail / Microsoft 365: TLS 1.2 or 1.3, SNI, ECDHE with AEAD ciphers)"
        if let why = tlsReachable(r) { return .init(id: "modern_mta", label: label, getsTLS: false, reasons: [why]) }
        if r.status(.tls1_3) == .accepted {
            return .init(id: "modern_mta", label: label, getsTLS: true, reasons: ["TLS 1.3 is accepted"] + weakKeyCaveat(r))
        }
        if r.status(.tls1_2) == .accepted {
            if let n = r.negotiated, n.protocol == TLSVersion.tls1_2.rawValue {
                let modernCipher = (n.cipher.contains("ECDHE") || n.cipher.hasPrefix("DHE")) && (n.cipher.contains("GCM") || n.cipher.contains("CHACHA20"))
                if !modernCipher {
                    return .init(id: "modern_mta", label: label, getsTLS: false,
                                 reasons: ["TLS 1.2 is accepted, but the server chose \(n.cipher), not a forward-secret AEAD cipher a modern sender offers first; it may still agree on one, or fall back to plaintext"])
                }
            }
            return .init(id: "modern_mta", label: label, getsTLS: true, reasons: ["TLS 1.2 is accepted (TLS 1.3 is not)"] + weakKeyCaveat(r))
        }
        var reasons = ["the server accepts neither TLS 1.2 nor TLS 1.3: a modern sender delivers in plaintext (or not at all if it requires TLS)"]
        if let e = r.error { reasons.append(e.message) }
        return .init(id: "modern_mta", label: label, getsTLS: false, reasons: reasons)
    }

    /// OpenSSL clients at security level 2 (Debian's default) abort on a leaf key under 2048 bits even without verifying.
    private static func weakKeyCaveat(_ r: ListenerProbeResult) -> [String] {
        guard let leaf = r.chain.first, leaf.keyType == "RSA", leaf.keyBits < 2048 else { return [] }
        return ["but senders on OpenSSL at security level 2 abort the handshake on the \(leaf.key) key (ee key too small)"]
    }

    static func legacy(_ r: ListenerProbeResult) -> ClientProfileVerdict {
        let label = "Legacy MTA (approximation: TLS 1.0 only, no SNI, e.g. an old appliance or OpenSSL 0.9.8/1.0.0 sender)"
        if let why = tlsReachable(r) { return .init(id: "legacy_mta", label: label, getsTLS: false, reasons: [why]) }
        switch r.status(.tls1) {
        case .accepted:
            var reasons = ["TLS 1.0 is accepted"]
            if r.sameChainWithoutSNI == false { reasons.append("without SNI it gets a different certificate than SNI senders") }
            return .init(id: "legacy_mta", label: label, getsTLS: true, reasons: reasons)
        case .rejected:
            return .init(id: "legacy_mta", label: label, getsTLS: false,
                         reasons: ["the server rejects TLS 1.0 (smtpd_tls_protocols): such a sender delivers in plaintext on port 25, or fails where TLS is mandatory"])
        case .untested:
            return .init(id: "legacy_mta", label: label, getsTLS: false, reasons: ["TLS 1.0 could not be tested"])
        }
    }

    static func strict(_ r: ListenerProbeResult) -> ClientProfileVerdict {
        let label = "Strict verifying MTA (approximation of a DANE or MTA-STS enforcing sender: verified chain and name)"
        let base = modern(r)
        guard base.getsTLS else { return .init(id: "strict_mta", label: label, getsTLS: false, reasons: base.reasons) }
        var reasons: [String] = []
        if let leaf = r.chain.first, leaf.keyType == "RSA", leaf.keyBits < 2048 {
            reasons.append("the certificate's \(leaf.key) key is below what verifying OpenSSL clients accept at security level 2 (ee key too small)")
        }
        if let v = r.verify, v.code != 0 { reasons.append("the chain does not verify: \(v.code) (\(v.message))") }
        if r.verify == nil { reasons.append("no certificate to verify") }
        switch r.nameMatch {
        case false?: reasons.append("the certificate does not cover \(r.expectedName ?? "the MX name")")
        case nil: reasons.append("no MX name to check the certificate against (give --name)")
        default: break
        }
        if reasons.isEmpty { return .init(id: "strict_mta", label: label, getsTLS: true, reasons: ["chain verifies and the name matches"]) }
        return .init(id: "strict_mta", label: label, getsTLS: false, reasons: reasons + ["a strict sender defers the mail instead of sending it"])
    }
}
