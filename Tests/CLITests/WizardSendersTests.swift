import Foundation
import PostlsCore
import Testing
import TestSupport

/// The seed's case in the wizard: port 25 restricted to TLS 1.2 and later. The Probe step shows what named senders
/// would do there (from the probe engine's own handshakes against a real Postfix): the legacy TLS 1.0 sender falls
/// back to plaintext, Gmail delivers over TLS; the Overview says so in one line.
@Suite("The wizard's named senders", .enabled(if: Prerequisites.postfix && (Prerequisites.isCI || Prerequisites.has("tmux"))))
struct WizardSendersTests {
    @Test func port25RestrictedToTLS12ShowsLegacyPlaintextAndGmailTLS() throws {
        let directory = try TemporaryDirectory(prefix: "postls-wizard-senders")
        let factory = try CertificateFactory(directory: directory.file("pki"))
        let mail = try factory.leaf("mail")
        let postfix = try PostfixInstance(mainCF: """
            smtpd_tls_security_level = may
            smtpd_tls_chain_files = \(mail.keyAndChainFile)
            smtpd_tls_protocols = >=TLSv1.2
            smtpd_tls_mandatory_protocols = >=TLSv1.2
            """, listeners: [PostfixListener(name: "smtp")])
        defer { postfix.stop() }
        try postfix.start()
        let port = try #require(postfix.listener(named: "smtp")).port

        let t = try TmuxSession(["/bin/sh"], width: 100, height: 30, environment: ["LANG": "C.UTF-8", "NO_COLOR": "1"])
        defer { t.kill() }
        try t.send("-l", "\(PostlsBinary.path) --config-dir \(postfix.configDirectory) --log \(postfix.logFile) --smtp-port \(port) --timeout 5")
        try t.send("Enter")
        var (found, screen) = t.waitFor("Problems (", timeout: 40)
        #expect(found, "\(screen)")
        (found, screen) = t.waitFor("Senders: legacy → plaintext on smtp", timeout: 40)
        #expect(found, "the Overview names the legacy sender's fallback on the MX listener: \(screen)")
        #expect(!screen.contains("gmail →"), "Gmail is not affected: \(screen)")

        screen = try t.step("3", until: "approximated; see docs/SENDERS.md", timeout: 20)
        let lines = screen.split(separator: "\n").map(String.init)
        let legacy = lines.first { $0.contains("Legacy MTA") }
        let gmail = lines.first { $0.contains("Gmail") }
        #expect(legacy?.contains("plaintext") == true && legacy?.contains("rejects TLSv1") == true, "\(screen)")
        #expect(gmail?.range(of: #" TLS +TLSv1\.[23] .*Gmail"#, options: .regularExpression) != nil, "\(screen)")
        // Microsoft 365 offers TLS 1.2 and 1.3 only: unaffected too.
        #expect(lines.first { $0.contains("Microsoft 365") }?.range(of: #" TLS +TLSv1\.[23] .*Microsoft 365"#, options: .regularExpression) != nil, "\(screen)")
        try t.send("q")
        usleep(300_000)
        if t.screen().contains("Quit") { try t.send("y") }
    }
}
