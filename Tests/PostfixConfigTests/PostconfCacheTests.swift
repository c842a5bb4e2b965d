import Foundation
import Synchronization
import PostlsCore
import Testing
import TestSupport
@testable import PostfixConfig

/// `postconf -d`'s output kept between runs (CommandOutputCache), keyed by everything it depends on.
@Suite("postconf -d cache")
struct PostconfCacheTests {
    /// Answers `postconf -d` with a fixed text and counts the runs.
    final class CountingPostconf: ProcessRunner, @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        var runs: Int { lock.lock(); defer { lock.unlock() }; return count }
        func run(_ executable: String, _ arguments: [String], stdin: Data?, environment: [String: String]?, timeout: Double?) throws -> ProcessOutput {
            lock.lock(); count += 1; lock.unlock()
            return ProcessOutput(status: 0, stdout: "mail_name = Postfix\nmail_version = 9.9.9\nrelayhost =\n", stderr: "")
        }
    }

    /// A temporary directory with a stand-in postconf program (only its identity matters) and a cache directory.
    struct Setup {
        let root: TemporaryDirectory
        let program: String
        let cache: CommandOutputCache
        init() throws {
            root = try TemporaryDirectory()
            program = root.path + "/postconf"
            _ = FileManager.default.createFile(atPath: program, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
            cache = CommandOutputCache(directory: root.path + "/cache")
        }
    }

    @Test func aSecondRunUsesTheStoredOutput() throws {
        let s = try Setup(), runner = CountingPostconf()
        let first = try ParameterDefaults.fromPostconf(runner: runner, executable: s.program, cache: s.cache)
        let second = try ParameterDefaults.fromPostconf(runner: runner, executable: s.program, cache: s.cache)
        #expect(runner.runs == 1)
        #expect(first.values == second.values)
        #expect(second.values["mail_name"] == "Postfix")
        #expect(second.values["relayhost"] == "")
        #expect(second.origin == "postconf -d (Postfix 9.9.9)")
    }

    /// `dovecot --version` (which 2.x is installed) is kept the same way, keyed by the dovecot program's file.
    @Test func dovecotsVersionIsKeptUntilDovecotIsReplaced() throws {
        final class CountingDovecot: ProcessRunner, @unchecked Sendable {
            let runs = Mutex(0)
            func run(_ executable: String, _ arguments: [String], stdin: Data?, environment: [String: String]?, timeout: Double?) throws -> ProcessOutput {
                runs.withLock { $0 += 1 }
                return ProcessOutput(status: 0, stdout: "2.4.1-4 (7d8c0e5759)\n", stderr: "")
            }
        }
        let s = try Setup(), runner = CountingDovecot()
        let program = s.root.path + "/dovecot"
        _ = FileManager.default.createFile(atPath: program, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        #expect(DovecotConfig.installedVersion(runner: runner, executable: program, cache: s.cache) == "2.4.1")
        #expect(DovecotConfig.installedVersion(runner: runner, executable: program, cache: s.cache) == "2.4.1")
        #expect(runner.runs.withLock { $0 } == 1)
        try Data("#!/bin/sh\n# upgraded\n".utf8).write(to: URL(fileURLWithPath: program))
        #expect(DovecotConfig.installedVersion(runner: runner, executable: program, cache: s.cache) == "2.4.1")
        #expect(runner.runs.withLock { $0 } == 2)
        // Without a cache every call asks dovecot.
        _ = DovecotConfig.installedVersion(runner: runner, executable: program)
        #expect(runner.runs.withLock { $0 } == 3)
    }

    @Test func anUpgradedPostconfIsRunAgain() throws {
        let s = try Setup(), runner = CountingPostconf()
        _ = try ParameterDefaults.fromPostconf(runner: runner, executable: s.program, cache: s.cache)
        // A package upgrade replaces the file: new inode, size or times.
        try Data("#!/bin/sh\n# 3.10\n".utf8).write(to: URL(fileURLWithPath: s.program))
        _ = try ParameterDefaults.fromPostconf(runner: runner, executable: s.program, cache: s.cache)
        #expect(runner.runs == 2)
    }

    @Test func aDamagedEntryIsIgnoredAndReplaced() throws {
        let s = try Setup(), runner = CountingPostconf()
        _ = try ParameterDefaults.fromPostconf(runner: runner, executable: s.program, cache: s.cache)
        let entry = try #require(s.cache.directory).appending("/postconf-d")
        for damage in ["", "postls-cache 1\n3\nkey\nmail_name = Evil\n", String(repeating: "x", count: 100)] {
            try Data(damage.utf8).write(to: URL(fileURLWithPath: entry))
            let defaults = try ParameterDefaults.fromPostconf(runner: runner, executable: s.program, cache: s.cache)
            #expect(defaults.values["mail_name"] == "Postfix")
        }
        #expect(runner.runs == 4)
        _ = try ParameterDefaults.fromPostconf(runner: runner, executable: s.program, cache: s.cache)
        #expect(runner.runs == 4, "the last run stored a good entry again")
    }

    @Test func aCacheDirectoryOthersCanWriteIsNotUsed() throws {
        let s = try Setup(), runner = CountingPostconf()
        let directory = try #require(s.cache.directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o777])
        chmod(directory, 0o777)  // past the umask
        _ = try ParameterDefaults.fromPostconf(runner: runner, executable: s.program, cache: s.cache)
        _ = try ParameterDefaults.fromPostconf(runner: runner, executable: s.program, cache: s.cache)
        #expect(runner.runs == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test func entriesArePrivateAndWrittenWhole() throws {
        let s = try Setup(), runner = CountingPostconf()
        _ = try ParameterDefaults.fromPostconf(runner: runner, executable: s.program, cache: s.cache)
        let directory = try #require(s.cache.directory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["postconf-d"])
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/postconf-d")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func theKeyNamesProgramConfigurationAndHost() throws {
        let s = try Setup()
        let key = try #require(ParameterDefaults.postconfDefaultsKey(executable: s.program, environment: ["MAIL_CONFIG": s.root.path]))
        #expect(key.contains("program \(s.program) dev="))
        #expect(key.contains("config \(s.root.path)/master.cf missing"))
        #expect(key.contains("host "))
        #expect(ParameterDefaults.postconfDefaultsKey(executable: s.root.path + "/absent", environment: [:]) == nil)
    }

    @Test func theStandardPlaceFollowsTheUserAndCanBeTurnedOff() {
        #expect(CommandOutputCache.standard(environment: ["POSTLS_NO_CACHE": "1", "HOME": "/home/a"]).directory == nil)
        #expect(CommandOutputCache.standard(environment: ["POSTLS_CACHE_DIR": "/c", "HOME": "/home/a"]).directory == "/c")
        if getuid() == 0 {
            #expect(CommandOutputCache.standard(environment: [:]).directory == "/var/cache/postls")
        } else {
            #expect(CommandOutputCache.standard(environment: ["XDG_CACHE_HOME": "/x", "HOME": "/home/a"]).directory == "/x/postls")
            #expect(CommandOutputCache.standard(environment: ["HOME": "/home/a"]).directory == "/home/a/.cache/postls")
        }
    }
}
