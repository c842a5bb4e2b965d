/// A line-based unified diff (3 lines of context), enough to show an admin what an edit changes.
public enum UnifiedDiff {
    public static func make(_ old: [UInt8], _ new: [UInt8], name: String, context: Int = 3) -> String {
        if old == new { return "" }
        let a = splitLines(old), b = splitLines(new)
        // Edits are local: strip the common head and tail, then align the middle.
        var prefix = 0
        while prefix < a.count && prefix < b.count && a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix && suffix < b.count - prefix && a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let midA = Array(a[prefix..<(a.count - suffix)]), midB = Array(b[prefix..<(b.count - suffix)])
        var ops: [Op] = []
        for index in 0..<prefix { ops.append(.same(index, index)) }
        ops += align(midA, midB).map { op -> Op in
            switch op {
            case .same(let i, let j): return .same(i + prefix, j + prefix)
            case .delete(let i): return .delete(i + prefix)
            case .insert(let j): return .insert(j + prefix)
            }
        }
        for index in 0..<suffix { ops.append(.same(a.count - suffix + index, b.count - suffix + index)) }

        var out = "--- a/\(name)\n+++ b/\(name)\n"
        let changes = ops.indices.filter { if case .same = ops[$0] { return false } else { return true } }
        // Group changes closer than 2*context lines into one hunk.
        var groups: [(Int, Int)] = []
        for change in changes {
            if let last = groups.last, change - last.1 <= 2 * context { groups[groups.count - 1].1 = change }
            else { groups.append((change, change)) }
        }
        for (firstChange, lastChange) in groups {
            let hunk = ops[max(0, firstChange - context)..<min(ops.count, lastChange + context + 1)]
            var oldStart = 0, newStart = 0, oldCount = 0, newCount = 0
            var body = ""
            var first = true
            func note(_ line: Line) -> String { line.newline ? "" : "\\ No newline at end of file\n" }
            for op in hunk {
                switch op {
                case .same(let i, let j):
                    if first { oldStart = i + 1; newStart = j + 1; first = false }
                    oldCount += 1; newCount += 1; body += " " + a[i].text + "\n" + note(a[i])
                case .delete(let i):
                    if first { oldStart = i + 1; newStart = newIndexBefore(ops, op) + 1; first = false }
                    oldCount += 1; body += "-" + a[i].text + "\n" + note(a[i])
                case .insert(let j):
                    if first { oldStart = oldIndexBefore(ops, op) + 1; newStart = j + 1; first = false }
                    newCount += 1; body += "+" + b[j].text + "\n" + note(b[j])
                }
            }
            if oldCount == 0 { oldStart -= 1 }
            if newCount == 0 { newStart -= 1 }
            out += "@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@\n" + body
        }
        return out
    }

    private enum Op: Equatable { case same(Int, Int), delete(Int), insert(Int) }

    /// Number of new-file lines before a delete op (for a hunk that starts with a deletion).
    private static func newIndexBefore(_ ops: [Op], _ target: Op) -> Int {
        var count = 0
        for op in ops { if op == target { break }; if case .delete = op {} else { count += 1 } }
        return count
    }

    /// Number of old-file lines before an insert op.
    private static func oldIndexBefore(_ ops: [Op], _ target: Op) -> Int {
        var count = 0
        for op in ops { if op == target { break }; if case .insert = op {} else { count += 1 } }
        return count
    }

    private struct Line: Equatable { var bytes: ArraySlice<UInt8>; var newline: Bool; var text: String { String(decoding: bytes, as: UTF8.self) } }

    private static func splitLines(_ bytes: [UInt8]) -> [Line] {
        var lines: [Line] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            lines.append(Line(bytes: bytes[start..<index], newline: true)); start = index + 1
        }
        if start < bytes.count { lines.append(Line(bytes: bytes[start...], newline: false)) }
        return lines
    }

    private enum AlignOp { case same(Int, Int), delete(Int), insert(Int) }

    /// Longest-common-subsequence alignment; falls back to delete-all/insert-all for huge middles.
    private static func align(_ a: [Line], _ b: [Line]) -> [AlignOp] {
        if a.isEmpty { return b.indices.map { .insert($0) } }
        if b.isEmpty { return a.indices.map { .delete($0) } }
        if a.count * b.count > 4_000_000 { return a.indices.map { .delete($0) } + b.indices.map { .insert($0) } }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var ops: [AlignOp] = []
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] { ops.append(.same(i, j)); i += 1; j += 1 }
            else if table[i + 1][j] >= table[i][j + 1] { ops.append(.delete(i)); i += 1 }
            else { ops.append(.insert(j)); j += 1 }
        }
        while i < a.count { ops.append(.delete(i)); i += 1 }
        while j < b.count { ops.append(.insert(j)); j += 1 }
        return ops
    }
}
