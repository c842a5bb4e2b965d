import Foundation
import PostlsCore
import TestSupport
import Testing
import TLSKit
@testable import PostfixConfig

/// Certificate-file rules on real PEM files made by TestSupport's CertificateFactory.
@Suite struct CertificateRuleTests {
    static let pki: (factory: CertificateFactory, directory: TemporaryDirectory)? = {
        guard let directory = try? TemporaryDirectory(prefix: "postls-certrules"),
              let factory = try? CertificateFactory(directory: directory.path + "/pki") else { return nil }
        return (factory, directory)
    }()

    func factory() throws -> CertificateFactory { try #require(Self.pki?.factory) }

    /// Lints a main.cf naming these files, with the test root as trust anchor.
    func findings(cert: String, key: String? = nil, chainFiles: [String]? = nil, host: String = "mail.postls.test",
                  now: Date = Date()) throws -> [Finding] {
        var main = "myhostname = \(host)\nsmtpd_tls_security_level = may\n"
        if let chainFiles {
            main += "smtpd_tls_chain_files = \(chainFiles.joined(separator: ", "))\n"
        } else {
            main += "smtpd_tls_cert_file = \(cert)\nsmtpd_tls_key_file = \(key ?? cert)\n"
        }
        let config = PostfixConfiguration(directory: "/etc/postfix", main: MainCF(text: main),
                                          master: MasterCF(text: "smtp inet n - n - - smtpd\n"), defaults: TestDefaults.shared)
        return Linter().run(LintContext(configuration: config, clock: FixedClock(now), trustAnchors: .file(try factory().rootFile)))
            .filter { CertificateFilesRule().ids.contains($0.id) }
    }

    func ids(_ findings: [Finding]) -> [String] { findings.map(\.id).sorted() }

    @Test func aGoodFullChainWithItsKeyHasNoFindings() throws {
        let good = try factory().leaf("good")
        #expect(ids(try findings(cert: good.fullChainFile, key: good.keyFile)) == [])
        #expect(ids(try findings(cert: "", chainFiles: [good.keyAndChainFile])) == [])
        #expect(ids(try findings(cert: "", chainFiles: [good.keyFile, good.fullChainFile])) == [])
    }

    @Test func missingAndNonPEMFilesAreUnreadableCertificates() throws {
        let good = try factory().leaf("present")
        let missing = try findings(cert: good.fullChainFile + ".missing", key: good.keyFile)
        #expect(ids(missing) == ["certificate_missing"])
        #expect(missing.first?.cause == .certificateUnreadable && missing.first?.line == 3)
        let garbage = try #require(Self.pki).directory.path + "/garbage.pem"
        try Data("this is not PEM\n".utf8).write(to: URL(fileURLWithPath: garbage))
        #expect(ids(try findings(cert: garbage, key: good.keyFile)) == ["certificate_not_pem"])
        #expect(ids(try findings(cert: good.fullChainFile, key: garbage)) == ["certificate_not_pem"])
        #expect(try findings(cert: good.fullChainFile, key: garbage).first?.parameter == "smtpd_tls_key_file")
    }

    @Test func aKeyOfAnotherCertificateIsAKeyMismatch() throws {
        let a = try factory().leaf("pair-a"), b = try factory().leaf("pair-b")
        let list = try findings(cert: a.fullChainFile, key: b.keyFile)
        #expect(ids(list) == ["key_mismatch"])
        #expect(list.first?.cause == .keyMismatch && list.first?.severity == .critical)
        #expect(ids(try findings(cert: a.fullChainFile, key: a.keyFile)) == [])
    }

    @Test func expiredExpiringAndNotYetValidCertificates() throws {
        let day: TimeInterval = 86_400
        let expired = try factory().leaf("expired", notBefore: Date().addingTimeInterval(-90 * day), notAfter: Date().addingTimeInterval(-day))
        #expect(ids(try findings(cert: expired.fullChainFile, key: expired.keyFile)) == ["certificate_expired"])
        let expiring = try factory().leaf("expiring", notBefore: Date().addingTimeInterval(-60 * day), notAfter: Date().addingTimeInterval(5 * day))
        let warning = try findings(cert: expiring.fullChainFile, key: expiring.keyFile)
        #expect(ids(warning) == ["certificate_expiring"])
        #expect(warning.first?.severity == .warning)
        let future = try factory().leaf("future", notBefore: Date().addingTimeInterval(10 * day), notAfter: Date().addingTimeInterval(100 * day))
        #expect(ids(try findings(cert: future.fullChainFile, key: future.keyFile)) == ["certificate_not_yet_valid"])
        // The same expiring certificate seen 30 days earlier is fine.
        #expect(ids(try findings(cert: expiring.fullChainFile, key: expiring.keyFile, now: Date().addingTimeInterval(-30 * day))) == [])
    }

    @Test func selfSignedCertificateIsUntrusted() throws {
        let selfSigned = try factory().leaf("selfsigned", issuer: .selfSigned)
        let list = try findings(cert: selfSigned.certFile, key: selfSigned.keyFile)
        #expect(ids(list) == ["self_signed_certificate"])
        #expect(list.first?.cause == .untrustedCertificate)
    }

    @Test func aCertFileWithOnlyTheLeafIsAnIncompleteChain() throws {
        let leaf = try factory().leaf("leafonly")
        let list = try findings(cert: leaf.certFile, key: leaf.keyFile)
        #expect(ids(list) == ["incomplete_chain"])
        #expect(list.first?.cause == .incompleteChain)
        // Issued directly by the (trusted) root, a lone leaf is complete.
        let direct = try factory().leaf("direct", issuer: .root)
        #expect(ids(try findings(cert: direct.certFile, key: direct.keyFile)) == [])
    }

    @Test func weakKeysAndSHA1SignaturesAreWeakCertificates() throws {
        let weak = try factory().leaf("rsa1024", key: .rsa(bits: 1024))
        #expect(ids(try findings(cert: weak.fullChainFile, key: weak.keyFile)) == ["weak_key"])
        let strong = try factory().leaf("rsa2048", key: .rsa(bits: 2048))
        #expect(ids(try findings(cert: strong.fullChainFile, key: strong.keyFile)) == [])
        let sha1 = try factory().leaf("sha1", digest: .sha1)
        #expect(ids(try findings(cert: sha1.fullChainFile, key: sha1.keyFile)).contains("weak_signature"))
    }

    @Test func namesMustCoverMyhostname() throws {
        let other = try factory().leaf("othername", commonName: "www.postls.test")
        let list = try findings(cert: other.fullChainFile, key: other.keyFile, host: "mail.postls.test")
        #expect(ids(list) == ["name_mismatch"])
        #expect(list.first?.cause == .nameMismatch)
        let wildcard = try factory().leaf("wildcard", commonName: "*.postls.test")
        #expect(ids(try findings(cert: wildcard.fullChainFile, key: wildcard.keyFile, host: "mail.postls.test")) == [])
    }
}

@Suite struct DovecotLintTests {
    func lint(_ dovecotText: String, directory: TemporaryConfigDirectory) throws -> [Finding] {
        try directory.write("dovecot.conf", Array(dovecotText.utf8))
        let dovecot = try DovecotConfig(path: directory.path + "/dovecot.conf")
        let config = PostfixConfiguration(directory: directory.path, main: MainCF(text: "myhostname = mail.postls.test\n"),
                                          master: MasterCF(text: ""), defaults: TestDefaults.shared)
        let factory = try #require(CertificateRuleTests.pki?.factory)
        return Linter().run(LintContext(configuration: config, trustAnchors: .file(factory.rootFile), dovecot: dovecot))
    }

