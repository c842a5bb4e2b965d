import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit
@testable import TLSProbe

/// The named senders against the real-Postfix scenarios of ProbeFixture: each profile's verdict per scenario.
@Suite("Named senders against a real Postfix", .enabled(if: Prerequisites.postfix))
struct SenderProfileTests {
    let fixture: ProbeFixture
    init() throws { fixture = try ProbeFixture.shared.get() }

    private func outcomes(_ r: ListenerProbeResult) -> [String: SenderOutcome] {
        Dictionary(uniqueKeysWithValues: r.profiles.map { ($0.id, $0.outcome) })
    }

    /// An MTA-STS policy in enforce mode whose mx pattern covers the fixture's MX name.
    private let enforce = SenderDomainPolicy(domain: "postls.test", mtaSTSEnforce: true, mtaSTSMX: ["mail.postls.test"])

    @Test func defaultListenerGivesEverySenderTLS() throws {
        let r = try fixture.probe("default")
        let o = outcomes(r)
        for id in ["gmail", "microsoft365", "postfix", "postfix_dane"] { #expect(o[id] == .tls, "\(id): \(r.profiles)") }
        #expect(r.profiles.first { $0.id == "microsoft365" }?.protocol == "TLSv1.3")
        // TLS 1.0 is accepted (the version matrix offers every cipher), but the fixture's leaf is ECDSA and the legacy
        // sender offers RSA key exchange and authentication only: its own handshake fails, it falls back to plaintext.
        #expect(r.status(.tls1) == .accepted && r.chain.first?.keyType == "EC")
        #expect(o["legacy"] == .plaintext)
        #expect(r.profiles.first { $0.id == "legacy" }?.reasons.first?.contains("handshake fails") == true)
        #expect(r.profiles.allSatisfy { $0.approximation && $0.label.contains("approximation") })
    }

    @Test func seedCaseTLS12PlusFailsOnlyTheLegacySender() throws {
        let r = try fixture.probe("tls12plus")
        let o = outcomes(r)
        #expect(o["legacy"] == .plaintext)
        #expect(r.profiles.first { $0.id == "legacy" }?.reasons.first?.contains("rejects TLSv1") == true, "answered by the version matrix")
        #expect(o["gmail"] == .tls && o["microsoft365"] == .tls && o["postfix"] == .tls, "Gmail unaffected")
        // Under an MTA-STS policy nothing changes for Gmail: the certificate verifies and covers the name.
        var withPolicy = r
        SenderVerdicts.apply(enforce, to: &withPolicy, profiles: SenderProfile.all)
        #expect(outcomes(withPolicy)["gmail"] == .tls)
    }

    @Test func wrongNameUnderMTASTSEnforceDefersGmailNotTheLegacySender() throws {
        // The case told apart from the seed's: here Gmail is the one affected.
        var r = try fixture.probe("wrongname")
        #expect(outcomes(r)["gmail"] == .tls, "without the domain's policy Gmail does not check the name")
        SenderVerdicts.apply(enforce, to: &r, profiles: SenderProfile.all)
        let o = outcomes(r)
        #expect(o["gmail"] == .defer && o["microsoft365"] == .defer)
        #expect(o["postfix"] == .tls, "a default Postfix client ignores MTA-STS")
        #expect(o["legacy"] == .plaintext, "opportunistic: its own handshake fails on the ECDSA leaf, never a deferral")
        #expect(r.profiles.first { $0.id == "gmail" }?.reasons.contains { $0.contains("does not cover mail.postls.test") } == true)
    }

    @Test func selfSignedAndMissingIntermediateDeferEnforcingSenders() throws {
        for name in ["selfsigned", "nointermediate"] {
            var r = try fixture.probe(name)
            #expect(outcomes(r)["gmail"] == .tls, "\(name): opportunistic Gmail still encrypts")
            SenderVerdicts.apply(enforce, to: &r, profiles: SenderProfile.all)
            let gmail = try #require(r.profiles.first { $0.id == "gmail" })
            #expect(gmail.outcome == .defer, "\(name)")
            #expect(gmail.reasons.contains { $0.contains("does not verify: \(r.verify?.code ?? -1)") }, "\(name): \(gmail.reasons)")
        }
    }

    @Test func noSharedCipherSendsEveryOpportunisticSenderToPlaintext() throws {
        let r = try fixture.probe("nocipher")
        #expect(r.profiles.allSatisfy { $0.outcome == .plaintext && $0.protocol == nil })
        var enforced = r
        SenderVerdicts.apply(enforce, to: &enforced, profiles: SenderProfile.all)
        let o = outcomes(enforced)
        #expect(o["gmail"] == .defer && o["microsoft365"] == .defer && o["postfix"] == .plaintext)
    }

    @Test func tlsaMismatchDefersDANESendersOnly() throws {
        var r = try fixture.probe("default")
        SenderVerdicts.apply(SenderDomainPolicy(domain: "postls.test", tlsaMatches: ["mail.postls.test": false]), to: &r, profiles: SenderProfile.all)
        let o = outcomes(r)
        #expect(o["postfix_dane"] == .defer && o["microsoft365"] == .defer)
        #expect(o["gmail"] == .tls && o["postfix"] == .tls)
    }

    @Test func askingForSomeSendersMakesOneHandshakeEach() throws {
        let target = try fixture.target("default")
        var options = ProbeOptions(phaseTimeout: 5, trust: .file(fixture.factory.rootFile))
        let all = try Prober(options: options).probe(target)
        options.senders = try SenderProfile.named("gmail")
        let one = try Prober(options: options).probe(target)
        #expect(one.profiles.map(\.id) == ["gmail"])
        #expect(all.connections - one.connections == SenderProfile.all.count - 1 - (all.profiles.contains { $0.reasons.first?.contains("every version this sender offers") == true } ? 1 : 0))
    }
}
