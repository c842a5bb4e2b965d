import Foundation
import PostlsCore
import Testing
import TestSupport

@Suite("postls demo without a terminal")
struct DemoCommandTests {
    @Test func demoDiagnosesItsBrokenServerAndCleansUp() throws {
        let out = try PostlsBinary.run(["demo", "--print", "--json"], timeout: 60)
        #expect(out.status == 0, "\(out.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let diagnoses = try #require(object["diagnoses"] as? [[String: Any]])
        let causes = diagnoses.compactMap { $0["cause"] as? String }
        // The seed case first (legacy senders refused on the MX port), then the missing intermediate.
        #expect(causes.first == "protocol_mismatch", "\(causes)")
        #expect(causes.contains("incomplete_chain"))
        #expect(causes.contains("plaintext_on_tls_port"))
        let first = diagnoses[0]
        #expect(Set(first["sources"] as? [String] ?? []) == ["config", "log", "probe"])
        let fixes = try #require(object["fixes"] as? [[String: Any]])
        #expect(fixes.contains { ($0["kind"] as? String) == "file" && ($0["applicable"] as? Bool) == true })
        // Nothing is left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("postls-demo-") }
        #expect(leftovers.allSatisfy { !out.stdout.contains($0) }, "\(leftovers)")
        #expect(!out.stdout.contains("PRIVATE KEY"))
    }

    @Test func demoTextNamesWhereItLives() throws {
        let out = try PostlsBinary.run(["demo", "--print"], timeout: 60)
        #expect(out.stdout.hasPrefix("postls demo: a broken demo server in "))
        let path = out.stdout.split(separator: " ").first { $0.hasPrefix("/") && $0.contains("postls-demo-") }.map(String.init) ?? ""
        #expect(!path.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: path), "the demo directory must be removed: \(path)")
    }
}