    @Test func dovecotCertificatesAreCheckedLikePostfixOnes() throws {
        let factory = try #require(CertificateRuleTests.pki?.factory)
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        let a = try factory.leaf("dovecot-a"), b = try factory.leaf("dovecot-b")
        let good = try lint("ssl = required\nssl_cert = <\(a.fullChainFile)\nssl_key = <\(a.keyFile)\n", directory: directory)
        #expect(good.isEmpty)
        let mismatched = try lint("ssl = required\nssl_cert = <\(a.fullChainFile)\nssl_key = <\(b.keyFile)\n", directory: directory)
        let finding = try #require(mismatched.first { $0.id == "key_mismatch" })
        #expect(finding.file == directory.path + "/dovecot.conf" && finding.line == 3 && finding.parameter == "ssl_key")
        let v24 = try lint("ssl_server_cert_file = \(a.certFile)\nssl_server_key_file = \(a.keyFile)\n", directory: directory)
        #expect(v24.map(\.id) == ["incomplete_chain"])
    }

    @Test func certificatesOfFiltersAreCheckedForTheirOwnNames() throws {
        let factory = try #require(CertificateRuleTests.pki?.factory)
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        let global = try factory.leaf("dovecot-global")
        let sni = try factory.leaf("dovecot-sni", commonName: "imap.example.org")
        let expired = try factory.leaf("dovecot-expired", commonName: "imap.example.org",
                                       notBefore: Date().addingTimeInterval(-90 * 86_400), notAfter: Date().addingTimeInterval(-86_400))
        func text(_ pair: (String, String)) -> String {
            "ssl = required\nssl_cert = <\(global.fullChainFile)\nssl_key = <\(global.keyFile)\n"
                + "local_name imap.example.org {\n  ssl_cert = <\(pair.0)\n  ssl_key = <\(pair.1)\n}\n"
        }
        // The SNI certificate covers the SNI name (not myhostname): nothing to report.
        #expect(try lint(text((sni.fullChainFile, sni.keyFile)), directory: directory).isEmpty)
        let list = try lint(text((expired.fullChainFile, expired.keyFile)), directory: directory)
        let finding = try #require(list.first { $0.cause == .expiredCertificate })
        #expect(finding.line == 5 && finding.parameter == "ssl_cert (local_name imap.example.org)")
        // A filter certificate for a name it does not cover is a name mismatch.
        let wrong = try lint(text((global.fullChainFile, sni.keyFile)).replacingOccurrences(of: "imap.example.org {", with: "pop.example.org {"),
                             directory: directory)
        #expect(wrong.contains { $0.id == "key_mismatch" && $0.parameter == "ssl_key (local_name pop.example.org)" })
    }

