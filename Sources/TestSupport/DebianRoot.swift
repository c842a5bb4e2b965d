import Foundation
import PostlsCore

/// A cached minimal Debian root made by scripts/debian-root.sh (bookworm or trixie), with Postfix, Dovecot and
/// OpenSSL of that release. The cache is shared by every test run and script: treat it as read-only (run in it
/// through `RootSession`, which lays a private overlay over it).
public struct DebianRoot: Sendable, Equatable {
    public let suite: String
    public let path: String

    /// The repository's top folder (scripts/ lives there).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// `POSTLS_ROOT_<SUITE>` (scripts/test.sh sets it under CI after building the root), else the root
    /// scripts/debian-root.sh has cached for the current recipe. nil when neither exists: this never builds one
    /// (that takes minutes and the network).
    public static func cached(_ suite: String) -> DebianRoot? {
        let variable = "POSTLS_ROOT_" + suite.uppercased()
        if let explicit = ProcessInfo.processInfo.environment[variable], !explicit.isEmpty {
            return FileManager.default.fileExists(atPath: explicit + "/.postls-root-complete") ? DebianRoot(suite: suite, path: explicit) : nil
        }
        let script = repository + "/scripts/debian-root.sh"
        guard let out = try? SystemProcessRunner().run("/bin/bash", [script, "--cached", suite], timeout: 10), out.succeeded else { return nil }
        let path = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? nil : DebianRoot(suite: suite, path: path)
    }

    func file(_ relative: String) -> String { path + "/" + relative }
}
