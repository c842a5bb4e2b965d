import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit
@testable import TLSProbe

/// One real Postfix with one listener per situation (each `-o` overrides), shared by the tests below:
/// starting an instance costs 1–2 s, a listener almost nothing.
final class ProbeFixture: @unchecked Sendable {
    let directory: TemporaryDirectory
    let factory: CertificateFactory
    let postfix: PostfixInstance

    static let shared: Result<ProbeFixture, Error> = Result { try ProbeFixture() }
    /// The same listeners on Debian 13's Postfix 3.10 (OpenSSL 3.5 serving), made at first use.
    static let trixie: Result<ProbeFixture, Error> = Result { try ProbeFixture(generation: .debian13) }

    /// The fixture of `generation`, or nil (said on stderr) when that generation cannot run here.
    static func of(_ generation: Generation, _ test: String = #function) throws -> ProbeFixture? {
        guard try generation.serversOrSkip(test) != nil else { return nil }
        return try (generation == .debian12 ? shared : trixie).get()
    }

    init(generation: Generation = .debian12) throws {
        directory = try TemporaryDirectory(prefix: "postls-probe")
        factory = try CertificateFactory(directory: directory.file("pki"))
        let good = try factory.leaf("mail")
        let selfSigned = try factory.leaf("self", issuer: .selfSigned)
        let expired = try factory.leaf("expired", notBefore: Date().addingTimeInterval(-100 * 86_400), notAfter: Date().addingTimeInterval(-10 * 86_400))
        let wrongName = try factory.leaf("wrong", commonName: "other.postls.test")
        let weak = try factory.leaf("weak", key: .rsa(bits: 1024), digest: .sha1)
        // key, leaf, then the root before the intermediate: served in that (wrong) order.
        let misordered = directory.file("misordered.pem")
        try (try String(contentsOfFile: good.keyFile, encoding: .utf8) + good.certificate.pem + factory.root.pem + factory.intermediate.pem)
            .write(toFile: misordered, atomically: true, encoding: .utf8)
        var listeners = [
            PostfixListener(name: "default"),
            // The seed's case: port 25 restricted to TLS 1.2 and later.
            PostfixListener(name: "tls12plus", overrides: [("smtpd_tls_protocols", ">=TLSv1.2"), ("smtpd_tls_mandatory_protocols", ">=TLSv1.2")]),
            PostfixListener(name: "tls13only", overrides: [("smtpd_tls_protocols", ">=TLSv1.3"), ("smtpd_tls_mandatory_protocols", ">=TLSv1.3")]),
            // eNULL ciphers only, and no TLS 1.3 (whose suites are separate): nothing the probe or s_client offers by default.
            PostfixListener(name: "nocipher", overrides: [("smtpd_tls_ciphers", "null"), ("smtpd_tls_protocols", "<=TLSv1.2")]),
            PostfixListener(name: "selfsigned", overrides: [("smtpd_tls_chain_files", selfSigned.keyAndChainFile)]),
            PostfixListener(name: "nointermediate", overrides: [("smtpd_tls_chain_files", "\(good.keyFile),\(good.certFile)")]),
            PostfixListener(name: "expired", overrides: [("smtpd_tls_chain_files", expired.keyAndChainFile)]),
            PostfixListener(name: "wrongname", overrides: [("smtpd_tls_chain_files", wrongName.keyAndChainFile)]),
            PostfixListener(name: "weakkey", overrides: [("smtpd_tls_chain_files", weak.keyAndChainFile)]),
            PostfixListener(name: "misordered", overrides: [("smtpd_tls_chain_files", misordered)]),
            PostfixListener(name: "notls", overrides: [("smtpd_tls_security_level", "none")]),
            // As root smtpd reads keys before dropping privileges: only a missing file makes TLS unavailable.
            PostfixListener(name: "nokey", overrides: [("smtpd_tls_chain_files", ""), ("smtpd_tls_cert_file", good.certFile),
                                                        ("smtpd_tls_key_file", directory.file("missing.key"))]),
            PostfixListener(name: "smtps", overrides: [("smtpd_tls_wrappermode", "yes"), ("smtpd_tls_security_level", "encrypt")]),
            PostfixListener(name: "plain465"),
            // Cyrus SASL (Debian's libsasl2 modules) lists mechanisms without any daemon.
            PostfixListener(name: "submission", overrides: [("smtpd_sasl_auth_enable", "yes"), ("smtpd_tls_auth_only", "no")]),
        ]
        if Prerequisites.ipv6Loopback { listeners.append(PostfixListener(name: "smtp6", address: "::1")) }
        let mainCF = """
            smtpd_tls_security_level = may
            smtpd_tls_chain_files = \(good.keyAndChainFile)
            smtpd_tls_loglevel = 1
            """
        postfix = try PostfixInstance(mainCF: mainCF, listeners: listeners, generation: generation)
        try postfix.start()
    }

