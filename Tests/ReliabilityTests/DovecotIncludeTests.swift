import Foundation
import PostfixConfig
import Testing

/// Found by fuzzing FuzzDovecotConfig: `!include` patterns went to glob(3) on the real disk even when the reader
/// was given another file system, so a fuzzed `!include /*/*/*` walked all of /proc and the run slowed from 3,200
/// to 60 inputs a second. Patterns now go through `ConfigFileSystem.glob` like every read.
@Suite("Dovecot includes through the file system")
struct DovecotIncludeTests {
    final class Patterns: @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [String] = []
        func add(_ p: String) { lock.lock(); seen.append(p); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return seen }
    }

    struct InMemory: ConfigFileSystem {
        let files: [String: String]
        let patterns: Patterns
        struct Refused: Error {}
        func read(_ path: String) throws -> [UInt8] {
            guard let text = files[path] else { throw ConfigError.unreadable(path: path, reason: "not in memory") }
            return Array(text.utf8)
        }
        func exists(_ path: String) -> Bool { files[path] != nil }
        func size(_ path: String) -> Int? { files[path]?.utf8.count }
        func attributes(_ path: String) throws -> FileAttributes { throw Refused() }
        func createExclusive(_ path: String, bytes: [UInt8], mode: UInt32) throws { throw Refused() }
        func changeOwner(_ path: String, uid: UInt32, gid: UInt32) throws { throw Refused() }
        func changeMode(_ path: String, mode: UInt32) throws { throw Refused() }
        func rename(_ from: String, to: String) throws { throw Refused() }
        func syncDirectory(_ path: String) throws { throw Refused() }
        func remove(_ path: String) throws { throw Refused() }
        func createDirectory(_ path: String, mode: UInt32) throws { throw Refused() }
        func isSymbolicLink(_ path: String) -> Bool { false }
        func glob(_ pattern: String) -> [String] {
            patterns.add(pattern)
            // Enough of a shell pattern for the test: "DIR/*.conf".
            guard pattern.hasSuffix("/*.conf") else { return files[pattern] != nil ? [pattern] : [] }
            let folder = String(pattern.dropLast("*.conf".count))
            return files.keys.filter { $0.hasPrefix(folder) && $0.hasSuffix(".conf") && !$0.dropFirst(folder.count).contains("/") }.sorted()
        }
    }

    @Test func includePatternsAreResolvedByTheGivenFileSystemNeverTheDisk() throws {
        let patterns = Patterns()
        let fs = InMemory(files: [
            "/mem/dovecot.conf": "!include conf.d/*.conf\n!include_try /*/*/*\n",
            "/mem/conf.d/10-ssl.conf": "ssl = required\nssl_cert = </mem/cert.pem\n",
        ], patterns: patterns)
        let config = try DovecotConfig(path: "/mem/dovecot.conf", fileSystem: fs)
        #expect(patterns.all == ["/mem/conf.d/*.conf", "/*/*/*"])
        #expect(config.files == ["/mem/dovecot.conf", "/mem/conf.d/10-ssl.conf"])
        #expect(config.setting("ssl_cert")?.value == "</mem/cert.pem")
        #expect(config.setting("ssl_cert")?.file == "/mem/conf.d/10-ssl.conf")
    }
}

/// Found by fuzzing (a libFuzzer timeout): a dovecot.conf that includes itself twice was read 2^20 times before
/// the nesting limit stopped it. An include of a file already being read is a loop and is skipped, once.
@Suite("Dovecot include loops")
struct DovecotIncludeLoopTests {
    @Test func aFileIncludingItselfTwiceIsReadOnceWithTheLoopNamed() throws {
        let text = "ssl = yes\n!include /mem/dovecot.conf\n!include /mem/dovecot.conf\n"
        let fs = DovecotIncludeTests.InMemory(files: ["/mem/dovecot.conf": text], patterns: DovecotIncludeTests.Patterns())
        let started = Date()
        let config = try DovecotConfig(path: "/mem/dovecot.conf", fileSystem: fs)
        #expect(Date().timeIntervalSince(started) < 1)
        #expect(config.files == ["/mem/dovecot.conf"])
        #expect(config.problems.filter { $0.message.contains("include loop") }.count == 2, "\(config.problems)")
    }
}
