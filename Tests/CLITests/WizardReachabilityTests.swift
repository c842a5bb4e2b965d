import Foundation
import PostlsCore
import Testing
import TestSupport

/// The wizard's Overview ranks a port nothing listens on first, as `postls diagnose` does: the same engine.
@Suite("The wizard when nothing listens", .enabled(if: Prerequisites.postfix && (Prerequisites.isCI || Prerequisites.has("tmux"))))
struct WizardReachabilityTests {
    @Test func withPostfixStoppedTheOverviewRanksPortNotListeningFirst() throws {
        let postfix = try PostfixInstance(listeners: [PostfixListener(name: "smtp")])
        defer { postfix.stop() }
        try postfix.start()
        let port = try #require(postfix.listener(named: "smtp")).port
        let pid = postfix.masterPID
        #expect(try SystemProcessRunner().run("postfix", ["-c", postfix.configDirectory, "stop"], timeout: 20).succeeded)
        if let pid { for _ in 0..<100 where kill(pid, 0) == 0 { usleep(50_000) } }

        let t = try TmuxSession(["/bin/sh"], environment: ["LANG": "C.UTF-8", "NO_COLOR": "1"])
        defer { t.kill() }
        try t.send("-l", "\(PostlsBinary.path) --config-dir \(postfix.configDirectory) --log \(postfix.logFile) --smtp-port \(port) --timeout 5")
        try t.send("Enter")
        var (found, screen) = t.waitFor("Problems (", timeout: 40)
        #expect(found, "\(screen)")
        (found, screen) = t.waitFor("port_not_listening", timeout: 20)
        let selected = screen.split(separator: "\n").first { $0.contains("▶") }
        #expect(selected?.contains("CRIT") == true && selected?.contains("port_not_listening") == true, "nothing listens: it must rank first: \(screen)")
        // The same summary as `postls diagnose`: the reason, from master's pid file.
        #expect(selected?.contains("nothing listens on 127.0.0.1:\(port): Postfix is not running") == true, "\(screen)")
        try t.send("q")
        usleep(300_000)
        if t.screen().contains("Quit") { try t.send("y") }
    }
}
