import Foundation
import LibFuzzerDriver
import MailLog

let reference = Date(timeIntervalSince1970: 1_795_000_000)

/// Any bytes as a mail log: the header parser (syslog, ISO, maillog_file formats) and the whole analyzer
/// (sessions, OpenSSL error lines, classification) must not crash, and every line must be counted. Read
/// inline and read ahead on a second thread (the trigger scan there), the same events and counts must come out
/// (checked for one input in eight).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let resolver = LogTimeResolver(reference: reference, timeZone: TimeZone(identifier: "UTC") ?? .current)
    for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).prefix(64) {
        let parsed = LogLine.parse(String(decoding: line, as: UTF8.self), timeResolver: resolver)
        _ = parsed.message
    }
    func analyze(readAhead: Bool) -> ([TLSEvent], LogSummary) {
        var options = LogAnalyzerOptions()
        options.lineReader = LineReader(chunkSize: 64, maxLineLength: 512)
        options.maxOpenSessions = 8
        options.timeZone = TimeZone(identifier: "UTC") ?? .current
        var events: [TLSEvent] = []
        let analyzer = LogAnalyzer(options: options) { events.append($0) }
        // Inline, in short reads (lines straddle chunks); ahead, in whole reads as from a file, so the reader
        // thread's index covers the chunk.
        let step = readAhead ? max(1, size) : 1 + size % 97
        analyzer.read(source: ChunkedMemorySource(bytes, step: step, name: "fuzz", readAhead: readAhead), reference: reference)
        return (events, analyzer.finish())
    }
    let (events, summary) = analyze(readAhead: false)
    precondition(summary.bytesRead == bytes.count, "every byte of the input is accounted for")
    // Reading ahead starts a thread per input (about a millisecond under ASan): one input in eight keeps the run's speed.
    guard size % 8 == 0 else { return 0 }
    let (aheadEvents, ahead) = analyze(readAhead: true)
    precondition(aheadEvents == events, "read ahead, the same events")
    precondition(ahead.linesRead == summary.linesRead && ahead.linesSkipped == summary.linesSkipped
                 && ahead.bytesRead == summary.bytesRead, "read ahead, the same line and byte counts")
    precondition(ahead.byCause == summary.byCause && ahead.tlsEstablished == summary.tlsEstablished
                 && ahead.tlsCiphers == summary.tlsCiphers && ahead.warnings == summary.warnings, "read ahead, the same summary")
    return 0
}

@_cdecl("FuzzLogLine_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
