import Foundation
import PostlsCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Mode and owner of a file, kept across an atomic replace.
public struct FileAttributes: Sendable, Equatable, Codable {
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: Int
    public var modificationTimeNanoseconds: Int64
}

/// The file-system operations the config engine needs, behind a protocol so tests can
/// inject failures. Paths are absolute or relative to the working directory.
public protocol ConfigFileSystem: Sendable {
    func read(_ path: String) throws -> [UInt8]
    func exists(_ path: String) -> Bool
    func size(_ path: String) -> Int?
    /// lstat(): attributes of the path itself (a symlink is not followed).
    func attributes(_ path: String) throws -> FileAttributes
    /// Creates a new file (O_CREAT|O_EXCL|O_NOFOLLOW) with `mode`, writes `bytes` and fsyncs it.
    func createExclusive(_ path: String, bytes: [UInt8], mode: UInt32) throws
    func changeOwner(_ path: String, uid: UInt32, gid: UInt32) throws
    func changeMode(_ path: String, mode: UInt32) throws
    /// rename(2): atomically replaces `to`.
    func rename(_ from: String, to: String) throws
    /// fsync of a directory, so a rename survives a crash.
    func syncDirectory(_ path: String) throws
    func remove(_ path: String) throws
    func createDirectory(_ path: String, mode: UInt32) throws
    func isSymbolicLink(_ path: String) -> Bool
    /// The names in a directory (none when it cannot be read).
    func list(_ directory: String) -> [String]
    /// The paths a shell pattern (`conf.d/*.conf`) matches, sorted: Dovecot's `!include`.
    func glob(_ pattern: String) -> [String]
}

extension ConfigFileSystem {
    public func list(_ directory: String) -> [String] { [] }

    public func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }
}

/// The real file system, through POSIX calls.
public struct LocalFileSystem: ConfigFileSystem {
    public init() {}

    private func failure(_ path: String) -> ConfigError {
        ConfigError.unreadable(path: path, reason: String(cString: strerror(errno)))
    }

    private func writeFailure(_ path: String, _ what: String) -> ConfigError {
        ConfigError.writeFailed(path: path, reason: "\(what): \(String(cString: strerror(errno)))")
    }

    public func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(path) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw ConfigError.unreadable(path: path, reason: "is a directory") }
        var result: [UInt8] = []
        result.reserveCapacity(Int(info.st_size))
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path)
            }
            if count == 0 { break }
            result.append(contentsOf: buffer[0..<count])
            if result.count > PostfixConfiguration.maximumFileBytes {
                throw ConfigError.tooLarge(path: path, bytes: result.count, limit: PostfixConfiguration.maximumFileBytes)
            }
        }
        return result
    }

    public func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    public func size(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    public func attributes(_ path: String) throws -> FileAttributes {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw failure(path) }
        let nanos = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        return FileAttributes(mode: UInt32(info.st_mode & 0o7777), uid: info.st_uid, gid: info.st_gid,
                              size: Int(info.st_size), modificationTimeNanoseconds: nanos)
    }

    public func createExclusive(_ path: String, bytes: [UInt8], mode: UInt32) throws {
        do { try createExclusiveFile(path, bytes: bytes, mode: mode) } catch {
            throw ConfigError.writeFailed(path: path, reason: "\(error.operation): \(String(cString: strerror(error.errno)))")
        }
    }

    public func changeOwner(_ path: String, uid: UInt32, gid: UInt32) throws {
        guard lchown(path, uid, gid) == 0 else { throw writeFailure(path, "chown") }
    }

    public func changeMode(_ path: String, mode: UInt32) throws {
        guard chmod(path, mode_t(mode)) == 0 else { throw writeFailure(path, "chmod") }
    }

    public func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw writeFailure(to, "rename") }
    }

    public func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw writeFailure(path, "open directory") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw writeFailure(path, "fsync directory") }
    }

    public func remove(_ path: String) throws {
        guard unlink(path) == 0 else { throw writeFailure(path, "unlink") }
    }

    public func createDirectory(_ path: String, mode: UInt32) throws {
        if mkdir(path, mode_t(mode)) != 0 && errno != EEXIST { throw writeFailure(path, "mkdir") }
    }

    public func list(_ directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }

    public func isSymbolicLink(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
    }
}
