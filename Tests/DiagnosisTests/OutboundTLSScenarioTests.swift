import Foundation
import MailLog
import PostfixConfig
import PostlsCore
import Testing
import TestSupport
import TLSKit
@testable import Diagnosis

/// A real Postfix delivering to real receiving servers (`SMTPSink`: OpenSSL through TLSKit) that serve a
/// self-signed, an expired and a wrong-name certificate, a good one, and no STARTTLS at all, with
/// smtp_tls_security_level at `may` and at `verify`. The log lines this Postfix writes must be classified per
/// next hop, and the diagnosis must give each its cause and severity: information at `may`, deferral at `verify`.
@Suite("Outbound TLS per next hop on a real Postfix", .enabled(if: Prerequisites.postfix), .serialized)
struct OutboundTLSScenarioTests {
    enum Peer: String, CaseIterable { case good, selfsigned, expired, wrongname, notls }

    struct Run {
        var scenario: Scenario
        var sinks: [Peer: SMTPSink]
        var gathered: Gathered
        func nexthop(_ peer: Peer) -> String { "localhost[127.0.0.1]:\(sinks[peer]!.port)" }
        func hop(_ peer: Peer) -> OutboundHop? { gathered.logReport?.summary.outbound[nexthop(peer)] }
        func diagnosis(_ cause: Cause) -> Diagnosis? { gathered.report.diagnoses.first { $0.cause == cause } }
    }

