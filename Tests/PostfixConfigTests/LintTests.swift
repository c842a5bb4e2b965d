import Foundation
import PostlsCore
import Testing
@testable import PostfixConfig

/// Every rule fires on a real file that has the problem and stays quiet on one that does not.
@Suite struct LintTests {
    /// Files in the corpus do not exist on disk; this file system says every path exists so the
    /// certificate rule stays out of the way of the rule under test.
    struct EverythingExists: ConfigFileSystem {
        let real = LocalFileSystem()
        func read(_ path: String) throws -> [UInt8] { try real.read(path) }
        func exists(_ path: String) -> Bool { true }
        func size(_ path: String) -> Int? { real.size(path) }
        func attributes(_ path: String) throws -> FileAttributes { try real.attributes(path) }
        func createExclusive(_ path: String, bytes: [UInt8], mode: UInt32) throws { try real.createExclusive(path, bytes: bytes, mode: mode) }
        func changeOwner(_ path: String, uid: UInt32, gid: UInt32) throws { try real.changeOwner(path, uid: uid, gid: gid) }
        func changeMode(_ path: String, mode: UInt32) throws { try real.changeMode(path, mode: mode) }
        func rename(_ from: String, to: String) throws { try real.rename(from, to: to) }
        func syncDirectory(_ path: String) throws { try real.syncDirectory(path) }
        func remove(_ path: String) throws { try real.remove(path) }
        func createDirectory(_ path: String, mode: UInt32) throws { try real.createDirectory(path, mode: mode) }
        func isSymbolicLink(_ path: String) -> Bool { real.isSymbolicLink(path) }
    }

    /// The rules that do not read certificate files (the corpus names files that do not exist).
    static let configLinter = Linter(rules: Linter.standardRules.filter { !($0 is CertificateFilesRule) })

    func findings(_ corpus: String, evaluator: CipherListEvaluator? = nil) throws -> [Finding] {
        Self.configLinter.run(LintContext(configuration: try corpusConfiguration(corpus), cipherEvaluator: evaluator, fileSystem: EverythingExists()))
    }

    func findings(main: String, master: String = "smtp inet n - n - - smtpd\n") -> [Finding] {
        let config = PostfixConfiguration(directory: "/etc/postfix", main: MainCF(text: main), master: MasterCF(text: master), defaults: TestDefaults.shared)
        return Self.configLinter.run(LintContext(configuration: config, fileSystem: EverythingExists()))
    }

    func ids(_ list: [Finding]) -> Set<String> { Set(list.map(\.id)) }

    @Test(arguments: [
        // rule id, corpus case that triggers it, corpus case that must not
        ("tls_required_on_mx", "11-submission-only-encrypt-main", "02-debian-tls-snakeoil"),
        ("protocol_floor_on_mx", "03-iredmail-like", "02-debian-tls-snakeoil"),
        ("protocol_floor_on_mx", "04-mailcow-like", "08-master-braces"),
        ("ssl_protocols_enabled", "20-ssl3-allowed", "12-legacy-use-tls"),
        ("starttls_unavailable", "19-no-tls", "02-debian-tls-snakeoil"),
        ("legacy_tls_parameter", "04-mailcow-like", "02-debian-tls-snakeoil"),
        ("legacy_tls_parameter", "12-legacy-use-tls", "03-iredmail-like"),
        ("remote_certificate_unverified", "15-verify-no-ca", "13-relay-465"),
        ("wrappermode_mismatch", "13-relay-465", "14-relay-465-wrapper"),
        ("client_policy_leak", "17-amavis-leak", "03-iredmail-like"),
        ("client_policy_leak", "17-amavis-leak", "10-unknown-parameters"),
        ("duplicate_parameter", "07-duplicates", "02-debian-tls-snakeoil"),
        ("missing_wrappermode_on_465", "27-smtps-without-wrappermode", "08-master-braces"),
    ])
    func ruleFiresOnTheFileWithTheProblemOnly(_ id: String, _ bad: String, _ good: String) throws {
        #expect(ids(try findings(bad)).contains(id), "\(id) should fire on \(bad)")
        #expect(!ids(try findings(good)).contains(id), "\(id) must not fire on \(good)")
    }

    @Test func mxRequiringTLSIsCriticalWithAPort25OnlyFix() throws {
        let finding = try #require(try findings("11-submission-only-encrypt-main").first { $0.id == "tls_required_on_mx" })
        #expect(finding.cause == .tlsRequiredOnMX)
        #expect(finding.severity == .critical)
        #expect(finding.file == "main.cf" && finding.line == 3 && finding.parameter == "smtpd_tls_security_level")
        #expect(finding.fix == .setOverride(service: "smtp", type: "inet", name: "smtpd_tls_security_level", value: "may"))
    }

