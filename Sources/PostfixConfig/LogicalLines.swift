// Splits a Postfix configuration file into physical and logical lines exactly as
// Postfix's readllines() does (src/util/readlline.c), while keeping every byte.

/// Postfix's ISSPACE: the C locale's isspace().
@inline(__always)
func isPostfixSpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
}

/// One physical line: a byte range of the file, without its newline.
public struct PhysicalLine: Sendable, Equatable {
    /// What Postfix makes of the line on its own.
    public enum Kind: Sendable, Equatable {
        /// Empty or whitespace only: ignored, does not end a logical line.
        case blank
        /// First non-whitespace byte is `#`: ignored, does not end a logical line.
        case comment
        /// Text starting in column 1: starts a logical line.
        case start
        /// Text starting with whitespace: continues the previous logical line.
        case continuation
    }

    /// Byte offset of the first byte.
    public var start: Int
    /// Byte offset just past the last byte before the newline.
    public var end: Int
    /// Whether a `\n` follows (the last line of a file may lack one).
    public var hasNewline: Bool
    public var kind: Kind

    /// Offset just past the newline (or `end`).
    public var fullEnd: Int { hasNewline ? end + 1 : end }
}

/// A logical line: a starting text line plus its continuation lines, concatenated
/// without separators (Postfix drops the newlines and keeps leading whitespace).
public struct LogicalLine: Sendable {
    /// Indices (into the physical lines) of the text lines that make up this logical line.
    public var lineIndices: [Int]
    /// The joined text. Postfix treats it as a C string, so it ends at a NUL byte.
    public var text: [UInt8]
    /// File offset of every byte of `text`.
    public var offsets: [Int]
    /// True when the logical line starts with whitespace (no preceding text): Postfix warns and ignores it.
    public var isOrphan: Bool

    /// 1-based number of the first physical line, as Postfix reports it.
    public var firstLineNumber: Int { (lineIndices.first ?? 0) + 1 }
    public var lastLineNumber: Int { (lineIndices.last ?? 0) + 1 }
}

enum LineSplitter {
    /// Splits `bytes` into physical lines. Concatenating every line's bytes plus newlines gives `bytes` back.
    static func physicalLines(_ bytes: [UInt8]) -> [PhysicalLine] {
        var lines: [PhysicalLine] = []
        lines.reserveCapacity(bytes.count / 30 + 1)
        var start = 0
        let count = bytes.count
        bytes.withUnsafeBufferPointer { buffer in
            var index = 0
            while index < count {
                if buffer[index] == 0x0A {
                    lines.append(PhysicalLine(start: start, end: index, hasNewline: true, kind: classify(buffer, start, index)))
                    start = index + 1
                }
                index += 1
            }
            if start < count {
                lines.append(PhysicalLine(start: start, end: count, hasNewline: false, kind: classify(buffer, start, count)))
            }
        }
        return lines
    }

