import PostfixConfig
import Testing

/// The one parser of Postfix versions, used by lint, setup and the diagnosis.
struct PostfixVersionTests {
    @Test(arguments: [("3.7.11", [3, 7, 11]), ("3.10-20250117", [3, 10]), ("2.11.3", [2, 11, 3]), ("3.4", [3, 4]), (" 3.8.6\n", [3, 8, 6])])
    func mailVersionTextsParseToTheirNumbers(_ text: String, _ components: [Int]) throws {
        #expect(try #require(PostfixVersion(text)).components == components)
    }

    @Test(arguments: ["", "3", "unknown", "x.y"])
    func aTextWithoutMajorAndMinorIsNoVersion(_ text: String) {
        #expect(PostfixVersion(text) == nil)
    }

    @Test func versionsOrderNumericallyAndAMissingPatchIsZero() throws {
        let v = { (text: String) in try #require(PostfixVersion(text)) }
        #expect(try v("3.10.0") > v("3.9.9"))
        #expect(try v("3.7.4") > v("3.7.3"))
        #expect(try v("3.4") == v("3.4.0"))
        #expect(try Set([v("3.4"), v("3.4.0")]).count == 1)
        #expect(try v("2.11") < PostfixVersion(3, 0))
        #expect(try !(v("3.6") < PostfixVersion(3, 6)))
    }
}
