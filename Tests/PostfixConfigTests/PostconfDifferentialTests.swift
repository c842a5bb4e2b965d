import Foundation
import PostlsCore
import Testing
import TestSupport
@testable import PostfixConfig

/// postls must read main.cf/master.cf exactly as the installed Postfix does: `postconf -n`, `-nx`
/// and `-P` are the oracle for every corpus case and for the files the Postfix package installed.
@Suite(.enabled(if: RealPostconf.shouldRun, "needs postconf (set CI to make its absence fail)"))
struct PostconfDifferentialTests {
    static var pairs: [String] {
        Corpus.cases + ["system:/etc/postfix", "system:/usr/share/postfix/dist"]
    }

    /// The corpus case, or the files the generation's Postfix package installed (under its root for Debian 13).
    func files(_ pair: String, root: String) -> (main: [UInt8], master: [UInt8])? {
        switch pair {
        case "system:/etc/postfix":
            guard let main = FileManager.default.contents(atPath: root + "/etc/postfix/main.cf"),
                  let master = FileManager.default.contents(atPath: root + "/etc/postfix/master.cf") else { return nil }
            return (Array(main), Array(master))
        case "system:/usr/share/postfix/dist":
            guard let main = FileManager.default.contents(atPath: root + "/usr/share/postfix/main.cf.dist"),
                  let master = FileManager.default.contents(atPath: root + "/usr/share/postfix/master.cf.dist") else { return nil }
            return (Array(main), Array(master))
        default:
            guard let main = try? Corpus.bytes(pair, "main.cf"), let master = try? Corpus.bytes(pair, "master.cf") else { return nil }
            return (main, master)
        }
    }

    @Test(arguments: Generation.all, pairs)
    func valuesExpansionsAndOverridesMatchPostconf(_ generation: Generation, _ pair: String) throws {
        guard let servers = try generation.serversOrSkip() else { return }
        guard let (mainBytes, masterBytes) = files(pair, root: servers.filesystemRoot) else {
            if pair.hasPrefix("system:") && !RealPostconf.isCI { return }
            Issue.record("missing input files for \(pair)")
            return
        }
        try PostconfDifferential.compare(pair, main: mainBytes, master: masterBytes, defaults: TestDefaults.of(servers)) { directory, arguments in
            try RealPostconf.run(["-c", directory] + arguments, servers: servers)
        }
    }
}

/// Debian 13's Postfix 3.10 (the corpus itself runs on both generations above): the root is 3.10 and the
/// compiled-in 3.10 catalogue is its `postconf -d`.
@Suite(.enabled(if: Trixie.shouldRun, "needs the Debian 13 root (scripts/debian-root.sh trixie, as root); CI fails without it"))
struct PostconfDifferential310 {

    /// The root's `postconf -d`, read once: Postfix 3.10's defaults, as `ParameterDefaults.fromPostconf` reads them.
    static let defaults: ParameterDefaults? = {
        // With the root's stock master.cf, as scripts/capture-postconf-defaults.sh captured it: its services' parameters are listed.
        guard let root = Trixie.root, let master = FileManager.default.contents(atPath: root + "/usr/share/postfix/master.cf.dist"),
              let directory = try? TemporaryConfigDirectory(main: [], master: Array(master)) else { return nil }
        guard let output = try? Trixie.postconf(configDirectory: directory.path, ["-d"]), output.succeeded else { return nil }
        var values: [String: String] = [:]
        for (name, value) in ParameterDefaults.parsePostconf(output.stdout) { values[name] = value }
        return ParameterDefaults(values: values, origin: "postconf -d (Postfix \(values["mail_version"] ?? "?"))",
                                 hostName: ProcessInfo.processInfo.hostName, interfaces: InterfaceAddress.current())
    }()

    @Test func theRootRunsPostfix310() throws {
        let defaults = try #require(Self.defaults, "no Debian 13 root, or its postconf -d failed")
        #expect(defaults.values["mail_version"]?.hasPrefix("3.10.") == true, "\(defaults.origin)")
    }

