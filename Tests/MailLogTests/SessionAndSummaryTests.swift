import Foundation
import MailLog
import PostlsCore
import Testing

@Test("interleaved connections of different smtpd processes stay separate events")
func interleavedSessions() {
    let a = "postfix/smtpd[100]", b = "postfix/submission/smtpd[200]"
    let log = """
        Apr  3 07:30:47 mx \(a): connect from a.example.org[192.0.2.1]
        Apr  3 07:30:47 mx \(b): connect from b.example.net[2001:db8::2]
        Apr  3 07:30:47 mx \(a): SSL_accept error from a.example.org[192.0.2.1]: -1
        Apr  3 07:30:47 mx \(b): SSL_accept error from b.example.net[2001:db8::2]: -1
        Apr  3 07:30:47 mx \(b): warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:x.c:1:
        Apr  3 07:30:47 mx \(a): warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:x.c:1:
        Apr  3 07:30:47 mx \(a): lost connection after STARTTLS from a.example.org[192.0.2.1]
        Apr  3 07:30:47 mx \(b): lost connection after STARTTLS from b.example.net[2001:db8::2]
        Apr  3 07:30:47 mx \(a): disconnect from a.example.org[192.0.2.1] ehlo=1 starttls=0/1 commands=1/2
        Apr  3 07:30:47 mx \(b): disconnect from b.example.net[2001:db8::2] ehlo=1 starttls=0/1 commands=1/2
        """
    let report = analyze(log)
    #expect(report.events.count == 2)
    let byService = Dictionary(uniqueKeysWithValues: report.events.map { ($0.service ?? "", $0) })
    #expect(byService["smtp"]?.cause == .noSharedCipher)
    #expect(byService["smtp"]?.lines.count == 4)
    #expect(byService["submission"]?.cause == .protocolMismatch)
    #expect(byService["submission"]?.peer?.family == .ipv6)
}

@Test("two failed connections in a row on one process are two events")
func consecutiveSessionsOfOneProcess() {
    let one = wrapperSession("error:0A00010B:SSL routines::wrong version number:x.c:1:")
    let two = wrapperSession("error:0A00009C:SSL routines::http request:x.c:1:")
    let report = analyze(one + "\n" + two)
    #expect(report.events.map(\.rule) == ["plaintext-on-wrapper-port", "http-on-tls-port"])
}

@Test("a successful STARTTLS session is counted, not reported")
func successfulSessionIsNoEvent() {
    let log = """
        Nov 29 03:35:51 mx postfix/smtpd[8592]: connect from localhost[127.0.0.1]
        Nov 29 03:35:51 mx postfix/smtpd[8592]: Anonymous TLS connection established from localhost[127.0.0.1]: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)
        Nov 29 03:35:51 mx postfix/smtpd[8592]: lost connection after STARTTLS from localhost[127.0.0.1]
        Nov 29 03:35:51 mx postfix/smtpd[8592]: disconnect from localhost[127.0.0.1] ehlo=1 starttls=1 commands=2
        """
    let report = analyze(log)
    #expect(report.events.isEmpty)
    #expect(report.summary.tlsEstablished == ["TLSv1.2": 1])
    #expect(report.summary.tlsCiphers == ["ECDHE-RSA-AES256-GCM-SHA384": 1])
}

@Test("open connections are bounded: the oldest is closed and still reported")
func boundedSessions() {
    var options = LogAnalyzerOptions()
    options.maxOpenSessions = 10
    options.timeZone = utc
    var text = ""
    // 100 processes each start a failing handshake and never log their disconnect.
    for pid in 1...100 {
        text += "Apr  3 07:30:47 mx postfix/smtpd[\(pid)]: SSL_accept error from x\(pid).example.org[192.0.2.\(pid)]: -1\n"
        text += "Apr  3 07:30:47 mx postfix/smtpd[\(pid)]: warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:x.c:1:\n"
    }
    var maxSeenOpen = 0
    var events = 0
    let analyzer = LogAnalyzer(options: options) { _ in events += 1 }
    for (i, line) in text.split(separator: "\n").enumerated() {
        analyzer.feed(String(line), lineNumber: i + 1, resolver: LogTimeResolver(reference: referenceDate, timeZone: utc))
        maxSeenOpen = max(maxSeenOpen, (i / 2 + 1) - events)
    }
    #expect(maxSeenOpen <= 11)
    let summary = analyzer.finish()
    #expect(events == 100)
    #expect(summary.byCause[.noSharedCipher] == 100)
}

@Test("outbound: a handshake failure and its deferred status are one delivery event")
func deliveryGrouping() throws {
    let report = analyze(deliverySession("error:0A000410:SSL routines::sslv3 alert handshake failure:x.c:1:SSL alert number 40"))
    let event = try #require(report.events.first)
    #expect(report.events.count == 1)
    #expect(event.kind == .delivery)
    #expect(event.lines.count == 3)
    #expect(event.peer?.name == "mx.example.com")
    #expect(event.peer?.port == 25)
    #expect(event.cause == .remoteHandshakeFailure)
}

