import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit
@testable import TLSProbe

/// The JSON contract of `postls probe` (docs/json/probe.schema.json) and the pure parts of the analysis.
@Suite("Probe JSON contract and analysis")
struct ContractTests {
    static func sample() -> ListenerProbeResult {
        let target = ProbeTarget(host: "mx.postls.test", address: SocketAddress(ip: "127.0.0.1", port: 25)!, mode: .starttls, expectedName: "mx.postls.test")
        return ListenerProbeResult(target: target)
    }

    @Test func contractFieldsArePresentEvenWhenNull() throws {
        let data = try ProbeReport(targets: [Self.sample()]).jsonData()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let target = try #require((object["targets"] as? [[String: Any]])?.first)
        for key in ["host", "address", "port", "mode", "greeting", "starttls_offered", "protocols", "negotiated", "chain",
                    "verify", "name_match", "error", "connections", "elapsed_ms"] {
            #expect(target.keys.contains(key), "missing contract field \(key)")
        }
        #expect(target["negotiated"] is NSNull)
        #expect(target["error"] is NSNull)
        #expect(target["name_match"] is NSNull)
        #expect(target["mode"] as? String == "starttls")
        let protocols = try #require(target["protocols"] as? [String: String])
        #expect(protocols == ["TLSv1": "untested", "TLSv1.1": "untested", "TLSv1.2": "untested", "TLSv1.3": "untested"])
        if Prerequisites.isCI || JSONSchemaValidator.isAvailable {
            let errors = try JSONSchemaValidator.validate(json: String(decoding: data, as: UTF8.self), schema: "probe.schema.json")
            #expect(errors.isEmpty, "a result with nothing known yet must still match docs/json/probe.schema.json: \(errors)")
        }
    }

