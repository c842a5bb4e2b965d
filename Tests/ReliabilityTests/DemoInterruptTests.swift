import Foundation
import PostlsCore
import Testing
import TestSupport

/// `postls demo` ended by SIGINT, SIGTERM or SIGHUP in the middle of a probe: its temporary directory (config,
/// keys, logs) must be gone and the terminal as it was. The handler only records the signal; the cleanup runs
/// in a normal thread (CursesTerminal's `Termination`), so this is the test that it still runs.
@Suite("The demo cleans up when a signal ends it", .enabled(if: Prerequisites.isCI || Prerequisites.has("tmux")), .serialized)
struct DemoInterruptTests {
    let env = ["LANG": "C.UTF-8", "TERM": "xterm-256color", "NO_COLOR": "1"]

    func demoDirectories(in dir: TemporaryDirectory) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasPrefix("postls-demo-") }
    }

    @Test(arguments: [("INT", SIGINT), ("TERM", SIGTERM), ("HUP", SIGHUP)])
    func aSignalMidProbeRemovesTheDemoAndRestoresTheTerminal(_ name: String, _ signal: Int32) throws {
        let dir = try TemporaryDirectory(prefix: "postls-signal")
        let t = try TmuxSession(["/bin/sh"], width: 100, height: 30, environment: env)
        defer { t.kill() }
        try t.typeLine("stty -a > \(dir.file("before"))")
        let tag = "demo-\(name)-\(getpid())"
        // TMPDIR: the demo's directory goes inside the test's, where the test can see whether it is left behind.
        try t.typeLine("TMPDIR=\(dir.path) POSTLS_TEST_TAG=\(tag) \(PostlsBinary.path) demo")
        var (found, screen) = t.waitFor("Problems (", timeout: 30)
        #expect(found, "the wizard never showed: \(screen)")
        let pid = try #require(PostlsBinary.runningPID(tagged: tag))
        #expect(demoDirectories(in: dir).count == 1, "the demo runs in the test's folder")
        // Probe again (r on the overview) and send the signal as soon as the probe shows on screen.
        try t.send("r")
        let probing = Deadline.after(seconds: 10)
        var sawProbe = false
        while !probing.hasPassed {
            screen = t.screen()
            if screen.contains("probing") { sawProbe = true; break }
            usleep(5_000)
        }
        kill(pid, signal)
        #expect(sawProbe, "the probe never showed: \(screen)")
        let gone = Deadline.after(seconds: 15)
        while kill(pid, 0) == 0 && !gone.hasPassed { usleep(20_000) }
        #expect(kill(pid, 0) != 0, "postls still runs 15 s after SIG\(name)")
        usleep(200_000)
        try t.send("C-u")
        // On its own line: the shell drops the rest of a command list after SIGINT.
        try t.typeLine("echo EX\"\"IT=$?; stty -a > \(dir.file("after")); echo ST\"\"TY-DONE")
        (found, screen) = t.waitFor("STTY-DONE", timeout: 10)
        #expect(found, "\(screen)")
        #expect(screen.contains("EXIT=\(128 + signal)"), "SIG\(name): \(screen)")
        #expect(demoDirectories(in: dir).isEmpty, "SIG\(name) left the demo behind: \(demoDirectories(in: dir))")
        let before = try String(contentsOfFile: dir.file("before"), encoding: .utf8)
        let after = try String(contentsOfFile: dir.file("after"), encoding: .utf8)
        #expect(before.contains("icanon") && before.contains("echo"), "\(before)")
        #expect(after == before, "SIG\(name): the terminal was not restored:\nbefore: \(before)\nafter: \(after)")
    }
}
