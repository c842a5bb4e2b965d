import Foundation
import Testing
import TestSupport
import TLSKit

@Suite("Certificates made at test time")
struct CertificateTests {
    let dir: TemporaryDirectory
    let factory: CertificateFactory

    init() throws {
        dir = try TemporaryDirectory()
        factory = try CertificateFactory(directory: dir.file("pki"))
    }

    @Test func describesAnRSALeafIssuedByTheIntermediate() throws {
        let issued = try factory.leaf("rsa", commonName: "mail.example.test", sans: ["mail.example.test", "mx2.example.test"], key: .rsa(bits: 2048))
        let certs = try Certificate.load(pemFile: issued.certFile)
        #expect(certs.count == 1)
        let info = try #require(certs.first).info
        #expect(info.subject == "CN=mail.example.test")
        #expect(info.issuer == "CN=postls Test Intermediate CA,O=postls tests")
        #expect(info.san == ["mail.example.test", "mx2.example.test"])
        #expect(info.key == "RSA 2048")
        #expect(info.signature == "ecdsa-with-SHA256")
        #expect(info.sha256.count == 64)
        #expect(!info.isSelfIssued)
        #expect(info.daysUntilExpiry() >= 88)
    }

    @Test func fingerprintMatchesOpenSSLCommandLine() throws {
        let issued = try factory.leaf("fp")
        let out = try SystemProcessRunnerShim.run("openssl", ["x509", "-in", issued.certFile, "-noout", "-fingerprint", "-sha256"])
        let hexDigits = out.split(separator: "=").last.map { $0.replacingOccurrences(of: ":", with: "").lowercased() } ?? ""
        #expect(hexDigits.trimmingCharacters(in: .whitespacesAndNewlines) == issued.certificate.sha256Fingerprint)
    }

    @Test func describesAnECDSAKeyWithItsCurve() throws {
        let issued = try factory.leaf("ec", key: .ecdsaP256)
        #expect(issued.certificate.info.key == "EC 256 (prime256v1)")
    }

    @Test func loadsEveryCertificateOfAChainFileInOrder() throws {
        let issued = try factory.leaf("chain")
        let certs = try Certificate.load(pemFile: issued.fullChainFile)
        #expect(certs.map(\.subject) == ["CN=mail.postls.test", "CN=postls Test Intermediate CA,O=postls tests"])
        #expect(certs[0].isIssued(by: certs[1]))
        // A key+chain file yields the certificates only.
        #expect(try Certificate.load(pemFile: issued.keyAndChainFile).count == 2)
    }

    @Test func aMissingFileIsAFileError() {
        #expect(throws: TLSKitError.file(path: "/nonexistent/x.pem", errno: ENOENT)) {
            try Certificate.load(pemFile: "/nonexistent/x.pem")
        }
    }

    @Test func aFileWithoutPEMIsReportedAsNotPEM() throws {
        let path = try dir.write("garbage.pem", "this is not a certificate\n\u{01}\u{02}")
        #expect(throws: TLSKitError.notPEM(path: path, expected: "certificate")) {
            try Certificate.load(pemFile: path)
        }
    }

    @Test func keyMatchesItsOwnCertificateOnly() throws {
        let a = try factory.leaf("a")
        let b = try factory.leaf("b")
        let keyA = try PrivateKey.load(pemFile: a.keyFile)
        #expect(keyA.matches(a.certificate))
        #expect(!keyA.matches(b.certificate))
        #expect(keyA.description == "EC 256 (prime256v1)")
    }

    @Test func anEncryptedKeyIsReportedNotPromptedFor() throws {
        let issued = try factory.leaf("enc")
        let encrypted = dir.file("enc.key")
        _ = try SystemProcessRunnerShim.run("openssl", ["pkey", "-in", issued.keyFile, "-aes256", "-passout", "pass:secret", "-out", encrypted])
        #expect(throws: TLSKitError.self) { try PrivateKey.load(pemFile: encrypted) }
    }

    @Test func coversNamesLikeOpenSSLIncludingWildcards() throws {
        let issued = try factory.leaf("wild", commonName: "mail.example.test", sans: ["*.example.test", "192.0.2.7"])
        #expect(issued.certificate.covers(host: "mx.example.test"))
        #expect(issued.certificate.covers(host: "MX.Example.Test."))
        #expect(!issued.certificate.covers(host: "example.test"))
        #expect(!issued.certificate.covers(host: "a.b.example.test"))
        #expect(issued.certificate.covers(host: "192.0.2.7"))
        #expect(!issued.certificate.covers(host: "192.0.2.8"))
    }

    @Test func csrCarriesTheSubjectAltNames() throws {
        let key = try PrivateKey.generate(.ecdsaP256)
        let csr = try CertificateRequest.make(key: key, commonName: "mail.example.test", subjectAltNames: ["mail.example.test", "smtp.example.test"])
        let path = try dir.write("req.csr", csr)
        let text = try SystemProcessRunnerShim.run("openssl", ["req", "-in", path, "-noout", "-text", "-verify"])
        #expect(text.contains("DNS:mail.example.test, DNS:smtp.example.test"))
        #expect(!csr.contains("PRIVATE KEY"))
    }
}
