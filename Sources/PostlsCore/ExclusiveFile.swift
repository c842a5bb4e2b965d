import Foundation

/// A file that could not be created or written, with the step and errno kept.
public struct FileWriteError: Error, CustomStringConvertible, Sendable, Equatable {
    public let path: String
    public let operation: String
    public let errno: Int32
    public var description: String { "\(path): \(operation): \(String(cString: strerror(errno)))" }
}

/// Creates a new file that did not exist (O_EXCL: never overwrites; O_NOFOLLOW: never follows a link an
/// attacker planted), with exactly `mode` whatever the umask, writes `bytes`, fsyncs, and removes the file again
/// if any step fails. The one way postls creates keys, backups, chains, CSRs and reports.
public func createExclusiveFile(_ path: String, bytes: [UInt8], mode: UInt32) throws(FileWriteError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(mode))
    guard fd >= 0 else { throw FileWriteError(path: path, operation: "create", errno: errno) }
    var ok = false
    defer {
        close(fd)
        if !ok { unlink(path) }
    }
    guard fchmod(fd, mode_t(mode)) == 0 else { throw FileWriteError(path: path, operation: "chmod", errno: errno) }
    var written = 0
    while written < bytes.count {
        let n = bytes.withUnsafeBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            return write(fd, base + written, raw.count - written)
        }
        if n < 0 {
            if errno == EINTR { continue }
            throw FileWriteError(path: path, operation: "write", errno: errno)
        }
        if n == 0 { throw FileWriteError(path: path, operation: "write", errno: EIO) }
        written += n
    }
    guard fsync(fd) == 0 else { throw FileWriteError(path: path, operation: "fsync", errno: errno) }
    ok = true
}

/// Replaces `path` atomically with `bytes`: a new file beside it (``createExclusiveFile``: O_EXCL, no symlinks,
/// exactly `mode`, fsynced), renamed over the target, then the directory fsynced so the rename survives a crash.
/// A reader sees the old file or the new one, never a partial one. The temporary name ends in neither `.prom`
/// nor the target's name, so a collector that globs the folder never reads it.
public func replaceFileAtomically(_ path: String, bytes: [UInt8], mode: UInt32) throws(FileWriteError) {
    let temporary = path + ".postls-tmp-\(getpid())"
    unlink(temporary)  // left by a killed run with the same pid; unlink never follows a link
    try createExclusiveFile(temporary, bytes: bytes, mode: mode)
    guard rename(temporary, path) == 0 else {
        let e = errno
        unlink(temporary)
        throw FileWriteError(path: path, operation: "rename", errno: e)
    }
    let directory = (path as NSString).deletingLastPathComponent
    let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd >= 0 {
        _ = fsync(fd)  // best effort: the new content is already in place
        close(fd)
    }
}
