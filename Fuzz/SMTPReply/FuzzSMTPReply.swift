import LibFuzzerDriver
import TLSProbe

/// libFuzzer entry point: any byte string fed to the SMTP reply parser must yield replies or a typed
/// error, never a crash, and within the limits it was given.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes, as: UTF8.self)
    // The whole-transcript parser.
    if let replies = try? SMTPReplyAccumulator.parse(text, maxLines: 20, maxBytes: 4096) {
        for reply in replies {
            precondition((0...999).contains(reply.code), "a reply code has three digits")
            precondition(reply.lines.count <= 20, "maxLines is a bound")
            _ = reply.ehloCapabilities
            _ = reply.description
            _ = reply.firstLine
        }
    }
    // The line-by-line accumulator, as the socket reader drives it (lines split on LF, CR kept for it to strip).
    var accumulator = SMTPReplyAccumulator(maxLines: 5, maxBytes: 512)
    for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
        do {
            if case .complete = try accumulator.feed(String(decoding: line, as: UTF8.self)) {
                accumulator = SMTPReplyAccumulator(maxLines: 5, maxBytes: 512)
            }
        } catch {
            _ = "\(error)"
            accumulator = SMTPReplyAccumulator(maxLines: 5, maxBytes: 512)
        }
    }
    return 0
}

@_cdecl("FuzzSMTPReply_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
