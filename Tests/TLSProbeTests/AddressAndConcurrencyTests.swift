import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit
@testable import TLSProbe

/// A resolver with fixed answers: the names tests use do not exist in DNS.
struct FixedResolver: AddressResolver {
    var answers: [String: [String]]
    func resolve(host: String, port: UInt16) throws -> [SocketAddress] {
        guard let ips = answers[host] else { throw TLSKitError.resolve(host: host, message: "Name or service not known") }
        return ips.compactMap { SocketAddress(ip: $0, port: port) }
    }
}

/// A minimal SMTP server with working STARTTLS (a real OpenSSL server handshake) for tests that need several
/// listeners with the same port on both address families.
enum SMTPTestServer {
    static func starttls(ip: String, port: UInt16 = 0, context: TLSContext) throws -> LoopbackServer {
        let handler: @Sendable (TCPSocket) -> Void = { socket in
            blockSIGPIPEOnThisThread()  // TLS writes go through write(2)
            let d = Deadline.after(seconds: 5)
            try? socket.write("220 dual.postls.test ESMTP\r\n", deadline: d, stage: "greeting")
            guard HostileServerTests.expect(socket, "EHLO") else { return }
            try? socket.write("250-dual.postls.test\r\n250 STARTTLS\r\n", deadline: d, stage: "ehlo")
            guard HostileServerTests.expect(socket, "STARTTLS") else { return }
            try? socket.write("220 2.0.0 go ahead\r\n", deadline: d, stage: "starttls")
            guard let tls = try? TLSConnection(context: context, socket: socket), (try? tls.handshake(deadline: d)) != nil else { return }
            while let line = try? tls.readLine(deadline: d, stage: "tls") {
                if line.uppercased().hasPrefix("EHLO") { try? tls.write("250-dual.postls.test\r\n250 8BITMIME\r\n", deadline: d, stage: "ehlo") }
                if line.uppercased().hasPrefix("QUIT") { try? tls.write("221 bye\r\n", deadline: d, stage: "quit"); break }
            }
            tls.shutdown()
        }
        return try LoopbackServer(ip: ip, port: port, handler: handler)
    }
}

@Suite("Addresses and concurrency")
struct AddressAndConcurrencyTests {
    @Test func hostExpandsToEveryAddressAndPortWithModes() {
        let resolver = FixedResolver(answers: ["mx.postls.test": ["192.0.2.1", "2001:db8::1"]])
        let (targets, unresolved) = ProbeTarget.expand(hosts: ["mx.postls.test", "nowhere.postls.test"], ports: [25, 465, 587],
                                                       implicitPorts: [587], resolver: resolver)
        #expect(targets.count == 6)
        #expect(targets.filter { $0.address.family == .ipv6 }.count == 3)
        #expect(targets.first { $0.port == 465 }?.mode == .implicit)
        #expect(targets.first { $0.port == 587 }?.mode == .implicit, "--implicit 587")
        #expect(targets.first { $0.port == 25 }?.mode == .starttls)
        #expect(targets.allSatisfy { $0.expectedName == "mx.postls.test" && $0.serverName == "mx.postls.test" })
        #expect(unresolved.count == 3)
        #expect(unresolved.first?.message.contains("not known") == true)
    }

    @Test func familyFilterAndLiteralAddresses() {
        let resolver = FixedResolver(answers: ["mx.postls.test": ["192.0.2.1", "2001:db8::1"]])
        let v6 = ProbeTarget.expand(hosts: ["mx.postls.test"], ports: [25], family: .ipv6Only, resolver: resolver).targets
        #expect(v6.map(\.address.ip) == ["2001:db8::1"])
        let literal = ProbeTarget.expand(hosts: ["[::1]", "127.0.0.1"], ports: [25], starttlsPorts: [465]).targets
        #expect(literal.map(\.address.ip) == ["::1", "127.0.0.1"])
        #expect(literal.allSatisfy { $0.expectedName == nil && $0.serverName == nil }, "no name to match for a literal without --name")
        let named = ProbeTarget.expand(hosts: ["127.0.0.1"], ports: [465], starttlsPorts: [465], name: "mx.postls.test").targets
        #expect(named.first?.expectedName == "mx.postls.test")
        #expect(named.first?.mode == .starttls, "--starttls 465")
    }

