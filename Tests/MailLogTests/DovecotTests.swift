import Foundation
import MailLog
import PostlsCore
import Testing
import TestSupport
import TLSKit

@Test("real Dovecot 2.3 log_path lines give one event each with cause, peer and service")
func dovecotFixture() throws {
    let report = try LogReport.analyze(paths: [fixturePath("dovecot-2.3.19-log_path.log")])
    #expect(report.events.map(\.rule) == ["protocol-version", "dovecot-wrong-version", "dovecot-handshake-syscall", "key-mismatch", "unsupported-setting"])
    #expect(report.events.map(\.cause) == [.protocolMismatch, .plaintextOnTLSPort, .peerAborted, .keyMismatch, .unsupportedSetting])
    #expect(report.events.first?.service == "imap")
    #expect(report.events.first?.peer?.address == "127.0.0.1")
    // The error Dovecot writes twice on one line is one error.
    #expect(report.events.first?.errors.count == 1)
}

/// A real Dovecot (TestSupport's DovecotInstance) driven by real clients.
@Suite("Log engine on a real Dovecot", .enabled(if: Prerequisites.dovecot), .serialized)
struct RealDovecotTests {
    /// The events so far, polled until every wanted cause is there (Dovecot logs a login's end asynchronously,
    /// and slowly on a loaded machine).
    func events(_ dovecot: DovecotInstance, causes: Set<Cause>) throws -> [TLSEvent] {
        let deadline = Deadline.after(seconds: 40)
        var report = try LogReport.analyze(paths: [dovecot.logFile])
        while !causes.isSubset(of: Set(report.events.map(\.cause))) && !deadline.hasPassed {
            usleep(200_000)
            report = try LogReport.analyze(paths: [dovecot.logFile])
        }
        return report.events
    }

    @Test(arguments: Generation.all) func handshakeFailuresAreNamed(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let dir = try TemporaryDirectory()
        let leaf = try CertificateFactory(directory: dir.file("pki")).leaf("imap")
        for f in [leaf.certFile, leaf.keyFile] { chmod(f, 0o644) }
        let ssl = generation.dovecotSSL(cert: leaf.certFile, key: leaf.keyFile, minProtocol: "TLSv1.3")
        try DovecotInstance.with(sslSettings: ssl, generation: generation) { dovecot in
            _ = try Peers.opensslClient(dovecot.imapsAddress, starttls: false, arguments: ["-tls1_2"], input: "a LOGOUT\n", timeout: 10)
            _ = try? Peers.raw(dovecot.imapsAddress, send: Array("a LOGIN x y\r\n".utf8), readFor: 2)
            let all = try events(dovecot, causes: [.protocolMismatch, .plaintextOnTLSPort])
            let version = try #require(all.first { $0.cause == .protocolMismatch }, "\(dovecot.logText())")
            #expect(version.service == "imap")
            #expect(version.peer?.address == "127.0.0.1")
            #expect(all.contains { $0.cause == .plaintextOnTLSPort }, "\(dovecot.logText())")
            #expect(uncataloguedLines(all).isEmpty, "\(uncataloguedLines(all))")
        }
    }

    @Test(arguments: Generation.all) func keyForAnotherCertificateIsKeyMismatch(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let dir = try TemporaryDirectory()
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try factory.leaf("imap"), other = try factory.leaf("other")
        for f in [leaf.certFile, other.keyFile] { chmod(f, 0o644) }
        try DovecotInstance.with(sslSettings: generation.dovecotSSL(cert: leaf.certFile, key: other.keyFile), generation: generation) { dovecot in
            _ = try Peers.opensslClient(dovecot.imapsAddress, starttls: false, input: "a LOGOUT\n", timeout: 10)
            let all = try events(dovecot, causes: [.keyMismatch])
            let event = try #require(all.first { $0.cause == .keyMismatch }, "\(dovecot.logText())")
            #expect(event.kind == .dovecot)
            #expect(event.rule == "key-mismatch")
            #expect(uncataloguedLines(all).isEmpty, "\(uncataloguedLines(all))")
        }
    }
}
