import Foundation
import PostlsCore
import Testing
import TLSKit
import TLSProbe
@testable import MailDNS

/// A resolver over a table of answers (the inspector's logic alone; the real servers are in RealDNSTests).
struct TableResolver: DNSResolving {
    var records: [DNSName: [DNSRecordType: [DNSRecordData]]]
    var status: DNSSECStatus = .insecure
    var failing: Set<DNSName> = []

    func lookup(_ name: DNSName, _ type: DNSRecordType) -> DNSLookupResult {
        if failing.contains(name) {
            return DNSLookupResult(name: name, type: type, outcome: .serverFailure(.serverFailure), dnssec: .unknown)
        }
        guard let byType = records[name] else { return DNSLookupResult(name: name, type: type, outcome: .nameError, dnssec: status) }
        let data = byType[type] ?? []
        return DNSLookupResult(name: name, type: type, outcome: data.isEmpty ? .noData : .records, dnssec: status,
                               records: data.map { DNSResourceRecord(name: name, type: type, data: $0) })
    }
}

struct NoCertificates: MXCertificateFetching {
    func servedChain(host: String, address: SocketAddress, deadline: Deadline) throws(ProbeError) -> ServedChain {
        throw ProbeError(phase: .connect, message: "no server in this test")
    }
}

struct NoPolicies: MTASTSPolicyFetching {
    func fetchPolicy(host: String, addresses: [SocketAddress], deadline: Deadline) throws(MTASTSError) -> String {
        throw .fetch("no server in this test")
    }
}

struct InspectorTests {
    static func name(_ s: String) -> DNSName { DNSName(s)! }

    func inspect(_ resolver: TableResolver, _ domain: String = "example.org") -> DNSReport {
        MailDomainInspector(resolver: resolver, certificates: NoCertificates(), policies: NoPolicies(),
                            options: DNSCheckOptions(timeout: 1)).inspect(domain: domain)
    }

    @Test func mxHostsAreOrderedByPreference() {
        let r = TableResolver(records: [
            Self.name("example.org"): [.mx: [.mx(preference: 20, exchange: Self.name("b.example.org")),
                                             .mx(preference: 10, exchange: Self.name("c.example.org")),
                                             .mx(preference: 20, exchange: Self.name("a.example.org"))]],
            Self.name("a.example.org"): [.a: [.a("192.0.2.1")]],
            Self.name("b.example.org"): [.a: [.a("192.0.2.2")]],
            Self.name("c.example.org"): [.aaaa: [.aaaa("2001:db8::3")]],
        ])
        let report = inspect(r)
        #expect(report.mx.map(\.host) == ["c.example.org", "a.example.org", "b.example.org"])
        #expect(report.mx.map(\.preference) == [10, 20, 20])
        #expect(report.mx[0].addresses == ["2001:db8::3"])
        #expect(report.dnssec == .insecure)
    }

    @Test func nullMXMeansNoMailAndNoHostsToCheck() {
        let r = TableResolver(records: [Self.name("example.org"): [.mx: [.mx(preference: 0, exchange: .root)]]])
        let report = inspect(r)
        #expect(report.mx.isEmpty)
        #expect(report.context.contains { $0.message.contains("null MX") })
    }

    @Test func noMXFallsBackToTheDomainItself() {
        let r = TableResolver(records: [Self.name("example.org"): [.a: [.a("192.0.2.7")]]])
        let report = inspect(r)
        #expect(report.mx.map(\.host) == ["example.org"])
        #expect(report.mx.first?.addresses == ["192.0.2.7"])
        #expect(report.context.contains { $0.message.contains("no MX records") })
    }

