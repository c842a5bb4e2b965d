import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSReports

@Suite("TLS report JSON (RFC 8460)")
struct TLSReportParserTests {
    func parse(_ json: String) throws -> TLSReport {
        try TLSReportParser.parse(json: Data(json.utf8), source: "test").get()
    }

    func rejection(_ json: String) -> String? {
        if case .failure(let r) = TLSReportParser.parse(json: Data(json.utf8), source: "test") { return r.reason }
        return nil
    }

    @Test func googlesShapeIsReadWithEveryField() throws {
        let report = try parse(TLSReportSamples.google(hostMismatch: 5, starttls: 2, successful: 1200))
        #expect(report.organizationName == "Google Inc.")
        #expect(report.contactInfo == "smtp-tls-reporting@google.com")
        #expect(report.reportID == "2026-12-01T00:00:00Z_reports.test")
        #expect(report.day == "2026-12-01")
        let policy = try #require(report.policies.first)
        #expect(policy.policyType == "sts" && policy.policyDomain == "reports.test" && policy.mxHosts == ["mx1.reports.test"])
        #expect(policy.policyString.contains("mode: testing") && !policy.blocksDelivery)
        #expect(policy.successfulSessions == 1200 && policy.failedSessions == 7)
        #expect(policy.failures == [
            TLSReportFailure(resultType: .certificateHostMismatch, failedSessions: 5, sendingMTAIP: "209.85.128.70",
                             receivingIP: "192.0.2.25", receivingMXHostname: "mx1.reports.test"),
            TLSReportFailure(resultType: .starttlsNotSupported, failedSessions: 2, sendingMTAIP: "209.85.221.70",
                             receivingIP: "192.0.2.26", receivingMXHostname: "mx2.reports.test"),
        ])
    }

    /// Microsoft leaves out mx-host and both addresses: parsedmarc and others rejected such reports as invalid.
    @Test func microsoftsShapeWithoutAddressesIsRead() throws {
        let report = try parse(TLSReportSamples.microsoft(fetchErrors: 3, mode: "enforce"))
        #expect(report.organization == "Microsoft Corporation")
        let policy = try #require(report.policies.first)
        #expect(policy.mxHosts.isEmpty && policy.blocksDelivery)
        #expect(policy.failures == [TLSReportFailure(resultType: .stsPolicyFetchError, failedSessions: 3)])
    }

    @Test func missingOptionalFieldsAreToleratedNotRejected() throws {
        // contact-info null, no report-id, no date-range, a no-policy-found policy without policy-domain or failure-details,
        // a policy with no policy object at all, mx-host and policy-string as single strings, counts written as strings.
        let report = try parse("""
            {"organization-name":"small.example","contact-info":null,"policies":[
             {"policy":{"policy-type":"no-policy-found"},"summary":{"total-successful-session-count":4,"total-failure-session-count":0},"failure-details":[]},
             {"summary":{"total-successful-session-count":"2","total-failure-session-count":0}},
             {"policy":{"policy-type":"sts","policy-string":"version: STSv1","mx-host":"*.reports.test","policy-domain":"reports.test"},
              "summary":{"total-successful-session-count":0,"total-failure-session-count":1},"failure-details":null}]}
            """)
        #expect(report.contactInfo == nil && report.reportID == nil && report.day == "unknown")
        #expect(report.policies.map(\.policyType) == ["no-policy-found", "unknown", "sts"])
        #expect(report.policies[0].policyDomain == nil && report.policies[0].failures.isEmpty)
        #expect(report.policies[2].mxHosts == ["*.reports.test"] && report.policies[2].policyString == ["version: STSv1"])
        #expect(report.successfulSessions == 6 && report.failedSessions == 1)
    }

    @Test func multiplePoliciesAreKeptApartAndAddedUp() throws {
        let report = try parse("""
            {"organization-name":"Multi","date-range":{"start-datetime":"2026-12-02T00:00:00Z","end-datetime":"2026-12-02T23:59:59Z"},
             "report-id":"m-1","policies":[
             {"policy":{"policy-type":"tlsa","policy-string":["3 1 1 AB"],"policy-domain":"reports.test","mx-host":["mx1.reports.test"]},
              "summary":{"total-successful-session-count":10,"total-failure-session-count":2},
              "failure-details":[{"result-type":"tlsa-invalid","receiving-mx-hostname":"mx1.reports.test","failed-session-count":2,
                                  "failure-reason-code":"X509_V_ERR_CERT_UNTRUSTED","additional-information":"https://example/why",
                                  "receiving-mx-helo":"mx1.reports.test"}]},
             {"policy":{"policy-type":"sts","policy-string":["mode: testing"],"policy-domain":"other.test"},
              "summary":{"total-successful-session-count":5,"total-failure-session-count":1},
              "failure-details":[{"result-type":"x-vendor-specific","failed-session-count":1}]}]}
            """)
        #expect(report.policies.count == 2)
        #expect(report.policies[0].blocksDelivery && !report.policies[1].blocksDelivery)
        let dane = try #require(report.policies[0].failures.first)
        #expect(dane.failureReasonCode == "X509_V_ERR_CERT_UNTRUSTED" && dane.additionalInformation == "https://example/why")
        #expect(dane.receivingMXHelo == "mx1.reports.test" && dane.resultType.cause == .daneMismatch)
        // A result type no RFC defines is kept as written, mapped to unclassified.
        let vendor = try #require(report.policies[1].failures.first)
        #expect(vendor.resultType.rawValue == "x-vendor-specific" && !vendor.resultType.isKnown && vendor.resultType.cause == .unclassified)
        #expect(report.successfulSessions == 15 && report.failedSessions == 3)
    }

    @Test(arguments: [
        ("{\"organization-name\": \"x\", ", "not valid JSON"),
        ("[1, 2]", "the JSON is not an object"),
        ("{\"organization-name\":\"x\"}", "no \"policies\" list"),
        ("{\"policies\":{}}", "\"policies\" is not a list"),
        ("{\"policies\":[{\"policy\":{}}]}", "policies[0] has no \"summary\""),
        (TLSReportSamples.malformed, "policies[0].summary.total-failure-session-count: expected a whole number of sessions, found \"many\""),
        ("{\"policies\":[{\"summary\":{\"total-successful-session-count\":-1,\"total-failure-session-count\":0}}]}",
         "policies[0].summary.total-successful-session-count"),
        ("{\"policies\":[{\"summary\":{\"total-successful-session-count\":1.5,\"total-failure-session-count\":0}}]}",
         "policies[0].summary.total-successful-session-count"),
        ("{\"policies\":[{\"summary\":{\"total-successful-session-count\":true,\"total-failure-session-count\":0}}]}",
         "policies[0].summary.total-successful-session-count"),
        ("{\"policies\":[{\"summary\":{\"total-successful-session-count\":1,\"total-failure-session-count\":1},\"failure-details\":[{\"failed-session-count\":1}]}]}",
         "policies[0].failure-details[0] has no result-type"),
        ("{\"policies\":[{\"summary\":{\"total-successful-session-count\":1,\"total-failure-session-count\":1},\"failure-details\":[{\"result-type\":\"certificate-expired\"}]}]}",
         "policies[0].failure-details[0].failed-session-count: missing"),
    ])
    func aMalformedReportIsRejectedWithItsReason(json: String, reason: String) {
        let why = rejection(json)
        #expect(why?.contains(reason) == true, "got \(why ?? "no rejection")")
    }

    /// The one table from result type to cause: every RFC 8460 result type has the cause a diagnosis joins on.
    @Test(arguments: [
        ("starttls-not-supported", Cause.starttlsUnavailable),
        ("certificate-host-mismatch", .nameMismatch),
        ("certificate-expired", .expiredCertificate),
        ("certificate-not-trusted", .untrustedCertificate),
        ("validation-failure", .unclassified),
        ("sts-policy-fetch-error", .mtaSTSMismatch),
        ("sts-policy-invalid", .mtaSTSMismatch),
        ("sts-webpki-invalid", .mtaSTSMismatch),
        ("tlsa-invalid", .daneMismatch),
        ("dnssec-invalid", .dnssecBogus),
        ("dane-required", .dnssecInsecure),
    ])
    func eachResultTypeMapsToItsCause(resultType: String, cause: Cause) {
        let type = TLSResultType(rawValue: resultType)
        #expect(type.isKnown)
        #expect(type.cause == cause)
    }

    @Test func theTableCoversExactlyTheElevenResultTypesOfRFC8460() {
        #expect(TLSResultType.known.count == 11)
        #expect(TLSResultType.causes.count == 11)
    }

    @Test(arguments: [
        ("2026-12-01T00:00:00Z", "2026-12-01"),
        ("2026-12-01T23:30:00-02:00", "2026-12-02"),
        ("2026-12-02T01:00:00+0300", "2026-12-01"),
        ("2026-12-01t08:00:00.250z", "2026-12-01"),
        ("yesterday", "unknown"),
    ])
    func theDayIsTheUTCDayTheReportStarts(start: String, day: String) throws {
        let report = try parse("{\"date-range\":{\"start-datetime\":\"\(start)\"},\"policies\":[]}")
        #expect(report.day == day)
    }
}
