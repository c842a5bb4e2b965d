import Foundation
import PostlsCore

/// Finds the system's mail logs when no file is named: `/var/log/mail.log`, `/var/log/maillog`,
/// Postfix's `maillog_file`, each with its rotated siblings (`mail.log.3.gz` … `mail.log.1`, `mail.log`), oldest first.
public struct LogDiscovery: Sendable {
    public var candidates: [String]
    public var runner: ProcessRunner

    public init(candidates: [String] = ["/var/log/mail.log", "/var/log/maillog"], runner: ProcessRunner = SystemProcessRunner()) {
        self.candidates = candidates
        self.runner = runner
    }

    /// Postfix's own log file (`postconf -h maillog_file`), when set to a regular file.
    public func maillogFile(configDirectory: String? = nil) -> String? {
        var args = ["-h", "maillog_file"]
        if let configDirectory { args = ["-c", configDirectory] + args }
        guard let out = try? runner.run("postconf", args, timeout: 10), out.succeeded else { return nil }
        let value = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard value.hasPrefix("/"), !value.hasPrefix("/dev/") else { return nil }
        return value
    }

    /// Every existing log file, each base file preceded by its rotations, oldest first.
    public func discover(configDirectory: String? = nil) -> [String] {
        var bases = candidates
        if let m = maillogFile(configDirectory: configDirectory), !bases.contains(m) { bases.append(m) }
        var result: [String] = []
        for base in bases {
            for path in Self.withRotations(base) where !result.contains(path) { result.append(path) }
        }
        return result
    }

    /// `base` and its rotated siblings that exist, oldest first: `base.N.gz` … `base.1`, `base`,
    /// and dated ones (`maillog-20240403`) by name.
    public static func withRotations(_ base: String) -> [String] {
        let url = URL(fileURLWithPath: base)
        let dir = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        let fm = FileManager.default
        guard let entries = try? fm.contentsOfDirectory(atPath: dir) else {
            return fm.fileExists(atPath: base) ? [base] : []
        }
        var numbered: [(Int, String)] = []
        var dated: [String] = []
        for e in entries where e.hasPrefix(name) && e != name {
            var rest = e.dropFirst(name.count)
            if rest.hasSuffix(".gz") { rest = rest.dropLast(3) }
            if rest.first == ".", let n = Int(rest.dropFirst()) { numbered.append((n, dir + "/" + e)) }
            else if rest.first == "-", rest.dropFirst().allSatisfy(\.isNumber) { dated.append(dir + "/" + e) }
        }
        var result = dated.sorted()
        result += numbered.sorted { $0.0 > $1.0 }.map(\.1)
        if fm.fileExists(atPath: base) { result.append(base) }
        return result
    }
}
