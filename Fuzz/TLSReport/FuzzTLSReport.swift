import Foundation
import LibFuzzerDriver
import TLSReports

/// Any bytes as a TLS report input (JSON, gzip, a message, an mbox): the reader must end with reports, rejections
/// or skips, never a crash or a hang; the summary and its text are built from whatever it read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let reader = TLSReportReader()
    reader.maximumInflatedSize = 1 << 20
    reader.read(bytes: Array(UnsafeBufferPointer(start: data, count: size)), source: "fuzz")
    let summary = TLSReportSummary(reader.set)
    _ = TLSReportTextReport.render(summary)
    _ = try? summary.jsonData()
    return 0
}

@_cdecl("FuzzTLSReport_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
