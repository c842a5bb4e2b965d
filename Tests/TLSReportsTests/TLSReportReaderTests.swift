import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSReports

/// Reports in files, messages and mailboxes, found by their content whatever the files are called.
@Suite("TLS report inputs")
struct TLSReportReaderTests {
    let dir: TemporaryDirectory
    init() throws { dir = try TemporaryDirectory(prefix: "postls-tlsrpt") }

    func read(_ paths: String...) -> TLSReportSet {
        let reader = TLSReportReader()
        for path in paths { reader.read(path: path) }
        return reader.set
    }

    func write(_ name: String, _ data: Data) throws -> String {
        let path = dir.file(name)
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func plainAndGzippedJSONFilesAreRead() throws {
        let json = try dir.write("google.json", TLSReportSamples.google())
        let gz = try write("microsoft.com!reports.test!1796083200!1796169599!1.json.gz", try TLSReportSamples.gzip(TLSReportSamples.microsoft()))
        let set = read(json, gz)
        #expect(set.rejected.isEmpty && set.unreadable.isEmpty, "\(set.rejected) \(set.unreadable)")
        #expect(set.reports.map(\.organization) == ["Google Inc.", "Microsoft Corporation"])
        #expect(set.reports.map(\.source) == [json, gz])
    }

    @Test func theFileNameGivesTheDayWhenTheReportHasNone() throws {
        let json = #"{"organization-name":"nodate","policies":[{"summary":{"total-successful-session-count":1,"total-failure-session-count":0}}]}"#
        let gz = try write("nodate.example!reports.test!1796083200!1796169599!x.json.gz", try TLSReportSamples.gzip(json))
        #expect(read(gz).reports.first?.day == "2026-12-01")
    }

    @Test func googleAndMicrosoftMessagesAreReadFromTheirAttachments() throws {
        let google = try dir.write("google.eml", TLSReportSamples.googleMessage(gz: try TLSReportSamples.gzip(TLSReportSamples.google()), to: "a@reports.test"))
        let microsoft = try dir.write("ms.eml", TLSReportSamples.microsoftMessage(gz: try TLSReportSamples.gzip(TLSReportSamples.microsoft()), to: "a@reports.test")
            .replacingOccurrences(of: "\n", with: "\r\n"))
        let json = try dir.write("qp.eml", TLSReportSamples.jsonMessage(json: TLSReportSamples.google(day: "2026-12-03"), submitter: "qp.example", to: "a@reports.test"))
        let set = read(google, microsoft, json)
        #expect(set.rejected.isEmpty, "\(set.rejected)")
        #expect(set.reports.map(\.organization) == ["Google Inc.", "Microsoft Corporation", "Google Inc."])
        #expect(set.reports[0].source == google + " [google.com!reports.test!1796083200!1796169599!001.json.gz]")
        #expect(set.reports[1].submitter == "microsoft.com")
        #expect(set.reports[2].day == "2026-12-03" && set.reports[2].policies.first?.failedSessions == 7)
    }

    @Test func aForwardedReportMessageIsReadInsideTheForward() throws {
        let inner = TLSReportSamples.googleMessage(gz: try TLSReportSamples.gzip(TLSReportSamples.google()), to: "a@reports.test")
        let forward = "From: admin@reports.test\nTo: b@reports.test\nSubject: Fwd: report\nMIME-Version: 1.0\n"
            + "Content-Type: multipart/mixed; boundary=fwd\n\n--fwd\nContent-Type: text/plain\n\nsee attached\n--fwd\n"
            + "Content-Type: message/rfc822\n\n" + inner + "\n--fwd--\n"
        let set = read(try dir.write("fwd.eml", forward))
        #expect(set.reports.count == 1 && set.rejected.isEmpty, "\(set)")
    }

    /// A nested boundary may extend the outer one (`b` and `b--1`): "--b--1" neither opens nor closes the outer part.
    @Test func aBoundaryThatExtendsTheOuterOneIsNotMistakenForIt() throws {
        let base64 = try TLSReportSamples.gzip(TLSReportSamples.google()).base64EncodedString(options: .lineLength64Characters)
        let message = "From: x@example.org\nSubject: nested\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
            + "Content-Type: multipart/report; report-type=tlsrpt; boundary=\"b--1\"\n\n--b--1\nContent-Type: text/plain\n\nreport\n--b--1\n"
            + "Content-Type: application/tlsrpt+gzip\nContent-Transfer-Encoding: base64\n\n\(base64)\n--b--1--\n--b--\n"
        let set = read(try dir.write("nested.eml", message.replacingOccurrences(of: "\r\n", with: "\n")))
        #expect(set.reports.count == 1 && set.rejected.isEmpty, "\(set)")
    }

    @Test func anMboxIsSplitIntoItsMessages() throws {
        let gz = try TLSReportSamples.gzip(TLSReportSamples.microsoft(day: "2026-12-05"))
        let mbox = "From tlsrpt@example Mon Dec  7 10:00:00 2026\n" + TLSReportSamples.googleMessage(gz: try TLSReportSamples.gzip(TLSReportSamples.google()), to: "a@reports.test")
            + "\nFrom x@example Mon Dec  7 10:01:00 2026\n" + TLSReportSamples.plainMessage(to: "a@reports.test").replacingOccurrences(of: "Not a report.", with: ">From here on, not a report.")
            + "\nFrom y@example Mon Dec  7 10:02:00 2026\n" + TLSReportSamples.microsoftMessage(gz: gz, to: "a@reports.test")
        let path = try dir.write("archive", mbox)
        let set = read(path)
        #expect(set.reports.map(\.day) == ["2026-12-01", "2026-12-05"], "\(set)")
        #expect(set.skipped.map(\.source) == [path + " (message 2)"])
        #expect(set.skipped.first?.reason.contains("no TLS report in this message") == true)
    }

    @Test func aMaildirIsReadFromNewAndCurAndItsSubfolders() throws {
        let gz = try TLSReportSamples.gzip(TLSReportSamples.google())
        for sub in ["tmp", "new", "cur", ".Reports/new", ".Reports/cur", ".Reports/tmp"] {
            try FileManager.default.createDirectory(atPath: dir.file("Maildir/" + sub), withIntermediateDirectories: true)
        }
        _ = try dir.write("Maildir/new/1.a", TLSReportSamples.googleMessage(gz: gz, to: "a@reports.test"))
        _ = try dir.write("Maildir/cur/2.b:2,S", TLSReportSamples.plainMessage(to: "a@reports.test"))
        _ = try dir.write("Maildir/tmp/3.c", "half delivered")
        _ = try dir.write("Maildir/.Reports/cur/4.d:2,S", TLSReportSamples.microsoftMessage(gz: try TLSReportSamples.gzip(TLSReportSamples.microsoft()), to: "a@reports.test"))
        let set = read(dir.file("Maildir"))
        #expect(set.reports.map(\.organization) == ["Google Inc.", "Microsoft Corporation"])
        #expect(set.skipped.count == 1 && set.rejected.isEmpty, "\(set)")
    }

    @Test func theSameReportTwiceIsCountedOnce() throws {
        let a = try dir.write("a.json", TLSReportSamples.google())
        let b = try write("b.json.gz", try TLSReportSamples.gzip(TLSReportSamples.google()))
        let set = read(a, b)
        #expect(set.reports.count == 1)
        #expect(set.skipped.first?.reason == "the same report (report-id 2026-12-01T00:00:00Z_reports.test) as \(a)")
    }

    /// Files are read on every core: the result is in file order and a report in two files is counted once.
    @Test func aFolderReadInParallelGivesItsFilesInOrder() throws {
        try FileManager.default.createDirectory(atPath: dir.file("many"), withIntermediateDirectories: true)
        for n in 0..<200 {
            let json = TLSReportSamples.google(day: String(format: "2026-11-%02d", 1 + n % 30), successful: n)
            _ = try dir.write(String(format: "many/%03d.json", n), json)
        }
        let set = read(dir.file("many"))
        #expect(set.reports.count == 30 && set.skipped.count == 170)
        #expect(set.reports.map(\.source) == (0..<30).map { dir.file(String(format: "many/%03d.json", $0)) })
        #expect(set.skipped.first?.source == dir.file("many/030.json") && set.skipped.first?.reason.hasSuffix("as \(dir.file("many/000.json"))") == true)
    }

    @Test func whatCannotBeReadIsListedWithItsReason() throws {
        let gz = try TLSReportSamples.gzip(TLSReportSamples.google())
        let truncated = try write("cut.json.gz", gz.prefix(gz.count / 2))
        let badBase64 = try dir.write("bad64.eml", TLSReportSamples.googleMessage(gz: gz, to: "a@reports.test")
            .replacingOccurrences(of: "Content-Transfer-Encoding: base64\n\n", with: "Content-Transfer-Encoding: base64\n\n!!not base64!!\n"))
        let noAttachment = try dir.write("empty-report.eml",
            "From: x@example.org\nSubject: Report Domain: reports.test\nContent-Type: multipart/report; report-type=tlsrpt; boundary=b\n\n--b\nContent-Type: text/plain\n\nhello\n--b--\n")
        let notReport = try dir.write("notes.txt", "\u{1}\u{2} binary junk")
        let malformed = try dir.write("broken.json", TLSReportSamples.malformed)
        let missing = dir.file("missing.json")
        let set = read(truncated, badBase64, noAttachment, notReport, malformed, missing)
        #expect(set.reports.isEmpty)
        let reasons = Dictionary(set.rejected.map { ($0.source, $0.reason) }, uniquingKeysWith: { a, _ in a })
        #expect(reasons[truncated]?.contains("truncated") == true, "\(reasons)")
        #expect(reasons.first { $0.key.hasPrefix(badBase64) }?.value == "the attachment is not valid base64", "\(reasons)")
        #expect(reasons[noAttachment]?.contains("with no application/tlsrpt+gzip or application/tlsrpt+json attachment") == true)
        #expect(reasons[notReport]?.hasPrefix("not a TLS report") == true)
        #expect(reasons[malformed]?.contains("total-failure-session-count") == true)
        #expect(set.unreadable == [TLSReportRejection(source: missing, reason: "No such file or directory")])
    }

    @Test func standardInputIsReadLikeAFile() throws {
        let reader = TLSReportReader()
        reader.read(bytes: [UInt8](try TLSReportSamples.gzip(TLSReportSamples.google())), source: "-")
        #expect(reader.set.reports.first?.source == "-")
    }
}

@Suite("TLS report summary")
struct TLSReportSummaryTests {
    func summary(_ jsons: [String]) throws -> TLSReportSummary {
        var set = TLSReportSet()
        for (n, json) in jsons.enumerated() { set.reports.append(try TLSReportParser.parse(json: Data(json.utf8), source: "r\(n)").get()) }
        return TLSReportSummary(set)
    }

