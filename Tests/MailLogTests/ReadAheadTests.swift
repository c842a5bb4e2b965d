import ByteSources
import Foundation
@testable import MailLog
import Testing

/// A delivered line: its number, its bytes, the offset of the trigger byte found in it, and whether every
/// line was being delivered (a connection open) when it came.
private struct Delivery: Equatable { var number: Int; var bytes: [UInt8]; var hint: Int; var open = false }

/// The deliveries the analyzer does not drop at once: those while a connection is open, journal records, and
/// lines that pass the trigger scan's test (`LogAnalyzer.consume`'s first test). The reader thread's index
/// (`CandidateIndex`) leaves out the other candidate lines.
private func kept(_ d: [Delivery]) -> [Delivery] {
    d.filter { x in
        x.open || x.bytes.first == UInt8(ascii: "{")
            || x.bytes.withUnsafeBufferPointer { b in b.baseAddress.map { TriggerScan.mayMatter($0, b.count) } ?? false }
    }
}

/// Reads `source` with the candidate reader, opening a stretch of "deliver every line" at each line with
/// "SSL" and closing it at one with "TLS", as open connections do in the analyzer.
private func deliveries(_ reader: LineReader, _ source: ByteSource) -> ([Delivery], LineReader.Outcome) {
    var open = false
    var out: [Delivery] = []
    let outcome = reader.forEachCandidateLine(in: source, deliverAll: { open }) { line, n, hint in
        out.append(Delivery(number: n, bytes: Array(line), hint: hint, open: open))
        let text = String(decoding: line, as: UTF8.self)
        if text.contains("SSL") { open = true } else if text.contains("TLS") { open = false }
    }
    return (out, outcome)
}

@Test("reading ahead on a second thread delivers exactly the lines, numbers, hits and counts of reading inline",
      arguments: [(4096, 4096), (4096, 256), (65536, 1024), (1 << 20, 64 * 1024)])
func readAheadMatchesInline(sizes: (chunkSize: Int, maxLineLength: Int)) {
    var inline = LineReader(chunkSize: sizes.chunkSize, maxLineLength: sizes.maxLineLength)
    inline.readAhead = false
    var ahead = LineReader(chunkSize: sizes.chunkSize, maxLineLength: sizes.maxLineLength)
    ahead.indexAhead = false
    let indexed = LineReader(chunkSize: sizes.chunkSize, maxLineLength: sizes.maxLineLength)
    for seed in 0..<20 as Range<UInt64> {
        let log = randomLog(seed: seed, lines: 1500)
        let (expected, expectedOutcome) = deliveries(inline, MemoryByteSource(log, name: "-"))
        let source = PiecewiseSource(log, seed: seed, shortReads: false)
        let (got, outcome) = deliveries(ahead, source)
        #expect(got == expected, "seed \(seed)")
        // With the candidate lines found on the reader thread too: the same lines kept, with their numbers and hits.
        let (gotIndexed, indexedOutcome) = deliveries(indexed, PiecewiseSource(log, seed: seed, shortReads: false))
        #expect(kept(gotIndexed) == kept(expected), "seed \(seed)")
        #expect(gotIndexed.count <= expected.count, "seed \(seed)")
        #expect(indexedOutcome.lines == expectedOutcome.lines && indexedOutcome.overlongLines == expectedOutcome.overlongLines,
                "seed \(seed)")
        #expect(outcome.lines == expectedOutcome.lines && outcome.overlongLines == expectedOutcome.overlongLines, "seed \(seed)")
        #expect(outcome.bytes == log.count, "seed \(seed)")
        #expect(outcome.error == nil)
        // The source was read only by another thread than the one analysing.
        #expect(!source.readingThreads.isEmpty && !source.readingThreads.contains(UInt(pthread_self())), "seed \(seed)")
    }
}

@Test("with short reads of any size, reading ahead delivers every line that may matter, with its number and bytes",
      arguments: [(4096, 4096), (4096, 256), (65536, 1024)])
func readAheadShortReads(sizes: (chunkSize: Int, maxLineLength: Int)) {
    var inline = LineReader(chunkSize: sizes.chunkSize, maxLineLength: sizes.maxLineLength)
    inline.readAhead = false
    let ahead = LineReader(chunkSize: sizes.chunkSize, maxLineLength: sizes.maxLineLength)
    // Lines near a chunk's end are delivered whatever they hold, so only the lines that may matter are compared.
    func mattering(_ d: [Delivery]) -> [Delivery] {
        d.filter { x in x.bytes.withUnsafeBufferPointer { b in b.baseAddress.map { TriggerScan.mayMatter($0, b.count) } ?? false } }
            .map { Delivery(number: $0.number, bytes: $0.bytes, hint: 0) }
    }
    for seed in 0..<20 as Range<UInt64> {
        let log = randomLog(seed: seed, lines: 1500)
        let (expected, expectedOutcome) = deliveries(inline, MemoryByteSource(log, name: "-"))
        let (got, outcome) = deliveries(ahead, PiecewiseSource(log, seed: seed))
        #expect(!mattering(expected).isEmpty)
        #expect(mattering(got) == mattering(expected), "seed \(seed)")
        #expect(outcome.lines == expectedOutcome.lines && outcome.overlongLines == expectedOutcome.overlongLines, "seed \(seed)")
        #expect(outcome.bytes == log.count, "seed \(seed)")
    }
}

