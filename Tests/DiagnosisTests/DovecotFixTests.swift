import Foundation
import PostfixConfig
import PostlsCore
import Testing
import TestSupport
import TLSKit
import MailLog
@testable import Diagnosis

/// Dovecot's problems get Dovecot's fixes: its settings, its file and line, `doveconf -n` and `doveadm reload`,
/// as advice postls never applies; Postfix's problems keep Postfix's fixes. Real files, real doveconf/postconf.
@Suite("Dovecot's fixes", .enabled(if: Prerequisites.postconf))
struct DovecotFixTests {
    /// Words that belong to Postfix's fixes only.
    static let postfixWords = ["smtpd_", "smtp_tls", "postfix reload", "postfix -c", "main.cf", "master.cf", "postconf"]

    final class World {
        let dir: TemporaryDirectory
        let pki: CertificateFactory
        let leaf: IssuedCertificate
        let sslConf: String
        let dovecotConf: String

        /// Postfix and Dovecot both serve the leaf without its intermediate; Dovecot's settings live in an included
        /// conf.d/10-ssl.conf (as on Debian), with `extra` lines after them.
        init(extra: String = "ssl_min_protocol = TLSv1.4\n", key: String? = nil) throws {
            dir = try TemporaryDirectory(prefix: "postls-fixadvice")
            pki = try CertificateFactory(directory: dir.file("pki"))
            leaf = try pki.leaf("mail")
            try FileManager.default.createDirectory(atPath: dir.file("postfix"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: dir.file("dovecot/conf.d"), withIntermediateDirectories: true)
            try dir.write("postfix/main.cf", """
                myhostname = mail.postls.test
                smtpd_tls_security_level = may
                smtpd_tls_cert_file = \(leaf.certFile)
                smtpd_tls_key_file = \(leaf.keyFile)

                """)
            try dir.write("postfix/master.cf", "smtp      inet  n       -       n       -       -       smtpd\n")
            for name in ["main.cf", "master.cf"] {
                backdateForPostconf(dir.file("postfix/" + name))
            }
            dovecotConf = try dir.write("dovecot/dovecot.conf", "protocols = imap\n!include conf.d/*.conf\n")
            sslConf = try dir.write("dovecot/conf.d/10-ssl.conf", """
                # SSL settings
                ssl = required
                ssl_cert = <\(leaf.certFile)
                ssl_key = <\(key ?? leaf.keyFile)
                \(extra)
                """)
        }

        var options: GatherOptions {
            var o = GatherOptions()
            o.configDirectory = dir.file("postfix")
            o.dovecotConfig = dovecotConf
            o.probe = false
            o.logs = false
            o.trust = .file(pki.rootFile)
            return o
        }

        func fixes(_ report: DiagnosisReport, _ cause: Cause) throws -> [Fix] {
            let diagnosis = try #require(report.diagnoses.first { $0.cause == cause }, "\(Scenario.describe(report))")
            return diagnosis.fixes.compactMap(report.fix(id:))
        }
    }

