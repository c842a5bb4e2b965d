import Foundation
import Synchronization

/// One line of a mail log, split into its parts. Only lines the engine keeps (TLS-related ones) become a `LogLine`.
///
/// A value type whose fields live in one shared, copy-on-write box: lines are copied into sessions, events and
/// reports, and a copy is then one reference count instead of one per string.
public struct LogLine: Sendable, Hashable, Codable {
    private final class Storage: @unchecked Sendable {
        var timeText: String
        var time: Date?
        var host: String
        var program: String
        var pid: Int?
        var message: String
        var file: String
        var lineNumber: Int
        var text: String
        init(timeText: String, time: Date?, host: String, program: String, pid: Int?, message: String, file: String,
             lineNumber: Int, text: String) {
            self.timeText = timeText; self.time = time; self.host = host; self.program = program; self.pid = pid
            self.message = message; self.file = file; self.lineNumber = lineNumber; self.text = text
        }
        func copy() -> Storage {
            Storage(timeText: timeText, time: time, host: host, program: program, pid: pid, message: message, file: file,
                    lineNumber: lineNumber, text: text)
        }
    }
    private var storage: Storage

    /// The box to write to: copied first when another line shares it.
    private var unique: Storage {
        mutating get {
            if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
            return storage
        }
    }

    /// The timestamp as written (`Apr  3 07:30:47`, `2024-04-03T07:30:47.123+02:00`), empty when the line has none.
    public var timeText: String { get { storage.timeText } set { unique.timeText = newValue } }
    /// The timestamp as an instant, when it could be read (syslog's missing year is inferred).
    public var time: Date? { get { storage.time } set { unique.time = newValue } }
    /// The host field (`mx`), empty when the line has none (Dovecot's log_path, fragments).
    public var host: String { get { storage.host } set { unique.host = newValue } }
    /// The program field (`postfix/smtps/smtpd`, `imap-login`), empty when absent.
    public var program: String { get { storage.program } set { unique.program = newValue } }
    /// The process id, when logged.
    public var pid: Int? { get { storage.pid } set { unique.pid = newValue } }
    /// The text after `program[pid]: `, e.g. `warning: TLS library problem: ...`.
    public var message: String { get { storage.message } set { unique.message = newValue } }
    /// Where the line came from (`file` is the source name, `line` 1-based).
    public var file: String { get { storage.file } set { unique.file = newValue } }
    public var lineNumber: Int { get { storage.lineNumber } set { unique.lineNumber = newValue } }
    /// The whole line as read (invalid UTF-8 replaced).
    public var text: String { get { storage.text } set { unique.text = newValue } }

    public init(timeText: String = "", time: Date? = nil, host: String = "", program: String = "", pid: Int? = nil,
                message: String, file: String = "-", lineNumber: Int = 0, text: String? = nil) {
        storage = Storage(timeText: timeText, time: time, host: host, program: program, pid: pid, message: message,
                          file: file, lineNumber: lineNumber, text: text ?? message)
    }

    /// Parses one line of text (any supported format). `timeResolver` turns timestamps into instants.
    public static func parse(_ text: String, file: String = "-", lineNumber: Int = 0,
                             timeResolver: LogTimeResolver = LogTimeResolver()) -> LogLine {
        var copy = text
        return copy.withUTF8 { utf8 in
            LogLine(bytes: UnsafeRawBufferPointer(utf8), header: LineHeader.parse(UnsafeRawBufferPointer(utf8)),
                    file: file, lineNumber: lineNumber, timeResolver: timeResolver)
        }
    }

