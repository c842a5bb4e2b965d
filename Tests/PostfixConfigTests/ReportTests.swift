import Foundation
import PostlsCore
import Testing
@testable import PostfixConfig

@Suite struct ReportTests {
    func report(_ corpus: String, all: Bool = false) throws -> [String: Any] {
        let config = try corpusConfiguration(corpus)
        let findings = LintTests.configLinter.run(LintContext(configuration: config, fileSystem: LintTests.EverythingExists()))
        let data = try ConfigReport(configuration: config, findings: findings, includeDefaults: all).jsonData()
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func jsonFollowsTheCLIContract() throws {
        let json = try report("11-submission-only-encrypt-main")
        #expect(json["config_directory"] as? String == "/etc/postfix")
        #expect(json.keys.contains("dovecot"))
        let parameters = try #require(json["parameters"] as? [String: [String: String]])
        #expect(parameters["smtpd_tls_security_level"] == ["value": "encrypt", "expanded": "encrypt", "source": "main.cf:3"])
        let services = try #require(json["services"] as? [[String: Any]])
        let smtp = try #require(services.first { $0["name"] as? String == "smtp" })
        #expect(smtp["type"] as? String == "inet")
        #expect(smtp["listen"] as? String == "smtp")
        #expect(smtp["port"] as? Int == 25)
        let tls = try #require(smtp["tls"] as? [String: Any])
        for key in ["security_level", "wrappermode", "protocols", "mandatory_protocols", "ciphers", "mandatory_ciphers", "cert_files", "key_files"] {
            #expect(tls[key] != nil, "tls.\(key) missing")
        }
        #expect(tls["wrappermode"] as? Bool == false)
        let submission = try #require(services.first { $0["name"] as? String == "submission" })
        #expect((submission["overrides"] as? [String: String])?["smtpd_tls_security_level"] == "encrypt")
        let findings = try #require(json["findings"] as? [[String: Any]])
        let mx = try #require(findings.first { $0["id"] as? String == "tls_required_on_mx" })
        #expect(mx["cause"] as? String == "tls_required_on_mx")
        #expect(mx["severity"] as? String == "critical")
        #expect(mx["file"] as? String == "main.cf")
        #expect(mx["line"] as? Int == 3)
        #expect(mx["parameter"] as? String == "smtpd_tls_security_level")
        let fix = try #require(mx["fix"] as? [String: Any])
        #expect(fix["file"] as? String == "master.cf")
        #expect((fix["diff"] as? String)?.contains("+  -o smtpd_tls_security_level=may") == true)
        // Findings without a fix carry "fix": null, not a missing key.
        let quiet = try report("12-legacy-use-tls")
        let info = try #require((quiet["findings"] as? [[String: Any]])?.first { $0["fix"] is NSNull })
        #expect(info.keys.contains("line"))
    }

    @Test func allAddsTLSDefaults() throws {
        let plain = try #require(try report("19-no-tls")["parameters"] as? [String: [String: String]])
        #expect(plain["smtpd_tls_protocols"] == nil)
        let all = try #require(try report("19-no-tls", all: true)["parameters"] as? [String: [String: String]])
        #expect(all["smtpd_tls_protocols"]?["source"] == "default")
        #expect(all["smtpd_tls_protocols"]?["value"] == ">=TLSv1")
        #expect(all["smtpd_tls_key_file"]?["value"] == "$smtpd_tls_cert_file")
        #expect(all["myhostname"]?["source"] == "main.cf:1")
    }

    @Test func textPutsFindingsFirstAndExitCodeFollowsTheWorstSeverity() throws {
        let config = try corpusConfiguration("11-submission-only-encrypt-main")
        let findings = LintTests.configLinter.run(LintContext(configuration: config, fileSystem: LintTests.EverythingExists()))
        let report = ConfigReport(configuration: config, findings: findings)
        let text = report.text(color: false)
        let findingsAt = try #require(text.range(of: "tls_required_on_mx"))
        let parametersAt = try #require(text.range(of: "Parameters ("))
        #expect(findingsAt.lowerBound < parametersAt.lowerBound)
        #expect(!text.contains("\u{1B}["))
        #expect(report.exitCode == .critical)
        let clean = try corpusConfiguration("02-debian-tls-snakeoil")
        #expect(ConfigReport(configuration: clean, findings: LintTests.configLinter.run(LintContext(configuration: clean, fileSystem: LintTests.EverythingExists()))).exitCode == .ok)
        let warnings = try corpusConfiguration("03-iredmail-like")
        #expect(ConfigReport(configuration: warnings, findings: LintTests.configLinter.run(LintContext(configuration: warnings, fileSystem: LintTests.EverythingExists()))).exitCode == .warnings)
    }
}

@Suite struct BadInputTests {
    func load(_ directory: TemporaryConfigDirectory) throws -> PostfixConfiguration {
        try PostfixConfiguration.load(directory: directory.path, defaults: TestDefaults.shared)
    }

