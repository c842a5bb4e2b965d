import Foundation
import PostlsCore
import Testing
@testable import PostfixConfig

/// Random main.cf/master.cf files built from the constructs that trip parsers (continuations across
/// comments and blank lines, CRLF, tabs, conditionals, `$$`, braces, duplicates, unknown names, `-o { }`)
/// must read exactly as the real postconf reads them; when postconf refuses a file, postls must report
/// a critical finding for it.
@Suite(.enabled(if: RealPostconf.shouldRun, "needs postconf (set CI to make its absence fail)"))
struct PostconfFuzzTests {
    /// Names that values refer to; they only ever get plain values, so references cannot loop
    /// (loops are added on purpose, rarely, to exercise postconf's fatal path).
    static let targets = ["myhostname", "relayhost", "u_alpha", "u_beta"]
    static let names = ["myhostname", "myorigin", "mydestination", "relayhost", "smtpd_banner", "smtpd_tls_security_level",
                        "smtpd_tls_cert_file", "smtpd_tls_key_file", "smtp_tls_security_level", "smtpd_tls_protocols",
                        "u_alpha", "u_beta", "u_gamma", "smtpd_restriction_classes", "alias_maps"]

    struct Generator {
        var random: SeededGenerator
        mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }
        mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

        mutating func word(references: Bool = true) -> String {
            let name = pick(PostconfFuzzTests.targets)
            switch references ? Int.random(in: 0..<16, using: &random) : Int.random(in: 6..<16, using: &random) {
            case 0: return "$\(name)"
            case 1: return "${\(name)}"
            case 2: return "$(\(name))"
            case 3: return "${\(name)?yes-\(pick(["a", "b"]))}"
            case 4: return "${\(name):no}"
            case 5: return "${\(name)?{x y}:{$\(pick(PostconfFuzzTests.targets))}}"
            case 6: return "$$literal"
            case 7: return "inline:{ { k = v \(pick(["1", "2"])) } }"
            case 8: return "a#b"
            case 9: return references ? "${{$\(name)} == {mail.fuzz.example}?{eq}:{ne}}" : "x"
            case 10: return "[mx.fuzz.example]:\(pick(["25", "465", "587"]))"
            default: return pick(["may", "encrypt", "none", "mail.fuzz.example", "fuzz.example", "localhost", ">=TLSv1.2", "!SSLv2,", "/etc/ssl/x.pem", "hash:/etc/aliases"])
            }
        }

        mutating func space() -> String { pick([" ", "  ", "\t", " \t "]) }
        mutating func newline() -> String { chance(10) ? "\r\n" : "\n" }

        mutating func mainCF() -> String {
            var text = ""
            if chance(3) { text += "  orphan = text" + newline() }
            for _ in 0..<Int.random(in: 3...14, using: &random) {
                if chance(15) { text += pick(["# comment", "", "   ", "\t# indented"]) + newline(); continue }
                let name = pick(PostconfFuzzTests.names)
                let plain = PostconfFuzzTests.targets.contains(name) && !chance(3)
                let separator = pick(["=", " =", "= ", " = ", "\t=\t", "   =   "])
                var value = (0..<Int.random(in: 0...3, using: &random)).map { _ in word(references: !plain) }.joined(separator: space())
                if chance(10) { value += pick([" ", "\t", "  "]) }
                text += name + separator + value + newline()
                for _ in 0..<(chance(30) ? Int.random(in: 1...3, using: &random) : 0) {
                    if chance(30) { text += pick(["# between", "", "  # indented between", " "]) + newline() }
                    text += pick([" ", "\t", "    "]) + word(references: !plain) + pick(["", ",", " "]) + newline()
                }
            }
            if chance(3) { text += "no equals sign here" + newline() }
            if chance(50) { text.removeLast() }
            return text
        }

        mutating func masterCF() -> String {
            var text = "smtp      inet  n       -       n       -       -       smtpd\n"
            for service in ["submission inet n - n - - smtpd", "relay unix - - n - - smtp", "amavis unix - - n - 2 smtp"] where chance(70) {
                text += service + newline()
                for _ in 0..<Int.random(in: 0...4, using: &random) {
                    let name = pick(PostconfFuzzTests.names)
                    let plain = PostconfFuzzTests.targets.contains(name) && !chance(3)
                    let value = word(references: !plain)
                    text += pick(["  ", "\t", "    "]) + pick(["-o \(name)=\(value)", "-o { \(name) = \(value) \(word(references: !plain)) }", "-o{\(name)=\(value)}"]) + newline()
                    if chance(15) { text += pick(["# c", "", "  # c"]) + newline() }
                }
            }
            return text
        }
    }

    @Test(arguments: 0..<8)
    func randomConfigurationsReadLikePostconf(_ batch: Int) throws {
        var generator = Generator(random: SeededGenerator(seed: 0xF0CC_0000 + UInt64(batch)))
        var refused = 0
        defer { #expect(refused < 6, "most random files should be valid, or the comparison tests little") }
        for round in 0..<12 {
            let main = generator.mainCF(), master = generator.masterCF()
            let label = "batch \(batch) round \(round):\n\(main)\n---\n\(master)"
            let directory = try TemporaryConfigDirectory(main: main, master: master)
            guard let plain = try RealPostconf.run(["-c", directory.path, "-n"]),
                  let expanded = try RealPostconf.run(["-c", directory.path, "-nx"]),
                  let services = try RealPostconf.run(["-c", directory.path, "-P"]) else { return }
            let config = PostfixConfiguration(directory: directory.path, main: MainCF(text: main), master: MasterCF(text: master), defaults: TestDefaults.shared)
            let findings = Linter(rules: [ParseRule(), ExpansionRule()]).run(LintContext(configuration: config))
            let critical = findings.filter { $0.severity == .critical }
            if !plain.succeeded || !expanded.succeeded {
                refused += 1
                #expect(!critical.isEmpty, "postconf refused the file but postls found nothing critical: \(plain.stderr)\(expanded.stderr)\n\(label)")
                continue
            }
            #expect(!critical.contains { $0.id == "malformed_line" }, "postls calls a line malformed that postconf accepts\n\(label)")
            for (name, value) in RealPostconf.parse(plain.stdout) {
                #expect(config.raw(name).map { normalizePostconfWhitespace($0.value) } == value, "value of \(name)\n\(label)")
            }
            for (name, value) in RealPostconf.parse(expanded.stdout) {
                let ours = config.displayExpanded(name)
                #expect(ours.map { normalizePostconfWhitespace($0.value) } == value, "expanded \(name)\n\(label)")
                #expect(ours?.hasError == false, "postls reports an expansion error for \(name) that postconf expands\n\(label)")
            }
            if services.succeeded {
                var ours: [String: String] = [:]
                for service in config.master.services {
                    for (name, value) in service.parameters { ours["\(service.qualifiedName)/\(name)"] = normalizePostconfWhitespace(value) }
                }
                #expect(ours == RealPostconf.parse(services.stdout), "postconf -P\n\(label)")
            }
        }
    }
}
