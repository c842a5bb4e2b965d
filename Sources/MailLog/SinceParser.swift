import Foundation

/// Parses `--since`: an ISO date or date-time (`2024-04-03`, `2024-04-03T07:00:00Z`, `2024-04-03 07:00`)
/// or an age (`30m`, `12h`, `7d`).
public enum SinceParser {
    public static func parse(_ text: String, now: Date = Date(), timeZone: TimeZone = .current) -> Date? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let unit = t.last, let n = Double(t.dropLast()), n >= 0 {
            switch unit {
            case "s": return now.addingTimeInterval(-n)
            case "m": return now.addingTimeInterval(-n * 60)
            case "h": return now.addingTimeInterval(-n * 3600)
            case "d": return now.addingTimeInterval(-n * 86400)
            case "w": return now.addingTimeInterval(-n * 7 * 86400)
            default: break
            }
        }
        var padded = t
        if padded.count == 10 { padded += "T00:00:00" }
        else if padded.count == 16 { padded += ":00" }
        let resolver = LogTimeResolver(reference: now, timeZone: timeZone)
        let bytes = Array(padded.utf8)
        return bytes.withUnsafeBytes { resolver.resolveISO($0) }
    }
}
