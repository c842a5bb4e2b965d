import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit
@testable import MailDNS

/// A UDP (and optionally TCP) DNS server on loopback whose answers a test scripts.
final class ScriptedDNSServer: @unchecked Sendable {
    let udp: UDPListener
    let tcp: TCPListener?
    private let lock = NSLock()
    private var stopped = false
    private(set) var udpQueries = 0
    private let group = DispatchGroup()

    /// `udpAnswers` returns the datagrams to send back for a query (empty: stay silent).
    init(ip: String = "127.0.0.1", udpAnswers: @escaping @Sendable (DNSMessage) -> [DNSMessage],
         tcpAnswer: (@Sendable (DNSMessage) -> DNSMessage)? = nil,
         mangle: @escaping @Sendable ([UInt8]) -> [UInt8] = { $0 }) throws {
        let udp = try UDPListener(ip: ip)
        self.udp = udp
        tcp = try tcpAnswer.map { _ in try TCPListener(ip: ip, port: udp.address.port) }
        let thread = Thread { [self] in
            group.enter(); defer { group.leave() }
            var buffer = [UInt8](repeating: 0, count: 65_535)
            while !isStopped {
                var p = pollfd(fd: udp.fd, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 50) > 0 else { continue }
                var from = sockaddr_storage()
                var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let n = buffer.withUnsafeMutableBytes { raw in
                    withUnsafeMutablePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(udp.fd, raw.baseAddress, raw.count, 0, $0, &length) } }
                }
                guard n > 0, let query = try? DNSMessage.decode(Array(buffer[0..<n])) else { continue }
                lock.lock(); udpQueries += 1; lock.unlock()
                for answer in udpAnswers(query) {
                    guard let encoded = try? answer.encode() else { continue }
                    let bytes = mangle(encoded)
                    _ = bytes.withUnsafeBytes { raw in
                        withUnsafePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            sendto(udp.fd, raw.baseAddress, raw.count, 0, $0, length) } }
                    }
                }
            }
        }
        thread.start()
        if let tcp, let tcpAnswer {
            let tcpThread = Thread { [self] in
                group.enter(); defer { group.leave() }
                while !isStopped {
                    guard let client = try? tcp.accept(deadline: .after(seconds: 0.05)) else { continue }
                    let deadline = Deadline.after(seconds: 2)
                    guard let prefix = try? client.read(count: 2, deadline: deadline, stage: "len"),
                          let body = try? client.read(count: Int(prefix[0]) << 8 | Int(prefix[1]), deadline: deadline, stage: "q"),
                          let query = try? DNSMessage.decode(body),
                          let answer = try? tcpAnswer(query).encode() else { client.close(); continue }
                    try? client.write([UInt8(answer.count >> 8), UInt8(answer.count & 0xFF)] + answer, deadline: deadline, stage: "a")
                    client.close()
                }
            }
            tcpThread.start()
        }
    }

    var address: SocketAddress { udp.address }
    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        _ = group.wait(timeout: .now() + 2)
        udp.close(); tcp?.close()
    }

    static func answer(to query: DNSMessage, records: [DNSResourceRecord], rcode: UInt8 = 0, ad: Bool = false, tc: Bool = false) -> DNSMessage {
        var m = DNSMessage()
        m.header.id = query.header.id
        m.header.isResponse = true
        m.header.recursionAvailable = true
        m.header.authenticData = ad
        m.header.truncated = tc
        m.header.rcode = rcode
        m.questions = query.questions
        m.answers = records
        m.edns = EDNS(udpPayloadSize: 1232, dnssecOK: true)
        return m
    }
}

@Suite(.serialized)
struct DNSClientTests {
    let name = DNSName("mx.postls.example")!

