import LibFuzzerDriver
import PostfixConfig

/// Any bytes as main.cf: the parser must not crash, must keep every byte (render() gives the input back,
/// the lossless property edits rely on), and every entry must point at lines that exist.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let main = MainCF(bytes: bytes)
    precondition(main.render() == bytes, "main.cf round trip lost bytes")
    for entry in main.entries {
        precondition(entry.line >= 1 && entry.line <= entry.lastLine && entry.lastLine <= max(1, main.lines.count), "entry lines in range")
        _ = entry.value
        _ = main.entry(entry.name)
    }
    _ = main.duplicates
    for index in main.lines.indices { _ = main.lineBytes(index) }
    // $name expansion over the parsed parameters: reference loops must end.
    let expander = Expander()
    for entry in main.entries.prefix(32) {
        _ = expander.expand(entry.rawValue) { name in main.entry(name)?.rawValue }
    }
    return 0
}

@_cdecl("FuzzMainCF_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
