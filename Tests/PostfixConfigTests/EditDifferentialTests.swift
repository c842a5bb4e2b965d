import Foundation
import PostlsCore
import Testing
@testable import PostfixConfig

/// Edits checked by the real postconf: after set/remove/comment-out on every corpus file, postconf sees
/// exactly the intended change and nothing else.
@Suite(.enabled(if: RealPostconf.shouldRun, "needs postconf (set CI to make its absence fail)"))
struct EditDifferentialTests {
    func postconf(_ main: [UInt8], _ master: [UInt8], _ arguments: [String]) throws -> [String: String]? {
        let directory = try TemporaryConfigDirectory(main: main, master: master)
        guard let output = try RealPostconf.run(["-c", directory.path] + arguments) else { return nil }
        #expect(output.succeeded, "\(output.stderr)")
        var result = RealPostconf.parse(output.stdout)
        result["config_directory"] = nil
        return result
    }

    @Test(arguments: Corpus.cases)
    func mainCFEditsChangeOnlyTheirParameter(_ corpus: String) throws {
        let main = MainCF(bytes: try Corpus.bytes(corpus, "main.cf")), master = try Corpus.bytes(corpus, "master.cf")
        guard let before = try postconf(main.bytes, master, ["-n"]) else { return }
        // A known parameter set by the file (if any) and one it does not set.
        let existing = main.entries.last { $0.name.hasPrefix("smtpd_tls_") || $0.name == "myhostname" }?.name
        for name in [existing, "smtpd_tls_loglevel"].compactMap({ $0 }) {
            let set = try main.applying(.setMain(name: name, value: "2 edited"))
            var expected = before
            expected[name] = "2 edited"
            #expect(try postconf(set.bytes, master, ["-n"]) == expected, "\(corpus): set \(name)")
        }
        if let existing {
            var expected = before
            expected[existing] = nil
            #expect(try postconf(try main.applying(.removeMain(name: existing)).bytes, master, ["-n"]) == expected, "\(corpus): remove \(existing)")
            #expect(try postconf(try main.applying(.commentOutMain(name: existing)).bytes, master, ["-n"]) == expected, "\(corpus): comment out \(existing)")
        }
    }

    @Test(arguments: Corpus.cases)
    func masterCFEditsChangeOnlyTheirOverride(_ corpus: String) throws {
        let main = try Corpus.bytes(corpus, "main.cf"), master = MasterCF(bytes: try Corpus.bytes(corpus, "master.cf"))
        guard let before = try postconf(main, master.bytes, ["-P"]) else { return }
        for service in master.services.filter({ $0.command == "smtpd" || $0.command == "smtp" }).prefix(3) {
            let key = "\(service.qualifiedName)/smtpd_tls_loglevel"
            for value in ["1", "2 with spaces"] {
                let edited = try master.applying(.setOverride(service: service.name, type: service.type, name: "smtpd_tls_loglevel", value: value))
                var expected = before
                expected[key] = value
                #expect(try postconf(main, edited.bytes, ["-P"]) == expected, "\(corpus): set -o on \(service.qualifiedName)")
                // Setting it again replaces, and removing restores the original.
                let again = try edited.applying(.setOverride(service: service.name, type: service.type, name: "smtpd_tls_loglevel", value: "3"))
                expected[key] = "3"
                #expect(try postconf(main, again.bytes, ["-P"]) == expected, "\(corpus): replace -o on \(service.qualifiedName)")
                let removed = try again.applying(.removeOverride(service: service.name, type: service.type, name: "smtpd_tls_loglevel"))
                expected[key] = nil
                #expect(try postconf(main, removed.bytes, ["-P"]) == expected, "\(corpus): remove -o on \(service.qualifiedName)")
            }
            if let first = service.overrides.first {
                let removed = try master.applying(.removeOverride(service: service.name, type: service.type, name: first.name))
                var expected = before
                expected["\(service.qualifiedName)/\(first.name)"] = nil
                #expect(try postconf(main, removed.bytes, ["-P"]) == expected, "\(corpus): remove existing -o \(first.name)")
            }
        }
    }
}