    @Test func binaryFileIsACriticalFindingNotACrash() throws {
        var generator = SeededGenerator(seed: 42)
        let bytes = (0..<65536).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let directory = try TemporaryConfigDirectory(main: bytes, master: bytes)
        let config = try load(directory)
        let findings = Linter().run(LintContext(configuration: config))
        #expect(findings.contains { $0.id == "binary_file" && $0.severity == .critical })
        #expect(config.main.render() == bytes)
        _ = ConfigReport(configuration: config, findings: findings).text(color: false)
        #expect(throws: Never.self) { try ConfigReport(configuration: config, findings: findings).jsonData() }
    }

    @Test func hundredMegabyteFileIsRefusedWithAClearError() throws {
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        let path = directory.path + "/main.cf"
        let fd = open(path, O_WRONLY | O_TRUNC)
        #expect(ftruncate(fd, 100 << 20) == 0)
        close(fd)
        #expect {
            try load(directory)
        } throws: { error in
            guard case ConfigError.tooLarge(_, let bytes, _) = error else { return false }
            return bytes == 100 << 20 && "\(error)".contains("not a plausible Postfix configuration")
        }
    }

    @Test func invalidUTF8IsReadAndReported() throws {
        let main: [UInt8] = Array("myhostname = caf".utf8) + [0xC3, 0x28, 0xFF] + Array(".example\nsmtpd_tls_security_level = may\n".utf8)
        let directory = try TemporaryConfigDirectory(main: main, master: Array("smtp inet n - n - - smtpd\n".utf8))
        let config = try load(directory)
        #expect(config.main.render() == main)
        #expect(config.main.entry("smtpd_tls_security_level")?.rawValue == "may")
        #expect(config.value("myhostname").contains("\u{FFFD}"))
        #expect(throws: Never.self) { try ConfigReport(configuration: config, findings: []).jsonData() }
    }

    @Test func unreadableOrMissingMainCFIsAnUnreadableError() throws {
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        try FileManager.default.removeItem(atPath: directory.path + "/main.cf")
        #expect { try load(directory) } throws: { error in
            guard case ConfigError.unreadable(let path, let reason) = error else { return false }
            return path.hasSuffix("/main.cf") && reason.contains("No such file")
        }
        // A directory where main.cf should be (root can read any mode, so use a type error).
        try FileManager.default.createDirectory(atPath: directory.path + "/main.cf", withIntermediateDirectories: false)
        #expect { try load(directory) } throws: { error in
            guard case ConfigError.unreadable(_, let reason) = error else { return false }
            return reason.contains("directory")
        }
    }

    @Test func missingMasterCFIsTreatedAsEmpty() throws {
        let directory = try TemporaryConfigDirectory(main: "a = b\n", master: "")
        try FileManager.default.removeItem(atPath: directory.path + "/master.cf")
        #expect(try load(directory).master.services.isEmpty)
    }
}
