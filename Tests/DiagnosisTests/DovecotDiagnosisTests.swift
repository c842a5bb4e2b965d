import Foundation
import PostlsCore
import Testing
import TestSupport
@testable import Diagnosis

/// Dovecot's TLS joins the diagnosis: an expired IMAP certificate is a diagnosis with its dovecot.conf line,
/// from the engine and from the command line (`--dovecot-config`).
@Suite("Dovecot in the diagnosis", .enabled(if: Prerequisites.postconf))
struct DovecotDiagnosisTests {
    static let pki = Result { () throws -> (TemporaryDirectory, CertificateFactory) in
        let dir = try TemporaryDirectory(prefix: "postls-dovecot-diag")
        return (dir, try CertificateFactory(directory: dir.file("pki")))
    }

    /// A Postfix config with working TLS and a Dovecot whose certificate expired yesterday.
    func setup() throws -> (TemporaryDirectory, String) {
        let (_, factory) = try Self.pki.get()
        let tag = UUID().uuidString.prefix(8)
        let good = try factory.leaf("postfix-good-\(tag)")
        let expired = try factory.leaf("dovecot-expired-\(tag)", notBefore: Date().addingTimeInterval(-90 * 86_400), notAfter: Date().addingTimeInterval(-86_400))
        let dir = try TemporaryDirectory(prefix: "postls-dovecot-diag-cf")
        try dir.write("main.cf", "myhostname = mail.postls.test\nsmtpd_tls_security_level = may\nsmtpd_tls_chain_files = \(good.keyAndChainFile)\n")
        try dir.write("master.cf", "smtp inet n - n - - smtpd\n")
        backdateForPostconf(dir.file("main.cf"))
        try dir.write("dovecot.conf", "ssl = required\nssl_cert = <\(expired.fullChainFile)\nssl_key = <\(expired.keyFile)\n")
        return (dir, factory.rootFile)
    }

    @Test func anExpiredDovecotCertificateIsADiagnosisAtItsLine() throws {
        let (dir, root) = try setup()
        var options = GatherOptions()
        options.configDirectory = dir.path
        options.probe = false
        options.logs = false
        options.trust = .file(root)
        let without = Gatherer().gather(options)
        #expect(!without.report.diagnoses.contains { $0.cause == .expiredCertificate })
        options.dovecotConfig = dir.file("dovecot.conf")
        let with = Gatherer().gather(options)
        let diagnosis = try #require(with.report.diagnoses.first { $0.cause == .expiredCertificate })
        #expect(diagnosis.evidence.contains { $0.location == dir.file("dovecot.conf") + ":2" }, "\(diagnosis.evidence)")
        // A Dovecot file that cannot be read is said, not fatal.
        options.dovecotConfig = dir.file("missing.conf")
        #expect(Gatherer().gather(options).findings.contains { $0.id == "dovecot_config_unreadable" })
    }

    @Test func theCommandLineReadsDovecotWhenAsked() throws {
        let (dir, root) = try setup()
        let base = ["diagnose", "--json", "--no-probe", "--no-logs", "--config-dir", dir.path, "--ca-file", root]
        let out = try PostlsBinary.run(base + ["--dovecot-config", dir.file("dovecot.conf")])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any], "\(out.stderr)")
        let causes = ((json["diagnoses"] as? [[String: Any]]) ?? []).compactMap { $0["cause"] as? String }
        #expect(causes.contains("expired_certificate"), "\(causes)")
        // Another --config-dir than /etc/postfix does not pull in the machine's Dovecot by itself.
        let plain = try PostlsBinary.run(base)
        #expect(!plain.stdout.contains("/etc/dovecot/"), "\(plain.stdout)")
    }

    /// diagnose and report with a test --config-dir read no Dovecot unless one is named, though the machine has one.
    @Test(.enabled(if: Prerequisites.dovecot)) func reportAndDiagnoseOfATestDirectoryDoNotReadTheMachinesDovecot() throws {
        #expect(FileManager.default.fileExists(atPath: "/etc/dovecot/dovecot.conf"), "the machine's Dovecot is what this test keeps out")
        let (dir, root) = try setup()
        let base = ["--no-probe", "--no-logs", "--config-dir", dir.path, "--ca-file", root]
        let report = try PostlsBinary.run(["report", "--format", "json"] + base)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any], "\(report.stderr)")
        #expect(object["dovecot"] is NSNull, "\(object["dovecot"] ?? "")")
        #expect(!report.stdout.contains("/etc/dovecot"))
        let markdown = try PostlsBinary.run(["report"] + base)
        #expect(!markdown.stdout.contains("/etc/dovecot") && !markdown.stdout.contains("### Dovecot"), "\(markdown.stdout)")
        let diagnose = try PostlsBinary.run(["diagnose", "--json"] + base)
        #expect(!diagnose.stdout.contains("/etc/dovecot") && !diagnose.stdout.contains("dovecot.conf"), "\(diagnose.stdout)")
        // Named, it is read by both: the report's Dovecot section and the diagnosis's findings.
        let named = try PostlsBinary.run(["report", "--format", "json", "--dovecot-config", dir.file("dovecot.conf")] + base)
        let namedObject = try #require(try JSONSerialization.jsonObject(with: Data(named.stdout.utf8)) as? [String: Any], "\(named.stderr)")
        #expect((namedObject["dovecot"] as? [String: Any])?["config"] as? String == dir.file("dovecot.conf"), "\(namedObject["dovecot"] ?? "")")
    }
}
