import Foundation
import Testing
@testable import PostfixConfig

@Suite struct MainCFParsingTests {
    @Test func continuationJoinsLinesAcrossBlankAndCommentLines() {
        let doc = MainCF(text: "a = one  \n  two\n# column-1 comment\n\n   three\n    # indented comment\n\tfour\nb = x\n")
        #expect(doc.entries.map(\.name) == ["a", "b"])
        // Postfix concatenates without a separator and keeps the continuation's leading blanks.
        #expect(doc.entry("a")?.rawValue == "one    two   three\tfour")
        #expect(doc.entry("a")?.value == "one two three four")
        #expect(doc.entry("a")?.line == 1)
        #expect(doc.entry("a")?.lastLine == 7)
        #expect(doc.entry("a")?.lineIndices == [0, 1, 4, 6])
        #expect(doc.entry("b")?.line == 8)
    }

    @Test func anySpacingAroundEqualsAndTrailingWhitespaceIsTrimmed() {
        let doc = MainCF(text: "a=1\nb   =   2   \nc\t=\t3\t\r\nd =\ne=   \n")
        #expect(doc.entries.map(\.rawValue) == ["1", "2", "3", "", ""])
    }

    @Test func duplicatesKeepAllEntriesAndTheLastWins() {
        let doc = MainCF(text: "x = 1\ny = 2\nx = 3\n")
        #expect(doc.entry("x")?.rawValue == "3")
        #expect(doc.entry("x")?.line == 3)
        #expect(doc.allEntries("x").count == 2)
        #expect(doc.duplicates.map(\.name) == ["x"])
    }

    @Test func malformedAndOrphanLinesAreProblemsNotCrashes() {
        let doc = MainCF(text: "  orphan = 1\n   more\nbadline\n= novalue\ngood = yes\n")
        #expect(doc.entries.map(\.name) == ["good"])
        #expect(doc.problems.count == 3)
        #expect(doc.problems[0].kind == .orphanContinuation)
        #expect(doc.problems[1].kind == .malformed("missing '=' after attribute name"))
        #expect(doc.problems[1].line == 3)
        #expect(doc.problems[2].kind == .malformed("missing attribute name"))
    }

    @Test func inlineHashIsPartOfTheValue() {
        // Postfix has no trailing comments: "#" after text belongs to the value.
        #expect(MainCF(text: "a = b # c\n").entry("a")?.rawValue == "b # c")
    }

    @Test func missingFinalNewlineAndCRLFAreHandled() {
        let doc = MainCF(text: "a = 1\r\nb = 2")
        #expect(doc.entry("a")?.rawValue == "1")
        #expect(doc.entry("b")?.rawValue == "2")
        #expect(doc.render() == Array("a = 1\r\nb = 2".utf8))
    }

    @Test func nulByteEndsTheLogicalLineLikeACString() {
        let doc = MainCF(bytes: Array("a = b".utf8) + [0] + Array("junk\nc = d\n".utf8))
        #expect(doc.entry("a")?.rawValue == "b")
        #expect(doc.entry("c")?.rawValue == "d")
        #expect(doc.containsNUL)
    }

    @Test func invalidUTF8IsKeptByteForByte() {
        let bytes: [UInt8] = Array("a = caf".utf8) + [0xE9, 0xFF] + Array("\n".utf8)
        let doc = MainCF(bytes: bytes)
        #expect(doc.render() == bytes)
        #expect(doc.entry("a") != nil)
    }
}

@Suite struct MasterCFParsingTests {
    static let sample = """
        # comment
        smtp      inet  n       -       y       -       -       smtpd
        submission inet n       -       y       -       -       smtpd
          -o syslog_name=postfix/submission
        # a comment between options
          -o { smtpd_tls_security_level = encrypt }
          -o {smtpd_reject_footer = use   port 587}
          -osmtpd_sasl_auth_enable=yes
          -o smtpd_tls_auth_only=yes -v
        maildrop  unix  -       n       n       -       -       pipe
          flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient} -o not_an_override=1

        """

    @Test func servicesColumnsAndOverridesAreRead() throws {
        let doc = MasterCF(text: Self.sample)
        #expect(doc.services.map(\.qualifiedName) == ["smtp/inet", "submission/inet", "maildrop/unix"])
        let submission = try #require(doc.service(named: "submission"))
        #expect(submission.command == "smtpd")
        #expect(submission.chroot == "y")
        #expect(submission.overrides.map(\.name) == ["syslog_name", "smtpd_tls_security_level", "smtpd_reject_footer",
                                                     "smtpd_sasl_auth_enable", "smtpd_tls_auth_only"])
        #expect(submission.parameters["smtpd_tls_security_level"] == "encrypt")
        // Inside {} the whitespace of the value is kept; postconf -P prints it collapsed.
        #expect(submission.overrides[2].rawValue == "use   port 587")
        #expect(submission.overrides[2].value == "use port 587")
        #expect(submission.overrides[1].line == 6)
        // -o after a non-option argument is an argument of the command, not an override.
        #expect(doc.service(named: "maildrop", type: "unix")?.overrides.isEmpty == true)
    }

    @Test func overrideWithSpacesAroundEqualsEndsTheOptions() throws {
        // "-o name = value" is "-o name" (no '=') and "=" (a non-option): Postfix ignores both.
        let doc = MasterCF(text: "smtp inet n - n - - smtpd -o a_x = 1 -o b_y=2\n")
        #expect(try #require(doc.services.first).overrides.isEmpty)
    }

    @Test func optionGluedToAnInnerOSplitsLikePostfix() throws {
        // postconf splits "-oc_four=z" at the 'o' of "four": "-oc_f" "-our=z".
        let doc = MasterCF(text: "smtp inet n - n - - smtpd -oc_four=z\n")
        #expect(try #require(doc.services.first).overrides.map(\.name) == ["ur"])
    }

    @Test func badFieldCountIsAFatalProblem() {
        let doc = MasterCF(text: "smtp inet n - n smtpd\nfoo bogus n - n - - x\n")
        #expect(doc.services.isEmpty)
        #expect(doc.problems.count == 2)
        #expect(doc.problems.allSatisfy { $0.fatal })
    }
}