    func target(_ name: String, mode: ProbeMode = .starttls, expectedName: String? = "mail.postls.test") throws -> ProbeTarget {
        guard let address = postfix.listener(named: name)?.socketAddress else { throw HarnessError.notListening(name) }
        return ProbeTarget(host: "mail.postls.test", address: address, mode: mode, expectedName: expectedName)
    }

    func probe(_ name: String, mode: ProbeMode = .starttls, expectedName: String? = "mail.postls.test", timeout: Double = 5,
               trust: TrustAnchors? = nil) throws -> ListenerProbeResult {
        let prober = try Prober(options: ProbeOptions(phaseTimeout: timeout, trust: trust ?? .file(factory.rootFile)))
        let report = prober.probe([try target(name, mode: mode, expectedName: expectedName)])
        // Round-trip through the JSON contract, as scripts see it.
        let decoded = try ProbeReport.decode(try report.jsonData())
        let result = try #require(decoded.targets.first)
        if result.error?.phase == .greeting && name != "smtps" {
            // Unexpected silence from smtpd: show what Postfix logged, so a failure explains itself.
            Issue.record("no greeting from \(name); Postfix log tail:\n\(postfix.logText().suffix(3000))")
        }
        return result
    }
}

extension ProbeFixture {
    /// s_client of each generation's OpenSSL (the machine's 3.0, Debian 13's 3.5) against the same listener: two
    /// oracles, and the probe must agree with both.
    func expectAgreesWithOpenSSL(_ r: ListenerProbeResult, _ name: String, mode: ProbeMode = .starttls) throws {
        let address = try target(name, mode: mode).address
        for generation in Generation.all {
            guard let servers = try generation.serversOrSkip() else { continue }
            let runner = servers.toolRunner
            let oracle = try OpenSSLOracle.protocols(address, mode: mode, runner: runner)
            #expect(r.protocols == oracle, "probe \(r.protocols) vs \(generation)'s s_client \(oracle)")
            let defaultHandshake = try OpenSSLOracle.handshake(address, mode: mode, runner: runner)
            if let defaultHandshake {
                #expect(r.negotiated?.protocol == defaultHandshake.protocolVersion, "\(generation)")
                #expect(r.negotiated?.cipher == defaultHandshake.cipher, "\(generation)")
            } else {
                #expect(r.negotiated == nil, "\(generation)'s s_client made no handshake")
            }
        }
    }

    /// The verify code each generation's OpenSSL client reports against the same trust anchor.
    func expectSameVerifyCode(_ r: ListenerProbeResult, _ name: String, mode: ProbeMode = .starttls) throws {
        let address = try target(name, mode: mode).address
        for generation in Generation.all {
            guard let servers = try generation.serversOrSkip() else { continue }
            let oracle = try OpenSSLOracle.verifyCode(address, mode: mode, caFile: factory.rootFile, runner: servers.toolRunner)
            #expect(r.verify?.code == oracle, "probe verify \(String(describing: r.verify?.code)) vs \(generation)'s s_client \(String(describing: oracle))")
        }
    }
}

/// Each test against the fixture of both generations: the listeners served by Postfix 3.7 on OpenSSL 3.0 and by
/// Postfix 3.10 on OpenSSL 3.5.
@Suite("Probe against a real Postfix", .enabled(if: Prerequisites.postfix))
struct PostfixProbeTests {
    @Test(arguments: Generation.all) func defaultTLSAcceptsEveryVersionAndVerifiesWithTheTestRoot(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("default")
        #expect(r.error == nil)
        #expect(r.greeting == "220 mail.postls.test ESMTP postls-test")
        #expect(r.starttlsOffered == true)
        #expect(r.starttlsReply?.hasPrefix("220") == true)
        #expect(r.negotiated?.protocol == "TLSv1.3")
        #expect(r.negotiated?.group == "X25519", "named as Postfix logs it")
        #expect(r.protocols["TLSv1.2"] == .accepted && r.protocols["TLSv1.3"] == .accepted)
        #expect(r.chain.count == 2)
        #expect(r.chain.first?.san == ["mail.postls.test"])
        #expect(r.chainOrderProblems.isEmpty)
        #expect(r.verify?.code == 0)
        #expect(r.nameMatch == true)
        #expect((r.daysToExpiry ?? 0) >= 88)
        #expect(r.sameChainWithoutSNI == true)
        #expect(r.connections <= 6 + SenderProfile.all.count, "six, plus one handshake per named sender")
        #expect(r.capabilitiesBeforeTLS?.contains("STARTTLS") == true)
        #expect(r.capabilitiesAfterTLS?.contains("STARTTLS") == false, "after TLS, STARTTLS is no longer offered")
        #expect(r.profiles.map(\.id) == SenderProfile.all.map(\.id))
        #expect(r.profiles.first { $0.id == "gmail" }?.protocol == "TLSv1.3")
        #expect(!r.findings.contains { $0.severity == .critical })
        try fixture.expectAgreesWithOpenSSL(r, "default")
    }

