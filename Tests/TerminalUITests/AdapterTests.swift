import Foundation
import PostlsCore
import Testing
import TLSProbe
import TerminalUI
import WizardCore

struct ProbeAdapterTests {
    @Test("a probe result that negotiated TLS but failed verification becomes a warning row with its cause")
    func verifiedFailureBecomesWarning() throws {
        var r = ListenerProbeResult(host: "mail.example.org", address: "2001:db8::25", port: 25, mode: .starttls, family: "IPv6", expectedName: nil)
        r.negotiated = NegotiatedTLS(protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", group: "X25519")
        let json = #"{"code": 20, "message": "unable to get local issuer certificate"}"#
        r.verify = try JSONDecoder().decode(type(of: r.verify).self, from: Data(json.utf8))
        r.daysToExpiry = 61
        r.protocols = ["TLSv1": .rejected, "TLSv1.1": .rejected, "TLSv1.2": .accepted, "TLSv1.3": .untested]
        r.findings = [ProbeFinding(id: "verify_failed", cause: .incompleteChain, severity: .critical, message: "x"),
                      ProbeFinding(id: "auth_before_tls", cause: nil, severity: .warning, message: "y")]
        let row = ListenerStatus(r, service: "smtp")
        #expect(row.service == "smtp" && row.port == 25 && row.family == .ipv6 && row.mode == .starttls)
        #expect(row.tlsOK == true && row.protocolVersion == "TLSv1.3")
        #expect(row.verifyCode == 20 && row.verifyMessage == "unable to get local issuer certificate")
        #expect(row.health == .warning && row.cause == .incompleteChain && row.daysToExpiry == 61)
        #expect(row.protocolSupport == ["TLSv1": false, "TLSv1.1": false, "TLSv1.2": true], "untested versions are left out")
    }

    @Test("a probe result with an error becomes a failed row naming the phase")
    func errorBecomesFailure() {
        var r = ListenerProbeResult(host: "mail.example.org", address: "192.0.2.1", port: 465, mode: .implicit, family: "IPv4", expectedName: nil)
        r.error = ProbeError(phase: .handshake, message: "the server closed the connection during the handshake")
        let row = ListenerStatus(r)
        #expect(row.health == .failed && row.errorPhase == "handshake" && row.mode == .implicit)
        #expect(row.service == "port 465")
        #expect(row.senders == nil, "a probe that ran no senders leaves them out")
    }
}

struct SenderAdapterTests {
    /// Port 25 restricted to TLS 1.2+, verdicts made by the probe engine's own rules: the legacy sender's only
    /// version is rejected by the matrix, Gmail's handshake completed.
    static func restrictedPort25(address: String) -> ListenerProbeResult {
        var r = ListenerProbeResult(host: "mail.example.org", address: address, port: 25, mode: .starttls,
                                    family: address.contains(":") ? "IPv6" : "IPv4", expectedName: nil)
        r.negotiated = NegotiatedTLS(protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", group: "X25519")
        r.protocols = ["TLSv1": .rejected, "TLSv1.1": .rejected, "TLSv1.2": .accepted, "TLSv1.3": .accepted]
        let gmail = SenderProfile.all.first { $0.id == "gmail" }!, legacy = SenderProfile.all.first { $0.id == "legacy" }!
        r.profiles = [
            SenderVerdicts.verdict(gmail, result: r, handshake: SenderHandshake(negotiated: r.negotiated, failure: nil)),
            SenderVerdicts.verdict(legacy, result: r, handshake: nil),
        ]
        return r
    }

    @Test("each sender verdict becomes a row: short name, outcome, version and cipher or the reasons")
    func verdictsBecomeRows() throws {
        let row = ListenerStatus(Self.restrictedPort25(address: "192.0.2.25"), service: "smtp")
        let senders = try #require(row.senders)
        #expect(senders.map(\.id) == ["gmail", "legacy"])
        #expect(senders.map(\.label) == ["Gmail", "Legacy MTA"], "the label without its approximation note")
        #expect(senders[0].outcome == .tls && senders[0].protocol == "TLSv1.3" && senders[0].cipher == "TLS_AES_256_GCM_SHA384")
        #expect(senders[0].outcomeWord == "TLS" && senders[0].policy == "none")
        #expect(senders[1].outcome == .plaintext && senders[1].outcomeWord == "plaintext" && senders[1].protocol == nil)
        #expect(senders[1].reasons.first?.contains("smtpd_tls_protocols") == true, "\(senders[1].reasons)")
        #expect(row.sendersWithoutTLS.map(\.id) == ["legacy"])
    }

    @Test("the Overview's summary names each sender without TLS once per MX service, not per address, and skips other ports")
    func mxSummary() {
        var submission = Self.restrictedPort25(address: "192.0.2.25")
        submission.port = 587
        let rows = [ListenerStatus(Self.restrictedPort25(address: "192.0.2.25"), service: "smtp"),
                    ListenerStatus(Self.restrictedPort25(address: "2001:db8::25"), service: "smtp"),
                    ListenerStatus(submission, service: "submission")]
        let summary = rows.mxSendersWithoutTLS
        #expect(summary.count == 1)
        #expect(summary.first?.sender == "legacy" && summary.first?.outcome == .plaintext && summary.first?.listeners == ["smtp 25"])
        #expect([ListenerStatus(submission, service: "submission")].mxSendersWithoutTLS.isEmpty)
    }

    @Test("senders travel in a bundle row with snake_case keys; a row without them (an older bundle) still decodes")
    func codable() throws {
        let row = ListenerStatus(Self.restrictedPort25(address: "192.0.2.25"), service: "smtp")
        let data = try JSONEncoder().encode(row)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let senders = try #require(object["senders"] as? [[String: Any]])
        #expect(senders.map { $0["outcome"] as? String } == ["tls", "plaintext"])
        #expect(Set(senders[0].keys).isSubset(of: ["id", "label", "outcome", "protocol", "cipher", "policy", "reasons"]))
        #expect(try JSONDecoder().decode(ListenerStatus.self, from: data) == row)
        let old = #"{"service": "smtp", "port": 25, "address": "192.0.2.25", "family": "ipv4", "mode": "starttls", "protocol_support": {}}"#
        #expect(try JSONDecoder().decode(ListenerStatus.self, from: Data(old.utf8)).senders == nil)
        let none = try JSONEncoder().encode(ListenerStatus(service: "smtp", port: 25, address: "192.0.2.25"))
        #expect(!String(decoding: none, as: UTF8.self).contains("senders"))
    }
}

import MailLog
import WizardFixtures

struct LogAdapterTests {
    @Test("real Postfix log lines, classified by the log engine, become a row with peer, service and raw lines")
    func engineEventBecomesRow() throws {
        var events: [TLSEvent] = []
        let analyzer = LogAnalyzer { events.append($0) }
        let lines = [
            "Nov 28 07:07:13 mail postfix/smtpd[4124]: connect from relay.bank.example[198.51.100.40]",
            "Nov 28 07:07:13 mail postfix/smtpd[4124]: SSL_accept error from relay.bank.example[198.51.100.40]: -1",
            "Nov 28 07:07:13 mail postfix/smtpd[4124]: warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1657:",
            "Nov 28 07:07:13 mail postfix/smtpd[4124]: lost connection after STARTTLS from relay.bank.example[198.51.100.40]",
            "Nov 28 07:07:13 mail postfix/smtpd[4124]: disconnect from relay.bank.example[198.51.100.40] ehlo=1 starttls=0/1 commands=1/2",
        ]
        for (i, line) in lines.enumerated() { analyzer.feed(line, file: "/var/log/mail.log", lineNumber: i + 1) }
        let summary = analyzer.finish()
        let event = try #require(events.first)
        let row = LogEventRow(event)
        #expect(row.cause == .protocolMismatch)
        #expect(row.peer == "relay.bank.example[198.51.100.40]")
        #expect(row.service == "smtp")
        // The engine keeps the TLS-related lines of the connection (not "connect from").
        #expect(row.lines.first?.hasPrefix("mail.log:2: Nov 28 07:07:13 mail postfix/smtpd[4124]: SSL_accept error") == true, "\(row.lines)")
        #expect(row.lines.contains { $0.contains("unsupported protocol") })
        let totals = LogTotals(summary, sources: ["/var/log/mail.log"])
        #expect(totals.byCause[.protocolMismatch] == 1 && totals.linesRead == 5)
        let state = reduce(DemoStates.loaded(), .logsLoaded(LogEventList(events.map(LogEventRow.init)), totals)).0
        #expect(state.logs.groups.map(\.cause) == [.protocolMismatch])
    }
}

@Suite("Own probes in the wizard")
struct OwnProbeWizardTests {
    /// The Logs step leaves postls's own probes out of the failures but says how many there were.
    @Test func theLogsStepSaysHowManyOwnProbesItDidNotCount() {
        var summary = MailLog.LogSummary()
        summary.linesRead = 12
        summary.ownProbes = 2
        summary.ownProbesByCause = [.protocolMismatch: 2]
        let totals = LogTotals(summary, sources: ["/var/log/mail.log"])
        #expect(totals.ownProbes == 2 && totals.failures == 0)
        var s = reduce(DemoStates.loaded(), .logsLoaded(LogEventList([]), totals)).0
        s.step = .logs
        let text = WizardScreen.render(s, glyphs: .ascii).dump().joined(separator: "\n")
        #expect(text.contains("0 failed TLS sessions in 12 lines (not counted: 2 of postls's own probes)"), "\(text)")
        // Counted as asked (--include-own-probes): nothing to add.
        summary.ownProbesCounted = true
        #expect(LogTotals(summary, sources: []).ownProbes == 0)
    }
}

@Suite("Outbound next hops in the wizard")
struct OutboundWizardTests {
    /// The Logs step says how many next hops the smtp client reached and how many failed (their causes are Problems).
    @Test func theLogsStepCountsNextHopsAndFailingOnes() {
        let analyzer = LogAnalyzer { _ in }
        for line in [
            "Dec  7 14:07:54 mail postfix/smtp[101]: server certificate verification failed for localhost[127.0.0.1]:46181: num=62:hostname mismatch",
            "Dec  7 14:07:54 mail postfix/smtp[101]: 6C811F865FD: to=<user@wrongname.test>, relay=localhost[127.0.0.1]:46181, delay=0.14, delays=0.09/0.04/0.01/0, dsn=4.7.5, status=deferred (Server certificate not verified)",
            "Dec  7 14:07:54 mail postfix/smtp[102]: Verified TLS connection established to localhost[127.0.0.1]:39819: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
        ] { analyzer.feed(line) }
        let totals = LogTotals(analyzer.finish(), sources: ["/var/log/mail.log"])
        #expect(totals.outboundHops == 2 && totals.outboundFailingHops == 1)
        var s = reduce(DemoStates.loaded(), .logsLoaded(LogEventList([]), totals)).0
        s.step = .logs
        let text = WizardScreen.render(s, glyphs: .ascii).dump().joined(separator: "\n")
        #expect(text.contains("outbound: 2 next hops, 1 failing"), "\(text)")
    }
}

struct SenderScreenTests {
    @Test("the Probe step lists the selected listener's senders as words, marked as approximations", arguments: GoldenScreenTests.sizes)
    func probeShowsSenders(size: TerminalSize) {
        var s = DemoStates.loaded(size: size)
        s.step = .probe
        let text = WizardScreen.render(s).dump().joined(separator: "\n")
        #expect(text.contains("approximated; see docs/SENDERS.md"))
        for name in ["Gmail", "Microsoft 365", "Postfix 3.x default client", "Postfix 3.x with DANE", "Legacy MTA"] {
            #expect(text.contains(name), "\(size.width)x\(size.height): \(name)")
        }
        // One row per outcome, naming the senders that share it.
        #expect(text.contains("plaintext  Legacy MTA: the server rejects TLSv1"), "\(text)")
        #expect(text.contains("TLS        TLSv1.3  Gmail, Microsoft 365,"), "\(text)")
    }

    @Test("the Overview says which sender falls back to plaintext on port 25, in ASCII too")
    func overviewLine() {
        let s = DemoStates.loaded(size: TerminalSize(width: 80, height: 24))
        #expect(WizardScreen.render(s).dump().contains { $0.contains("Senders: legacy → plaintext on smtp 25") })
        #expect(WizardScreen.render(s, glyphs: .ascii).dump().contains { $0.contains("Senders: legacy -> plaintext on smtp 25") })
    }
}
