import Foundation

/// The lines of one chunk that hold a trigger hit (`TriggerScan.nextCandidate`), found on the reader thread
/// so that the analysing thread jumps from one to the next instead of scanning the bytes between.
///
/// It covers the whole lines of [`first`, `coveredEnd`): `first` is the start of the first line that begins
/// in the chunk's new data (the line before it continues the previous chunk's tail and is read inline), and
/// the index stops early (at a line start) where the scan stops: near the chunk's end, at an unfinished line,
/// and at a run without newlines that may hide an overlong line. From `coveredEnd` on the reader works inline.
/// Every line in the covered part holding a hit has an entry, with its first hit, unless the analyzer's first
/// test would drop it while no connection is open (`mayMatter`): the same lines, hits and numbers the inline
/// scan gives, less those.
final class CandidateIndex: @unchecked Sendable {
    struct Entry {
        var lineStart: Int32
        /// The first hit in the line.
        var hit: Int32
        /// The line's newline.
        var newline: Int32
        /// Newlines in [first, lineStart).
        var before: Int32
    }

    private(set) var first = 0
    private(set) var coveredEnd = 0
    /// Newlines in [first, coveredEnd).
    private(set) var newlinesToEnd = 0
    private(set) var count = 0
    private var storage: UnsafeMutablePointer<Entry>
    private var capacity = 1024

    init() { storage = .allocate(capacity: capacity) }
    deinit { storage.deallocate() }

    @inline(__always)
    subscript(i: Int) -> Entry { storage[i] }

    /// Offsets are stored as 32-bit integers: buffers past 2 GB are read without an index.
    static func fits(bufferSize: Int) -> Bool { bufferSize < Int(Int32.max) }

    private func append(_ e: Entry) {
        if count == capacity {
            let bigger = UnsafeMutablePointer<Entry>.allocate(capacity: capacity * 2)
            bigger.moveInitialize(from: storage, count: count)
            storage.deallocate()
            storage = bigger
            capacity *= 2
        }
        (storage + count).initialize(to: e)
        count += 1
    }

    /// Indexes p[start..<end] (the chunk's new data; bytes before `start` are not looked at).
    func build(_ p: UnsafePointer<UInt8>, start: Int, end: Int, groupBlocks: Int, native: Bool, maxLineLength: Int) {
        count = 0
        guard start < end, let nl0 = memchr(p + start, 10, end - start) else {
            first = end; coveredEnd = end; newlinesToEnd = 0
            return
        }
        first = UnsafeRawPointer(p).distance(to: UnsafeRawPointer(nl0)) + 1
        var pos = first
        var newlines = 0
        while true {
            let c = TriggerScan.nextCandidate(p, from: pos, to: end, groupBlocks: groupBlocks, native: native)
            // A run without newlines: the inline reader takes it line by line from here.
            if c.longRun { break }
            let lineStart = TriggerScan.lineStart(p, floor: pos, at: c.position)
            guard c.found, let nl = memchr(p + c.position, 10, end - c.position) else {
                // The scan stopped near the end, or the hit's line is unfinished: inline from its line on.
                newlines += c.newlines
                pos = lineStart
                break
            }
            let newline = UnsafeRawPointer(p).distance(to: UnsafeRawPointer(nl))
            if newline - lineStart > maxLineLength
                || Self.mayMatter(p + lineStart, newline - lineStart, hit: c.position - lineStart, readable: end - lineStart,
                                  groupBlocks: groupBlocks, native: native) {
                append(Entry(lineStart: Int32(truncatingIfNeeded: lineStart), hit: Int32(truncatingIfNeeded: c.position),
                             newline: Int32(truncatingIfNeeded: newline), before: Int32(truncatingIfNeeded: newlines + c.newlines)))
            }
            newlines += c.newlines + 1
            pos = newline + 1
        }
        coveredEnd = pos
        newlinesToEnd = newlines
    }

    /// The analyzer's first test of a line while no connection is open (see `LogAnalyzer.consume`), done here
    /// on the reader thread: a candidate line that fails it is only counted. A journal record (`{`) is always
    /// kept (it is decoded before that test); so is a line over the cap (the delivery counts it).
    ///
    /// Past the first hit, only the words around the line's further kernel hits are checked (every trigger word
    /// has a kernel byte at most two bytes after its check position, see `TriggerScan.firstCheck`): the kernel
    /// skips the rest of the line 32 bytes a step, where `TriggerScan.mayMatter` tested every block for nine
    /// bytes (most candidates that fail are delivery status lines with `]:25,`). `readable` bytes from `line` on
    /// may be read; with fewer than the kernel's look-ahead past the line, `TriggerScan.mayMatter` scans it.
    @inline(__always)
    static func mayMatter(_ line: UnsafePointer<UInt8>, _ n: Int, hit: Int, readable: Int, groupBlocks: Int, native: Bool) -> Bool {
        var e = n
        if e > 0 && line[e - 1] == 13 { e -= 1 }  // the CR the reader strips
        if e == 0 || line[0] == 123 { return true }
        if TriggerScan.confirms(line, e, hit) { return true }
        let floor = TriggerScan.firstCheck(afterHit: hit)
        guard n + 39 <= readable else { return TriggerScan.mayMatter(line, e, from: floor) }
        // L and M end their words (TLS, SSL, non-SMTP, SMTPS: checked from T or S, one or two bytes before);
        // every other kernel byte is where its word is checked (`confirms` did that for the first hit).
        if line[hit] & 0xFE == 0x4C && hit >= 1 && endsWord(line, e, hit, floor: floor) { return true }
        var h = hit
        while true {
            // The next kernel hit: the scan reads up to 39 bytes past a block's start, so it covers the whole line.
            let c = TriggerScan.nextCandidate(line, from: h + 1, to: n + 39, groupBlocks: groupBlocks, native: native)
            guard c.found, c.position < e else { return false }
            h = c.position
            if line[h] & 0xFE == 0x4C ? endsWord(line, e, h, floor: floor) : TriggerScan.check(line, e, h) { return true }
        }
    }

    /// The words an L or M at `h` ends, checked from one and two bytes before (not before `floor`).
    @inline(__always)
    private static func endsWord(_ line: UnsafePointer<UInt8>, _ e: Int, _ h: Int, floor: Int) -> Bool {
        TriggerScan.check(line, e, h - 1) || (h - 2 >= floor && TriggerScan.check(line, e, h - 2))
    }

    /// Newlines in p[from..<to], 8 bytes at a time (only where the analysing thread left the index's path).
    static func newlines(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> Int {
        var i = from, n = 0
        while i + 8 <= to {
            let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) ^ 0x0A0A_0A0A_0A0A_0A0A
            // A byte of w is zero exactly where a newline was: count them without the has-zero carry trick.
            let t = ((w & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | w
            n += (~t & 0x8080_8080_8080_8080).nonzeroBitCount
            i += 8
        }
        while i < to { if p[i] == 10 { n += 1 }; i += 1 }
        return n
    }
}
