import Foundation
import PostlsCore
import Testing
import TestSupport

/// The wizard crashes for real in the middle of a step (`postls-crash-test STEP:KIND:SECONDS`, Tests/CrashTestBinary:
/// `postls demo`'s wizard code with a crash on demand; the shipped binary has none): the terminal must be left
/// exactly as it was, `stty -a` before and after compared whole, and the shell must see the signal's exit status.
@Suite("Terminal restored after a crash", .enabled(if: Prerequisites.isCI || Prerequisites.has("tmux")), .serialized)
struct CrashTerminalTests {
    let env = ["LANG": "C.UTF-8", "TERM": "xterm-256color", "NO_COLOR": "1"]

    func type(_ t: TmuxSession, _ line: String) throws {
        try t.send("-l", line)
        try t.send("Enter")
    }

    /// Starts the demo's wizard at a shell prompt with a crash asked for, after saving `stty -a`; `navigate` drives the
    /// wizard to the step. Then checks the exit status and that `stty -a` afterwards equals the saved one.
    func crashAndCompare(step: String, kind: String, delay: Double, status: Int32,
                         navigate: (TmuxSession) throws -> Void = { _ in }) throws {
        let dir = try TemporaryDirectory(prefix: "postls-crash")
        let t = try TmuxSession(["/bin/sh"], width: 100, height: 30, environment: env)
        defer { t.kill() }
        try type(t, "stty -a > \(dir.file("before"))")
        // TMPDIR: the demo's folder goes inside the test's, which is removed with it (a crash leaves it behind).
        try type(t, "TMPDIR=\(dir.path) \(PostlsBinary.crashTestPath) \(step):\(kind):\(delay); echo EX\"\"IT=$?")
        // The wizard is up (curses mode: no echo, no line buffering) before the crash.
        var (found, screen) = t.waitFor("1 Overview", timeout: 30)
        #expect(found, "the wizard never showed: \(screen)")
        try navigate(t)
        // Swift's runtime prints a backtrace after our handler has restored the terminal and, on a terminal,
        // offers to interact for 30 s: any key ends it.
        let deadline = Date().addingTimeInterval(40)
        var exited = false
        while Date() < deadline {
            screen = t.screen()
            if screen.contains("EXIT=") { exited = true; break }
            if screen.contains("Press space to interact") { try t.send("q") }
            usleep(200_000)
        }
        #expect(exited, "\(step):\(kind): the shell never got back: \(screen)")
        if ProcessInfo.processInfo.environment["POSTLS_SANITIZER"] == nil {
            #expect(screen.contains("EXIT=\(status)"), "\(step):\(kind): \(screen)")
        } else {
            // An instrumented binary: the sanitizer's own fault handler reports and exits with its status instead.
            #expect(!screen.contains("EXIT=0") && !screen.contains("EXIT=99"), "\(step):\(kind): \(screen)")
        }
        try type(t, "stty -a > \(dir.file("after")); echo ST\"\"TY-DONE")
        (found, screen) = t.waitFor("STTY-DONE", timeout: 10)
        #expect(found, "\(screen)")
        let before = try String(contentsOfFile: dir.file("before"), encoding: .utf8)
        let after = try String(contentsOfFile: dir.file("after"), encoding: .utf8)
        #expect(before.contains("icanon") && before.contains("echo"), "\(before)")
        #expect(after == before, "\(step):\(kind): the terminal was not restored:\nbefore: \(before)\nafter: \(after)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.hasPrefix("postls-demo-") },
                "the demo ran in the test's folder")
    }

    /// Each way a process dies of a fault, 2 s into the Logs step (the wizard is drawn by then).
    @Test(arguments: [("segv", SIGSEGV), ("bus", SIGBUS), ("fpe", SIGFPE), ("ill", SIGILL), ("abrt", SIGABRT), ("trap", SIGTRAP)])
    func aCrashInTheLogsStepRestoresTheTerminal(_ kind: String, _ signal: Int32) throws {
        try crashAndCompare(step: "logs", kind: kind, delay: 2, status: 128 + signal)
    }

    @Test func aSegfaultInTheProbeStepRestoresTheTerminal() throws {
        try crashAndCompare(step: "probe", kind: "segv", delay: 1.5, status: 128 + SIGSEGV)
    }

    /// In the middle of applying a fix, after the admin said yes.
    @Test func aFailedPreconditionWhileApplyingAFixRestoresTheTerminal() throws {
        try crashAndCompare(step: "fix", kind: "ill", delay: 0.3, status: 128 + SIGILL) { t in
            #expect(t.waitFor("Problems (", timeout: 30).found)
            try t.send("Enter")
            #expect(t.waitFor("Fix 1 of 1", timeout: 10).found)
            try t.send("Enter")
            #expect(t.waitFor("Apply this fix?", timeout: 10).found)
            try t.send("y")
        }
    }
}

/// The crash on demand lives in the test binary only: the shipped `postls` has no switch that crashes it.
@Suite("No crash switch in postls")
struct NoCrashSwitchTests {
    @Test func thePostlsBinaryHoldsNoTraceOfTheCrashHook() throws {
        let binary = try Data(contentsOf: URL(fileURLWithPath: PostlsBinary.path))
        let crashBinary = try Data(contentsOf: URL(fileURLWithPath: PostlsBinary.crashTestPath))
        for trace in ["CrashHook", "CrashingEffects", "POSTLS_TEST_CRASH", "crash-test"] {
            #expect(binary.range(of: Data(trace.utf8)) == nil, "postls contains \(trace)")
        }
        // The search would find them: the test binary has them.
        #expect(crashBinary.range(of: Data("CrashHook".utf8)) != nil)
    }
}
