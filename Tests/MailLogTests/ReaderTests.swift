import ByteSources
import Foundation
import MailLog
import PostlsCore
import Testing

/// A temporary directory removed at the end of the test.
final class Scratch {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "maillog-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }
    /// Compresses with the real gzip(1).
    func gzip(_ name: String, _ text: String) throws -> String {
        let plain = try write(name, Array(text.utf8))
        let out = try SystemProcessRunner().run("gzip", ["-f", plain], timeout: 30)
        #expect(out.succeeded, "gzip: \(out.stderr)")
        return plain + ".gz"
    }
}

let failingSession = wrapperSession("error:0A00010B:SSL routines::wrong version number:../ssl/record/ssl3_record.c:354:") + "\n"

@Test("a gzip-compressed log reads like the plain one (zlib, by magic bytes)")
func gzipLog() throws {
    let scratch = try Scratch()
    let gz = try scratch.gzip("mail.log.2", failingSession + failingSession)
    let report = try LogReport.analyze(paths: [gz])
    #expect(report.events.count == 2)
    #expect(report.events.allSatisfy { $0.cause == .plaintextOnTLSPort })
    #expect(report.summary.linesRead == 10)
    #expect(report.events.first?.lines.first?.file == gz)
}

@Test("concatenated gzip members are all read")
func concatenatedGzip() throws {
    let scratch = try Scratch()
    let a = try Data(contentsOf: URL(fileURLWithPath: try scratch.gzip("a", failingSession)))
    let b = try Data(contentsOf: URL(fileURLWithPath: try scratch.gzip("b", failingSession)))
    let both = try scratch.write("both.gz", Array(a + b))
    let report = try LogReport.analyze(paths: [both])
    #expect(report.events.count == 2)
}

@Test("a truncated .gz yields what was read and a clear warning")
func truncatedGzip() throws {
    let scratch = try Scratch()
    var text = ""
    for i in 0..<2000 { text += "Apr  3 07:30:47 mx postfix/qmgr[1]: 4F2A\(i): from=<a@example.org>, size=100, nrcpt=1 (queue active)\n" }
    text += failingSession
    let full = try Data(contentsOf: URL(fileURLWithPath: try scratch.gzip("big", text)))
    let cut = try scratch.write("cut.gz", Array(full.prefix(full.count / 2)))
    let report = try LogReport.analyze(paths: [cut])
    #expect(report.summary.linesRead > 0)
    #expect(report.summary.linesRead < 2005)
    #expect(report.summary.warnings.count == 1)
    #expect(report.summary.warnings.first?.contains("truncated") == true)
}

@Test("garbage that only claims to be gzip is reported, not a crash")
func corruptGzip() throws {
    let scratch = try Scratch()
    let path = try scratch.write("bad.gz", [0x1f, 0x8b, 0x08, 0x00] + Array(repeating: 0xff, count: 100))
    let report = try LogReport.analyze(paths: [path])
    #expect(report.summary.warnings.count == 1)
    #expect(report.events.isEmpty)
}

@Test("a 10 MB line is skipped and counted; the lines around it are read")
func hugeLine() throws {
    let scratch = try Scratch()
    var bytes = Array(failingSession.utf8)
    bytes += Array(repeating: UInt8(ascii: "A"), count: 10 * 1024 * 1024) + [10]
    bytes += Array(failingSession.utf8)
    let path = try scratch.write("huge.log", bytes)
    let report = try LogReport.analyze(paths: [path])
    #expect(report.summary.linesSkipped == 1)
    #expect(report.summary.linesRead == 11)
    #expect(report.events.count == 2)
    // Line numbers count the skipped line.
    #expect(report.events.last?.lines.first?.lineNumber == 8)
}

@Test("a huge final line without newline is skipped too")
func hugeLastLine() throws {
    let scratch = try Scratch()
    let path = try scratch.write("tail.log", Array(failingSession.utf8) + Array(repeating: UInt8(ascii: "B"), count: 3 * 1024 * 1024))
    let report = try LogReport.analyze(paths: [path])
    #expect(report.summary.linesSkipped == 1)
    #expect(report.events.count == 1)
}

@Test("invalid UTF-8 is replaced, not fatal, and the event keeps the line")
func invalidUTF8() throws {
    let scratch = try Scratch()
    var bytes = Array("Apr  3 07:30:47 mx postfix/smtpd[7]: SSL_accept error from caf".utf8) + [0xC3, 0x28, 0xFF]
    bytes += Array("[192.0.2.7]: -1\n".utf8)
    bytes += Array("Apr  3 07:30:47 mx postfix/smtpd[7]: warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:x.c:1:\n".utf8)
    let path = try scratch.write("utf8.log", bytes)
    let report = try LogReport.analyze(paths: [path])
    #expect(report.events.map(\.cause) == [.noSharedCipher])
    #expect(report.events.first?.lines.first?.text.contains("\u{FFFD}") == true)
}

