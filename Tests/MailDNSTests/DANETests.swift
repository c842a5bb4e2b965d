import Foundation
import Testing
import TestSupport
import TLSKit
@testable import MailDNS

/// TLSA matching over real certificates: every usable usage, selector and matching type, computed here
/// independently with `openssl` where it exists.
struct DANETests {
    static func pki() throws -> (TemporaryDirectory, CertificateFactory, IssuedCertificate) {
        let dir = try TemporaryDirectory(prefix: "postls-dane")
        let factory = try CertificateFactory(directory: dir.file("pki"))
        return (dir, factory, try factory.leaf("mx", commonName: "mx.postls.example"))
    }

    @Test func everySelectorAndMatchingTypeMatchesTheLeafForDANEEE() throws {
        let (dir, factory, leaf) = try Self.pki()
        defer { withExtendedLifetime(dir) {} }
        let chain = [leaf.certificate, factory.intermediate]
        for selector: UInt8 in [0, 1] {
            let bytes = selector == 0 ? leaf.certificate.der : leaf.certificate.publicKeyDER
            for matching: UInt8 in [0, 1, 2] {
                let data = try #require(DANE.association(matching, of: bytes))
                #expect(data.count == [bytes.count, 32, 64][Int(matching)])
                let record = TLSARecord(usage: 3, selector: selector, matchingType: matching, data: data)
                #expect(DANE.matches(record, chain: chain), "3 \(selector) \(matching)")
                // The same data as DANE-TA must not match: the leaf is not a trust anchor.
                #expect(!DANE.matches(TLSARecord(usage: 2, selector: selector, matchingType: matching, data: data), chain: chain))
            }
        }
    }

    @Test func daneTAMatchesTheIntermediateInTheServedChain() throws {
        let (dir, factory, leaf) = try Self.pki()
        defer { withExtendedLifetime(dir) {} }
        let ta = TLSARecord(usage: 2, selector: 1, matchingType: 1, data: Digest.sha256.hash(factory.intermediate.publicKeyDER))
        #expect(DANE.matches(ta, chain: [leaf.certificate, factory.intermediate]))
        // A server that omits the intermediate cannot satisfy a DANE-TA record for it.
        #expect(!DANE.matches(ta, chain: [leaf.certificate]))
    }

    @Test func pkixUsagesAndUnknownParametersAreUnusableForSMTP() throws {
        let (dir, _, leaf) = try Self.pki()
        defer { withExtendedLifetime(dir) {} }
        let spki = Digest.sha256.hash(leaf.certificate.publicKeyDER)
        for record in [TLSARecord(usage: 1, selector: 1, matchingType: 1, data: spki),
                       TLSARecord(usage: 0, selector: 1, matchingType: 1, data: spki),
                       TLSARecord(usage: 3, selector: 2, matchingType: 1, data: spki),
                       TLSARecord(usage: 3, selector: 1, matchingType: 3, data: spki)] {
            #expect(!DANE.isUsable(record))
            #expect(!DANE.matches(record, chain: [leaf.certificate]))
        }
    }

    @Test func spkiDigestAgreesWithTLSKitAndOpenSSL() throws {
        let (dir, _, leaf) = try Self.pki()
        defer { withExtendedLifetime(dir) {} }
        let record = DANE.record311(publicKeyDER: leaf.certificate.publicKeyDER)
        #expect(hex(record.data) == leaf.certificate.spkiSHA256)
        guard Prerequisites.has("openssl") else { return }
        // openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256: the usual recipe for 3 1 1.
        let pub = try SystemProcessRunnerShim.run("openssl", ["x509", "-in", leaf.certFile, "-noout", "-pubkey"])
        let der = try SystemProcessRunnerShim.runData("openssl", ["pkey", "-pubin", "-outform", "DER"], stdin: Data(pub.utf8))
        #expect(Array(der) == leaf.certificate.publicKeyDER)
    }

    @Test func keyOnDiskMatchesItsCertificateSPKI() throws {
        let (dir, _, leaf) = try Self.pki()
        defer { withExtendedLifetime(dir) {} }
        let key = try PrivateKey.load(pemFile: leaf.keyFile)
        #expect(key.publicKeyDER == leaf.certificate.publicKeyDER)
        #expect(Digest.sha512.hash([]).count == 64)
        #expect(Digest.sha256.hexHash(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func rolloverRecordsPinCurrentAndNextKeyForEveryMX() throws {
        let current = try PrivateKey.generate(.ecdsaP256), next = try PrivateKey.generate(.ecdsaP256)
        let records = RecordGenerator.tlsa(mxHosts: ["mx1.postls.example", "mx2.postls.example."],
                                           currentKeyDER: current.publicKeyDER, nextKeyDER: next.publicKeyDER)
        #expect(records.map(\.name) == ["_25._tcp.mx1.postls.example", "_25._tcp.mx1.postls.example",
                                        "_25._tcp.mx2.postls.example", "_25._tcp.mx2.postls.example"])
        #expect(records[0].value == "3 1 1 " + current.spkiSHA256)
        #expect(records[1].value == "3 1 1 " + next.spkiSHA256)
        #expect(records[0].zoneLine == "_25._tcp.mx1.postls.example. 3600 IN TLSA 3 1 1 " + current.spkiSHA256)
    }
}

import PostlsCore

/// Runs a program for the oracle checks above.
enum SystemProcessRunnerShim {
    static func run(_ program: String, _ args: [String]) throws -> String {
        try SystemProcessRunner().run(program, args, timeout: 20).stdout
    }
    static func runData(_ program: String, _ args: [String], stdin: Data) throws -> Data {
        guard let path = findExecutable(program) else { return Data() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }
}
