import Foundation
import PostlsCore
import Testing
import TestSupport

/// `postls setup` on a real Postfix instance that starts with no TLS settings at all.
@Suite("postls setup", .enabled(if: Prerequisites.postfix))
struct SetupCommandTests {
    /// A fresh instance (setup changes it), a PKI, and the loopback ports setup will give submission/submissions.
    final class Fixture {
        let dir: TemporaryDirectory
        let factory: CertificateFactory
        let postfix: PostfixInstance
        let submission = freePort()
        let submissions = freePort()

        init(generation: Generation = .debian12) throws {
            dir = try TemporaryDirectory()
            factory = try CertificateFactory(directory: dir.file("pki"))
            postfix = try PostfixInstance(listeners: [PostfixListener(name: "smtp")], myhostname: "mail.postls.test", generation: generation)
            try postfix.start()
        }

        var smtpPort: UInt16 { postfix.listeners[0].port }

        /// postls with the instance's generation of postconf/postfix first in PATH.
        func postls(_ arguments: [String], stdin: String? = nil, timeout: Double = 60) throws -> ProcessOutput {
            try PostlsBinary.run(arguments, stdin: stdin, environment: postfix.servers.environment(), timeout: timeout)
        }

        func setup(_ extra: [String], stdin: String? = nil) throws -> ProcessOutput {
            try postls(["setup", "--config-dir", postfix.configDirectory, "--ca-file", factory.rootFile, "--timeout", "5",
                                  "--submission-port", "127.0.0.1:\(submission)", "--submissions-port", "127.0.0.1:\(submissions)",
                                  "--tls-dir", dir.file("tls"), "--letsencrypt-dir", dir.file("no-letsencrypt")] + extra,
                                 stdin: stdin, timeout: 120)
        }

        func configBytes() throws -> [Data] {
            try [postfix.mainCFPath, postfix.masterCFPath].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        }

        func probe() throws -> [[String: Any]] {
            let out = try postls(["probe", "127.0.0.1", "--port", "\(smtpPort),\(submission),\(submissions)", "--implicit", "\(submissions)",
                                            "--name", "mail.postls.test", "--ca-file", factory.rootFile, "--timeout", "5", "--json"], timeout: 120)
            let object = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
            return try #require(object?["targets"] as? [[String: Any]], "\(out.stdout)\(out.stderr)")
        }

        func target(_ targets: [[String: Any]], _ port: UInt16) -> [String: Any]? { targets.first { ($0["port"] as? Int) == Int(port) } }

