import Foundation

/// Where the parts of one log line are, as byte offsets: parsed without allocating.
///
/// Recognises, in this order: a container prefix (`postfix-mailcow-1  | `), a docker/kubectl
/// RFC 3339 prefix, a timestamp (traditional syslog `Apr  3 07:30:47`, Postfix postlogd/Dovecot
/// `Apr 03 07:30:47`, optional fraction, RFC 3339 / `journalctl -o short-iso`, `YYYY-MM-DD HH:MM:SS`),
/// then `host program[pid]: message`, `program[pid]: message` (no host: Dovecot's log_path,
/// pasted fragments) or a bare message (`warning: TLS library problem: ...`).
struct LineHeader {
    enum TimeKind: UInt8 { case none, syslog, iso }

    var timeKind: TimeKind = .none
    var timeStart = 0, timeEnd = 0
    var hostStart = 0, hostEnd = 0
    var programStart = 0, programEnd = 0
    var pid = -1
    var messageStart = 0
    /// True when the bytes look like text a log would hold (no NUL bytes before the message).
    var hasProgram: Bool { programEnd > programStart }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 48 < 10 }
    @inline(__always) static func isUpper(_ b: UInt8) -> Bool { b &- 65 < 26 }
    @inline(__always) static func isLower(_ b: UInt8) -> Bool { b &- 97 < 26 }

    /// Parses the header of `line`. Never fails: an unrecognised line is all message.
    static func parse(_ line: UnsafeRawBufferPointer) -> LineHeader {
        var h = LineHeader()
        guard let p = line.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return h }
        let n = line.count
        var i = 0

        // Container prefix: "name<spaces>| " (docker compose logs).
        if n > 4 {
            var j = 0
            while j < n && j < 80 && p[j] != 32 && p[j] != 124 { j += 1 }
            if j > 0 && j < n && p[j] == 32 {
                var k = j
                while k < n && p[k] == 32 { k += 1 }
                if k + 1 < n && p[k] == 124 && p[k + 1] == 32 { i = k + 2 }
            }
        }

        // Timestamps (a docker/kubectl ISO prefix may precede the program's own timestamp).
        if let end = isoTimestampEnd(p, i, n) {
            h.timeKind = .iso; h.timeStart = i; h.timeEnd = end
            i = end + 1
            if let end2 = syslogTimestampEnd(p, i, n) { i = end2 + 1 }
            else if let end2 = isoTimestampEnd(p, i, n) { i = end2 + 1 }
        } else if let end = syslogTimestampEnd(p, i, n) {
            h.timeKind = .syslog; h.timeStart = i; h.timeEnd = end
            i = end + 1
        }
        while i < n && p[i] == 32 { i += 1 }

        // First token: "program:"/"program[pid]:" (no host) or a host followed by the program. A program token
        // ends in ':' right before the first space (or the line's end), a host does not: only then is it tried.
        var j = i
        while j < n && p[j] != 32 { j += 1 }
        if j > i && p[j - 1] == 58, let (ps, pe, pid, next) = programToken(p, i, n) {
            h.programStart = ps; h.programEnd = pe; h.pid = pid; h.messageStart = next
            return h
        }
        if h.timeKind != .none {
            if j > i && j < n, let (ps, pe, pid, next) = programToken(p, j + 1, n) {
                h.hostStart = i; h.hostEnd = j
                h.programStart = ps; h.programEnd = pe; h.pid = pid; h.messageStart = next
                return h
            }
        }
        h.messageStart = i
        return h
    }

    /// The bytes of a program name (letters, digits, `/`, `_`, `.`, `-`) as bits of two words (bytes 0-63 and
    /// 64-127): one test per byte instead of seven. ProgramByteTests checks them against the list.
    static let programBytesLow: UInt64 = 0x03FF_E000_0000_0000
    static let programBytesHigh: UInt64 = 0x07FF_FFFE_87FF_FFFE

    @inline(__always) static func isProgramByte(_ b: UInt8) -> Bool {
        b < 64 ? (programBytesLow >> UInt64(b)) & 1 != 0 : b < 128 && (programBytesHigh >> UInt64(b &- 64)) & 1 != 0
    }

    /// The first byte at or after `start` that is not a program byte (or `n`). Sixteen bytes at a time while
    /// they are there: the byte loop cost more than the rest of a handshake line's header.
    @inline(__always)
    static func programEnd(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) -> Int {
        var j = start
        // Vector operands throughout: the operators taking a scalar compile to a loop over the lanes.
        @inline(__always) func splat(_ c: UInt8) -> SIMD16<UInt8> { SIMD16<UInt8>(repeating: c) }
        let dash = splat(0x2D), thirteen = splat(13), caseBit = splat(0x20), a = splat(0x61), letters = splat(26)
        let underscore = splat(0x5F)
        while j + 16 <= n {
            let v = UnsafeRawPointer(p + j).loadUnaligned(as: SIMD16<UInt8>.self)
            // - . / 0-9 are 0x2D...0x39; a letter of either case ORed with 0x20 is a...z; then _.
            let ok = (v &- dash) .< thirteen .| ((v | caseBit) &- a) .< letters .| v .== underscore
            let lanes = ~unsafeBitCast(ok, to: SIMD2<UInt64>.self)   // 0xFF in the lanes that end the name
            if lanes[0] != 0 { return j + lanes[0].trailingZeroBitCount >> 3 }
            if lanes[1] != 0 { return j + 8 + lanes[1].trailingZeroBitCount >> 3 }
            j += 16
        }
        while j < n && isProgramByte(p[j]) { j += 1 }
        return j
    }

    /// Severity words that end with a colon but are not programs.
    @inline(__always) static func isSeverityWord(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        let len = e - s
        if len == 7 { return memcmp(p + s, "warning", 7) == 0 || memcmp(p + s, "Warning", 7) == 0 }
        if len == 5 { return memcmp(p + s, "error", 5) == 0 || memcmp(p + s, "Error", 5) == 0 || memcmp(p + s, "fatal", 5) == 0 || memcmp(p + s, "Fatal", 5) == 0 || memcmp(p + s, "panic", 5) == 0 }
        if len == 4 { return memcmp(p + s, "Info", 4) == 0 || memcmp(p + s, "info", 4) == 0 }
        return false
    }

    /// `name:` or `name[pid]:` followed by a space (or the end). Returns program range, pid, message start.
    @inline(__always)
    static func programToken(_ p: UnsafePointer<UInt8>, _ start: Int, _ n: Int) -> (Int, Int, Int, Int)? {
        // program names: letters, digits, / _ . - (postfix/smtps/smtpd, imap-login, dovecot)
        var j = programEnd(p, start, n)
        guard j > start, j < n else { return nil }
        let nameEnd = j
        var pid = -1
        if p[j] == 91 { // '['
            var k = j + 1
            var v = 0
            // At most 11 digits: no overflow to check.
            while k < n && isDigit(p[k]) && k - j < 12 { v = v &* 10 &+ Int(p[k] &- 48); k += 1 }
            guard k < n, p[k] == 93, k > j + 1 else { return nil }
            pid = v
            j = k + 1
        }
        guard j < n, p[j] == 58 else { return nil } // ':'
        if pid < 0 && isSeverityWord(p, start, nameEnd) { return nil }
        if j + 1 < n && p[j + 1] != 32 { return nil }
        return (start, nameEnd, pid, min(n, j + 2))
    }

    /// `Mmm dd hh:mm:ss[.frac]` followed by a space; returns the index of that space.
    @inline(__always)
    static func syslogTimestampEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int? {
        guard i + 15 < n, isUpper(p[i]), isLower(p[i + 1]), isLower(p[i + 2]), p[i + 3] == 32 else { return nil }
        var j = i + 4
        if p[j] == 32 { j += 1 }                                    // "Apr  3"
        guard isDigit(p[j]) else { return nil }
        j += 1
        if j < n && isDigit(p[j]) { j += 1 }
        guard j + 9 <= n, p[j] == 32, isDigit(p[j + 1]), isDigit(p[j + 2]), p[j + 3] == 58,
              isDigit(p[j + 4]), isDigit(p[j + 5]), p[j + 6] == 58, isDigit(p[j + 7]), isDigit(p[j + 8])
        else { return nil }
        j += 9
        if j < n && p[j] == 46 { j += 1; while j < n && isDigit(p[j]) { j += 1 } }
        guard j < n, p[j] == 32 else { return nil }
        return j
    }

    /// `YYYY-MM-DDThh:mm:ss[.frac][Z|±hh:mm|±hhmm]` (or a space instead of T) followed by a space.
    @inline(__always)
    static func isoTimestampEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ n: Int) -> Int? {
        guard i + 19 < n, isDigit(p[i]), isDigit(p[i + 1]), isDigit(p[i + 2]), isDigit(p[i + 3]), p[i + 4] == 45,
              isDigit(p[i + 5]), isDigit(p[i + 6]), p[i + 7] == 45, isDigit(p[i + 8]), isDigit(p[i + 9]),
              p[i + 10] == 84 || p[i + 10] == 32,
              isDigit(p[i + 11]), isDigit(p[i + 12]), p[i + 13] == 58, isDigit(p[i + 14]), isDigit(p[i + 15]),
              p[i + 16] == 58, isDigit(p[i + 17]), isDigit(p[i + 18])
        else { return nil }
        var j = i + 19
        if j < n && (p[j] == 46 || p[j] == 44) { j += 1; while j < n && isDigit(p[j]) { j += 1 } }
        if j < n && p[j] == 90 { j += 1 }
        else if j < n && (p[j] == 43 || p[j] == 45) {
            j += 1
            while j < n && (isDigit(p[j]) || p[j] == 58) && j - i < 40 { j += 1 }
        }
        guard j < n, p[j] == 32 else { return nil }
        return j
    }
}
