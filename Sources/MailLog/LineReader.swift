import ByteSources
import Foundation

/// Splits a byte source into lines, in large chunks, without allocating per line.
///
/// Lines longer than `maxLineLength` are skipped whole (and counted) instead of buffered:
/// a 10 MB line costs no more memory than the chunk.
public struct LineReader: Sendable {
    public var chunkSize: Int
    public var maxLineLength: Int

    /// The bulk scan uses the native (AVX2) kernel where the CPU has one; tests turn it off to check the portable one.
    var nativeScan = TriggerScan.nativeKernelAvailable
    /// Sources that allow it (regular files) are read a chunk ahead on a second thread; tests turn it off to compare.
    var readAhead = true
    /// With read-ahead, the reader thread also runs the trigger scan (`CandidateIndex`); tests turn it off to compare.
    var indexAhead = true

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

    /// Like `forEachLine`, but while `deliverAll()` is false, lines without any trigger byte are only
    /// counted: one SIMD pass over the chunk finds the rare bytes (`TriggerScan.nextCandidate`), and line
    /// ends are looked up only around them, as grep does. The lines delivered are a superset of those for
    /// which `TriggerScan.mayMatter` holds (read ahead, candidate lines that fail it may be left out);
    /// numbering, CR stripping and overlong lines are as in `forEachLine`.
    /// `body` gets the line, its number, and the offset of the trigger byte found in it (-1 when the line
    /// was delivered for another reason).
    func forEachCandidateLine(in source: ByteSource, deliverAll: () -> Bool,
                              _ body: (UnsafeRawBufferPointer, Int, Int) -> Void) -> Outcome {
        withoutActuallyEscaping(deliverAll) { deliverAll in
            withoutActuallyEscaping(body) { body in
                forEachCandidateLine(in: source, sink: ClosureSink(deliverAll: deliverAll, body: body))
            }
        }
    }

