import Foundation
@testable import MailLog
import PostlsCore
import Testing

struct FormatExample: Sendable, CustomStringConvertible {
    var name: String
    var line: String
    var host: String
    var program: String
    var pid: Int?
    var messagePrefix: String
    /// Expected instant (UTC seconds), nil when the line has no timestamp.
    var epoch: Double?
    var description: String { name }
}

// 2024-04-03T07:30:47Z = 1712129447
let formatExamples: [FormatExample] = [
    .init(name: "traditional syslog", line: "Apr  3 07:30:47 mx postfix/smtps/smtpd[7282]: connect from a[192.0.2.7]",
          host: "mx", program: "postfix/smtps/smtpd", pid: 7282, messagePrefix: "connect from", epoch: 1712129447),
    .init(name: "postlogd maillog_file (zero-padded day)", line: "Apr 03 07:30:47 mx postfix/smtpd[1]: warning: x",
          host: "mx", program: "postfix/smtpd", pid: 1, messagePrefix: "warning: x", epoch: 1712129447),
    .init(name: "high-precision syslog", line: "Apr  3 07:30:47.250000 mx postfix/smtpd[1]: x",
          host: "mx", program: "postfix/smtpd", pid: 1, messagePrefix: "x", epoch: 1712129447.25),
    .init(name: "RFC 3339 (rsyslog high precision)", line: "2024-04-03T09:30:47.123456+02:00 mx postfix/smtpd[9]: warning: TLS library problem: x",
          host: "mx", program: "postfix/smtpd", pid: 9, messagePrefix: "warning: TLS", epoch: 1712129447.123456),
    .init(name: "journalctl -o short-iso", line: "2024-04-03T09:30:47+0200 mx postfix/smtpd[9]: x",
          host: "mx", program: "postfix/smtpd", pid: 9, messagePrefix: "x", epoch: 1712129447),
    .init(name: "fragment with program", line: "postfix/smtpd[901]: warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:",
          host: "", program: "postfix/smtpd", pid: 901, messagePrefix: "warning: TLS library problem", epoch: nil),
    .init(name: "lone warning", line: "warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:",
          host: "", program: "", pid: nil, messagePrefix: "warning: TLS library problem", epoch: nil),
    .init(name: "docker compose prefix", line: "postfix-mailcow-1  | Apr  3 07:30:47 mail postfix/smtpd[12]: connect from a[192.0.2.7]",
          host: "mail", program: "postfix/smtpd", pid: 12, messagePrefix: "connect from", epoch: 1712129447),
    .init(name: "docker/kubectl --timestamps prefix", line: "2024-04-03T07:30:47.000000001Z Apr 03 07:30:47 mail postfix/smtpd[12]: x",
          host: "mail", program: "postfix/smtpd", pid: 12, messagePrefix: "x", epoch: 1712129447),
    .init(name: "Dovecot log_path", line: "Apr 03 07:30:47 imap-login: Info: Disconnected (no auth attempts in 0 secs): user=<>",
          host: "", program: "imap-login", pid: nil, messagePrefix: "Info: Disconnected", epoch: 1712129447),
    .init(name: "Dovecot via syslog", line: "Apr  3 07:30:47 mail dovecot: imap-login: Disconnected: x",
          host: "mail", program: "dovecot", pid: nil, messagePrefix: "imap-login: Disconnected", epoch: 1712129447),
    .init(name: "program without a host", line: "Apr  3 07:30:47 postfix/smtpd[3]: connect from a[192.0.2.7]",
          host: "", program: "postfix/smtpd", pid: 3, messagePrefix: "connect from", epoch: 1712129447),
    .init(name: "a severity word is not a program", line: "Apr  3 07:30:47 mx warning: TLS library problem: x",
          host: "", program: "", pid: nil, messagePrefix: "mx warning: TLS", epoch: 1712129447),
    .init(name: "a token ending in a colon inside", line: "Apr  3 07:30:47 mx:1 postfix/smtpd[4]: x",
          host: "mx:1", program: "postfix/smtpd", pid: 4, messagePrefix: "x", epoch: 1712129447),
    .init(name: "Dovecot with a pid", line: "Apr  3 07:30:47 mail dovecot[812]: master: Dovecot v2.3.19 starting up",
          host: "mail", program: "dovecot", pid: 812, messagePrefix: "master:", epoch: 1712129447),
]

