import Foundation
import PostlsCore
import Testing
import TestSupport

/// `postls report --redact` on a real Postfix whose names and addresses are all known: none may appear.
final class ReportFixture: @unchecked Sendable {
    let dir: TemporaryDirectory
    let factory: CertificateFactory
    let postfix: PostfixInstance
    let extraLog: String
    let dovecotConfig: String
    /// The leaf's SHA-256 fingerprint: it finds the certificate (and its names) in CT logs.
    let fingerprint: String

    static let shared = Result { try ReportFixture() }

    /// Every name and address the fixture puts into the configuration, certificates and logs.
    static let secrets = [
        "mx.secret-corp.test", "mail.secret-corp.test", "secret-corp", "smarthost.relay-provider.test", "relay-provider",
        "mail-wi0-x230.google.com", "google.com", "2a00:1450:4864:20::230", "smtp.partner-firm.test", "partner-firm",
        "81.2.69.142", "alice", "bob@", "postls.test",
    ]

    init() throws {
        dir = try TemporaryDirectory()
        factory = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try factory.leaf("mx", commonName: "mx.secret-corp.test", sans: ["mx.secret-corp.test", "mail.secret-corp.test"])
        let digest = try SystemProcessRunner().run("openssl", ["x509", "-in", leaf.certFile, "-noout", "-fingerprint", "-sha256"], timeout: 30)
        fingerprint = String(digest.stdout.split(separator: "=").last ?? "").replacingOccurrences(of: ":", with: "")
            .trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        postfix = try PostfixInstance(
            mainCF: """
                relayhost = [smarthost.relay-provider.test]:587
                smtpd_tls_security_level = may
                smtpd_tls_cert_file = \(leaf.fullChainFile)
                smtpd_tls_key_file = \(leaf.keyFile)
                """,
            listeners: [PostfixListener(name: "smtp"),
                        PostfixListener(name: "submission", overrides: [("smtpd_tls_chain_files", leaf.keyAndChainFile)])],
            myhostname: "mx.secret-corp.test")
        try postfix.start()
        // Peers with names, a mail address, and a key someone pasted into a log line.
        extraLog = try dir.write("peers.log", """
            Nov 29 04:00:01 mx postfix/smtpd[1234]: connect from mail-wi0-x230.google.com[2a00:1450:4864:20::230]
            Nov 29 04:00:01 mx postfix/smtpd[1234]: SSL_accept error from mail-wi0-x230.google.com[2a00:1450:4864:20::230]: -1
            Nov 29 04:00:01 mx postfix/smtpd[1234]: warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:../ssl/statem/statem_srvr.c:2220:
            Nov 29 04:00:01 mx postfix/smtpd[1234]: lost connection after STARTTLS from mail-wi0-x230.google.com[2a00:1450:4864:20::230]
            Nov 29 04:00:02 mx postfix/smtpd[1235]: connect from smtp.partner-firm.test[81.2.69.142]
            Nov 29 04:00:02 mx postfix/smtpd[1235]: Anonymous TLS connection established from smtp.partner-firm.test[81.2.69.142]: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)
            Nov 29 04:00:02 mx postfix/smtpd[1235]: NOQUEUE: reject: RCPT from smtp.partner-firm.test[81.2.69.142]: 554 5.7.1 <alice@secret-corp.test>: Relay access denied; from=<bob@partner-firm.test> to=<alice@secret-corp.test> proto=ESMTP helo=<smtp.partner-firm.test>
            Nov 29 04:00:03 mx postfix/smtpd[1236]: warning: cannot get RSA private key from file "\(leaf.keyFile)": -----BEGIN PRIVATE KEY----- MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAbCdEfGhIjKlMnOp -----END PRIVATE KEY-----
            Nov 29 04:00:03 mx postfix/smtpd[1236]: warning: TLS library problem: error:0A00018F:SSL routines::ee key too small:../ssl/ssl_rsa.c:101:
            Nov 29 04:00:04 mx postfix/smtpd[1237]: disconnect from smtp.partner-firm.test[81.2.69.142] ehlo=2 starttls=1 quit=1 commands=4

            """)
        dovecotConfig = try dir.write("dovecot.conf", "ssl = yes\nssl_cert = </etc/letsencrypt/live/mx.secret-corp.test/fullchain.pem\n"
                                      + "ssl_key = </etc/letsencrypt/live/mx.secret-corp.test/privkey.pem\n")
        // Traffic of its own, so the instance's log has TLS lines too.
        _ = try PostlsBinary.run(["probe", "--host", "127.0.0.1", "--port", String(postfix.listeners[0].port), "--ca-file", factory.rootFile], timeout: 60)
        postfix.waitForLog(containing: "TLS connection established")
    }