    /// The installed doveconf is the judge of what the installed Dovecot accepts: a 2.4 name on 2.3 is refused.
    @Test(.enabled(if: findExecutable("doveconf") != nil || RealPostconf.isCI, "needs doveconf"))
    func settingsTheInstalledDovecotRefusesAreFound() throws {
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        let path = directory.path + "/dovecot.conf"
        try directory.write("dovecot.conf", Array("ssl = yes\nssl_min_protocol = TLSv1.2\n".utf8))
        #expect(try DovecotConfig(path: path).validate(runner: SystemProcessRunner()) == nil)
        let version = try SystemProcessRunner().run("dovecot", ["--version"], timeout: 10).stdout
        // The other major version's name for the certificate file.
        let foreign = version.hasPrefix("2.3") ? "ssl_server_cert_file = /etc/ssl/mail.pem" : "ssl_cert = </etc/ssl/mail.pem"
        try directory.write("dovecot.conf", Array("ssl = yes\n\(foreign)\n".utf8))
        let config = try DovecotConfig(path: path)
        let verdict = try #require(config.validate(runner: SystemProcessRunner()))
        #expect(verdict.line == 2 && verdict.file == path, "\(verdict)")
        var context = LintContext(configuration: PostfixConfiguration(directory: directory.path, main: MainCF(text: ""), master: MasterCF(text: ""),
                                                                      defaults: TestDefaults.shared), dovecot: config)
        context.dovecotValidation = verdict
        let finding = try #require(Linter().run(context).first { $0.id == "dovecot_rejected" })
        #expect(finding.line == 2 && finding.severity == .critical && finding.message.contains(verdict.message))
        #expect(DovecotConfig.parseDoveconfError("doveconf: Fatal: Error in configuration file /x/y.conf line 7: Unknown setting: foo\n")
                == DovecotValidation(file: "/x/y.conf", line: 7, message: "Unknown setting: foo"))
    }

    @Test func dovecotWithoutTLSOrWithABadProtocolIsFound() throws {
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        #expect(try lint("ssl = no\n", directory: directory).map(\.id) == ["dovecot_ssl_disabled"])
        let bad = try lint("ssl = yes\nprotocol imap {\n  ssl_min_protocol = TLSv1.4\n}\n", directory: directory)
        #expect(bad.first { $0.id == "dovecot_invalid_protocol" }?.line == 3)
        #expect(try lint("ssl = yes\nssl_min_protocol = TLSv1.2\n", directory: directory).filter { $0.id.hasPrefix("dovecot_") }.isEmpty)
        // Two overlapping filters setting the same key: doveconf's "Conflict in setting".
        let conflict = try lint("ssl = yes\nprotocol pop3 {\n  ssl_min_protocol = TLSv1\n}\nremote 10.0.0.0/8 {\n  ssl_min_protocol = TLSv1.3\n}\n",
                                directory: directory)
        #expect(conflict.filter { $0.id == "dovecot_filter_conflict" }.map(\.line) == [6])
        // Nested, the inner one wins: no conflict.
        #expect(try lint("ssl = yes\nremote 10.0.0.0/8 {\n  ssl_min_protocol = TLSv1\n  protocol pop3 {\n  ssl_min_protocol = TLSv1.3\n}\n}\n",
                         directory: directory).filter { $0.id.hasPrefix("dovecot_") }.isEmpty)
        // The other way round Dovecot does not start.
        let inverted = try lint("ssl = yes\nprotocol pop3 {\n  ssl_min_protocol = TLSv1\n  remote 10.0.0.0/8 {\n  ssl_min_protocol = TLSv1.3\n}\n}\n",
                                directory: directory)
        #expect(inverted.filter { $0.id == "dovecot_config_error" }.map(\.message)
                == ["Dovecot's configuration: protocol { remote { .. } } not allowed (use remote { protocol { .. } } instead)"])
        let unquoted = try lint("ssl = yes\nlocal_name a.example.org b.example.org {\n  ssl_cert = </x\n}\n", directory: directory)
        #expect(unquoted.first { $0.id == "dovecot_config_error" }?.line == 2)
    }
}