    @Test func silentServerTimesOutWithinTheDeadlineAfterBoundedRetries() throws {
        let server = try ScriptedDNSServer(udpAnswers: { _ in [] })
        defer { server.stop() }
        let client = DNSClient(server: server.address, timeout: 1, attempts: 3)
        let start = Date()
        #expect(throws: DNSClientError.transport(.timeout(server: server.address.description))) {
            try client.query(name, .a)
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.9 && elapsed < 2.5, "took \(elapsed) s")
        #expect(server.udpQueries == 3)
    }

    @Test func closedPortIsReportedAsRefusedAtOnce() throws {
        let probe = try UDPListener(ip: "127.0.0.1")
        let address = probe.address
        probe.close()
        let start = Date()
        #expect(throws: DNSClientError.transport(.refused(server: address.description))) {
            try DNSClient(server: address, timeout: 3).query(name, .a)
        }
        #expect(Date().timeIntervalSince(start) < 2)
    }

    @Test func answersWithAnotherIdAreIgnored() throws {
        let name = self.name
        let server = try ScriptedDNSServer(udpAnswers: { q in
            var forged = ScriptedDNSServer.answer(to: q, records: [DNSResourceRecord(name: name, type: .a, data: .a("192.0.2.66"))])
            forged.header.id = q.header.id &+ 1
            let real = ScriptedDNSServer.answer(to: q, records: [DNSResourceRecord(name: name, type: .a, data: .a("127.0.0.1"))], ad: true)
            return [forged, real]
        })
        defer { server.stop() }
        let m = try DNSClient(server: server.address, timeout: 2).query(name, .a)
        #expect(m.answers.map(\.data) == [.a("127.0.0.1")])
        #expect(m.header.authenticData)
    }

    @Test func truncatedUDPAnswerFallsBackToTCP() throws {
        let name = self.name
        let big = (0..<40).map { _ in [UInt8](repeating: 0x78, count: 255) }
        let server = try ScriptedDNSServer(
            udpAnswers: { q in [ScriptedDNSServer.answer(to: q, records: [], tc: true)] },
            tcpAnswer: { q in ScriptedDNSServer.answer(to: q, records: [DNSResourceRecord(name: name, type: .txt, data: .txt(big))]) })
        defer { server.stop() }
        let m = try DNSClient(server: server.address, timeout: 2).query(name, .txt)
        #expect(!m.header.truncated)
        #expect(m.answers.first?.data.joinedText?.count == 40 * 255)
    }

    @Test(.enabled(if: Prerequisites.ipv6Loopback))
    func resolverOnIPv6LoopbackAnswersOverUDPAndTCP() throws {
        let name = self.name
        let server = try ScriptedDNSServer(
            ip: "::1",
            udpAnswers: { q in [ScriptedDNSServer.answer(to: q, records: [], tc: true)] },
            tcpAnswer: { q in ScriptedDNSServer.answer(to: q, records: [DNSResourceRecord(name: name, type: .aaaa, data: .aaaa("::1"))]) })
        defer { server.stop() }
        let address = try #require(parseResolverAddress("[::1]:\(server.address.port)"))
        let m = try DNSClient(server: address, timeout: 2).query(name, .aaaa)
        #expect(m.answers.map(\.data) == [.aaaa("::1")])
    }

    @Test func truncatedAnswerWithoutTCPIsAClearFailure() throws {
        let server = try ScriptedDNSServer(udpAnswers: { q in [ScriptedDNSServer.answer(to: q, records: [], tc: true)] })
        defer { server.stop() }
        let result = StubResolver(client: DNSClient(server: server.address, timeout: 2)).lookup(name, .txt)
        #expect(result.outcome == .failed(DNSTransportError.refused(server: server.address.description).description))
        #expect(result.dnssec == .unknown)
        #expect(result.problem?.contains("refused the connection") == true)
    }

    @Test func refusedQueriesAreReportedWithTheirCode() throws {
        let server = try ScriptedDNSServer(udpAnswers: { q in [ScriptedDNSServer.answer(to: q, records: [], rcode: 5)] })
        defer { server.stop() }
        let result = StubResolver(client: DNSClient(server: server.address, timeout: 2)).lookup(name, .mx)
        #expect(result.outcome == .serverFailure(.refused))
        #expect(result.problem == "MX mx.postls.example: the resolver answered REFUSED")
    }

    @Test func malformedAnswerIsAFailureNotACrash() throws {
        let name = self.name
        // The answer's last record is cut short: the id matches, the message does not decode.
        let server = try ScriptedDNSServer(
            udpAnswers: { q in [ScriptedDNSServer.answer(to: q, records: [DNSResourceRecord(name: name, type: .a, data: .a("127.0.0.1"))])] },
            mangle: { Array($0.dropLast(13)) })
        defer { server.stop() }
        #expect { try DNSClient(server: server.address, timeout: 2).query(name, .a) } throws: { error in
            guard case DNSClientError.malformed = error else { return false }
            return true
        }
        let result = StubResolver(client: DNSClient(server: server.address, timeout: 2)).lookup(name, .a)
        #expect(result.problem?.contains("malformed DNS answer") == true)
    }

    @Test func servfailThatSucceedsWithCheckingDisabledIsBogus() throws {
        let name = self.name
        let server = try ScriptedDNSServer(udpAnswers: { q in
            q.header.checkingDisabled
                ? [ScriptedDNSServer.answer(to: q, records: [DNSResourceRecord(name: name, type: .mx, data: .mx(preference: 10, exchange: name))])]
                : [ScriptedDNSServer.answer(to: q, records: [], rcode: 2)]
        })
        defer { server.stop() }
        let result = StubResolver(client: DNSClient(server: server.address, timeout: 2)).lookup(name, .mx)
        #expect(result.dnssec == .bogus)
        #expect(result.outcome == .records)
        #expect(result.problem?.contains("DNSSEC validation fails") == true)
    }

    @Test func servfailAlsoWithCheckingDisabledIsAServerFailure() throws {
        let server = try ScriptedDNSServer(udpAnswers: { q in [ScriptedDNSServer.answer(to: q, records: [], rcode: 2)] })
        defer { server.stop() }
        let result = StubResolver(client: DNSClient(server: server.address, timeout: 2)).lookup(name, .mx)
        #expect(result.dnssec == .unknown)
        #expect(result.outcome == .serverFailure(.serverFailure))
    }

    @Test func cnameChainIsFollowedAndALoopIsDetected() throws {
        let a = DNSName("a.postls.example")!, b = DNSName("b.postls.example")!, c = DNSName("c.postls.example")!
        let server = try ScriptedDNSServer(udpAnswers: { q in
            let asked = q.questions[0].name
            if asked == a {  // a -> b -> c, c has an address
                return [ScriptedDNSServer.answer(to: q, records: [
                    DNSResourceRecord(name: a, type: .cname, data: .cname(b)),
                    DNSResourceRecord(name: b, type: .cname, data: .cname(c)),
                    DNSResourceRecord(name: c, type: .a, data: .a("127.0.0.3"))], ad: true)]
            }
            // b <-> c loop, one hop per answer, so the client must re-query and notice.
            let next = asked == b ? c : b
            return [ScriptedDNSServer.answer(to: q, records: [DNSResourceRecord(name: asked, type: .cname, data: .cname(next))])]
        })
        defer { server.stop() }
        let resolver = StubResolver(client: DNSClient(server: server.address, timeout: 2))
        let chased = resolver.lookup(a, .a)
        #expect(chased.outcome == .records)
        #expect(chased.addresses == ["127.0.0.3"])
        #expect(chased.cnames == [b, c])
        #expect(chased.dnssec == .secure)
        let loop = resolver.lookup(b, .a)
        #expect(loop.outcome == .cnameLoop)
        #expect(loop.problem?.contains("CNAME loop") == true)
        #expect(loop.dnssec == .insecure)
    }
}
