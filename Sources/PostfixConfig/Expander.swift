/// Expands `$name`, `${name}`, `$(name)`, `${name?text}`, `${name:text}`, `${name?{a}:{b}}`,
/// `${{a} == {b} ? {c} : {d}}` (and `!=`, `<`, `<=`, `>=`, `>`, with a `level` suffix for compatibility levels) and `$$` the way Postfix's mac_expand() does with recursion,
/// but detects reference loops and runaway growth instead of hanging.
public struct Expander: Sendable {
    /// A problem met while expanding. Postfix's `postconf -x` stops with "macro processing error" on `.syntax` and `.loop`.
    public enum Issue: Sendable, Equatable, CustomStringConvertible {
        case undefined(String)
        case syntax(String)
        case loop([String])
        case tooLarge

        public var description: String {
            switch self {
            case .undefined(let name): return "undefined parameter: $\(name)"
            case .syntax(let text): return text
            case .loop(let chain): return "parameter reference loop: " + chain.map { "$" + $0 }.joined(separator: " -> ")
            case .tooLarge: return "expansion grows beyond 1 MB or 200,000 references (reference explosion)"
            }
        }
        public var isError: Bool { if case .undefined = self { return false } else { return true } }
    }

    public struct Result: Sendable, Equatable {
        public var value: String
        public var issues: [Issue]
        public var hasError: Bool { issues.contains { $0.isError } }
    }

    /// Returns a parameter's raw value, or nil when it is not defined anywhere.
    public typealias Lookup = (String) -> String?

    /// A finished expansion of one parameter's raw value, reusable wherever `$name` appears in the same
    /// name space. `steps` and `depth` let a reuse fail exactly where expanding in place would.
    public struct Memo: Sendable {
        public let result: Result
        let steps: Int
        let depth: Int
    }

    /// Largest output before expansion gives up.
    public var maximumBytes = 1 << 20

    public init() {}

    public func expand(_ text: String, lookup: @escaping Lookup) -> Result {
        var context = Context(lookup: lookup, maximumBytes: maximumBytes)
        _ = context.parse(Array(text.utf8))
        return Result(value: String(decoding: context.output, as: UTF8.self), issues: context.issues)
    }

    /// Like `expand`, but a plain `$name` reference takes `resolve(name)`'s finished expansion when
    /// that gives the same bytes and issues as expanding in place: without errors, and within the nesting,
    /// step and size limits from where it is used. Otherwise the reference is expanded in place, so the
    /// result (errors included) is always the same as `expand`'s; memoizing makes each parameter cost one
    /// expansion instead of one per reference.
    func memoizedExpansion(_ text: String, scope: MemoScope, depth: Int) -> Memo {
        if !text.utf8.contains(dollar) && text.utf8.count <= maximumBytes {
            return Memo(result: Result(value: text, issues: []), steps: 0, depth: 0)
        }
        var context = Context(lookup: nil, maximumBytes: maximumBytes)
        context.scope = scope
        context.scopeDepth = depth
        context.output.reserveCapacity(text.utf8.count + 64)
        _ = context.parse(text)
        return Memo(result: Result(value: String(decoding: context.output, as: UTF8.self), issues: context.issues),
                    steps: context.steps, depth: context.maxLevel)
    }

    /// Names referenced by `text` (including inside conditionals), without expanding anything.
    public func references(in text: String) -> [String] {
        var names: [String] = []
        var context = Context(lookup: { name in names.append(name); return nil }, maximumBytes: maximumBytes)
        context.scanOnly = true
        _ = context.parse(Array(text.utf8))
        return names
    }
}

/// A name space whose expansions are memoized (main.cf's global one): raw values, and the memo of a
/// name at a depth of the memo chain (nil: expand it in place).
protocol MemoScope: AnyObject {
    func rawValue(_ name: String) -> String?
    func memo(_ name: String, depth: Int) -> Expander.Memo?
}

