import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit

@Suite("Real Dovecot harness", .enabled(if: Prerequisites.dovecot))
struct DovecotHarnessTests {
    @Test(arguments: Generation.all)
    func imapsNegotiatesAndARefusedVersionIsLogged(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let dir = try TemporaryDirectory()
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try factory.leaf("imap", key: .rsa(bits: 2048))
        let ssl = generation.dovecotSSL(cert: leaf.fullChainFile, key: leaf.keyFile, minProtocol: "TLSv1.2")
        try DovecotInstance.with(sslSettings: ssl, generation: generation) { dovecot in
            let ok = try Peers.opensslClient(dovecot.imapsAddress, starttls: false, arguments: ["-CAfile", factory.rootFile], input: "a LOGOUT\n")
            #expect(ok.stdout.contains("Verify return code: 0 (ok)"), "\(ok.stdout)\(ok.stderr)")
            #expect(ok.stdout.contains("* OK"))
            let old = try Peers.opensslClient(dovecot.imapsAddress, starttls: false, arguments: ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"], input: "")
            #expect(old.stdout.contains("Cipher is (NONE)"), "\(old.stdout)")
            #expect(dovecot.waitForLog(containing: "SSL_accept() failed: error:0A000102:SSL routines::unsupported protocol"), "\(dovecot.logText())")
        }
    }
}
