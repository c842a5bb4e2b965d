import Foundation
import MailLog

/// The fuzz input as a log file, handed out in small reads so lines straddle chunk boundaries.
final class MemorySource: ByteSource {
    let name = "fuzz"
    private let bytes: [UInt8]
    private var offset = 0
    private let step: Int
    init(_ bytes: [UInt8], step: Int) { self.bytes = bytes; self.step = step }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogReadError) -> Int {
        let n = min(buffer.count, step, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + n])) }
        offset += n
        return n
    }
}

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
    analyzer.read(source: MemorySource(bytes, step: 1 + size % 97), reference: reference)
    let summary = analyzer.finish()
    precondition(summary.bytesRead == bytes.count, "every byte of the input is accounted for")
    _ = events
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable target's entry point as `<Target>_main`: hand over to libFuzzer's driver.
@_cdecl("FuzzLogLine_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc, argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
