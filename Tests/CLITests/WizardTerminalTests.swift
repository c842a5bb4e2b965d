import Foundation
import PostlsCore
import Testing
import TestSupport

/// The real binary in a real terminal (tmux), driven as a person would: typed at a shell prompt, keys
/// sent, the screen read back. Checks the terminal is sane afterwards with `stty -a`.
@Suite("The wizard in a terminal", .enabled(if: Prerequisites.isCI || Prerequisites.has("tmux")), .serialized)
struct WizardTerminalTests {
    let env = ["LANG": "C.UTF-8", "TERM": "xterm-256color", "NO_COLOR": "1"]

    func shell(width: Int = 100, height: Int = 30, environment: [String: String]? = nil) throws -> TmuxSession {
        try TmuxSession(["/bin/sh"], width: width, height: height, environment: environment ?? env)
    }

    func type(_ t: TmuxSession, _ line: String) throws {
        try t.send("-l", line)
        try t.send("Enter")
    }

    /// `stty -a` typed at the prompt after postls ended: a restored terminal echoes and reads lines.
    func expectSaneTerminal(_ t: TmuxSession) throws {
        try type(t, "clear; stty -a | tr ' ' '\\n' | grep -x -e icanon -e echo -e -icanon -e -echo | sort | tr '\\n' ' '; echo STTY\"\"-DONE")
        // The typed line shows STTY""-DONE; only the output shows STTY-DONE.
        let (found, screen) = t.waitFor("STTY-DONE", timeout: 10)
        #expect(found, "\(screen)")
        #expect(screen.contains("echo icanon"), "terminal not restored: \(screen)")
    }

