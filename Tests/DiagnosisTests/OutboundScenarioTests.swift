import Foundation
import PostfixConfig
import PostlsCore
import Testing
import TestSupport
import TLSKit
@testable import Diagnosis

/// Our own smtp client relaying through a real implicit-TLS relay (a second Postfix instance on port 465).
@Suite("Outbound scenarios on a real Postfix", .enabled(if: Prerequisites.postfix))
struct OutboundScenarioTests {
    func send(_ postfix: PostfixInstance, to recipient: String) throws {
        let out = try postfix.servers.runner.run("sendmail", ["-C", postfix.configDirectory, "-f", "sender@postls.test", recipient],
                                                stdin: Data("Subject: relay test\n\nhello\n".utf8), environment: nil, timeout: 20)
        #expect(out.succeeded, "\(out.stderr)")
    }

    @Test(arguments: Generation.all) func aRelayOn465WithoutWrapperModeIsAWrappermodeMismatchAndWrapperModeDelivers(_ generation: Generation) throws {
        // The relay: wrapper mode on port 465 of its own loopback address (127.0.0.0/8 is all local on Linux).
        guard let relayScenario = try Scenario.orSkip(generation) else { return }
        defer { relayScenario.stop() }
        let relayAddress = "127.0.\(Int.random(in: 1...250)).\(Int.random(in: 2...250))"
        try relayScenario.start(mainCF: relayScenario.tlsMainCF + "\nsmtpd_starttls_timeout = 5s", listeners: [
            PostfixListener(name: "smtps", address: relayAddress, port: 465,
                            overrides: [("smtpd_tls_wrappermode", "yes"), ("smtpd_tls_security_level", "encrypt")]),
        ])
        // The sender: relayhost on 465, no wrapper mode; a short greeting timeout keeps the test quick.
        let s = try Scenario(generation: generation)
        defer { s.stop() }
        let sender = try s.start(mainCF: s.tlsMainCF + """

            relayhost = [\(relayAddress)]:465
            smtp_helo_timeout = 3s
            smtp_tls_loglevel = 1
            """, listeners: [PostfixListener(name: "smtp")])
        try send(sender, to: "user@example.test")
        #expect(s.waitFor("initial server greeting", timeout: 20), "\(s.logText)")
        let original = try s.configFiles()

        let gathered = s.gather()
        try s.expectWizardAgreesWithDiagnose()
        let first = try #require(gathered.report.diagnoses.first)
        #expect(first.cause == .wrappermodeMismatch, "\(Scenario.describe(gathered.report))")
        #expect(first.sources.isSuperset(of: [.config, .log]), "\(Scenario.describe(gathered.report))")
        let fix = try #require(first.fixes.compactMap(gathered.report.fix(id:)).first { $0.applicable })
        #expect(Set(fix.edits) == [.setMain(name: "smtp_tls_wrappermode", value: "yes"), .setMain(name: "smtp_tls_security_level", value: "encrypt")])

        let outcome = try FixLoop(runner: s.servers.runner).apply(fix, gathered: gathered, options: s.options)
        #expect(outcome.state == .applied, "\(outcome.messages)")
        let offset = s.logOffset
        try send(sender, to: "user2@example.test")
        #expect(s.waitFor("status=sent", after: offset, timeout: 20), "\(s.logSince(offset))")
        #expect(s.logSince(offset).contains("TLS connection established to \(relayAddress)"), "\(s.logSince(offset))")
        #expect(!s.logSince(offset).contains("initial server greeting"))

        _ = try FixLoop(runner: s.servers.runner).rollback(configDirectory: sender.configDirectory)
        #expect(try s.configFiles() == original)
    }
}
