import Foundation
import PostlsCore
import Testing
@testable import MailDNS

/// MTA-STS, TLS-RPT, SPF, DMARC and DKIM parsing: pure functions over the published text.
struct PolicyTests {
    @Test func mtaSTSPolicyParsesWithCRLFAndIgnoresUnknownKeys() throws {
        let policy = try MTASTSPolicy.parse("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.org\r\nmx: *.backup.example.org\r\nfuture: x\r\nmax_age: 1209600\r\n")
        #expect(policy == MTASTSPolicy(mode: .enforce, mx: ["mx1.example.org", "*.backup.example.org"], maxAge: 1_209_600))
        #expect(try MTASTSPolicy.parse(policy.text) == policy)
    }

    @Test(arguments: [
        ("mode: enforce\nmx: a\nmax_age: 1\n", "version"),
        ("version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n", "mode"),
        ("version: STSv1\nmode: enforce\nmx: a\n", "max_age"),
        ("version: STSv1\nmode: enforce\nmx: a\nmax_age: 31557601\n", "one year"),
        ("version: STSv1\nmode: enforce\nmax_age: 86400\n", "no mx"),
        ("version: STSv1\nmode: enforce\nmx: a\nmax_age: -5\n", "max_age"),
        ("<html>404</html>", "version"),
    ])
    func invalidPoliciesSayWhy(text: String, reason: String) {
        #expect {
            try MTASTSPolicy.parse(text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test(arguments: [
        ("mx.example.org", "MX.example.org.", true),
        ("*.example.org", "mx.example.org", true),
        ("*.example.org", "a.b.example.org", false),
        ("*.example.org", "example.org", false),
        ("mx.example.org", "mx2.example.org", false),
        ("*.example.org", "mxexample.org", false),
    ])
    func mxPatternsMatchLikeRFC8461(pattern: String, host: String, covered: Bool) {
        #expect(MTASTSPolicy.pattern(pattern, covers: host) == covered)
    }

    @Test func theOneSTSv1RecordIsSelected() throws {
        let record = try MTASTSRecord.select(from: ["v=spf1 -all", "v=STSv1; id=20240101T000000;"])
        #expect(record.id == "20240101T000000")
        #expect(throws: MTASTSError.multipleRecords(2)) { try MTASTSRecord.select(from: ["v=STSv1; id=1", "v=STSv1; id=2"]) }
        #expect(throws: MTASTSError.noRecord) { try MTASTSRecord.select(from: ["v=spf1 -all"]) }
        #expect { try MTASTSRecord.select(from: ["v=STSv1; id=has-dash"]) } throws: { "\($0)".contains("letters and digits") }
        #expect { try MTASTSRecord.select(from: ["v=STSv1;"]) } throws: { "\($0)".contains("id field is missing") }
    }

    @Test func spfIsFoundAndCheckedAsContext() {
        let (record, notes) = MailAuthentication.spf(["google-site-verification=x", "v=spf1 mx ip4:192.0.2.0/24 include:_spf.example.net ~all"], domain: "example.org")
        #expect(record == "v=spf1 mx ip4:192.0.2.0/24 include:_spf.example.net ~all")
        #expect(notes.isEmpty)
        let (_, twice) = MailAuthentication.spf(["v=spf1 -all", "v=spf1 mx -all"], domain: "example.org")
        #expect(twice.contains { $0.severity == .warning && $0.message.contains("2 SPF records") })
        let (_, bad) = MailAuthentication.spf(["v=spf1 mx ipv4:192.0.2.1 -all"], domain: "example.org")
        #expect(bad.contains { $0.message.contains("ipv4:192.0.2.1") })
        let many = "v=spf1 " + (1...11).map { "include:s\($0).example.net" }.joined(separator: " ") + " -all"
        #expect(MailAuthentication.spf([many], domain: "example.org").notes.contains { $0.message.contains("11 DNS lookups") })
        let (none, missing) = MailAuthentication.spf([], domain: "example.org")
        #expect(none == nil && missing.map(\.severity) == [.info])
    }

    @Test func dmarcNeedsVersionThenPolicy() {
        #expect(MailAuthentication.dmarc(["v=DMARC1; p=reject; rua=mailto:d@example.org"], domain: "example.org").notes.isEmpty)
        #expect(MailAuthentication.dmarc(["v=DMARC1; rua=mailto:d@example.org; p=none"], domain: "example.org").notes.contains { $0.message.contains("p= right after") })
        #expect(MailAuthentication.dmarc(["v=DMARC1; p=maybe"], domain: "example.org").notes.contains { $0.message.contains("p=maybe") })
    }

    @Test func dkimKeyRecordsAreChecked() {
        let key = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu"
        #expect(MailAuthentication.dkim([key + "w=="], selector: "s1", domain: "example.org").notes.isEmpty)
        #expect(MailAuthentication.dkim(["v=DKIM1; p="], selector: "s1", domain: "example.org").notes.contains { $0.message.contains("revoked") })
        #expect(MailAuthentication.dkim(["v=DKIM1; k=dsa; p=AAAA"], selector: "s1", domain: "example.org").notes.contains { $0.message.contains("k=dsa") })
        #expect(MailAuthentication.dkim([], selector: "s1", domain: "example.org").record == nil)
    }

    @Test func tlsRPTNeedsAReportAddress() {
        #expect(MailAuthentication.tlsRPT(["v=TLSRPTv1; rua=mailto:tls@example.org"], domain: "example.org").notes.isEmpty)
        #expect(MailAuthentication.tlsRPT(["v=TLSRPTv1;"], domain: "example.org").notes.contains { $0.severity == .warning })
    }

    @Test func dkimSelectorsComeFromOpenDKIMAndRspamd() {
        let conf = """
            # OpenDKIM
            Domain example.org
            Selector  mail2024
            KeyTable refile:/etc/opendkim/key.table
            """
        #expect(DKIMSelectors.keyTablePath(inOpenDKIM: conf) == "/etc/opendkim/key.table")
        let table = "mail._domainkey.example.org example.org:s2:/etc/opendkim/keys/s2.private\n"
        #expect(DKIMSelectors.fromOpenDKIM(conf: conf, keyTable: table) == ["mail2024", "s2"])
        let rspamd = """
            selector = "dkim";
            domain {
              example.org {
                path = "/var/lib/rspamd/dkim/example.org.key";
                selector = "2024a";
              }
            }
            """
        #expect(DKIMSelectors.fromRspamd(rspamd) == ["dkim", "2024a"])
        let files = ["/etc/opendkim.conf": conf, "/etc/opendkim/key.table": table, "/etc/rspamd/local.d/dkim_signing.conf": rspamd]
        #expect(DKIMSelectors.discover(read: { files[$0] }) == ["mail2024", "s2", "dkim", "2024a"])
        #expect(DKIMSelectors.discover(read: { _ in nil }) == [])
    }

    @Test func mtaSTSAndTLSRPTRecordsAreGenerated() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let records = RecordGenerator.mtaSTS(domain: "example.org", mxHosts: ["MX1.example.org", "mx2.example.org"], mode: .enforce, now: now)
        #expect(records.map(\.kind) == [.mtaSTSPolicy, .mtaSTSRecord])
        #expect(try MTASTSPolicy.parse(records[0].value) == MTASTSPolicy(mode: .enforce, mx: ["mx1.example.org", "mx2.example.org"], maxAge: 604_800))
        #expect(records[1].value == "v=STSv1; id=20270115080000")
        #expect(try MTASTSRecord.select(from: [records[1].value]).id == "20270115080000")
        #expect(records[1].zoneLine == "_mta-sts.example.org. 3600 IN TXT \"v=STSv1; id=20270115080000\"")
        let rpt = RecordGenerator.tlsRPT(domain: "example.org")
        #expect(rpt.value == "v=TLSRPTv1; rua=mailto:tls-reports@example.org")
        #expect(MailAuthentication.tlsRPT([rpt.value], domain: "example.org").notes.isEmpty)
    }

    @Test func longTXTValuesAreSplitIntoZoneFileStrings() {
        let long = String(repeating: "a", count: 300)
        #expect(RecordSuggestion.quotedTXT(long) == "\"" + String(repeating: "a", count: 255) + "\" \"" + String(repeating: "a", count: 45) + "\"")
        #expect(RecordSuggestion.quotedTXT("say \"hi\"") == "\"say \\\"hi\\\"\"")
    }
}

@Suite("Records ready to paste")
struct PasteLinesTests {
    @Test("a long TLSA record continues inside parentheses, a policy file is its URL and its lines (CRLF split)")
    func pasteLines() {
        let tlsa = RecordGenerator.tlsa(mxHosts: ["mx.example.org"], currentKeyDER: Array(repeating: 7, count: 91))[0]
        let lines = tlsa.pasteLines(width: 72)
        #expect(lines.first == "_25._tcp.mx.example.org. 3600 IN TLSA (")
        #expect(lines.allSatisfy { $0.count <= 72 }, "\(lines)")
        #expect(lines.joined(separator: " ").split(separator: " ").contains { $0.count == 64 }, "the hex stays whole: \(lines)")
        #expect(lines.last?.hasSuffix(" )") == true)
        let short = RecordGenerator.tlsRPT(domain: "e.org")
        #expect(short.pasteLines() == [short.zoneLine!])
        let long = RecordGenerator.tlsRPT(domain: "example.org").pasteLines(width: 60)
        #expect(long.first == "_smtp._tls.example.org. 3600 IN TXT (" && long.last?.hasSuffix(")") == true, "\(long)")
        let policy = RecordGenerator.mtaSTS(domain: "example.org", mxHosts: ["mx.example.org"], now: Date(timeIntervalSince1970: 0))[0]
        let policyLines = policy.pasteLines()
        #expect(policyLines.first == "; serve at https://mta-sts.example.org/.well-known/mta-sts.txt")
        #expect(policyLines.dropFirst().first == "version: STSv1")
        #expect(!policyLines.contains { $0.contains("\r") || $0.contains("\n") })
    }
}
