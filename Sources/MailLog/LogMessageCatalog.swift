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
        let u = Array(pattern.utf8)
        var i = 0
        while i < u.count {
            if u[i] == 123, let close = u[(i + 1)...].firstIndex(of: 125) { // {name}
                gap = String(decoding: u[(i + 1)..<close], as: UTF8.self)
                i = close + 1
                continue
            }
            let end = u[i...].firstIndex(of: 123) ?? u.count
            literals.append(Array(u[i..<end])); gaps.append(gap)
            gap = nil
            i = end
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
    /// Parsed on the text's bytes: String's split walks Characters, and parsing the table that way cost more
    /// than reading a 10 MB log (it runs at the first warning or event of every run).
    public static let all: [LogMessage] = {
        var rows: [LogMessage] = []
        var text = tableText
        text.withUTF8 { u in
            func field(_ s: Int, _ e: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: u[s..<e]), as: UTF8.self) }
            var start = 0
            while start < u.count {
                var end = start
                while end < u.count && u[end] != 10 { end += 1 }
                defer { start = end + 1 }
                guard end > start else { continue }
                var fields: [String] = []
                var from = start
                for k in start...end where k == end || u[k] == 9 { fields.append(field(from, k)); from = k + 1 }
                guard let row = LogMessage(fields: fields) else { preconditionFailure("bad message row: \(field(start, min(end, start + 60)))") }
                rows.append(row)
            }
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

    /// The rows of a connection's lines, in line order (each line's own row before the OpenSSL texts in it),
    /// each once; Dovecot's `dovecot: imap-login: ` lines are matched on the inner message.
    static func rowIndices<Lines: Sequence<LogLine>>(of lines: Lines) -> [Int] {
        var rows: [Int] = []
        for l in lines {
            var text = LogAnalyzer.normalizeDovecot(l).message
            for r in text.withUTF8({ matchIndices($0) }) where !rows.contains(r) { rows.append(r) }
        }
        return rows
    }

    /// True when the message's own row makes an event (level failure or config).
    static func namesEvent(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = matchIndices(u).first else { return false }
        let row = all[first]
        return row.software != .openssl && row.level != .info
    }

    static func matchIndices(_ u: UnsafeBufferPointer<UInt8>) -> [Int] {
        guard let p = u.baseAddress, u.count >= 3 else { return [] }
        let ix = index
        var found: [Int] = []
        let n = u.count
        ix.slotKey.withUnsafeBufferPointer { slotKey in
        ix.slotFirst.withUnsafeBufferPointer { slotFirst in
        ix.entries.withUnsafeBufferPointer { entries in
        ix.bytes.withUnsafeBufferPointer { bytes in
            var i = 0
            while i + 3 <= n {
                let key = UInt32(p[i]) | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2]) << 16
                var slot = Int((key &* 0x9E37_79B1) >> 20)   // 12 bits
                while slotKey[slot] != Index.empty && slotKey[slot] != key { slot = (slot + 1) & (Index.slots - 1) }
                if slotKey[slot] == key {
                    var e = Int(slotFirst[slot])
                    // Entries of one key are contiguous; the run ends at another key.
                    while e < entries.count && entries[e].key == key {
                        let entry = entries[e]
                        e += 1
                        let start = i - Int(entry.offset)
                        let len = Int(entry.length)
                        guard start >= 0, start + len <= n, memcmp(p + start, bytes.baseAddress! + Int(entry.bytes), len) == 0,
                              !found.contains(Int(entry.row)) else { continue }
                        if all[Int(entry.row)].match(u, capture: false) != nil { found.append(Int(entry.row)) }
                    }
                }
                i += 1
            }
        }}}}
        if found.count < 2 { return found }
        func rank(_ r: Int) -> (Int, Int, Int) {
            let row = all[r]
            return (row.software == .openssl ? 0 : 1, row.level == .info ? 0 : 1, (row.verdict == .byReason ? 0 : 1 << 16) + row.literalLength)
        }
        // OpenSSL texts keep the order they were found in; the message's own rows go first, best first.
        let own = found.filter { all[$0].software != .openssl }.sorted { rank($0) > rank($1) }
        return own + found.filter { all[$0].software == .openssl }
    }

    private static let byID: [String: Int] = Dictionary(uniqueKeysWithValues: all.indices.map { (all[$0].id, $0) })

    /// Each row is keyed on the three bytes of its longest literal that are rarest in the table's own example
    /// lines (so `warning: ` or ` from ` do not send every line to dozens of rows); a hit compares that literal
    /// in place, then the whole pattern. Flat arrays: no row struct is copied per byte.
    struct Index: Sendable {
        struct Entry: Sendable { var key: UInt32; var row: Int32; var offset: Int32; var bytes: Int32; var length: Int32 }
        static let slots = 4096
        static let empty = UInt32.max
        var slotKey = [UInt32](repeating: Index.empty, count: Index.slots)
        var slotFirst = [Int32](repeating: 0, count: Index.slots)
        var entries: [Entry] = []
        var bytes: [UInt8] = []
    }

    /// How often each three-byte key occurs in the examples: open addressing over flat arrays (a dictionary
    /// of tens of thousands of updates cost milliseconds at start-up).
    /// Sized for twice as many keys as it can be given (`capacity`), so it never fills.
    struct TrigramCounts {
        let mask: Int
        var keys: [UInt32]
        var counts: [Int32]

        init(capacity: Int) {
            var slots = 1024
            while slots < 2 * capacity { slots *= 2 }
            mask = slots - 1
            keys = [UInt32](repeating: Index.empty, count: slots)
            counts = [Int32](repeating: 0, count: slots)
        }

        private func slot(_ key: UInt32) -> Int {
            var slot = Int(truncatingIfNeeded: UInt64(key) &* 0x9E37_79B9_7F4A_7C15 >> 40) & mask
            while keys[slot] != Index.empty && keys[slot] != key { slot = (slot + 1) & mask }
            return slot
        }
        mutating func add(_ key: UInt32) {
            let s = slot(key)
            keys[s] = key
            counts[s] += 1
        }
        func count(_ key: UInt32) -> Int { Int(counts[slot(key)]) }
    }

    static let index: Index = {
        var frequency = TrigramCounts(capacity: all.reduce(0) { $0 + $1.example.utf8.count })
        for row in all {
            let u = Array(row.example.utf8)
            if u.count >= 3 { for i in 0...(u.count - 3) { frequency.add(UInt32(u[i]) | UInt32(u[i + 1]) << 8 | UInt32(u[i + 2]) << 16) } }
        }
        var ix = Index()
        var entries: [Index.Entry] = []
        for (r, row) in all.enumerated() {
            let literal = row.literals[row.anchor]
            var best = 0, bestScore = Int.max
            for j in 0...(literal.count - 3) {
                let key = UInt32(literal[j]) | UInt32(literal[j + 1]) << 8 | UInt32(literal[j + 2]) << 16
                let score = frequency.count(key)
                if score < bestScore { best = j; bestScore = score }
            }
            let key = UInt32(literal[best]) | UInt32(literal[best + 1]) << 8 | UInt32(literal[best + 2]) << 16
            entries.append(.init(key: key, row: Int32(r), offset: Int32(best), bytes: Int32(ix.bytes.count), length: Int32(literal.count)))
            ix.bytes += literal
        }
        entries.sort { ($0.key, $0.row) < ($1.key, $1.row) }
        for (e, entry) in entries.enumerated() where e == 0 || entries[e - 1].key != entry.key {
            var slot = Int((entry.key &* 0x9E37_79B1) >> 20)
            while ix.slotKey[slot] != Index.empty { slot = (slot + 1) & (Index.slots - 1) }
            ix.slotKey[slot] = entry.key
            ix.slotFirst[slot] = Int32(e)
        }
        ix.entries = entries
        return ix
    }()
}

import Foundation
