import Foundation
import MailLog
import PostlsCore
import Testing
import TestSupport
import TLSKit

/// Real failures driven into a real Postfix 3.7 and 3.10 (the TestSupport harness, both generations) by real peers
/// (openssl s_client, raw sockets, Postfix's own smtp client); the engine must name the cause,
/// the peer and the service from the instance's maillog_file.
@Suite("Log engine on a real Postfix", .enabled(if: Prerequisites.postfix), .serialized)
struct RealPostfixTests {
    /// Waits until the log has `count` lines containing `needle` (postlogd writes asynchronously).
    func waitFor(_ postfix: PostfixInstance, _ needle: String, count: Int = 1, timeout: Double = 15) -> Bool {
        let deadline = Deadline.after(seconds: timeout)
        repeat {
            if postfix.logText().components(separatedBy: needle).count - 1 >= count { return true }
            usleep(100_000)
        } while !deadline.hasPassed
        return false
    }

    func events(_ postfix: PostfixInstance) throws -> [TLSEvent] {
        try LogReport.analyze(paths: [postfix.logFile]).events
    }

    @Test(arguments: Generation.all) func inboundFailuresAreNamedWithPeerAndService(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let dir = try TemporaryDirectory()
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try factory.leaf("mail", key: .rsa(bits: 2048))
        let other = try factory.leaf("other", key: .rsa(bits: 2048))
        var listeners = [
            PostfixListener(name: "smtps", overrides: [("smtpd_tls_wrappermode", "yes"), ("smtpd_tls_security_level", "encrypt")]),
            PostfixListener(name: "submission", overrides: [
                ("smtpd_tls_security_level", "encrypt"),
                ("smtpd_tls_protocols", ">=TLSv1.3"), ("smtpd_tls_mandatory_protocols", ">=TLSv1.3")]),
            PostfixListener(name: "nocipher", overrides: [
                ("smtpd_tls_protocols", "<=TLSv1.2"), ("smtpd_tls_ciphers", "high"),
                ("tls_high_cipherlist", "ECDHE-RSA-CHACHA20-POLY1305")]),
            PostfixListener(name: "badkey", overrides: [
                ("smtpd_tls_wrappermode", "yes"), ("smtpd_tls_cert_file", leaf.certFile), ("smtpd_tls_key_file", other.keyFile)]),
            PostfixListener(name: "nokey", overrides: [("smtpd_tls_key_file", dir.file("missing.key"))]),
            PostfixListener(name: "stall", overrides: [("smtpd_tls_wrappermode", "yes"), ("smtpd_starttls_timeout", "2s")]),
        ]
        if Prerequisites.ipv6Loopback { listeners.append(PostfixListener(name: "submission6", address: "::1", overrides: listeners[1].overrides)) }
        let mainCF = """
            smtpd_tls_security_level = may
            smtpd_tls_cert_file = \(leaf.certFile)
            smtpd_tls_key_file = \(leaf.keyFile)
            smtpd_tls_loglevel = 1
            """
        try PostfixInstance.with(mainCF: mainCF, listeners: listeners, generation: generation) { postfix in
            func address(_ name: String) throws -> SocketAddress { try #require(postfix.listener(named: name)?.socketAddress) }
            // Plain SMTP and HTTP on the wrapper-mode port; then connect-and-close.
            _ = try? Peers.raw(try address("smtps"), send: Array("EHLO client.example\r\n".utf8), readFor: 2)
            #expect(waitFor(postfix, "wrong version number"), "\(postfix.logText())")
            _ = try? Peers.raw(try address("smtps"), send: Array("GET / HTTP/1.0\r\n\r\n".utf8), readFor: 2)
            #expect(waitFor(postfix, "http request"))
            if let s = try? TCPSocket.connect(to: try address("smtps"), deadline: .after(seconds: 3)) { s.close() }
            #expect(waitFor(postfix, ": lost connection"))
            // TLS 1.2 client against a TLS-1.3-only submission service.
            _ = try Peers.opensslClient(try address("submission"), starttls: true, arguments: ["-tls1_2"])
            #expect(waitFor(postfix, "unsupported protocol"))
            if let v6 = postfix.listener(named: "submission6")?.socketAddress {
                _ = try Peers.opensslClient(v6, starttls: true, arguments: ["-tls1_2"])
                #expect(waitFor(postfix, "unsupported protocol", count: 2))
            }
            // No shared cipher.
            _ = try Peers.opensslClient(try address("nocipher"), starttls: true, arguments: ["-tls1_2", "-cipher", "AES128-SHA"])
            #expect(waitFor(postfix, "no shared cipher"))
            // A key that belongs to another certificate; a key file that does not exist.
            _ = try Peers.opensslClient(try address("badkey"), starttls: false)
            #expect(waitFor(postfix, "Wrapper-mode request dropped"))
            _ = try Peers.opensslClient(try address("nokey"), starttls: true)
            #expect(waitFor(postfix, "postfix/nokey/smtpd", count: 4))
            // A handshake that never starts: the client connects and says nothing.
            let stalled = try TCPSocket.connect(to: try address("stall"), deadline: .after(seconds: 3))
            #expect(waitFor(postfix, "Connection timed out", timeout: 20))
            stalled.close()
            #expect(waitFor(postfix, "postfix/nokey/smtpd", count: 5) || waitFor(postfix, "disconnect from", count: 8))
            usleep(500_000)

            let all = try events(postfix)
            func find(_ service: String, _ cause: Cause) -> TLSEvent? { all.first { $0.service == service && $0.cause == cause } }
            let log = postfix.logText()

            let plaintext = try #require(find("smtps", .plaintextOnTLSPort), "\(all.map { "\($0.service ?? "-") \($0.cause) \($0.rule)" })\n\(log)")
            #expect(plaintext.peer?.address == "127.0.0.1")
            #expect(plaintext.peer?.family == .ipv4)
            #expect(all.contains { $0.service == "smtps" && $0.rule == "http-on-tls-port" })
            #expect(find("smtps", .peerAborted) != nil)
            let version = try #require(find("submission", .protocolMismatch))
            #expect(version.errors.first?.reason == "unsupported protocol")
            #expect(version.confidence == .high)
            if postfix.listener(named: "submission6") != nil {
                #expect(find("submission6", .protocolMismatch)?.peer?.family == .ipv6)
            }
            #expect(find("nocipher", .noSharedCipher)?.peer?.address == "127.0.0.1")
            #expect(all.contains { $0.service == "badkey" && $0.cause == .keyMismatch && $0.kind == .startup })
            #expect(all.contains { $0.service == "badkey" && $0.cause == .keyMismatch && $0.peer?.address == "127.0.0.1" })
            #expect(all.contains { $0.service == "nokey" && $0.cause == .certificateUnreadable })
            #expect(find("stall", .handshakeTimeout)?.peer?.address == "127.0.0.1")
            // Nothing the engine saw was left unexplained.
            #expect(!all.contains { $0.cause == .unclassified }, "\(all.filter { $0.cause == .unclassified }.map(\.lines))")
            // Every TLS line of those events is a row of the message table.
            #expect(uncataloguedLines(all).isEmpty, "\(uncataloguedLines(all))")
        }
    }

    /// A client that refuses the server's certificate sends an alert; the server's OpenSSL names it in the log:
    /// "sslv3 alert certificate expired" in 3.0 (Debian 12), "ssl/tls alert certificate expired" in 3.2 and later
    /// (Debian 13's 3.5). Both are rows of the message table and give the same causes.
    @Test(arguments: Generation.all) func alertsFromAClientThatRefusesTheCertificateAreNamedInEitherOpenSSLsWords(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let dir = try TemporaryDirectory()
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let expired = try factory.leaf("mail", notBefore: Date().addingTimeInterval(-100 * 86_400), notAfter: Date().addingTimeInterval(-10 * 86_400))
        let mainCF = """
            smtpd_tls_security_level = may
            smtpd_tls_chain_files = \(expired.keyAndChainFile)
            smtpd_tls_loglevel = 1
            """
        try PostfixInstance.with(mainCF: mainCF, listeners: [PostfixListener(name: "smtp")], generation: generation) { postfix in
            let address = try #require(postfix.listener(named: "smtp")?.socketAddress)
            // Checking against the test root, the client stops at the expiry and says so in an alert (45).
            let out = try Peers.opensslClient(address, starttls: true, arguments: ["-CAfile", factory.rootFile, "-verify_return_error"])
            #expect(out.stdout.contains("Cipher is (NONE)") || !out.succeeded, "\(out.stdout)")
            #expect(waitFor(postfix, "alert certificate expired"), "\(postfix.logText())")
            let named = generation == .debian12 ? "sslv3 alert certificate expired" : "ssl/tls alert certificate expired"
            #expect(postfix.logText().contains(named), "\(postfix.logText())")
            usleep(300_000)
            let all = try events(postfix)
            let event = try #require(all.first { $0.cause == .expiredCertificate }, "\(all.map(\.rule))\n\(postfix.logText())")
            #expect(event.errors.contains { $0.reason == named }, "\(event.errors)")
            #expect(event.messages.contains(generation == .debian12 ? "openssl.sslv3-alert-certificate-expired" : "openssl.ssl-tls-alert-certificate-expired"),
                    "\(event.messages)")
            #expect(uncataloguedLines(all).isEmpty, "\(uncataloguedLines(all))")
        }
    }