    /// Every Dovecot fix: labelled, advice only, nothing `fix apply` could write, and no Postfix vocabulary.
    static func checkDovecotFix(_ fix: Fix, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(fix.server == .dovecot && fix.title.hasPrefix("Dovecot: "), "\(fix.title)", sourceLocation: sourceLocation)
        #expect(!fix.applicable && fix.edits.isEmpty && fix.files.isEmpty, sourceLocation: sourceLocation)
        let text = ([fix.title, fix.diff ?? "", fix.impact ?? ""] + fix.commands).joined(separator: "\n")
        for word in postfixWords { #expect(!text.contains(word), "\(word) in \(text)", sourceLocation: sourceLocation) }
        #expect(fix.commands.contains { $0.hasPrefix("doveadm") && $0.contains("reload") }, "\(fix.commands)", sourceLocation: sourceLocation)
    }

    @Test func aBrokenDovecotChainAndProtocolGetDovecotFixesWhilePostfixKeepsItsOwn() throws {
        let w = try World()
        let report = Gatherer().gather(w.options).report
        Scenario.checkInvariants(report)

        // One cause, both servers: Postfix's applicable full chain for smtpd_tls_cert_file, Dovecot's advice for ssl_cert.
        let chainFixes = try w.fixes(report, .incompleteChain)
        let postfix = try #require(chainFixes.first { $0.server == .postfix }, "\(chainFixes.map(\.title))")
        #expect(postfix.applicable && postfix.edits.contains { $0.parameter == "smtpd_tls_cert_file" })
        #expect(!([postfix.title, postfix.diff ?? ""] + postfix.commands).joined().lowercased().contains("dovecot"))
        #expect(!([postfix.title, postfix.diff ?? ""] + postfix.commands).joined().contains("ssl_cert"))

        let dovecot = try #require(chainFixes.first { $0.server == .dovecot }, "\(chainFixes.map(\.title))")
        Self.checkDovecotFix(dovecot)
        let newChain = String(w.leaf.certFile.dropLast(0)) + ".fullchain.pem"
        let diff = try #require(dovecot.diff)
        #expect(diff.contains("+++ b/" + String(w.sslConf.dropFirst())), "\(diff)")
        #expect(diff.contains("-ssl_cert = <\(w.leaf.certFile)\n+ssl_cert = <\(newChain)\n"), "\(diff)")
        #expect(dovecot.commands.contains { $0.hasPrefix("cat \(w.leaf.certFile) \(w.pki.intermediateFile) > \(newChain)") }, "\(dovecot.commands)")
        #expect(dovecot.commands.contains { $0.contains("\(w.sslConf) line 3") }, "\(dovecot.commands)")
        #expect(dovecot.commands.contains("doveconf -c \(w.dovecotConf) -n    # must print no error"), "\(dovecot.commands)")

        // The invalid protocol: ssl_min_protocol at its file and line, never smtpd_tls_protocols.
        let protocolFixes = try w.fixes(report, .unsupportedSetting)
        let floor = try #require(protocolFixes.first { $0.title.contains("ssl_min_protocol") }, "\(protocolFixes.map(\.title))")
        Self.checkDovecotFix(floor)
        #expect(floor.title == "Dovecot: ssl_min_protocol = TLSv1.2 at \(w.sslConf):5")
        #expect(floor.diff?.contains("-ssl_min_protocol = TLSv1.4\n+ssl_min_protocol = TLSv1.2\n") == true, "\(floor.diff ?? "")")
        #expect(report.fixes.filter { $0.server == .dovecot }.allSatisfy { !$0.applicable })

        // The text output says it is advice.
        #expect(report.text().contains("Advice only: postls does not edit Dovecot's files"))
        let json = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        let servers = ((json["fixes"] as? [[String: Any]]) ?? []).compactMap { $0["server"] as? String }
        #expect(Set(servers) == ["postfix", "dovecot"], "\(servers)")
    }

    @Test func followingTheDovecotAdviceClearsTheDovecotDiagnoses() throws {
        let w = try World()
        let report = Gatherer().gather(w.options).report
        let dovecotFixes = report.fixes.filter { $0.server == .dovecot }
        #expect(!dovecotFixes.isEmpty)
        // What the admin does: run the cat command (a shell redirect), then change the lines the diffs show.
        let chainFix = try #require(dovecotFixes.first { $0.cause == .incompleteChain })
        let cat = try #require(chainFix.commands.first { $0.hasPrefix("cat ") })
        let made = try SystemProcessRunner().run("/bin/sh", ["-c", String(cat.prefix { $0 != "#" })], timeout: 10)
        #expect(made.succeeded, "\(made.stderr)")
        var text = try String(contentsOfFile: w.sslConf, encoding: .utf8)
        for fix in dovecotFixes {
            let diff = try #require(fix.diff, "\(fix.title)")
            let removed = diff.split(separator: "\n").filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }.map { String($0.dropFirst()) }
            let added = diff.split(separator: "\n").filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }.map { String($0.dropFirst()) }
            #expect(removed.count == 1 && added.count == 1, "\(diff)")
            text = text.replacingOccurrences(of: removed[0] + "\n", with: added[0] + "\n")
        }
        try text.write(toFile: w.sslConf, atomically: true, encoding: .utf8)
        // The installed doveconf accepts the result, and the diagnosis no longer blames Dovecot.
        let check = try SystemProcessRunner().run("doveconf", ["-c", w.dovecotConf, "-n"], timeout: 30)
        #expect(check.succeeded, "\(check.stderr)")
        let after = Gatherer().gather(w.options)
        let left = after.report.diagnoses.filter { $0.servers.contains(.dovecot) }
        #expect(left.isEmpty, "\(Scenario.describe(after.report))")
        // Postfix's own incomplete chain is still there, with its applicable fix.
        #expect(after.report.fixes.contains { $0.cause == .incompleteChain && $0.server == .postfix && $0.applicable })
    }

