import PostlsCore

extension VerifyResult {
    /// The root cause a verify code stands for: the one table the probe, the diagnosis and the DNS checks use.
    /// Nil for success. A code postls does not name is `untrusted_certificate`: whatever the reason, a sender
    /// that verifies refuses the certificate, and a certificate senders trust is the fix.
    public static func cause(forCode code: Int) -> Cause? {
        switch code {
        case ok: return nil
        case certHasExpired, certNotYetValid: return .expiredCertificate
        case unableToGetIssuerCert, unableToGetIssuerCertLocally, unableToVerifyLeafSignature: return .incompleteChain
        case eeKeyTooSmall, caKeyTooSmall, caMDTooWeak: return .weakCertificate
        case hostnameMismatch: return .nameMismatch
        case depthZeroSelfSigned, selfSignedInChain: return .untrustedCertificate
        default: return .untrustedCertificate
        }
    }

    /// The code whose OpenSSL text is `message` (`certificate has expired` → 10): Postfix logs some verification
    /// failures with the text alone. From OpenSSL's own strings, so it agrees with the OpenSSL linked.
    public static func code(forMessage message: String) -> Int? {
        codesByMessage[message.lowercased()]
    }
    private static let codesByMessage: [String: Int] = {
        var table: [String: Int] = [:]
        for code in 1..<128 {
            let text = VerifyResult(code: code).message.lowercased()
            if !text.hasPrefix("unknown certificate verification error"), table[text] == nil { table[text] = code }
        }
        return table
    }()

    /// `cause(forCode:)` of this result.
    public var cause: Cause? { Self.cause(forCode: code) }
}