    /// The compiled-in 3.10 catalogue is what the root's postconf -d says, host-dependent values aside.
    @Test func catalogueAgreesWithTheRootsPostconf() throws {
        let defaults = try #require(Self.defaults, "no Debian 13 root, or its postconf -d failed")
        let version = try #require(defaults.values["mail_version"])
        let catalog = ParameterCatalog.forVersion(try #require(PostfixVersion(version)))
        try #require(catalog.postfixVersion == version, "the root has Postfix \(version), no capture of it: scripts/capture-postconf-defaults.sh --root")
        var compared = 0
        for parameter in catalog.parameters where !parameter.computed {
            #expect(defaults.values[parameter.name] == parameter.default, "\(parameter.name)")
            compared += 1
        }
        #expect(compared > 900)
    }

}

/// Debian 13's Postfix through the generation harness (a private overlay over the cached root; /tmp is the
/// same path inside and out), looked up once per test run.
enum Trixie {
    static let servers: ServerTools? = try? Generation.debian13.servers()
    static var root: String? { servers?.filesystemRoot }
    static var shouldRun: Bool { Prerequisites.isCI || servers != nil }

    static func postconf(configDirectory: String, _ arguments: [String]) throws -> ProcessOutput {
        guard let servers else { throw CocoaError(.fileNoSuchFile) }
        return try servers.runner.run("postconf", ["-c", configDirectory] + arguments, timeout: 60)
    }
}

/// postconf -n, -nx, -P and -Px of one main.cf/master.cf pair against postls's reading with `defaults`.
enum PostconfDifferential {
    static func compare(_ pair: String, main mainBytes: [UInt8], master masterBytes: [UInt8], defaults: ParameterDefaults,
                        postconf: (_ directory: String, _ arguments: [String]) throws -> ProcessOutput?) throws {
        let directory = try TemporaryConfigDirectory(main: mainBytes, master: masterBytes)
        guard let plain = try postconf(directory.path, ["-n"]),
              let expanded = try postconf(directory.path, ["-nx"]),
              let services = try postconf(directory.path, ["-P"]),
              let servicesExpanded = try postconf(directory.path, ["-Px"]) else { return }
        #expect(plain.succeeded, "postconf -n failed: \(plain.stderr)")
        #expect(expanded.succeeded, "postconf -nx failed: \(expanded.stderr)")

        let config = PostfixConfiguration(directory: directory.path, main: MainCF(bytes: mainBytes),
                                          master: MasterCF(bytes: masterBytes), defaults: defaults)
        let printed = RealPostconf.parse(plain.stdout)
        #expect(!printed.isEmpty)
        for (name, value) in printed {
            // Every parameter postconf prints is set in main.cf (config_directory comes from -c).
            if name != "config_directory" { #expect(config.main.entry(name) != nil, "\(pair): \(name) printed by postconf -n but not found") }
            let ours = config.raw(name).map { normalizePostconfWhitespace($0.value) }
            #expect(ours == value, "\(pair): value of \(name)")
        }
        for (name, value) in RealPostconf.parse(expanded.stdout) {
            // $process_id is the pid of the postconf process itself (main.cf.dist's debugger_command).
            if config.raw(name)?.value.contains("process_id") == true { continue }
            let ours = config.displayExpanded(name).map { normalizePostconfWhitespace($0.value) }
            #expect(ours == value, "\(pair): expanded value of \(name)")
        }
        // master.cf: "service/type/name = value" for every -o override.
        var ours: [String: String] = [:]
        var oursExpanded: [String: String] = [:]
        for service in config.master.services {
            for (name, value) in service.parameters {
                ours["\(service.qualifiedName)/\(name)"] = normalizePostconfWhitespace(value)
                oursExpanded["\(service.qualifiedName)/\(name)"] = normalizePostconfWhitespace(config.expand(value, service: service).value)
            }
        }
        #expect(ours == RealPostconf.parse(services.stdout), "\(pair): postconf -P")
        #expect(oursExpanded == RealPostconf.parse(servicesExpanded.stdout), "\(pair): postconf -Px")
    }
}