    @Test func aWrongDovecotKeyIsPointedAtTheMatchingOneBesideTheCertificate() throws {
        let dir = try TemporaryDirectory(prefix: "postls-dovecot-key")
        let pki = try CertificateFactory(directory: dir.file("pki"))
        let other = try pki.leaf("other")
        let w = try World(extra: "", key: other.keyFile)
        _ = dir
        let report = Gatherer().gather(w.options).report
        let fixes = try w.fixes(report, .keyMismatch)
        let fix = try #require(fixes.first { $0.server == .dovecot }, "\(fixes.map(\.title))")
        Self.checkDovecotFix(fix)
        #expect(fix.title == "Dovecot: use the key that belongs to \(w.leaf.certFile): ssl_key = <\(w.leaf.keyFile)", "\(fix.title)")
        #expect(fix.diff?.contains("-ssl_key = <\(other.keyFile)\n+ssl_key = <\(w.leaf.keyFile)\n") == true, "\(fix.diff ?? "")")
        // Postfix's key is fine: no Postfix fix for a Dovecot key.
        #expect(!fixes.contains { $0.server == .postfix })
        // The lint says it in Dovecot's words.
        let finding = try #require(Gatherer().gather(w.options).findings.first { $0.id == "key_mismatch" })
        #expect(finding.server == .dovecot && finding.message.contains("Key is for a different cert") && !finding.message.contains("smtpd"))
    }

    @Test func twoFourNamesOnTheInstalledTwoThreeGetTheTwoThreeName() throws {
        guard Prerequisites.dovecot else { return }
        let w = try World(extra: "")
        // 2.4's name for the certificate file; the installed 2.3 refuses it.
        var text = try String(contentsOfFile: w.sslConf, encoding: .utf8)
        text = text.replacingOccurrences(of: "ssl_cert = <\(w.leaf.fullChainFile.dropLast(0))", with: "")
        text = text.replacingOccurrences(of: "ssl_cert = <\(w.leaf.certFile)", with: "ssl_server_cert_file = \(w.leaf.fullChainFile)")
        try text.write(toFile: w.sslConf, atomically: true, encoding: .utf8)
        let report = Gatherer().gather(w.options).report
        let fixes = try w.fixes(report, .unsupportedSetting)
        let fix = try #require(fixes.first { $0.server == .dovecot && $0.diff != nil }, "\(fixes.map(\.title)) \(Scenario.describe(report))")
        Self.checkDovecotFix(fix)
        #expect(fix.diff?.contains("-ssl_server_cert_file = \(w.leaf.fullChainFile)\n+ssl_cert = <\(w.leaf.fullChainFile)\n") == true, "\(fix.diff ?? "")")
    }

