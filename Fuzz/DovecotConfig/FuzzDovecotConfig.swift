import LibFuzzerDriver
import PostfixConfig

/// One in-memory file: the fuzz input as /fuzz/dovecot.conf. Every other path (what `!include` globs find)
/// is unreadable, so the reader's include handling runs without touching real files.
struct OneFile: ConfigFileSystem {
    static let path = "/fuzz/dovecot.conf"
    let bytes: [UInt8]
    struct Refused: Error {}
    func read(_ path: String) throws -> [UInt8] {
        guard path == Self.path else { throw ConfigError.unreadable(path: path, reason: "not in the fuzz file system") }
        return bytes
    }
    func exists(_ path: String) -> Bool { path == Self.path }
    func size(_ path: String) -> Int? { path == Self.path ? bytes.count : nil }
    // The reader needs contents only; attributes are for edits, which never happen here.
    func attributes(_ path: String) throws -> FileAttributes { throw Refused() }
    func createExclusive(_ path: String, bytes: [UInt8], mode: UInt32) throws { throw Refused() }
    func changeOwner(_ path: String, uid: UInt32, gid: UInt32) throws { throw Refused() }
    func changeMode(_ path: String, mode: UInt32) throws { throw Refused() }
    func rename(_ from: String, to: String) throws { throw Refused() }
    func syncDirectory(_ path: String) throws { throw Refused() }
    func remove(_ path: String) throws { throw Refused() }
    func createDirectory(_ path: String, mode: UInt32) throws { throw Refused() }
    func isSymbolicLink(_ path: String) -> Bool { false }
    // Patterns never reach the real disk (an `!include /*/*/*` walked all of /proc and slowed the run 100-fold).
    func glob(_ pattern: String) -> [String] { pattern == Self.path ? [Self.path] : [] }
}

/// Any bytes as dovecot.conf: the reader must return settings and problems or a typed error, never crash;
/// every setting and section it reports must carry a line inside the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let config = try? DovecotConfig(path: OneFile.path, fileSystem: OneFile(bytes: bytes)) else { return 0 }
    let lineCount = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).count
    func walk(_ section: DovecotConfig.Section, depth: Int) {
        precondition(depth < 1000, "sections nest boundedly")
        for setting in section.settings where setting.file == OneFile.path {
            precondition(setting.line >= 1 && setting.line <= lineCount, "a setting's line is in the file")
        }
        for child in section.sections { walk(child, depth: depth + 1) }
    }
    walk(config.root, depth: 0)
    _ = config.setting("ssl_cert", protocol: "imap")
    _ = config.setting("ssl_min_protocol")
    return 0
}

@_cdecl("FuzzDovecotConfig_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
