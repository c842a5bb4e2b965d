import Foundation

/// Splits a byte source into lines, in large chunks, without allocating per line.
///
/// Lines longer than `maxLineLength` are skipped whole (and counted) instead of buffered:
/// a 10 MB line costs no more memory than the chunk.
public struct LineReader: Sendable {
    public var chunkSize: Int
    public var maxLineLength: Int

    public init(chunkSize: Int = 1 << 20, maxLineLength: Int = 64 * 1024) {
        self.chunkSize = max(4096, chunkSize)
        self.maxLineLength = max(256, maxLineLength)
    }

    /// What reading one source produced besides its lines.
    public struct Outcome: Sendable {
        public var lines = 0
        public var overlongLines = 0
        public var bytes = 0
        public var error: LogReadError?
    }

    /// Calls `body(line, lineNumber)` for every line (without its newline or trailing CR).
    /// The buffer is valid only during the call. A read error ends the source; lines read before it were delivered.
    public func forEachLine(in source: ByteSource, _ body: (UnsafeRawBufferPointer, Int) -> Void) -> Outcome {
        var outcome = Outcome()
        let capacity = chunkSize + maxLineLength
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        guard let base = buffer.baseAddress else { return outcome }
        var filled = 0          // bytes in buffer
        var discarding = false  // inside an overlong line: drop bytes until its newline
        var lineNumber = 0

        func emit(_ start: Int, _ end: Int) {
            var e = end
            if e > start && base.load(fromByteOffset: e - 1, as: UInt8.self) == 13 { e -= 1 }
            lineNumber += 1
            body(UnsafeRawBufferPointer(start: base + start, count: e - start), lineNumber)
        }

        while true {
            let n: Int
            do { n = try source.read(into: UnsafeMutableRawBufferPointer(start: base + filled, count: capacity - filled)) }
            catch { outcome.error = error; break }
            if n == 0 { break }
            outcome.bytes += n
            var start = 0
            let end = filled + n
            var scanFrom = filled
            while scanFrom < end, let nl = memchr(base + scanFrom, 10, end - scanFrom) {
                let idx = base.distance(to: nl)
                if discarding {
                    discarding = false
                    lineNumber += 1
                    outcome.overlongLines += 1
                } else if idx - start > maxLineLength {
                    lineNumber += 1
                    outcome.overlongLines += 1
                } else {
                    emit(start, idx)
                }
                start = idx + 1
                scanFrom = start
            }
            // Keep the unfinished tail for the next read, unless it is already too long.
            let tail = end - start
            if discarding || tail > maxLineLength {
                discarding = true
                filled = 0
            } else {
                if start > 0 && tail > 0 { memmove(base, base + start, tail) }
                filled = tail
            }
            // A full buffer of a discarded line: keep reading into the whole buffer.
        }
        if discarding {
            lineNumber += 1
            outcome.overlongLines += 1
        } else if filled > 0 {
            emit(0, filled)
        }
        outcome.lines = lineNumber
        return outcome
    }
}
