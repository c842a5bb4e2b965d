import Foundation
import MailLog
import PostlsCore
import Testing

/// The message after `program[pid]: ` (Dovecot: after `dovecot: imap-login: `), as the analyzer sees it.
private func messageText(of line: String) -> String {
    if let r = line.range(of: "]: ") { return String(line[r.upperBound...]) }
    if let r = line.range(of: " dovecot: ") {
        let rest = line[r.upperBound...]
        if let inner = rest.range(of: ": ") { return String(rest[inner.upperBound...]) }
    }
    return line
}

@Suite struct LogMessageCatalogTests {
    @Test func tableParsesWithUniqueIDs() throws {
        let tsv = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Resources/log-messages/messages.tsv"), encoding: .utf8)
        let dataRows = tsv.split(separator: "\n").filter { !$0.hasPrefix("#") }.count - 1   // minus the column line
        #expect(LogMessageCatalog.all.count == dataRows)
        #expect(Set(LogMessageCatalog.all.map(\.id)).count == LogMessageCatalog.all.count)
        for row in LogMessageCatalog.all where row.cause == .unclassified {
            #expect(!row.note.isEmpty, "\(row.id) is unclassified without a reason")
        }
    }

    /// Each row's example line goes through the log engine: its own row is what the engine finds in it, and a
    /// failure or configuration row makes an event with the row's cause.
    @Test(arguments: LogMessageCatalog.all)
    func exampleGoesThroughTheEngine(_ row: LogMessage) {
        // Lines before ` ⏎ ` set the scene (a connection already open); the row's own line comes last.
        let lines = row.example.components(separatedBy: " \u{23CE} ")
        let message = messageText(of: lines.last!)
        let found = LogMessageCatalog.matches(message).map(\.id)
        if row.software == .openssl {
            #expect(found.contains(row.id), "\(row.id): \(found)")
        } else {
            #expect(found.first == row.id, "\(row.id): the example matches \(found) first")
            #expect(row.match(message) != nil)
        }
        let report = analyze(lines.joined(separator: "\n"))
        let events = report.events.filter { $0.messages.contains(row.id) }
        switch (row.level, row.software) {
        case (.info, .postfix), (.info, .dovecot):
            // Recognised; an event of its own is not required, but one that exists names the row.
            #expect(report.events.allSatisfy { $0.messages.contains(row.id) }, "\(row.id): \(report.events.map(\.messages))")
        default:
            #expect(events.count == 1, "\(row.id): \(report.events.count) events, messages \(report.events.map(\.messages))")
            if let cause = row.cause, let event = events.first {
                #expect(event.cause == cause, "\(row.id): \(event.cause) by rule \(event.rule), the row says \(cause)")
            }
        }
    }

    /// The fields the outbound view reads: next hop and verification code.
    @Test func outboundVerificationFields() throws {
        let line = "server certificate verification failed for mx.example.net[192.0.2.25]:25: num=20:unable to get local issuer certificate"
        let (row, fields) = try #require(LogMessageCatalog.primary(line))
        #expect(row.direction == .outbound && row.cause == .remoteCertificateUnverified)
        #expect(fields["nexthop"] == "mx.example.net[192.0.2.25]:25")
        #expect(fields["num"] == "20")
        #expect(fields["reason"] == "unable to get local issuer certificate")
        #expect(LogMessageCatalog.matches(line).contains { $0.id.hasPrefix("openssl.num-unable-to-get-local-issuer") })
    }

    /// A literal part must start the message (after a prefix such as `warning: ` or a delivery status's `(`),
    /// so a row does not match text that merely quotes it.
    @Test func literalStartIsAnchored() {
        #expect(LogMessageCatalog.primary("xCannot start TLS: handshake failure") == nil)
        #expect(LogMessageCatalog.primary("3F1A: status=deferred (Cannot start TLS: handshake failure)")?.row.cause == .remoteHandshakeFailure)
    }
}