    func report(_ extra: [String]) throws -> ProcessOutput {
        try PostlsBinary.run(["report", "--config-dir", postfix.configDirectory, "--log", postfix.logFile, "--log", extraLog,
                              "--ca-file", factory.rootFile, "--timeout", "5", "--dovecot-config", dovecotConfig] + extra, timeout: 120)
    }
}

@Suite("postls report", .enabled(if: Prerequisites.postfix), .serialized)
struct ReportCommandTests {
    let fixture: ReportFixture
    init() throws { fixture = try ReportFixture.shared.get() }

    @Test(arguments: ["markdown", "json"])
    func redactedReportNamesNoHostDomainAddressOrMailAddress(_ format: String) throws {
        let out = try fixture.report(["--redact", "--format", format])
        #expect(out.status <= 2, "\(out.stderr)")
        let text = out.stdout
        #expect(text.count > 1000, "report too short: \(text)")
        for secret in ReportFixture.secrets {
            #expect(!text.lowercased().contains(secret.lowercased()), "\(secret) appears in the redacted \(format) report")
        }
        #expect(!text.contains("PRIVATE KEY"))
        #expect(!text.contains("MIGHAgEAMBMG"))
        #expect(text.contains("host1.example"))
        #expect(fixture.fingerprint.count == 64)
        #expect(!text.contains(fixture.fingerprint), "the certificate's fingerprint identifies the server")
    }

    @Test(arguments: ["markdown", "json"])
    func unredactedReportStillCarriesNoKeyMaterial(_ format: String) throws {
        let out = try fixture.report(["--format", format])
        #expect(out.status <= 2, "\(out.stderr)")
        // Without --redact the names are there (so the redacted test above can fail) but the key never is.
        #expect(out.stdout.contains("mx.secret-corp.test"))
        #expect(out.stdout.contains(fixture.fingerprint))
        #expect(!out.stdout.contains("PRIVATE KEY"))
        #expect(!out.stdout.contains("MIGHAgEAMBMG"))
        for line in try String(contentsOfFile: fixture.postfix.configDirectory + "/main.cf", encoding: .utf8).split(separator: "\n")
        where line.hasPrefix("smtpd_tls_key_file") {
            let keyFile = String(line.split(separator: "=")[1]).trimmingCharacters(in: .whitespaces)
            let keyBody = try String(contentsOfFile: keyFile, encoding: .utf8).split(separator: "\n")[1]
            #expect(!out.stdout.contains(keyBody), "a line of the configured key file appears in the report")
        }
    }

    @Test func theSameNameGetsTheSamePlaceholderAcrossSections() throws {
        let out = try fixture.report(["--redact", "--format", "json", "--output", fixture.dir.file("report.json")])
        #expect(out.status <= 2, "\(out.stderr)")
        #expect(out.stdout.isEmpty)
        var info = stat()
        #expect(stat(fixture.dir.file("report.json"), &info) == 0 && info.st_mode & 0o777 == 0o600)
        let data = try Data(contentsOf: URL(fileURLWithPath: fixture.dir.file("report.json")))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["redacted"] as? Bool == true)
        let certificates = try #require(object["certificates"] as? [[String: Any]])
        let san = try #require(certificates.first?["san"] as? [String])
        let probe = try #require((object["probe"] as? [String: Any])?["targets"] as? [[String: Any]])
        let expected = try #require(probe.first?["expected_name"] as? String)
        // myhostname is the first SAN, the probe's expected name, and inside the greeting: one placeholder for all.
        #expect(expected.hasSuffix(".example"))
        #expect(san.first == expected)
        #expect((probe.first?["greeting"] as? String)?.contains(expected) == true)
        let dovecot = try #require(object["dovecot"] as? [String: Any])
        #expect(dovecot["ssl_cert"] as? String == "</etc/letsencrypt/live/\(expected)/fullchain.pem")
        #expect(dovecot["ssl"] as? String == "yes")
        let logs = try #require(object["logs"] as? [String: Any])
        let domains = try #require(logs["by_peer_domain"] as? [String: Int])
        #expect(!domains.isEmpty && domains.keys.allSatisfy { $0.hasSuffix(".example") || $0.hasPrefix("unknown") }, "\(domains)")
        let versions = try #require(object["versions"] as? [String: Any])
        #expect((versions["postfix"] as? String)?.hasPrefix("3.") == true)
        #expect(versions["openssl"] as? String != nil)
        // Four-part versions (Dovecot 2.3.19.1) look like IPv4 addresses: they must survive redaction.
        if let dovecot = findExecutable("dovecot"), let real = try? SystemProcessRunner().run(dovecot, ["--version"], timeout: 10) {
            #expect(versions["dovecot"] as? String == real.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
