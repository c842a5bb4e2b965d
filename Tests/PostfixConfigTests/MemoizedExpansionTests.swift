import Foundation
import PostfixConfig
import Testing

/// Global expansions are memoized (each parameter expanded once, reused wherever `$name` appears).
/// The memo must never change a result: these compare every parameter with an expansion in place.
@Suite struct MemoizedExpansionTests {
    /// The reference: Postfix's recursive expansion in place, no memo.
    func inPlace(_ config: PostfixConfiguration, _ name: String) -> Expander.Result? {
        guard let raw = config.raw(name) else { return nil }
        return Expander().expand(raw.value) { config.raw($0)?.value }
    }

    func expectSameAsInPlace(_ main: String, names: [String]? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        let config = PostfixConfiguration(directory: "/etc/postfix", main: MainCF(text: main), master: MasterCF(text: ""),
                                          defaults: TestDefaults.shared)
        for name in names ?? config.main.entries.map(\.name) {
            #expect(config.expanded(name) == inPlace(config, name), "\(name)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: Corpus.cases)
    func corpusParametersExpandAsInPlace(_ name: String) throws {
        let config = try corpusConfiguration(name)
        // A fresh configuration per name would hide reuse; one configuration expands them all in file order.
        for entry in config.main.entries {
            #expect(config.expanded(entry.name) == inPlace(config, entry.name), "\(name): \(entry.name)")
        }
        for index in config.main.effectiveIndices {
            #expect(config.expandedEntry(index) == inPlace(config, config.main.entries[index].name))
        }
    }

    @Test func loopsAreReportedFromWhereverExpansionStarts() {
        // The memo of b (computed while expanding a) has the loop; a, b and c each report their own chain.
        expectSameAsInPlace("a = x $b\nb = $c y\nc = $a\nd = $b $a\n")
        let config = PostfixConfiguration(directory: "/etc/postfix", main: MainCF(text: "a = $b\nb = $a\n"), master: MasterCF(text: ""),
                                          defaults: TestDefaults.shared)
        #expect(config.expanded("a")?.hasError == true)
        #expect(config.expanded("b")?.issues.contains(.loop(["a", "b", "a"])) == true)
    }

    @Test func nestingLimitCountsReusedMemos() {
        // A chain of 150 references: Postfix stops at 100 nested macro calls; a memo of the tail must not hide it.
        var lines: [String] = []
        for level in 0..<150 { lines.append("c\(level) = $c\(level + 1)") }
        lines.append("c150 = end")
        let text = lines.joined(separator: "\n") + "\n"
        // Expanding the tail first fills memos that the head then meets.
        expectSameAsInPlace(text, names: (0...150).reversed().map { "c\($0)" } + ["c0"])
        expectSameAsInPlace(text)
        let config = PostfixConfiguration(directory: "/etc/postfix", main: MainCF(text: text), master: MasterCF(text: ""), defaults: TestDefaults.shared)
        _ = config.expanded("c60")
        #expect(config.expanded("c0")?.hasError == true)
        #expect(config.expanded("c51")?.value == "end")
    }

    @Test func explosionsStopWhetherOrNotPartsAreMemoized() {
        var lines: [String] = []
        for level in 0..<40 { lines.append("p\(level) = $p\(level + 1)$p\(level + 1)") }
        lines.append("p40 = ")
        let text = lines.joined(separator: "\n") + "\n"
        expectSameAsInPlace(text, names: (0...40).reversed().map { "p\($0)" })
        let config = PostfixConfiguration(directory: "/etc/postfix", main: MainCF(text: text), master: MasterCF(text: ""), defaults: TestDefaults.shared)
        _ = config.expanded("p20")
        #expect(config.expanded("p0")?.issues.contains(.tooLarge) == true)
    }

    @Test func conditionalsUndefinedNamesAndDollarsMatch() {
        expectSameAsInPlace("""
            a = $$b ${b?{set $b}:{unset}} ${nothing:fallback} ${nothing} $b
            b = one $c
            c = ${{$b} == {one } ? {yes} : {no}} $(d)
            d = $undefined_name tail
            e = $a$a$b$c$d
            myhostname = mx.$mydomain
            mydomain = example.org
            f = $myhostname $mydomain $config_directory $mail_version
            """)
    }

    @Test func randomReferenceGraphsMatch() {
        var random = SeededGenerator(seed: 7)
        for _ in 0..<40 {
            let count = Int.random(in: 2...12, using: &random)
            var lines: [String] = []
            for index in 0..<count {
                var parts: [String] = []
                for _ in 0..<Int.random(in: 0...3, using: &random) {
                    let target = "n\(Int.random(in: 0..<(count + 1), using: &random))"
                    switch Int.random(in: 0..<5, using: &random) {
                    case 0: parts.append("$\(target)")
                    case 1: parts.append("${\(target)}")
                    case 2: parts.append("${\(target)?{x$\(target)}:{y}}")
                    case 3: parts.append("lit$$")
                    default: parts.append("$(\(target))")
                    }
                }
                lines.append("n\(index) = " + parts.joined(separator: " "))
            }
            var names = (0..<count).map { "n\($0)" }
            names.shuffle(using: &random)
            expectSameAsInPlace(lines.joined(separator: "\n") + "\n", names: names)
        }
    }
}
