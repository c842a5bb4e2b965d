import Foundation
import PostlsCore
import Testing
import TestSupport

/// Rules of the project that a test can hold: C stays in its wrappers, the man page and completions
/// cover every command.
@Suite("Project rules")
struct ProjectRulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func eachCModuleIsImportedByItsOneWrapperOnly() throws {
        let allowed = ["COpenSSL": "TLSKit", "CNcurses": "CursesTerminal", "CTerminalRestore": "CursesTerminal", "CZlib": "ByteSources",
                       "CLogScan": "LogScan"]
        let sources = Self.root.appendingPathComponent("Sources")
        let enumerator = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        var checked = 0
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "swift" else { continue }
            let target = url.path.dropFirst(sources.path.count + 1).split(separator: "/").first.map(String.init) ?? ""
            let text = try String(contentsOf: url, encoding: .utf8)
            for line in text.split(separator: "\n") where line.contains("import C") {
                let words = line.split(separator: " ")
                guard let module = words.last.map(String.init), let owner = allowed[module], words.contains("import") else { continue }
                #expect(target == owner, "\(url.path) imports \(module); only \(owner) may")
            }
            checked += 1
        }
        #expect(checked > 50)
    }

    /// Every command names itself: without `commandName`, the argument parser derives the name from the type's
    /// name on every start, a conformance scan over the whole static binary (about 1 ms per command).
    @Test func everyCommandNamesItself() throws {
        let dir = Self.root.appendingPathComponent("Sources/postls")
        var commands = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            let parts = text.components(separatedBy: ": ParsableCommand {")
            for part in parts.dropFirst() {
                commands += 1
                // The configuration follows the declaration line; its first arguments name the command.
                let configuration = part.components(separatedBy: "CommandConfiguration(").dropFirst().first ?? ""
                let head = configuration.prefix(40).trimmingCharacters(in: .whitespacesAndNewlines)
                let name = part.prefix(60).split(separator: "\n").first ?? ""
                #expect(head.hasPrefix("commandName:"), "\(file): a command without commandName near \(name)")
            }
        }
        #expect(commands >= 19)
    }

    /// Fixtures are not product: canned states and synthetic events are for tests and benchmarks only.
    @Test func noProductTargetImportsTheFixtures() throws {
        let sources = Self.root.appendingPathComponent("Sources")
        let enumerator = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        var checked = 0
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "swift", !url.path.contains("/Sources/WizardFixtures/") else { continue }
            let text = try String(contentsOf: url, encoding: .utf8)
            #expect(!text.contains("import WizardFixtures"), "\(url.path) imports the fixtures")
            #expect(!text.contains("DemoStates."), "\(url.path) uses the fixtures' canned states")
            checked += 1
        }
        #expect(checked > 50)
    }

    /// A binary installed on a mail server has no resource bundle beside it: runtime data is compiled in
    /// (Resources/ turned into Swift by scripts/generate-resources.py).
    @Test func noTargetLoadsAResourceBundle() throws {
        let sources = Self.root.appendingPathComponent("Sources")
        let enumerator = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        var checked = 0
        while let url = enumerator?.nextObject() as? URL {
            #expect(url.lastPathComponent != "Resources", "\(url.path): runtime data belongs in the top-level Resources/")
            guard url.pathExtension == "swift" else { continue }
            let text = try String(contentsOf: url, encoding: .utf8)
            #expect(!text.contains("Bundle" + ".module"), "\(url.path) loads a resource bundle")
            checked += 1
        }
        #expect(checked > 50)
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        for line in manifest.split(separator: "\n") where line.contains("resources:") {
            #expect(line.contains(".testTarget("), "only test targets may have resources: \(line)")
        }
    }

    @Test func everyCauseHasATitleAndExplanationCompiledIn() {
        #expect(CauseCatalog.unknownIDs.isEmpty, "\(CauseCatalog.unknownIDs)")
        for cause in Cause.allCases {
            #expect(CauseCatalog.shared.entries[cause] != nil, "\(cause.rawValue) lacks an entry in Resources/causes/causes.json")
        }
    }

    @Test(.enabled(if: Prerequisites.isCI || Prerequisites.has("man")))
    func manPageRendersAndNamesEveryCommand() throws {
        let page = Self.root.appendingPathComponent("docs/man/postls.1").path
        let out = try SystemProcessRunner().run("man", ["-l", page], stdin: nil, environment: ["MANWIDTH": "100", "PATH": "/usr/bin:/bin"], timeout: 30)
        #expect(out.status == 0, "\(out.stderr)")
        let help = try PostlsBinary.run(["--help"]).stdout
        let commands = help.split(separator: "\n").drop { !$0.hasPrefix("SUBCOMMANDS:") }.dropFirst()
            .compactMap { line -> String? in
                guard line.hasPrefix("  "), !line.hasPrefix("    ") else { return nil }
                guard let word = line.trimmingCharacters(in: .whitespaces).split(separator: " ").first, word.first?.isLowercase == true else { return nil }
                return String(word)
            }
        #expect(!commands.isEmpty)
        for command in commands {
            #expect(out.stdout.contains(command), "the man page lacks \(command): run scripts/generate-docs.sh")
        }
    }

    /// Every long option of every command, as `--help` lists it, is in the man page and the completions: the
    /// generated files are regenerated (scripts/generate-docs.sh) whenever an option is added.
    @Test func manPageAndCompletionsNameEveryOption() throws {
        let page = try String(contentsOf: Self.root.appendingPathComponent("docs/man/postls.1"), encoding: .utf8)
        let bash = try String(contentsOf: Self.root.appendingPathComponent("docs/completions/postls.bash"), encoding: .utf8)
        var checked = 0
        for command in ["config", "probe", "logs", "diagnose", "fix", "check", "report", "dns", "tlsrpt", "setup", "demo"] {
            let help = try PostlsBinary.run([command, "--help"]).stdout
            // The options as the OPTIONS section declares them ("  -c, --config-dir <dir>  ..."), not `--x` in prose.
            let declared = help.split(separator: "\n").filter { $0.hasPrefix("  ") && $0.drop { $0 == " " }.hasPrefix("-") }
            let options = Set(declared.flatMap { line in
                line.split(separator: " ").prefix { !$0.isEmpty && ($0.hasPrefix("-") || $0.hasPrefix("<")) }
            }.compactMap { word -> String? in
                guard word.hasPrefix("--"), word.count > 2, word != "--help", word != "--version" else { return nil }
                return String(word.dropFirst(2).prefix { $0.isLetter || $0.isNumber || $0 == "-" })
            })
            for option in options.sorted() where !option.isEmpty {
                checked += 1
                let inPage = page.contains("Fl -\(option)"), inBash = bash.contains("--\(option)")
                #expect(inPage, "the man page lacks \(command) --\(option): run scripts/generate-docs.sh")
                #expect(inBash, "the bash completion lacks \(command) --\(option): run scripts/generate-docs.sh")
            }
        }
        #expect(checked > 40)
    }

    @Test func completionsCoverEveryCommand() throws {
        let bash = try String(contentsOf: Self.root.appendingPathComponent("docs/completions/postls.bash"), encoding: .utf8)
        let zsh = try String(contentsOf: Self.root.appendingPathComponent("docs/completions/_postls"), encoding: .utf8)
        let fish = try String(contentsOf: Self.root.appendingPathComponent("docs/completions/postls.fish"), encoding: .utf8)
        for command in ["config", "probe", "logs", "diagnose", "fix", "check", "report", "open", "dns", "tlsrpt", "setup", "demo"] {
            #expect(bash.contains(command), "bash completion lacks \(command): run scripts/generate-docs.sh")
            #expect(zsh.contains(command), "zsh completion lacks \(command)")
            #expect(fish.contains(command), "fish completion lacks \(command)")
        }
    }

    /// No function is longer than 80 lines unless scripts/long-functions.py allows it with a reason.
    @Test(.enabled(if: Prerequisites.isCI || Prerequisites.has("python3")))
    func noFunctionIsLongerThanTheLimit() throws {
        let script = Self.root.appendingPathComponent("scripts/long-functions.py").path
        let out = try SystemProcessRunner().run("python3", [script], timeout: 60)
        #expect(out.status == 0, "split these into named steps:\n\(out.stdout)\(out.stderr)")
    }

    /// The length check counts braces of code only: not those in strings, interpolations or comments.
    @Test(.enabled(if: Prerequisites.isCI || Prerequisites.has("python3")))
    func longFunctionCheckCountsCodeBracesOnly() throws {
        let dir = try TemporaryDirectory(prefix: "postls-long")
        let sources = URL(fileURLWithPath: dir.path).appendingPathComponent("Sources/Sample")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        let filler = Array(repeating: "        total += 1", count: 80).joined(separator: "\n")
        let swift = """
            struct Sample {
                func short() -> String { "}}} \\(["{": 1].count) /* { */" }
                // } a closing brace in a comment
                func long() -> Int {
                    var total = 0 /* { */
                    let text = #"}"# + \"\"\"
                        }
                        \"\"\"
            \(filler)
                    return total + text.count
                }
            }

            """
        try swift.write(to: sources.appendingPathComponent("Sample.swift"), atomically: true, encoding: .utf8)
        let script = Self.root.appendingPathComponent("scripts/long-functions.py").path
        let out = try SystemProcessRunner().run("python3", [script, "--root", dir.path], timeout: 60)
        #expect(out.status == 1)
        #expect(out.stdout == "Sources/Sample/Sample.swift:4: long is 87 lines (limit 80)\n", "\(out.stdout)")
    }

    /// The notes the project started from are not part of it: nothing tracked may send a reader there.
    @Test func noTrackedFileMentionsTheStartingNotes() throws {
        let listed = try SystemProcessRunner().run("git", ["-C", Self.root.path, "ls-files", "-z"], timeout: 60)
        try #require(listed.status == 0, "git ls-files: \(listed.stderr)")
        let files = listed.stdout.split(separator: "\0").map(String.init).filter { !$0.hasPrefix(".ci/") }
        #expect(files.count > 100)
        // Spelled in two parts so this file does not match itself.
        let needles = ["shared" + "/spec", "shared" + "/STYLE", "../" + "shared"]
        var offenders: [String] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: Self.root.appendingPathComponent(file).path) else { continue }
            let text = String(decoding: data, as: UTF8.self)
            for needle in needles where text.contains(needle) { offenders.append("\(file): \(needle)") }
        }
        #expect(offenders.isEmpty, "point at docs/json/, docs/CAUSES.md or `man postls` instead: \(offenders)")
    }

    /// docs/CAUSES.md lists every cause exactly once, under the title postls prints for it.
    @Test func causesDocumentListsExactlyTheCauses() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/CAUSES.md"), encoding: .utf8)
        var listed: [String: String] = [:]
        var repeated: [String] = []
        for line in text.split(separator: "\n") where line.hasPrefix("### `") {
            let parts = line.dropFirst(5).split(separator: "`", maxSplits: 1)
            guard let id = parts.first.map(String.init) else { continue }
            let title = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: CharacterSet(charactersIn: ": ")) : ""
            if listed.updateValue(title, forKey: id) != nil { repeated.append(id) }
        }
        let causes = Set(Cause.allCases.map(\.rawValue))
        #expect(repeated.isEmpty, "listed twice: \(repeated)")
        #expect(Set(listed.keys).subtracting(causes).isEmpty, "docs/CAUSES.md lists ids that are no Cause: \(Set(listed.keys).subtracting(causes).sorted())")
        #expect(causes.subtracting(listed.keys).isEmpty, "docs/CAUSES.md lacks: \(causes.subtracting(listed.keys).sorted())")
        for cause in Cause.allCases {
            guard let title = listed[cause.rawValue] else { continue }
            #expect(title == CauseCatalog.shared.title(cause), "docs/CAUSES.md titles \(cause.rawValue) \"\(title)\", postls says \"\(CauseCatalog.shared.title(cause))\"")
        }
    }
}
