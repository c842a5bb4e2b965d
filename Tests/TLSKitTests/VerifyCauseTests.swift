import PostlsCore
import Testing
import TLSKit

/// The one table from OpenSSL verify codes to root causes, which the probe, the diagnosis and the DNS checks share.
struct VerifyCauseTests {
    @Test(arguments: [
        (VerifyCode.certHasExpired, Cause.expiredCertificate), (VerifyCode.certNotYetValid, .expiredCertificate),
        (VerifyCode.unableToGetIssuerCert, .incompleteChain), (VerifyCode.unableToGetIssuerCertLocally, .incompleteChain),
        (VerifyCode.unableToVerifyLeafSignature, .incompleteChain),
        (VerifyCode.eeKeyTooSmall, .weakCertificate), (VerifyCode.caKeyTooSmall, .weakCertificate), (VerifyCode.caMDTooWeak, .weakCertificate),
        (VerifyCode.hostnameMismatch, .nameMismatch),
        (VerifyCode.depthZeroSelfSigned, .untrustedCertificate), (VerifyCode.selfSignedInChain, .untrustedCertificate),
    ])
    func eachNamedVerifyCodeHasItsCause(_ code: Int, _ cause: Cause) {
        #expect(VerifyCode.cause(forCode: code) == cause)
        #expect(VerifyResult(code: code).cause == cause)
    }

    @Test func aVerifiedChainHasNoCause() {
        #expect(VerifyCode.cause(forCode: VerifyCode.ok) == nil)
        #expect(VerifyResult(code: 0).cause == nil)
    }

    /// Revoked (23), invalid CA (24), invalid purpose (26), rejected (28) and codes OpenSSL may add later: a sender
    /// that verifies refuses them all, so they are untrusted, never "unclassified" nor no cause at all.
    @Test(arguments: [7, 23, 24, 26, 28, 79, 9_999])
    func aCodeWithoutItsOwnCauseIsAnUntrustedCertificate(_ code: Int) {
        #expect(VerifyCode.cause(forCode: code) == .untrustedCertificate)
    }

    /// Postfix logs some verification failures with OpenSSL's text alone; the log engine reads the code back from a
    /// table of those texts (a log may come from another OpenSSL than the one linked). The linked OpenSSL is the
    /// oracle for its own wording; the other wording (1.1's "self signed", 3.x's "self-signed") must be the only
    /// difference.
    @Test func theLogEnginesVerifyTextsAreOpenSSLs() {
        for (code, texts) in VerifyCode.texts {
            let linked = VerifyResult(code: code).message.lowercased()
            #expect(texts.contains(linked), "code \(code): OpenSSL says \"\(linked)\", the table has \(texts)")
            for text in texts {
                #expect(VerifyCode.code(forText: text) == code)
                #expect(text.replacingOccurrences(of: "self signed", with: "self-signed") == linked.replacingOccurrences(of: "self signed", with: "self-signed"),
                        "code \(code): \(text)")
            }
        }
        #expect(VerifyCode.code(forText: "Certificate has expired") == VerifyCode.certHasExpired)
        #expect(VerifyCode.code(forText: "no such text") == nil)
    }
}
