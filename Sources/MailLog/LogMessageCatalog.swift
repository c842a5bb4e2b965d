import PostlsCore

/// One TLS-related message Postfix, Dovecot or OpenSSL can log: a row of Resources/log-messages/messages.tsv
/// (docs/LOG-MESSAGES.md lists them all).
public struct LogMessage: Sendable, Hashable, CustomStringConvertible {
    public enum Software: String, Sendable, Hashable { case postfix, dovecot, openssl }
    /// Which side of the mail flow the message concerns; `local` is the server's own set-up.
    public enum Direction: String, Sendable, Hashable { case inbound, outbound, both, local }
    /// `failure` rows make an event, `config` rows a start-up or configuration event, `info` rows none by themselves.
    public enum Level: String, Sendable, Hashable { case failure, config, info }
    /// What the message says about the cause.
    public enum Verdict: Sendable, Hashable {
        case cause(Cause)
        /// The OpenSSL reason inside the message, or the lines around it, decide.
        case byReason
        /// A success line.
        case success
    }

    public let id: String
    public let software: Software
    /// The programs that log it, space-separated (`smtpd smtp lmtp tlsproxy`).
    public let programs: String
    /// The source file that writes it, in its project (`src/tls/tls_certkey.c`).
    public let source: String
    public let direction: Direction
    public let level: Level
    public let verdict: Verdict
    /// `{}` stands for any text, `{name}` for text kept as a field (`nexthop`, `num`, `client`).
    public let pattern: String
    /// What else makes the cause sure (a setting, a probe, the lines around it).
    public let needs: String
    public let note: String
    /// A whole log line the row matches.
    public let example: String

    public var cause: Cause? { if case .cause(let c) = verdict { return c } else { return nil } }

    /// The direction of one logged line: a `both` row (a TLS-library message smtpd and smtp share) is
    /// outbound from the SMTP client (smtp, lmtp, posttls-finger) and inbound from the others. Its peer
    /// field is `peer` (the next hop, or the client).
    public func direction(forProgram program: String) -> Direction {
        guard direction == .both else { return direction }
        return Role.of(program: program) == .client ? .outbound : .inbound
    }
    public var description: String { id }

    /// The pattern's literal parts, and the name of the gap before each (`""` unnamed, nil for none: the first
    /// literal of a pattern that starts with text).
    let literals: [[UInt8]]
    let gapNames: [String?]
    /// A named gap after the last literal (the rest of the message).
    let trailingGap: String?
    /// Bytes of literal text: more is more specific.
    let literalLength: Int
    /// The literal part the index keys on: the longest.
    let anchor: Int

    init?(fields f: [String]) {
        guard f.count == 11, let software = Software(rawValue: f[1]), let direction = Direction(rawValue: f[4]),
              let level = Level(rawValue: f[5]) else { return nil }
        switch f[6] {
        case "by-reason": verdict = .byReason
        case "none": verdict = .success
        default:
            guard let c = Cause(rawValue: f[6]) else { return nil }
            verdict = .cause(c)
        }
        id = f[0]; self.software = software; programs = f[2]; source = f[3]; self.direction = direction; self.level = level
        pattern = f[7]; needs = f[8]; note = f[9]; example = f[10]
        var literals: [[UInt8]] = [], gaps: [String?] = []
        var gap: String? = nil
        var rest = Substring(pattern)
        while !rest.isEmpty {
            if rest.first == "{", let close = rest.firstIndex(of: "}") {
                gap = String(rest[rest.index(after: rest.startIndex)..<close])
                rest = rest[rest.index(after: close)...]
                continue
            }
            let end = rest.firstIndex(of: "{") ?? rest.endIndex
            literals.append(Array(rest[..<end].utf8)); gaps.append(gap)
            gap = nil
            rest = rest[end...]
        }
        guard !literals.isEmpty else { return nil }
        self.literals = literals; gapNames = gaps; trailingGap = gap
        literalLength = literals.reduce(0) { $0 + $1.count }
        anchor = literals.indices.max { literals[$0].count < literals[$1].count }!
        guard literals[anchor].count >= 3 else { return nil }
    }

    /// The fields of `message` when the row matches it (an empty dictionary when the pattern names none), else nil.
    /// Each literal part is found at its leftmost place after the previous one.
    public func match(_ message: String) -> [String: String]? {
        var copy = message
        return copy.withUTF8 { match($0, capture: true) }
    }

