import Foundation
import PostlsCore
import Testing
import TestSupport

/// First-time setup in the wizard, on a real Postfix that starts without any TLS: Overview → Setup (a certificate
/// found in a Let's Encrypt-style directory) → the plan → apply → the probe shows STARTTLS on 25 and 587 and
/// implicit TLS on 465, each verifying against the test CA (the new certificate) → rollback.
@Suite("The wizard's first-time setup", .enabled(if: Prerequisites.postfix && (Prerequisites.isCI || Prerequisites.has("tmux"))), .serialized)
struct WizardSetupTests {
    @Test func serverWithoutTLSGoesThroughSetupApplyAndProbe() throws {
        let dir = try TemporaryDirectory(prefix: "postls-wizard-setup")
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try factory.leaf("mail", commonName: "mail.postls.test")
        let live = dir.file("letsencrypt/mail.postls.test")
        try FileManager.default.createDirectory(atPath: live, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: leaf.fullChainFile, toPath: live + "/fullchain.pem")
        try FileManager.default.copyItem(atPath: leaf.keyFile, toPath: live + "/privkey.pem")
        let postfix = try PostfixInstance(listeners: [PostfixListener(name: "smtp")], myhostname: "mail.postls.test")
        defer { postfix.stop() }
        try postfix.start()
        let smtp = postfix.listeners[0].port, submission = freePort(), submissions = freePort()
        let originalMaster = try String(contentsOfFile: postfix.masterCFPath, encoding: .utf8)

        let t = try TmuxSession(["/bin/sh"], width: 120, height: 40, environment: ["LANG": "C.UTF-8", "NO_COLOR": "1"])
        defer { t.kill() }
        try t.send("-l", "\(PostlsBinary.path) wizard --config-dir \(postfix.configDirectory) --log \(postfix.logFile) --ca-file \(factory.rootFile) "
            + "--timeout 5 --submission-port 127.0.0.1:\(submission) --submissions-port 127.0.0.1:\(submissions) --tls-dir \(dir.file("tls")) "
            + "--letsencrypt-dir \(dir.file("letsencrypt")) --ssl-dir \(dir.file("no-ssl"))")
        try t.send("Enter")
        var (found, screen) = t.waitFor("s sets it up", timeout: 60)
        #expect(found, "a server without TLS leads to Setup: \(screen)")
        try t.capture("1-overview-no-tls", restoring: 120, 40)

        try t.send("s")
        (found, screen) = t.waitFor("fullchain.pem", timeout: 30)
        #expect(found && screen.contains("covers mail.postls.test") && screen.contains("Self-signed stopgap"), "\(screen)")
        let selected = screen.split(separator: "\n").first { $0.contains("▶") }
        #expect(selected?.contains("fullchain.pem") == true, "the usable certificate found is offered first: \(screen)")
        try t.capture("9-setup-sources", restoring: 120, 40)
        try t.send("Enter")
        (found, screen) = t.waitFor("The plan: Enter applies it", timeout: 30)
        #expect(found && screen.contains("(Let's Encrypt, CN=mail.postls.test"), "the plan names where the certificate was found: \(screen)")
        #expect(screen.contains("+smtpd_tls_chain_files = \(live)/privkey.pem, "), "\(screen)")
        try t.send("PageDown")
        (found, screen) = t.waitFor("smtpd_tls_wrappermode=yes", timeout: 10)
        #expect(found && screen.contains("127.0.0.1:\(submission)"), "master.cf's submission and submissions are in the plan: \(screen)")
        try t.capture("9-setup-plan", restoring: 120, 40)

        screen = try t.step("Enter", until: "Apply first-time setup?", timeout: 10)
        screen = try t.step("y", until: "Applied and verified", timeout: 90)
        for port in [smtp, submission, submissions] {
            #expect(screen.contains("127.0.0.1:\(port)  TLSv1."), "port \(port) negotiates TLS after setup: \(screen)")
        }

        // The normal probe, re-run after the change: STARTTLS on 25 and 587, implicit TLS on 465, each verifying.
        try t.send("3")
        var rows: [Substring] = []
        for _ in 0..<60 {
            screen = t.screen()
            rows = screen.split(separator: "\n").filter { $0.contains("verify ok") }
            if rows.count >= 3 { break }
            usleep(500_000)
        }
        func row(_ port: UInt16) -> Substring? { rows.first { $0.contains(" \(port)  ") } }
        #expect(row(smtp)?.contains("STARTTLS") == true, "\(screen)")
        #expect(row(submission)?.contains("STARTTLS") == true, "\(screen)")
        #expect(row(submissions)?.contains("implicit") == true, "\(screen)")
        try t.capture("9-setup-probe-after", restoring: 120, 40)

        // Rollback restores master.cf as it was.
        try t.send("6")
        screen = try t.step("r", until: "Roll back?", timeout: 10)
        screen = try t.step("y", until: "Rolled back", timeout: 60)
        #expect(try String(contentsOfFile: postfix.masterCFPath, encoding: .utf8) == originalMaster)
        try t.send("q")
        usleep(300_000)
        if t.screen().contains("Quit") { try t.send("y") }
    }
}