    init(bytes: UnsafeRawBufferPointer, header h: LineHeader, file: String, lineNumber: Int, timeResolver: LogTimeResolver) {
        func slice(_ s: Int, _ e: Int) -> String {
            guard e > s else { return "" }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[s..<e]), as: UTF8.self)
        }
        let time: Date?
        switch h.timeKind {
        case .none: time = nil
        case .syslog: time = timeResolver.resolveSyslog(UnsafeRawBufferPointer(rebasing: bytes[h.timeStart..<h.timeEnd]))
        case .iso: time = timeResolver.resolveISO(UnsafeRawBufferPointer(rebasing: bytes[h.timeStart..<h.timeEnd]))
        }
        storage = Storage(timeText: slice(h.timeStart, h.timeEnd), time: time, host: slice(h.hostStart, h.hostEnd),
                          program: slice(h.programStart, h.programEnd), pid: h.pid >= 0 ? h.pid : nil,
                          message: slice(h.messageStart, bytes.count), file: file, lineNumber: lineNumber,
                          text: slice(0, bytes.count))
    }

    // Equality, hashing and coding by the fields, as for a plain struct.
    public static func == (a: LogLine, b: LogLine) -> Bool {
        if a.storage === b.storage { return true }
        return a.lineNumber == b.lineNumber && a.pid == b.pid && a.time == b.time && a.message == b.message
            && a.text == b.text && a.timeText == b.timeText && a.host == b.host && a.program == b.program && a.file == b.file
    }

    public func hash(into h: inout Hasher) {
        h.combine(timeText); h.combine(time); h.combine(host); h.combine(program); h.combine(pid)
        h.combine(message); h.combine(file); h.combine(lineNumber); h.combine(text)
    }

    private enum CodingKeys: String, CodingKey { case timeText, time, host, program, pid, message, file, lineNumber, text }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        storage = Storage(timeText: try c.decode(String.self, forKey: .timeText), time: try c.decodeIfPresent(Date.self, forKey: .time),
                          host: try c.decode(String.self, forKey: .host), program: try c.decode(String.self, forKey: .program),
                          pid: try c.decodeIfPresent(Int.self, forKey: .pid), message: try c.decode(String.self, forKey: .message),
                          file: try c.decode(String.self, forKey: .file), lineNumber: try c.decode(Int.self, forKey: .lineNumber),
                          text: try c.decode(String.self, forKey: .text))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(timeText, forKey: .timeText); try c.encodeIfPresent(time, forKey: .time)
        try c.encode(host, forKey: .host); try c.encode(program, forKey: .program); try c.encodeIfPresent(pid, forKey: .pid)
        try c.encode(message, forKey: .message); try c.encode(file, forKey: .file)
        try c.encode(lineNumber, forKey: .lineNumber); try c.encode(text, forKey: .text)
    }
}

/// Turns logged timestamps into instants. Traditional syslog has no year and no zone:
/// the zone is `timeZone`, and the year is the reference date's unless that would put the
/// line more than a day after the reference (then it is the year before: a December line
/// in a file written in January).
public struct LogTimeResolver: Sendable {
    public let reference: Date
    public let timeZone: TimeZone
    private let refYear: Int, refMonth: Int, refDay: Int
    private let offsetCache = ZoneOffsetCache()

    /// `reference` is usually the file's modification time (the newest line cannot be later).
    public init(reference: Date = Date(), timeZone: TimeZone = .current) {
        self.reference = reference
        self.timeZone = timeZone
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        let c = cal.dateComponents([.year, .month, .day], from: reference)
        refYear = c.year ?? 1970; refMonth = c.month ?? 1; refDay = c.day ?? 1
    }

    /// The months' three letters packed as the parser reads them (`Apr` is 0x417072), January first.
    private static let monthKeys: [UInt32] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .map { $0.utf8.reduce(0) { $0 << 8 | UInt32($1) } }

