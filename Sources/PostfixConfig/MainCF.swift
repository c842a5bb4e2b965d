import Foundation

/// A main.cf file, parsed the way Postfix reads it and kept byte for byte.
///
/// `render()` returns exactly the bytes it was parsed from; edits (see `ConfigEdit`) produce a new
/// document in which every untouched byte stays as it was.
public struct MainCF: LosslessDocument {
    /// One `name = value` setting (one logical line).
    public struct Entry: PostfixSettingValue, Sendable, Equatable {
        public var name: String
        /// The value as Postfix's daemons see it: continuation lines joined without separators, trimmed.
        public var rawValue: String
        /// 1-based first and last physical line of the setting.
        public var line: Int
        public var lastLine: Int
        /// Physical line indices (0-based) of the text lines, excluding interleaved comments.
        public var lineIndices: [Int]
        /// Byte offset (in the file) where the value starts, when the value starts on the first line.
        public var valueStartOffset: Int?
    }

    /// A logical line Postfix would reject or ignore.
    public struct Problem: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// `postconf` and every daemon stop with a fatal error on this line.
            case malformed(String)
            /// Indented text with no setting before it: Postfix warns and ignores it.
            case orphanContinuation
        }
        public var kind: Kind
        public var line: Int
        public var text: String
    }

    /// The file's bytes.
    public let bytes: [UInt8]
    /// Physical lines; together with their newlines they cover `bytes` exactly.
    public let lines: [PhysicalLine]
    /// Every setting in file order, duplicates included.
    public let entries: [Entry]
    public let problems: [Problem]
    /// Index into `entries` of the effective (last) setting of each name.
    public let effectiveIndex: [String: Int]
    /// The values of `effectiveIndex`, ascending: the effective settings in file order.
    public let effectiveIndices: [Int]
    /// Whether some name is set more than once.
    public let hasDuplicates: Bool

    /// Parses any bytes; never fails (problems are reported in `problems`).
    public init(bytes: [UInt8]) {
        self.bytes = bytes
        let physical = LineSplitter.physicalLines(bytes)
        lines = physical
        var entries: [Entry] = []
        var problems: [Problem] = []
        var effective: [String: Int] = Dictionary(minimumCapacity: physical.count / 2)
        var superseded: [Int] = []  // entries a later setting of the same name overrides
        // readllines() grouping (LineSplitter.logicalLines), inlined: a setting on one physical line, the
        // common case, is split in place without joining its text into a new buffer.
        bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            let count = physical.count
            while index < count {
                let first = physical[index]
                if first.kind == .blank || first.kind == .comment { index += 1; continue }
                var lineIndices = [index]
                var next = index + 1
                while next < count && physical[next].kind != .start {
                    if physical[next].kind == .continuation { lineIndices.append(next) }
                    next += 1
                }
                index = next
                let joined: [UInt8]?
                if lineIndices.count == 1 {
                    joined = nil
                } else {
                    var text: [UInt8] = []
                    for i in lineIndices { text.append(contentsOf: buffer[physical[i].start..<physical[i].end]) }
                    joined = text
                }
                func handle(_ whole: UnsafeBufferPointer<UInt8>) {
                    // Postfix handles the line as a C string: a NUL byte ends it.
                    let text = whole.firstIndex(of: 0).map { UnsafeBufferPointer(rebasing: whole[..<$0]) } ?? whole
                    let line = lineIndices[0] + 1, lastLine = lineIndices[lineIndices.count - 1] + 1
                    if first.kind == .continuation {
                        problems.append(Problem(kind: .orphanContinuation, line: line, text: decodeText(text)))
                        return
                    }
                    switch splitNameValue(text) {
                    case .failure(let error):
                        problems.append(Problem(kind: .malformed(error.postfixText), line: line, text: decodeText(text)))
                    case .success(let ranges):
                        let name = decodeText(UnsafeBufferPointer(rebasing: text[ranges.name]))
                        let value = decodeText(UnsafeBufferPointer(rebasing: text[ranges.value]))
                        // The value starts on the first physical line when its offset lies within that line.
                        let firstLength = first.end - first.start
                        let valueStart: Int? = ranges.value.lowerBound < firstLength || lineIndices.count == 1
                            ? first.start + ranges.value.lowerBound : nil
                        if let earlier = effective.updateValue(entries.count, forKey: name) { superseded.append(earlier) }
                        entries.append(Entry(name: name, rawValue: value, line: line, lastLine: lastLine,
                                             lineIndices: lineIndices, valueStartOffset: valueStart))
                    }
                }
                if let joined {
                    joined.withUnsafeBufferPointer { handle($0) }
                } else {
                    handle(UnsafeBufferPointer(rebasing: buffer[first.start..<first.end]))
                }
            }
        }
        self.entries = entries
        self.problems = problems
        self.effectiveIndex = effective
        if superseded.isEmpty {
            effectiveIndices = Array(entries.indices)
        } else {
            let overridden = Set(superseded)
            effectiveIndices = entries.indices.filter { !overridden.contains($0) }
        }
        hasDuplicates = !superseded.isEmpty
    }

    /// The effective (last) setting of `name`, if main.cf sets it.
    public func entry(_ name: String) -> Entry? {
        effectiveIndex[name].map { entries[$0] }
    }

    /// Every setting of `name`, first to last.
    public func allEntries(_ name: String) -> [Entry] { entries.filter { $0.name == name } }

    /// Names set more than once, with their entries in file order (Postfix warns "overriding earlier entry"),
    /// ordered by each name's first setting.
    public var duplicates: [(name: String, entries: [Entry])] {
        // A name is set more than once exactly when some entry of it is not the effective one; the common
        // case (no duplicates) costs one pass and no copies.
        guard hasDuplicates else { return [] }
        var repeated = Set<String>()
        for (index, entry) in entries.enumerated() where effectiveIndex[entry.name] != index { repeated.insert(entry.name) }
        var byName: [String: [Entry]] = [:]
        var order: [String] = []
        for entry in entries where repeated.contains(entry.name) {
            if byName[entry.name] == nil { order.append(entry.name) }
            byName[entry.name, default: []].append(entry)
        }
        return order.map { ($0, byName[$0] ?? []) }
    }

    /// The raw bytes of physical line `index` (without newline).
    public func lineBytes(_ index: Int) -> ArraySlice<UInt8> { bytes[lines[index].start..<lines[index].end] }

    /// Whether the file looks binary (NUL bytes), which Postfix cannot read as text.
    public var containsNUL: Bool { bytes.withUnsafeBytes { $0.baseAddress.map { memchr($0, 0, bytes.count) != nil } ?? false } }
}
