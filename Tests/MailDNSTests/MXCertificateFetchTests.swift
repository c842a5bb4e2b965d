import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit
import TLSProbe
@testable import MailDNS

/// The MX chain is fetched with TLSProbe's SMTP dialogue: a failure in each phase is reported as that phase,
/// against real peers (a closed port, hostile servers, a real Postfix).
@Suite("MX certificate fetch: the phase of each failure", .serialized)
struct MXCertificateFetchTests {
    static let mxName = "mail.postls.test"

    static func fetch(_ address: SocketAddress, timeout: Double = 2, trust: TrustAnchors = .system) -> Result<ServedChain, ProbeError> {
        let fetcher = STARTTLSCertificateFetcher(trust: trust, timeout: timeout)
        do throws(ProbeError) {
            return .success(try fetcher.servedChain(host: mxName, address: address, deadline: .after(seconds: timeout)))
        } catch {
            return .failure(error)
        }
    }

    static func failure(_ result: Result<ServedChain, ProbeError>) throws -> ProbeError {
        guard case .failure(let error) = result else { Issue.record("a chain was served"); throw HarnessError.missing("a failure") }
        return error
    }

    static func hostile(_ behaviour: HostileBehaviour, timeout: Double = 2) throws -> ProbeError {
        let directory = try TemporaryDirectory(prefix: "postls-mx-fetch")
        let server = try HostileServer(behaviour, directory: directory.path)
        defer { server.stop() }
        return try failure(fetch(server.address, timeout: timeout))
    }

    @Test func aClosedPortIsTheConnectPhase() throws {
        let listener = try TCPListener(ip: "127.0.0.1")
        let address = listener.address
        listener.close()  // bound a moment ago, so nothing else listens there now
        let error = try Self.failure(Self.fetch(address))
        #expect(error.phase == .connect)
        #expect(error.message.contains("refused"), "\(error.message)")
    }

    @Test func aSilentServerIsTheGreetingPhase() throws {
        let error = try Self.hostile(.silent, timeout: 1)
        #expect(error.phase == .greeting)
        #expect(error.message.contains("sent no greeting"), "\(error.message)")
    }

    @Test func aRefusingGreetingIsTheGreetingPhaseWithItsReply() throws {
        let server = try LoopbackServer { socket in
            _ = try? socket.write("554 5.7.1 mx.postls.test no SMTP service here\r\n", deadline: .after(seconds: 2), stage: "greeting")
            _ = try? socket.readLine(deadline: .after(seconds: 2), stage: "QUIT")
        }
        defer { server.stop() }
        let error = try Self.failure(Self.fetch(server.address))
        #expect(error.phase == .greeting)
        #expect(error.reply == "554 5.7.1 mx.postls.test no SMTP service here")
    }

    // The client this replaced read on after the stray "25O-" line, waited for STARTTLS's answer and called
    // the timeout a greeting failure.
    @Test func aMalformedEHLOReplyIsTheEHLOPhase() throws {
        let error = try Self.hostile(.malformedMultilineEHLO)
        #expect(error.phase == .ehlo)
        #expect(error.message.contains("not an SMTP reply"), "\(error.message)")
    }

    @Test func anEndlessEHLOReplyIsTheEHLOPhase() throws {
        let error = try Self.hostile(.endlessMultilineEHLO)
        #expect(error.phase == .ehlo)
        #expect(error.message.contains("did not end"), "\(error.message)")
    }

    @Test func aTLSAlertIsTheHandshakePhase() throws {
        let error = try Self.hostile(.tlsAlert)
        #expect(error.phase == .handshake)
    }

    @Test func closingAfterSTARTTLSIsTheHandshakePhase() throws {
        let error = try Self.hostile(.closeAfterSTARTTLS)
        #expect(error.phase == .handshake)
        #expect(error.message.contains("closed") || error.message.contains("reset"), "\(error.message)")
    }

