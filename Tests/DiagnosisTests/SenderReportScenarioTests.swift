import Foundation
import PostfixConfig
import PostlsCore
import Testing
import TestSupport
import TLSReports
@testable import Diagnosis

/// `postls diagnose --tlsrpt`: senders' reports (RFC 8460, built here in Google's and Microsoft's shapes) joined to
/// a real Postfix whose log holds sessions from the reported addresses (extra loopback addresses: 127.0.0.2 fails
/// the handshake on the wrong-name certificate, 127.0.0.3 speaks plaintext) and none from a third (127.0.0.9).
@Suite("Senders' TLS reports joined to a real Postfix", .enabled(if: Prerequisites.postfix && Prerequisites.swaks && Prerequisites.openssl))
struct SenderReportScenarioTests {
    /// Google's shape: every field but `receiving-mx-helo` and `failure-reason-code`, `mx-host` a list.
    static func googleShaped(start: String, end: String, failures: [(type: String, ip: String, count: Int)]) -> String {
        let details = failures.map { f in
            #"{"result-type":"\#(f.type)","sending-mta-ip":"\#(f.ip)","receiving-ip":"127.0.0.1","receiving-mx-hostname":"mail.postls.test","failed-session-count":\#(f.count)}"#
        }.joined(separator: ",")
        let failed = failures.reduce(0) { $0 + $1.count }
        return """
            {"organization-name":"Google Inc.","date-range":{"start-datetime":"\(start)","end-datetime":"\(end)"},\
            "contact-info":"smtp-tls-reporting@google.com","report-id":"\(start)_postls.test",\
            "policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: enforce","mx: mail.postls.test","max_age: 86400"],\
            "policy-domain":"postls.test","mx-host":["mail.postls.test"]},\
            "summary":{"total-successful-session-count":90,"total-failure-session-count":\(failed)},\
            "failure-details":[\(details)]},\
            {"policy":{"policy-type":"no-policy-found","policy-domain":"postls.test"},\
            "summary":{"total-successful-session-count":4,"total-failure-session-count":0}}]}
            """
    }

    /// Microsoft's shape: no `mx-host`, no `policy-string`, failure details with neither address.
    static func microsoftShaped(start: String, end: String, type: String, count: Int) -> String {
        """
        {
          "organization-name": "Microsoft Corporation",
          "date-range": { "start-datetime": "\(start)", "end-datetime": "\(end)" },
          "contact-info": "tlsrpt-noreply@microsoft.com",
          "report-id": "133944884956529435+postls.test",
          "policies": [
            {
              "policy": { "policy-type": "no-policy-found", "policy-domain": "postls.test" },
              "summary": { "total-successful-session-count": 12, "total-failure-session-count": \(count) },
              "failure-details": [ { "result-type": "\(type)", "failed-session-count": \(count) } ]
            }
          ]
        }
        """
    }

    /// The scenario: the MX serves a certificate for another name; a verifying sender from 127.0.0.2 aborts on it,
    /// a plaintext sender from 127.0.0.3 delivers nothing; the reports go into a Maildir-like folder as a gzip file
    /// and a MIME message.
    func world() throws -> (Scenario, reports: String) {
        let s = try Scenario()
        let bad = try s.pki.leaf("bad", commonName: "other.postls.test")
        try s.start(mainCF: s.tlsMainCF.replacingOccurrences(of: s.mail.fullChainFile, with: bad.fullChainFile)
                        .replacingOccurrences(of: s.mail.keyFile, with: bad.keyFile),
                    listeners: [PostfixListener(name: "smtp")])
        let mx = try s.address("smtp")
        s.smtpPorts = [Int(mx.port)]
        let start = s.settledOffset()
        let aborted = try Peers.opensslClient(mx, starttls: true, arguments: ["-bind", "127.0.0.2", "-verify_return_error", "-CAfile", s.pki.rootFile,
                                                                             "-verify_hostname", "mail.postls.test"])
        #expect(!Scenario.handshakeSucceeded(aborted), "\(aborted.stdout)")
        let plain = try Peers.swaks(["--server", "127.0.0.1", "--port", "\(mx.port)", "--local-interface", "127.0.0.3",
                                     "--quit-after", "EHLO", "--timeout", "5"])
        #expect(plain.status == 0, "\(plain.stdout)\(plain.stderr)")
        #expect(s.waitFor("disconnect from unknown[127.0.0.2]", after: start) && s.waitFor("disconnect from unknown[127.0.0.3]", after: start), "\(s.logText)")

        let now = Date()
        let from = TimeFormat.iso8601(now.addingTimeInterval(-3600)), to = TimeFormat.iso8601(now.addingTimeInterval(3600))
        let folder = s.dir.file("reports/new")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let google = Self.googleShaped(start: from, end: to, failures: [("certificate-host-mismatch", "127.0.0.2", 3),
                                                                          ("starttls-not-supported", "127.0.0.3", 1),
                                                                          ("certificate-host-mismatch", "127.0.0.9", 7)])
        try TLSReportSamples.gzip(google).write(to: URL(fileURLWithPath: folder + "/google.com!postls.test!1!2!001.json.gz"))
        let microsoft = try TLSReportSamples.gzip(Self.microsoftShaped(start: from, end: to, type: "certificate-host-mismatch", count: 2))
        try TLSReportSamples.microsoftMessage(gz: microsoft, domain: "postls.test", to: "tlsrpt@postls.test")
            .write(toFile: folder + "/1765000000.M1P1.mail", atomically: true, encoding: .utf8)
        return (s, s.dir.file("reports"))
    }

