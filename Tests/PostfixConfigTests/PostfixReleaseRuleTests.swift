import Foundation
import PostlsCore
import Testing
import TestSupport
@testable import PostfixConfig

/// What changed in Postfix 3.8–3.11, judged by the release the defaults say is installed.
@Suite struct PostfixReleaseRuleTests {
    func findings(_ main: String, master: String = "smtp inet n - n - - smtpd\n", release: String,
                  fileSystem: ConfigFileSystem = LocalFileSystem()) -> [Finding] {
        var defaults = ParameterDefaults.catalog(ParameterCatalog.forVersion(PostfixVersion(release)!), hostName: "mx")
        defaults.values["mail_version"] = release
        let config = PostfixConfiguration(directory: "/etc/postfix", main: MainCF(text: main), master: MasterCF(text: master), defaults: defaults)
        return PostfixReleaseRule().check(LintContext(configuration: config, fileSystem: fileSystem))
    }

    @Test func deprecatedParametersAreReportedFromTheReleaseWhosePostconfWarns() throws {
        let main = "smtpd_use_tls = yes\nsmtpd_tls_eecdh_grade = strong\nvirtual_maps = hash:/etc/postfix/virtual\n"
        let master = "submission inet n - n - - smtpd\n  -o smtpd_enforce_tls=yes\n"
        #expect(findings(main, master: master, release: "3.7.11").filter { $0.id == "deprecated_parameter" }.isEmpty)
        let on310 = findings(main, master: master, release: "3.10.13").filter { $0.id == "deprecated_parameter" }
        #expect(Set(on310.compactMap(\.parameter)) == ["smtpd_use_tls", "smtpd_tls_eecdh_grade", "smtpd_enforce_tls"])
        let useTLS = try #require(on310.first { $0.parameter == "smtpd_use_tls" })
        #expect(useTLS.location == "main.cf:1")
        #expect(useTLS.message.contains("support for parameter \"smtpd_use_tls\" will be removed; instead, specify \"smtpd_tls_security_level\""))
        #expect(on310.first { $0.parameter == "smtpd_enforce_tls" }?.location == "master.cf:2")
        // 3.11's postconf adds virtual_maps and the other renamed parameters.
        #expect(findings(main, release: "3.11.0").contains { $0.parameter == "virtual_maps" && $0.id == "deprecated_parameter" })
    }

    /// postconf of the Debian 13 root prints the warning the finding quotes.
    @Test(.enabled(if: Trixie.shouldRun))
    func theWarningIsPostconfsOwn() throws {
        try #require(Trixie.servers != nil, "CI is set but the Debian 13 root is missing")
        let directory = try TemporaryConfigDirectory(main: "smtpd_use_tls = yes\n")
        let output = try Trixie.postconf(configDirectory: directory.path, ["-n"])
        let finding = try #require(findings("smtpd_use_tls = yes\n", release: "3.10.13").first { $0.id == "deprecated_parameter" })
        let quoted = String(try #require(finding.message.components(separatedBy: "main.cf: ").last).dropLast())  // without the final "."
        #expect(output.stderr.contains(quoted), "\(output.stderr)")
    }

    @Test func exportAndLowGradesAreMediumFrom38() {
        let main = "smtpd_tls_ciphers = low\nsmtp_tls_mandatory_ciphers = export\ntls_low_cipherlist = ALL\n"
        #expect(findings(main, release: "3.7.11").filter { $0.id == "cipher_grade_remapped" }.isEmpty)
        let on38 = findings(main, release: "3.8.6").filter { $0.id == "cipher_grade_remapped" }
        #expect(Set(on38.compactMap(\.location)) == ["main.cf:1", "main.cf:2", "main.cf:3"])
        #expect(on38.first { $0.parameter == "smtpd_tls_ciphers" }?.fix == .setMain(name: "smtpd_tls_ciphers", value: "medium"))
    }

    @Test func tlsrptWithoutItsSocketIsAFinding() throws {
        let directory = try TemporaryConfigDirectory(main: "")
        #expect(findings("smtp_tlsrpt_enable = yes\n", release: "3.10.13").first { $0.id == "tlsrpt_socket_missing" }?.location == "main.cf:1")
        #expect(findings("smtp_tlsrpt_enable = yes\nsmtp_tlsrpt_socket_name = \(directory.path)/missing\n", release: "3.10.13")
            .contains { $0.id == "tlsrpt_socket_missing" })
        // A socket that is there (any file: existence is what is checked).
        #expect(!findings("smtp_tlsrpt_enable = yes\nsmtp_tlsrpt_socket_name = \(directory.path)/main.cf\n", release: "3.10.13")
            .contains { $0.id == "tlsrpt_socket_missing" })
        #expect(!findings("smtp_tlsrpt_socket_name = /nowhere\n", release: "3.10.13").contains { $0.id == "tlsrpt_socket_missing" })
    }

    @Test func anOpenSSLConfigThatRaisesTheFloorIsReportedAtItsLine() throws {
        let cnf = """
            openssl_conf = init
            [init]
            ssl_conf = ssl_sect
            [ssl_sect]
            system_default = defaults
            [defaults]
            MinProtocol = TLSv1.3
            CipherString = DEFAULT:@SECLEVEL=3
            Options = ServerPreference

            """
        let directory = try TemporaryConfigDirectory(main: "")
        try directory.write("openssl.cnf", Array(cnf.utf8))
        let path = directory.path + "/openssl.cnf"
        let found = findings("tls_config_file = \(path)\n", release: "3.10.13").filter { $0.id == "openssl_config_overrides" }
        #expect(found.map(\.location) == ["\(path):7", "\(path):8"])
        #expect(found.map(\.cause) == [.protocolMismatch, .noSharedCipher])
        #expect(findings("tls_config_file = none\n", release: "3.10.13").filter { $0.id == "openssl_config_overrides" }.isEmpty)
    }

    @Test func theClientLevelDefaultOf311IsWithheldBelowCompatibilityLevel311() {
        #expect(findings("compatibility_level = 3.6\n", release: "3.11.0").first { $0.id == "compatibility_tls_default" }?.location == "main.cf:1")
        #expect(!findings("compatibility_level = 3.6\nsmtp_tls_security_level = may\n", release: "3.11.0").contains { $0.id == "compatibility_tls_default" })
        #expect(!findings("compatibility_level = 3.6\n", release: "3.10.13").contains { $0.id == "compatibility_tls_default" })
    }
}
