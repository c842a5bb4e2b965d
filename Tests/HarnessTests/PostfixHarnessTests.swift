import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit

/// The harness itself: a real Postfix with STARTTLS on one port and wrapper mode on another,
/// negotiated by real `openssl s_client`, with the TLS lines in the instance's own log.
@Suite("Real Postfix harness", .enabled(if: Prerequisites.postfix), .serialized)
struct PostfixHarnessTests {
    @Test(arguments: Generation.all)
    func starttlsAndWrapperModeBothNegotiateAndAreLogged(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let dir = try TemporaryDirectory()
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try factory.leaf("mail")
        var listeners = [
            PostfixListener(name: "smtp"),
            PostfixListener(name: "smtps", overrides: [("smtpd_tls_wrappermode", "yes"), ("smtpd_tls_security_level", "encrypt")]),
        ]
        if Prerequisites.ipv6Loopback { listeners.append(PostfixListener(name: "smtp6", address: "::1")) }
        let mainCF = """
            smtpd_tls_security_level = may
            smtpd_tls_chain_files = \(leaf.keyAndChainFile)
            smtpd_tls_loglevel = 1
            """
        try PostfixInstance.with(mainCF: mainCF, listeners: listeners, generation: generation) { postfix in
            let smtp = try #require(postfix.listener(named: "smtp")?.socketAddress)
            let smtps = try #require(postfix.listener(named: "smtps")?.socketAddress)
            let starttls = try Peers.opensslClient(smtp, starttls: true, arguments: ["-CAfile", factory.rootFile, "-verify_return_error"])
            #expect(starttls.stdout.contains("Verify return code: 0 (ok)"), "\(starttls.stdout)\(starttls.stderr)")
            let implicit = try Peers.opensslClient(smtps, starttls: false, arguments: ["-CAfile", factory.rootFile])
            #expect(implicit.stdout.contains("220 mail.postls.test ESMTP"), "\(implicit.stdout)")
            #expect(implicit.stdout.contains("Verify return code: 0 (ok)"))
            #expect(postfix.waitForLog(containing: "postfix/smtps/smtpd"))
            #expect(postfix.waitForLog(containing: "TLS connection established from localhost[127.0.0.1]") ||
                    postfix.waitForLog(containing: "TLS connection established from unknown[127.0.0.1]"),
                    "log: \(postfix.logText())")
            // postlogd writes asynchronously: wait for both sessions' lines, not just the first.
            var established = 0
            for _ in 0..<100 {
                established = postfix.logText().split(separator: "\n").filter { $0.contains("TLS connection established") }.count
                if established >= 2 { break }
                usleep(50_000)
            }
            #expect(established >= 2)
            if let v6 = postfix.listener(named: "smtp6")?.socketAddress {
                let out = try Peers.opensslClient(v6, starttls: true, arguments: ["-CAfile", factory.rootFile])
                #expect(out.stdout.contains("Verify return code: 0 (ok)"))
                #expect(postfix.waitForLog(containing: "[::1]"))
            }
        }
    }

    struct Boom: Error {}

    @Test func instanceIsStoppedAndRemovedWhenTheTestBodyFails() throws {
        var root = ""
        var pid: pid_t? = nil
        #expect(throws: Boom.self) {
            try PostfixInstance.with(listeners: [PostfixListener(name: "smtp")]) { postfix in
                root = postfix.root.path
                pid = postfix.masterPID
                throw Boom()
            }
        }
        let masterPID = try #require(pid)
        #expect(!FileManager.default.fileExists(atPath: root))
        // master may take a moment to reap its children after `postfix stop`.
        var alive = true
        for _ in 0..<100 { if kill(masterPID, 0) != 0 { alive = false; break }; usleep(50_000) }
        #expect(!alive)
    }

    /// A master that came up without `start()` finishing (a start that timed out or failed late) is stopped too.
    @Test func aMasterStartedOutsideStartIsStoppedToo() throws {
        let postfix = try PostfixInstance(listeners: [PostfixListener(name: "smtp")])
        let out = try postfix.servers.runner.run("postfix", ["-c", postfix.configDirectory, "start"], timeout: 20)
        #expect(out.succeeded, "\(out.stderr)")
        var pid: pid_t?
        for _ in 0..<100 { pid = postfix.masterPID; if pid != nil { break }; usleep(50_000) }
        let masterPID = try #require(pid)
        #expect(!postfix.isRunning)   // start() never ran
        postfix.stop()
        var alive = true
        for _ in 0..<100 { if kill(masterPID, 0) != 0 { alive = false; break }; usleep(50_000) }
        #expect(!alive)
    }

    @Test func swaksDeliversOverSTARTTLSToTheInstance() throws {
        let dir = try TemporaryDirectory()
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try factory.leaf("mail")
        let mainCF = """
            smtpd_tls_security_level = may
            smtpd_tls_cert_file = \(leaf.fullChainFile)
            smtpd_tls_key_file = \(leaf.keyFile)
            smtpd_tls_loglevel = 1
            mynetworks = 127.0.0.0/8
            """
        try PostfixInstance.with(mainCF: mainCF, listeners: [PostfixListener(name: "smtp")]) { postfix in
            let smtp = try #require(postfix.listener(named: "smtp"))
            let out = try Peers.swaks(["--server", "127.0.0.1", "--port", String(smtp.port), "--tls", "--quit-after", "MAIL",
                                       "--from", "a@postls.test", "--to", "b@postls.test"])
            #expect(out.stdout.contains("TLS started"), "\(out.stdout)\(out.stderr)")
        }
    }
}
