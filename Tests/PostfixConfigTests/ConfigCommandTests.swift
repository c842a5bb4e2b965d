import Foundation
import PostlsCore
import TestSupport
import Testing
@testable import PostfixConfig

/// `postls config` run as a user runs it: exit codes and stdout per docs/json/config.schema.json and `man postls`.
@Suite(.serialized) struct ConfigCommandTests {
    func run(_ arguments: [String]) throws -> ProcessOutput {
        try PostlsBinary.run(["config"] + arguments, timeout: 120)
    }

    @Test func exitCodesFollowTheContract() throws {
        #expect(try run(["--config-dir", Corpus.root.appendingPathComponent("11-submission-only-encrypt-main").path, "--dovecot-config", "/dev/null"]).status == 2)
        let missing = try run(["--config-dir", "/nonexistent/postfix"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("cannot read /nonexistent/postfix/main.cf"))
        #expect(missing.stdout.isEmpty)
        #expect(try run(["--config-dir", Corpus.root.path + "/01-debian-default", "--dovecot-config", "/nonexistent/dovecot.conf"]).status == 66)
    }

    @Test func jsonGoesToStdoutAlone() throws {
        let directory = try TemporaryConfigDirectory(main: "myhostname = cli.example\nsmtpd_tls_security_level = none\n",
                                                     master: "smtp inet n - n - - smtpd\n")
        let output = try run(["--config-dir", directory.path, "--json", "--dovecot-config", Corpus.root.path + "/dovecot-includes/dovecot.conf"])
        // STARTTLS not offered on port 25 (warning); the Dovecot certificate does not exist here (critical).
        #expect(output.status == 2)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        #expect(json["config_directory"] as? String == directory.path)
        #expect((json["parameters"] as? [String: Any])?.keys.sorted() == ["myhostname", "smtpd_tls_security_level"])
        let findings = try #require(json["findings"] as? [[String: Any]])
        #expect(findings.contains { $0["cause"] as? String == "starttls_unavailable" && $0["file"] as? String == "main.cf" })
        #expect(findings.contains { $0["id"] as? String == "certificate_missing" && ($0["file"] as? String)?.hasSuffix("conf.d/10-ssl.conf") == true })
        #expect((json["dovecot"] as? [String: Any])?["syntax"] as? String == "2.3")
    }

    @Test func textListsFindingsFirstWithoutColorWhenAsked() throws {
        let output = try run(["--config-dir", Corpus.root.path + "/17-amavis-leak", "--no-color", "--dovecot-config", "/dev/null"])
        #expect(!output.stdout.contains("\u{1B}["))
        let findings = try #require(output.stdout.range(of: "client_policy_leak"))
        let listeners = try #require(output.stdout.range(of: "SMTP listeners:"))
        #expect(findings.lowerBound < listeners.lowerBound)
    }

    @Test func binaryAndHugeFilesNeverCrashTheCommand() throws {
        var generator = SeededGenerator(seed: 7)
        let binary = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let directory = try TemporaryConfigDirectory(main: binary, master: binary)
        let output = try run(["--config-dir", directory.path, "--json", "--dovecot-config", "/dev/null"])
        #expect(output.status == 2)
        #expect(output.stdout.contains("\"binary_file\""))
        let fd = open(directory.path + "/main.cf", O_WRONLY | O_TRUNC)
        #expect(ftruncate(fd, 100 << 20) == 0)
        close(fd)
        let huge = try run(["--config-dir", directory.path])
        #expect(huge.status == 66)
        #expect(huge.stderr.contains("not a plausible Postfix configuration"))
    }
}