    @Test func fixApplyRefusesADovecotFixAndChangesNothing() throws {
        let w = try World()
        let gathered = Gatherer().gather(w.options)
        var fix = try #require(gathered.report.fixes.first { $0.server == .dovecot })
        let before = try [w.sslConf, w.dir.file("postfix/main.cf"), w.dir.file("postfix/master.cf")].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        #expect(throws: FixError.self) { try FixLoop().apply(fix, gathered: gathered, options: w.options, reload: false) }
        // Even marked applicable, with an edit that would change main.cf, a Dovecot fix is refused.
        fix.applicable = true
        fix.edits = [.setMain(name: "smtpd_tls_loglevel", value: "1")]
        #expect(throws: FixError.self) { try FixLoop().apply(fix, gathered: gathered, options: w.options, reload: false) }
        let after = try [w.sslConf, w.dir.file("postfix/main.cf"), w.dir.file("postfix/master.cf")].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        #expect(after == before)
        #expect(try ConfigApplier(validator: nil).journal(directory: w.dir.file("postfix")).isEmpty)
    }
}

/// A real Dovecot refuses the TLS 1.2 a mail client offers (`ssl_min_protocol = TLSv1.3`): the diagnosis from its
/// log gives a Dovecot fix for its file and line, and doing what it says lets the same client in.
@Suite("Dovecot's fixes on a real Dovecot", .enabled(if: Prerequisites.dovecot))
struct DovecotRealFixTests {
    @Test(arguments: Generation.all)
    func aRefusedProtocolInDovecotsLogGetsTheDovecotFloorAndFollowingItLetsTheClientIn(_ generation: Generation) throws {
        guard let servers = try generation.serversOrSkip() else { return }
        let dir = try TemporaryDirectory(prefix: "postls-fixadvice-real")
        let pki = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try pki.leaf("imap", key: .rsa(bits: 2048))
        try FileManager.default.createDirectory(atPath: dir.file("postfix"), withIntermediateDirectories: true)
        try dir.write("postfix/main.cf", "myhostname = mail.postls.test\n")
        try dir.write("postfix/master.cf", "smtp      inet  n       -       n       -       -       smtpd\n")
        for name in ["main.cf", "master.cf"] {
            backdateForPostconf(dir.file("postfix/" + name))
        }
        let ssl = generation.dovecotSSL(cert: leaf.fullChainFile, key: leaf.keyFile, minProtocol: "TLSv1.3")
        try DovecotInstance.with(sslSettings: ssl, generation: generation) { dovecot in
            let tls12 = ["-tls1_2", "-CAfile", pki.rootFile]
            let refused = try Peers.opensslClient(dovecot.imapsAddress, starttls: false, arguments: tls12, input: "a LOGOUT\n")
            #expect(refused.stdout.contains("Cipher is (NONE)") || !refused.succeeded, "\(refused.stdout)")
            #expect(dovecot.waitForLog(containing: "SSL_accept() failed"), "\(dovecot.logText())")

            var options = GatherOptions()
            options.configDirectory = dir.file("postfix")
            options.dovecotConfig = dovecot.configFile
            options.logFiles = [dovecot.logFile]
            options.probe = false
            options.trust = .file(pki.rootFile)
            let report = Gatherer(runner: servers.runner).gather(options).report
            let diagnosis = try #require(report.diagnoses.first { $0.cause == .protocolMismatch }, "\(Scenario.describe(report))")
            #expect(diagnosis.servers == [.dovecot], "\(diagnosis.evidence)")
            let fixes = diagnosis.fixes.compactMap(report.fix(id:))
            #expect(!fixes.contains { $0.server == .postfix }, "\(fixes.map(\.title))")
            let fix = try #require(fixes.first, "\(Scenario.describe(report))")
            DovecotFixTests.checkDovecotFix(fix)
            let lines = try String(contentsOfFile: dovecot.configFile, encoding: .utf8).components(separatedBy: "\n")
            let number = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "ssl_min_protocol = TLSv1.3" }) + 1
            #expect(fix.title == "Dovecot: ssl_min_protocol = TLSv1.2 at \(dovecot.configFile):\(number)", "\(fix.title)")
            #expect(fix.diff?.contains("-ssl_min_protocol = TLSv1.3\n+ssl_min_protocol = TLSv1.2\n") == true, "\(fix.diff ?? "")")
            #expect(fix.impact?.hasPrefix("1 failed login") == true, "\(fix.impact ?? "")")
            let reload = try #require(fix.commands.last)
            #expect(reload == "doveadm -c \(dovecot.configFile) reload")