    @Test(.enabled(if: Prerequisites.ipv6Loopback))
    func failureOnlyOverIPv6IsAFindingOfItsOwn() throws {
        let dir = try TemporaryDirectory()
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try factory.leaf("dual", commonName: "dual.postls.test")
        let context = try TLSContext(role: .server, options: .init(certificateChainFile: leaf.fullChainFile, privateKeyFile: leaf.keyFile))
        let v4 = try SMTPTestServer.starttls(ip: "127.0.0.1", context: context)
        defer { v4.stop() }
        // Same port on ::1, where the handshake stalls after the ClientHello.
        let v6 = try LoopbackServer(ip: "::1", port: v4.address.port) { socket in
            let d = Deadline.after(seconds: 5)
            try? socket.write("220 dual.postls.test ESMTP\r\n", deadline: d, stage: "greeting")
            guard HostileServerTests.expect(socket, "EHLO") else { return }
            try? socket.write("250-dual.postls.test\r\n250 STARTTLS\r\n", deadline: d, stage: "ehlo")
            guard HostileServerTests.expect(socket, "STARTTLS") else { return }
            try? socket.write("220 2.0.0 go ahead\r\n", deadline: d, stage: "starttls")
            usleep(3_000_000)
        }
        defer { v6.stop() }
        let resolver = FixedResolver(answers: ["dual.postls.test": ["127.0.0.1", "::1"]])
        let targets = ProbeTarget.expand(hosts: ["dual.postls.test"], ports: [v4.address.port], resolver: resolver).targets
        #expect(targets.count == 2)
        let prober = try Prober(options: ProbeOptions(phaseTimeout: 1, trust: .file(factory.rootFile)))
        let report = prober.probe(targets)
        let r4 = try #require(report.targets.first { $0.family == "IPv4" })
        let r6 = try #require(report.targets.first { $0.family == "IPv6" })
        #expect(r4.error == nil, "\(String(describing: r4.error))")
        #expect(r4.verify?.code == 0)
        #expect(r4.nameMatch == true)
        #expect(r6.error?.phase == .handshake)
        let finding = try #require(r6.findings.first { $0.id == "ipv6_only_failure" })
        #expect(finding.cause == .handshakeTimeout)
        #expect(finding.message.contains("ICMPv6"))
        #expect(!r4.findings.contains { $0.id == "ipv6_only_failure" })
        #expect(report.exitCode == .critical)
    }

    @Test func targetsAreProbedConcurrentlyUpToTheBound() throws {
        let servers = try (0..<4).map { _ in
            // Silent until the probe gives up and closes.
            try LoopbackServer { socket in _ = try? socket.wait(for: Int16(POLLIN), deadline: .after(seconds: 3)) }
        }
        defer { servers.forEach { $0.stop() } }
        let targets = servers.map { ProbeTarget(host: "127.0.0.1", address: $0.address, mode: .starttls, expectedName: nil) }
        let bounded = try Prober(options: ProbeOptions(phaseTimeout: 0.5, maxConnections: 2))
        // Listeners in flight, counted on the probing side (each listener's connections are sequential, so this
        // bounds the open connections; a server-side count would race with the server noticing the close).
        let inFlight = Gauge()
        let start = Deadline.now()
        let report = bounded.probe(targets) { event in
            switch event {
            case .started: inFlight.enter()
            case .finished: inFlight.leave()
            case .connection: break
            }
        }
        let seconds = Double(Deadline.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        #expect(report.targets.count == 4)
        #expect(report.targets.map(\.port) == targets.map { Int($0.port) }, "results keep target order")
        #expect(report.targets.allSatisfy { $0.error?.phase == .greeting })
        #expect(inFlight.maximum == 2, "never more than --max-connections at once")
        #expect(seconds >= 0.9 && seconds < 2.0, "two rounds of a 0.5 s greeting timeout, took \(seconds) s")
    }
}

final class Gauge: @unchecked Sendable {
    private var current = 0
    private(set) var maximum = 0
    private let lock = NSLock()
    func enter() { lock.lock(); current += 1; maximum = max(maximum, current); lock.unlock() }
    func leave() { lock.lock(); current -= 1; lock.unlock() }
}
