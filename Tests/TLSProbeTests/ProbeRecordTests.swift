import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit
@testable import TLSProbe

/// The prober's entries in the probe record, against a real STARTTLS server (OpenSSL server side) that offers
/// TLS 1.2 and 1.3 only: what the log engine later relies on to tell the probe's connections from peers'.
@Suite("Probe record written by the prober")
struct ProbeRecordTests {
    /// Notes, for every append, how many connections the server had accepted by then.
    final class OrderedStore: ProbeRecordStore, @unchecked Sendable {
        let inner = MemoryProbeRecordStore()
        var server: LoopbackServer?
        private(set) var acceptedAtAppend: [Int] = []
        private(set) var raw: [ProbeWindow] = []
        private let lock = NSLock()
        func append(_ records: [ProbeWindow]) {
            lock.lock(); acceptedAtAppend.append(server?.connectionCount ?? -1); raw += records; lock.unlock()
            inner.append(records)
        }
        func windows() -> [ProbeWindow] { inner.windows() }
    }

    @Test(arguments: ["127.0.0.1", "::1"])
    func eachListenerGetsAnOpeningRecordBeforeItsFirstConnectionAndAClosingOneWithItsSourcesAndFailures(ip: String) throws {
        if ip == "::1" && !Prerequisites.ipv6Loopback { return }
        let dir = try TemporaryDirectory()
        let pki = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try pki.leaf("mail")
        let context = try TLSContext(role: .server, options: .init(minVersion: .tls1_2, certificateChainFile: leaf.fullChainFile, privateKeyFile: leaf.keyFile))
        let server = try SMTPTestServer.starttls(ip: ip, context: context)
        defer { server.stop() }
        let store = OrderedStore()
        store.server = server
        let clock = SystemClock()
        let before = clock.now()
        let prober = try Prober(options: ProbeOptions(phaseTimeout: 5, trust: .file(pki.rootFile)),
                                recorder: ProbeRecorder(store: store, command: "probe"))
        let result = try #require(prober.probe([ProbeTarget(host: ip, address: server.address, mode: .starttls, expectedName: "mail.postls.test")]).targets.first)
        let after = clock.now()

        #expect(store.acceptedAtAppend.first == 0, "the opening record comes before the first connection")
        // The opening record bounds what a log read during the probe may attribute: its window and a claim limit.
        let opening = try #require(store.raw.first)
        #expect(!opening.complete && opening.failures == 2 * (2 + TLSVersion.allCases.count + SenderProfile.all.count) && opening.sources == [ip])
        #expect(result.connections <= ProbeOptions().plannedConnectionsPerListener ?? 0, "the plan bounds what the probe did")
        let windows = store.windows()
        let window = try #require(windows.first)
        #expect(windows.count == 1 && window.complete && window.command == "probe")
        #expect(window.port == Int(server.address.port) && window.address == server.address.ip)
        #expect(window.start >= before && window.end <= after && window.start <= window.end)
        // The server saw the probe come from the loopback address of the same family.
        #expect(window.sources == [ip])
        #expect(window.sourcePorts.count == result.connections && Set(window.sourcePorts).count == result.connections)
        // TLS 1.0 and 1.1 refused by the server: exactly the failed connections the log may show.
        #expect(result.protocols["TLSv1"] == .rejected && result.protocols["TLSv1.1"] == .rejected, "\(result.protocols)")
        #expect(window.failures == 2)
        #expect(opening.id == window.id && opening.end >= window.end && opening.start <= window.start)
    }

    /// The opening record's claim limit follows the steps the options turn on (twice: each may be retried after a
    /// 421), not a fixed formula: a probe without the version matrix, the check without SNI and senders plans one.
    @Test func theOpeningRecordsClaimLimitIsWhatTheProbePlans() throws {
        let listener = try TCPListener(ip: "127.0.0.1")
        let address = listener.address
        listener.close()
        var options = ProbeOptions(phaseTimeout: 2, checkWithoutSNI: false)
        options.versionMatrix = false
        options.senders = []
        #expect(options.plannedConnectionsPerListener == 1)
        let store = OrderedStore()
        _ = try Prober(options: options, recorder: ProbeRecorder(store: store, command: "probe"))
            .probe([ProbeTarget(host: "127.0.0.1", address: address, mode: .starttls, expectedName: nil)])
        #expect(store.raw.first.map { !$0.complete && $0.failures == 2 } == true, "\(store.raw)")
        #expect(ProbeOptions(enumerateCiphers: true).plannedConnectionsPerListener == nil)
    }

    @Test func aListenerNobodyAnswersOnLeavesARecordWithNoSources() throws {
        let listener = try TCPListener(ip: "127.0.0.1")
        let address = listener.address
        listener.close()   // nothing listens: connection refused, so the server logs nothing
        let store = MemoryProbeRecordStore()
        let prober = try Prober(options: ProbeOptions(phaseTimeout: 2), recorder: ProbeRecorder(store: store, command: "check"))
        _ = prober.probe(ProbeTarget(host: "127.0.0.1", address: address, mode: .starttls, expectedName: nil))
        let window = try #require(store.windows().first)
        #expect(window.complete && window.sources.isEmpty && window.failures == 0)
    }

    @Test func theKernelsSourceAddressIsKnownBeforeConnecting() throws {
        #expect(SocketAddress(ip: "127.0.0.1", port: 25)?.sourceAddress?.ip == "127.0.0.1")
        if Prerequisites.ipv6Loopback { #expect(SocketAddress(ip: "::1", port: 25)?.sourceAddress?.ip == "::1") }
    }
}