    @Test func fixesRemoveTheFindingTheyAreFor() throws {
        // Applying the proposed fix to the real file makes the finding go away, and only that one.
        for (corpus, id) in [("11-submission-only-encrypt-main", "tls_required_on_mx"), ("03-iredmail-like", "protocol_floor_on_mx"),
                             ("13-relay-465", "wrappermode_mismatch"), ("17-amavis-leak", "client_policy_leak"),
                             ("15-verify-no-ca", "remote_certificate_unverified"), ("20-ssl3-allowed", "ssl_protocols_enabled"),
                             ("04-mailcow-like", "legacy_tls_parameter")] {
            var config = try corpusConfiguration(corpus)
            let before = Self.configLinter.run(LintContext(configuration: config, fileSystem: EverythingExists()))
            for fix in before.filter({ $0.id == id }).compactMap(\.fix) {
                if fix.file == "main.cf" {
                    config = PostfixConfiguration(directory: config.directory, main: try config.main.applying(fix), master: config.master, defaults: config.defaults)
                } else {
                    config = PostfixConfiguration(directory: config.directory, main: config.main, master: try config.master.applying(fix), defaults: config.defaults)
                }
            }
            let after = Self.configLinter.run(LintContext(configuration: config, fileSystem: EverythingExists()))
            #expect(!ids(after).contains(id), "\(corpus): \(id) still present after its fix")
            #expect(after.count < before.count)
        }
    }

    @Test func cipherSettingsThatLeaveNothingAreFoundWithTheRealOpenSSL() throws {
        let evaluator = OpenSSLCipherEvaluator(runner: SystemProcessRunner())
        #expect(evaluator.cipherCount("aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH").map { $0 > 10 } == true)
        let bad = try findings("21-ciphers-empty", evaluator: evaluator)
        let finding = try #require(bad.first { $0.id == "no_shared_cipher" })
        #expect(finding.cause == .noSharedCipher)
        #expect(finding.parameter == "smtpd_tls_exclude_ciphers")
        #expect(!ids(try findings("04-mailcow-like", evaluator: evaluator)).contains("no_shared_cipher"))
        #expect(!ids(try findings("03-iredmail-like", evaluator: evaluator)).contains("no_shared_cipher"))
    }

    @Test func invalidGradeAndProtocolNamesAreReported() {
        let list = findings(main: "smtpd_tls_security_level = may\nsmtpd_tls_cert_file = /c.pem\nsmtpd_tls_ciphers = strong\nsmtpd_tls_protocols = >=TLSv1.2, TLSv9\n")
        #expect(ids(list).isSuperset(of: ["invalid_cipher_grade", "invalid_protocol_list"]))
        #expect(!ids(findings(main: "smtpd_tls_security_level = may\nsmtpd_tls_cert_file = /c.pem\nsmtpd_tls_ciphers = high\n")).contains("invalid_cipher_grade"))
    }

    @Test func tlsWithoutCertificateIsCritical() {
        let list = findings(main: "smtpd_tls_security_level = may\n")
        #expect(list.first { $0.id == "tls_without_certificate" }?.severity == .critical)
        #expect(!ids(findings(main: "smtpd_tls_security_level = may\nsmtpd_tls_cert_file = /c.pem\n")).contains("tls_without_certificate"))
    }

    @Test func wrapperModeOnAStartTLSPortIsFound() {
        let master = "submission inet n - n - - smtpd -o smtpd_tls_wrappermode=yes\n"
        #expect(ids(findings(main: "smtpd_tls_cert_file = /c.pem\n", master: master)).contains("wrappermode_on_starttls_port"))
        #expect(!ids(findings(main: "smtpd_tls_cert_file = /c.pem\n", master: "smtps inet n - n - - smtpd -o smtpd_tls_wrappermode=yes\n")).contains("wrappermode_on_starttls_port"))
    }

    @Test func expansionLoopsAndSyntaxErrorsAreCriticalFindings() {
        let list = findings(main: "a = $b\nb = $a\nc = ${broken\nd = $nowhere_defined\nsmtpd_banner = $c\n")
        let errors = list.filter { $0.id == "expansion_error" }
        #expect(Set(errors.compactMap(\.parameter)) == ["a", "b", "c", "smtpd_banner"])
        // a, b (a loop) and smtpd_banner are used; c is referenced by smtpd_banner.
        #expect(errors.allSatisfy { $0.severity == .critical })
        // An unknown parameter nothing refers to is not expanded by any daemon: a warning only.
        let unused = findings(main: "u_unused = ${broken\n").first { $0.id == "expansion_error" }
        #expect(unused?.severity == .warning)
        #expect(list.contains { $0.id == "undefined_reference" && $0.parameter == "d" })
        #expect(!ids(findings(main: "a = $myhostname\n")).contains("expansion_error"))
    }

    @Test func malformedLinesAndMasterErrorsAreFindings() {
        let list = findings(main: "good = 1\nthis line has no equals\n  orphan\n", master: "smtp inet n - n smtpd\n")
        #expect(ids(list).isSuperset(of: ["malformed_line", "master_cf_error"]))
        #expect(list.first { $0.id == "malformed_line" }?.line == 2)
    }

