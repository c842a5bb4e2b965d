import Testing
@testable import PostfixConfig

@Suite struct ExpanderTests {
    let table: [String: String] = [
        "myhostname": "mx.example.org", "empty": "", "list": "$myhostname, localhost",
        "a": "$b", "b": "$c", "c": "$a", "self": "x $self", "dollar": "$$HOME",
    ]

    func expand(_ text: String) -> Expander.Result {
        let table = self.table
        return Expander().expand(text) { table[$0] }
    }

    @Test(arguments: [
        ("$myhostname", "mx.example.org"),
        ("${myhostname}", "mx.example.org"),
        ("$(myhostname)", "mx.example.org"),
        ("<$myhostname>", "<mx.example.org>"),
        ("$list", "mx.example.org, localhost"),
        ("$$myhostname", "$myhostname"),
        ("$dollar", "$HOME"),
        ("${myhostname?yes}", "yes"),
        ("${empty?yes}", ""),
        ("${missing?yes}", ""),
        ("${myhostname:no}", ""),
        ("${empty:no}", "no"),
        ("${missing:no $myhostname}", "no mx.example.org"),
        ("${myhostname?{set}:{unset}}", "set"),
        ("${empty?{set}:{unset}}", "unset"),
        ("${myhostname ? {A B} : {C}}".replacingOccurrences(of: "myhostname ", with: "myhostname"), "A B"),
        ("${myhostname?a:b}", "a:b"),
        ("${{$myhostname} == {mx.example.org}?{eq}:{ne}}", "eq"),
        ("${{$myhostname} != {mx.example.org}?{ne}:{eq}}", "eq"),
        ("${{a}=={b}}", ""),
    ])
    func expandsLikePostfix(_ input: String, _ expected: String) {
        let result = expand(input)
        #expect(result.value == expected)
        #expect(!result.hasError)
    }

    @Test func referenceLoopIsAnErrorNotAHang() {
        let result = expand("$a")
        #expect(result.hasError)
        #expect(result.issues.contains(.loop(["a", "b", "c", "a"])))
        #expect(expand("$self").issues.contains(.loop(["self", "self"])))
    }

    @Test func referenceExplosionStopsWithAnError() {
        var table: [String: String] = [:]
        for level in 0..<40 { table["p\(level)"] = "$p\(level + 1)$p\(level + 1)" }
        table["p40"] = "x"
        let result = Expander().expand("$p0") { table[$0] }
        #expect(result.issues.contains(.tooLarge))
        table["p40"] = ""
        #expect(Expander().expand("$p0") { table[$0] }.issues.contains(.tooLarge))
    }

    @Test func undefinedNamesExpandToNothingAndAreReported() {
        let result = expand("a${nothing}b")
        #expect(result.value == "ab")
        #expect(result.issues == [.undefined("nothing")])
        #expect(!result.hasError)
    }

    @Test(arguments: ["${unterminated", "$", "a $ b", "${bad-name}", "${myhostname?{x}junk}", "${{a} <> {b}}"])
    func syntaxErrorsAreReported(_ input: String) {
        #expect(expand(input).hasError)
    }

    @Test func referencesListsNamesInAllBranches() {
        #expect(Expander().references(in: "${a?{$b}:{$c}} $d $$e") == ["a", "b", "c", "d"])
    }
}
