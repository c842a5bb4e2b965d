import Foundation
import PostfixConfig
import PostlsCore
import Testing
import TLSProbe
import TestSupport
@testable import Diagnosis

/// `port_not_listening` and `port_filtered` on constructed inputs: which reason each configuration gives, and
/// which refused ports are not Postfix's to serve.
@Suite("Unreachable listeners: the reasons")
struct ListenerReachabilityTests {
    func configuration(main: String = "", master: String) -> PostfixConfiguration {
        PostfixConfiguration(directory: "/etc/postfix", main: MainCF(text: "myhostname = mx.example.org\n" + main),
                             master: MasterCF(text: master), defaults: ParameterDefaults.catalog(hostName: "mx"))
    }

    func refused(_ address: String, _ port: Int, family: String = "IPv4") -> ListenerProbeResult {
        var r = ListenerProbeResult(host: address, address: address, port: port, mode: .starttls, family: family, expectedName: nil)
        r.error = ProbeError(phase: .connect, message: "connection refused by \(address): nothing listens on port \(port)", bytesReceived: 0)
        return r
    }

    func unanswered(_ address: String, _ port: Int) -> ListenerProbeResult {
        var r = ListenerProbeResult(host: address, address: address, port: port, mode: .starttls, family: "IPv4", expectedName: nil)
        r.error = ProbeError(phase: .connect, message: "no TCP connection to \(address):\(port) within 5 s: the connection attempt went unanswered", bytesReceived: 0)
        return r
    }

    func diagnose(_ configuration: PostfixConfiguration?, _ targets: [ListenerProbeResult], master: MasterStatus? = nil) -> DiagnosisReport {
        var input = DiagnosisInput(configuration: configuration, probe: ProbeReport(targets: targets))
        input.master = master
        return DiagnosisEngine().diagnose(input)
    }

    @Test func withoutTheConfigurationARefusedPort25IsStillConcludedAndSaysWhatIsMissing() throws {
        let report = diagnose(nil, [refused("127.0.0.1", 25), refused("127.0.0.1", 587)])
        let first = try #require(report.diagnoses.first)
        #expect(first.cause == .portNotListening && first.severity == .critical)
        #expect(first.summary == "nothing listens on 127.0.0.1:25")
        // 587 was probed by default: with no configuration nothing says Postfix should serve it.
        #expect(first.evidence.filter { $0.source == .probe }.count == 1, "\(first.evidence)")
        #expect(first.notes.contains { $0.contains("main.cf/master.cf were not read") })
    }

    @Test func aRefusedPortWithNoServiceOfPostfixIsNoDiagnosis() {
        let config = configuration(master: "smtp inet n - y - - smtpd\n")
        let report = diagnose(config, [refused("127.0.0.1", 587)], master: .running(pid: 1))
        #expect(!report.diagnoses.contains { $0.cause == .portNotListening })
    }

    @Test func masterOfUnknownStateIsNotClaimedToRun() throws {
        let config = configuration(master: "smtp inet n - y - - smtpd\n")
        let unknown = try #require(diagnose(config, [refused("127.0.0.1", 25)]).diagnoses.first)
        #expect(unknown.cause == .portNotListening)
        #expect(!unknown.summary.contains("Postfix runs") && unknown.summary.contains("Postfix is not running, master.cf changed"), "\(unknown.summary)")
        let running = try #require(diagnose(config, [refused("127.0.0.1", 25)], master: .running(pid: 1)).diagnoses.first)
        #expect(running.summary.contains("Postfix runs and master.cf has the service"), "\(running.summary)")
    }

    @Test func inetProtocolsLeavingOutIPv6IsTheReasonForAnIPv6Address() throws {
        let config = configuration(main: "inet_protocols = ipv4\ninet_interfaces = all\n", master: "smtp inet n - y - - smtpd\n")
        let first = try #require(diagnose(config, [refused("::1", 25, family: "IPv6")], master: .running(pid: 1)).diagnoses.first)
        #expect(first.summary.contains("inet_protocols = ipv4 leaves out IPv6"), "\(first.summary)")
        #expect(first.evidence.contains { $0.location == "main.cf:2" })
    }

