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

    /// `cause(forCode:)` of this result.
    public var cause: Cause? { Self.cause(forCode: code) }
}
