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

    func files(_ pair: String) -> (main: [UInt8], master: [UInt8])? {
        switch pair {
        case "system:/etc/postfix":
            guard let main = FileManager.default.contents(atPath: "/etc/postfix/main.cf"),
                  let master = FileManager.default.contents(atPath: "/etc/postfix/master.cf") else { return nil }
            return (Array(main), Array(master))
        case "system:/usr/share/postfix/dist":
            guard let main = FileManager.default.contents(atPath: "/usr/share/postfix/main.cf.dist"),
                  let master = FileManager.default.contents(atPath: "/usr/share/postfix/master.cf.dist") else { return nil }
            return (Array(main), Array(master))
        default:
            guard let main = try? Corpus.bytes(pair, "main.cf"), let master = try? Corpus.bytes(pair, "master.cf") else { return nil }
            return (main, master)
        }
    }

    @Test(arguments: pairs)
    func valuesExpansionsAndOverridesMatchPostconf(_ pair: String) throws {
        guard let (mainBytes, masterBytes) = files(pair) else {
            if pair.hasPrefix("system:") && !RealPostconf.isCI { return }
            Issue.record("missing input files for \(pair)")
            return
        }
        try PostconfDifferential.compare(pair, main: mainBytes, master: masterBytes, defaults: TestDefaults.shared) { directory, arguments in
            try RealPostconf.run(["-c", directory] + arguments)
        }
    }
}

/// The same comparison against Debian 13's Postfix 3.10 (the cached root of scripts/debian-root.sh), with
/// that postconf's `-d` as the defaults: postls must read the corpus on 3.10 exactly as on 3.7.
@Suite(.enabled(if: Trixie.shouldRun, "needs the Debian 13 root (scripts/debian-root.sh trixie, as root); CI fails without it"))
struct PostconfDifferential310 {
    static var root: String? { Trixie.root }

    /// The root's `postconf -d`, read once: Postfix 3.10's defaults, as `ParameterDefaults.fromPostconf` reads them.
    static let defaults: ParameterDefaults? = {
        // With the root's stock master.cf, as scripts/capture-postconf-defaults.sh captured it: its services' parameters are listed.
        guard let root, let master = FileManager.default.contents(atPath: root + "/usr/share/postfix/master.cf.dist"),
              let directory = try? TemporaryConfigDirectory(main: [], master: Array(master)) else { return nil }
        guard let output = try? DebianRoot.postconf(root: root, configDirectory: directory.path, ["-d"]), output.succeeded else { return nil }
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

    @Test(arguments: Corpus.cases)
    func corpusReadsAsPostconf310ReadsIt(_ pair: String) throws {
        guard let root = Self.root, let defaults = Self.defaults else {
            Issue.record("CI is set but the Debian 13 root is missing: scripts/debian-root.sh trixie")
            return
        }
        try PostconfDifferential.compare(pair, main: try Corpus.bytes(pair, "main.cf"), master: try Corpus.bytes(pair, "master.cf"),
                                         defaults: defaults, directoryAsPostconfSeesIt: { _ in "/tmp/config" }) { directory, arguments in
            try DebianRoot.postconf(root: root, configDirectory: directory, arguments)
        }
    }
}

/// Debian 13's root, looked up once per test run.
enum Trixie {
    static let root = DebianRoot.path(suite: "trixie")
    static var shouldRun: Bool { Prerequisites.isCI || root != nil }
}

/// postconf -n, -nx, -P and -Px of one main.cf/master.cf pair against postls's reading with `defaults`.
enum PostconfDifferential {
    /// `directoryAsPostconfSeesIt` maps the temporary directory to the path postconf is given (another one in a root).
    static func compare(_ pair: String, main mainBytes: [UInt8], master masterBytes: [UInt8], defaults: ParameterDefaults,
                        directoryAsPostconfSeesIt: (String) -> String = { $0 },
                        postconf: (_ directory: String, _ arguments: [String]) throws -> ProcessOutput?) throws {
        let directory = try TemporaryConfigDirectory(main: mainBytes, master: masterBytes)
        guard let plain = try postconf(directory.path, ["-n"]),
              let expanded = try postconf(directory.path, ["-nx"]),
              let services = try postconf(directory.path, ["-P"]),
              let servicesExpanded = try postconf(directory.path, ["-Px"]) else { return }
        #expect(plain.succeeded, "postconf -n failed: \(plain.stderr)")
        #expect(expanded.succeeded, "postconf -nx failed: \(expanded.stderr)")

        let config = PostfixConfiguration(directory: directoryAsPostconfSeesIt(directory.path), main: MainCF(bytes: mainBytes),
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