    @Test func reportsAreAddedUpPerOrganisationAndDay() throws {
        let s = try summary([
            TLSReportSamples.google(day: "2026-12-01", hostMismatch: 5, starttls: 2, successful: 100),
            TLSReportSamples.google(domain: "other.test", day: "2026-12-01", hostMismatch: 1, starttls: 0, successful: 10),
            TLSReportSamples.google(day: "2026-12-02", hostMismatch: 0, starttls: 0, successful: 50),
            TLSReportSamples.microsoft(day: "2026-12-01", fetchErrors: 3, mode: "testing"),
        ])
        #expect(s.days.map { "\($0.organization) \($0.day)" } == ["Google Inc. 2026-12-01", "Microsoft Corporation 2026-12-01", "Google Inc. 2026-12-02"])
        let first = s.days[0]
        #expect(first.reports == 2 && first.policyDomains == ["other.test", "reports.test"])
        #expect(first.successfulSessions == 110 && first.failedSessions == 8 && first.blockedSessions == 0)
        #expect(first.failuresByResultType == [.certificateHostMismatch: 6, .starttlsNotSupported: 2])
        #expect(first.failing.first == TLSFailingHost(resultType: .certificateHostMismatch, receivingMXHostname: "mx1.reports.test", receivingIP: "192.0.2.25",
                                                       failedSessions: 5, sendingMTAIPs: ["209.85.128.70"], failureReasonCodes: []))
        #expect(s.worstSeverity == .warning)
    }

    @Test func failuresUnderAnEnforcedPolicyAreMailNotDelivered() throws {
        let s = try summary([TLSReportSamples.microsoft(fetchErrors: 3, mode: "enforce")])
        #expect(s.days.first?.blockedSessions == 3)
        #expect(s.worstSeverity == .critical)
        #expect(TLSReportTextReport.render(s).contains("3 not delivered"))
    }

    @Test func noFailureAndNoRejectionIsNothingToReport() throws {
        let s = try summary([TLSReportSamples.google(hostMismatch: 0, starttls: 0)])
        #expect(s.worstSeverity == nil)
        var set = s.set
        set.rejected.append(TLSReportRejection(source: "x", reason: "y"))
        #expect(TLSReportSummary(set).worstSeverity == .warning)
    }

    @Test func theTextNamesSessionsResultTypesCausesAndFailingHosts() throws {
        let text = TLSReportTextReport.render(try summary([TLSReportSamples.google(), TLSReportSamples.microsoft()]))
        for needle in ["TLS reports: 2 read, 0 rejected, 0 skipped", "Google Inc.  2026-12-01", "sessions: 1200 successful, 7 failed",
                       "certificate-host-mismatch  5  (name_mismatch)", "starttls-not-supported     2  (starttls_unavailable)",
                       "mx1.reports.test [192.0.2.25]  certificate-host-mismatch  5  from 209.85.128.70",
                       "(MX not named)  sts-policy-fetch-error  3"] {
            #expect(text.contains(needle), "missing \(needle) in\n\(text)")
        }
    }
}
