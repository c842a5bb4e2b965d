import Foundation
import PostlsCore
import Testing
import TestSupport

/// `postls tlsrpt` on a Maildir and an mbox that a real Postfix filled: report messages as Google and Microsoft
/// send them, one built by swaks's own MIME encoder, a malformed report, and ordinary mail, all delivered over SMTP.
@Suite("postls tlsrpt on mail a real Postfix delivered", .enabled(if: Prerequisites.postfix && (Prerequisites.isCI || Prerequisites.has("swaks"))),
       .serialized)
struct TLSRPTCommandTests {
    final class Delivered: @unchecked Sendable {
        let mailbox: ReportMailbox
        let files: TemporaryDirectory
        static let shared = Result { try Delivered() }

        init() throws {
            mailbox = try ReportMailbox()
            files = try TemporaryDirectory(prefix: "postls-tlsrpt-files")
            let to = ReportMailbox.maildirAddress
            let google = try TLSReportSamples.gzip(TLSReportSamples.google())
            let microsoft = try TLSReportSamples.gzip(TLSReportSamples.microsoft(mode: "testing"))
            try mailbox.deliver(TLSReportSamples.googleMessage(gz: google, to: to), from: "noreply-smtp-tls-reporting@google.com")
            try mailbox.deliver(TLSReportSamples.microsoftMessage(gz: microsoft, to: to), from: "tlsrpt-noreply@microsoft.com")
            try mailbox.deliver(TLSReportSamples.jsonMessage(json: TLSReportSamples.malformed, submitter: "broken.example", to: to))
            try mailbox.deliver(TLSReportSamples.plainMessage(to: to))
            let other = files.file("other.example!reports.test!1796169600!1796255999!7.json.gz")
            try TLSReportSamples.gzip(TLSReportSamples.google(day: "2026-12-02").replacingOccurrences(of: "Google Inc.", with: "Other Sender"))
                .write(to: URL(fileURLWithPath: other))
            try mailbox.deliverAttachment(file: other, type: "application/tlsrpt+gzip")
            // The same reports archived in an mbox.
            try mailbox.deliver(TLSReportSamples.googleMessage(gz: google, to: ReportMailbox.mboxAddress), to: ReportMailbox.mboxAddress)
            try mailbox.deliver(TLSReportSamples.microsoftMessage(gz: microsoft, to: ReportMailbox.mboxAddress), to: ReportMailbox.mboxAddress)
            guard mailbox.waitForMaildir(count: 5), mailbox.waitForMbox(count: 2) else {
                throw HarnessError.startFailed("not delivered: \(mailbox.postfix.logText().suffix(3000))")
            }
        }
    }

    let delivered: Delivered
    init() throws { delivered = try Delivered.shared.get() }

    /// The acceptance line: both shapes summarised, the malformed one reported with its reason, exit 1 (failed
    /// sessions and a rejected report, nothing blocked under a testing policy).
    @Test func aMaildirOfBothShapesAndAMalformedReportIsSummarised() throws {
        let out = try PostlsBinary.run(["tlsrpt", delivered.mailbox.maildir])
        #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
        let text = out.stdout
        for needle in ["TLS reports: 3 read, 1 rejected, 1 skipped",
                       "Google Inc.  2026-12-01  (1 report; reports.test)", "sessions: 1200 successful, 7 failed",
                       "certificate-host-mismatch  5  (name_mismatch)",
                       "mx1.reports.test [192.0.2.25]  certificate-host-mismatch  5  from 209.85.128.70",
                       "Microsoft Corporation  2026-12-01", "sessions: 40 successful, 3 failed", "sts-policy-fetch-error  3  (mta_sts_mismatch)",
                       "Other Sender  2026-12-02",
                       "[report.json]: policies[0].summary.total-failure-session-count: expected a whole number of sessions, found \"many\"",
                       "no TLS report in this message (\"lunch\")"] {
            #expect(text.contains(needle), "missing \(needle) in\n\(text)")
        }
    }

    @Test func anMboxOfTheSameReportsGivesTheSameDays() throws {
        let out = try PostlsBinary.run(["tlsrpt", "--json", delivered.mailbox.mbox])
        #expect(out.status == 1, "\(out.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let days = try #require(object["days"] as? [[String: Any]])
        #expect(days.map { $0["organization"] as? String } == ["Google Inc.", "Microsoft Corporation"])
        #expect(try JSONSchemaValidator.validate(json: out.stdout, schema: "tlsrpt.schema.json").isEmpty)
    }

    @Test func anEnforcedPolicyThatFailedExitsTwoAndStandardInputIsRead() throws {
        let report = TLSReportSamples.microsoft(fetchErrors: 2, mode: "enforce")
        let out = try PostlsBinary.run(["tlsrpt", "-"], stdin: report)
        #expect(out.status == 2, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.contains("2 not delivered"))
    }

    @Test func reportsWithoutFailuresExitZero() throws {
        let file = try delivered.files.write("fine.json", TLSReportSamples.google(hostMismatch: 0, starttls: 0))
        let out = try PostlsBinary.run(["tlsrpt", file])
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
    }

    @Test func aMissingPathExitsSixtySix() throws {
        let out = try PostlsBinary.run(["tlsrpt", delivered.mailbox.maildir, "/nonexistent/reports"])
        #expect(out.status == 66)
        #expect(out.stderr.contains("/nonexistent/reports: cannot read: No such file or directory"))
        #expect(out.stdout.contains("TLS reports: 3 read"), "what could be read is still summarised")
    }
}