private let dollar = UInt8(ascii: "$"), openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
private let openParen = UInt8(ascii: "("), closeParen = UInt8(ascii: ")")

@inline(__always) private func isMacroWhitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
@inline(__always) private func isAlphanumeric(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
}

/// mac_exp_eval(): numbers when both operands are non-empty digit strings, else strcmp(); -1, 0 or 1.
private func compareOperands(_ a: [UInt8], _ b: [UInt8]) -> Int {
    func digits(_ x: [UInt8]) -> Bool { !x.isEmpty && x.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
    if digits(a) && digits(b) {
        // Compared without converting, so no digit string overflows: fewer significant digits is smaller.
        let x = Array(a.drop { $0 == 0x30 }), y = Array(b.drop { $0 == 0x30 })
        if x.count != y.count { return x.count < y.count ? -1 : 1 }
        return x == y ? 0 : x.lexicographicallyPrecedes(y) ? -1 : 1
    }
    return a == b ? 0 : a.lexicographicallyPrecedes(b) ? -1 : 1
}

/// compat_level_from_string(): `major[.minor[.patch]]`, each a decimal number (minor and patch below 1024);
/// nil for anything else, which Postfix reports as "malformed compatibility level syntax".
private func compatibilityLevel(_ text: [UInt8]) -> [Int]? {
    let parts = text.split(separator: 0x2E, omittingEmptySubsequences: false)
    guard (1...3).contains(parts.count) else { return nil }
    var numbers: [Int] = []
    for (index, part) in parts.enumerated() {
        // strtol accepts leading blanks and a sign; levels are written plainly, and the rest is refused.
        guard !part.isEmpty, part.count <= 18, part.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let number = Int(String(decoding: part, as: UTF8.self)), index == 0 || number <= 0x3ff else { return nil }
        numbers.append(number)
    }
    while numbers.count < 3 { numbers.append(0) }
    return numbers
}

@inline(__always) private func isNameByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
}

private struct Context {
    let lookup: Expander.Lookup?
    let maximumBytes: Int
    var output: [UInt8] = []
    var issues: [Expander.Issue] = []
    var active: [String] = []   // names being expanded, to detect loops
    var level = 0
    /// Deepest `level` reached, the nesting a memo of this expansion adds where it is reused.
    var maxLevel = 0
    var steps = 0
    /// With a scope, names are looked up there and plain references reuse its memos.
    unowned(unsafe) var scope: MemoScope? = nil
    var scopeDepth = 0
    var failed = false
    var scanOnly = false

    init(lookup: Expander.Lookup?, maximumBytes: Int) {
        self.lookup = lookup
        self.maximumBytes = maximumBytes
    }

    mutating func fail(_ issue: Expander.Issue) {
        if !failed { issues.append(issue) }
        failed = true
    }

    func lookupRaw(_ name: String) -> String? {
        if let scope { return scope.rawValue(name) }
        return lookup?(name)
    }

    mutating func parse(_ text: [UInt8]) -> Bool {
        text.withUnsafeBufferPointer { parse($0) }
    }

    /// Parses a string's UTF-8 in place (no copy into an array).
    mutating func parse(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { parse($0) }
    }

