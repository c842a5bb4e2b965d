import Foundation
import MailLog
import PostlsCore
import Testing
import TestSupport

/// The smtp client's outcomes per next hop, from lines Postfix 3.7 on OpenSSL 3 wrote in OutboundTLSScenarioTests
/// (DiagnosisTests): at `verify`, an expired certificate (logged without num=), a wrong name (num=62), a
/// certificate that verified; at `may`, an Untrusted session that delivered.
@Suite("Outbound TLS per next hop")
struct OutboundHopTests {
    static let log = """
        Dec  7 14:07:53 mail postfix/smtp[100]: server certificate verification failed for localhost[127.0.0.1]:42523: certificate has expired
        Dec  7 14:07:53 mail postfix/smtp[100]: Untrusted TLS connection established to localhost[127.0.0.1]:42523: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ECDSA (prime256v1) server-digest SHA256
        Dec  7 14:07:53 mail postfix/smtp[100]: 6B804F86640: to=<user@expired.test>, relay=localhost[127.0.0.1]:42523, delay=0.24, delays=0.19/0.04/0.01/0, dsn=4.7.5, status=deferred (Server certificate not verified)
        Dec  7 14:07:54 mail postfix/smtp[101]: server certificate verification failed for localhost[127.0.0.1]:46181: num=62:hostname mismatch
        Dec  7 14:07:54 mail postfix/smtp[101]: Untrusted TLS connection established to localhost[127.0.0.1]:46181: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ECDSA (prime256v1) server-digest SHA256
        Dec  7 14:07:54 mail postfix/smtp[101]: 6C811F865FD: to=<user@wrongname.test>, relay=localhost[127.0.0.1]:46181, delay=0.14, delays=0.09/0.04/0.01/0, dsn=4.7.5, status=deferred (Server certificate not verified)
        Dec  7 14:07:54 mail postfix/smtp[102]: Verified TLS connection established to localhost[127.0.0.1]:39819: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ECDSA (prime256v1) server-digest SHA256
        Dec  7 14:07:54 mail postfix/smtp[102]: 6D911F865FD: to=<user@good.test>, relay=localhost[127.0.0.1]:39819, delay=0.12, delays=0.08/0.02/0.01/0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued)
        Dec  7 14:07:55 mail postfix/smtp[103]: Untrusted TLS connection established to localhost[127.0.0.1]:37757: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ECDSA (prime256v1) server-digest SHA256
        Dec  7 14:07:55 mail postfix/smtp[103]: 6E011F865FD: to=<user@selfsigned.test>, relay=localhost[127.0.0.1]:37757, delay=0.12, delays=0.08/0.02/0.01/0.01, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued)
        Dec  7 14:07:56 mail postfix/smtpd[104]: Untrusted TLS connection established from unknown[192.0.2.7]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)

        """

    @Test func eachNextHopHasItsTrustCountsFailuresAndLastVerifyReason() throws {
        let s = LogReport.analyze(text: Self.log).summary
        // Inbound sessions are not next hops.
        #expect(s.outbound.count == 4, "\(s.outbound.keys.sorted())")
        let expired = try #require(s.outbound["localhost[127.0.0.1]:42523"])
        #expect(expired.untrusted == 1 && expired.failures == 1 && expired.deferred == 1)
        // Logged without num=: the text names the code, and the code the cause, as `postls diagnose` reads it.
        #expect(expired.failuresByCause == [.remoteCertificateExpired: 1])
        #expect(expired.lastFailure?.verifyCode == nil && expired.lastFailure?.verifyReason == "certificate has expired")
        #expect(expired.lastFailure?.deferred == true)
        #expect(expired.lastFailure?.location == "-:1", "\(String(describing: expired.lastFailure))")
        let wrongName = try #require(s.outbound["localhost[127.0.0.1]:46181"])
        #expect(wrongName.lastFailure?.verifyCode == 62 && wrongName.lastFailure?.verifyReason == "hostname mismatch")
        let good = try #require(s.outbound["localhost[127.0.0.1]:39819"])
        #expect(good.verified == 1 && good.failures == 0 && good.lastFailure == nil)
        let untrusted = try #require(s.outbound["localhost[127.0.0.1]:37757"])
        #expect(untrusted.untrusted == 1 && untrusted.failures == 0 && untrusted.service == "smtp")
        // Most failures first.
        #expect(s.outboundHops.prefix(2).allSatisfy { $0.failures == 1 })
    }

    @Test func theJSONSummaryMatchesTheLogsSchemaAndTheTextListsTheHops() throws {
        var report = LogTextReport()
        let analyzed = LogReport.analyze(text: Self.log)
        for e in analyzed.events { report.add(e) }
        let json = "{\"events\":[],\"summary\":" + LogJSONWriter.json(analyzed.summary) + "}"
        #expect(try JSONSchemaValidator.validate(json: json, schema: "logs.schema.json").isEmpty)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let hops = try #require((object["summary"] as? [String: Any])?["outbound"] as? [[String: Any]])
        #expect(hops.count == 4)
        let wrongName = try #require(hops.first { $0["nexthop"] as? String == "localhost[127.0.0.1]:46181" })
        #expect((wrongName["last_failure"] as? [String: Any])?["verify_code"] as? Int == 62)
        let text = report.render(analyzed.summary)
        #expect(text.contains("Outbound TLS by next hop"), "\(text)")
        #expect(text.contains("localhost[127.0.0.1]:46181 via smtp: 1 untrusted, 1 failed (1 deferred)"), "\(text)")
        #expect(text.contains("remote_name_mismatch num=62:hostname mismatch"), "\(text)")
    }
}

/// Postfix 3.10 logs the refusal to deliver without TLS on a line of its own, naming the host without its port,
/// before the status line; the next hop is still the status line's relay with its port (as on 3.7, whose status
/// line alone says it).
@Test func postfix310sTLSRequiredLineBeforeTheStatusLineKeepsTheNextHopsPort() {
    let log = """
        Dec 07 16:34:39 mail postfix/smtp[11602]: A22FDF842C1: TLS is required, but was not offered by host localhost[127.0.0.1]
        Dec 07 16:34:39 mail postfix/smtp[11602]: A22FDF842C1: to=<user@notls.test>, relay=localhost[127.0.0.1]:43885, delay=0.23, delays=0.06/0.14/0.03/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host localhost[127.0.0.1])
        """
    let report = analyze(log)
    #expect(report.events.map(\.cause) == [.remoteTLSUnavailable])
    #expect(report.events.first?.peer?.port == 43885)
    let hop = report.summary.outbound["localhost[127.0.0.1]:43885"]
    #expect(hop?.failuresByCause[.remoteTLSUnavailable] == 1 && hop?.deferred == 1, "\(report.summary.outbound.keys)")
}
