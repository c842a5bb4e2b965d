import Foundation
import PostlsCore
import Testing
import TestSupport
@testable import Diagnosis

/// `encrypt` on the MX set in main.cf (no -o on the service): plaintext senders are refused with a 530 that Postfix
/// logs on no line of its own, and no TLS error is logged at all; the diagnosis still names the cause from the
/// service's effective level and the refused sessions' disconnect counters.
@Suite("TLS required on the MX, on a real Postfix", .enabled(if: Prerequisites.postfix && Prerequisites.swaks))
struct TLSRequiredOnMXScenarioTests {
    @Test(arguments: Generation.all) func encryptInMainCFWithAPlaintextSenderRefusedIsTheTopDiagnosisOfDiagnoseJSON(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        try s.start(mainCF: s.tlsMainCF.replacingOccurrences(of: "smtpd_tls_security_level = may", with: "smtpd_tls_security_level = encrypt"),
                    listeners: [PostfixListener(name: "smtp")])
        let mx = try s.address("smtp")
        s.smtpPorts = [Int(mx.port)]

        // Logs read, nobody refused yet: concluded from the configuration alone, a warning that says so.
        let before = try #require(s.gather().report.diagnoses.first { $0.cause == .tlsRequiredOnMX })
        #expect(before.severity == .warning && before.confidence == .medium && before.sources == [.config], "\(before)")
        #expect(before.notes.contains { $0.hasPrefix("Concluded from the configuration alone (medium confidence)") }, "\(before.notes)")

        // The probe's own sender handshakes (the legacy profile fails on the ECDSA certificate) are logged before this
        // point: wait until the log has been still for a second (Postfix's lines can arrive after the probe returns).
        var probed = s.logText.count
        for _ in 0..<20 {
            usleep(500_000)
            let now = s.logText.count
            if now == probed { usleep(500_000); if s.logText.count == now { break } }
            probed = s.logText.count
        }
        let refused = try Peers.swaks(["--server", "127.0.0.1", "--port", "\(mx.port)", "--from", "a@example.test", "--to", "b@example.test",
                                       "--quit-after", "RCPT", "--timeout", "5"])
        #expect(refused.stdout.contains("530"), "\(refused.stdout)")
        #expect(s.waitFor("mail=0/1"), "\(s.logText)")
        // No TLS error line: the refusal shows only in the disconnect counters.
        let afterProbe = String(s.logText.dropFirst(probed))
        #expect(!afterProbe.contains("TLS library problem") && !afterProbe.contains("SSL_accept error"))

        let out = try PostlsBinary.run(["diagnose", "--json"] + s.cliArguments)
        #expect(out.status == 2, "\(out.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let first = try #require((json["diagnoses"] as? [[String: Any]])?.first)
        #expect(first["cause"] as? String == "tls_required_on_mx", "\(out.stdout)")
        #expect(first["severity"] as? String == "critical" && first["confidence"] as? String == "high", "\(first)")
        #expect((first["sources"] as? [String]) == ["config", "log"], "\(first)")
        let evidence = (first["evidence"] as? [[String: Any]]) ?? []
        #expect(evidence.contains { $0["source"] as? String == "config" && ($0["location"] as? String)?.hasPrefix("main.cf:") == true }, "\(evidence)")
        #expect(evidence.contains { $0["source"] as? String == "log" && ($0["text"] as? String)?.contains("mail=0/1") == true }, "\(evidence)")
    }
}
