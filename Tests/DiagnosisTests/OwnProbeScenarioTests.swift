import Foundation
import MailLog
import PostfixConfig
import PostlsCore
import Testing
import TestSupport
import TLSKit
import TLSProbe
@testable import Diagnosis

/// postls's real prober against a real Postfix that refuses TLS 1.0/1.1: the refusals its version matrix causes
/// must not come back as peers' failures in the next log read, while a real legacy peer (openssl s_client, not
/// postls) failing on the same port in the same window still counts.
@Suite("Own probes on a real Postfix", .enabled(if: Prerequisites.postfix && Prerequisites.openssl))
struct OwnProbeScenarioTests {
    /// A TLS 1.1 sender, as an old appliance, from `source` (s_client -bind).
    static func legacyPeer(_ address: SocketAddress, from source: String) throws -> ProcessOutput {
        try Peers.opensslClient(address, starttls: true, arguments: ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0", "-bind", "\(source):0"])
    }

    /// Probes `target` with the full version matrix on a thread and, while it runs, lets the legacy peer fail.
    /// Returns the probe's result and the peer's output.
    static func probe(_ target: ProbeTarget, recorder: ProbeRecorder, pki: CertificateFactory,
                      meanwhile peer: () throws -> ProcessOutput) throws -> (ListenerProbeResult, ProcessOutput) {
        let prober = try Prober(options: ProbeOptions(phaseTimeout: 5, trust: .file(pki.rootFile)), recorder: recorder)
        let box = ResultHolder()
        let done = DispatchSemaphore(value: 0)
        Thread {
            blockSIGPIPEOnThisThread()
            box.result = prober.probe([target]).targets.first
            done.signal()
        }.start()
        let out = try peer()
        done.wait()
        return (try #require(box.result), out)
    }

    final class ResultHolder: @unchecked Sendable { var result: ListenerProbeResult? }

    func logReport(_ s: Scenario, _ store: any ProbeRecordStore, include: Bool = false) throws -> LogReport {
        let configuration = try PostfixConfiguration.load(directory: try s.instance().configDirectory, defaults: .catalog())
        var options = LogAnalyzerOptions(ownProbes: OwnProbeMatcher.from(store, configuration: configuration))
        options.includeOwnProbes = include
        return try LogReport.analyze(paths: [try s.instance().logFile], options: options)
    }

    @Test(arguments: Generation.all) func theProbesRefusedVersionsAreOwnProbesAndALegacyPeerFromAnotherAddressInTheSameWindowStillCounts(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        try s.start(mainCF: s.tlsMainCF + "\nsmtpd_tls_protocols = >=TLSv1.2", listeners: [PostfixListener(name: "smtp")])
        let mx = try s.address("smtp")
        let store = MemoryProbeRecordStore()
        let target = ProbeTarget(host: "127.0.0.1", address: mx, mode: .starttls, expectedName: "mail.postls.test")
        let (result, peer) = try Self.probe(target, recorder: ProbeRecorder(store: store, command: "test"), pki: s.pki) {
            usleep(100_000)
            return try Self.legacyPeer(mx, from: "127.0.0.2")
        }
        #expect(result.protocols["TLSv1"] == .rejected && result.protocols["TLSv1.1"] == .rejected, "\(result.protocols)")
        #expect(!Scenario.handshakeSucceeded(peer))
        // Two refusals for the probe (TLS 1.0, 1.1), one for the peer.
        #expect(s.waitFor("unsupported protocol", count: 3), "\(s.logText)")
        _ = s.settledOffset()

        let window = try #require(store.windows().first)
        #expect(window.complete && window.port == Int(mx.port) && window.sources == ["127.0.0.1"], "\(window)")
        #expect(window.sourcePorts.count == result.connections)

        // Without the record: the defect, three failures.
        let unfiltered = try LogReport.analyze(paths: [try s.instance().logFile])
        #expect(unfiltered.summary.byCause == [.protocolMismatch: 3])

        let report = try logReport(s, store)
        #expect(report.summary.byCause == [.protocolMismatch: 1], "\(report.events.map { "\($0.peer?.address ?? "-") \($0.cause)" })")
        #expect(report.summary.ownProbes == 2 && report.summary.ownProbesByCause == [.protocolMismatch: 2])
        let counted = try #require(report.events.first)
        #expect(counted.peer?.address == "127.0.0.2")
        // Same window: the peer's failure lies inside the probe's window, so only the address told them apart.
        let time = try #require(counted.time)
        #expect(time >= window.start.addingTimeInterval(-2) && time <= window.end.addingTimeInterval(2), "\(time) vs \(window.start)–\(window.end)")

        let included = try logReport(s, store, include: true)
        #expect(included.summary.byCause == [.protocolMismatch: 3] && included.events.filter(\.ownProbe).count == 2)
    }

    /// With `smtpd_client_port_logging = yes` a peer on the probe's own address (127.0.0.1), same port, same
    /// moment, is told apart by its client port.
    @Test(arguments: Generation.all) func withClientPortLoggingAPeerOnTheProbesOwnAddressStillCounts(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        try s.start(mainCF: s.tlsMainCF + "\nsmtpd_tls_protocols = >=TLSv1.2\nsmtpd_client_port_logging = yes",
                    listeners: [PostfixListener(name: "smtp")])
        let mx = try s.address("smtp")
        let store = MemoryProbeRecordStore()
        let target = ProbeTarget(host: "127.0.0.1", address: mx, mode: .starttls, expectedName: "mail.postls.test")
        _ = try Self.probe(target, recorder: ProbeRecorder(store: store, command: "test"), pki: s.pki) {
            usleep(100_000)
            return try Self.legacyPeer(mx, from: "127.0.0.1")
        }
        #expect(s.waitFor("unsupported protocol", count: 3), "\(s.logText)")
        _ = s.settledOffset()
        let report = try logReport(s, store)
        #expect(report.summary.byCause == [.protocolMismatch: 1], "\(s.logText)")
        #expect(report.summary.ownProbes == 2)
        let counted = try #require(report.events.first)
        #expect(counted.peer?.address == "127.0.0.1" && counted.peer?.port != nil)
        let window = try #require(store.windows().first)
        #expect(!window.sourcePorts.contains(counted.peer?.port ?? -1))
        if let time = counted.time { #expect(time >= window.start.addingTimeInterval(-2) && time <= window.end.addingTimeInterval(2)) }
    }

    /// The whole loop: diagnose probes (recording to a file), the next diagnose reads the log the first one left
    /// and neither counts those refusals as peers' failures nor hides them: the limitations say how many there were.
    @Test(arguments: Generation.all) func aSecondDiagnosisDoesNotBlameTheFirstOnesProbes(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        try s.start(mainCF: s.tlsMainCF + "\nsmtpd_tls_protocols = >=TLSv1.2", listeners: [PostfixListener(name: "smtp")])
        let record = ProbeRecordFile(path: s.dir.file("state/probes.jsonl"))
        var options = s.options
        options.probeRecords = record
        options.command = "diagnose"
        let first = Gatherer().gather(options)
        #expect(first.probe?.targets.first?.protocols["TLSv1"] == .rejected)
        #expect(s.waitFor("unsupported protocol", count: 2), "\(s.logText)")
        _ = s.settledOffset()
        #expect(record.windows().count == 1 && record.windows().first?.command == "diagnose")

        let second = Gatherer().gather(options)
        let logs = try #require(second.logReport)
        #expect(logs.summary.byCause[.protocolMismatch] == nil, "\(logs.events.map(\.lines))")
        #expect(logs.summary.ownProbes >= 2)
        #expect(!second.report.diagnoses.contains { d in d.cause == .protocolMismatch && d.evidence.contains { $0.source == .log } },
                "\(Scenario.describe(second.report))")
        #expect(second.report.limitations.contains { $0.contains("postls's own earlier probe") }, "\(second.report.limitations)")

        // The same log without the record: the defect this guards against.
        var blind = s.options
        blind.probe = false
        let unfiltered = Gatherer().gather(blind)
        #expect((unfiltered.logReport?.summary.byCause[.protocolMismatch] ?? 0) >= 2)
    }
}
