import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit
@testable import MailDNS

/// End to end against real servers: NSD serving the test zones, Unbound validating them, a real Postfix
/// serving the MX certificate on a loopback port, and a local HTTPS server for MTA-STS policies.
@Suite("Real DNS: NSD + Unbound + Postfix", .enabled(if: Prerequisites.dnsServers && Prerequisites.postfix), .serialized)
struct RealDNSTests {
    /// A test PKI, a Postfix instance serving `leaf` for `mx.good.postls.example`, and the port it listens on.
    struct World {
        let dir: TemporaryDirectory
        let factory: CertificateFactory
        let leaf: IssuedCertificate
        let tlsa: String

        init(mxName: String = "mx.good.postls.example") throws {
            dir = try TemporaryDirectory(prefix: "postls-dns-test")
            factory = try CertificateFactory(directory: dir.file("pki"))
            leaf = try factory.leaf("mx", commonName: mxName)
            tlsa = DANE.record311(publicKeyDER: leaf.certificate.publicKeyDER).description
        }

        func withPostfix<T>(_ body: (UInt16) throws -> T) throws -> T {
            let mainCF = """
                smtpd_tls_security_level = may
                smtpd_tls_chain_files = \(leaf.keyAndChainFile)
                """
            return try PostfixInstance.with(mainCF: mainCF, listeners: [PostfixListener(name: "smtp")]) { postfix in
                try body(try #require(postfix.listener(named: "smtp")?.port))
            }
        }

        func inspect(_ domain: String, dns: DNSServers, smtpPort: UInt16, timeout: Double = 3,
                     configure: (inout DNSCheckOptions) -> Void = { _ in }) -> DNSReport {
            var options = DNSCheckOptions(smtpPort: smtpPort, timeout: timeout)
            configure(&options)
            return MailDomainInspector.standard(server: dns.resolver, trust: .file(factory.rootFile), options: options).inspect(domain: domain)
        }
    }

    static func mxZone(_ name: String, signing: TestZone.Signing, mx: String? = nil, extra: [String] = []) -> TestZone {
        TestZone(name, signing: signing, records: [
            "@ IN MX 10 \(mx ?? "mx.\(name).")",
            "mx IN A 127.0.0.1",
        ] + extra)
    }

    @Test func validatedMatchingTLSAGivesNoFindingAndAStaleOneIsDaneMismatch() throws {
        let world = try World()
        let oldKey = try PrivateKey.generate(.ecdsaP256)
        let stale = DANE.record311(publicKeyDER: oldKey.publicKeyDER).description
        let dns = try DNSServers(zones: [
            Self.mxZone("good.postls.example", signing: .signed, extra: ["_25._tcp.mx IN TLSA \(world.tlsa)"]),
            Self.mxZone("stale.postls.example", signing: .signed, mx: "mx.good.postls.example.",
                        extra: ["_25._tcp.mx IN TLSA \(stale)"]),
            // The stale domain's MX is mx.good..., whose TLSA lives in the good zone; give the stale zone its own host too.
            Self.mxZone("stalehost.postls.example", signing: .signed, extra: ["_25._tcp.mx IN TLSA \(stale)"]),
        ])
        defer { dns.stop() }
        try world.withPostfix { port in
            let good = world.inspect("good.postls.example", dns: dns, smtpPort: port)
            #expect(good.dnssec == .secure)
            let mx = try #require(good.mx.first)
            #expect(mx.host == "mx.good.postls.example")
            #expect(mx.addresses == ["127.0.0.1"])
            #expect(mx.certificate?.coversHost == true)
            #expect(mx.certificate?.sha256 == world.leaf.certificate.info.sha256)
            #expect(mx.tlsa?.validated == true)
            #expect(mx.tlsa?.matches == true)
            #expect(mx.tlsa?.records == [world.tlsa])
            #expect(good.findings.isEmpty, "\(good.findings)")

            // The key on disk is about to replace the served one, and no record pins it yet.
            let nextKey = try PrivateKey.generate(.ecdsaP256)
            let renewing = world.inspect("good.postls.example", dns: dns, smtpPort: port) { $0.onDiskKeyDER = nextKey.publicKeyDER }
            let warning = try #require(renewing.findings.first)
            #expect(warning.cause == .daneMismatch && warning.severity == .warning)
            #expect(warning.message.contains("next reload"))
            let offered = renewing.suggestions.filter { $0.kind == .tlsa }.map(\.value)
            #expect(offered == [world.tlsa, DANE.record311(publicKeyDER: nextKey.publicKeyDER).description])

            // Postfix serves the leaf, but the validated TLSA pins an old key.
            let staleReport = world.inspect("stalehost.postls.example", dns: dns, smtpPort: port)
            #expect(staleReport.dnssec == .secure)
            let finding = try #require(staleReport.findings.first { $0.cause == .daneMismatch })
            #expect(finding.severity == .critical)
            #expect(staleReport.mx.first?.tlsa?.matches == false)
            #expect(staleReport.suggestions.contains { $0.kind == .tlsa && $0.value == world.tlsa && $0.name == "_25._tcp.mx.stalehost.postls.example" })
            // stalehost's certificate is for mx.good..., so its MX name is not covered either.
            #expect(staleReport.findings.contains { $0.cause == .nameMismatch })
        }
    }

