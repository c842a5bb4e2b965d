import Foundation

/// The one way postls writes and reads times: ISO 8601 in UTC (`2026-12-07T05:11:33Z`). By hand on the proleptic
/// Gregorian calendar, with no formatter object: the log engine writes one time per event of a multi-gigabyte log
/// (docs/BENCHMARKS.md), and a formatter per probe record made reading a full record take a second.
public enum TimeFormat {
    /// `2026-12-07T05:11:33Z`: whole seconds, cut down (as `ISO8601DateFormatter` writes it).
    public static func iso8601(_ date: Date) -> String {
        var b = civil(wholeSeconds(date), time: true)
        b.append(90)  // Z
        return String(decoding: b, as: UTF8.self)
    }

    /// `2026-12-07T05:11:33.123Z`: milliseconds, cut down (the probe record's windows last a few seconds).
    public static func iso8601Milliseconds(_ date: Date) -> String {
        let whole = wholeSeconds(date)
        let millis = min(999, max(0, Int(((date.timeIntervalSince1970 - Double(whole)) * 1000).rounded(.down))))
        var b = civil(whole, time: true)
        b.append(46)
        b.append(UInt8(48 + millis / 100)); b.append(UInt8(48 + millis / 10 % 10)); b.append(UInt8(48 + millis % 10))
        b.append(90)
        return String(decoding: b, as: UTF8.self)
    }

    /// `2026-12-07`: the UTC day.
    public static func day(_ date: Date) -> String { String(decoding: civil(wholeSeconds(date), time: false), as: UTF8.self) }

    /// `20261207T051133Z`: ISO 8601's basic form, for file names (backups, journal entries).
    public static func basic(_ date: Date) -> String { String(iso8601(date).filter { $0 != "-" && $0 != ":" }) }

    /// `20261207051133`: the digits alone, for record ids (the MTA-STS policy id).
    public static func digits(_ date: Date) -> String { String(iso8601(date).filter(\.isNumber)) }

    /// Reads `iso8601` and `iso8601Milliseconds` (any number of fraction digits; `Z` required); nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func num(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= b.count else { return nil }
            var v = 0
            for k in at..<(at + n) { let d = b[k] &- 48; guard d < 10 else { return nil }; v = v * 10 + Int(d) }
            return v
        }
        guard b.count >= 20, b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58, b.last == 90,
              let year = num(0, 4), let month = num(5, 2), let day = num(8, 2), let hour = num(11, 2), let minute = num(14, 2),
              let second = num(17, 2), (1...12).contains(month), (1...31).contains(day) else { return nil }
        var fraction = 0.0
        if b.count > 20 {
            guard b[19] == 46, b.count > 21 else { return nil }
            var scale = 0.1
            for k in 20..<(b.count - 1) {
                let d = b[k] &- 48
                guard d < 10 else { return nil }
                fraction += Double(d) * scale
                scale /= 10
            }
        }
        let seconds = daysFromCivil(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    private static func wholeSeconds(_ date: Date) -> Int { Int(date.timeIntervalSince1970.rounded(.down)) }

    /// The UTC day (days since 1970-01-01) and the second of that day that `iso8601` writes for `date`: for a writer
    /// that keeps the day's text and writes only the time of day.
    public static func dayAndSecond(_ date: Date) -> (day: Int, second: Int) { dayAndSecond(wholeSeconds(date)) }

    private static func dayAndSecond(_ t: Int) -> (day: Int, second: Int) {
        let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        return (days, t - days * 86400)
    }

    /// `YYYY-MM-DD`, and `THH:MM:SS` when `time`, for seconds since the epoch.
    private static func civil(_ t: Int, time: Bool) -> [UInt8] {
        let (days, secs) = dayAndSecond(t)
        // civil_from_days (Howard Hinnant)
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        var b: [UInt8] = []
        b.reserveCapacity(24)
        func two(_ v: Int) { b.append(UInt8(48 + v / 10 % 10)); b.append(UInt8(48 + v % 10)) }
        two(y / 100); two(y % 100); b.append(45); two(m); b.append(45); two(d)
        if time { b.append(84); two(secs / 3600); b.append(58); two(secs % 3600 / 60); b.append(58); two(secs % 60) }
        return b
    }

    /// days_from_civil (Howard Hinnant): days since 1970-01-01 of a proleptic Gregorian date.
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
