import CZlib
import Foundation
import PostlsCore

/// Where log bytes come from: a file, standard input, a pipe from journalctl, or a gzip stream over one of these.
public protocol ByteSource: AnyObject {
    /// A name for messages and evidence (`lines[].file`).
    var name: String { get }
    /// Reads up to `buffer.count` bytes; 0 means the end of the input.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogReadError) -> Int
    /// Whether the line reader may call `read` from a second thread, one chunk ahead of the analysis
    /// (only while no other thread uses the source). True for regular files and gzip over them; pipes,
    /// standard input, the journal and `--follow` are read inline.
    var allowsReadAhead: Bool { get }
}

extension ByteSource {
    public var allowsReadAhead: Bool { false }
}

/// Errors reading a log's bytes (opening, reading, inflating, running journalctl), worded for a mail admin.
public enum LogReadError: Error, CustomStringConvertible, Sendable, Equatable {
    case cannotOpen(path: String, reason: String)
    case readFailed(path: String, reason: String)
    case truncatedGzip(path: String, bytesDecoded: Int)
    case corruptGzip(path: String, reason: String)
    case commandFailed(command: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): return "\(path): cannot open the log: \(reason)"
        case .readFailed(let path, let reason): return "\(path): read error: \(reason)"
        case .truncatedGzip(let path, let n):
            return "\(path): the gzip file is truncated (cut off before its end); the \(n) bytes before the cut were read"
        case .corruptGzip(let path, let reason): return "\(path): not a valid gzip file: \(reason)"
        case .commandFailed(let command, let reason): return "\(command): \(reason)"
        }
    }
}

private func errnoText(_ code: Int32) -> String { String(cString: strerror(code)) }

/// Reads a file descriptor it owns (closed in deinit) or borrows (standard input).
public final class FileByteSource: ByteSource {
    public let name: String
    private let fd: Int32
    private let owned: Bool
    public let allowsReadAhead: Bool

    /// Opens `path` for reading.
    public init(path: String) throws(LogReadError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw .cannotOpen(path: path, reason: errnoText(errno)) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw .cannotOpen(path: path, reason: "is a directory")
        }
        self.fd = fd; self.owned = true; self.name = path
        // A regular file never blocks: reading it ahead is safe. Devices and FIFOs opened by path are read inline.
        allowsReadAhead = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Wraps an already open descriptor (e.g. 0 for standard input) without closing it.
    public init(borrowing fd: Int32, name: String) {
        self.fd = fd; self.owned = false; self.name = name
        allowsReadAhead = false
    }

    deinit { if owned { close(fd) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogReadError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = Foundation.read(fd, base, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw .readFailed(path: name, reason: errnoText(errno))
        }
    }
}

/// Inflates gzip (and zlib) data from another source with system zlib; concatenated members are read in turn.
public final class GzipByteSource: ByteSource {
    public var name: String { inner.name }
    /// Over a regular file, inflating on the read-ahead thread takes zlib off the analysis's path.
    public var allowsReadAhead: Bool { inner.allowsReadAhead }
    private let inner: ByteSource
    private var stream = z_stream()
    private let input: UnsafeMutableRawBufferPointer
    private var inputEnded = false
    private var memberEnded = false
    private var decoded = 0
    private var initialized = false

    public init(wrapping inner: ByteSource, inputBufferSize: Int = 256 * 1024) throws(LogReadError) {
        self.inner = inner
        input = .allocate(byteCount: inputBufferSize, alignment: 16)
        // 15 + 32: a 32 KB window, and let zlib detect gzip or zlib headers.
        if CZlib_inflateInit2(&stream, 15 + 32) != Z_OK {
            input.deallocate()
            throw .corruptGzip(path: inner.name, reason: "zlib could not be initialised")
        }
        initialized = true
    }

    deinit {
        if initialized { inflateEnd(&stream) }
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogReadError) -> Int {
        guard let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = UInt32(clamping: buffer.count)
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputEnded {
                let n = try inner.read(into: input)
                if n == 0 { inputEnded = true } else {
                    stream.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = UInt32(n)
                }
            }
            if stream.avail_in == 0 && inputEnded {
                let produced = buffer.count - Int(stream.avail_out)
                if produced > 0 { decoded += produced; return produced }
                // The input ended: fine after a complete member, a truncation otherwise.
                if memberEnded || decoded == 0 && stream.total_in == 0 { return 0 }
                throw .truncatedGzip(path: inner.name, bytesDecoded: decoded)
            }
            if memberEnded {
                // More bytes after a complete member: another gzip member follows (cat a.gz b.gz).
                inflateReset(&stream)
                memberEnded = false
            }
            let rc = inflate(&stream, Z_NO_FLUSH)
            switch rc {
            case Z_OK: continue
            case Z_STREAM_END: memberEnded = true
            case Z_BUF_ERROR: continue
            default:
                let why = stream.msg.map { String(cString: $0) } ?? "inflate error \(rc)"
                throw .corruptGzip(path: inner.name, reason: why)
            }
        }
        let produced = buffer.count - Int(stream.avail_out)
        decoded += produced
        return produced
    }
}

/// Bytes already in memory (a pasted fragment, a gzip attachment, a test), as a source.
public final class MemoryByteSource: ByteSource {
    public let name: String
    private let bytes: ArraySlice<UInt8>
    private var offset: Int

    public init(_ bytes: ArraySlice<UInt8>, name: String) {
        self.bytes = bytes; self.name = name; offset = bytes.startIndex
    }

    public convenience init(_ bytes: [UInt8], name: String) { self.init(bytes[...], name: name) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogReadError) -> Int {
        let n = min(buffer.count, bytes.endIndex - offset)
        guard n > 0 else { return 0 }
        bytes[offset..<(offset + n)].withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        offset += n
        return n
    }
}

/// Reads the standard output of a command (journalctl) as it runs, without a shell.
public final class CommandByteSource: ByteSource {
    public let name: String
    private let process: Process
    private let handle: FileHandle

    public init(executable: String, arguments: [String]) throws(LogReadError) {
        name = ([executable] + arguments).joined(separator: " ")
        guard let path = findExecutable(executable) else {
            throw .commandFailed(command: executable, reason: "command not found in PATH")
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        handle = pipe.fileHandleForReading
        do { try process.run() } catch {
            throw .commandFailed(command: executable, reason: "could not be started: \(error)")
        }
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogReadError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = Foundation.read(handle.fileDescriptor, base, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw .readFailed(path: name, reason: errnoText(errno))
        }
    }
}

/// Opens a log file, inflating it when it is gzip-compressed (by magic bytes, whatever its name).
public func openLogSource(path: String) throws(LogReadError) -> ByteSource {
    let file = try FileByteSource(path: path)
    if isGzipFile(path: path) { return try GzipByteSource(wrapping: file) }
    return file
}

func isGzipFile(path: String) -> Bool {
    guard let h = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? h.close() }
    let magic = (try? h.read(upToCount: 2)) ?? Data()
    return magic.count == 2 && magic[magic.startIndex] == 0x1f && magic[magic.startIndex + 1] == 0x8b
}
