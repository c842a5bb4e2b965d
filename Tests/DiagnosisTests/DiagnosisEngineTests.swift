import Foundation
import MailLog
import PostfixConfig
import PostlsCore
import Testing
import TLSKit
import TLSProbe
@testable import Diagnosis

/// The engine's joins on constructed inputs: real log lines (as Postfix 3.7 on OpenSSL 3 writes them)
/// and probe results shaped like the probe engine's.
@Suite("Diagnosis engine joins")
struct DiagnosisEngineTests {
    static let unknownCA = """
        Nov 29 01:02:03 mail postfix/submissions/smtpd[2001]: connect from unknown[203.0.113.50]
        Nov 29 01:02:03 mail postfix/submissions/smtpd[2001]: SSL_accept error from unknown[203.0.113.50]: -1
        Nov 29 01:02:03 mail postfix/submissions/smtpd[2001]: warning: TLS library problem: error:0A000418:SSL routines::tlsv1 alert unknown ca:../ssl/record/rec_layer_s3.c:1584:SSL alert number 48:
        Nov 29 01:02:03 mail postfix/submissions/smtpd[2001]: lost connection after CONNECT from unknown[203.0.113.50]
        Nov 29 01:02:03 mail postfix/submissions/smtpd[2001]: disconnect from unknown[203.0.113.50] commands=0/0

        """

    static let eofNoise = """
        Nov 29 01:05:00 mail postfix/smtpd[3001]: connect from scanner.example[192.0.2.250]
        Nov 29 01:05:00 mail postfix/smtpd[3001]: SSL_accept error from scanner.example[192.0.2.250]: -1
        Nov 29 01:05:00 mail postfix/smtpd[3001]: warning: TLS library problem: error:0A000126:SSL routines::unexpected eof while reading:../ssl/record/rec_layer_s3.c:317:
        Nov 29 01:05:00 mail postfix/smtpd[3001]: lost connection after STARTTLS from scanner.example[192.0.2.250]
        Nov 29 01:05:00 mail postfix/smtpd[3001]: disconnect from scanner.example[192.0.2.250] ehlo=1 starttls=0/1 commands=1/2

        """

    func probe(port: Int, verify: Int) -> ListenerProbeResult {
        var r = ListenerProbeResult(host: "127.0.0.1", address: "127.0.0.1", port: port, mode: .implicit, family: "IPv4", expectedName: nil)
        r.negotiated = NegotiatedTLS(protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", group: "X25519")
        r.verify = VerifyResult(code: verify)
        return r
    }

    @Test func logOnlyCauseRanksBelowCausesWithMoreSources() {
        let logs = LogReport.analyze(text: Self.eofNoise + Self.unknownCA)
        let report = DiagnosisEngine().diagnose(DiagnosisInput(logEvents: logs.events, logSummary: logs.summary, postfixVersion: "3.7.11"))
        #expect(!report.diagnoses.isEmpty)
        for d in report.diagnoses { #expect(!d.evidence.isEmpty, "no diagnosis without evidence: \(d.cause)") }
        // peer_aborted noise is never ranked above a certificate problem.
        let causes = report.diagnoses.map(\.cause)
        if let noise = causes.firstIndex(of: .peerAborted), let cert = causes.firstIndex(of: .untrustedCertificate) {
            #expect(cert < noise)
        }
        #expect(report.limitations.contains { $0.contains("no live probe") })
    }

    @Test func unexpectedEOFIsBenignBeforePostfix374Only() {
        let logs = LogReport.analyze(text: Self.eofNoise)
        let old = DiagnosisEngine().diagnose(DiagnosisInput(logEvents: logs.events, logSummary: logs.summary, postfixVersion: "3.7.2"))
        let aborted = old.diagnoses.first { $0.cause == .peerAborted }
        #expect(aborted?.severity == .info)
        #expect(aborted?.summary.contains("noise") == true)
        #expect(Builder.isBeforeEOFFix("3.7.3"))
        #expect(!Builder.isBeforeEOFFix("3.7.4"))
        #expect(!Builder.isBeforeEOFFix("3.8.0"))
        #expect(Builder.isBeforeEOFFix("3.6.7"))
        #expect(!Builder.isBeforeEOFFix("3.6.8"))
    }

    @Test func fixIDsAreStableAcrossRuns() {
        let a = FixPlanner.id(cause: .protocolMismatch, key: "master.cf smtp/inet: set -o smtpd_tls_protocols=>=TLSv1")
        let b = FixPlanner.id(cause: .protocolMismatch, key: "master.cf smtp/inet: set -o smtpd_tls_protocols=>=TLSv1")
        let c = FixPlanner.id(cause: .protocolMismatch, key: "main.cf: remove smtpd_tls_protocols")
        #expect(a == b)
        #expect(a != c)
        #expect(a.hasPrefix("protocol_mismatch-"))
    }

    @Test func reportWithNothingWrongExitsZero() {
        let report = DiagnosisEngine().diagnose(DiagnosisInput())
        #expect(report.diagnoses.isEmpty)
        #expect(report.exitCode == .ok)
        #expect(report.text().contains("No TLS problem found."))
    }

    @Test func severityOrderPutsCriticalFirst() {
        var a = DiagnosisInput()
        a.dnsFindings = []
        let logs = LogReport.analyze(text: Self.unknownCA + Self.eofNoise)
        a.logEvents = logs.events
        a.logSummary = logs.summary
        let report = DiagnosisEngine().diagnose(a)
        let severities = report.diagnoses.filter { $0.status == .active }.map(\.severity)
        #expect(severities == severities.sorted(by: >))
    }

    /// A server without TLS at all: the diagnosis points at postls setup, which makes or finds the certificate
    /// the config edits alone cannot supply.
    @Test func noTLSAtAllSuggestsSetup() throws {
        let configuration = PostfixConfiguration(directory: "/etc/postfix", main: MainCF(text: "myhostname = mx.example.org\n"),
                                                 master: MasterCF(text: "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n"),
                                                 defaults: ParameterDefaults.catalog(hostName: "mx"))
        let findings = Linter().run(LintContext(configuration: configuration))
        #expect(findings.contains { $0.cause == .starttlsUnavailable })
        let report = DiagnosisEngine().diagnose(DiagnosisInput(configuration: configuration, configFindings: findings))
        let diagnosis = try #require(report.diagnoses.first { $0.cause == .starttlsUnavailable })
        let fixes = report.fixes.filter { diagnosis.fixes.contains($0.id) }
        let setup = try #require(fixes.first { $0.commands.first?.hasPrefix("postls setup --config-dir /etc/postfix --dry-run") == true })
        #expect(!setup.applicable)
        // With a certificate configured, enabling TLS is a config edit and setup is not offered.
        let withCertificate = PostfixConfiguration(directory: "/etc/postfix",
                                                   main: MainCF(text: "myhostname = mx.example.org\nsmtpd_tls_cert_file = /etc/ssl/mx.pem\nsmtpd_tls_key_file = /etc/ssl/mx.key\n"),
                                                   master: MasterCF(text: "smtp inet n - y - - smtpd\n"), defaults: ParameterDefaults.catalog(hostName: "mx"))
        let other = DiagnosisEngine().diagnose(DiagnosisInput(configuration: withCertificate, configFindings: Linter().run(LintContext(configuration: withCertificate))))
        #expect(!other.fixes.contains { $0.commands.contains { $0.hasPrefix("postls setup") } })
    }
}