    /// mac_parse(): split into literal text and `$` references. Literal runs are copied whole.
    mutating func parse(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var cursor = 0
        var literalStart = 0
        let end = text.count
        while cursor < end && !failed {
            if text[cursor] != dollar { cursor += 1; continue }
            if cursor + 1 < end && text[cursor + 1] == dollar {
                // `$$` is one literal `$`.
                emit(text[literalStart...cursor]); cursor += 2; literalStart = cursor
                continue
            }
            emit(text[literalStart..<cursor])
            if failed { return false }
            cursor += 1
            let name: Slice<UnsafeBufferPointer<UInt8>>
            var plain: Bool
            if cursor < end && (text[cursor] == openBrace || text[cursor] == openParen) {
                let open = text[cursor], close = open == openBrace ? closeBrace : closeParen
                var depth = 1
                var scan = cursor + 1
                while depth > 0 {
                    if scan >= end {
                        fail(.syntax("truncated macro reference: \"\(String(decoding: text, as: UTF8.self))\""))
                        return false
                    }
                    if text[scan] == open { depth += 1 }
                    if text[scan] == close { depth -= 1 }
                    scan += 1
                }
                name = text[(cursor + 1)..<(scan - 1)]
                cursor = scan
                plain = name.allSatisfy(isNameByte)
            } else {
                let start = cursor
                while cursor < end && isNameByte(text[cursor]) { cursor += 1 }
                name = text[start..<cursor]
                plain = true
            }
            literalStart = cursor
            if name.isEmpty {
                fail(.syntax("empty macro name: \"\(String(decoding: text, as: UTF8.self))\""))
                return false
            }
            if plain { plainReference(String(decoding: name, as: UTF8.self)) } else { expression(Array(name)) }
        }
        if !failed { emit(text[literalStart..<end]) }
        return !failed
    }

