/// OpenSSL's X509 verify codes (x509_vfy.h) that postls reasons about, and the root cause each stands for: the one
/// table the probe (TLSKit's `VerifyResult`), the log engine (the smtp client's verification lines) and the diagnosis
/// read.
public enum VerifyCode {
    public static let ok = 0
    public static let unableToGetIssuerCert = 2
    public static let certNotYetValid = 9
    public static let certHasExpired = 10
    public static let depthZeroSelfSigned = 18
    public static let selfSignedInChain = 19
    public static let unableToGetIssuerCertLocally = 20
    public static let unableToVerifyLeafSignature = 21
    public static let hostnameMismatch = 62
    public static let eeKeyTooSmall = 66
    public static let caKeyTooSmall = 67
    public static let caMDTooWeak = 68

    /// The root cause a verify code stands for. Nil for success. A code postls does not name is
    /// `untrusted_certificate`: whatever the reason, a sender that verifies refuses the certificate, and a
    /// certificate senders trust is the fix.
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

    /// The same code read from the sending side (Postfix's smtp client verifying a next hop): an expired or a
    /// wrong-name certificate are causes of their own, anything else leaves it unverified.
    public static func outboundCause(forCode code: Int) -> Cause {
        switch cause(forCode: code) {
        case .expiredCertificate?: return .remoteCertificateExpired
        case .nameMismatch?: return .remoteNameMismatch
        default: return .remoteCertificateUnverified
        }
    }

    /// The code whose text Postfix logged without `num=` (`certificate has expired`, `certificate not yet valid`).
    /// The texts are OpenSSL's (crypto/x509/x509_txt.c), 1.1 and 3.x wordings, for the codes above, and Postfix's
    /// own (`postfixTexts`); a log may come from another OpenSSL than the one linked, so they are not read from it
    /// (TLSKitTests checks them against it).
    public static func code(forText text: String) -> Int? { codesByText[text.lowercased()] }

    /// Postfix's own words for some codes (src/tls/tls_verify.c, `tls_log_verify_error`), where it does not log
    /// OpenSSL's text: "certificate not yet valid" (OpenSSL: "certificate is not yet valid").
    public static let postfixTexts: [(Int, String)] = [(certNotYetValid, "certificate not yet valid")]

    public static let texts: [(Int, [String])] = [
        (unableToGetIssuerCert, ["unable to get issuer certificate"]),
        (certNotYetValid, ["certificate is not yet valid"]),
        (certHasExpired, ["certificate has expired"]),
        (depthZeroSelfSigned, ["self-signed certificate", "self signed certificate"]),
        (selfSignedInChain, ["self-signed certificate in certificate chain", "self signed certificate in certificate chain"]),
        (unableToGetIssuerCertLocally, ["unable to get local issuer certificate"]),
        (unableToVerifyLeafSignature, ["unable to verify the first certificate"]),
        (hostnameMismatch, ["hostname mismatch"]),
        (eeKeyTooSmall, ["ee certificate key too weak"]),
        (caKeyTooSmall, ["ca certificate key too weak"]),
        (caMDTooWeak, ["ca signature digest algorithm too weak"]),
    ]
    private static let codesByText: [String: Int] = {
        var table: [String: Int] = [:]
        for (code, words) in texts { for w in words { table[w] = code } }
        for (code, words) in postfixTexts { table[words] = code }
        return table
    }()
}
