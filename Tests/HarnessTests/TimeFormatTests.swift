import Foundation
import PostlsCore
import Testing

/// The one time format: what ISO8601DateFormatter writes, by hand (the log engine writes one per event).
struct TimeFormatTests {
    static let dates: [Double] = [0, 1, 59, 951_782_400 /* 2000-02-29 */, 1_700_000_000.999, 1_796_600_000.5, 4_102_444_799 /* 2099-12-31T23:59:59 */,
                                  -1, -86_400.25, -2_208_988_800 /* 1900-01-01 */]

    @Test(arguments: dates)
    func iso8601IsWhatTheFoundationFormatterWrites(_ seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(TimeFormat.iso8601(date) == ISO8601DateFormatter().string(from: date))
        let day = ISO8601DateFormatter(); day.formatOptions = [.withFullDate]
        #expect(TimeFormat.day(date) == day.string(from: date))
    }

    @Test(arguments: dates)
    func aWrittenTimeReadsBackToItsMillisecond(_ seconds: Double) throws {
        let date = Date(timeIntervalSince1970: seconds)
        let read = try #require(TimeFormat.parse(TimeFormat.iso8601Milliseconds(date)))
        #expect(abs(read.timeIntervalSince1970 - (seconds * 1000).rounded(.down) / 1000) < 0.0005)
        #expect(TimeFormat.parse(TimeFormat.iso8601(date))?.timeIntervalSince1970 == seconds.rounded(.down))
    }

    @Test func theCompactFormsDropTheSeparators() {
        let date = Date(timeIntervalSince1970: 1_796_600_000)  // 2026-12-07T...
        #expect(TimeFormat.iso8601Milliseconds(Date(timeIntervalSince1970: 1_796_600_000.5)) == TimeFormat.iso8601(date).dropLast() + ".500Z")
        #expect(TimeFormat.basic(date) == TimeFormat.iso8601(date).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: ""))
        #expect(TimeFormat.digits(date).count == 14 && TimeFormat.digits(date).allSatisfy(\.isNumber))
    }

    @Test(arguments: ["", "2026-12-07", "2026-12-07T05:11:33", "2026-12-07T05:11:33+01:00", "2026-13-07T05:11:33Z", "2026-12-07T05:11:33.Z", "x026-12-07T05:11:33Z"])
    func anythingElseIsNotATime(_ text: String) {
        #expect(TimeFormat.parse(text) == nil)
    }
}