        /// The reply to MAIL FROM before STARTTLS (python's smtplib, a real client).
        func mailFromWithoutTLS(port: UInt16) throws -> Int {
            let script = """
                import smtplib
                s = smtplib.SMTP("127.0.0.1", \(port), timeout=10)
                s.ehlo("client.postls.test")
                code, _ = s.mail("a@postls.test")
                print(code)
                """
            let out = try SystemProcessRunner().run("/usr/bin/python3", ["-c", script], stdin: nil, environment: nil, timeout: 30)
            return Int(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
    }

    @Test(arguments: Generation.all)
    func setupWithAnExistingCertificateEnablesTLSOnAllThreeListenersAndIsIdempotent(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let f = try Fixture(generation: generation)
        defer { f.postfix.stop() }
        let leaf = try f.factory.leaf("mail", commonName: "mail.postls.test")
        let original = try f.configBytes()
        let out = try f.setup(["--cert", leaf.fullChainFile, "--key-file", leaf.keyFile, "--yes"])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("+smtpd_tls_chain_files = \(leaf.keyFile), \(leaf.fullChainFile)"), "\(out.stdout)")
        #expect(out.stdout.contains("_25._tcp.mail.postls.test. 3600 IN TLSA 3 1 1 "))
        #expect(out.stdout.contains("_mta-sts.postls.test. 3600 IN TXT \"v=STSv1; id="))

        let targets = try f.probe()
        let mx = try #require(f.target(targets, f.smtpPort))
        #expect(mx["starttls_offered"] as? Bool == true)
        #expect(mx["negotiated"] is [String: Any], "\(mx)")
        #expect((mx["verify"] as? [String: Any])?["code"] as? Int == 0)
        let submission = try #require(f.target(targets, f.submission))
        #expect(submission["negotiated"] is [String: Any], "\(submission)")
        let submissions = try #require(f.target(targets, f.submissions))
        #expect(submissions["mode"] as? String == "implicit")
        #expect(submissions["negotiated"] is [String: Any], "\(submissions)")
        // encrypt on submission: plaintext MAIL is refused; may on the MX: plaintext MAIL is accepted.
        #expect(try f.mailFromWithoutTLS(port: f.submission) == 530)
        #expect(try f.mailFromWithoutTLS(port: f.smtpPort) == 250)

        let check = try f.postfix.servers.runner.run("postfix", ["-c", f.postfix.configDirectory, "check"], timeout: 60)
        #expect(check.status == 0 && check.stderr.isEmpty, "\(check.stderr)")

        // Again: nothing to do, not a byte changed.
        let after = try f.configBytes()
        let again = try f.setup(["--cert", leaf.fullChainFile, "--key-file", leaf.keyFile, "--yes"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("Nothing to do"), "\(again.stdout)")
        #expect(!again.stdout.contains("+++ b/main.cf") && !again.stdout.contains("+++ b/master.cf"))
        #expect(try f.configBytes() == after)
        // And without --cert it finds the configured one.
        let automatic = try f.setup(["--yes"])
        #expect(automatic.stdout.contains("Nothing to do"), "\(automatic.stdout)")

        // The journal lets `postls fix rollback` undo it byte for byte.
        let rollback = try f.postls(["fix", "rollback", "--config-dir", f.postfix.configDirectory, "--no-reload"])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        #expect(try f.configBytes() == original)
    }

    @Test(arguments: Generation.all) func selfSignedGeneratesAPrivateKeyAndAMarkedCertificateThenNothingMore(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let f = try Fixture(generation: generation)
        defer { f.postfix.stop() }
        let out = try f.setup(["--self-signed", "--yes", "--key", "rsa3072"])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("SELF-SIGNED"))
        let key = f.dir.file("tls/mail.postls.test.key"), cert = f.dir.file("tls/mail.postls.test.selfsigned.pem")
        var info = stat()
        #expect(stat(key, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let x509 = try SystemProcessRunner().run("openssl", ["x509", "-in", cert, "-noout", "-subject", "-issuer", "-ext", "subjectAltName"], timeout: 30)
        #expect(x509.stdout.contains("self-signed stopgap"), "\(x509.stdout)")
        #expect(x509.stdout.contains("DNS:mail.postls.test"))
        let keyText = try SystemProcessRunner().run("openssl", ["pkey", "-in", key, "-noout", "-text"], timeout: 30)
        #expect(keyText.stdout.contains("3072 bit"))
        #expect(!out.stdout.contains("PRIVATE KEY"))
        let mx = try #require(f.target(try f.probe(), f.smtpPort))
        #expect(mx["negotiated"] is [String: Any], "\(mx)")
        // TLSA for the generated key is printed after generation.
        #expect(out.stdout.contains("IN TLSA 3 1 1 "))

        let after = try f.configBytes()
        let again = try f.setup(["--self-signed", "--yes"])
        #expect(again.stdout.contains("Nothing to do"), "\(again.stdout)")
        #expect(try f.configBytes() == after)
    }

