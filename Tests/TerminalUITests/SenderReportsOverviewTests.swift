import Diagnosis
import Foundation
import Testing
import TerminalUI
import TestSupport
import TLSReports
import WizardCore
import WizardFixtures

/// The Overview's "Reported by senders" section: shown only when reports were given, each failure detail with its
/// cause, the unseen ones in the warning colour, and the mail log still below it.
struct SenderReportsOverviewTests {
    /// Google's sample report (two failures from addresses no log holds) joined with logs that were read but empty.
    static func row() -> SenderReportsRow {
        let reader = TLSReportReader()
        reader.read(bytes: Array(TLSReportSamples.google().utf8), source: "google.json")
        let failures = LocalLogMatcher.join(reader.set, logFiles: [], events: [], logsRead: true, configuration: nil, smtpPorts: [],
                                            certificateCause: nil)
        return SenderReportsRow(SenderReports(set: reader.set, failures: failures, logsRead: true))
    }

    @Test func theAdapterSaysWhichFailuresTheLogsDoNotShow() {
        let row = Self.row()
        #expect(row.headline == "1 report from Google Inc.: 1200 successful, 7 failed sessions", "\(row.headline)")
        #expect(row.notSeenLocally == 2)
        #expect(row.lines == ["not seen locally: name_mismatch  5 certificate-host-mismatch from 209.85.128.70 (Google Inc.)",
                              "not seen locally: starttls_unavailable  2 starttls-not-supported from 209.85.221.70 (Google Inc.)"],
                "\(row.lines)")
    }

    @Test(arguments: [TerminalSize(width: 80, height: 24), TerminalSize(width: 132, height: 43)])
    func theOverviewShowsTheSectionAboveTheMailLog(size: TerminalSize) throws {
        let without = WizardScreen.render(DemoStates.loaded(size: size)).dump()
        #expect(!without.contains { $0.contains("Reported by senders") })
        let state = reduce(DemoStates.loaded(size: size), .senderReportsLoaded(Self.row())).0
        let buffer = WizardScreen.render(state)
        let lines = buffer.dump()
        let heading = try #require(lines.firstIndex { $0.contains("Reported by senders") }, "\(lines.joined(separator: "\n"))")
        let log = try #require(lines.firstIndex { $0.contains("Mail log") }, "\(lines.joined(separator: "\n"))")
        let problems = try #require(lines.firstIndex { $0.contains("Problems") })
        #expect(problems < heading && heading < log, "\(lines.joined(separator: "\n"))")
        #expect(lines[heading].contains("1 report from Google Inc."))
        #expect(lines[heading + 1].contains("name_mismatch") && lines[heading + 1].contains("not seen locally"), "\(lines.joined(separator: "\n"))")
        #expect(lines[heading + 2].contains("starttls_unavailable"), "\(lines.joined(separator: "\n"))")
    }
}
