import Foundation

/// One SMTP reply (RFC 5321 §4.2): a three-digit code and one or more text lines.
public struct SMTPReply: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The reply code, e.g. 220, 250, 454.
    public var code: Int
    /// The text of each line, without the code and separator ("mail.example.org ESMTP").
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// 2yz
    public var isPositive: Bool { (200..<300).contains(code) }
    /// 4yz: try again later (421 service not available, 454 TLS not available).
    public var isTransientFailure: Bool { (400..<500).contains(code) }
    /// 5yz
    public var isPermanentFailure: Bool { (500..<600).contains(code) }

    /// The first line as sent: "220 mail.example.org ESMTP Postfix".
    public var firstLine: String { "\(code) \(lines.first ?? "")".trimmingCharacters(in: .whitespaces) }

    /// All lines as sent, with "-" continuation markers.
    public var description: String {
        lines.enumerated().map { i, text in "\(code)\(i == lines.count - 1 ? " " : "-")\(text)" }.joined(separator: "\n")
    }

    /// EHLO keywords (upper-cased) with their parameters: the lines after the first (RFC 5321 §4.1.1.1).
    public var ehloCapabilities: [String: [String]] {
        var result: [String: [String]] = [:]
        for line in lines.dropFirst() {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "=" }).map(String.init)
            guard let keyword = words.first, !keyword.isEmpty else { continue }
            result[keyword.uppercased()] = Array(words.dropFirst())
        }
        return result
    }
}

/// Reasons a byte stream is not a well-formed reply.
public enum SMTPReplyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A line does not start with three digits.
    case malformed(line: String)
    /// A continuation line carries a different code than the first line.
    case inconsistentCode(expected: Int, line: String)
    /// More lines or bytes than the limit without a final line: an endless reply.
    case tooLong(lines: Int, bytes: Int)
    /// The connection ended before the final line ("250 ..." without "-").
    case incomplete(partial: SMTPReply?)

    public var description: String {
        switch self {
        case .malformed(let line): return "the server sent a line that is not an SMTP reply: \"\(line.prefix(80))\""
        case .inconsistentCode(let code, let line): return "a continuation line changes the reply code from \(code): \"\(line.prefix(80))\""
        case .tooLong(let lines, let bytes): return "the reply did not end after \(lines) lines (\(bytes) bytes)"
        case .incomplete(let partial):
            return "the connection closed in the middle of a reply" + (partial.map { " (after \"\($0.firstLine.prefix(80))\")" } ?? "")
        }
    }
}

/// Assembles a reply line by line, so the socket reader and the pure parser share one set of rules.
/// Tolerates what real servers send: bare LF line ends, a lone code without text ("250"), trailing spaces.
public struct SMTPReplyAccumulator: Sendable {
    public enum Step: Sendable, Equatable {
        case needMore
        case complete(SMTPReply)
    }

    public let maxLines: Int
    public let maxBytes: Int
    private var code: Int?
    private var lines: [String] = []
    private var bytes = 0

    public init(maxLines: Int = 100, maxBytes: Int = 64 * 1024) {
        self.maxLines = maxLines
        self.maxBytes = maxBytes
    }

    /// The lines seen so far, as a reply (for "closed in the middle" messages).
    public var partial: SMTPReply? { code.map { SMTPReply(code: $0, lines: lines) } }

    /// Feeds one line (without its line end; a trailing CR is stripped here too).
    public mutating func feed(_ rawLine: String) throws -> Step {
        let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : rawLine
        bytes += line.utf8.count + 2
        let scalars = Array(line.unicodeScalars)
        guard scalars.count >= 3, scalars[0..<3].allSatisfy({ ("0"..."9").contains($0) }),
              let lineCode = Int(String(String.UnicodeScalarView(scalars[0..<3]))) else {
            throw SMTPReplyError.malformed(line: line)
        }
        if let code, code != lineCode { throw SMTPReplyError.inconsistentCode(expected: code, line: line) }
        code = lineCode
        let separator: Unicode.Scalar? = scalars.count > 3 ? scalars[3] : nil
        guard separator == nil || separator == " " || separator == "-" else { throw SMTPReplyError.malformed(line: line) }
        let text = scalars.count > 4 ? String(String.UnicodeScalarView(scalars[4...])) : ""
        lines.append(text)
        if separator == "-" {
            if lines.count >= maxLines || bytes >= maxBytes { throw SMTPReplyError.tooLong(lines: lines.count, bytes: bytes) }
            return .needMore
        }
        return .complete(SMTPReply(code: lineCode, lines: lines))
    }

    /// Parses the replies in `text` (a pure function for whole transcripts). Lines may end in CR LF or a bare LF.
    /// Returns the complete replies; throws `.incomplete` when the text ends inside a reply.
    public static func parse(_ text: String, maxLines: Int = 100, maxBytes: Int = 64 * 1024) throws -> [SMTPReply] {
        var replies: [SMTPReply] = []
        var accumulator = SMTPReplyAccumulator(maxLines: maxLines, maxBytes: maxBytes)
        // Split on LF bytes: in Swift "\r\n" is one Character, so splitting the String on "\n" would miss CR LF.
        var rawLines = Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if rawLines.last == "" { rawLines.removeLast() }
        for raw in rawLines {
            if case .complete(let reply) = try accumulator.feed(raw) {
                replies.append(reply)
                accumulator = SMTPReplyAccumulator(maxLines: maxLines, maxBytes: maxBytes)
            }
        }
        if let partial = accumulator.partial { throw SMTPReplyError.incomplete(partial: partial) }
        return replies
    }
}
