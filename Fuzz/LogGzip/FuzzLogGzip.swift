import Foundation
import MailLog

/// The fuzz input as a rotated, gzip-compressed log, handed out in small reads.
final class MemorySource: ByteSource {
    let name = "fuzz.gz"
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

/// Any bytes as a .gz log: the zlib wrapper must end with lines or a corrupt-gzip warning, never a crash or a hang
/// (a decompression bomb is bounded by libFuzzer's -rss_limit_mb and -timeout).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let source = try? GzipByteSource(wrapping: MemorySource(bytes, step: 1 + size % 61), inputBufferSize: 128) else { return 0 }
    var options = LogAnalyzerOptions()
    options.lineReader = LineReader(chunkSize: 256, maxLineLength: 1024)
    options.timeZone = TimeZone(identifier: "UTC") ?? .current
    let analyzer = LogAnalyzer(options: options) { _ in }
    analyzer.read(source: source, reference: Date(timeIntervalSince1970: 1_795_000_000))
    _ = analyzer.finish()
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable target's entry point as `<Target>_main`: hand over to libFuzzer's driver.
@_cdecl("FuzzLogGzip_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc, argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
