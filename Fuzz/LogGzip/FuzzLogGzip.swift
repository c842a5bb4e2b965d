import ByteSources
import Foundation
import LibFuzzerDriver
import MailLog

/// Any bytes as a .gz log: the zlib wrapper must end with lines or a corrupt-gzip warning, never a crash or a hang
/// (a decompression bomb is bounded by libFuzzer's -rss_limit_mb and -timeout).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let source = try? GzipByteSource(wrapping: ChunkedMemorySource(bytes, step: 1 + size % 61, name: "fuzz.gz"), inputBufferSize: 128) else { return 0 }
    var options = LogAnalyzerOptions()
    options.lineReader = LineReader(chunkSize: 256, maxLineLength: 1024)
    options.timeZone = TimeZone(identifier: "UTC") ?? .current
    let analyzer = LogAnalyzer(options: options) { _ in }
    analyzer.read(source: source, reference: Date(timeIntervalSince1970: 1_795_000_000))
    _ = analyzer.finish()
    return 0
}

@_cdecl("FuzzLogGzip_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