    @Test func nestedContractFieldsUseSnakeCase() throws {
        var r = Self.sample()
        r.negotiated = NegotiatedTLS(protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", group: nil)
        r.error = ProbeError(phase: .handshake, message: "stalled")
        r.verify = VerifyResult(code: 18)
        let text = String(decoding: try ProbeReport(targets: [r]).jsonData(), as: UTF8.self)
        #expect(text.contains("\"protocol\" : \"TLSv1.3\""))
        #expect(text.contains("\"group\" : null"))
        #expect(text.contains("\"phase\" : \"handshake\""))
        #expect(text.contains("\"message\" : \"self-signed certificate\""))
        #expect(text.contains("\"code\" : 18"))
        let back = try ProbeReport.decode(Data(text.utf8))
        #expect(back.targets.first == r)
    }

    @Test func exitCodeFollowsTheWorstFinding() {
        var ok = Self.sample()
        ok.findings = [ProbeFinding(id: "legacy_protocols", cause: nil, severity: .info, message: "")]
        var warn = Self.sample()
        warn.findings = [ProbeFinding(id: "name_mismatch", cause: .nameMismatch, severity: .warning, message: "")]
        var crit = Self.sample()
        crit.findings = [ProbeFinding(id: "verify_failed", cause: .expiredCertificate, severity: .critical, message: "")]
        #expect(ProbeReport(targets: [ok]).exitCode == .ok)
        #expect(ProbeReport(targets: [ok, warn]).exitCode == .warnings)
        #expect(ProbeReport(targets: [warn, crit]).exitCode == .critical)
    }

    @Test func senderVerdictsFollowTheHandshakeAndTheDomainPolicy() throws {
        var r = Self.sample()
        r.protocols = ["TLSv1": "rejected", "TLSv1.1": "rejected", "TLSv1.2": "accepted", "TLSv1.3": "accepted"].mapValues { ProtocolStatus(rawValue: $0)! }
        r.verify = VerifyResult(code: 0)
        r.expectedName = "mail.example.org"
        r.nameMatch = true
        let gmail = try #require(SenderProfile.all.first { $0.id == "gmail" })
        let legacy = try #require(SenderProfile.all.first { $0.id == "legacy" })
        let dane = try #require(SenderProfile.all.first { $0.id == "postfix_dane" })
        let tls13 = SenderHandshake(negotiated: NegotiatedTLS(protocol: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", group: "X25519"), failure: nil)
        // The version matrix answers for the legacy sender: no handshake needed, plaintext.
        #expect(SenderVerdicts.matrixRules(out: legacy, r) != nil)
        #expect(SenderVerdicts.verdict(legacy, result: r, handshake: nil).outcome == .plaintext)
        #expect(SenderVerdicts.verdict(gmail, result: r, handshake: tls13).outcome == .tls)
        // A failed handshake: opportunistic plaintext, enforced defer.
        let failed = SenderHandshake(negotiated: nil, failure: "handshake failure")
        #expect(SenderVerdicts.verdict(gmail, result: r, handshake: failed).outcome == .plaintext)
        let sts = SenderDomainPolicy(domain: "example.org", mtaSTSEnforce: true, mtaSTSMX: ["*.example.org"])
        #expect(SenderVerdicts.verdict(gmail, result: r, handshake: failed, policy: sts).outcome == .defer)
        #expect(SenderVerdicts.verdict(gmail, result: r, handshake: tls13, policy: sts).outcome == .tls)
        r.nameMatch = false
        let wrongName = SenderVerdicts.verdict(gmail, result: r, handshake: tls13, policy: sts)
        #expect(wrongName.outcome == .defer && wrongName.policy == "mta-sts")
        #expect(wrongName.reasons.contains { $0.contains("does not cover mail.example.org") })
        // Postfix with DANE ignores MTA-STS, but not TLSA records that fail to match.
        #expect(SenderVerdicts.verdict(dane, result: r, handshake: tls13, policy: sts).outcome == .tls)
        let tlsa = SenderDomainPolicy(domain: "example.org", tlsaMatches: ["mail.example.org": false])
        #expect(SenderVerdicts.verdict(dane, result: r, handshake: tls13, policy: tlsa).outcome == .defer)
        #expect(!sts.mtaSTSCovers("a.b.example.org") && sts.mtaSTSCovers("mx.example.org"))
        // A stalled handshake leaves no room for a sender's own: the listener's error is the reason.
        r.error = ProbeError(phase: .handshake, message: "the TLS handshake stalled")
        let stalled = SenderVerdicts.verdict(gmail, result: r, handshake: nil)
        #expect(stalled.outcome == .plaintext && stalled.reasons.first == "TLS fails for every client: the TLS handshake stalled")
        r.error = ProbeError(phase: .starttls, message: "the server does not offer STARTTLS")
        #expect(SenderVerdicts.verdict(gmail, result: r, handshake: nil).outcome == .plaintext)
        #expect(SenderVerdicts.verdict(gmail, result: r, handshake: nil, policy: sts).outcome == .defer)
        #expect(SenderProfile.all.allSatisfy { $0.label.contains("approximation") && $0.source.hasPrefix("docs/SENDERS.md#") })
        #expect(throws: SenderProfileError.self) { try SenderProfile.named("gmail,hotmail") }
        #expect(try SenderProfile.named("gmail, microsoft365,legacy").map(\.id) == ["gmail", "microsoft365", "legacy"])
        #expect(try SenderProfile.named("none").isEmpty)
        #expect(throws: SenderProfileError.self) { try SenderProfile.named("gmail,none") }
    }
}

@Suite("Cipher enumeration and the CLI against a real Postfix", .enabled(if: Prerequisites.postfix))
struct CipherAndCLITests {
    let fixture: ProbeFixture
    init() throws { fixture = try ProbeFixture.shared.get() }

    @Test func cipherEnumerationListsWhatOpenSSLCanNegotiate() throws {
        let target = try fixture.target("default")
        let prober = try Prober(options: ProbeOptions(phaseTimeout: 5, trust: .file(fixture.factory.rootFile), enumerateCiphers: true))
        let r = prober.probe([target]).targets[0]
        let ciphers = try #require(r.ciphers)
        let tls12 = try #require(ciphers["TLSv1.2"])
        let tls13 = try #require(ciphers["TLSv1.3"])
        #expect(tls13.contains("TLS_AES_256_GCM_SHA384"))
        #expect(tls12.allSatisfy { $0.contains("ECDSA") || !$0.contains("RSA") }, "an ECDSA certificate: no RSA-authenticated suites \(tls12)")
        #expect(Set(tls12).count == tls12.count)
        // Each listed TLS 1.2 cipher really works with s_client, and one not listed does not.
        for cipher in tls12.prefix(2) {
            let hs = try OpenSSLOracle.handshake(target.address, mode: .starttls, version: .tls1_2, extra: ["-cipher", cipher + ":@SECLEVEL=0"])
            #expect(hs?.cipher == cipher)
        }
        #expect(try OpenSSLOracle.handshake(target.address, mode: .starttls, version: .tls1_2, extra: ["-cipher", "AES128-SHA:@SECLEVEL=0"]) == nil)
        #expect(!tls12.contains("AES128-SHA"))
    }

    @Test func commandPrintsContractJSONAndExitsByTheWorstFinding() throws {
        guard FileManager.default.isExecutableFile(atPath: PostlsBinary.path) else {
            Issue.record("postls binary not built at \(PostlsBinary.path)"); return
        }
        let selfSigned = try #require(fixture.postfix.listener(named: "selfsigned"))
        let good = try #require(fixture.postfix.listener(named: "default"))
        let literal = try PostlsBinary.run(["probe", "127.0.0.1", "--port", "\(good.port),\(selfSigned.port)", "--json",
                                            "--ca-file", fixture.factory.rootFile, "--name", "mail.postls.test", "--timeout", "5"])
        #expect(literal.status == 2, "the self-signed listener is critical: \(literal.stderr)")
        let report = try ProbeReport.decode(Data(literal.stdout.utf8))
        if Prerequisites.isCI || JSONSchemaValidator.isAvailable {
            let errors = try JSONSchemaValidator.validate(json: literal.stdout, schema: "probe.schema.json")
            #expect(errors.isEmpty, "postls probe --json does not match docs/json/probe.schema.json: \(errors)")
        }
        #expect(report.targets.count == 2)
        #expect(report.targets[0].verify?.code == 0)
        #expect(report.targets[0].nameMatch == true)
        #expect(report.targets[1].verify?.code == 18)
        #expect(literal.stderr.isEmpty, "no progress without a terminal or --progress")
        let usage = try PostlsBinary.run(["probe", "--ipv4", "--ipv6"])
        #expect(usage.status == 64)
        let badPort = try PostlsBinary.run(["probe", "127.0.0.1", "--port", "smtp"])
        #expect(badPort.status == 64)
    }

    @Test func probeAsNamedSendersTellsTheSeedCaseFromGmailBeingAffected() throws {
        guard FileManager.default.isExecutableFile(atPath: PostlsBinary.path) else {
            Issue.record("postls binary not built at \(PostlsBinary.path)"); return
        }
        let seed = try #require(fixture.postfix.listener(named: "tls12plus"))
        let noCipher = try #require(fixture.postfix.listener(named: "nocipher"))
        let run = try PostlsBinary.run(["probe", "127.0.0.1", "--port", "\(seed.port),\(noCipher.port)", "--as", "gmail,microsoft365,legacy", "--json",
                                        "--ca-file", fixture.factory.rootFile, "--name", "mail.postls.test", "--timeout", "5"])
        let report = try ProbeReport.decode(Data(run.stdout.utf8))
        if Prerequisites.isCI || JSONSchemaValidator.isAvailable {
            let errors = try JSONSchemaValidator.validate(json: run.stdout, schema: "probe.schema.json")
            #expect(errors.isEmpty, "\(errors)")
        }
        #expect(report.targets.count == 2)
        func outcomes(_ i: Int) -> [String: SenderOutcome] { Dictionary(uniqueKeysWithValues: report.targets[i].profiles.map { ($0.id, $0.outcome) }) }
        #expect(report.targets.allSatisfy { $0.profiles.map(\.id) == ["gmail", "microsoft365", "legacy"] })
        #expect(report.targets.allSatisfy { $0.profiles.allSatisfy { $0.approximation && $0.source.hasPrefix("docs/SENDERS.md#") } })
        // The seed: TLS 1.2+ on port 25 drops the legacy sender to plaintext, Gmail is unaffected.
        #expect(outcomes(0) == ["gmail": .tls, "microsoft365": .tls, "legacy": .plaintext])
        // No shared cipher: here Gmail is the one affected (plaintext, never TLS).
        #expect(outcomes(1)["gmail"] == .plaintext && outcomes(1)["microsoft365"] == .plaintext)
        let unknown = try PostlsBinary.run(["probe", "127.0.0.1", "--as", "hotmail"])
        #expect(unknown.status == 64 && unknown.stderr.contains("gmail"))
    }
}