@Test("binary garbage is counted as skipped and never crashes")
func binaryGarbage() throws {
    var rng = SystemRandomNumberGenerator()
    var bytes: [UInt8] = []
    for _ in 0..<200_000 { bytes.append(UInt8.random(in: 0...255, using: &rng)) }
    // Make sure there are NUL-bearing lines.
    bytes += [0, 1, 2, 10, 0, 0, 10]
    let scratch = try Scratch()
    let path = try scratch.write("garbage.bin", bytes + Array(failingSession.utf8))
    let report = try LogReport.analyze(paths: [path])
    #expect(report.summary.linesSkipped > 0)
    #expect(report.events.contains { $0.cause == .plaintextOnTLSPort })
}

@Test("CRLF line ends are tolerated")
func crlf() {
    let report = analyze(failingSession.replacingOccurrences(of: "\n", with: "\r\n"))
    #expect(report.events.map(\.cause) == [.plaintextOnTLSPort])
    #expect(report.events.first?.lines.allSatisfy { !$0.text.hasSuffix("\r") } == true)
}

@Test("lines split across read chunks are joined")
func chunkBoundaries() {
    var options = LogAnalyzerOptions()
    options.lineReader = LineReader(chunkSize: 4096, maxLineLength: 4096)
    var text = ""
    for _ in 0..<300 { text += failingSession }
    let report = LogReport.analyze(text: text, options: options, reference: referenceDate)
    #expect(report.events.count == 300)
    #expect(report.summary.linesRead == 1500)
}

@Test("rotated logs are listed oldest first: .3.gz, .2.gz, .1, then the live file")
func rotationOrder() throws {
    let scratch = try Scratch()
    for name in ["mail.log", "mail.log.1", "mail.log.2.gz", "mail.log.3.gz", "mail.log.10.gz", "mail.err", "mail.logx"] {
        _ = try scratch.write(name, [])
    }
    let files = LogDiscovery.withRotations(scratch.file("mail.log")).map { URL(fileURLWithPath: $0).lastPathComponent }
    #expect(files == ["mail.log.10.gz", "mail.log.3.gz", "mail.log.2.gz", "mail.log.1", "mail.log"])
}

@Test("discovery adds Postfix's maillog_file from the real postconf", .enabled(if: findExecutable("postconf") != nil))
func discoveryAsksPostconf() throws {
    let scratch = try Scratch()
    let log = try scratch.write("postfix.log", Array(failingSession.utf8))
    try "maillog_file = \(log)\n".write(toFile: scratch.file("main.cf"), atomically: true, encoding: .utf8)
    _ = try scratch.write("master.cf", [])
    // postconf stalls on a main.cf younger than a second: back-date it.
    let old = Date().addingTimeInterval(-120)
    try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: scratch.file("main.cf"))
    let discovery = LogDiscovery(candidates: [])
    #expect(discovery.maillogFile(configDirectory: scratch.path) == log)
    #expect(discovery.discover(configDirectory: scratch.path) == [log])
}

@Test("a missing file is an error naming the file")
func missingFile() {
    #expect(throws: LogReadError.self) { try LogReport.analyze(paths: ["/nonexistent/mail.log"]) }
    do { _ = try LogReport.analyze(paths: ["/nonexistent/mail.log"]) } catch {
        #expect(error.description.contains("/nonexistent/mail.log"))
    }
}

@Test("--since drops older lines")
func sinceFilter() {
    var options = LogAnalyzerOptions()
    options.timeZone = utc
    options.since = Date(timeIntervalSince1970: 1712129447 + 3) // 07:30:50, between the two sessions
    let text = starttlsSession("error:0A0000C1:SSL routines::no shared cipher:x.c:1:") + "\n"
        + "Apr  3 07:30:48 mx postfix/smtpd[9]: Anonymous TLS connection established from a[192.0.2.1]: TLSv1 with cipher AES256-SHA (256/256 bits)\n"
        + failingSession
        + "Apr  3 07:31:01 mx postfix/smtpd[9]: Anonymous TLS connection established from a[192.0.2.1]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n"
    let report = LogReport.analyze(text: text, options: options, reference: referenceDate)
    #expect(report.events.map(\.cause) == [.plaintextOnTLSPort])
    #expect(report.summary.tlsEstablished == ["TLSv1.3": 1])
    #expect(SinceParser.parse("2h", now: Date(timeIntervalSince1970: 7200)) == Date(timeIntervalSince1970: 0))
    #expect(SinceParser.parse("2024-04-03T07:30:47Z") == Date(timeIntervalSince1970: 1712129447))
    #expect(SinceParser.parse("2024-04-03", timeZone: utc) == Date(timeIntervalSince1970: 1712102400))
    #expect(SinceParser.parse("yesterday-ish") == nil)
}