@Test("a line longer than a chunk is joined across several chunks when reading ahead; one over the cap is skipped")
func readAheadLongLines() {
    let reader = LineReader(chunkSize: 4096, maxLineLength: 20_000)
    let long = "Apr  3 07:30:47 mx postfix/smtpd[1]: warning: TLS library problem: " + String(repeating: "x", count: 15_000)
    let tooLong = "Apr  3 07:30:47 mx postfix/smtpd[1]: TLS " + String(repeating: "y", count: 30_000)
    let log = Array(("first TLS line\n" + long + "\n" + tooLong + "\nlast TLS line\n").utf8)
    let (got, outcome) = deliveries(reader, PiecewiseSource(log, seed: 3))
    #expect(got.map(\.number) == [1, 2, 4])
    #expect(got.count == 3 && got[1].bytes == Array(long.utf8))
    #expect(outcome.lines == 4)
    #expect(outcome.overlongLines == 1)
}

@Test("the last line is delivered when the input ends without a newline, when reading ahead")
func readAheadLastLineWithoutNewline() {
    let reader = LineReader(chunkSize: 4096, maxLineLength: 4096)
    var text = ""
    for i in 0..<400 { text += "Apr  3 07:30:47 mx postfix/smtpd[\(i)]: TLS connection established from a[192.0.2.1]\n" }
    text += "final TLS line without newline"
    weak var weakSource: PiecewiseSource?
    var got: [Delivery] = []
    var outcome = LineReader.Outcome()
    do {
        let source = PiecewiseSource(Array(text.utf8), seed: 9)
        weakSource = source
        (got, outcome) = deliveries(reader, source)
    }
    #expect(got.last?.bytes == Array("final TLS line without newline".utf8))
    #expect(got.last?.number == 401)
    #expect(outcome.lines == 401)
    // The reader thread held the source: it is released, so the thread has ended.
    #expect(weakSource == nil)
}

@Test("a read error part-way ends the input like reading inline: earlier lines delivered, the error kept, the thread gone",
      arguments: [100, 5000, 12_345])
func readAheadError(failAfter: Int) {
    let log = randomLog(seed: 77, lines: 600)
    var inline = LineReader(chunkSize: 4096, maxLineLength: 1024)
    inline.readAhead = false
    let ahead = LineReader(chunkSize: 4096, maxLineLength: 1024)
    let (expected, expectedOutcome) = deliveries(inline, PiecewiseSource(log, seed: 1, shortReads: false, failAfter: failAfter))
    weak var weakSource: PiecewiseSource?
    var got: [Delivery] = []
    var outcome = LineReader.Outcome()
    do {
        let source = PiecewiseSource(log, seed: 2, shortReads: false, failAfter: failAfter)
        weakSource = source
        (got, outcome) = deliveries(ahead, source)
    }
    #expect(kept(got) == kept(expected))
    #expect(!kept(expected).isEmpty)
    #expect(outcome.lines == expectedOutcome.lines)
    #expect(outcome.bytes == failAfter)
    #expect(outcome.error == .readFailed(path: "piecewise", reason: "Input/output error"))
    // The reader thread held the source: it is released, so the thread has ended.
    #expect(weakSource == nil)
}

@Test("a regular file, plain or gzip, is read ahead; standard input, a pipe and a FIFO are not")
func readAheadOnlyForRegularFiles() throws {
    let scratch = try Scratch()
    let path = try scratch.write("mail.log", Array("x\n".utf8))
    #expect(try FileByteSource(path: path).allowsReadAhead)
    let gz = try scratch.gzip("rotated.log", "x\n")
    #expect(try openLogSource(path: gz) is GzipByteSource)
    #expect(try openLogSource(path: gz).allowsReadAhead)
    #expect(!FileByteSource(borrowing: 0, name: "-").allowsReadAhead)
    #expect(!(try GzipByteSource(wrapping: FileByteSource(borrowing: 0, name: "-"))).allowsReadAhead)
    var fds: [Int32] = [0, 0]
    #expect(pipe(&fds) == 0)
    defer { close(fds[0]); close(fds[1]) }
    #expect(try !FileByteSource(path: "/dev/fd/\(fds[0])").allowsReadAhead)
    let fifo = scratch.file("fifo")
    #expect(mkfifo(fifo, 0o600) == 0)
    // O_RDWR keeps open(2) of the FIFO from waiting for a writer.
    let fd = open(fifo, O_RDWR)
    defer { if fd >= 0 { close(fd) } }
    #expect(try FileByteSource(path: fifo).allowsReadAhead == false)
}

@Test("a file truncated while it is read ahead (copytruncate) ends at the cut, without a crash or a hang")
func readAheadTruncatedFile() throws {
    let scratch = try Scratch()
    var text = ""
    for i in 0..<20_000 { text += "Apr  3 07:30:47 mx postfix/smtpd[\(i)]: TLS connection established from a[192.0.2.1]\n" }
    let path = try scratch.write("mail.log", Array(text.utf8))
    let source = try FileByteSource(path: path)
    let reader = LineReader(chunkSize: 4096, maxLineLength: 4096)
    var lines = 0
    var truncated = false
    let outcome = reader.forEachCandidateLine(in: source, deliverAll: { false }) { _, _, _ in
        lines += 1
        if !truncated { truncated = true; #expect(truncate(path, 0) == 0) }
    }
    // At most the chunks read before the cut arrived: the one being analysed and the one read ahead.
    #expect(outcome.error == nil)
    #expect(outcome.bytes < text.utf8.count)
    #expect(outcome.bytes <= 2 * 4096)
    #expect(lines == outcome.lines)
}