    @Test func demoFromOverviewToAppliedFixAndRollback() throws {
        let t = try shell()
        defer { t.kill() }
        try type(t, "\(PostlsBinary.path) demo")
        var (found, screen) = t.waitFor("Problems (", timeout: 30)
        #expect(found, "\(screen)")
        #expect(screen.contains("protocol_mismatch"))
        // The demo's own probe runs the named senders: its MX stand-in refuses TLS 1.0, the legacy sender's only version.
        #expect(t.waitFor("Senders: legacy → plaintext on smtp", timeout: 20).0, "\(t.screen())")
        let demoDir = screen.range(of: #"/[^ ]*postls-demo-[A-Za-z0-9]+"#, options: .regularExpression).map { String(screen[$0]) }
        screen = try t.step("Enter", until: "Fix 1 of 1", timeout: 10)
        #expect(screen.contains("set -o smtpd_tls_protocols=>=TLSv1"), "\(screen)")
        screen = try t.step("Enter", until: "Apply this fix?", timeout: 10)
        screen = try t.step("y", until: "Applied and verified", timeout: 30)
        // The re-probe shows the demo server now accepts TLS 1.0 on the MX stand-in. Waited for, not read at once:
        // tmux can be read while curses is still drawing the rows under the message line.
        (found, screen) = t.waitFor("accepts TLSv1 TLSv1.1 TLSv1.2", timeout: 10)
        #expect(found, "\(screen)")
        screen = try t.step("r", until: "Roll back?", timeout: 10)
        try t.send("y")
        // The whole frame, not the message line alone: tmux can be read while curses is still drawing the rest.
        (found, screen) = t.waitFor("After rollback", timeout: 30)
        #expect(found, "\(screen)")
        // Probed again after the rollback: TLS 1.0 refused again, as before the fix.
        #expect(screen.contains("Rolled back; TLS is as before"), "\(screen)")
        let afterRollback = screen.components(separatedBy: "After rollback").dropFirst().joined()
        #expect(afterRollback.contains("accepts") && !afterRollback.contains("accepts TLSv1 TLSv1.1"), "\(screen)")
        try t.send("q")
        usleep(300_000)
        if t.screen().contains("Quit") { try t.send("y") }
        try expectSaneTerminal(t)
        // The demo touched nothing outside its directory, and removed that on the way out.
        let dir = try #require(demoDir)
        #expect(!FileManager.default.fileExists(atPath: dir), "\(dir) left behind")
    }

    @Test func resizeRelaysOutAndTooSmallSaysWhatItNeeds() throws {
        let t = try shell()
        defer { t.kill() }
        try type(t, "\(PostlsBinary.path) demo")
        #expect(t.waitFor("Problems (", timeout: 30).found)
        try t.resize(width: 60, height: 20)
        let (small, screen) = t.waitFor("80", timeout: 10)
        #expect(small && screen.contains("24"), "\(screen)")
        try t.resize(width: 132, height: 43)
        let (back, wide) = t.waitFor("Problems (", timeout: 10)
        #expect(back, "\(wide)")
        #expect(wide.split(separator: "\n").contains { $0.count > 100 }, "the layout should use the wider terminal")
        try t.send("q")
        usleep(300_000)
        if t.screen().contains("Quit") { try t.send("y") }
        try expectSaneTerminal(t)
    }

    @Test func ctrlCMidProbeRestoresTheTerminal() throws {
        // A listener that accepts and never speaks keeps the probe busy for its whole timeout.
        let silent = try LoopbackServer { _ in usleep(20_000_000) }
        defer { silent.stop() }
        let dir = try TemporaryDirectory()
        try dir.write("etc/main.cf", "myhostname = mail.postls.test\nsmtpd_tls_security_level = may\n")
        try dir.write("etc/master.cf", "127.0.0.1:\(silent.address.port) inet n - n - - smtpd\n")
        try dir.write("mail.log", "")
        let t = try shell()
        defer { t.kill() }
        try type(t, "\(PostlsBinary.path) --config-dir \(dir.file("etc")) --log \(dir.file("mail.log")) --timeout 15")
        let (probing, screen) = t.waitFor("Probe", timeout: 20)
        #expect(probing, "\(screen)")
        usleep(500_000)
        try t.send("C-c")
        // The shell drops the rest of a command list after SIGINT, so ask for the status on its own line.
        usleep(500_000)
        try type(t, "echo EX\"\"IT=$?")
        let (exited, after) = t.waitFor("EXIT=", timeout: 10)
        #expect(exited, "\(after)")
        #expect(after.contains("EXIT=130"), "\(after)")
        try expectSaneTerminal(t)
    }

    @Test(arguments: [("TERM", SIGTERM, 143), ("HUP", SIGHUP, 129)])
    func terminationSignalsMidSessionRestoreTheTerminal(_ name: String, _ signal: Int32, _ status: Int) throws {
        let t = try shell()
        defer { t.kill() }
        let tag = "sig-\(name)-\(getpid())"
        try type(t, "POSTLS_TEST_TAG=\(tag) \(PostlsBinary.path) demo")
        #expect(t.waitFor("Problems (", timeout: 30).found)
        // In the middle of a step: the Logs step, searching. Each key is waited for (the screen changes), so
        // the signal finds postls mid-search and no key is left unread for the shell afterwards.
        for key in ["4", "/"] {
            let before = t.screen()
            try t.send(key)
            let changed = Deadline.after(seconds: 15)
            while t.screen() == before && !changed.hasPassed { usleep(50_000) }
        }
        let found = try #require(PostlsBinary.runningPID(tagged: tag))
        kill(found, signal)
        // Type only once postls is gone: keys typed while it still runs would reach the wizard, not the shell.
        let gone = Deadline.after(seconds: 15)
        while kill(found, 0) == 0 && !gone.hasPassed { usleep(50_000) }
        #expect(kill(found, 0) != 0, "postls still runs 15 s after SIG\(name)")
        usleep(200_000)
        try t.send("C-u")  // a key postls never read would otherwise start the shell's next line
        try type(t, "echo EX\"\"IT=$?")
        let (exited, after) = t.waitFor("EXIT=", timeout: 10)
        #expect(exited, "\(after)")
        #expect(after.contains("EXIT=\(status)"), "\(after)")
        try expectSaneTerminal(t)
    }

    @Test func withoutAUsableTerminalItPrintsTheDiagnosis() throws {
        let t = try shell()
        defer { t.kill() }
        // tmux sets TERM for its panes, so say it on the command line, as a person would.
        try type(t, "TERM=dumb \(PostlsBinary.path) demo; echo EX\"\"IT=$?")
        let (done, screen) = t.waitFor("EXIT=", timeout: 30)
        #expect(done, "\(screen)")
        #expect(screen.contains("problems found") || screen.contains("Limits of this diagnosis"), "\(screen)")
    }

    @Test func plainLocaleFallsBackToASCII() throws {
        let t = try shell(environment: ["LANG": "C", "LC_ALL": "C", "TERM": "xterm-256color", "NO_COLOR": "1"])
        defer { t.kill() }
        try type(t, "\(PostlsBinary.path) demo")
        let (found, screen) = t.waitFor("Problems (", timeout: 30)
        #expect(found, "\(screen)")
        #expect(!screen.contains("─") && !screen.contains("▶"), "line drawing must fall back to ASCII: \(screen)")
        try t.send("q")
        usleep(300_000)
        if t.screen().contains("Quit") { try t.send("y") }
        try expectSaneTerminal(t)
    }
}

/// The wizard against a real Postfix whose log holds real failures: from the overview to the diagnosis,
/// apply its fix, see the re-probe pass, roll back to the original bytes.
@Suite("The wizard on a real Postfix", .enabled(if: Prerequisites.postfix && (Prerequisites.isCI || Prerequisites.has("tmux"))))
struct WizardOnRealPostfixTests {
    @Test func legacySendersRefusedOnTheMXAreDiagnosedFixedAndRolledBack() throws {
        let dir = try TemporaryDirectory()
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try factory.leaf("mail", key: .rsa(bits: 2048))
        let mainCF = """
            smtpd_tls_security_level = may
            smtpd_tls_chain_files = \(leaf.keyAndChainFile)
            smtpd_tls_protocols = >=TLSv1.2
            smtpd_tls_mandatory_protocols = >=TLSv1.2
            smtpd_tls_loglevel = 1
            """
        let postfix = try PostfixInstance(mainCF: mainCF, listeners: [PostfixListener(name: "smtp")])
        defer { postfix.stop() }
        try postfix.start()
        let smtp = try #require(postfix.listener(named: "smtp")?.socketAddress)
        // A legacy sender that offers TLS 1.0 only: refused, and Postfix logs why.
        for _ in 0..<2 {
            _ = try Peers.legacySender(smtp, input: "")
        }
        #expect(postfix.waitForLog(containing: "unsupported protocol"))
        let originalMaster = try Data(contentsOf: URL(fileURLWithPath: postfix.masterCFPath))

        let t = try TmuxSession(["/bin/sh"], environment: ["LANG": "C.UTF-8", "NO_COLOR": "1"])
        defer { t.kill() }
        try t.send("-l", "\(PostlsBinary.path) --config-dir \(postfix.configDirectory) --log \(postfix.logFile) --ca-file \(factory.rootFile) --timeout 5")
        try t.send("Enter")
        var (found, screen) = t.waitFor("Problems (", timeout: 40)
        #expect(found, "\(screen)")
        (found, screen) = t.waitFor("Mail log", timeout: 20)
        let selected = screen.split(separator: "\n").first { $0.contains("▶") }
        #expect(selected?.contains("protocol_mismatch") == true, "the seed case must rank first: \(screen)")
        screen = try t.step("Enter", until: "Fix 1 of", timeout: 10)
        try t.send("Enter")
        #expect(t.waitFor("Apply this fix?", timeout: 10).found)
        screen = try t.step("y", until: "Applied and verified", timeout: 60)
        #expect(screen.contains("accepts TLSv1 TLSv1.1"), "the re-probe must show TLS 1.0 accepted: \(screen)")
        // The legacy sender now gets TLS for real.
        let legacy = try Peers.opensslClient(smtp, starttls: true, arguments: ["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"])
        #expect(legacy.stdout.contains("Protocol  : TLSv1\n") || legacy.stdout.contains("Protocol  : TLSv1\r\n"), "\(legacy.stdout)")
        try t.send("r")
        #expect(t.waitFor("Roll back?", timeout: 10).found)
        screen = try t.step("y", until: "Rolled back", timeout: 60)
        #expect(try Data(contentsOf: URL(fileURLWithPath: postfix.masterCFPath)) == originalMaster)
        // The listener probed again after the rollback, under the applied state: TLS 1.0 is refused again, as before.
        #expect(screen.contains("Rolled back; TLS is as before"), "\(screen)")
        let sections = screen.components(separatedBy: "After rollback")
        #expect(sections.count == 2, "the re-probe after the rollback must be shown: \(screen)")
        let applied = sections[0].components(separatedBy: "Applied").last ?? ""
        #expect(applied.contains("accepts TLSv1 TLSv1.1"), "the applied state stays beside it: \(screen)")
        let rolledBack = sections.last ?? ""
        #expect(rolledBack.contains("\(smtp.port)  TLSv1"), "\(screen)")
        #expect(!rolledBack.contains("accepts TLSv1 TLSv1.1") && rolledBack.contains("accepts TLSv1.2"), "\(screen)")
        // Postfix really refuses the legacy sender again.
        let refused = try Peers.opensslClient(smtp, starttls: true, arguments: ["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"], input: "")
        #expect(refused.stdout.contains("Cipher is (NONE)"), "\(refused.stdout)")
        try t.send("q")
        usleep(300_000)
        if t.screen().contains("Quit") { try t.send("y") }
    }
}