    @Test(arguments: Generation.all) func outboundFailuresAreNamedWithTheRemote(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let dir = try TemporaryDirectory()
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let selfSigned = try factory.leaf("selfsigned", issuer: .selfSigned)
        let listeners = [
            PostfixListener(name: "notls", overrides: [("smtpd_tls_security_level", "none")]),
            PostfixListener(name: "selfsigned", overrides: [
                ("smtpd_tls_security_level", "may"), ("smtpd_tls_cert_file", selfSigned.certFile), ("smtpd_tls_key_file", selfSigned.keyFile)]),
        ]
        // The maps name the listeners' ports, known once the instance exists: written before it starts. (Written
        // after, with a reload, a qmgr or smtp still on the old settings could take the mail to the test domains'
        // MX in DNS, whose lookup waits out the resolver's timeouts on a loaded machine: the test flaked so.)
        let postfix = try PostfixInstance(listeners: listeners, generation: generation)
        defer { postfix.stop() }
        do {
            let notls = try #require(postfix.listener(named: "notls"))
            let selfsigned = try #require(postfix.listener(named: "selfsigned"))
            try postfix.appendMainCF("""
                smtp_tls_loglevel = 1
                smtp_tls_CAfile = \(factory.rootFile)
                transport_maps = inline:{ notls.test=smtp:[127.0.0.1]:\(notls.port), selfsigned.test=smtp:[127.0.0.1]:\(selfsigned.port) }
                smtp_tls_policy_maps = inline:{ [127.0.0.1]:\(notls.port)=encrypt, [127.0.0.1]:\(selfsigned.port)=verify }
                relay_domains = notls.test, selfsigned.test
                """)
            try postfix.start()
            for rcpt in ["a@notls.test", "b@selfsigned.test"] {
                let out = try postfix.servers.runner.run("sendmail", ["-C", postfix.configDirectory, "-f", "sender@postls.test", rcpt],
                                                        stdin: Data("Subject: t\n\nhello\n".utf8), environment: nil, timeout: 20)
                #expect(out.succeeded, "\(out.stderr)")
            }
            if !waitFor(postfix, "status=deferred", count: 2, timeout: 15) {
                // A loaded machine can leave mail waiting; ask for a delivery attempt now.
                _ = try? postfix.servers.runner.run("postqueue", ["-c", postfix.configDirectory, "-f"], timeout: 20)
            }
            let deferred = waitFor(postfix, "status=deferred", count: 2, timeout: 30)
            // When it times out, the queue says whether delivery never ran or only its log lines went missing.
            let queue = deferred ? "" : (try? postfix.servers.runner.run("postqueue", ["-c", postfix.configDirectory, "-p"], timeout: 20))?.stdout ?? ""
            #expect(deferred, "queue:\n\(queue)\nlog:\n\(postfix.logText())")
            let all = try events(postfix)
            let required = try #require(all.first { $0.cause == .remoteTLSUnavailable }, "\(all.map(\.rule))\n\(postfix.logText())")
            #expect(required.kind == .delivery)
            #expect(required.peer?.address == "127.0.0.1")
            let unverified = try #require(all.first { $0.cause == .remoteCertificateUnverified }, "\(all.map(\.rule))\n\(postfix.logText())")
            #expect(unverified.peer?.port == Int(selfsigned.port))
            #expect(unverified.lines.contains { $0.text.contains("Server certificate not verified") || $0.text.contains("certificate verification failed") })
            #expect(uncataloguedLines(all).isEmpty, "\(uncataloguedLines(all))")
            // The client's verification outcomes, as this Postfix wrote them, are outbound rows with the next hop
            // (and the num= code) as fields.
            let outcomes = postfix.logText().split(separator: "\n").filter {
                $0.contains("certificate verification failed for") || $0.contains("TLS connection established to")
            }
            #expect(!outcomes.isEmpty, "\(postfix.logText())")
            for line in outcomes {
                let message = String(line[line.range(of: "]: ")!.upperBound...])
                let match = try #require(LogMessageCatalog.primary(message), "\(line)")
                #expect(match.row.direction(forProgram: "postfix/smtp") == .outbound, "\(match.row.id)")
                #expect((match.fields["nexthop"] ?? match.fields["peer"])?.hasPrefix("127.0.0.1[127.0.0.1]:") == true, "\(match.fields)")
                if line.contains("num=") { #expect(match.fields["num"].flatMap { Int($0) } != nil, "\(match.fields)") }
            }
        }
    }
}
