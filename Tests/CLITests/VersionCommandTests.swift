import Foundation
import PostlsCore
import Testing
import TestSupport

@Suite("postls version and --help, run as a user runs them")
struct VersionCommandTests {
    @Test func versionNamesTheOpenSSLAndNcursesItRunsWith() throws {
        let out = try PostlsBinary.run(["version"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("postls \(PostlsVersion.string)"))
        #expect(out.stdout.range(of: #"OpenSSL: OpenSSL 3\.\d+\.\d+"#, options: .regularExpression) != nil, "\(out.stdout)")
        #expect(out.stdout.range(of: #"ncurses: ncurses 6\.\d+"#, options: .regularExpression) != nil, "\(out.stdout)")
    }

    @Test(.enabled(if: Prerequisites.postconf))
    func versionNamesTheInstalledPostfix() throws {
        let expected = try SystemProcessRunner().run("postconf", ["-h", "mail_version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let out = try PostlsBinary.run(["version", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
        #expect(object?["postfix"] as? String == expected)
        #expect((object?["openssl"] as? String)?.hasPrefix("OpenSSL 3.") == true)
    }

    @Test func helpListsOnlyCommandsThatExist() throws {
        let out = try PostlsBinary.run(["--help"])
        #expect(out.status == 0)
        #expect(out.stdout.contains("version"))
        // No stubs: every listed subcommand must answer its own --help successfully.
        let subcommands = out.stdout.split(separator: "\n")
            .drop { !$0.hasPrefix("SUBCOMMANDS:") }.dropFirst()
            .compactMap { line -> String? in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard line.hasPrefix("  "), !line.hasPrefix("    "), let word = trimmed.split(separator: " ").first else { return nil }
                return String(word)
            }
        #expect(!subcommands.isEmpty)
        for sub in subcommands {
            let help = try PostlsBinary.run([sub, "--help"])
            #expect(help.status == 0, "postls \(sub) --help failed: \(help.stderr)")
        }
    }

    @Test func unknownSubcommandIsABadUsageError() throws {
        let out = try PostlsBinary.run(["no-such-command"])
        #expect(out.status == 64)
    }
}
