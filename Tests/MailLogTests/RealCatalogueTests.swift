import Foundation
import MailLog
import PostlsCore
import Testing
import TestSupport

/// The lines of `events` that speak of TLS and match no row of the message table (should be none).
func uncataloguedLines(_ events: [TLSEvent]) -> [String] {
    events.flatMap(\.lines).map(\.text).filter { text in
        guard text.contains("TLS") || text.contains("SSL") || text.contains("certificate") else { return false }
        var message = text
        if let r = text.range(of: "]: ") { message = String(text[r.upperBound...]) }
        else if let r = text.range(of: " dovecot: "), let inner = text[r.upperBound...].range(of: ": ") {
            message = String(text[r.upperBound...][inner.upperBound...])
        }
        return LogMessageCatalog.matches(message).isEmpty
    }
}

/// Messages of the table produced for real by the installed doveconf and postmap, then read by the engine.
@Suite("Message table rows produced by real programs", .serialized)
struct RealCatalogueTests {
    /// A syslog line as the program's stderr line would be logged.
    func logLine(_ stderrLine: Substring) -> String { "Dec  7 13:00:00 mail " + stderrLine }

    @Test(.enabled(if: Prerequisites.has("doveconf"))) func doveconfMissingCertificateFile() throws {
        let dir = try TemporaryDirectory()
        let conf = dir.file("dovecot.conf")
        try "ssl = yes\nssl_cert = </nonexistent/postls-cert.pem\nssl_key = </nonexistent/postls-key.pem\n"
            .write(toFile: conf, atomically: true, encoding: .utf8)
        // -x expands the settings, which reads the `<file` values.
        let out = try SystemProcessRunner().run("doveconf", ["-c", conf, "-x"], timeout: 20)
        let fatal = try #require((out.stdout + out.stderr).split(separator: "\n").first { $0.contains("Error in configuration file") },
                                 "\(out.stderr)")
        let report = LogReport.analyze(text: logLine(fatal))
        let event = try #require(report.events.first, "\(fatal)")
        #expect(event.cause == .certificateUnreadable)
        #expect(event.messages.first == "dovecot.error-in-configuration-file-line-ssl-2", "\(event.messages)")
        #expect(LogMessageCatalog.primary(String(fatal.drop { $0 != " " }.dropFirst()))?.fields["setting"] == "cert")
    }

    @Test(.enabled(if: Prerequisites.has("postmap"))) func postmapSNIMapWithMissingFiles() throws {
        let dir = try TemporaryDirectory()
        let map = dir.file("sni")
        try "mail.example.com /nonexistent/postls-key.pem /nonexistent/postls-cert.pem\n".write(toFile: map, atomically: true, encoding: .utf8)
        let out = try SystemProcessRunner().run("postmap", ["-F", "hash:" + map], timeout: 20)
        let warning = try #require(out.stderr.split(separator: "\n").first { $0.contains("skipping this entry") }, "\(out.stderr)")
        let report = LogReport.analyze(text: logLine(warning))
        let event = try #require(report.events.first, "\(warning)")
        #expect(event.cause == .sniMisconfiguration)
        #expect(event.messages == ["postfix.line-open-skipping-this-entry"])
    }
}
