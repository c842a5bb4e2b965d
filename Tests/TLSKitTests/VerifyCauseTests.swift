import PostlsCore
import Testing
import TLSKit

/// The one table from OpenSSL verify codes to root causes, which the probe, the diagnosis and the DNS checks share.
struct VerifyCauseTests {
    @Test(arguments: [
        (VerifyResult.certHasExpired, Cause.expiredCertificate), (VerifyResult.certNotYetValid, .expiredCertificate),
        (VerifyResult.unableToGetIssuerCert, .incompleteChain), (VerifyResult.unableToGetIssuerCertLocally, .incompleteChain),
        (VerifyResult.unableToVerifyLeafSignature, .incompleteChain),
        (VerifyResult.eeKeyTooSmall, .weakCertificate), (VerifyResult.caKeyTooSmall, .weakCertificate), (VerifyResult.caMDTooWeak, .weakCertificate),
        (VerifyResult.hostnameMismatch, .nameMismatch),
        (VerifyResult.depthZeroSelfSigned, .untrustedCertificate), (VerifyResult.selfSignedInChain, .untrustedCertificate),
    ])
    func eachNamedVerifyCodeHasItsCause(_ code: Int, _ cause: Cause) {
        #expect(VerifyResult.cause(forCode: code) == cause)
        #expect(VerifyResult(code: code).cause == cause)
    }

    @Test func aVerifiedChainHasNoCause() {
        #expect(VerifyResult.cause(forCode: VerifyResult.ok) == nil)
        #expect(VerifyResult(code: 0).cause == nil)
    }

    /// Revoked (23), invalid CA (24), invalid purpose (26), rejected (28) and codes OpenSSL may add later: a sender
    /// that verifies refuses them all, so they are untrusted, never "unclassified" nor no cause at all.
    @Test(arguments: [7, 23, 24, 26, 28, 79, 9_999])
    func aCodeWithoutItsOwnCauseIsAnUntrustedCertificate(_ code: Int) {
        #expect(VerifyResult.cause(forCode: code) == .untrustedCertificate)
    }
}