    private static func classify(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> PhysicalLine.Kind {
        var cursor = start
        while cursor < end && isPostfixSpace(buffer[cursor]) { cursor += 1 }
        if cursor == end { return .blank }
        if buffer[cursor] == UInt8(ascii: "#") { return .comment }
        return cursor == start ? .start : .continuation
    }

    /// Groups physical lines into logical lines the way readllines() does.
    static func logicalLines(_ bytes: [UInt8], _ lines: [PhysicalLine], wantOffsets: Bool) -> [LogicalLine] {
        var result: [LogicalLine] = []
        var current: LogicalLine? = nil
        func flush() {
            if var line = current {
                // Postfix handles the buffer as a C string: a NUL byte ends it.
                if let nul = line.text.firstIndex(of: 0) {
                    line.text.removeSubrange(nul...)
                    if wantOffsets { line.offsets.removeSubrange(nul...) }
                }
                result.append(line)
            }
            current = nil
        }
        for (index, line) in lines.enumerated() {
            switch line.kind {
            case .blank, .comment:
                continue
            case .start:
                flush()
                current = LogicalLine(lineIndices: [], text: [], offsets: [], isOrphan: false)
            case .continuation:
                if current == nil {
                    current = LogicalLine(lineIndices: [], text: [], offsets: [], isOrphan: true)
                }
            }
            current?.lineIndices.append(index)
            current?.text.append(contentsOf: bytes[line.start..<line.end])
            if wantOffsets { current?.offsets.append(contentsOf: line.start..<line.end) }
        }
        flush()
        return result
    }
}

/// Postfix's split_nameval(): `name = value`, name ends at whitespace or `=`, value trimmed.
/// Returns byte index ranges into `text`, or the error text Postfix reports.
func splitNameValue(_ text: [UInt8]) -> Result<(name: Range<Int>, value: Range<Int>), NameValueError> {
    text.withUnsafeBufferPointer { splitNameValue($0) }
}

func splitNameValue(_ text: UnsafeBufferPointer<UInt8>) -> Result<(name: Range<Int>, value: Range<Int>), NameValueError> {
    var cursor = 0
    let end = text.count
    while cursor < end && isPostfixSpace(text[cursor]) { cursor += 1 }
    if cursor == end || text[cursor] == UInt8(ascii: "=") { return .failure(.missingName) }
    let nameStart = cursor
    while cursor < end && !isPostfixSpace(text[cursor]) && text[cursor] != UInt8(ascii: "=") { cursor += 1 }
    let nameEnd = cursor
    while cursor < end && isPostfixSpace(text[cursor]) { cursor += 1 }
    if cursor == end || text[cursor] != UInt8(ascii: "=") { return .failure(.missingEquals) }
    cursor += 1
    while cursor < end && isPostfixSpace(text[cursor]) { cursor += 1 }
    var valueEnd = end
    while valueEnd > cursor && isPostfixSpace(text[valueEnd - 1]) { valueEnd -= 1 }
    return .success((nameStart..<nameEnd, cursor..<valueEnd))
}

/// The two ways a `name = value` line can be malformed (Postfix's own wording).
enum NameValueError: Error, Sendable {
    case missingName, missingEquals
    var postfixText: String {
        switch self {
        case .missingName: return "missing attribute name"
        case .missingEquals: return "missing '=' after attribute name"
        }
    }
}

/// A configuration file kept byte for byte (main.cf, master.cf): its bytes and the physical lines that cover them.
public protocol LosslessDocument: Sendable {
    var bytes: [UInt8] { get }
    /// Physical lines; together with their newlines they cover `bytes` exactly.
    var lines: [PhysicalLine] { get }
    init(bytes: [UInt8])
}

extension LosslessDocument {
    public init(text: String) { self.init(bytes: Array(text.utf8)) }

    /// The bytes of the document: the physical lines and their newlines, in order.
    public func render() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for line in lines { out.append(contentsOf: bytes[line.start..<line.fullEnd]) }
        return out
    }
}

/// A setting's value as Postfix stores it (`rawValue`) and as `postconf` prints it (`value`).
public protocol PostfixSettingValue {
    var rawValue: String { get }
}

extension PostfixSettingValue {
    /// The value as `postconf -n`/`-P` prints it (whitespace runs collapsed to one space).
    public var value: String { normalizePostconfWhitespace(rawValue) }
}

/// Whitespace normalisation as `postconf` prints values (pcf_print_line): words split on
/// space, tab, CR, LF and joined with one space.
public func normalizePostconfWhitespace(_ text: String) -> String {
    @inline(__always) func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
    // Most values are already normal (single spaces between words): return them as they are.
    var alreadyNormal = true
    var previousBlank = true  // a leading blank is not normal
    for byte in text.utf8 {
        let blank = isBlank(byte)
        if blank && (previousBlank || byte != 0x20) { alreadyNormal = false; break }
        previousBlank = blank
    }
    if alreadyNormal && !previousBlank || text.isEmpty { return text }
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count)
    var pendingSpace = false
    for byte in text.utf8 {
        if isBlank(byte) {
            if !out.isEmpty { pendingSpace = true }
        } else {
            if pendingSpace { out.append(0x20); pendingSpace = false }
            out.append(byte)
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// Decodes bytes as UTF-8, replacing invalid sequences (the semantic layer only; rendering uses bytes).
func decodeText<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    String(decoding: bytes, as: UTF8.self)
}