    @Test func missingCertificateFilesAreFoundOnTheRealFileSystem() throws {
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        try directory.write("cert.pem", Array("not really a cert".utf8))
        let present = "smtpd_tls_security_level = may\nsmtpd_tls_cert_file = \(directory.path)/cert.pem\n"
        let missing = "smtpd_tls_security_level = may\nsmtpd_tls_cert_file = \(directory.path)/missing.pem\n"
        func run(_ main: String) -> [Finding] {
            let config = PostfixConfiguration(directory: directory.path, main: MainCF(text: main), master: MasterCF(text: "smtp inet n - n - - smtpd\n"), defaults: TestDefaults.shared)
            return Linter().run(LintContext(configuration: config))
        }
        #expect(run(missing).contains { $0.id == "certificate_missing" && $0.cause == .certificateUnreadable && $0.line == 2 })
        #expect(!run(present).contains { $0.id == "certificate_missing" })
    }
}

@Suite struct ChrootAndVersionRuleTests {
    @Test func capathInsideAChrootedClientIsFound() throws {
        // Debian's own layout: smtp unix chroot y, smtp_tls_CApath=/etc/ssl/certs, no CAfile.
        let debian = try corpusConfiguration("02-debian-tls-snakeoil")
        let context = LintContext(configuration: debian, fileSystem: LocalFileSystem())
        let finding = try #require(CApathChrootRule().check(context).first)
        #expect(finding.id == "capath_outside_chroot" && finding.cause == .remoteCertificateUnverified && finding.severity == .info)
        #expect(finding.line == 13 && finding.parameter == "smtp_tls_CApath")
        // With a CAfile (read before chroot) nothing is reported.
        #expect(CApathChrootRule().check(LintContext(configuration: try corpusConfiguration("13-relay-465"))).isEmpty)
    }

    @Test func protocolRangesOnPostfixOlderThan36AreUnsupported() throws {
        let corpus = try corpusConfiguration("04-mailcow-like")
        var defaults = corpus.defaults
        defaults.values["mail_version"] = "3.4.14"
        let old = PostfixConfiguration(directory: corpus.directory, main: corpus.main, master: corpus.master, defaults: defaults)
        let findings = VersionSupportRule().check(LintContext(configuration: old))
        #expect(findings.contains { $0.parameter == "smtpd_tls_protocols" && $0.severity == .critical && $0.cause == .unsupportedSetting })
        // The installed 3.7 understands them.
        #expect(VersionSupportRule().check(LintContext(configuration: corpus)).isEmpty)
        defaults.values["mail_version"] = "3.3.1"
        let chain = try corpusConfiguration("18-sni-and-chain-files")
        let older = PostfixConfiguration(directory: chain.directory, main: chain.main, master: chain.master, defaults: defaults)
        #expect(Set(VersionSupportRule().check(LintContext(configuration: older)).compactMap(\.parameter)) == ["smtpd_tls_chain_files", "tls_server_sni_maps"])
    }
}

@Suite struct AuxiliaryFilesRuleTests {
    func run(_ main: String, _ directory: TemporaryConfigDirectory) -> [Finding] {
        let config = PostfixConfiguration(directory: directory.path, main: MainCF(text: main), master: MasterCF(text: "smtp inet n - n - - smtpd\n"),
                                          defaults: TestDefaults.shared)
        return AuxiliaryFilesRule().check(LintContext(configuration: config))
    }

    @Test func sniMapWithoutItsPostmapFileIsFound() throws {
        // The real corpus file names hash:/etc/postfix/sni_maps, which was never built here.
        let corpus = try corpusConfiguration("18-sni-and-chain-files")
        let finding = try #require(AuxiliaryFilesRule().check(LintContext(configuration: corpus)).first { $0.id == "sni_map_not_built" })
        #expect(finding.cause == .sniMisconfiguration && finding.line == 8)
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        try directory.write("sni", Array("mail.example /a.key /a.pem\n".utf8))
        try directory.write("sni.db", [0])
        #expect(run("tls_server_sni_maps = hash:\(directory.path)/sni\n", directory).isEmpty)
        #expect(run("tls_server_sni_maps = inline:{ { a = b } }\n", directory).isEmpty)
    }

    @Test func missingDHAndCAFilesAreFound() throws {
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        try directory.write("dh.pem", Array("x".utf8))
        let missing = run("smtpd_tls_dh1024_param_file = \(directory.path)/nope.pem\nsmtp_tls_CAfile = \(directory.path)/nope.crt\n", directory)
        #expect(Set(missing.map(\.id)) == ["dh_file_missing", "ca_file_missing"])
        #expect(missing.first { $0.id == "dh_file_missing" }?.cause == .dhParameters)
        #expect(run("smtpd_tls_dh1024_param_file = \(directory.path)/dh.pem\nsmtp_tls_CAfile = \(directory.path)/dh.pem\n", directory).isEmpty)
    }
}
