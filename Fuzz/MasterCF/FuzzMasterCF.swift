import LibFuzzerDriver
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

@_cdecl("FuzzMasterCF_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
