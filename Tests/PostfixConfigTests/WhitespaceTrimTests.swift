import Foundation
import Testing
@testable import PostfixConfig

/// The Dovecot reader's fast trim agrees with Foundation's `trimmingCharacters(in: .whitespaces)`.
@Suite struct WhitespaceTrimTests {
    @Test(arguments: ["", " ", "\t \t", "a", " a ", "\tssl = yes\t ", "a\r", " a b ", "\u{00A0}x\u{3000}", " \u{2003}é ", "é", " \u{00A0} "])
    func fastTrimMatchesFoundation(text: String) {
        #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespaces))
        let padded = "#" + text + "#"
        let inner = padded.dropFirst().dropLast()
        #expect(inner.trimmingWhitespace() == inner.trimmingCharacters(in: .whitespaces))
    }
}
