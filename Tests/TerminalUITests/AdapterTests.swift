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
