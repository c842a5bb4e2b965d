import Foundation
import PostfixConfig
import Testing

/// docs/CAUSES.md names every finding id the linter can emit, under the cause it concludes, so a reader of
/// `postls config --json` finds what each `id` means.
@Suite("docs/CAUSES.md and the lint rules")
struct CauseDocumentTests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/CAUSES.md")

    @Test func everyLintFindingIdIsNamedInTheCauseList() throws {
        let text = try String(contentsOf: Self.document, encoding: .utf8)
        let ids = Set(Linter.standardRules.flatMap(\.ids))
        #expect(ids.count > 40)
        let missing = ids.filter { !text.contains("`\($0)`") }.sorted()
        #expect(missing.isEmpty, "docs/CAUSES.md does not name these finding ids: \(missing)")
    }
}