    /// The key on disk told apart: records pinning both keys are a rollover in progress (no finding), records pinning
    /// the key on disk but not the served one wait for a reload, records pinning neither are stale.
    @Test func tlsaAgainstTheServedKeyAndTheKeyOnDisk() throws {
        let world = try World()
        let next = try PrivateKey.generate(.ecdsaP256)
        let nextTLSA = DANE.record311(publicKeyDER: next.publicKeyDER).description
        let dns = try DNSServers(zones: [
            Self.mxZone("good.postls.example", signing: .signed, extra: ["_25._tcp.mx IN TLSA \(world.tlsa)", "_25._tcp.mx IN TLSA \(nextTLSA)"]),
            Self.mxZone("early.postls.example", signing: .signed, extra: ["_25._tcp.mx IN TLSA \(nextTLSA)"]),
        ])
        defer { dns.stop() }
        try world.withPostfix { port in
            let rollover = world.inspect("good.postls.example", dns: dns, smtpPort: port) { $0.onDiskKeyDER = next.publicKeyDER }
            let tlsa = try #require(rollover.mx.first?.tlsa)
            #expect(tlsa.matches == true && tlsa.onDiskKeyPinned == true)
            #expect(!rollover.findings.contains { $0.cause == .daneMismatch }, "\(rollover.findings)")

            // The key on disk pinned by none of the records (the served key is): the next reload breaks DANE.
            let unpinned = world.inspect("good.postls.example", dns: dns, smtpPort: port) {
                $0.onDiskKeyDER = try? PrivateKey.generate(.ecdsaP256).publicKeyDER
            }
            #expect(unpinned.mx.first?.tlsa?.onDiskKeyPinned == false)
            #expect(unpinned.findings.contains { $0.cause == .daneMismatch && $0.severity == .warning && $0.message.contains("next reload") })

            // Only the key on disk pinned: published ahead of a reload, not stale.
            let early = world.inspect("early.postls.example", dns: dns, smtpPort: port) { $0.onDiskKeyDER = next.publicKeyDER }
            #expect(early.mx.first?.tlsa?.matches == false && early.mx.first?.tlsa?.onDiskKeyPinned == true)
            let pending = try #require(early.findings.first { $0.cause == .daneMismatch })
            #expect(pending.severity == .critical && pending.message.contains("reload Postfix") && !pending.message.contains("stale"))

            // Neither key pinned: stale.
            let stale = world.inspect("early.postls.example", dns: dns, smtpPort: port) { $0.onDiskKeyDER = world.leaf.certificate.publicKeyDER }
            #expect(stale.mx.first?.tlsa?.onDiskKeyPinned == false)
            #expect(stale.findings.contains { $0.cause == .daneMismatch && $0.message.contains("the records are stale") })
        }
    }

    @Test func unsignedTLSAIsInsecureAndAnMXOutsideTheCertificateIsNameMismatch() throws {
        let world = try World()
        let dns = try DNSServers(zones: [
            Self.mxZone("unsigned.postls.example", signing: .unsigned, mx: "mx.good.postls.example.", extra: []),
            Self.mxZone("good.postls.example", signing: .unsigned, extra: ["_25._tcp.mx IN TLSA \(world.tlsa)"]),
            Self.mxZone("other.postls.example", signing: .signed),
        ])
        defer { dns.stop() }
        try world.withPostfix { port in
            let insecure = world.inspect("unsigned.postls.example", dns: dns, smtpPort: port)
            #expect(insecure.dnssec == .insecure)
            #expect(insecure.mx.first?.tlsa?.validated == false)
            #expect(insecure.mx.first?.tlsa?.matches == true)
            #expect(insecure.findings.map(\.cause) == [.dnssecInsecure], "\(insecure.findings)")

            let wrongName = world.inspect("other.postls.example", dns: dns, smtpPort: port)
            #expect(wrongName.dnssec == .secure)
            let finding = try #require(wrongName.findings.first)
            #expect(finding.cause == .nameMismatch)
            #expect(finding.host == "mx.other.postls.example")
            #expect(wrongName.mx.first?.certificate?.names == ["mx.good.postls.example"])
            #expect(wrongName.mx.first?.certificate?.coversHost == false)
        }
    }

