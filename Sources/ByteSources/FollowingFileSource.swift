import Foundation

/// A file that keeps growing (`--follow`): returns new bytes as they are written, waits when there
/// are none, and starts over at the new file when the log is rotated (inode changed or file shrank).
public final class FollowingFileSource: ByteSource {
    public let name: String
    private var fd: Int32 = -1
    private var inode: UInt64 = 0
    private let pollInterval: TimeInterval
    private let shouldStop: @Sendable () -> Bool

    /// Starts at the end of the file when `fromEnd` (new lines only), else at its start.
    public init(path: String, fromEnd: Bool = true, pollInterval: TimeInterval = 0.5,
                shouldStop: @escaping @Sendable () -> Bool = { false }) throws(LogReadError) {
        name = path
        self.pollInterval = pollInterval
        self.shouldStop = shouldStop
        try reopen()
        if fromEnd { lseek(fd, 0, SEEK_END) }
    }

    deinit { if fd >= 0 { close(fd) } }

    private func reopen() throws(LogReadError) {
        let nfd = open(name, O_RDONLY | O_CLOEXEC)
        if nfd < 0 { throw .cannotOpen(path: name, reason: String(cString: strerror(errno))) }
        if fd >= 0 { close(fd) }
        fd = nfd
        var st = stat()
        fstat(fd, &st)
        inode = UInt64(st.st_ino)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogReadError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while !shouldStop() {
            let n = Foundation.read(fd, base, buffer.count)
            if n > 0 { return n }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw .readFailed(path: name, reason: String(cString: strerror(errno))) }
            // At the end: rotated away (new inode) or truncated (copytruncate)?
            var st = stat()
            if stat(name, &st) == 0 {
                let position = lseek(fd, 0, SEEK_CUR)
                if UInt64(st.st_ino) != inode {
                    // Drain what the old file still holds before switching.
                    let more = Foundation.read(fd, base, buffer.count)
                    if more > 0 { return more }
                    try reopen()
                    continue
                }
                if st.st_size < position { lseek(fd, 0, SEEK_SET); continue }
            }
            Thread.sleep(forTimeInterval: pollInterval)
        }
        return 0
    }
}
