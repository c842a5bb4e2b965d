import Foundation
import Testing
import PostlsCore

/// Drives a program in a real terminal, as a person would: tmux on its own server socket, keys in,
/// screen text out. The base of the wizard's end-to-end tests.
public final class TmuxSession: @unchecked Sendable {
    public let socketName: String
    public let session = "t"
    private let runner = SystemProcessRunner()
    private var killed = false

    /// Starts `command` (an argument vector, run without a shell) in a `width`x`height` terminal.
    public init(_ command: [String], width: Int = 100, height: Int = 30, environment: [String: String] = [:]) throws {
        // The tmux server keeps the environment it starts with: the postls typed into it must inherit the isolation.
        _ = TestIsolation.probeRecord
        socketName = "postls-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var args = ["-L", socketName, "-f", "/dev/null", "new-session", "-d", "-s", session, "-x", String(width), "-y", String(height)]
        for (k, v) in environment.sorted(by: { $0.key < $1.key }) { args += ["-e", "\(k)=\(v)"] }
        args += command
        let out = try runner.run("tmux", args, timeout: 20)
        guard out.succeeded else { throw HarnessError.startFailed("tmux: \(out.stderr)") }
        _ = try? runner.run("tmux", ["-L", socketName, "set-option", "-t", session, "remain-on-exit", "on"], timeout: 10)
    }

    deinit { kill() }

    public func kill() {
        guard !killed else { return }
        killed = true
        _ = try? runner.run("tmux", ["-L", socketName, "kill-server"], timeout: 10)
    }

    /// Sends keys as tmux names them ("Enter", "Escape", "C-c", "q", "Down").
    public func send(_ keys: String...) throws { try send(keys) }

    private func send(_ keys: [String]) throws {
        _ = try runner.run("tmux", ["-L", socketName, "send-keys", "-t", session] + keys, timeout: 10)
    }

    /// Types a line at the prompt, as literal text, and presses Enter.
    public func typeLine(_ line: String) throws {
        try send("-l", line)
        try send("Enter")
    }

    /// The visible screen as text.
    public func screen() -> String {
        (try? runner.run("tmux", ["-L", socketName, "capture-pane", "-p", "-t", session], timeout: 10).stdout) ?? ""
    }

    public func resize(width: Int, height: Int) throws {
        _ = try runner.run("tmux", ["-L", socketName, "resize-window", "-t", session, "-x", String(width), "-y", String(height)], timeout: 10)
    }

    /// With `POSTLS_CAPTURE_SCREENS=DIR` in the environment: the screen at 80x24 (the size docs/screens/ shows)
    /// written to `DIR/name.txt`, then the window put back to `width` x `height`. Without it, nothing.
    public func capture(_ name: String, restoring width: Int, _ height: Int) throws {
        guard let dir = ProcessInfo.processInfo.environment["POSTLS_CAPTURE_SCREENS"], !dir.isEmpty else { return }
        try resize(width: 80, height: 24)
        usleep(800_000)
        try screen().write(toFile: dir + "/" + name + ".txt", atomically: true, encoding: .utf8)
        try resize(width: width, height: height)
        usleep(500_000)
    }

    /// Waits until the screen contains `text`; returns the screen either way.
    @discardableResult
    public func waitFor(_ text: String, timeout: Double = 20) -> (found: Bool, screen: String) {
        let deadline = Deadline.after(seconds: timeout)
        var last = ""
        repeat {
            last = screen()
            if last.contains(text) { return (true, last) }
            usleep(100_000)
        } while !deadline.hasPassed
        return (false, last)
    }

    /// One step of a walk through the wizard: sends `keys`, waits for `text`, and records an issue with the screen
    /// when it does not come. Returns the screen either way.
    @discardableResult
    public func step(_ keys: String..., until text: String, timeout: Double = 20,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try send(keys)
        let (found, screen) = waitFor(text, timeout: timeout)
        if !found { Issue.record("no \"\(text)\" after \(keys.joined(separator: " ")): \(screen)", sourceLocation: sourceLocation) }
        return screen
    }

    /// Whether the program in the pane has exited, and its status (remain-on-exit keeps the pane).
    public func exitStatus() -> Int32? {
        guard let out = try? runner.run("tmux", ["-L", socketName, "display-message", "-p", "-t", session, "#{pane_dead} #{pane_dead_status}"], timeout: 10),
              out.succeeded else { return nil }
        let parts = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        guard parts.first == "1", parts.count > 1 else { return nil }
        return Int32(parts[1])
    }

    public func waitForExit(timeout: Double = 20) -> Int32? {
        let deadline = Deadline.after(seconds: timeout)
        repeat {
            if let status = exitStatus() { return status }
            usleep(100_000)
        } while !deadline.hasPassed
        return nil
    }
}