            // Do what it says: the line from the diff, then its reload command.
            var edited = lines
            edited[number - 1] = "ssl_min_protocol = TLSv1.2"
            try edited.joined(separator: "\n").write(toFile: dovecot.configFile, atomically: true, encoding: .utf8)
            let check = try servers.runner.run("doveconf", ["-c", dovecot.configFile, "-n"], timeout: 30)
            #expect(check.succeeded, "\(check.stderr)")
            let reloaded = try servers.runner.run("doveadm", Array(reload.split(separator: " ").dropFirst().map(String.init)), timeout: 30)
            #expect(reloaded.succeeded, "\(reloaded.stderr)")
            var accepted = ProcessOutput(status: 1, stdout: "", stderr: "")
            let deadline = Deadline.after(seconds: 10)
            repeat {
                accepted = try Peers.opensslClient(dovecot.imapsAddress, starttls: false, arguments: tls12, input: "a LOGOUT\n")
                if accepted.stdout.contains("Protocol  : TLSv1.2") || accepted.stdout.contains("TLSv1.2, Cipher is") { break }
                usleep(200_000)
            } while !deadline.hasPassed
            #expect(accepted.stdout.contains("TLSv1.2, Cipher is") && accepted.stdout.contains("* OK"), "\(accepted.stdout)\(accepted.stderr)")
        }
    }
}

/// Dovecot's log lines alone (no --dovecot-config): still Dovecot's words, never a Postfix fix.
@Suite struct DovecotLogOnlyTests {
    @Test func dovecotLogLinesWithoutItsConfigurationPointAtDovecotNotPostfix() throws {
        // Lines a real Dovecot 2.3.19 wrote (MailLogTests/Fixtures/dovecot-2.3.19-log_path.log).
        let log = LogReport.analyze(text: """
            Nov 29 03:58:17 imap-login: Error: Failed to initialize SSL server context: Can't load SSL private key (ssl_key setting): Key is for a different cert than ssl_cert: user=<>, rip=127.0.0.1, lip=127.0.0.1, secured, session=<wgagTWJhDLh/AAAB>
            Nov 29 03:58:03 imap-login: Info: Disconnected: Connection closed: SSL_accept() failed: error:0A000102:SSL routines::unsupported protocol (disconnected before auth was ready, waited 0 secs): user=<>, rip=127.0.0.1, lip=127.0.0.1, TLS handshaking: SSL_accept() failed: error:0A000102:SSL routines::unsupported protocol, session=<EOzPTGJhdKh/AAAB>

            """)
        let report = DiagnosisEngine().diagnose(DiagnosisInput(logEvents: log.events, logSummary: log.summary))
        for cause in [Cause.keyMismatch, .protocolMismatch] {
            let diagnosis = try #require(report.diagnoses.first { $0.cause == cause }, "\(Scenario.describe(report))")
            #expect(diagnosis.servers == [.dovecot])
            let fixes = diagnosis.fixes.compactMap(report.fix(id:))
            #expect(!fixes.isEmpty && fixes.allSatisfy { $0.server == .dovecot && !$0.applicable }, "\(fixes.map(\.title))")
            let text = (fixes.flatMap { [$0.title] + $0.commands } + diagnosis.notes).joined(separator: "\n")
            for word in DovecotFixTests.postfixWords { #expect(!text.contains(word), "\(word) in \(text)") }
            #expect(diagnosis.notes.contains { $0.contains("doveconf") || $0.contains("993") }, "\(diagnosis.notes)")
        }
    }
}