    @Test(arguments: Generation.all) func fullChainVerifiesOnlyAgainstTheTestRoot(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        // Against the system store the private test CA is unknown: 20 (unable to get local issuer).
        let r = try fixture.probe("default", trust: .system)
        #expect(r.verify?.code == 20)
        #expect(r.findings.contains { $0.id == "verify_failed" })
    }

    @Test(arguments: Generation.all) func protocolsAtLeastTLS13RejectEveryOlderVersion(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("tls13only")
        #expect(r.protocols == ["TLSv1": .rejected, "TLSv1.1": .rejected, "TLSv1.2": .rejected, "TLSv1.3": .accepted])
        #expect(r.negotiated?.protocol == "TLSv1.3")
        #expect(r.error == nil)
        #expect(r.profiles.first { $0.id == "legacy" }?.outcome == .plaintext)
        #expect(r.profiles.first { $0.id == "gmail" }?.outcome == .tls)
        try fixture.expectAgreesWithOpenSSL(r, "tls13only")
    }

    @Test(arguments: Generation.all) func cipherListWithoutOverlapFailsEveryHandshake(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("nocipher")
        #expect(r.starttlsOffered == true)
        #expect(r.negotiated == nil)
        #expect(r.error?.phase == .handshake)
        #expect(r.protocols.values.allSatisfy { $0 == .rejected })
        #expect(r.findings.contains { $0.cause == .noSharedCipher })
        #expect(r.profiles.allSatisfy { $0.outcome == .plaintext }, "opportunistic senders fall back to plaintext")
        try fixture.expectAgreesWithOpenSSL(r, "nocipher")
    }

    @Test(arguments: Generation.all) func selfSignedLeafIsVerifyCode18(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("selfsigned")
        #expect(r.error == nil)
        #expect(r.verify?.code == 18)
        #expect(r.chain.count == 1)
        #expect(r.chain.first?.selfIssued == true)
        #expect(r.findings.contains { $0.cause == .untrustedCertificate && $0.severity == .critical })
        #expect(r.profiles.first { $0.id == "gmail" }?.outcome == .tls, "opportunistic senders still get TLS")
        try fixture.expectAgreesWithOpenSSL(r, "selfsigned")
        try fixture.expectSameVerifyCode(r, "selfsigned")
    }

    @Test(arguments: Generation.all) func leafWithoutItsIntermediateIsVerifyCode21(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("nointermediate")
        #expect(r.chain.count == 1)
        #expect(r.verify?.code == 21, "as s_client reports a leaf served alone")
        #expect(r.findings.contains { $0.cause == .incompleteChain })
        try fixture.expectAgreesWithOpenSSL(r, "nointermediate")
        try fixture.expectSameVerifyCode(r, "nointermediate")
    }

    @Test(arguments: Generation.all) func expiredLeafIsVerifyCode10(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("expired")
        #expect(r.verify?.code == 10)
        #expect((r.daysToExpiry ?? 0) < 0)
        #expect(r.findings.contains { $0.cause == .expiredCertificate && $0.severity == .critical })
        try fixture.expectAgreesWithOpenSSL(r, "expired")
        try fixture.expectSameVerifyCode(r, "expired")
    }

    @Test(arguments: Generation.all) func certificateForAnotherNameDoesNotMatch(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("wrongname")
        #expect(r.verify?.code == 0)
        #expect(r.nameMatch == false)
        #expect(r.findings.contains { $0.cause == .nameMismatch })
        #expect(r.profiles.first { $0.id == "gmail" }?.outcome == .tls, "without a domain policy nobody checks the name")
        try fixture.expectAgreesWithOpenSSL(r, "wrongname")
    }

    @Test(arguments: Generation.all) func weakKeyAndSHA1SignatureAreFindings(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("weakkey")
        #expect(r.error == nil)
        #expect(r.chain.first?.key == "RSA 1024")
        #expect(r.chain.first?.signature == "ecdsa-with-SHA1", "signed by the ECDSA intermediate with SHA-1")
        #expect(r.findings.contains { $0.id == "weak_key" && $0.cause == .weakCertificate })
        #expect(r.findings.contains { $0.id == "weak_signature" && $0.cause == .weakCertificate })
        try fixture.expectAgreesWithOpenSSL(r, "weakkey")
    }

