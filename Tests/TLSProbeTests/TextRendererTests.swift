import Foundation
import Testing
@testable import TLSProbe

/// The text table of `postls probe`, compared with a reviewed golden file. Re-record with
/// `POSTLS_RECORD_GOLDEN=1 swift test --filter TextRendererTests` and review the diff.
@Suite("Probe text output")
struct TextRendererTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    @Test func reportRendersAsTheGoldenTable() throws {
        // A real report (STARTTLS listener, wrapper-mode listener, a port where nothing listens) recorded as JSON.
        let json = try Data(contentsOf: Self.golden.appendingPathComponent("report.json"))
        let report = try ProbeReport.decode(json)
        let text = ProbeTextRenderer(color: false).render(report)
        let expectedURL = Self.golden.appendingPathComponent("report.txt")
        if ProcessInfo.processInfo.environment["POSTLS_RECORD_GOLDEN"] != nil {
            try text.write(to: expectedURL, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: expectedURL, encoding: .utf8)
        #expect(text == expected)
        #expect(report.exitCode == .warnings, "nothing on the third port is a warning, not critical")
    }

    @Test func colorMarksSeverities() throws {
        let json = try Data(contentsOf: Self.golden.appendingPathComponent("report.json"))
        let text = ProbeTextRenderer(color: true).render(try ProbeReport.decode(json))
        #expect(text.contains("\u{1B}[33m"), "the warning is yellow")
    }
}
