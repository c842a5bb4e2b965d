import Foundation

/// A fresh private directory under $TMPDIR, removed with everything in it when released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String
    private var removed = false

    public init(prefix: String = "postls-test") throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        path = String(cString: made)
        chmod(path, 0o755)  // Postfix daemons that drop privileges must be able to traverse it
    }

    deinit { remove() }

    public func remove() {
        if !removed { removed = true; try? FileManager.default.removeItem(atPath: path) }
    }

    /// `path/relative`
    public func file(_ relative: String) -> String { path + "/" + relative }

    @discardableResult
    public func write(_ relative: String, _ contents: String, mode: Int = 0o644) throws -> String {
        let full = file(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: full))
        chmod(full, mode_t(mode))
        return full
    }
}