    @Test func ptrIsForwardConfirmedOnlyWhenItResolvesBack() throws {
        let r = TableResolver(records: [
            Self.name("example.org"): [.mx: [.mx(preference: 10, exchange: Self.name("mx.example.org"))]],
            Self.name("mx.example.org"): [.a: [.a("192.0.2.1"), .a("192.0.2.2")]],
            try #require(DNSName.reverse(address: "192.0.2.1")): [.ptr: [.ptr(Self.name("mx.example.org"))]],
            try #require(DNSName.reverse(address: "192.0.2.2")): [.ptr: [.ptr(Self.name("elsewhere.example.net"))]],
            Self.name("elsewhere.example.net"): [.a: [.a("198.51.100.1")]],
        ])
        let report = inspect(r)
        let ptr = try #require(report.mx.first?.ptr)
        #expect(ptr == [PTRReport(address: "192.0.2.1", names: ["mx.example.org"], forwardConfirmed: true),
                        PTRReport(address: "192.0.2.2", names: ["elsewhere.example.net"], forwardConfirmed: false)])
        #expect(report.context.contains { $0.topic == "ptr" && $0.message.contains("does not resolve back") })
        // The probe failed: no certificate, the reason kept, and no TLS cause invented for it.
        #expect(report.mx.first?.certificate == nil)
        #expect(report.mx.first?.probeError?.contains("no server in this test") == true)
        #expect(report.findings.isEmpty)
    }

    @Test func servfailOnTheMXIsCriticalAndTheRestStillRuns() {
        var r = TableResolver(records: [Self.name("_dmarc.example.org"): [.txt: [.txt([Array("v=DMARC1; p=none".utf8)])]]])
        r.failing = [Self.name("example.org")]
        let report = inspect(r)
        #expect(report.dnssec == .unknown)
        #expect(report.findings.first?.severity == .critical)
        #expect(report.findings.first?.message == "MX example.org: the resolver answered SERVFAIL")
        #expect(report.dmarc == "v=DMARC1; p=none")
        #expect(report.spf == nil)
    }

    @Test func anInvalidDomainIsReportedNotLookedUp() {
        let report = inspect(TableResolver(records: [:]), "bad..example")
        #expect(report.findings.map(\.message) == ["\"bad..example\" is not a domain name"])
        #expect(inspect(TableResolver(records: [:]), "bücher.example").findings.first?.message.contains("xn--") == true)
    }

    @Test func reportJSONHasTheContractFieldsWithExplicitNulls() throws {
        let r = TableResolver(records: [Self.name("example.org"): [.mx: [.mx(preference: 10, exchange: Self.name("mx.example.org"))]]])
        let json = try #require(try JSONSerialization.jsonObject(with: inspect(r).jsonData()) as? [String: Any])
        for key in ["domain", "dnssec", "mx", "mta_sts", "tls_rpt", "spf", "dmarc", "dkim", "findings"] {
            #expect(json.keys.contains(key), "missing \(key)")
        }
        let mx = try #require((json["mx"] as? [[String: Any]])?.first)
        for key in ["host", "preference", "addresses", "certificate", "tlsa"] { #expect(mx.keys.contains(key), "missing mx.\(key)") }
        #expect(mx["certificate"] is NSNull && mx["tlsa"] is NSNull)
        #expect(json["mta_sts"] is NSNull && json["spf"] is NSNull)
    }
}

struct FixedChain: MXCertificateFetching {
    let chain: [Certificate]
    let verify: VerifyResult
    func servedChain(host: String, address: SocketAddress, deadline: Deadline) throws(ProbeError) -> ServedChain {
        ServedChain(address: address, chain: chain, verify: verify)
    }
}

struct NoSTARTTLS: MXCertificateFetching {
    func servedChain(host: String, address: SocketAddress, deadline: Deadline) throws(ProbeError) -> ServedChain {
        throw ProbeError(phase: .starttls, message: "\(host) does not offer STARTTLS")
    }
}

struct FixedPolicy: MTASTSPolicyFetching {
    let text: String
    func fetchPolicy(host: String, addresses: [SocketAddress], deadline: Deadline) throws(MTASTSError) -> String { text }
}

import TestSupport

/// How the DNS view joins with what the MX serves, with the served side scripted.
struct InspectorJoinTests {
    static let domain = DNSName("example.org")!
    static let mxName = DNSName("mx.example.org")!

    func resolver(extra: [DNSName: [DNSRecordType: [DNSRecordData]]] = [:], status: DNSSECStatus = .secure) -> TableResolver {
        var records: [DNSName: [DNSRecordType: [DNSRecordData]]] = [
            Self.domain: [.mx: [.mx(preference: 10, exchange: Self.mxName)]],
            Self.mxName: [.a: [.a("192.0.2.1")]],
            DNSName("_mta-sts.example.org")!: [.txt: [.txt([Array("v=STSv1; id=1".utf8)])]],
            DNSName("mta-sts.example.org")!: [.a: [.a("192.0.2.9")]],
        ]
        records.merge(extra) { a, _ in a }
        return TableResolver(records: records, status: status)
    }