@Test("each log format splits into time, host, program, pid and message", arguments: formatExamples)
func headerFormats(_ example: FormatExample) {
    let line = LogLine.parse(example.line, timeResolver: LogTimeResolver(reference: referenceDate, timeZone: utc))
    #expect(line.host == example.host)
    #expect(line.program == example.program)
    #expect(line.pid == example.pid)
    #expect(line.message.hasPrefix(example.messagePrefix), "\(line.message)")
    if let epoch = example.epoch {
        let t = line.time?.timeIntervalSince1970 ?? 0
        #expect(abs(t - epoch) < 0.001, "\(t)")
    } else {
        #expect(line.time == nil)
    }
}

@Test("syslog's missing year: a December line in a file written in January is last year's")
func yearInferenceAcrossNewYear() {
    // File written 2025-01-02 10:00 UTC.
    let resolver = LogTimeResolver(reference: Date(timeIntervalSince1970: 1735812000), timeZone: utc)
    let december = LogLine.parse("Dec 31 23:59:59 mx postfix/smtpd[1]: x", timeResolver: resolver)
    let january = LogLine.parse("Jan  2 09:00:00 mx postfix/smtpd[1]: x", timeResolver: resolver)
    #expect(december.time == Date(timeIntervalSince1970: 1735689599)) // 2024-12-31T23:59:59Z
    #expect(january.time == Date(timeIntervalSince1970: 1735808400))  // 2025-01-02T09:00:00Z
    #expect(december.time! < january.time!)
}

@Test("syslog times use the given zone, including its daylight saving offset")
func syslogLocalZone() {
    let berlin = TimeZone(identifier: "Europe/Berlin")!
    let resolver = LogTimeResolver(reference: referenceDate, timeZone: berlin)
    // 2024-04-03 is in CEST (+02:00).
    let line = LogLine.parse("Apr  3 09:30:47 mx postfix/smtpd[1]: x", timeResolver: resolver)
    #expect(line.time == Date(timeIntervalSince1970: 1712129447))
}

@Test("journalctl -o json records are read like syslog lines")
func journalJSON() throws {
    let record = #"{"__REALTIME_TIMESTAMP":"1712129447000000","_HOSTNAME":"mx","SYSLOG_IDENTIFIER":"postfix/submission/smtpd","_PID":"7282","MESSAGE":"SSL_accept error from mail.example.org[192.0.2.7]: -1"}"#
    let record2 = #"{"__REALTIME_TIMESTAMP":"1712129447000001","_HOSTNAME":"mx","SYSLOG_IDENTIFIER":"postfix/submission/smtpd","_PID":"7282","MESSAGE":"warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1664:"}"#
    let report = analyze(record + "\n" + record2 + "\n")
    let event = try #require(report.events.first)
    #expect(event.cause == .protocolMismatch)
    #expect(event.service == "submission")
    #expect(event.host == "mx")
    #expect(event.pid == 7282)
    #expect(event.time == Date(timeIntervalSince1970: 1712129447))
}

@Test("pasted fragments without timestamp or host still become events")
func fragments() throws {
    let report = analyze("""
        postfix/smtps/smtpd[901]: SSL_accept error from unknown[203.0.113.9]: -1
        postfix/smtps/smtpd[901]: warning: TLS library problem: error:0A00010B:SSL routines::wrong version number:../ssl/record/ssl3_record.c:354:
        """)
    let event = try #require(report.events.first)
    #expect(event.cause == .plaintextOnTLSPort)
    #expect(event.service == "smtps")
    #expect(event.peer?.address == "203.0.113.9")
    #expect(event.time == nil)

    // A bare warning pasted under its connection's line belongs to that connection.
    let pasted = analyze("""
        postfix/smtps/smtpd[901]: SSL_accept error from unknown[203.0.113.9]: -1
        warning: TLS library problem: error:0A00010B:SSL routines::wrong version number:../ssl/record/ssl3_record.c:354:
        """)
    #expect(pasted.events.map(\.cause) == [.plaintextOnTLSPort])
    #expect(pasted.events.first?.lines.count == 2)

    let lone = analyze("warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:../ssl/statem/statem_srvr.c:2226:")
    #expect(lone.events.map(\.cause) == [.noSharedCipher])
}