    @Test func reportedFailuresJoinTheirDiagnosesWithTheMatchedLogLinesAndTheUnseenOnesAreSaidPlainly() throws {
        let (s, reports) = try world()
        defer { s.stop() }
        var options = s.options
        options.tlsReports = [reports]
        let gathered = s.gatherer.gather(options)
        Scenario.checkInvariants(gathered.report)
        let described = Scenario.describe(gathered.report)
        let senders = try #require(gathered.report.senderReports)
        #expect(senders.reports == 2 && senders.organizations == ["Google Inc.", "Microsoft Corporation"] && senders.rejected.isEmpty, "\(senders)")
        #expect(senders.failures.count == 4 && senders.logsRead)

        // 127.0.0.2: matched by its address; its failed handshake is the evidence.
        let aborted = try #require(senders.failures.first { $0.sendingMTAIP == "127.0.0.2" })
        #expect(aborted.cause == .nameMismatch && aborted.matchedBy == "sending-mta-ip" && !aborted.notSeenLocally && aborted.blocksDelivery)
        #expect(aborted.localLines.contains { $0.text.contains("[127.0.0.2]") && ($0.text.contains("SSL_accept") || $0.text.contains("TLS")) },
                "\(aborted.localLines)")
        // 127.0.0.3: a plaintext session leaves no TLS event, only its connect/disconnect lines.
        let plain = try #require(senders.failures.first { $0.sendingMTAIP == "127.0.0.3" })
        #expect(plain.cause == .starttlsUnavailable && plain.localLines.contains { $0.text.hasPrefix("disconnect from unknown[127.0.0.3]") },
                "\(plain.localLines)")
        // 127.0.0.9: nothing in the logs.
        let unseen = try #require(senders.failures.first { $0.sendingMTAIP == "127.0.0.9" })
        #expect(unseen.notSeenLocally && unseen.localLines.isEmpty && unseen.localLineCount == 0)
        // Microsoft names no address: matched by time to the failed handshakes on the MX.
        let microsoft = try #require(senders.failures.first { $0.organization == "Microsoft Corporation" })
        #expect(microsoft.matchedBy == "time" && !microsoft.notSeenLocally && microsoft.sendingMTAIP == nil && !microsoft.blocksDelivery,
                "\(microsoft)")
        #expect(microsoft.localLines.contains { $0.text.contains("[127.0.0.2]") }, "\(microsoft.localLines)")

        // The diagnoses: the name mismatch has the probe, the reports and the matched lines; the report's evidence
        // says how many local lines it found.
        let name = try #require(gathered.report.diagnoses.first { $0.cause == .nameMismatch }, "\(described)")
        #expect(name.sources.isSuperset(of: [.probe, .tlsrpt, .log]) && name.severity == .critical && name.confidence == .high, "\(described)")
        #expect(name.evidence.contains { $0.source == .tlsrpt && $0.location == "Google Inc. \(aborted.day)" && $0.text.contains("from 127.0.0.2") },
                "\(described)")
        #expect(name.evidence.contains { $0.source == .log && $0.text.contains("[127.0.0.2]") }, "\(described)")
        #expect(name.notes.contains { $0.contains("127.0.0.9") }, "\(name.notes)")
        let starttls = try #require(gathered.report.diagnoses.first { $0.cause == .starttlsUnavailable }, "\(described)")
        #expect(starttls.evidence.contains { $0.source == .log && $0.text.contains("[127.0.0.3]") }, "\(described)")
        // The vantage-point limit as a finding of its own, naming only the unseen address.
        let limit = try #require(gathered.report.diagnoses.first { $0.cause == .reportedNotSeenLocally }, "\(described)")
        #expect(limit.evidence.count == 1 && limit.evidence[0].text.contains("127.0.0.9") && limit.evidence[0].source == .tlsrpt, "\(described)")
        #expect(limit.summary.contains("127.0.0.9") && limit.summary.contains("firewall or NAT"), "\(limit.summary)")

        // `postls diagnose --tlsrpt` prints the same join; the wizard's gathering makes the same one.
        let out = try s.postls(["diagnose", "--json", "--tlsrpt", reports] + s.cliArguments)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any], "\(out.stderr)")
        let block = try #require(json["sender_reports"] as? [String: Any], "\(out.stdout)")
        #expect(block["not_seen_locally"] as? Int == 1 && block["reports"] as? Int == 2, "\(block)")
        let causes = (json["diagnoses"] as? [[String: Any]] ?? []).compactMap { $0["cause"] as? String }
        #expect(causes.contains("reported_not_seen_locally") && causes.contains("name_mismatch"), "\(causes)")
        let text = try s.postls(["diagnose", "--tlsrpt", reports] + s.cliArguments).stdout
        #expect(text.contains("Reported by senders (TLS-RPT): 2 reports") && text.contains("not seen locally"), "\(text)")
        // The named senders' verdicts per listener, from the same probe (the support report's table, in columns).
        let listener = "127.0.0.1:\(try s.port("smtp"))"
        #expect(text.contains("\nSenders (approximations") && text.contains(listener) && text.contains("gmail"), "\(text)")

        // The support report carries the same section.
        let support = try s.postls(["report", "--tlsrpt", reports] + s.cliArguments).stdout
        #expect(support.contains("## Reported by senders (TLS-RPT)") && support.contains("from 127.0.0.9 to 127.0.0.1 (mail.postls.test); no local log line"), "\(support)")

        // `postls --tlsrpt PATH` (the wizard) without a terminal prints the same diagnosis text.
        let wizardText = try s.postls(["--tlsrpt", reports] + s.cliArguments).stdout
        #expect(wizardText.contains("Reported by senders (TLS-RPT): 2 reports") && wizardText.contains("reported_not_seen_locally"), "\(wizardText)")

        var wizardOptions = options
        wizardOptions.command = "wizard"
        let wizard = try #require(StepwiseGathering(options: wizardOptions, gatherer: s.gatherer).gatherAll())
        // Later probes add sessions of their own from 127.0.0.1, so only the address-matched counts are fixed.
        func joined(_ r: SenderReports?) -> [String] {
            (r?.failures ?? []).map { "\($0.cause) \($0.matchedBy ?? "-") \($0.notSeenLocally) \($0.sendingMTAIP ?? "-")" }
        }
        #expect(joined(wizard.report.senderReports) == joined(senders))
        #expect(wizard.report.senderReports?.failures.filter { $0.sendingMTAIP != nil }.map(\.localLineCount)
                == senders.failures.filter { $0.sendingMTAIP != nil }.map(\.localLineCount))
        #expect(wizard.report.diagnoses.contains { $0.cause == .reportedNotSeenLocally })
    }

    @Test func withoutLogsNothingIsClaimedUnseen() throws {
        var set = TLSReportSet()
        let reader = TLSReportReader()
        reader.read(bytes: Array(Self.googleShaped(start: "2026-12-01T00:00:00Z", end: "2026-12-01T23:59:59Z",
                                                    failures: [("certificate-not-trusted", "192.0.2.9", 2)]).utf8), source: "g.json")
        set = reader.set
        let failures = LocalLogMatcher.join(set, logFiles: [], events: [], logsRead: false, configuration: nil, smtpPorts: [],
                                            certificateCause: .incompleteChain)
        #expect(failures.count == 1 && failures[0].matchedBy == nil && !failures[0].notSeenLocally)
        // The probe says which certificate trouble `certificate-not-trusted` stands for.
        #expect(failures[0].cause == .incompleteChain)
        let report = DiagnosisEngine().diagnose(DiagnosisInput(reportedFailures: failures))
        #expect(report.diagnoses.map(\.cause) == [.incompleteChain])
        #expect(report.diagnoses[0].severity == .critical && report.diagnoses[0].sources == [.tlsrpt])
    }

    @Test func policyFetchFailuresAreNotExpectedInTheMXLogs() throws {
        let reader = TLSReportReader()
        reader.read(bytes: Array(TLSReportSamples.microsoft(fetchErrors: 3).utf8), source: "m.json")
        let failures = LocalLogMatcher.join(reader.set, logFiles: [], events: [], logsRead: true, configuration: nil, smtpPorts: [],
                                            certificateCause: nil)
        #expect(failures.count == 1 && failures[0].cause == .mtaSTSMismatch && failures[0].blocksDelivery)
        #expect(failures[0].matchedBy == "not-applicable" && !failures[0].notSeenLocally)
        let report = DiagnosisEngine().diagnose(DiagnosisInput(reportedFailures: failures))
        #expect(report.diagnoses.map(\.cause) == [.mtaSTSMismatch], "\(report.diagnoses)")
        #expect(report.diagnoses.first?.evidence.first?.text.contains("no log line is expected") == true)
    }

    @Test func aPlaintextFailureWithoutTheSendersAddressIsNeitherMatchedNorClaimedUnseen() throws {
        let reader = TLSReportReader()
        reader.read(bytes: Array(Self.microsoftShaped(start: "2026-12-01T00:00:00Z", end: "2026-12-01T23:59:59Z",
                                                      type: "starttls-not-supported", count: 4).utf8), source: "m.json")
        let failures = LocalLogMatcher.join(reader.set, logFiles: [], events: [], logsRead: true, configuration: nil, smtpPorts: [],
                                            certificateCause: nil)
        #expect(failures.count == 1 && failures[0].cause == .starttlsUnavailable && failures[0].matchedBy == "no-address")
        #expect(!failures[0].notSeenLocally)
        let report = DiagnosisEngine().diagnose(DiagnosisInput(reportedFailures: failures))
        #expect(!report.diagnoses.contains { $0.cause == .reportedNotSeenLocally })
    }
}