    @Test func mtaSTSPolicyThatMissesAnMXIsMismatchAndACoveringOneIsNot() throws {
        let world = try World()
        let domain = "sts.postls.example"
        let dns = try DNSServers(zones: [
            TestZone(domain, signing: .signed, records: [
                "@ IN MX 10 mx.good.postls.example.",
                "_mta-sts IN TXT \"v=STSv1; id=20261129\"",
                "_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tls@sts.postls.example\"",
                "mta-sts IN A 127.0.0.1",
            ]),
            Self.mxZone("good.postls.example", signing: .signed),
        ])
        defer { dns.stop() }
        let wrong = try LoopbackServer.mtaSTSPolicy(world.factory, domain: domain, policy: "version: STSv1\nmode: enforce\nmx: mail.elsewhere.example\nmax_age: 604800\n")
        defer { wrong.stop() }
        let right = try LoopbackServer.mtaSTSPolicy(world.factory, domain: domain, policy: "version: STSv1\nmode: enforce\nmx: *.good.postls.example\nmax_age: 604800\n")
        defer { right.stop() }
        try world.withPostfix { port in
            let mismatch = world.inspect(domain, dns: dns, smtpPort: port) { $0.mtaSTSPort = wrong.address.port }
            let sts = try #require(mismatch.mtaSTS)
            #expect(sts.txt == "v=STSv1; id=20261129")
            #expect(sts.policy == MTASTSPolicy(mode: .enforce, mx: ["mail.elsewhere.example"], maxAge: 604_800))
            #expect(sts.mxCovered == false)
            #expect(sts.uncoveredMX == ["mx.good.postls.example"])
            let finding = try #require(mismatch.findings.first)
            #expect(finding.cause == .mtaSTSMismatch && finding.severity == .critical)
            #expect(mismatch.tlsRPT == "v=TLSRPTv1; rua=mailto:tls@sts.postls.example")
            let fix = try #require(mismatch.suggestions.first { $0.kind == .mtaSTSPolicy })
            #expect(fix.value.contains("mx: mx.good.postls.example") && fix.value.contains("mode: enforce"))

            let covered = world.inspect(domain, dns: dns, smtpPort: port) { $0.mtaSTSPort = right.address.port }
            #expect(covered.mtaSTS?.mxCovered == true)
            #expect(covered.findings.isEmpty, "\(covered.findings)")

            // Without --ca-file the test CA is unknown: the policy cannot be fetched over verified HTTPS.
            let options = DNSCheckOptions(smtpPort: port, mtaSTSPort: right.address.port, timeout: 3)
            let unverified = MailDomainInspector.standard(server: dns.resolver, trust: .system, options: options).inspect(domain: domain)
            let fetchFailure = try #require(unverified.findings.first { $0.cause == .mtaSTSMismatch })
            #expect(fetchFailure.message.contains("does not verify"), "\(fetchFailure.message)")
            #expect(unverified.mtaSTS?.policy == nil)
        }
    }
}

/// `postls dns` as a user runs it: the JSON field names of docs/json/dns.schema.json, text output and exit codes.
@Suite("postls dns command", .enabled(if: Prerequisites.dnsServers && Prerequisites.postfix), .serialized)
struct DNSCommandTests {
    @Test func jsonFollowsTheContractAndExitCodesFollowTheWorstFinding() throws {
        let world = try RealDNSTests.World()
        let oldKey = try PrivateKey.generate(.ecdsaP256)
        let dns = try DNSServers(zones: [
            RealDNSTests.mxZone("good.postls.example", signing: .signed, extra: [
                "_25._tcp.mx IN TLSA \(world.tlsa)",
                "@ IN TXT \"v=spf1 mx -all\"",
                "_dmarc IN TXT \"v=DMARC1; p=reject\"",
                "_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tls@good.postls.example\"",
                "s1._domainkey IN TXT \"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"",
            ]),
            RealDNSTests.mxZone("stale.postls.example", signing: .signed, extra: [
                "_25._tcp.mx IN TLSA \(DANE.record311(publicKeyDER: oldKey.publicKeyDER))",
            ]),
        ])
        defer { dns.stop() }
        try world.withPostfix { port in
            let common = ["--resolver", dns.resolverArgument, "--port", "\(port)", "--ca-file", world.factory.rootFile, "--timeout", "3"]
            let out = try PostlsBinary.run(["dns", "good.postls.example", "--json", "--dkim-selector", "s1", "--dkim-selector", "missing"] + common)
            #expect(out.status == 0, "\(out.stderr)")
            if Prerequisites.isCI || JSONSchemaValidator.isAvailable {
                let errors = try JSONSchemaValidator.validate(json: out.stdout, schema: "dns.schema.json")
                #expect(errors.isEmpty, "postls dns --json does not match docs/json/dns.schema.json: \(errors)")
            }
            let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
            #expect(json["domain"] as? String == "good.postls.example")
            #expect(json["dnssec"] as? String == "secure")
            let mx = try #require((json["mx"] as? [[String: Any]])?.first)
            #expect(mx["host"] as? String == "mx.good.postls.example")
            #expect(mx["preference"] as? Int == 10)
            #expect(mx["addresses"] as? [String] == ["127.0.0.1"])
            let certificate = try #require(mx["certificate"] as? [String: Any])
            #expect(certificate["sha256"] as? String == world.leaf.certificate.info.sha256)
            #expect(certificate["names"] as? [String] == ["mx.good.postls.example"])
            #expect(certificate["covers_host"] as? Bool == true)
            let tlsa = try #require(mx["tlsa"] as? [String: Any])
            #expect(tlsa["records"] as? [String] == [world.tlsa])
            #expect(tlsa["validated"] as? Bool == true)
            #expect(tlsa["matches"] as? Bool == true)
            #expect(json["mta_sts"] is NSNull)
            #expect(json["tls_rpt"] as? String == "v=TLSRPTv1; rua=mailto:tls@good.postls.example")
            #expect(json["spf"] as? String == "v=spf1 mx -all")
            #expect(json["dmarc"] as? String == "v=DMARC1; p=reject")
            let dkim = try #require(json["dkim"] as? [String: Any])
            #expect(dkim["s1"] as? String == "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
            #expect(dkim["missing"] is NSNull)
            #expect((json["findings"] as? [Any])?.isEmpty == true)
            let lookups = try #require(json["lookups"] as? [[String: Any]])
            #expect(lookups.contains { $0["type"] as? String == "TLSA" && $0["dnssec"] as? String == "secure" && $0["result"] as? String == "records" })

            let stale = try PostlsBinary.run(["dns", "stale.postls.example", "--json"] + common)
            #expect(stale.status == 2)
            if Prerequisites.isCI || JSONSchemaValidator.isAvailable {
                let errors = try JSONSchemaValidator.validate(json: stale.stdout, schema: "dns.schema.json")
                #expect(errors.isEmpty, "postls dns --json does not match docs/json/dns.schema.json: \(errors)")
            }
            let staleJSON = try #require(try JSONSerialization.jsonObject(with: Data(stale.stdout.utf8)) as? [String: Any])
            let finding = try #require((staleJSON["findings"] as? [[String: Any]])?.first)
            #expect(finding["cause"] as? String == "dane_mismatch")
            #expect(finding["severity"] as? String == "critical")
            #expect(finding["message"] is String)

            let text = try PostlsBinary.run(["dns", "good.postls.example"] + common)
            #expect(text.status == 0)
            #expect(text.stdout.contains("MX 10 mx.good.postls.example  [secure]"), "\(text.stdout)")
            #expect(text.stdout.contains("No DNS problem found."))
        }
    }