    @Test(arguments: Generation.all) func chainServedOutOfOrderIsReported(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("misordered")
        #expect(r.chain.count == 3)
        #expect(r.chain[1].subject.contains("Root") && r.chain[2].subject.contains("Intermediate"), "served as sent: \(r.chain.map(\.subject))")
        #expect(r.chainOrderProblems.count == 2, "\(r.chainOrderProblems)")
        #expect(r.chainOrderProblems.first?.contains("out of order") == true)
        #expect(r.findings.contains { $0.id == "chain_order" })
        #expect(r.verify?.code == 0, "OpenSSL itself reorders the untrusted certificates")
    }

    @Test(arguments: Generation.all) func literalAddressWithoutNameHasNoNameMatch(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("wrongname", expectedName: nil)
        #expect(r.nameMatch == nil)
    }

    @Test(arguments: Generation.all) func securityLevelNoneMeansSTARTTLSNotOffered(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("notls")
        #expect(r.greeting?.hasPrefix("220 ") == true)
        #expect(r.starttlsOffered == false)
        #expect(r.error?.phase == .starttls)
        #expect(r.negotiated == nil)
        #expect(r.protocols.values.allSatisfy { $0 == .untested })
        #expect(r.connections == 1)
        #expect(r.findings.contains { $0.cause == .starttlsUnavailable })
        let address = try fixture.target("notls").address
        #expect(try OpenSSLOracle.handshake(address, mode: .starttls) == nil, "s_client agrees: no TLS")
    }

    @Test(arguments: Generation.all) func missingKeyFileGives454(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("nokey")
        #expect(r.starttlsOffered == true)
        #expect(r.starttlsReply?.hasPrefix("454") == true)
        #expect(r.error?.phase == .starttls)
        #expect(r.error?.message.contains("454") == true)
        #expect(r.findings.contains { $0.cause == .starttlsUnavailable })
        let address = try fixture.target("nokey").address
        #expect(try OpenSSLOracle.handshake(address, mode: .starttls) == nil, "s_client agrees: STARTTLS refused")
    }

    @Test(arguments: Generation.all) func wrapperModeListenerNegotiatesImplicitTLS(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("smtps", mode: .implicit)
        #expect(r.error == nil)
        #expect(r.mode == .implicit)
        #expect(r.greeting == "220 mail.postls.test ESMTP postls-test", "the greeting arrives inside TLS")
        #expect(r.starttlsOffered == nil)
        #expect(r.verify?.code == 0)
        try fixture.expectAgreesWithOpenSSL(r, "smtps", mode: .implicit)
    }

    @Test(arguments: Generation.all) func plaintextListenerProbedAsImplicitIsReportedAsPlaintext(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let started = Deadline.now()
        let r = try fixture.probe("plain465", mode: .implicit)
        #expect(r.error?.phase == .handshake)
        #expect(r.error?.message.contains("plaintext") == true, "\(r.error?.message ?? "")")
        #expect(r.findings.contains { $0.cause == .plaintextOnTLSPort })
        #expect(r.connections == 1)
        #expect(Deadline.now().uptimeNanoseconds - started.uptimeNanoseconds < 3_000_000_000)
        let address = try fixture.target("plain465", mode: .implicit).address
        #expect(try OpenSSLOracle.handshake(address, mode: .implicit) == nil, "s_client agrees: no TLS on this port")
    }

    @Test(arguments: Generation.all) func wrapperModeListenerProbedAsSTARTTLSSaysNoGreeting(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("smtps", mode: .starttls, timeout: 1)
        #expect(r.error?.phase == .greeting)
        #expect(r.error?.message.contains("--implicit") == true)
        #expect(r.findings.contains { $0.cause == .plaintextOnTLSPort })
    }

    @Test(arguments: Generation.all) func authOfferedBeforeTLSOnSubmissionIsAFinding(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("submission")
        #expect(r.capabilitiesBeforeTLS?.contains { $0.hasPrefix("AUTH") } == true)
        #expect(r.findings.contains { $0.id == "auth_before_tls" })
    }

    @Test(.enabled(if: Prerequisites.ipv6Loopback), arguments: Generation.all) func ipv6ListenerIsProbedOverIPv6(_ generation: Generation) throws {
        guard let fixture = try ProbeFixture.of(generation) else { return }
        let r = try fixture.probe("smtp6")
        #expect(r.address == "::1")
        #expect(r.family == "IPv6")
        #expect(r.error == nil)
        #expect(r.verify?.code == 0)
        try fixture.expectAgreesWithOpenSSL(r, "smtp6")
    }
}