    /// `postls dns` carries the phase into the MX's `probe_error` and its note.
    @Test func theInspectorReportsThePhase() throws {
        let directory = try TemporaryDirectory(prefix: "postls-mx-fetch")
        let server = try HostileServer(.malformedMultilineEHLO, directory: directory.path)
        defer { server.stop() }
        let resolver = TableResolver(records: [
            DNSName("example.org")!: [.mx: [.mx(preference: 10, exchange: DNSName("mx.example.org")!)]],
            DNSName("mx.example.org")!: [.a: [.a("127.0.0.1")]],
        ])
        let options = DNSCheckOptions(smtpPort: server.port, timeout: 2)
        let inspector = MailDomainInspector(resolver: resolver, certificates: STARTTLSCertificateFetcher(timeout: 2), policies: NoPolicies(), options: options)
        let report = inspector.inspect(domain: "example.org")
        let probeError = try #require(report.mx.first?.probeError)
        #expect(probeError.hasPrefix("ehlo: "), "\(probeError)")
        #expect(report.context.contains { $0.message == "no certificate from mx.example.org port \(server.port): \(probeError)" })
    }
}

/// The same against a real Postfix: STARTTLS not offered or refused, a wrapper-mode port, no shared cipher, success.
@Suite("MX certificate fetch: real Postfix", .enabled(if: Prerequisites.postfix), .serialized)
struct MXCertificateFetchPostfixTests {
    @Test func eachListenerFailsInItsPhaseAndAGoodOneServesItsChain() throws {
        let directory = try TemporaryDirectory(prefix: "postls-mx-fetch")
        let factory = try CertificateFactory(directory: directory.file("pki"))
        let good = try factory.leaf("mail")
        let listeners = [
            PostfixListener(name: "good"),
            PostfixListener(name: "notls", overrides: [("smtpd_tls_security_level", "none")]),
            // As root smtpd reads keys before dropping privileges: only a missing file makes TLS unavailable (454).
            PostfixListener(name: "nokey", overrides: [("smtpd_tls_chain_files", ""), ("smtpd_tls_cert_file", good.certFile),
                                                        ("smtpd_tls_key_file", directory.file("missing.key"))]),
            // Implicit TLS: it waits silently for a ClientHello, so an SMTP client hears no greeting.
            PostfixListener(name: "smtps", overrides: [("smtpd_tls_wrappermode", "yes"), ("smtpd_tls_security_level", "encrypt")]),
            // eNULL ciphers only and no TLS 1.3: nothing a default client offers.
            PostfixListener(name: "nocipher", overrides: [("smtpd_tls_ciphers", "null"), ("smtpd_tls_protocols", "<=TLSv1.2")]),
        ]
        let mainCF = """
            smtpd_tls_security_level = may
            smtpd_tls_chain_files = \(good.keyAndChainFile)
            """
        try PostfixInstance.with(mainCF: mainCF, listeners: listeners) { postfix in
            func fetch(_ name: String, timeout: Double = 3) throws -> Result<ServedChain, ProbeError> {
                let address = try #require(postfix.listener(named: name)?.socketAddress)
                return MXCertificateFetchTests.fetch(address, timeout: timeout, trust: .file(factory.rootFile))
            }

            guard case .success(let served) = try fetch("good") else { Issue.record("no chain from the good listener"); return }
            #expect(served.chain.first?.sha256Fingerprint == good.certificate.sha256Fingerprint)
            #expect(served.verify.isOK, "\(served.verify)")

            let notOffered = try MXCertificateFetchTests.failure(fetch("notls"))
            #expect(notOffered.phase == .starttls)
            #expect(notOffered.message.contains("does not offer STARTTLS"), "\(notOffered.message)")

            let refused = try MXCertificateFetchTests.failure(fetch("nokey"))
            #expect(refused.phase == .starttls)
            #expect(refused.reply?.hasPrefix("454") == true, "\(refused)")

            let silent = try MXCertificateFetchTests.failure(fetch("smtps", timeout: 1))
            #expect(silent.phase == .greeting)

            let noCipher = try MXCertificateFetchTests.failure(fetch("nocipher"))
            #expect(noCipher.phase == .handshake)
        }
    }
}
