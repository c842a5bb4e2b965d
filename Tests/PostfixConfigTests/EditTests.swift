import Foundation
import Testing
@testable import PostfixConfig

@Suite struct MainCFEditTests {
    @Test func setRewritesOnlyTheEffectiveSettingAndKeepsItsSpacing() throws {
        let text = "# head\nmyhostname   = old.example   \nsmtpd_tls_security_level = none\n# tail\n"
        let edited = try MainCF(text: text).applying(.setMain(name: "smtpd_tls_security_level", value: "may"))
        #expect(String(decoding: edited.render(), as: UTF8.self) == "# head\nmyhostname   = old.example   \nsmtpd_tls_security_level = may\n# tail\n")
        let spaced = try MainCF(text: text).applying(.setMain(name: "myhostname", value: "new.example"))
        #expect(String(decoding: spaced.render(), as: UTF8.self).contains("myhostname   = new.example\n"))
    }

    @Test func setCollapsesContinuationLinesButKeepsInterleavedComments() throws {
        let text = "a = 1\nlist = x,\n# keep me\n    y,\n    z\nb = 2\n"
        let edited = try MainCF(text: text).applying(.setMain(name: "list", value: "q"))
        #expect(String(decoding: edited.render(), as: UTF8.self) == "a = 1\nlist = q\n# keep me\nb = 2\n")
        #expect(edited.entry("list")?.rawValue == "q")
    }

    @Test func setOnADuplicateChangesTheLastOne() throws {
        let edited = try MainCF(text: "x = 1\nx = 2\n").applying(.setMain(name: "x", value: "3"))
        #expect(String(decoding: edited.render(), as: UTF8.self) == "x = 1\nx = 3\n")
    }

    @Test func setAppendsWhenAbsentEvenWithoutAFinalNewline() throws {
        let edited = try MainCF(text: "a = 1").applying(.setMain(name: "b", value: "2"))
        #expect(String(decoding: edited.render(), as: UTF8.self) == "a = 1\nb = 2\n")
    }

    @Test func removeDeletesEveryOccurrenceSoNoEarlierOneTakesOver() throws {
        let edited = try MainCF(text: "x = 1\ny = 0\nx = 2\n  continued\n").applying(.removeMain(name: "x"))
        #expect(String(decoding: edited.render(), as: UTF8.self) == "y = 0\n")
        #expect(throws: ConfigError.self) { try MainCF(text: "y = 0\n").applying(.removeMain(name: "x")) }
    }

    @Test func commentOutKeepsTheTextVisible() throws {
        let edited = try MainCF(text: "smtpd_use_tls = yes\n  # note\nother = 1\n").applying(.commentOutMain(name: "smtpd_use_tls"))
        #expect(String(decoding: edited.render(), as: UTF8.self) == "#smtpd_use_tls = yes\n  # note\nother = 1\n")
        #expect(edited.entry("smtpd_use_tls") == nil)
    }

    @Test func valuesWithLineBreaksAreRefused() {
        #expect(throws: ConfigError.self) { try MainCF(text: "").applying(.setMain(name: "a", value: "1\nb = 2")) }
        #expect(throws: ConfigError.self) { try MainCF(text: "").applying(.setMain(name: "bad name", value: "1")) }
    }

    /// Every edit on every corpus file leaves all lines it does not touch byte-identical.
    @Test(arguments: Corpus.cases)
    func editsKeepEveryUntouchedByte(_ corpus: String) throws {
        let original = MainCF(bytes: try Corpus.bytes(corpus, "main.cf"))
        for entry in original.entries {
            let edited = try original.applying(.setMain(name: entry.name, value: "changed"))
            let touched = Set(original.allEntries(entry.name).last.map(\.lineIndices) ?? [])
            let kept = original.lines.indices.filter { !touched.contains($0) }.map { Array(original.lineBytes($0)) }
            let remaining = edited.lines.indices.map { Array(edited.lineBytes($0)) }
            // The untouched lines appear in order in the result.
            var cursor = 0
            for line in remaining where cursor < kept.count && line == kept[cursor] { cursor += 1 }
            #expect(cursor == kept.count, "\(corpus): setting \(entry.name) disturbed other lines")
            #expect(edited.entry(entry.name)?.rawValue == "changed")
            #expect(edited.entries.count == original.entries.count)
        }
    }
}

