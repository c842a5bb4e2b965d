import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit
import MailDNS
import TLSProbe
@testable import Diagnosis

/// The DNS join end to end: NSD + Unbound serve the domain, a local HTTPS server its MTA-STS policy, a real Postfix
/// the MX certificate; `postls dns`'s report binds the enforcing senders of `postls probe`.
@Suite("Named senders joined with postls dns", .enabled(if: Prerequisites.dnsServers && Prerequisites.postfix), .serialized)
struct SenderPolicyJoinTests {
    static let domain = "sts.postls.example"
    static let mx = "mx.sts.postls.example"

    @Test(arguments: Generation.all) func mtaSTSEnforceWithAWrongNameCertificateDefersGmailAndMicrosoftOnly(_ generation: Generation) throws {
        guard try generation.serversOrSkip() != nil else { return }
        let dir = try TemporaryDirectory(prefix: "postls-senders-dns")
        let factory = try CertificateFactory(directory: dir.file("pki"))
        // RSA, so the legacy sender can finish its handshake: it shows an opportunistic sender unaffected by the policy.
        let wrongName = try factory.leaf("wrong", commonName: "other.postls.example", key: .rsa(bits: 2048))
        let dns = try DNSServers(zones: [
            TestZone(Self.domain, signing: .signed, records: [
                "@ IN MX 10 \(Self.mx).",
                "mx IN A 127.0.0.1",
                "_mta-sts IN TXT \"v=STSv1; id=20261207\"",
                "mta-sts IN A 127.0.0.1",
            ]),
        ])
        defer { dns.stop() }
        let policy = try LoopbackServer.mtaSTSPolicy(factory, domain: Self.domain, policy: "version: STSv1\nmode: enforce\nmx: \(Self.mx)\nmax_age: 604800\n")
        defer { policy.stop() }
        let mainCF = """
            smtpd_tls_security_level = may
            smtpd_tls_chain_files = \(wrongName.keyAndChainFile)
            """
        try PostfixInstance.with(mainCF: mainCF, listeners: [PostfixListener(name: "smtp")], generation: generation) { postfix in
            let address = try #require(postfix.listener(named: "smtp")?.socketAddress)
            let options = DNSCheckOptions(smtpPort: address.port, mtaSTSPort: policy.address.port, timeout: 3)
            let report = MailDomainInspector.standard(server: dns.resolver, trust: .file(factory.rootFile), options: options).inspect(domain: Self.domain)
            #expect(report.mtaSTS?.policy?.mode == .enforce, "\(report.findings)")
            let joined = SenderPolicyJoin.policy(from: report)
            #expect(joined.mtaSTSEnforce && joined.mtaSTSCovers(Self.mx) && joined.tlsaMatches.isEmpty)

            let prober = try Prober(options: ProbeOptions(phaseTimeout: 5, trust: .file(factory.rootFile)))
            var probe = prober.probe([ProbeTarget(host: Self.mx, address: address, mode: .starttls, expectedName: Self.mx)])
            let before = Dictionary(uniqueKeysWithValues: probe.targets[0].profiles.map { ($0.id, $0.outcome) })
            #expect(before["gmail"] == .tls && before["microsoft365"] == .tls, "without the join nobody checks the name")
            SenderPolicyJoin.apply(report, to: &probe, profiles: SenderProfile.all)
            let verdicts = Dictionary(uniqueKeysWithValues: probe.targets[0].profiles.map { ($0.id, $0) })
            #expect(verdicts["gmail"]?.outcome == .defer && verdicts["gmail"]?.policy == "mta-sts")
            #expect(verdicts["gmail"]?.reasons.contains { $0.contains("does not cover \(Self.mx)") } == true, "\(verdicts["gmail"]?.reasons ?? [])")
            #expect(verdicts["microsoft365"]?.outcome == .defer)
            #expect(verdicts["postfix"]?.outcome == .tls && verdicts["postfix_dane"]?.outcome == .tls, "no TLSA records: Postfix stays opportunistic")
            #expect(verdicts["legacy"]?.outcome == .tls, "TLS 1.0 with an RSA certificate, unchecked")
        }
    }
}

@Suite("Senders table of the support report")
struct SendersMarkdownTests {
    @Test func oneRowPerListenerOneColumnPerSenderAndTheReasonsOfEveryNonTLSVerdict() {
        var t = ListenerProbeResult(host: "mail.example.org", address: "192.0.2.1", port: 25, mode: .starttls, family: "IPv4", expectedName: "mail.example.org")
        t.profiles = [
            SenderVerdict(id: "gmail", label: "Gmail (approximation)", outcome: .tls, protocol: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256",
                          policy: "none", reasons: ["delivers"], source: "docs/SENDERS.md#gmail", approximation: true),
            SenderVerdict(id: "legacy", label: "Legacy MTA (approximation)", outcome: .plaintext, protocol: nil, cipher: nil,
                          policy: "none", reasons: ["the server rejects TLSv1"], source: "docs/SENDERS.md#legacy-mta", approximation: true),
        ]
        let text = SenderPolicyJoin.sendersMarkdown(ProbeReport(targets: [t]), dns: nil)
        #expect(text.hasPrefix("### Senders\n\n"))
        #expect(text.contains("approximations, sources in docs/SENDERS.md."))
        #expect(text.contains("| Listener | gmail | legacy |\n|---|---|---|\n| 192.0.2.1:25 | tls TLSv1.3 | plaintext |\n"), "\(text)")
        #expect(text.contains("- 192.0.2.1:25 legacy plaintext: the server rejects TLSv1\n"))
        #expect(SenderPolicyJoin.sendersMarkdown(ProbeReport(targets: []), dns: nil).isEmpty)
    }
}