    func match(_ u: UnsafeBufferPointer<UInt8>, capture: Bool) -> [String: String]? {
        guard let base = u.baseAddress else { return nil }
        var fields: [String: String] = [:]
        var at = 0
        for (k, literal) in literals.enumerated() {
            guard let found = literal.withUnsafeBufferPointer({ ByteSearch.find(base + at, u.count - at, $0.baseAddress!, $0.count) })
            else { return nil }
            if k == 0 && gapNames[0] == nil && found != 0 && software != .openssl {
                // A pattern that starts with text starts the message, after an optional `warning: `-style prefix
                // or a queue id (`3F1A2B: `), or inside a delivery status (`status=deferred (`).
                let before = u[0..<found]
                guard before.last == 32 || before.last == 40 else { return nil }
            }
            if capture, let name = gapNames[k], !name.isEmpty {
                fields[name] = String(decoding: UnsafeBufferPointer(rebasing: u[at..<(at + found)]), as: UTF8.self)
            }
            at += found + literal.count
        }
        if capture, let name = trailingGap, !name.isEmpty {
            fields[name] = String(decoding: UnsafeBufferPointer(rebasing: u[at...]), as: UTF8.self)
        }
        return fields
    }
}

/// The message table and the matcher over it. A message is compared only with rows whose longest literal
/// starts with three bytes found in it (a bitmap says which three-byte keys exist), so a line costs one pass
/// over its bytes plus a few row checks, whatever the table's size.
public enum LogMessageCatalog {
    public static let all: [LogMessage] = {
        var rows: [LogMessage] = []
        for line in tableText.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard let row = LogMessage(fields: fields) else { preconditionFailure("bad message row: \(line.prefix(60))") }
            rows.append(row)
        }
        return rows
    }()

    public static func row(id: String) -> LogMessage? { byID[id].map { all[$0] } }

    /// The rows `message` (the text after `program[pid]: `) matches: the message's own row first (failure and
    /// config rows before info rows, then the most literal text), then the OpenSSL texts inside it in order.
    public static func matches(_ message: String) -> [LogMessage] {
        var copy = message
        return copy.withUTF8 { matchIndices($0).map { all[$0] } }
    }

    /// The best row of the message itself (not an OpenSSL text inside it), with its fields.
    public static func primary(_ message: String) -> (row: LogMessage, fields: [String: String])? {
        for row in matches(message) where row.software != .openssl {
            if let fields = row.match(message) { return (row, fields) }
        }
        return nil
    }

    /// True when the message's own row makes an event (level failure or config).
    static func namesEvent(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = matchIndices(u).first else { return false }
        let row = all[first]
        return row.software != .openssl && row.level != .info
    }

    static func matchIndices(_ u: UnsafeBufferPointer<UInt8>) -> [Int] {
        guard let p = u.baseAddress, u.count >= 3 else { return [] }
        var found: [Int] = []
        var i = 0
        let n = u.count
        while i + 3 <= n {
            let key = UInt32(p[i]) | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2]) << 16
            let h = Int((key &* 0x9E37_79B1) >> 16)
            if index.bitmap[h >> 6] & (1 << UInt64(h & 63)) != 0, let rows = index.byKey[key] {
                for r in rows where !found.contains(r) {
                    let row = all[r]
                    let anchor = row.literals[row.anchor]
                    guard i + anchor.count <= n, anchor.withUnsafeBufferPointer({ memcmp(p + i, $0.baseAddress!, $0.count) == 0 })
                    else { continue }
                    if row.match(u, capture: false) != nil { found.append(r) }
                }
            }
            i += 1
        }
        func rank(_ r: Int) -> (Int, Int, Int) {
            let row = all[r]
            return (row.software == .openssl ? 0 : 1, row.level == .info ? 0 : 1, (row.verdict == .byReason ? 0 : 1 << 16) + row.literalLength)
        }
        // OpenSSL texts keep the order they were found in; the message's own rows go first, best first.
        let own = found.filter { all[$0].software != .openssl }.sorted { rank($0) > rank($1) }
        return own + found.filter { all[$0].software == .openssl }
    }

    private static let byID: [String: Int] = Dictionary(uniqueKeysWithValues: all.indices.map { (all[$0].id, $0) })

    private struct Index: Sendable {
        var byKey: [UInt32: [Int]] = [:]
        var bitmap = [UInt64](repeating: 0, count: 1024)
    }

    private static let index: Index = {
        var ix = Index()
        for (r, row) in all.enumerated() {
            let anchor = row.literals[row.anchor]
            let key = UInt32(anchor[0]) | UInt32(anchor[1]) << 8 | UInt32(anchor[2]) << 16
            ix.byKey[key, default: []].append(r)
            let h = Int((key &* 0x9E37_79B1) >> 16)
            ix.bitmap[h >> 6] |= 1 << UInt64(h & 63)
        }
        return ix
    }()
}

import Foundation