@Suite struct MasterCFEditTests {
    let text = """
        smtp      inet  n       -       y       -       -       smtpd
        submission inet n       -       y       -       -       smtpd
          -o syslog_name=postfix/submission
          -o { smtpd_tls_security_level = encrypt }
        relay     unix  -       -       y       -       -       smtp -o a_x=1 -o b_y=2
        maildrop  unix  -       n       n       -       -       pipe flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}

        """

    func render(_ doc: MasterCF) -> String { String(decoding: doc.render(), as: UTF8.self) }

    @Test func setReplacesAnExistingOverrideInPlace() throws {
        let edited = try MasterCF(text: text).applying(.setOverride(service: "submission", type: "inet", name: "smtpd_tls_security_level", value: "may"))
        #expect(render(edited) == text.replacingOccurrences(of: "-o { smtpd_tls_security_level = encrypt }", with: "-o smtpd_tls_security_level=may"))
    }

    @Test func setAddsANewLineAfterTheLastOption() throws {
        let edited = try MasterCF(text: text).applying(.setOverride(service: "smtp", type: "inet", name: "smtpd_tls_security_level", value: "may"))
        #expect(render(edited).hasPrefix("smtp      inet  n       -       y       -       -       smtpd\n  -o smtpd_tls_security_level=may\nsubmission"))
        let second = try MasterCF(text: text).applying(.setOverride(service: "submission", type: "inet", name: "smtpd_tls_auth_only", value: "yes"))
        #expect(render(second).contains("  -o { smtpd_tls_security_level = encrypt }\n  -o smtpd_tls_auth_only=yes\nrelay"))
        #expect(second.service(named: "submission")?.parameters["smtpd_tls_auth_only"] == "yes")
    }

    @Test func setGoesBeforeCommandArgumentsAndUsesBracesForSpaces() throws {
        let edited = try MasterCF(text: text).applying(.setOverride(service: "maildrop", type: "unix", name: "x_y", value: "a b"))
        #expect(render(edited).contains("pipe -o { x_y = a b } flags=DRXhu"))
        #expect(edited.service(named: "maildrop", type: "unix")?.parameters["x_y"] == "a b")
    }

    @Test func removeDropsTheOptionAndItsLineWhenAlone() throws {
        let alone = try MasterCF(text: text).applying(.removeOverride(service: "submission", type: "inet", name: "syslog_name"))
        #expect(render(alone) == text.replacingOccurrences(of: "  -o syslog_name=postfix/submission\n", with: ""))
        let inline = try MasterCF(text: text).applying(.removeOverride(service: "relay", type: "unix", name: "a_x"))
        #expect(render(inline).contains("smtp -o b_y=2\n"))
        #expect(throws: ConfigError.self) { try MasterCF(text: text).applying(.removeOverride(service: "nope", type: "inet", name: "a")) }
    }

    @Test func diffShowsOnlyTheChange() throws {
        let original = MasterCF(text: text)
        let edited = try original.applying(.setOverride(service: "smtp", type: "inet", name: "smtpd_tls_security_level", value: "may"))
        let diff = UnifiedDiff.make(original.bytes, edited.bytes, name: "master.cf")
        #expect(diff == """
            --- a/master.cf
            +++ b/master.cf
            @@ -1,4 +1,5 @@
             smtp      inet  n       -       y       -       -       smtpd
            +  -o smtpd_tls_security_level=may
             submission inet n       -       y       -       -       smtpd
               -o syslog_name=postfix/submission
               -o { smtpd_tls_security_level = encrypt }

            """)
        #expect(UnifiedDiff.make(original.bytes, original.bytes, name: "master.cf").isEmpty)
    }
}
