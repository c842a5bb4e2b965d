import Foundation
import PostlsCore
import Testing
import TLSProbe
import WizardCore

struct ProbeAdapterTests {
    @Test("a probe result that negotiated TLS but failed verification becomes a warning row with its cause")
    func verifiedFailureBecomesWarning() throws {
        var r = ListenerProbeResult(host: "mail.example.org", address: "2001:db8::25", port: 25, mode: .starttls, family: "IPv6", expectedName: nil)
        r.negotiated = NegotiatedTLS(protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", group: "X25519")
        let json = #"{"code": 20, "message": "unable to get local issuer certificate"}"#
        r.verify = try JSONDecoder().decode(type(of: r.verify).self, from: Data(json.utf8))
        r.daysToExpiry = 61
        r.findings = [ProbeFinding(id: "verify_failed", cause: .incompleteChain, severity: .critical, message: "x"),
                      ProbeFinding(id: "auth_before_tls", cause: nil, severity: .warning, message: "y")]
        let row = ListenerStatus(r, service: "smtp")
        #expect(row.service == "smtp" && row.port == 25 && row.family == .ipv6 && row.mode == .starttls)
        #expect(row.tlsOK == true && row.protocolVersion == "TLSv1.3")
        #expect(row.verifyCode == 20 && row.verifyMessage == "unable to get local issuer certificate")
        #expect(row.health == .warning && row.cause == .incompleteChain && row.daysToExpiry == 61)
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
