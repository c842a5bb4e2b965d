import ByteSources

// What every harness shares. SwiftPM links an executable target's entry point as `<Target>_main` (aliased to
// `main`), so libFuzzer's own `main` never runs: each harness defines `<Target>_main` and hands control to
// libFuzzer's driver through `runLibFuzzer`.

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// Runs libFuzzer's driver with the harness's `LLVMFuzzerTestOneInput` function.
public func runLibFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                         _ testOneInput: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt {
    var argc = argc, argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
}

/// The fuzz input as a log source, handed out in reads of at most `step` bytes so lines (and gzip members)
/// straddle chunk boundaries. With `readAhead`, the line reader reads it on a second thread, as a regular file,
/// and finds the candidate lines there (`CandidateIndex`).
public final class ChunkedMemorySource: ByteSource {
    public let name: String
    public let allowsReadAhead: Bool
    private let bytes: [UInt8]
    private var offset = 0
    private let step: Int
    public init(_ bytes: [UInt8], step: Int, name: String, readAhead: Bool = false) {
        self.bytes = bytes; self.step = max(1, step); self.name = name; allowsReadAhead = readAhead
    }
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogReadError) -> Int {
        let n = min(buffer.count, step, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + n])) }
        offset += n
        return n
    }
}
