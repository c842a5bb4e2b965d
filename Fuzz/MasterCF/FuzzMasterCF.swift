import PostfixConfig

/// Any bytes as master.cf: no crash, every byte kept, override ranges inside the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let master = MasterCF(bytes: bytes)
    precondition(master.render() == bytes, "master.cf round trip lost bytes")
    for service in master.services {
        for override in service.overrides {
            precondition(override.byteRange.lowerBound >= 0 && override.byteRange.upperBound <= bytes.count, "override range inside the file")
            _ = override.value
        }
        _ = master.service(named: service.name, type: service.type)
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable target's entry point as `<Target>_main`: hand over to libFuzzer's driver.
@_cdecl("FuzzMasterCF_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc, argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
