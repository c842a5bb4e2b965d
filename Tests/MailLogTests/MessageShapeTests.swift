import Foundation
@testable import MailLog
import Testing

/// The analyzer works a line out once per `MessageShape`: that is right only while what the signals and the message
/// table make of a line does not depend on the address in its brackets. Held here for every row's example line and
/// the real logs of the fixtures, each with its addresses swapped for others of both families.
@Suite("Message shapes")
struct MessageShapeTests {
    static let addresses = ["192.0.2.7", "2001:db8::1", "127.0.0.1", "::1", "203.0.113.255", "2001:db8:0:0:0:ffff:c000:207", "fe80::a"]

    /// The message as the analyzer matches it: after the header, Dovecot's inner program removed.
    static func messages() throws -> [String] {
        var lines = LogMessageCatalog.all.map(\.example)
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        for file in try FileManager.default.contentsOfDirectory(atPath: fixtures.path) where file.hasSuffix(".log") {
            lines += try String(contentsOf: fixtures.appendingPathComponent(file), encoding: .utf8).split(separator: "\n").map(String.init)
        }
        return lines.map { LogAnalyzer.normalizeDovecot(LogLine.parse($0)).message }
    }

    /// `message` with every bracketed address replaced by `address`; nil when it holds none.
    static func swapped(_ message: String, _ address: String) -> String? {
        let pattern = try! NSRegularExpression(pattern: "\\[[0-9A-Fa-f.:]{1,45}\\]")
        let range = NSRange(message.startIndex..., in: message)
        guard pattern.firstMatch(in: message, range: range) != nil else { return nil }
        return pattern.stringByReplacingMatches(in: message, range: range, withTemplate: "[\(address)]")
    }

    @Test func anAddressChangesNeitherTheFactsNorTheRowsOfALine() throws {
        var checked = 0
        for message in try Self.messages() {
            for address in Self.addresses {
                guard let other = Self.swapped(message, address) else { continue }
                #expect(MessageShape.hash(other) == MessageShape.hash(message), "\(message) / \(other)")
                for role in [Role.server, .client, .dovecot, .other] {
                    #expect(LineFacts.recognize(other, role: role, findPeer: false) == LineFacts.recognize(message, role: role, findPeer: false),
                            "\(role): \(message) / \(other)")
                }
                var a = message, b = other
                let rows = a.withUTF8 { LogMessageCatalog.matchIndices($0) }
                #expect(b.withUTF8 { LogMessageCatalog.matchIndices($0) } == rows, "\(message) / \(other)")
                checked += 1
            }
        }
        #expect(checked > 200)
    }

    @Test func everythingButABracketedAddressCounts() {
        let base = "lost connection after STARTTLS from unknown[192.0.2.7]"
        #expect(MessageShape.hash(base) == MessageShape.hash("lost connection after STARTTLS from unknown[2001:db8::1]"))
        #expect(MessageShape.hash(base) != MessageShape.hash("lost connection after STARTTLS from unknowx[192.0.2.7]"))
        #expect(MessageShape.hash(base) != MessageShape.hash("lost connection after CONNECT from unknown[192.0.2.7]"))
        #expect(MessageShape.hash(base) != MessageShape.hash("lost connection after STARTTLS from unknown[192.0.2.7] "))
        // Brackets that hold something else are text like any other.
        #expect(MessageShape.hash("x [mail.example.org] y") != MessageShape.hash("x [mail.example.net] y"))
        #expect(MessageShape.hash("x [] y") != MessageShape.hash("x [1] y"))
        #expect(MessageShape.hash("a[1]b[2]c") == MessageShape.hash("a[::1]b[10.0.0.1]c"))
        #expect(MessageShape.hash("a[1]b[2]c") != MessageShape.hash("a[1]bb[2]c"))
    }
}