    @Test func underAnEnforcedPolicyAnUnverifiedCertificateIsCriticalWithItsCause() throws {
        let dir = try TemporaryDirectory(prefix: "postls-join")
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let selfSigned = try factory.leaf("self", commonName: "mx.example.org", issuer: .selfSigned)
        let inspector = MailDomainInspector(
            resolver: resolver(), certificates: FixedChain(chain: [selfSigned.certificate], verify: VerifyResult(code: 18)),
            policies: FixedPolicy(text: "version: STSv1\nmode: enforce\nmx: mx.example.org\nmax_age: 604800\n"),
            options: DNSCheckOptions(timeout: 1))
        let report = inspector.inspect(domain: "example.org")
        #expect(report.mtaSTS?.mxCovered == true)
        let finding = try #require(report.findings.first)
        #expect(finding.cause == .untrustedCertificate && finding.severity == .critical)
        #expect(finding.message.contains("enforce"))
    }

    @Test func underAnEnforcedPolicyANameMismatchIsCritical() throws {
        let dir = try TemporaryDirectory(prefix: "postls-join")
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let other = try factory.leaf("other", commonName: "other.example.net")
        let inspector = MailDomainInspector(
            resolver: resolver(), certificates: FixedChain(chain: [other.certificate, factory.intermediate], verify: VerifyResult(code: 0)),
            policies: FixedPolicy(text: "version: STSv1\nmode: enforce\nmx: mx.example.org\nmax_age: 604800\n"),
            options: DNSCheckOptions(timeout: 1))
        let report = inspector.inspect(domain: "example.org")
        let finding = try #require(report.findings.first)
        #expect(finding.cause == .nameMismatch && finding.severity == .critical)
        #expect(finding.message.contains("enforce mode"))
        #expect(report.findings.count == 1)
    }

    @Test func validatedTLSAWithoutSTARTTLSIsStarttlsUnavailable() throws {
        let tlsa = TLSARecord(usage: 3, selector: 1, matchingType: 1, data: [UInt8](repeating: 1, count: 32))
        let inspector = MailDomainInspector(
            resolver: resolver(extra: [DNSName("_25._tcp.mx.example.org")!: [.tlsa: [.tlsa(tlsa)]]]),
            certificates: NoSTARTTLS(), policies: FixedPolicy(text: "version: STSv1\nmode: testing\nmx: *.example.org\nmax_age: 604800\n"),
            options: DNSCheckOptions(timeout: 1))
        let report = inspector.inspect(domain: "example.org")
        let finding = try #require(report.findings.first)
        #expect(finding.cause == .starttlsUnavailable && finding.severity == .critical)
        #expect(report.mx.first?.tlsa?.matches == nil)
        #expect(report.mtaSTS?.policy?.mode == .testing)
        #expect(report.context.contains { $0.message.contains("testing mode") })
    }
}

struct MailExchangerTests {
    @Test func mxHostsResolveInPreferenceOrderWithAddresses() {
        let r = TableResolver(records: [
            DNSName("example.org")!: [.mx: [.mx(preference: 20, exchange: DNSName("b.example.org")!), .mx(preference: 10, exchange: DNSName("a.example.org")!)]],
            DNSName("a.example.org")!: [.a: [.a("192.0.2.1")], .aaaa: [.aaaa("2001:db8::1")]],
            DNSName("b.example.org")!: [.a: [.a("192.0.2.2")]],
        ])
        #expect(r.mailExchangers(of: "example.org").hosts == [
            MXHost(host: "a.example.org", preference: 10, addresses: ["192.0.2.1", "2001:db8::1"]),
            MXHost(host: "b.example.org", preference: 20, addresses: ["192.0.2.2"]),
        ])
        #expect(r.mailExchangers(of: "nowhere.example").hosts.isEmpty)
        #expect(r.mailExchangers(of: "nowhere.example").lookup?.outcome == .nameError)
    }
}