@Test("summary groups peers by registrable domain, family, service and hour")
func summaryGroups() {
    var log = ""
    let peers = ["mail-wi0-x230.google.com[2a00:1450:400c:c05::230]", "mail-ej1-f41.google.com[209.85.218.41]",
                 "mx.example.co.uk[192.0.2.9]", "unknown[198.51.100.3]"]
    for (i, peer) in peers.enumerated() {
        log += "Apr  3 0\(7 + i % 2):30:4\(i) mx postfix/smtpd[\(i + 1)]: SSL_accept error from \(peer): -1\n"
        log += "Apr  3 0\(7 + i % 2):30:4\(i) mx postfix/smtpd[\(i + 1)]: warning: TLS library problem: error:0A000126:SSL routines::unexpected eof while reading:x.c:1:\n"
    }
    let s = analyze(log).summary
    #expect(s.byPeerDomain["google.com"] == 2)
    #expect(s.byPeerDomain["example.co.uk"] == 1)
    #expect(s.byPeerDomain["unknown (ipv4)"] == 1)
    #expect(s.byAddressFamily[.ipv6] == 1)
    #expect(s.byAddressFamily[.ipv4] == 3)
    #expect(s.byService["smtp"] == 4)
    #expect(s.perHour.count == 2)
    #expect(s.perHour.values.reduce(0, +) == 4)
    #expect(s.firstSeen == Date(timeIntervalSince1970: 1712129440))
    #expect(s.lastSeen == Date(timeIntervalSince1970: 1712133043))
    #expect(s.causeSeen[.peerAborted]?.lowerBound == s.firstSeen)
}

@Test("peers(usingProtocolBelow:) names the real peers a TLSv1.2 floor would break")
func peersBelowTLS12() {
    let log = """
        Apr  3 07:30:47 mx postfix/smtpd[1]: Anonymous TLS connection established from old.example.org[192.0.2.1]: TLSv1 with cipher ECDHE-RSA-AES256-SHA (256/256 bits)
        Apr  3 07:30:48 mx postfix/smtpd[1]: Anonymous TLS connection established from old.example.org[192.0.2.1]: TLSv1 with cipher ECDHE-RSA-AES256-SHA (256/256 bits)
        Apr  3 07:30:49 mx postfix/smtpd[2]: Anonymous TLS connection established from mid.example.net[192.0.2.2]: TLSv1.1 with cipher ECDHE-RSA-AES128-SHA (128/128 bits)
        Apr  3 07:30:50 mx postfix/smtpd[3]: Anonymous TLS connection established from mail-wi0-x230.google.com[2a00:1450:400c:c05::230]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256
        Apr  3 07:30:51 mx postfix/smtp[4]: Verified TLS connection established to mx.example.com[203.0.113.5]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)
        Apr  3 07:30:52 mx postfix/smtp[4]: Untrusted TLS connection established to mx2.example.com[203.0.113.6]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
        """
    let s = analyze(log).summary
    #expect(s.tlsEstablished == ["TLSv1": 2, "TLSv1.1": 1, "TLSv1.2": 1, "TLSv1.3": 2])
    let below = s.peers(usingProtocolBelow: "TLSv1.2")
    #expect(below.map(\.peer) == ["old.example.org[192.0.2.1]", "mid.example.net[192.0.2.2]"])
    #expect(below.first?.sessionsBelow("TLSv1.2") == 2)
    #expect(s.peers(usingProtocolBelow: "TLSv1.3").count == 3)
    #expect(s.outboundUnverified == 1)
}

@Test("the JSON output has exactly the contract's fields")
func jsonContract() throws {
    var chunks: [String] = []
    let writer = LogJSONWriter { chunks.append($0) }
    let report = analyze(starttlsSession("error:0A0000C1:SSL routines::no shared cipher:x.c:1:") + "\n" + """
        Apr  3 07:30:51 mx postfix/smtpd[9]: Anonymous TLS connection established from a[192.0.2.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
        """)
    for e in report.events { writer.add(e) }
    writer.finish(report.summary)
    let data = Data(chunks.joined().utf8)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let events = try #require(object["events"] as? [[String: Any]])
    let e = try #require(events.first)
    for key in ["time", "host", "program", "pid", "service", "peer", "cause", "confidence", "lines"] {
        #expect(e[key] != nil, "events[].\(key) missing")
    }
    #expect(e["time"] as? String == "2024-04-03T07:30:47Z")
    #expect(e["program"] as? String == "postfix/submission/smtpd")
    #expect(e["pid"] as? Int == 7282)
    #expect(e["service"] as? String == "submission")
    #expect(e["cause"] as? String == "no_shared_cipher")
    #expect(e["confidence"] as? String == "high")
    let peer = try #require(e["peer"] as? [String: Any])
    #expect(peer["name"] as? String == "mail.example.org")
    #expect(peer["address"] as? String == "192.0.2.7")
    let line = try #require((e["lines"] as? [[String: Any]])?.first)
    #expect(line["file"] as? String == "-")
    #expect(line["line"] as? Int == 2)
    #expect((line["text"] as? String)?.contains("SSL_accept error") == true)
    let summary = try #require(object["summary"] as? [String: Any])
    #expect(summary["by_cause"] as? [String: Int] == ["no_shared_cipher": 1])
    #expect(summary["tls_established"] as? [String: Int] == ["TLSv1.3": 1])
    #expect(summary["lines_read"] as? Int == 6)
    #expect(summary["lines_skipped"] as? Int == 0)
}

@Test("the real Postfix 3.7 maillog_file fixture gives the expected causes")
func realPostfixFixture() throws {
    let report = try LogReport.analyze(paths: [fixturePath("postfix-3.7-maillog_file.log")])
    #expect(report.summary.byCause == [
        .plaintextOnTLSPort: 2, .protocolMismatch: 3, .noSharedCipher: 1, .keyMismatch: 2,
        .certificateUnreadable: 2, .peerAborted: 2, .handshakeTimeout: 1,
    ])
    #expect(report.summary.tlsEstablished == ["TLSv1.3": 2, "TLSv1.2": 1])
    #expect(report.summary.byService["nocipher"] == 1)
}
