import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit

/// No key material in any output: every command of a session over a configuration whose key file is named
/// in main.cf, and a log with a key pasted into it (people paste anything into tickets).
@Suite("No key material in any output")
struct SecurityOutputTests {
    @Test func noCommandPrintsThePrivateKey() throws {
        let dir = try TemporaryDirectory()
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try factory.leaf("mail", key: .rsa(bits: 2048))
        let keyText = try String(contentsOfFile: leaf.keyFile, encoding: .utf8)
        // A few lines of the key's base64 body: none may appear anywhere.
        let keyLines = keyText.split(separator: "\n").filter { !$0.hasPrefix("-----") }.prefix(6).map(String.init)
        try dir.write("etc/main.cf", """
            myhostname = mail.postls.test
            smtpd_tls_security_level = may
            smtpd_tls_cert_file = \(leaf.fullChainFile)
            smtpd_tls_key_file = \(leaf.keyFile)
            smtpd_tls_chain_files = \(leaf.keyAndChainFile)

            """)
        try dir.write("etc/master.cf", "smtp inet n - n - - smtpd\n")
        let pasted = keyText.split(separator: "\n").map { "Nov 29 01:02:03 mail postfix/smtpd[77]: warning: \($0)" }.joined(separator: "\n")
        try dir.write("mail.log", pasted + "\nNov 29 01:02:04 mail postfix/smtpd[77]: warning: TLS library problem: error:0A000418:SSL routines::tlsv1 alert unknown ca:x.c:1:SSL alert number 48:\n")
        let etc = dir.file("etc"), log = dir.file("mail.log")
        let commands: [[String]] = [
            ["config", "--config-dir", etc], ["config", "--config-dir", etc, "--json", "--all"],
            ["diagnose", "--config-dir", etc, "--log", log, "--no-probe"], ["diagnose", "--config-dir", etc, "--log", log, "--no-probe", "--json"],
            ["fix", "list", "--config-dir", etc, "--log", log, "--no-probe"],
            ["logs", log], ["logs", log, "--json"],
            ["report", "--config-dir", etc, "--log", log, "--no-probe"], ["report", "--config-dir", etc, "--log", log, "--no-probe", "--format", "json"],
            ["demo", "--print"], ["demo", "--print", "--json"],
        ]
        for command in commands {
            let out = try PostlsBinary.run(command, timeout: 120)
            let all = out.stdout + out.stderr
            #expect(!all.contains("PRIVATE KEY"), "postls \(command.joined(separator: " ")) printed a key marker")
            for line in keyLines {
                #expect(!all.contains(line), "postls \(command.joined(separator: " ")) printed key material")
            }
            #expect(out.status != 70 && out.status < 128, "postls \(command.joined(separator: " ")) failed: \(out.status) \(out.stderr)")
        }
        // A support bundle carries main.cf and the log's lines: still no key, neither in the file nor when opened.
        let bundle = dir.file("b.json")
        let written = try PostlsBinary.run(["report", "--bundle", bundle, "--config-dir", etc, "--log", log, "--no-probe"], timeout: 120)
        #expect(written.status != 70, "\(written.stderr)")
        let opened = try PostlsBinary.run(["open", bundle], timeout: 60)
        #expect(opened.status == 0 && opened.stdout.contains("postls bundle"), "\(opened.stderr)")
        let file = try String(contentsOfFile: bundle, encoding: .utf8)
        #expect(file.contains("smtpd_tls_key_file") && file.contains("tlsv1 alert unknown ca"), "the bundle holds main.cf and the log (else this proves nothing)")
        for text in [file, opened.stdout + opened.stderr] {
            #expect(!text.contains("PRIVATE KEY"))
            for line in keyLines { #expect(!text.contains(line), "the bundle carries key material") }
        }
    }
}