    @Test func badUsageAndUnreadableInputsHaveTheirExitCodes() throws {
        let bad = try PostlsBinary.run(["dns", "example.org", "--resolver", "resolver.example"])
        #expect(bad.status == 64, "\(bad.stderr)")
        #expect(bad.stderr.contains("--resolver"))
        let missing = try PostlsBinary.run(["dns", "example.org", "--resolver", "127.0.0.1:9", "--key-file", "/nonexistent/key.pem"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("/nonexistent/key.pem"))
    }
}

/// Bad DNS: real servers misbehaving in the ways the issue lists. No Postfix needed.
@Suite("Real DNS: bad answers", .enabled(if: Prerequisites.dnsServers), .serialized)
struct BadDNSTests {
    func inspect(_ domain: String, server: SocketAddress, timeout: Double = 2) -> DNSReport {
        let options = DNSCheckOptions(smtpPort: 9, timeout: timeout)  // port 9 (discard): nothing listens
        return MailDomainInspector.standard(server: server, trust: .system, options: options).inspect(domain: domain)
    }

    @Test func expiredSignaturesAreBogus() throws {
        let dns = try DNSServers(zones: [RealDNSTests.mxZone("bogus.postls.example", signing: .expiredSignatures)])
        defer { dns.stop() }
        let report = inspect("bogus.postls.example", server: dns.resolver)
        #expect(report.dnssec == .bogus)
        let finding = try #require(report.findings.first)
        #expect(finding.cause == .dnssecBogus && finding.severity == .critical)
        #expect(finding.message.contains("MX bogus.postls.example"))
        // Everything else in the zone is bogus too: named in one more finding, not one finding each.
        #expect(report.findings.count == 2)
        #expect(report.findings.last?.message.contains("TXT _dmarc.bogus.postls.example") == true)
        // The data is still visible with checking disabled, and Unbound says why it is bogus.
        #expect(report.mx.first?.host == "mx.bogus.postls.example")
        #expect(dns.resolverLog().contains("signature expired"))
        let mxLookup = try #require(report.lookups.first)
        #expect(mxLookup.name == "bogus.postls.example" && mxLookup.type == "MX")
        #expect(mxLookup.dnssec == .bogus && mxLookup.records == ["10 mx.bogus.postls.example."])
    }

