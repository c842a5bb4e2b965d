/// A main.cf file, parsed the way Postfix reads it and kept byte for byte.
///
/// `render()` returns exactly the bytes it was parsed from; edits (see `ConfigEdit`) produce a new
/// document in which every untouched byte stays as it was.
public struct MainCF: Sendable {
    /// One `name = value` setting (one logical line).
    public struct Entry: Sendable, Equatable {
        public var name: String
        /// The value as Postfix's daemons see it: continuation lines joined without separators, trimmed.
        public var rawValue: String
        /// The value as `postconf -n` prints it (whitespace runs collapsed to one space).
        public var value: String { normalizePostconfWhitespace(rawValue) }
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

    /// Parses any bytes; never fails (problems are reported in `problems`).
    public init(bytes: [UInt8]) {
        self.bytes = bytes
        let physical = LineSplitter.physicalLines(bytes)
        lines = physical
        var entries: [Entry] = []
        var problems: [Problem] = []
        var effective: [String: Int] = [:]
        for logical in LineSplitter.logicalLines(bytes, physical, wantOffsets: false) {
            let line = logical.firstLineNumber
            if logical.isOrphan {
                problems.append(Problem(kind: .orphanContinuation, line: line, text: decodeText(logical.text)))
                continue
            }
            switch splitNameValue(logical.text) {
            case .failure(let error):
                problems.append(Problem(kind: .malformed(error.postfixText), line: line, text: decodeText(logical.text)))
            case .success(let ranges):
                let name = decodeText(logical.text[ranges.name])
                let value = decodeText(logical.text[ranges.value])
                // The value starts on the first physical line when its offset lies within that line.
                let firstLength = physical[logical.lineIndices[0]].end - physical[logical.lineIndices[0]].start
                let valueStart: Int? = ranges.value.lowerBound < firstLength || logical.lineIndices.count == 1
                    ? physical[logical.lineIndices[0]].start + ranges.value.lowerBound : nil
                effective[name] = entries.count
                entries.append(Entry(name: name, rawValue: value, line: line, lastLine: logical.lastLineNumber,
                                     lineIndices: logical.lineIndices, valueStartOffset: valueStart))
            }
        }
        self.entries = entries
        self.problems = problems
        self.effectiveIndex = effective
    }

    public init(text: String) { self.init(bytes: Array(text.utf8)) }

    /// The bytes of the document: the physical lines and their newlines, in order.
    public func render() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for line in lines { out.append(contentsOf: bytes[line.start..<line.fullEnd]) }
        return out
    }

    /// The effective (last) setting of `name`, if main.cf sets it.
    public func entry(_ name: String) -> Entry? {
        effectiveIndex[name].map { entries[$0] }
    }

    /// Every setting of `name`, first to last.
    public func allEntries(_ name: String) -> [Entry] { entries.filter { $0.name == name } }

    /// Names set more than once with different values, with their entries (Postfix warns "overriding earlier entry").
    public var duplicates: [(name: String, entries: [Entry])] {
        var byName: [String: [Entry]] = [:]
        var order: [String] = []
        for entry in entries {
            if byName[entry.name] == nil { order.append(entry.name) }
            byName[entry.name, default: []].append(entry)
        }
        return order.compactMap { name in
            guard let list = byName[name], list.count > 1 else { return nil }
            return (name, list)
        }
    }

    /// The raw bytes of physical line `index` (without newline).
    public func lineBytes(_ index: Int) -> ArraySlice<UInt8> { bytes[lines[index].start..<lines[index].end] }

    /// Whether the file looks binary (NUL bytes), which Postfix cannot read as text.
    public var containsNUL: Bool { bytes.contains(0) }
}
