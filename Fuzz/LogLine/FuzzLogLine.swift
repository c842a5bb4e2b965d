import Foundation
import LibFuzzerDriver
import MailLog

let reference = Date(timeIntervalSince1970: 1_795_000_000)

/// Any bytes as a mail log: the header parser (syslog, ISO, maillog_file formats) and the whole analyzer
/// (sessions, OpenSSL error lines, classification) must not crash, and every line must be counted.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let resolver = LogTimeResolver(reference: reference, timeZone: TimeZone(identifier: "UTC") ?? .current)
    for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).prefix(64) {
        let parsed = LogLine.parse(String(decoding: line, as: UTF8.self), timeResolver: resolver)
        _ = parsed.message
    }
    var options = LogAnalyzerOptions()
    options.lineReader = LineReader(chunkSize: 64, maxLineLength: 512)
    options.maxOpenSessions = 8
    options.timeZone = TimeZone(identifier: "UTC") ?? .current
    var events = 0
    let analyzer = LogAnalyzer(options: options) { _ in events += 1 }
    analyzer.read(source: ChunkedMemorySource(bytes, step: 1 + size % 97, name: "fuzz"), reference: reference)
    let summary = analyzer.finish()
    precondition(summary.bytesRead == bytes.count, "every byte of the input is accounted for")
    _ = events
    return 0
}

@_cdecl("FuzzLogLine_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
