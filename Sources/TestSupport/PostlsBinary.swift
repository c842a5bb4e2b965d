import Foundation
import PostlsCore

/// The built `postls` executable, run the way a user runs it (tests of the CLI contract).
public enum PostlsBinary {
    /// The executable beside the test bundle (`swift build --build-tests` builds both into one folder),
    /// or `POSTLS_BINARY` when set.
    public static var path: String {
        // Whoever asks for the binary is about to start it: keep its probe record out of the machine's.
        _ = TestIsolation.probeRecord
        if let explicit = ProcessInfo.processInfo.environment["POSTLS_BINARY"] { return explicit }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        // On Linux the test runner is <build>/postlsPackageTests.xctest; on macOS it sits inside a bundle.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("postls").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return runner.deletingLastPathComponent().appendingPathComponent("postls").path
    }

    /// `postls-crash-test` (Tests/CrashTestBinary): `postls demo`'s wizard with a crash on demand, built beside postls.
    public static var crashTestPath: String {
        URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("postls-crash-test").path
    }

    /// The pid of a postls started with `POSTLS_TEST_TAG=tag` in its environment (typed into a terminal, so the
    /// test has no handle on it), found in /proc.
    public static func runningPID(tagged tag: String, timeout: Double = 20) -> pid_t? {
        let deadline = Deadline.after(seconds: timeout)
        repeat {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = pid_t(entry),
                      let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ"),
                      let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
                if String(decoding: environ, as: UTF8.self).contains("POSTLS_TEST_TAG=\(tag)"),
                   String(decoding: cmdline, as: UTF8.self).contains("postls") { return pid }
            }
            usleep(100_000)
        } while !deadline.hasPassed
        return nil
    }

    /// Runs postls with arguments; never through a shell.
    public static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil,
                           timeout: Double = 60) throws -> ProcessOutput {
        _ = TestIsolation.probeRecord  // before the environment is read: it sets the run's own variables
        var env = environment ?? ProcessInfo.processInfo.environment
        env["NO_COLOR"] = env["NO_COLOR"] ?? "1"
        return try SystemProcessRunner().run(path, arguments, stdin: stdin.map { Data($0.utf8) }, environment: env, timeout: timeout)
    }
}
