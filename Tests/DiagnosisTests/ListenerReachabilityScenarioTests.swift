import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit
@testable import Diagnosis

/// Ports no sender reaches, on a real Postfix: stopped, a service commented out of master.cf, an address
/// inet_interfaces leaves out, a firewall that drops the connection attempts. Each is the first diagnosis of
/// `postls diagnose --json`, with the reason its evidence shows.
@Suite("Unreachable listeners on a real Postfix", .enabled(if: Prerequisites.postfix))
struct ListenerReachabilityScenarioTests {
    /// `postls diagnose --json` for the scenario (with extra arguments): its diagnoses, most important first.
    func diagnoses(_ s: Scenario, _ extra: [String] = []) throws -> [[String: Any]] {
        let out = try PostlsBinary.run(["diagnose", "--json"] + s.cliArguments + extra)
        // The new causes and the `system` evidence source are in the contract.
        if JSONSchemaValidator.isAvailable {
            let errors = try JSONSchemaValidator.validate(json: out.stdout, schema: "diagnose.schema.json")
            #expect(errors.isEmpty, "\(errors)")
        }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any], "\(out.stderr)")
        return try #require(json["diagnoses"] as? [[String: Any]])
    }

    /// Stops master but keeps the instance's files, as `postfix stop` on a server does.
    func stopMaster(_ s: Scenario) throws {
        let postfix = try s.instance()
        let pid = postfix.masterPID
        let out = try SystemProcessRunner().run("postfix", ["-c", postfix.configDirectory, "stop"], timeout: 20)
        #expect(out.succeeded, "\(out.stderr)")
        if let pid { for _ in 0..<100 where kill(pid, 0) == 0 { usleep(50_000) } }
        #expect(postfix.masterPID == nil)
    }

    @Test(arguments: Generation.all) func withPostfixStoppedNothingListensOnTheMXAndTheFixStartsPostfix(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        try s.start(mainCF: s.tlsMainCF, listeners: [PostfixListener(name: "smtp")])
        s.smtpPorts = [try s.port("smtp")]
        try stopMaster(s)

        let gathered = s.gather()
        let first = try #require(gathered.report.diagnoses.first)
        #expect(first.cause == .portNotListening, "\(Scenario.describe(gathered.report))")
        #expect(first.severity == .critical && first.confidence == .high)
        #expect(first.summary.contains("Postfix is not running"), "\(first.summary)")
        #expect(first.sources == [.probe, .system], "\(first.evidence)")
        #expect(first.evidence.contains { $0.source == .system && $0.text.contains("master.pid") && $0.text.contains("not running") }, "\(first.evidence)")
        let fix = try #require(first.fixes.compactMap(gathered.report.fix(id:)).first)
        #expect(fix.title == "Start Postfix")
        #expect(fix.commands.contains("postfix -c \(try s.instance().configDirectory) start"), "\(fix.commands)")

        let json = try diagnoses(s)
        #expect(json.first?["cause"] as? String == "port_not_listening", "\(json)")
        #expect((json.first?["sources"] as? [String]) == ["probe", "system"])
    }

    @Test(arguments: Generation.all) func anMXServiceCommentedOutOfMasterCFIsProbedAndNamedWithItsLine(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        try s.start(mainCF: s.tlsMainCF, listeners: [PostfixListener(name: "smtp"), PostfixListener(name: "submission")])
        let postfix = try s.instance()
        let mx = try #require(postfix.listener(named: "smtp"))
        s.smtpPorts = [Int(mx.port)]
        let master = try String(contentsOfFile: postfix.masterCFPath, encoding: .utf8)
        let active = "\(mx.serviceName) inet n - n - - smtpd"
        let lineNumber = try #require(master.components(separatedBy: "\n").firstIndex(of: active)) + 1
        try postfix.write(postfix.masterCFPath, master.replacingOccurrences(of: active, with: "#" + active))
        try postfix.reload()
        // master closes the listener of a service that left master.cf.
        let deadline = Deadline.after(seconds: 10)
        while !deadline.hasPassed, let socket = try? TCPSocket.connect(to: try #require(mx.socketAddress), deadline: .after(seconds: 1)) {
            socket.close(); usleep(100_000)
        }

        let gathered = s.gather()
        let first = try #require(gathered.report.diagnoses.first)
        #expect(first.cause == .portNotListening, "\(Scenario.describe(gathered.report))")
        #expect(first.summary.contains("commented out in master.cf:\(lineNumber)"), "\(first.summary)")
        #expect(first.sources == [.config, .probe] && first.confidence == .high, "\(first.evidence)")
        #expect(first.evidence.contains { $0.location == "master.cf:\(lineNumber)" && $0.text.contains("#" + active) }, "\(first.evidence)")
        #expect(first.evidence.contains { $0.source == .probe && $0.text.contains("connection refused") })
        let fix = try #require(first.fixes.compactMap(gathered.report.fix(id:)).first)
        #expect(fix.title.contains("master.cf:\(lineNumber)"), "\(fix.title)")
        #expect(fix.commands.first?.hasPrefix("sed -i '\(lineNumber)s/^#") == true, "\(fix.commands)")

        #expect(try diagnoses(s).first?["cause"] as? String == "port_not_listening")
    }

    @Test(arguments: Generation.all) func loopbackOnlyInetInterfacesLeaveOutAnotherLoopbackAddress(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        // A service named by its port alone binds the addresses of inet_interfaces (the harness sets loopback-only).
        try s.start(mainCF: s.tlsMainCF, listeners: [PostfixListener(name: "smtp")]) { postfix in
            let l = try #require(postfix.listener(named: "smtp"))
            let master = try String(contentsOfFile: postfix.masterCFPath, encoding: .utf8)
            try postfix.write(postfix.masterCFPath, master.replacingOccurrences(of: "\(l.serviceName) inet", with: "\(l.port) inet"))
        }
        let port = try s.port("smtp")
        s.smtpPorts = [port]
        // loopback-only binds 127.0.0.1 (and ::1), not the rest of 127/8.
        #expect(throws: (any Error).self) { try TCPSocket.connect(to: try #require(SocketAddress(ip: "127.0.0.2", port: UInt16(port))), deadline: .after(seconds: 2)) }

        var options = s.options
        options.hosts = ["127.0.0.2"]
        let gathered = Gatherer().gather(options)
        Scenario.checkInvariants(gathered.report)
        let first = try #require(gathered.report.diagnoses.first)
        #expect(first.cause == .portNotListening, "\(Scenario.describe(gathered.report))")
        #expect(first.summary.contains("inet_interfaces = loopback-only"), "\(first.summary)")
        #expect(first.evidence.contains { $0.source == .config && $0.location.hasPrefix("main.cf:") && $0.text.contains("binds 127.0.0.1 only") }, "\(first.evidence)")
        let fix = try #require(first.fixes.compactMap(gathered.report.fix(id:)).first)
        #expect(fix.commands.first?.contains("inet_interfaces = all") == true && fix.commands.contains { $0.contains("stop && postfix") }, "\(fix.commands)")

        #expect(try diagnoses(s, ["--host", "127.0.0.2"]).first?["cause"] as? String == "port_not_listening")
        // The address it binds is reached: nothing to say about listening there.
        #expect(!s.gather().report.diagnoses.contains { $0.cause == .portNotListening })
    }

    /// Whether this kernel lets nftables rules be added (a container may refuse). Under CI the test runs
    /// regardless (scripts/test-packages.txt installs nftables), so a missing nft fails instead of skipping.
    static let nftables: Bool = {
        if Prerequisites.isCI { return true }
        guard Prerequisites.has("nft"), getuid() == 0 else { return false }
        let name = "postls_probe_\(getpid())"
        guard (try? SystemProcessRunner().run("nft", ["add", "table", "inet", name], timeout: 10))?.succeeded == true else { return false }
        _ = try? SystemProcessRunner().run("nft", ["delete", "table", "inet", name], timeout: 10)
        return true
    }()

    @Test(.enabled(if: nftables), arguments: Generation.all) func aFirewallDroppingTheMXPortIsAFilteredPortWithTheVantagePointStated(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        try s.start(mainCF: s.tlsMainCF, listeners: [PostfixListener(name: "smtp")])
        let port = try s.port("smtp")
        s.smtpPorts = [port]
        let table = "postls_test_\(port)"
        let nft = SystemProcessRunner()
        #expect(try nft.run("nft", ["add", "table", "inet", table], timeout: 10).succeeded)
        defer { _ = try? nft.run("nft", ["delete", "table", "inet", table], timeout: 10) }
        #expect(try nft.run("nft", ["add", "chain", "inet", table, "input", "{ type filter hook input priority 0 ; }"], timeout: 10).succeeded)
        let rule = try nft.run("nft", ["add", "rule", "inet", table, "input", "ip", "daddr", "127.0.0.1", "tcp", "dport", "\(port)", "drop"], timeout: 10)
        #expect(rule.succeeded, "\(rule.stderr)")

        var options = s.options
        options.phaseTimeout = 2
        let gathered = Gatherer().gather(options)
        Scenario.checkInvariants(gathered.report)
        let first = try #require(gathered.report.diagnoses.first)
        #expect(first.cause == .portFiltered, "\(Scenario.describe(gathered.report))")
        #expect(first.summary.contains("a firewall drops"), "\(first.summary)")
        #expect(first.sources == [.config, .probe] && first.confidence == .high)
        #expect(first.notes.contains { $0.hasPrefix("Vantage point:") }, "\(first.notes)")
        let fix = try #require(first.fixes.compactMap(gathered.report.fix(id:)).first)
        #expect(fix.title == "Let connections to port \(port) through the firewall")

        #expect(try diagnoses(s, ["--timeout", "2"]).first?["cause"] as? String == "port_filtered")
    }
}
