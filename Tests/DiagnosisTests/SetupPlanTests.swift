import Foundation
import PostfixConfig
import Testing
@testable import Diagnosis

@Suite struct DovecotProposalTests {
    func write(_ dir: String, _ name: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (dir + "/" + name as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
    }

    @Test func settingsInIncludedFilesAreFoundAndChangedWhereTheyAre() throws {
        let dir = NSTemporaryDirectory() + "postls-dovecot-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(dir, "dovecot.conf", "protocols = imap\n!include conf.d/*.conf\nservice imap-login {\n  ssl = no\n}\n")
        try write(dir, "conf.d/10-ssl.conf", "# SSL\nssl = yes\nssl_cert = </etc/old.pem\nssl_key = </etc/old.key\n")
        let dovecot = try DovecotConfig(path: dir + "/dovecot.conf")
        // The nested `ssl = no` inside a section is not the global setting.
        #expect(dovecot.root.setting("ssl")?.value == "yes")
        #expect(dovecot.root.setting("ssl_cert")?.file == dir + "/conf.d/10-ssl.conf")
        let proposal = dovecot.setupProposal(certificateFile: "/etc/tls/full.pem", keyFile: "/etc/tls/key.pem")
        #expect(proposal.changes.count == 4)
        #expect(proposal.diff.contains("-ssl = yes\n") && proposal.diff.contains("+ssl = required\n"))
        #expect(proposal.diff.contains("+ssl_cert = </etc/tls/full.pem\n"))
        #expect(proposal.diff.contains("+ssl_min_protocol = TLSv1.2\n"))
        #expect(!proposal.diff.contains("+++ b/" + String(dir.dropFirst()) + "/dovecot.conf"))
        // Nothing is written.
        #expect(try String(contentsOfFile: dir + "/conf.d/10-ssl.conf", encoding: .utf8).contains("ssl = yes"))
    }

    @Test func aDovecotAlreadySetUpGetsNoProposal() throws {
        let dir = NSTemporaryDirectory() + "postls-dovecot-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(dir, "dovecot.conf", "ssl = required\nssl_cert = </k/full.pem\nssl_key = </k/key.pem\nssl_min_protocol = TLSv1.2\n")
        let dovecot = try DovecotConfig(path: dir + "/dovecot.conf")
        let proposal = dovecot.setupProposal(certificateFile: "/k/full.pem", keyFile: "/k/key.pem")
        #expect(proposal.changes.isEmpty && proposal.diff.isEmpty)
    }
}

/// The plan is a pure function of what discovery found: these build the inputs by hand.
@Suite struct SetupPlanTests {
    let defaults = ParameterDefaults(values: ["smtpd_tls_security_level": "", "smtp_tls_security_level": "", "smtpd_tls_loglevel": "0",
                                              "smtp_tls_loglevel": "0", "smtp_tls_CAfile": "", "smtp_tls_CApath": "", "myhostname": "mx.example.net",
                                              "smtpd_tls_protocols": ">=TLSv1"], origin: "test")

    func inputs(main: String, master: String, configured: CertificateCandidate? = nil, found: [CertificateCandidate] = [],
                options: SetupOptions = SetupOptions(), dovecot: DovecotConfig? = nil) -> SetupInputs {
        let configuration = PostfixConfiguration(directory: "/etc/postfix", main: MainCF(text: main), master: MasterCF(text: master), defaults: defaults)
        return SetupInputs(configuration: configuration, options: options, hostname: "mx.example.net", hostnameNotes: [], configured: configured,
                           given: nil, found: found, existingFiles: [], dovecot: dovecot, now: Date(timeIntervalSince1970: 1_800_000_000))
    }

    func candidate(_ cert: String, _ key: String, problems: [String] = []) -> CertificateCandidate {
        CertificateCandidate(certificateFile: cert, keyFile: key, origin: "test", info: nil, publicKeyDER: [], problems: problems)
    }

    let master = "smtp      inet  n       -       y       -       -       smtpd\n"

    @Test func onlyMissingSettingsAreAddedAndNarrowingOverridesAreLeftAlone() throws {
        let main = "myhostname = mx.example.net\nsmtp_tls_security_level = dane\nsmtpd_tls_loglevel = 2\nsmtpd_tls_protocols = >=TLSv1.2\n"
        let plan = try Setup.plan(inputs(main: main, master: master, found: [candidate("/le/fullchain.pem", "/le/privkey.pem")]))
        #expect(plan.edits == [
            .setMain(name: "smtpd_tls_chain_files", value: "/le/privkey.pem, /le/fullchain.pem"),
            .setMain(name: "smtpd_tls_security_level", value: "may"),
            .setMain(name: "smtp_tls_CAfile", value: "/etc/ssl/certs/ca-certificates.crt"),
            .setMain(name: "smtp_tls_loglevel", value: "1"),
            .addService(.init(name: "submission", chroot: "y", command: "smtpd", overrides: [.init(name: "syslog_name", value: "postfix/submission"),
                                                                                              .init(name: "smtpd_tls_security_level", value: "encrypt")])),
            .addService(.init(name: "submissions", chroot: "y", command: "smtpd", overrides: [.init(name: "syslog_name", value: "postfix/submissions"),
                                                                                               .init(name: "smtpd_tls_wrappermode", value: "yes")])),
        ])
        #expect(!plan.diff.contains("-smtpd_tls_protocols") && !plan.diff.contains("+smtpd_tls_protocols"))
        #expect(plan.fileActions.isEmpty)
    }

    @Test func existingSubmissionServicesAreTightenedNotDuplicated() throws {
        let master = self.master + "submission inet n - y - - smtpd\n  -o smtpd_tls_security_level=may\nsmtps inet n - y - - smtpd\n"
        let plan = try Setup.plan(inputs(main: "", master: master, configured: candidate("/c.pem", "/k.pem")))
        let masterEdits = plan.edits.filter { $0.file == "master.cf" }
        #expect(masterEdits == [.setOverride(service: "submission", type: "inet", name: "smtpd_tls_security_level", value: "encrypt"),
                                .setOverride(service: "smtps", type: "inet", name: "smtpd_tls_wrappermode", value: "yes")])
        // The configured certificate is usable: it stays.
        #expect(!plan.edits.contains { $0.parameter == "smtpd_tls_chain_files" })
    }

    @Test func aLeafWithoutItsIntermediatesAndALocalHostNameAreNamed() throws {
        var leafOnly = candidate("/leaf.pem", "/k.pem")
        leafOnly.chainLength = 1
        leafOnly.info = nil
        var options = SetupOptions()
        options.hostname = "localhost.localdomain"
        var i = inputs(main: "", master: master, found: [leafOnly], options: options)
        i.hostname = "localhost.localdomain"
        let plan = try Setup.plan(i)
        #expect(plan.notes.contains { $0.contains("not a public fully-qualified name") })
        // Without certificate info the chain cannot be judged: no warning invented.
        #expect(!plan.notes.contains { $0.contains("intermediates") })
    }

    @Test func postfixBefore34GetsCertAndKeyFilesInsteadOfChainFiles() throws {
        let old = ParameterDefaults(values: defaults.values.merging(["mail_version": "3.3.0"]) { $1 }, origin: "test")
        let configuration = PostfixConfiguration(directory: "/etc/postfix", main: MainCF(text: ""), master: MasterCF(text: master), defaults: old)
        var i = inputs(main: "", master: master, found: [candidate("/le/fullchain.pem", "/le/privkey.pem")])
        i.configuration = configuration
        let plan = try Setup.plan(i)
        #expect(plan.edits.prefix(2) == [.setMain(name: "smtpd_tls_cert_file", value: "/le/fullchain.pem"),
                                         .setMain(name: "smtpd_tls_key_file", value: "/le/privkey.pem")])
        #expect(Setup.supportsChainFiles("3.7.11") && Setup.supportsChainFiles("4.0") && !Setup.supportsChainFiles("3.3.0"))
    }

    @Test func withoutACertificateOnlyOutboundTLSIsSetUp() throws {
        let plan = try Setup.plan(inputs(main: "", master: master, found: [candidate("/old.pem", "/old.key", problems: ["it expired"])]))
        guard case .none = plan.certificate else { Issue.record("expected no certificate, got \(plan.certificate)"); return }
        #expect(plan.edits.allSatisfy { $0.parameter.hasPrefix("smtp_") })
        #expect(plan.notes.contains { $0.contains("it expired") })
    }

    @Test func selfSignedAndRequestPlansNameTheFilesTheyCreate() throws {
        var options = SetupOptions()
        options.certificate = .selfSigned
        let plan = try Setup.plan(inputs(main: "", master: master, options: options))
        #expect(plan.fileActions == [.generateKey(path: "/etc/postfix/tls/mx.example.net.key", spec: .ecdsaP256),
                                     .selfSignedCertificate(path: "/etc/postfix/tls/mx.example.net.selfsigned.pem",
                                                            keyPath: "/etc/postfix/tls/mx.example.net.key", names: ["mx.example.net"], days: 365)])
        #expect(plan.edits.first == .setMain(name: "smtpd_tls_chain_files",
                                             value: "/etc/postfix/tls/mx.example.net.key, /etc/postfix/tls/mx.example.net.selfsigned.pem"))
        options.certificate = .requestOnly
        options.key = .rsa(bits: 4096)
        let request = try Setup.plan(inputs(main: "", master: master, options: options))
        #expect(request.fileActions.map(\.path) == ["/etc/postfix/tls/mx.example.net.key", "/etc/postfix/tls/mx.example.net.csr"])
        #expect(request.fileActions.first == .generateKey(path: "/etc/postfix/tls/mx.example.net.key", spec: .rsa(bits: 4096)))
        #expect(!request.edits.contains { $0.file == "master.cf" })
    }
}
