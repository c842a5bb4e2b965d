import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit

/// Verify codes must be the ones `openssl verify` prints for the same files.
@Suite("Chain verification against OpenSSL's own verify")
struct VerifyTests {
    let dir: TemporaryDirectory
    let factory: CertificateFactory

    init() throws {
        dir = try TemporaryDirectory()
        factory = try CertificateFactory(directory: dir.file("pki"))
    }

    /// `openssl verify -CAfile root [-untrusted chain] leaf` → the code in "error N at depth", with `runner`'s
    /// OpenSSL (the machine's 3.0 by default).
    func opensslVerifyCode(leaf: String, untrusted: String?, runner: ProcessRunner = SystemProcessRunner()) throws -> Int {
        var args = ["verify", "-CAfile", factory.rootFile]
        if let untrusted { args += ["-untrusted", untrusted] }
        args.append(leaf)
        let run = try runner.run("openssl", args, timeout: 30)
        let out = run.stdout + run.stderr
        if out.contains(": OK") { return 0 }
        guard let range = out.range(of: #"error (\d+) at"#, options: .regularExpression) else { return -1 }
        return Int(out[range].split(separator: " ")[1]) ?? -1
    }

    /// `openssl verify` of every generation (3.0 on Debian 12, 3.5 from the Debian 13 root) says `code`.
    func expectOpenSSLVerify(leaf: String, untrusted: String?, is code: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for generation in Generation.all {
            guard let servers = try generation.serversOrSkip() else { continue }
            let theirs = try opensslVerifyCode(leaf: leaf, untrusted: untrusted, runner: servers.toolRunner)
            #expect(theirs == code, "\(generation)'s openssl verify", sourceLocation: sourceLocation)
        }
    }

    @Test func fullChainVerifiesWithTheTestRoot() throws {
        let issued = try factory.leaf("ok")
        let result = try ChainVerifier.verify(leaf: issued.certificate, intermediates: [factory.intermediate], trust: .file(factory.rootFile))
        #expect(result == VerifyResult(code: 0, message: "ok"))
        try expectOpenSSLVerify(leaf: issued.certFile, untrusted: factory.intermediateFile, is: 0)
    }

    @Test func leafWithoutIntermediateIsCode20() throws {
        let issued = try factory.leaf("noint")
        let result = try ChainVerifier.verify(leaf: issued.certificate, trust: .file(factory.rootFile))
        #expect(result.code == VerifyCode.unableToGetIssuerCertLocally)
        #expect(result.message == "unable to get local issuer certificate")
        try expectOpenSSLVerify(leaf: issued.certFile, untrusted: nil, is: result.code)
    }

    @Test func tlsClientModeReportsWhatSClientPrintsForALeafServedAlone() throws {
        let issued = try factory.leaf("alone")
        let result = try ChainVerifier.verify(leaf: issued.certificate, trust: .file(factory.rootFile), mode: .tlsClient)
        #expect(result.code == VerifyCode.unableToVerifyLeafSignature)
        #expect(result.message == "unable to verify the first certificate")
        // Errors that end verification stay the same in both modes.
        let expired = try factory.leaf("old", notBefore: Date().addingTimeInterval(-90 * 86_400), notAfter: Date().addingTimeInterval(-86_400))
        #expect(try ChainVerifier.verify(leaf: expired.certificate, intermediates: [factory.intermediate], trust: .file(factory.rootFile), mode: .tlsClient).code == 10)
        let selfSigned = try factory.leaf("ss", issuer: .selfSigned)
        #expect(try ChainVerifier.verify(leaf: selfSigned.certificate, trust: .file(factory.rootFile), mode: .tlsClient).code == 18)
    }

    @Test func selfSignedLeafIsCode18() throws {
        let issued = try factory.leaf("self", issuer: .selfSigned)
        let result = try ChainVerifier.verify(leaf: issued.certificate, trust: .file(factory.rootFile))
        #expect(result.code == VerifyCode.depthZeroSelfSigned)
        try expectOpenSSLVerify(leaf: issued.certFile, untrusted: nil, is: 18)
    }

    @Test func expiredLeafIsCode10() throws {
        let issued = try factory.leaf("expired", notBefore: Date().addingTimeInterval(-90 * 86_400), notAfter: Date().addingTimeInterval(-86_400))
        let result = try ChainVerifier.verify(leaf: issued.certificate, intermediates: [factory.intermediate], trust: .file(factory.rootFile))
        #expect(result.code == VerifyCode.certHasExpired)
        try expectOpenSSLVerify(leaf: issued.certFile, untrusted: factory.intermediateFile, is: 10)
    }

    @Test func notYetValidLeafIsCode9() throws {
        let issued = try factory.leaf("future", notBefore: Date().addingTimeInterval(86_400), notAfter: Date().addingTimeInterval(90 * 86_400))
        let result = try ChainVerifier.verify(leaf: issued.certificate, intermediates: [factory.intermediate], trust: .file(factory.rootFile))
        #expect(result.code == VerifyCode.certNotYetValid)
    }

    @Test func verificationAtAFutureDateSeesExpiry() throws {
        let issued = try factory.leaf("soon", notAfter: Date().addingTimeInterval(5 * 86_400))
        let now = try ChainVerifier.verify(leaf: issued.certificate, intermediates: [factory.intermediate], trust: .file(factory.rootFile))
        let later = try ChainVerifier.verify(leaf: issued.certificate, intermediates: [factory.intermediate], trust: .file(factory.rootFile),
                                             at: Date().addingTimeInterval(30 * 86_400))
        #expect(now.code == 0)
        #expect(later.code == VerifyCode.certHasExpired)
    }

    @Test func hostnameCheckGivesCode62() throws {
        let issued = try factory.leaf("name", commonName: "mail.postls.test")
        let result = try ChainVerifier.verify(leaf: issued.certificate, intermediates: [factory.intermediate], trust: .file(factory.rootFile),
                                              hostname: "other.example.test")
        #expect(result.code == VerifyCode.hostnameMismatch)
    }

    @Test func testRootIsNotTrustedBySystemStore() throws {
        let issued = try factory.leaf("sys")
        let result = try ChainVerifier.verify(leaf: issued.certificate, intermediates: [factory.intermediate], trust: .system)
        #expect(result.code == VerifyCode.unableToGetIssuerCertLocally)
    }

    @Test func sha1SignedLeafIsDescribedAsSuch() throws {
        let issued = try factory.leaf("sha1", key: .rsa(bits: 1024), digest: .sha1)
        #expect(issued.certificate.info.signature == "ecdsa-with-SHA1")
        #expect(issued.certificate.info.key == "RSA 1024")
    }
}
