import Foundation

/// Keeps the output of a command whose result depends only on things we can name (the program's file, the
/// files it reads, the host name), so the next run can skip the child process. `postconf -d` is the one use:
/// it takes as long as all of `postls config`'s own work.
///
/// The key is a text listing every input's identity (path, device, inode, size, mtime and ctime to the
/// nanosecond, plus free-form facts); an entry is used only when its stored key equals the new key byte for
/// byte. Entries live in `/var/cache/postls` for root, `$XDG_CACHE_HOME/postls` (or `~/.cache/postls`)
/// otherwise, one file each, written to a temporary file and renamed into place. Any error (a missing or
/// foreign-owned directory, a short read, a full disk) means "no cache": the command runs as if there were none.
public struct CommandOutputCache: Sendable {
    /// The directory holding the entries; nil disables the cache.
    public let directory: String?

    public init(directory: String?) { self.directory = directory }

    /// No caching at all (tests, `POSTLS_NO_CACHE`).
    public static let disabled = CommandOutputCache(directory: nil)

    /// Names the cache directory, overriding the default place (tests point it at a folder of their own).
    public static let directoryVariable = "POSTLS_CACHE_DIR"

    /// The default place for this user: `$POSTLS_CACHE_DIR` when set, `/var/cache/postls` for root, the XDG
    /// cache directory otherwise; disabled when `POSTLS_NO_CACHE` is set to anything but an empty string or `0`.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> CommandOutputCache {
        if let off = environment["POSTLS_NO_CACHE"], !off.isEmpty, off != "0" { return .disabled }
        if let set = environment[directoryVariable], set.hasPrefix("/") { return CommandOutputCache(directory: set) }
        if getuid() == 0 { return CommandOutputCache(directory: "/var/cache/postls") }
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return CommandOutputCache(directory: xdg + "/postls") }
        if let home = environment["HOME"], home.hasPrefix("/") { return CommandOutputCache(directory: home + "/.cache/postls") }
        return .disabled
    }

    /// The identity of a file for a key: its path and what stat says about it, or that it is missing.
    public static func identity(of path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "\(path) missing" }
        return "\(path) dev=\(info.st_dev) ino=\(info.st_ino) size=\(info.st_size) mode=\(info.st_mode)"
            + " mtime=\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) ctime=\(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec)"
    }

    /// The stored output for `key`, or the result of `compute` (stored for next time when it succeeds).
    public func output(name: String, key: String, compute: () throws -> String) rethrows -> String {
        guard let directory, let file = entryPath(directory: directory, name: name) else { return try compute() }
        if let stored = read(file, key: key) { return stored }
        let output = try compute()
        write(file, directory: directory, key: key, output: output)
        return output
    }

    /// What Postfix's computed defaults depend on: the host name and every interface address (myhostname,
    /// mydomain, mynetworks).
    public static func hostFacts() -> String {
        var name = utsname()
        uname(&name)
        let node = withUnsafeBytes(of: &name.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var lines = ["host \(node)"]
        for entry in InterfaceEntry.all() {
            lines.append("interface \(entry.name) \(entry.isUp ? "up" : "down") \(hex(entry.address)) \(entry.mask.map(hex) ?? "-")")
        }
        return lines.joined(separator: "\n")
    }

    // MARK: Entries

    private static let magic = "postls-cache 1\n"

    private func entryPath(directory: String, name: String) -> String? {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { return nil }
        return directory + "/" + name
    }

    /// The entry's output when its key matches; nil on any mismatch or error.
    private func read(_ path: String, key: String) -> String? {
        guard ownedDirectory(path: (path as NSString).deletingLastPathComponent) else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_uid == getuid(), info.st_mode & 0o022 == 0, info.st_size < 16 << 20 else { return nil }
        let text = readWholeFile(fd)
        let header = Self.magic + String(key.utf8.count) + "\n" + key + "\n"
        guard text.utf8.count == Int(info.st_size), text.hasPrefix(header) else { return nil }
        return String(text.dropFirst(header.count))
    }

    private func write(_ path: String, directory: String, key: String, output: String) {
        if !ownedDirectory(path: directory) {
            _ = mkdir((directory as NSString).deletingLastPathComponent, 0o700)  // ~/.cache when missing
            _ = mkdir(directory, 0o700)
            guard ownedDirectory(path: directory) else { return }
        }
        var template = Array("\(path).XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { return }
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let bytes = Array((Self.magic + String(key.utf8.count) + "\n" + key + "\n" + output).utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            offset += n
        }
        let complete = offset == bytes.count && fchmod(fd, 0o600) == 0
        close(fd)
        if !complete || rename(temporary, path) != 0 { unlink(temporary) }
    }

    /// True when `path` is a real directory (not a link) owned by us and writable by nobody else.
    private func ownedDirectory(path: String) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else { return false }
        return info.st_mode & S_IFMT == S_IFDIR && info.st_uid == getuid() && info.st_mode & 0o022 == 0
    }
}