    @Test func aServiceBoundToItsOwnAddressIsNamed() throws {
        let config = configuration(master: "192.0.2.10:smtp inet n - y - - smtpd\n")
        let first = try #require(diagnose(config, [refused("192.0.2.20", 25)], master: .running(pid: 1)).diagnoses.first)
        #expect(first.summary.contains("binds the port to another address (192.0.2.10:smtp)"), "\(first.summary)")
    }

    @Test func inetInterfacesNamingAHostIsNotGuessedAt() throws {
        let config = configuration(main: "inet_interfaces = mail.example.org\n", master: "smtp inet n - y - - smtpd\n")
        let first = try #require(diagnose(config, [refused("192.0.2.20", 25)], master: .running(pid: 1)).diagnoses.first)
        #expect(!first.summary.contains("inet_interfaces"), "\(first.summary)")
    }

    @Test func aHostNameInTheServiceNameIsNotClaimedToBeAnotherAddress() throws {
        let config = configuration(master: "mail.example.org:smtp inet n - y - - smtpd\n")
        let first = try #require(diagnose(config, [refused("192.0.2.20", 25)], master: .running(pid: 1)).diagnoses.first)
        #expect(first.summary == "nothing listens on 192.0.2.20:25", "\(first.summary)")
    }

    @Test func literalInetInterfacesAreWhereTheProbeGoes() {
        let config = configuration(main: "inet_interfaces = 192.0.2.10, [2001:db8::10]\n", master: "smtp inet n - y - - smtpd\n")
        let targets = Gatherer().probeTargets(GatherOptions(), configuration: config)
        #expect(Set(targets.map(\.address.ip)) == ["192.0.2.10", "2001:db8::10"], "\(targets)")
        let loopback = configuration(main: "inet_interfaces = loopback-only\n", master: "smtp inet n - y - - smtpd\n")
        #expect(Gatherer().probeTargets(GatherOptions(), configuration: loopback).map(\.address.ip) == ["127.0.0.1"])
    }

    @Test func thePortOutranksTheSymptomsAndAFilteredPortStatesTheVantagePoint() throws {
        let config = configuration(master: "smtp inet n - y - - smtpd\n")
        var noTLS = ListenerProbeResult(host: "127.0.0.1", address: "127.0.0.1", port: 25, mode: .starttls, family: "IPv4", expectedName: nil)
        noTLS.starttlsOffered = false
        let report = diagnose(config, [noTLS, unanswered("192.0.2.20", 25)], master: .running(pid: 1))
        let first = try #require(report.diagnoses.first)
        #expect(first.cause == .portFiltered, "\(report.diagnoses.map(\.cause))")
        #expect(report.diagnoses.contains { $0.cause == .starttlsUnavailable })
        #expect(first.notes.contains { $0.hasPrefix("Vantage point:") })
    }
}

/// master's pid file speaks for this machine only.
@Suite("Master's state: this machine's probes only")
struct MasterStatusScopeTests {
    @Test func aProbeOfAnotherHostReadsNoMasterState() throws {
        let dir = try TemporaryDirectory(prefix: "postls-master")
        try FileManager.default.createDirectory(atPath: dir.file("queue/pid"), withIntermediateDirectories: true)
        let configuration = PostfixConfiguration(directory: dir.path, main: MainCF(text: "queue_directory = \(dir.file("queue"))\n"),
                                                 master: MasterCF(text: "smtp inet n - y - - smtpd\n"), defaults: ParameterDefaults.catalog(hostName: "mx"))
        var options = GatherOptions()
        #expect(options.masterStatus(configuration: configuration) == .stopped(detail: "\(dir.file("queue/pid/master.pid")) does not exist: master has not run with this queue directory"))
        options.hosts = ["127.0.0.2", "localhost"]
        #expect(options.masterStatus(configuration: configuration) != nil)
        options.hosts = ["192.0.2.1"]
        #expect(options.masterStatus(configuration: configuration) == nil)
        options.hosts = []
        options.probe = false
        #expect(options.masterStatus(configuration: configuration) == nil)
        // A pid file naming a process that is not master (this test) is a stopped master.
        try "\(getpid())\n".write(toFile: dir.file("queue/pid/master.pid"), atomically: false, encoding: .utf8)
        options.probe = true
        guard case .stopped(let detail)? = options.masterStatus(configuration: configuration) else { Issue.record("not stopped"); return }
        #expect(detail.contains("not master"), "\(detail)")
    }
}
