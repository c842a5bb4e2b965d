import Testing
@testable import PostfixConfig

@Suite struct ExpanderTests {
    let table: [String: String] = [
        "myhostname": "mx.example.org", "empty": "", "list": "$myhostname, localhost",
        "a": "$b", "b": "$c", "c": "$a", "self": "x $self", "dollar": "$$HOME",
        "two": "2", "zero": "0",
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
        // Relational operators (Postfix 3.6+), results as postconf -x gives them: numbers when both sides are
        // digits, else strcmp; the `level` suffix compares compatibility levels.
        ("${{10} < {9}?{lt}:{ge}}", "ge"),
        ("${{abc} < {abd}?{lt}:{ge}}", "lt"),
        ("${{} < {a}?{lt}:{ge}}", "lt"),
        ("${{007} == {7}?{eq}:{ne}}", "eq"),
        ("${{1} <= {1}?{le}:{gt}}", "le"),
        ("${{b} > {a}?{gt}:{le}}", "gt"),
        ("${{3.6} <level {3.10}?{lt}:{ge}}", "lt"),
        ("${{3.10} >=level {3.6.1}?{ge}:{lt}}", "ge"),
        ("${{2} ==level {2.0.0}?{eq}:{ne}}", "eq"),
        ("${{$two} <level {2} ? {subnet} : {host}}", "host"),
        ("${{$zero} <level {2} ? {subnet} : {host}}", "subnet"),
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

    @Test(arguments: ["${unterminated", "$", "a $ b", "${bad-name}", "${myhostname?{x}junk}", "${{a} <> {b}}",
                      "${{3.x} <level {4}?{lt}:{ge}}", "${{1} <foo {2}?{a}:{b}}", "${{1} =~ {2}?{a}:{b}}", "${{$empty} <level {2}?{a}:{b}}"])
    func syntaxErrorsAreReported(_ input: String) {
        #expect(expand(input).hasError)
    }

    @Test func referencesListsNamesInAllBranches() {
        #expect(Expander().references(in: "${a?{$b}:{$c}} $d $$e") == ["a", "b", "c", "d"])
    }
}