    @Test(arguments: Generation.all) func withoutConfirmationOrWhenDeclinedNothingChanges(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let f = try Fixture(generation: generation)
        defer { f.postfix.stop() }
        let leaf = try f.factory.leaf("mail", commonName: "mail.postls.test")
        let original = try f.configBytes()
        let args = ["--cert", leaf.fullChainFile, "--key-file", leaf.keyFile]

        // Not a terminal and no --yes: refused, after showing the diff.
        let refused = try f.setup(args)
        #expect(refused.status == 64, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("--yes"))
        #expect(refused.stdout.contains("+++ b/main.cf"))
        #expect(try f.configBytes() == original)

        // --dry-run shows and changes nothing.
        let dry = try f.setup(args + ["--dry-run"])
        #expect(dry.status == 0)
        #expect(dry.stdout.contains("Dry run"))
        #expect(try f.configBytes() == original)

        // On a terminal, answering "n" declines.
        let command = ([PostlsBinary.path, "setup", "--config-dir", f.postfix.configDirectory, "--submission-port", "127.0.0.1:\(f.submission)",
                        "--submissions-port", "127.0.0.1:\(f.submissions)", "--tls-dir", f.dir.file("tls")] + args).joined(separator: " ")
        let declined = try SystemProcessRunner().run("script", ["-qec", command, "/dev/null"], stdin: Data("n\n".utf8),
                                                     environment: ["NO_COLOR": "1", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"], timeout: 120)
        #expect(declined.stdout.contains("Apply these changes? [y/N]"), "\(declined.stdout)")
        #expect(declined.stdout.contains("Nothing changed"), "\(declined.stdout)")
        #expect(try f.configBytes() == original)
        #expect(!FileManager.default.fileExists(atPath: f.dir.file("tls")))
        #expect(!FileManager.default.fileExists(atPath: f.postfix.configDirectory + "/.postls"))
    }

    @Test(arguments: Generation.all) func aKeyThatDoesNotMatchTheCertificateIsRefused(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let f = try Fixture(generation: generation)
        defer { f.postfix.stop() }
        let leaf = try f.factory.leaf("mail", commonName: "mail.postls.test")
        let other = try f.factory.leaf("other", commonName: "mail.postls.test")
        let original = try f.configBytes()
        let out = try f.setup(["--cert", leaf.fullChainFile, "--key-file", other.keyFile, "--yes"])
        #expect(out.status == 64, "\(out.stdout)\(out.stderr)")
        #expect(out.stderr.contains("does not belong to the certificate"))
        #expect(try f.configBytes() == original)
    }
}

extension SetupCommandTests {
    @Test(arguments: Generation.all) func aLetsEncryptCertificateForTheHostIsFoundAndUsed(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let f = try Fixture(generation: generation)
        defer { f.postfix.stop() }
        let leaf = try f.factory.leaf("le", commonName: "mail.postls.test")
        let other = try f.factory.leaf("le-other", commonName: "www.other.test")
        let live = f.dir.file("letsencrypt")
        for (name, cert) in [("other.test", other), ("mail.postls.test", leaf)] {
            try FileManager.default.createDirectory(atPath: live + "/" + name, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: cert.fullChainFile, toPath: live + "/\(name)/fullchain.pem")
            try FileManager.default.copyItem(atPath: cert.keyFile, toPath: live + "/\(name)/privkey.pem")
        }
        let out = try f.setup(["--yes", "--letsencrypt-dir", live])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("Let's Encrypt"))
        #expect(out.stdout.contains("does not cover mail.postls.test"), "the other certificate is named with why it was not used")
        let main = try String(contentsOfFile: f.postfix.mainCFPath, encoding: .utf8)
        #expect(main.contains("smtpd_tls_chain_files = \(live)/mail.postls.test/privkey.pem, \(live)/mail.postls.test/fullchain.pem"))
        let mx = try #require(f.target(try f.probe(), f.smtpPort))
        #expect((mx["verify"] as? [String: Any])?["code"] as? Int == 0, "\(mx)")
    }

    @Test(arguments: Generation.all) func csrOnlyWritesAKeyAndARequestAndSetsUpOutboundTLSOnly(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let f = try Fixture(generation: generation)
        defer { f.postfix.stop() }
        let out = try f.setup(["--csr-only", "--yes", "--san", "smtp.postls.test"])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let csr = f.dir.file("tls/mail.postls.test.csr")
        let verify = try SystemProcessRunner().run("openssl", ["req", "-in", csr, "-noout", "-verify", "-text"], timeout: 30)
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("DNS:mail.postls.test, DNS:smtp.postls.test"), "\(verify.stdout)")
        #expect(verify.stdout.contains("id-ecPublicKey") && verify.stdout.contains("P-256"))
        let main = try String(contentsOfFile: f.postfix.mainCFPath, encoding: .utf8)
        #expect(main.contains("smtp_tls_security_level = may"))
        #expect(!main.contains("smtpd_tls_security_level"))
        let again = try f.setup(["--csr-only", "--yes"])
        #expect(again.stdout.contains("Nothing to do"), "\(again.stdout)")
    }

    @Test(arguments: Generation.all) func rollbackOfASetupRemovesTheKeyAndRequestItMadeWithoutPrintingTheKey(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let f = try Fixture(generation: generation)
        defer { f.postfix.stop() }
        let original = try f.configBytes()
        let out = try f.setup(["--csr-only", "--yes", "--no-reload"])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let key = f.dir.file("tls/mail.postls.test.key"), csr = f.dir.file("tls/mail.postls.test.csr")
        #expect(FileManager.default.fileExists(atPath: key) && FileManager.default.fileExists(atPath: csr))
        let keyText = try String(contentsOfFile: key, encoding: .utf8)
        let journal = try String(contentsOfFile: f.postfix.configDirectory + "/.postls/journal.json", encoding: .utf8)
        #expect(!journal.contains("PRIVATE KEY") && !journal.contains(String(keyText.split(separator: "\n")[1])))

        let rollback = try PostlsBinary.run(["fix", "rollback", "--config-dir", f.postfix.configDirectory, "--no-reload"])
        #expect(rollback.status == 0, "\(rollback.stderr)")
        #expect(try f.configBytes() == original)
        #expect(!FileManager.default.fileExists(atPath: key) && !FileManager.default.fileExists(atPath: csr), "\(rollback.stdout)")
        #expect(rollback.stdout.contains("removed \(key)") && rollback.stdout.contains("removed \(csr)"), "\(rollback.stdout)")
        #expect(!(rollback.stdout + rollback.stderr).contains("PRIVATE KEY"))
    }
}

extension SetupCommandTests {
    @Test(arguments: Generation.all) func aLeafWithoutItsIntermediatesIsUsedWithAWarning(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let f = try Fixture(generation: generation)
        defer { f.postfix.stop() }
        let leaf = try f.factory.leaf("mail", commonName: "mail.postls.test")
        let out = try f.setup(["--cert", leaf.certFile, "--key-file", leaf.keyFile, "--dry-run"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("holds only the server's certificate"), "\(out.stdout)")
        let full = try f.setup(["--cert", leaf.fullChainFile, "--key-file", leaf.keyFile, "--dry-run"])
        #expect(!full.stdout.contains("holds only the server's certificate"))
    }
}