    mutating func emit<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        guard !scanOnly, !bytes.isEmpty else { return }
        if output.count + bytes.count > maximumBytes { fail(.tooLarge); return }
        output.append(contentsOf: bytes)
    }

    /// Counts one macro call; false (after recording why) when expansion must stop.
    mutating func enter(_ text: @autoclosure () -> String) -> Bool {
        level += 1
        steps += 1
        maxLevel = max(maxLevel, level)
        // Guards against reference explosions ($a = $b$b, $b = $c$c, ...) that create no output.
        if steps > 200_000 { fail(.tooLarge); return false }
        if level > 100 { fail(.syntax("unreasonable macro call nesting: \"\(text())\"")); return false }
        return true
    }

    /// `$name` or `${name}`: the parameter's value, expanded recursively.
    mutating func plainReference(_ name: String) {
        defer { level -= 1 }
        guard enter(name) else { return }
        if reuseMemo(name) { return }
        guard let value = lookupRaw(name) else { issues.append(.undefined(name)); return }
        if value.isEmpty || scanOnly { return }
        guard beginNested(name) else { return }
        _ = parse(value)
        active.removeLast()
    }

    /// Marks `name` as being expanded; false, and the expansion failed, when it already is: a reference loop,
    /// fatal for postconf.
    private mutating func beginNested(_ name: String) -> Bool {
        if let loopStart = active.firstIndex(of: name) {
            fail(.loop(Array(active[loopStart...]) + [name]))
            return false
        }
        active.append(name)
        return true
    }

    /// Skips whitespace; returns the index of a `{` there, or nil.
    func leftCurly(_ text: [UInt8], _ from: Int) -> Int? {
        var cursor = from
        while cursor < text.count && isMacroWhitespace(text[cursor]) { cursor += 1 }
        return cursor < text.count && text[cursor] == openBrace ? cursor : nil
    }

    /// Balanced `{}` payload starting at `at` (a `{`); returns payload and the index after trailing whitespace.
    mutating func curlyPayload(_ text: [UInt8], _ at: Int) -> (payload: [UInt8], next: Int)? {
        var depth = 1
        var cursor = at + 1
        while true {
            if cursor >= text.count {
                fail(.syntax("unbalanced {} in attribute expression: \"\(String(decoding: text[at...], as: UTF8.self))\""))
                return nil
            }
            if text[cursor] == openBrace { depth += 1 }
            else if text[cursor] == closeBrace { depth -= 1; if depth == 0 { break } }
            cursor += 1
        }
        let payload = Array(text[(at + 1)..<cursor])
        cursor += 1
        while cursor < text.count && isMacroWhitespace(text[cursor]) { cursor += 1 }
        return (payload, cursor)
    }

    /// Expands `text` into a separate buffer (for logical operands).
    mutating func expandSeparately(_ text: [UInt8]) -> [UInt8] {
        let saved = output
        output = []
        _ = parse(text)
        let result = output
        output = saved
        return result
    }

    /// mac_expand_callback() for one `$name` / `${...}` expression.
    mutating func expression(_ text: [UInt8]) {
        defer { level -= 1 }
        guard enter(String(decoding: text, as: UTF8.self)) else { return }
        var cursor = 0
        var value: [UInt8]? = nil
        var name: String? = nil
        var operatorByte: UInt8 = 0
        if let curly = leftCurly(text, 0) {
            guard let relational = relational(text, curly) else { return }
            (value, cursor, operatorByte) = (relational.value, relational.next, relational.operatorByte)
        } else {
            while cursor < text.count {
                let byte = text[cursor]
                if byte == UInt8(ascii: "?") || byte == UInt8(ascii: ":") { operatorByte = byte; break }
                if !isNameByte(byte) {
                    fail(.syntax("attribute name syntax error at: \"...\(String(decoding: text[..<cursor], as: UTF8.self))>>>\(String(decoding: text[cursor...].prefix(20), as: UTF8.self))\""))
                    return
                }
                cursor += 1
            }
            let parameter = String(decoding: text[..<cursor], as: UTF8.self)
            name = parameter
            if operatorByte == 0, reuseMemo(parameter) { return }
            if operatorByte != 0 { cursor += 1 }
            value = lookupRaw(parameter).map { Array($0.utf8) }
        }
        let isSet = !(value?.isEmpty ?? true)

        if operatorByte == UInt8(ascii: "?") {
            trueBranch(text, cursor, isSet)
            return
        }
        if operatorByte == UInt8(ascii: ":") {
            falseBranch(text, cursor, isSet)
            return
        }
        // Plain reference.
        guard let value else {
            if let name { issues.append(.undefined(name)) }
            return
        }
        if value.isEmpty || scanOnly { return }
        if let name {
            guard beginNested(name) else { return }
            _ = parse(value)
            active.removeLast()
        } else {
            emit(value[...])
        }
    }

    /// Relational expression (mac_expand.c): {a} OP {b} with OP one of == != < <= >= >, compared as
    /// numbers when both sides are all digits, else as strings; OPlevel compares compatibility levels
    /// (compat_level.c, which postconf registers): `${{$compatibility_level} <level {2} ? ...}`.
    /// Its value ("true" or empty), where the text goes on, and the `?` or `:` after it (0 at the end); nil after a failure.
    mutating func relational(_ text: [UInt8], _ curly: Int) -> (value: [UInt8], next: Int, operatorByte: UInt8)? {
        guard let left = curlyPayload(text, curly) else { return nil }
        var opEnd = left.next
        while opEnd < text.count, "<>!=?+-*/~&|%".utf8.contains(text[opEnd]) { opEnd += 1 }
        let op = String(decoding: text[left.next..<opEnd], as: UTF8.self)
        guard ["==", "!=", "<", "<=", ">=", ">"].contains(op) else {
            fail(.syntax("\"==\" or \"!=\" or \"<\" or \"<=\" or \">=\" or \">\" expected at: \"...\(String(decoding: left.payload, as: UTF8.self))}>>>\(String(decoding: text[left.next...].prefix(20), as: UTF8.self))\""))
            return nil
        }
        var suffixEnd = opEnd
        while suffixEnd < text.count, isAlphanumeric(text[suffixEnd]) { suffixEnd += 1 }
        let suffix = String(decoding: text[opEnd..<suffixEnd], as: UTF8.self)
        guard suffix.isEmpty || suffix == "level" else {
            fail(.syntax("bad operator suffix at: \"...\(op)>>>\(suffix)\""))
            return nil
        }
        guard let rightCurly = leftCurly(text, suffixEnd), let right = curlyPayload(text, rightCurly) else {
            if !failed { fail(.syntax("\"{expression}\" expected after \(op)\(suffix)")) }
            return nil
        }
        let a = expandSeparately(left.payload), b = expandSeparately(right.payload)
        if failed { return nil }
        guard let holds = compare(a, op, b, levels: suffix == "level") else { return nil }
        var cursor = right.next
        var operatorByte: UInt8 = 0
        if cursor < text.count {
            operatorByte = text[cursor]
            guard operatorByte == UInt8(ascii: "?") || operatorByte == UInt8(ascii: ":") else {
                fail(.syntax("\"?\" or \":\" expected at: \"...}>>>\(String(decoding: text[cursor...].prefix(20), as: UTF8.self))\""))
                return nil
            }
            cursor += 1
        }
        return (holds ? Array("true".utf8) : [], cursor, operatorByte)
    }

    /// Whether `a op b` holds, comparing compatibility levels when `levels`; nil after a failure.
    mutating func compare(_ a: [UInt8], _ op: String, _ b: [UInt8], levels: Bool) -> Bool? {
        let order: Int
        if levels {
            guard let x = compatibilityLevel(a), let y = compatibilityLevel(b) else {
                fail(.syntax("malformed compatibility level syntax: \"\(String(decoding: compatibilityLevel(a) == nil ? a : b, as: UTF8.self))\""))
                return nil
            }
            order = x == y ? 0 : x.lexicographicallyPrecedes(y) ? -1 : 1
        } else {
            order = compareOperands(a, b)
        }
        switch op {
        case "==": return order == 0
        case "!=": return order != 0
        case "<": return order < 0
        case "<=": return order <= 0
        case ">=": return order >= 0
        default: return order > 0
        }
    }

    /// `?{true}:{false}` or `?true` from `cursor` on: the true text when set (or when only scanning), then the false branch.
    mutating func trueBranch(_ text: [UInt8], _ start: Int, _ isSet: Bool) {
        guard let taken = branch(text, start) else { return }
        let (ifTrue, cursor) = taken
        if isSet || scanOnly { _ = parse(ifTrue) }
        if failed || cursor >= text.count { return }
        guard text[cursor] == UInt8(ascii: ":") else {
            fail(.syntax("\":\" expected at: \"...\(String(decoding: ifTrue, as: UTF8.self))}>>>\(String(decoding: text[cursor...].prefix(20), as: UTF8.self))\""))
            return
        }
        falseBranch(text, cursor + 1, isSet)
    }

    /// Emits a memoized expansion of `$name` when reusing it is indistinguishable from expanding in place
    /// (see `Expander.memoizedExpansion`). A name already being expanded is a loop: in place reports it.
    mutating func reuseMemo(_ name: String) -> Bool {
        guard !scanOnly, let scope, !active.contains(name), let memo = scope.memo(name, depth: scopeDepth + 1), !memo.result.hasError,
              level + memo.depth <= 100, steps + memo.steps <= 200_000, output.count + memo.result.value.utf8.count <= maximumBytes
        else { return false }
        steps += memo.steps
        maxLevel = max(maxLevel, level + memo.depth)
        output.append(contentsOf: memo.result.value.utf8)
        issues.append(contentsOf: memo.result.issues)
        return true
    }

    /// A branch's text from `start`: `{...}` (and where the text goes on after it) or the rest of the text.
    mutating func branch(_ text: [UInt8], _ start: Int) -> (text: [UInt8], next: Int)? {
        if let curly = leftCurly(text, start) {
            guard let payload = curlyPayload(text, curly) else { return nil }
            return (payload.payload, payload.next)
        }
        return (Array(text[start...]), text.count)
    }

    mutating func falseBranch(_ text: [UInt8], _ from: Int, _ isSet: Bool) {
        guard let taken = branch(text, from) else { return }
        let (ifFalse, cursor) = taken
        if !isSet || scanOnly { _ = parse(ifFalse) }
        if failed { return }
        if cursor < text.count {
            fail(.syntax("unexpected input at: \"...\(String(decoding: ifFalse, as: UTF8.self))}>>>\(String(decoding: text[cursor...].prefix(20), as: UTF8.self))\""))
        }
    }
}