@Test("the service comes from the program name")
func serviceNames() {
    #expect(TLSEvent.service(ofProgram: "postfix/smtps/smtpd") == "smtps")
    #expect(TLSEvent.service(ofProgram: "postfix/submission/smtpd") == "submission")
    #expect(TLSEvent.service(ofProgram: "postfix/smtpd") == "smtp")
    #expect(TLSEvent.service(ofProgram: "postfix-in/smtpd") == "smtp")
    #expect(TLSEvent.service(ofProgram: "imap-login") == "imap")
    #expect(TLSEvent.service(ofProgram: "postfix/smtp") == "smtp")
}

@Test("peers parse from Postfix's namaddr with IPv4, IPv6 and a port")
func peers() throws {
    let v6 = try #require(Peer.parse(namaddr: "mail-wi0-x230.google.com[2a00:1450:400c:c05::230]:25"))
    #expect(v6.name == "mail-wi0-x230.google.com")
    #expect(v6.address == "2a00:1450:400c:c05::230")
    #expect(v6.port == 25)
    #expect(v6.family == .ipv6)
    #expect(v6.domain == "google.com")
    let v4 = try #require(Peer.find(in: "SSL_accept error from unknown[192.0.2.7]: -1"))
    #expect(v4.family == .ipv4)
    #expect(v4.domain == nil)
    #expect(Peer.find(in: "Disconnected: user=<>, rip=2001:db8::7, lip=2001:db8::1")?.family == .ipv6)
    #expect(RegistrableDomain.of("mx1.mail.example.co.uk") == "example.co.uk")
    #expect(RegistrableDomain.of("mta6.am0.yahoodns.net.") == "yahoodns.net")
}

@Test("the text report lists causes with equal counts by cause id, the same on every run")
func textReportTiesAreOrderedByCauseID() {
    var summary = LogSummary()
    // Eight causes with one event each: an unordered listing would come out sorted only by chance (1 in 40,320).
    let causes = Array(Cause.allCases.prefix(8))
    for cause in causes { summary.byCause[cause] = 1 }
    summary.byCause[.unclassified] = 5
    let text = LogTextReport().render(summary)
    let listed = text.split(separator: "\n").filter { $0.hasPrefix("== ") }
        .map { String($0.dropFirst(3).prefix { $0 != " " }) }
    let expectedTies = causes.filter { $0 != .unclassified }.map(\.rawValue).sorted()
    #expect(listed == ["unclassified"] + expectedTies)
}

@Test("a program name's bytes are the letters, digits, '/', '_', '.' and '-', and no other of the 256")
func programByteTable() {
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.-".utf8)
    for b in 0...255 {
        #expect(LineHeader.isProgramByte(UInt8(b)) == allowed.contains(UInt8(b)), "byte \(b)")
    }
}

@Test("JSON numbers and times are written as Swift and TimeFormat write them, also when a time repeats")
func jsonNumbersAndTimes() {
    let out = JSONBytes(capacity: 16)
    let numbers = [0, 7, -7, 9, 10, 99, 100, 12_345, -1_000_000, Int.max, Int.min]
    for n in numbers { LogJSONWriter.appendNumber(n, to: out); out.append(44) }
    #expect(String(decoding: out.bytes, as: UTF8.self) == numbers.map(String.init).joined(separator: ",") + ",")
    let times = [Date(timeIntervalSince1970: 1_712_129_447.9), Date(timeIntervalSince1970: 1_712_129_447.1),
                 Date(timeIntervalSince1970: 1_712_129_448), Date(timeIntervalSince1970: -1.5)]
    out.removeAll()
    for t in times { out.appendISOTime(t) }
    #expect(String(decoding: out.bytes, as: UTF8.self) == times.map { "\"\(TimeFormat.iso8601($0))\"" }.joined())
}