    /// The month of three packed letters (`Apr`), without hashing: a scan of twelve integers.
    private static func month(_ key: UInt32) -> Int? {
        monthKeys.firstIndex(of: key).map { $0 + 1 }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    private func localInstant(year: Int, month: Int, day: Int, h: Int, mi: Int, s: Int, frac: Double) -> Date {
        let naive = Double(Self.daysFromCivil(year, month, day) * 86400 + h * 3600 + mi * 60 + s) + frac
        // The zone offset at that instant (twice, to land on the right side of a DST change).
        return Date(timeIntervalSince1970: naive - Double(offsetCache.offset(naiveLocal: naive, zone: timeZone)))
    }

    private static func digits(_ p: UnsafeRawBufferPointer, _ s: Int, _ len: Int) -> Int? {
        guard s + len <= p.count else { return nil }
        var v = 0
        for k in s..<(s + len) {
            let b = p[k]
            guard b &- 48 < 10 else { return nil }
            v = v * 10 + Int(b &- 48)
        }
        return v
    }

    private static func fraction(_ p: UnsafeRawBufferPointer, _ s: inout Int) -> Double {
        guard s < p.count, p[s] == 46 || p[s] == 44 else { return 0 }
        s += 1
        var v = 0.0, scale = 0.1
        while s < p.count, p[s] &- 48 < 10 { v += Double(p[s] &- 48) * scale; scale /= 10; s += 1 }
        return v
    }

    /// `Apr  3 07:30:47[.123456]`
    public func resolveSyslog(_ p: UnsafeRawBufferPointer) -> Date? {
        guard p.count >= 14 else { return nil }
        let key = UInt32(p[0]) << 16 | UInt32(p[1]) << 8 | UInt32(p[2])
        guard let month = Self.month(key) else { return nil }
        var i = 4
        if p[i] == 32 { i += 1 }
        var day = 0
        while i < p.count, p[i] &- 48 < 10 { day = day * 10 + Int(p[i] &- 48); i += 1 }
        i += 1
        guard let h = Self.digits(p, i, 2), let mi = Self.digits(p, i + 3, 2), let s = Self.digits(p, i + 6, 2) else { return nil }
        var f = i + 8
        let frac = Self.fraction(p, &f)
        var year = refYear
        // A line cannot be much newer than its file: then it belongs to the previous year.
        if month > refMonth || (month == refMonth && day > refDay + 1) { year -= 1 }
        return localInstant(year: year, month: month, day: day, h: h, mi: mi, s: s, frac: frac)
    }

    /// `2024-04-03T07:30:47[.frac][Z|+02:00|+0200]`; without a zone, `timeZone`.
    public func resolveISO(_ p: UnsafeRawBufferPointer) -> Date? {
        guard let y = Self.digits(p, 0, 4), let mo = Self.digits(p, 5, 2), let d = Self.digits(p, 8, 2),
              let h = Self.digits(p, 11, 2), let mi = Self.digits(p, 14, 2), let s = Self.digits(p, 17, 2),
              (1...12).contains(mo), (1...31).contains(d)
        else { return nil }
        var i = 19
        let frac = Self.fraction(p, &i)
        let base = Double(Self.daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) + frac
        if i < p.count && p[i] == 90 { return Date(timeIntervalSince1970: base) }
        if i < p.count && (p[i] == 43 || p[i] == 45) {
            let sign = p[i] == 45 ? -1 : 1
            guard let oh = Self.digits(p, i + 1, 2) else { return nil }
            var j = i + 3
            if j < p.count && p[j] == 58 { j += 1 }
            let om = Self.digits(p, j, 2) ?? 0
            return Date(timeIntervalSince1970: base - Double(sign * (oh * 3600 + om * 60)))
        }
        return localInstant(year: y, month: mo, day: d, h: h, mi: mi, s: s, frac: frac)
    }
}

/// Zone offsets per local hour: Foundation's TimeZone lookups cost microseconds on Linux, and a log
/// has few distinct hours. Lines are read by one analyzer at a time; the lock only keeps it honest.
final class ZoneOffsetCache: Sendable {
    private let hours = Mutex<[Int: Int]>([:])

    func offset(naiveLocal: Double, zone: TimeZone) -> Int {
        let hour = Int((naiveLocal / 3600).rounded(.down))
        return hours.withLock { hours in
            if let o = hours[hour] { return o }
            // Twice, to land on the right side of a daylight saving change.
            var o = zone.secondsFromGMT(for: Date(timeIntervalSince1970: naiveLocal))
            o = zone.secondsFromGMT(for: Date(timeIntervalSince1970: naiveLocal - Double(o)))
            if hours.count > 100_000 { hours.removeAll() }
            hours[hour] = o
            return o
        }
    }
}
