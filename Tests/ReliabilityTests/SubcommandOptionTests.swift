import Foundation
import PostlsCore
import Testing
import TestSupport

/// The root command carries diagnose's options for the wizard (--port, --timeout, --name, --ca-file);
/// a subcommand's options of the same names must still reach the subcommand.
@Suite("Subcommand options")
struct SubcommandOptionTests {
    @Test func probeUsesItsOwnPortAndTimeoutNotTheRoots() throws {
        let directory = try TemporaryDirectory(prefix: "postls-options")
        let silent = try HostileServer(.silent, directory: directory.path)
        defer { silent.stop() }
        let run = try MeasuredProcess.run(PostlsBinary.path, ["probe", "127.0.0.1", "--port", "\(silent.port)", "--timeout", "1", "--json"], timeout: 60)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout.prefix(300))")
        let targets = try #require(object["targets"] as? [[String: Any]])
        #expect(targets.map { $0["port"] as? Int } == [Int(silent.port)], "only the given port is probed")
        let message = ((targets.first?["error"] as? [String: Any])?["message"] as? String) ?? ""
        #expect(message.contains("no greeting within 1 s"), "the 1 s timeout is the probe's: \(message)")
        #expect(run.seconds < 1 + (ProcessInfo.processInfo.environment["POSTLS_SANITIZER"] == nil ? 4 : 20))
    }
}