    @Test func cnameLoopAndEnormousTXTGiveClearResults() throws {
        let spf = "v=spf1 " + (1...150).map { "ip4:192.0.2.\($0)" }.joined(separator: " ") + " -all"
        let chunks = stride(from: 0, to: spf.utf8.count, by: 200).map { start -> String in
            let bytes = Array(spf.utf8)[start..<min(start + 200, spf.utf8.count)]
            return "\"" + String(decoding: bytes, as: UTF8.self) + "\""
        }
        let dns = try DNSServers(zones: [TestZone("weird.postls.example", signing: .unsigned, records: [
            "@ IN MX 10 loop1.weird.postls.example.",
            "loop1 IN CNAME loop2",
            "loop2 IN CNAME loop1",
            "@ IN TXT " + chunks.joined(separator: " "),
        ])])
        defer { dns.stop() }
        let start = Date()
        let report = inspect("weird.postls.example", server: dns.resolver)
        #expect(Date().timeIntervalSince(start) < 10)
        // More than 1232 bytes: Unbound truncates the UDP answer and the client retries over TCP.
        #expect(spf.utf8.count > 1300)
        #expect(report.spf == spf)
        let loop = try #require(report.findings.first { $0.message.contains("CNAME loop") })
        #expect(loop.message.contains("loop1.weird.postls.example -> loop2.weird.postls.example -> loop1.weird.postls.example"), "\(loop.message)")
        #expect(report.mx.first?.addresses == [])
    }

    @Test func silentResolverGivesNullsWithFindingsWithinTheTimeout() throws {
        let silent = try UDPListener(ip: "127.0.0.1")  // bound, never read: every query times out
        defer { silent.close() }
        let start = Date()
        let report = inspect("postls.example", server: silent.address, timeout: 1)
        let elapsed = Date().timeIntervalSince(start)
        // Lookups run in parallel: the whole inspection takes about one timeout, not one per lookup.
        #expect(elapsed < 3.5, "took \(elapsed) s")
        #expect(report.dnssec == .unknown)
        #expect(report.mx.isEmpty && report.spf == nil && report.dmarc == nil && report.mtaSTS == nil)
        // One finding for the lot, naming every lookup that got no answer.
        #expect(report.findings.count == 1)
        let mx = try #require(report.findings.first)
        #expect(mx.severity == .critical && mx.cause == .unclassified)
        #expect(mx.message.hasPrefix("7 lookups failed (MX postls.example, "), "\(mx.message)")
        #expect(mx.message.contains("TXT _dmarc.postls.example") && mx.message.contains("no answer from the DNS server"))
    }
}
