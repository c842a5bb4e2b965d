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
        let directory = try TemporaryConfigDirectory(main: mainBytes, master: masterBytes)
        guard let plain = try RealPostconf.run(["-c", directory.path, "-n"], servers: servers),
              let expanded = try RealPostconf.run(["-c", directory.path, "-nx"], servers: servers),
              let services = try RealPostconf.run(["-c", directory.path, "-P"], servers: servers),
              let servicesExpanded = try RealPostconf.run(["-c", directory.path, "-Px"], servers: servers) else { return }
        #expect(plain.succeeded, "postconf -n failed: \(plain.stderr)")
        #expect(expanded.succeeded, "postconf -nx failed: \(expanded.stderr)")

        let config = PostfixConfiguration(directory: directory.path, main: MainCF(bytes: mainBytes),
                                          master: MasterCF(bytes: masterBytes), defaults: TestDefaults.of(servers))
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
