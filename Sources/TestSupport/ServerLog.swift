import Foundation
import PostlsCore

/// A server under test that writes its own log file (Postfix through postlogd, Dovecot through log_path).
public protocol ServerLog {
    var logFile: String { get }
}

extension ServerLog {
    /// The log so far.
    public func logText() -> String {
        (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
    }

    /// Waits until the log contains `needle` (the servers write it asynchronously).
    @discardableResult
    public func waitForLog(containing needle: String, timeout: Double = 10) -> Bool {
        let deadline = Deadline.after(seconds: timeout)
        repeat {
            if logText().contains(needle) { return true }
            usleep(50_000)
        } while !deadline.hasPassed
        return false
    }
}