    /// The same with the receiver as a generic sink: its calls are direct (the analyzer's per-line path pays no
    /// closure context retain and release per line). One long function on purpose: it is the measured hot loop
    /// (scripts/bench-logs.sh), and its inlined helpers share the chunk's pointers and counters as locals.
    func forEachCandidateLine<Sink: CandidateLineSink>(in source: ByteSource, sink: Sink) -> Outcome {
        var outcome = Outcome()
        // Each buffer keeps room for one unfinished line (at most maxLineLength) in front of its chunk.
        let headroom = (maxLineLength + 63) & ~63
        // A run of this many blocks without a newline may hide a line over the cap (a line over the cap
        // always covers one whole run): then that stretch is read line by line.
        let groupBlocks = min(255, max(1, maxLineLength / 32))
        let native = nativeScan
        // Regular files (plain or gzip) are read one chunk ahead on a second thread, which also finds each
        // chunk's candidate lines (`CandidateIndex`); other sources are read and scanned inline.
        var indexer: (@Sendable (UnsafePointer<UInt8>, Int, Int, CandidateIndex) -> Void)?
        let maxLength = maxLineLength
        if indexAhead && CandidateIndex.fits(bufferSize: headroom + chunkSize) {
            indexer = { p, start, end, index in index.build(p, start: start, end: end, groupBlocks: groupBlocks, native: native, maxLineLength: maxLength) }
        }
        let prefetcher = readAhead && source.allowsReadAhead
            ? ChunkPrefetcher(source: source, chunkSize: chunkSize, headroom: headroom, indexer: indexer) : nil
        defer { prefetcher?.finish() }
        let inlineBuffer: UnsafeMutableRawPointer? = prefetcher == nil
            ? .allocate(byteCount: headroom + chunkSize, alignment: 64) : nil
        defer { inlineBuffer?.deallocate() }
        // With a prefetcher, `base` is first a placeholder that is never read (the first tail is empty).
        var base = inlineBuffer ?? UnsafeMutableRawPointer(bitPattern: 64).unsafelyUnwrapped
        var p = base.assumingMemoryBound(to: UInt8.self)
        var tailStart = headroom  // the unfinished last line of the current chunk: [tailStart, tailEnd)
        var tailEnd = headroom
        var discarding = false
        var lineNumber = 0
        // The current chunk's candidate lines, when the reader thread found them.
        var index: CandidateIndex?

        /// The line [start, end), `end` at its newline or the end of input; `hit`, the trigger byte found in it or -1.
        @inline(__always) func deliver(_ start: Int, _ end: Int, hit: Int = -1) {
            lineNumber += 1
            if end - start > maxLineLength { outcome.overlongLines += 1; return }
            var e = end
            if e > start && p[e - 1] == 13 { e -= 1 }
            sink.line(UnsafeRawBufferPointer(start: base + start, count: e - start), number: lineNumber, hit: hit >= 0 ? hit - start : -1)
        }
        /// The complete line starting at `pos`: its newline's index, or nil when the chunk ends first.
        @inline(__always) func newline(from pos: Int, _ end: Int) -> Int? {
            guard pos < end, let nl = memchr(p + pos, 10, end - pos) else { return nil }
            return base.distance(to: nl)
        }
        /// Delivers the lines of p[pos..<end]; returns where the unfinished last line starts.
        func lines(from start: Int, _ end: Int) -> Int {
            var pos = start
            // Index mode: the next entry not before `pos`, and a point whose newline count is known
            // (newlines in [index.first, anchor)), so that skipped lines are counted without scanning them.
            var cursor = 0
            var anchor = index?.first ?? 0
            var anchorNewlines = 0
            while pos < end {
                if sink.deliverAll {
                    guard let nl = newline(from: pos, end) else { return pos }
                    deliver(pos, nl)
                    if pos == anchor { anchor = nl + 1; anchorNewlines += 1 }
                    pos = nl + 1
                    continue
                }
                if let index, pos >= index.first, pos < index.coveredEnd {
                    if anchor != pos {
                        anchorNewlines += CandidateIndex.newlines(p, from: anchor, to: pos)
                        anchor = pos
                    }
                    while cursor < index.count && Int(index[cursor].lineStart) < pos { cursor += 1 }
                    if cursor < index.count {
                        let e = index[cursor]
                        cursor += 1
                        lineNumber += Int(e.before) - anchorNewlines
                        deliver(Int(e.lineStart), Int(e.newline), hit: Int(e.hit))
                        pos = Int(e.newline) + 1
                        anchor = pos
                        anchorNewlines = Int(e.before) + 1
                    } else {
                        lineNumber += index.newlinesToEnd - anchorNewlines
                        pos = index.coveredEnd
                        anchor = pos
                        anchorNewlines = index.newlinesToEnd
                    }
                    continue
                }
                let c = TriggerScan.nextCandidate(p, from: pos, to: end, groupBlocks: groupBlocks, native: native)
                if c.longRun {
                    // Rare: read that stretch line by line, up to and including the line holding c.position.
                    while pos <= c.position {
                        guard let nl = newline(from: pos, end) else { return pos }
                        deliver(pos, nl)
                        pos = nl + 1
                    }
                    continue
                }
                // The lines before the one holding c.position cannot matter: count them.
                lineNumber += c.newlines
                pos = TriggerScan.lineStart(p, floor: pos, at: c.position)
                if c.found {
                    // No newline lies between the line's start and the hit.
                    guard let nl = newline(from: c.position, end) else { return pos }
                    deliver(pos, nl, hit: c.position)
                    pos = nl + 1
                } else {
                    // The last bytes of the chunk, which the SIMD pass cannot look past: line by line.
                    while let nl = newline(from: pos, end) {
                        deliver(pos, nl)
                        pos = nl + 1
                    }
                    return pos
                }
            }
            return pos
        }

        while true {
            // The next chunk, with the unfinished line moved just before it: [start, end) of `p`.
            let tail = UnsafeRawBufferPointer(start: base + tailStart, count: tailEnd - tailStart)
            var n = 0
            var failure: LogReadError?
            if let prefetcher {
                let chunk = prefetcher.next(tail: tail)
                base = chunk.base
                n = chunk.count
                failure = chunk.error
                index = chunk.index
            } else {
                if tail.count > 0 { memmove(base + headroom - tail.count, base + tailStart, tail.count) }
                do { n = try source.read(into: UnsafeMutableRawBufferPointer(start: base + headroom, count: chunkSize)) }
                catch { failure = error }
            }
            p = base.assumingMemoryBound(to: UInt8.self)
            var start = headroom - tail.count
            tailStart = start; tailEnd = headroom
            if let failure { outcome.error = failure; break }
            if n == 0 { break }
            outcome.bytes += n
            let end = headroom + n
            if discarding {
                // Inside an overlong line: drop bytes until its newline.
                guard let nl = newline(from: headroom, end) else { tailStart = headroom; tailEnd = headroom; continue }
                discarding = false
                lineNumber += 1
                outcome.overlongLines += 1
                start = nl + 1
            }
            start = lines(from: start, end)
            // Keep the unfinished tail for the next chunk, unless it is already too long.
            if end - start > maxLineLength {
                discarding = true
                tailStart = headroom; tailEnd = headroom
            } else {
                tailStart = start; tailEnd = end
            }
        }
        if discarding {
            lineNumber += 1
            outcome.overlongLines += 1
        } else if tailEnd > tailStart {
            deliver(tailStart, tailEnd)
        }
        outcome.lines = lineNumber
        return outcome
    }
}

/// What `LineReader.forEachCandidateLine` hands lines to.
protocol CandidateLineSink {
    /// True while every line must be delivered (not only candidates); asked before each line.
    var deliverAll: Bool { get }
    /// One line (valid during the call), its number, and the offset of the trigger byte found in it or -1.
    func line(_ bytes: UnsafeRawBufferPointer, number: Int, hit: Int)
}

private struct ClosureSink: CandidateLineSink {
    let deliverAllClosure: () -> Bool
    let body: (UnsafeRawBufferPointer, Int, Int) -> Void
    init(deliverAll: @escaping () -> Bool, body: @escaping (UnsafeRawBufferPointer, Int, Int) -> Void) {
        deliverAllClosure = deliverAll; self.body = body
    }
    var deliverAll: Bool { deliverAllClosure() }
    func line(_ bytes: UnsafeRawBufferPointer, number: Int, hit: Int) { body(bytes, number, hit) }
}
