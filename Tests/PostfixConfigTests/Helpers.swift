import Foundation
import PostlsCore
import Testing
import TestSupport
@testable import PostfixConfig

/// The corpus of main.cf/master.cf pairs beside the tests.
enum Corpus {
    static var root: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Corpus")
    }

    /// Corpus case names (directories), sorted.
    static var cases: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README" && !$0.hasPrefix("dovecot-") }.sorted()
    }

    static func bytes(_ name: String, _ file: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(name).appendingPathComponent(file)))
    }

    /// Files the installed Postfix package ships or generated, read at test time.
    static let systemFiles = ["/usr/share/postfix/main.cf.dist", "/usr/share/postfix/master.cf.dist",
                              "/etc/postfix/main.cf", "/etc/postfix/master.cf", "/usr/share/postfix/main.cf.debian",
                              "/usr/share/postfix/main.cf.tls", "/etc/postfix/main.cf.proto", "/etc/postfix/master.cf.proto"]
}

/// A throwaway config directory with main.cf and master.cf.
final class TemporaryConfigDirectory {
    let path: String

    init(main: [UInt8], master: [UInt8]) throws {
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("postls-config-XXXXXX").path
        var buffer = Array(template.utf8CString)
        guard let made = mkdtemp(&buffer) else { throw ConfigError.writeFailed(path: template, reason: "mkdtemp failed") }
        path = String(cString: made)
        try write("main.cf", main)
        try write("master.cf", master)
    }

    convenience init(main: String, master: String = "") throws {
        try self.init(main: Array(main.utf8), master: Array(master.utf8))
    }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        let file = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        backdate(file)
    }

    /// postconf sleeps ~2.4 s on a main.cf younger than a second: make files a minute old.
    func backdate(_ file: String) {
        let old = time(nil) - 60
        var times = [timeval(tv_sec: old, tv_usec: 0), timeval(tv_sec: old, tv_usec: 0)]
        _ = utimes(file, &times)
    }

    func read(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path + "/" + name)))
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The installed postconf, used as the oracle.
enum RealPostconf {
    static let path: String? = findExecutable("postconf")
    static let isCI = ProcessInfo.processInfo.environment["CI"] != nil
    /// Tests that need postconf run when it exists, and run (to fail) on CI when it is missing.
    static let shouldRun = path != nil || isCI

    /// Runs postconf; records an issue (test failure) when it is missing.
    static func run(_ arguments: [String], servers: ServerTools? = nil) throws -> ProcessOutput? {
        if let servers, servers.binDirectory != nil { return try servers.runner.run("postconf", arguments, timeout: 60) }
        guard let path else {
            Issue.record("postconf is not installed, but CI is set: install postfix")
            return nil
        }
        return try SystemProcessRunner().run(path, arguments, timeout: 60)
    }

    /// `name = value` lines of postconf output as a dictionary.
    static func parse(_ output: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in output.split(separator: "\n") {
            if let range = line.range(of: " = ") {
                result[String(line[..<range.lowerBound])] = String(line[range.upperBound...])
            } else if line.hasSuffix(" =") {
                result[String(line.dropLast(2))] = ""
            }
        }
        return result
    }
}

/// Deterministic pseudo-random numbers for property tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

/// Loads a configuration from a corpus case with defaults from the real postconf when present.
func corpusConfiguration(_ name: String, directory: String = "/etc/postfix") throws -> PostfixConfiguration {
    PostfixConfiguration(directory: directory, main: MainCF(bytes: try Corpus.bytes(name, "main.cf")),
                         master: MasterCF(bytes: try Corpus.bytes(name, "master.cf")), defaults: TestDefaults.shared)
}

enum TestDefaults {
    static let shared: ParameterDefaults = ParameterDefaults.load(runner: SystemProcessRunner())
    /// The defaults of one generation's postconf (Debian 13's `postconf -d` for its differential).
    static func of(_ servers: ServerTools) -> ParameterDefaults {
        servers.binDirectory == nil ? shared : (debian13 ?? shared)
    }
    static let debian13: ParameterDefaults? = (try? Generation.debian13.servers()).map { ParameterDefaults.load(runner: $0.runner) }
}