    /// Starts the sinks and a Postfix whose transport sends `user@<peer>.test` to each, sends one message to each,
    /// waits for every delivery's status line and gathers as `postls diagnose` does.
    func run(level: String, generation: Generation, _ body: (Run) throws -> Void) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        let past = Date().addingTimeInterval(-10 * 86_400)
        var sinks: [Peer: SMTPSink] = [:]
        for peer in Peer.allCases {
            let cert: IssuedCertificate?
            switch peer {
            case .good: cert = s.mail
            case .selfsigned: cert = try s.pki.leaf("sink-selfsigned", issuer: .selfSigned)
            case .expired: cert = try s.pki.leaf("sink-expired", notBefore: past.addingTimeInterval(-86_400), notAfter: past)
            case .wrongname: cert = try s.pki.leaf("sink-wrongname", commonName: "other.postls.test")
            case .notls: cert = nil
            }
            sinks[peer] = try SMTPSink(certificate: cert.map { ($0.fullChainFile, $0.keyFile) })
        }
        defer { for sink in sinks.values { sink.stop() } }
        let transports = Peer.allCases.map { "\($0.rawValue).test=smtp:[localhost]:\(sinks[$0]!.port)" }.joined(separator: ", ")
        let postfix = try s.start(mainCF: s.tlsMainCF + """

            smtp_tls_security_level = \(level)
            smtp_tls_CAfile = \(s.pki.rootFile)
            smtp_tls_loglevel = 1
            # The next hop is [localhost] (a name: an address literal would be checked as an IP, num=64); the good
            # certificate names mail.postls.test, the one name besides it that verify accepts.
            smtp_tls_verify_cert_match = hostname, mail.postls.test
            transport_maps = inline:{ \(transports) }
            relay_domains = \(Peer.allCases.map { "\($0.rawValue).test" }.joined(separator: ", "))
            """, listeners: [PostfixListener(name: "smtp")])
        for peer in Peer.allCases {
            let out = try s.servers.runner.run("sendmail", ["-C", postfix.configDirectory, "-f", "sender@postls.test", "user@\(peer.rawValue).test"],
                                                    stdin: Data("Subject: outbound \(peer)\n\nhello\n".utf8), environment: nil, timeout: 20)
            #expect(out.succeeded, "\(out.stderr)")
        }
        if !s.waitFor(" status=", count: Peer.allCases.count, timeout: 20) {
            _ = try? s.servers.runner.run("postqueue", ["-c", postfix.configDirectory, "-f"], timeout: 20)
        }
        #expect(s.waitFor(" status=", count: Peer.allCases.count, timeout: 30), "\(s.logText)")
        try body(Run(scenario: s, sinks: sinks, gathered: s.gather()))
    }

    /// Every line the smtp client wrote about TLS is a row of the message table.
    func expectCatalogued(_ log: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for line in log.split(separator: "\n") where line.contains("postfix/smtp[") && (line.contains("TLS") || line.contains("certificate")) {
            guard let r = line.range(of: "]: ") else { continue }
            var message = String(line[r.upperBound...])
            // A delivery status line is catalogued by the text in its parentheses.
            if let open = message.range(of: "status=deferred ("), message.hasSuffix(")") {
                message = String(message[open.upperBound...].dropLast())
            }
            #expect(LogMessageCatalog.primary(message) != nil, "not in the message table: \(line)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: Generation.all) func atVerifyEachFailureDefersMailAndNamesItsCause(_ generation: Generation) throws {
        try run(level: "verify", generation: generation) { r in
            let log = r.scenario.logText
            expectCatalogued(log)
            // The engine's view per next hop: OpenSSL's num= code and the deferral.
            let selfsigned = try #require(r.hop(.selfsigned), "\(log)")
            // Postfix 3.7 on OpenSSL 3 logs the self-signed case without num= (`certificate verification failed for X: self-signed certificate`).
            #expect(selfsigned.lastFailure?.verifyCode == 18 || selfsigned.lastFailure?.verifyReason == "self-signed certificate", "\(selfsigned)")
            #expect(selfsigned.deferred >= 1)
            let expired = try #require(r.hop(.expired), "\(log)")
            // Postfix 3.7 logs an expired certificate without num= too: the text is OpenSSL's for code 10.
            #expect(expired.lastFailure?.verifyCode == 10 || expired.lastFailure?.verifyReason == "certificate has expired", "\(expired)")
            let wrongname = try #require(r.hop(.wrongname), "\(log)")
            #expect(wrongname.lastFailure?.verifyCode == 62, "\(wrongname)")
            let notls = try #require(r.hop(.notls), "\(log)")
            #expect(notls.failuresByCause[.remoteTLSUnavailable, default: 0] >= 1, "\(notls)")
            #expect(notls.deferred >= 1)
            let good = try #require(r.hop(.good), "\(log)")
            #expect(good.verified >= 1 && good.failures == 0, "\(good)")

            // The diagnosis: one cause each, critical because mail waits, the hop and the level in the evidence.
            let report = Scenario.describe(r.gathered.report)
            for (peer, cause) in [(Peer.selfsigned, Cause.remoteCertificateUnverified), (.expired, .remoteCertificateExpired),
                                  (.wrongname, .remoteNameMismatch), (.notls, .remoteTLSUnavailable)] {
                let d = try #require(r.diagnosis(cause), "\(peer): \(report)")
                #expect(d.severity == .critical, "\(cause): \(report)")
                #expect(d.status == .active)
                #expect(d.evidence.contains { $0.location == "next hop \(r.nexthop(peer))" && $0.text.contains("smtp_tls_security_level = verify") },
                        "\(cause): \(report)")
                #expect(d.summary.contains("deferred"), "\(cause): \(d.summary)")
                #expect(!d.evidence.contains { $0.location == "next hop \(r.nexthop(.good))" }, "\(cause): \(report)")
            }
            // The remote's certificate is the remote's to fix: a per-destination policy entry lets mail flow meanwhile.
            let expiredFixes = try #require(r.diagnosis(.remoteCertificateExpired)).fixes.compactMap(r.gathered.report.fix(id:))
            #expect(expiredFixes.contains { $0.title.contains("[localhost]:\(r.sinks[.expired]!.port) encrypt") }, "\(expiredFixes.map(\.title))")
            try r.scenario.expectWizardAgreesWithDiagnose()
        }
    }

    @Test(arguments: Generation.all) func atMayUntrustedSessionsAreInformationAndMailIsDelivered(_ generation: Generation) throws {
        try run(level: "may", generation: generation) { r in
            let log = r.scenario.logText
            expectCatalogued(log)
            #expect(!log.contains("status=deferred"), "\(log)")
            for peer in Peer.allCases { #expect(r.sinks[peer]!.delivered == 1, "\(peer)") }
            #expect(r.hop(.selfsigned)?.untrusted ?? 0 >= 1, "\(log)")
            #expect(r.hop(.expired)?.untrusted ?? 0 >= 1, "\(log)")
            // `may` checks no name: a trusted chain is Trusted whatever it names.
            #expect(r.hop(.wrongname)?.trusted ?? 0 >= 1, "\(log)")
            #expect(r.hop(.notls) == nil, "plaintext deliveries log no TLS line")

            let report = Scenario.describe(r.gathered.report)
            let unverified = try #require(r.diagnosis(.remoteCertificateUnverified), "\(report)")
            #expect(unverified.severity == .info, "\(report)")
            #expect(unverified.summary.contains("information, not an error"), "\(report)")
            #expect(unverified.evidence.contains { $0.location == "next hop \(r.nexthop(.selfsigned))" }, "\(report)")
            for cause in [Cause.remoteCertificateExpired, .remoteNameMismatch, .remoteTLSUnavailable] {
                #expect(r.diagnosis(cause) == nil, "\(cause): \(report)")
            }
            // Information needs no change.
            #expect(unverified.fixes.isEmpty, "\(unverified.fixes)")
        }
    }
}
