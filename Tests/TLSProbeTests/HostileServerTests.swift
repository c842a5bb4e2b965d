import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit
@testable import TLSProbe

/// Servers that misbehave on purpose: the probe must say which phase stopped and return within its deadline.
@Suite("Probe against misbehaving servers")
struct HostileServerTests {
    static func target(_ server: LoopbackServer, mode: ProbeMode = .starttls) -> ProbeTarget {
        ProbeTarget(host: "127.0.0.1", address: server.address, mode: mode, expectedName: nil)
    }

    static func probe(_ server: LoopbackServer, mode: ProbeMode = .starttls, timeout: Double = 1) throws -> (ListenerProbeResult, Double) {
        let prober = try Prober(options: ProbeOptions(phaseTimeout: timeout, backoffAfter421: 0.1))
        let start = Deadline.now()
        let report = prober.probe([target(server, mode: mode)])
        let seconds = Double(Deadline.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        return (try #require(report.targets.first), seconds)
    }

    /// Reads lines until one starts with `prefix` (case-insensitive) or the peer goes away.
    static func expect(_ socket: TCPSocket, _ prefix: String) -> Bool {
        while let line = try? socket.readLine(deadline: .after(seconds: 5), stage: "test") {
            if line.uppercased().hasPrefix(prefix) { return true }
        }
        return false
    }

    @Test func silentServerStopsInTheGreetingPhaseWithinTheDeadline() throws {
        let server = try LoopbackServer { _ in usleep(4_000_000) }
        defer { server.stop() }
        let (r, seconds) = try Self.probe(server)
        #expect(r.error?.phase == .greeting)
        #expect(r.error?.message.contains("no greeting") == true, "\(r.error?.message ?? "")")
        #expect(r.connections == 1)
        #expect(seconds < 2.0, "took \(seconds) s with a 1 s phase timeout")
    }

    @Test func handshakeStalledAfterClientHelloLooksLikeAPathMTUBlackHole() throws {
        let server = try LoopbackServer { socket in
            let d = Deadline.after(seconds: 5)
            try? socket.write("220 stall.postls.test ESMTP\r\n", deadline: d, stage: "greeting")
            guard Self.expect(socket, "EHLO") else { return }
            try? socket.write("250-stall.postls.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n", deadline: d, stage: "ehlo")
            guard Self.expect(socket, "STARTTLS") else { return }
            try? socket.write("220 2.0.0 Ready to start TLS\r\n", deadline: d, stage: "starttls")
            // Swallow the ClientHello and never answer, like a reply lost to a path-MTU black hole.
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = try? socket.wait(for: Int16(POLLIN), deadline: d)
            _ = recv(socket.fd, &buffer, buffer.count, 0)
            usleep(4_000_000)
        }
        defer { server.stop() }
        let (r, seconds) = try Self.probe(server)
        #expect(r.greeting == "220 stall.postls.test ESMTP")
        #expect(r.starttlsOffered == true)
        #expect(r.error?.phase == .handshake)
        let message = r.error?.message ?? ""
        #expect(message.contains("after the ClientHello"), "\(message)")
        #expect(message.contains("path-MTU"))
        #expect(r.error?.state?.contains("client hello") == true)
        #expect(r.findings.contains { $0.cause == .handshakeTimeout })
        #expect(r.connections == 1, "a stalled listener is not probed again")
        #expect(seconds < 2.0, "took \(seconds) s with a 1 s phase timeout")
    }

    @Test func greeting421IsReportedAsServiceRefusalNotATLSFailure() throws {
        let server = try LoopbackServer { socket in
            try? socket.write("421 4.3.2 Service shutting down\r\n", deadline: .after(seconds: 2), stage: "greeting")
        }
        defer { server.stop() }
        let (r, _) = try Self.probe(server)
        #expect(r.error?.phase == .greeting)
        #expect(r.error?.reply == "421 4.3.2 Service shutting down")
        #expect(r.error?.message.contains("refused service") == true)
        #expect(r.findings.contains { $0.id == "service_refused" && $0.cause == nil })
        #expect(r.starttlsOffered == nil)
    }

    @Test func greeting554IsReportedAsRejection() throws {
        let server = try LoopbackServer { socket in
            try? socket.write("554 5.7.1 You are not welcome\r\n", deadline: .after(seconds: 2), stage: "greeting")
        }
        defer { server.stop() }
        let (r, _) = try Self.probe(server)
        #expect(r.error?.phase == .greeting)
        #expect(r.error?.message.contains("554") == true)
        #expect(r.error?.message.contains("rejected") == true)
    }

    @Test func delayedMultiLineGreetingIsWaitedForWithinTheTimeout() throws {
        let server = try LoopbackServer { socket in
            let d = Deadline.after(seconds: 5)
            try? socket.write("220-slow.postls.test ESMTP\r\n", deadline: d, stage: "greeting")
            usleep(400_000)
            try? socket.write("220 ready\r\n", deadline: d, stage: "greeting")
            guard Self.expect(socket, "EHLO") else { return }
            // Bare LF line ends, as some servers send them; no STARTTLS.
            try? socket.write("250-slow.postls.test\n250 8BITMIME\n", deadline: d, stage: "ehlo")
            _ = Self.expect(socket, "QUIT")
            try? socket.write("221 bye\r\n", deadline: d, stage: "quit")
        }
        defer { server.stop() }
        let (r, _) = try Self.probe(server, timeout: 2)
        #expect(r.greeting == "220 slow.postls.test ESMTP")
        #expect(r.starttlsOffered == false)
        #expect(r.capabilitiesBeforeTLS == ["8BITMIME"])
        #expect(r.error?.phase == .starttls)
    }

    @Test func starttlsRefusedWith5xxIsReportedWithTheReply() throws {
        let server = try LoopbackServer { socket in
            let d = Deadline.after(seconds: 5)
            try? socket.write("220 odd.postls.test ESMTP\r\n", deadline: d, stage: "greeting")
            guard Self.expect(socket, "EHLO") else { return }
            try? socket.write("250-odd.postls.test\r\n250 STARTTLS\r\n", deadline: d, stage: "ehlo")
            guard Self.expect(socket, "STARTTLS") else { return }
            try? socket.write("502 5.5.1 Error: command not implemented\r\n", deadline: d, stage: "starttls")
            _ = Self.expect(socket, "QUIT")
        }
        defer { server.stop() }
        let (r, _) = try Self.probe(server)
        #expect(r.starttlsOffered == true)
        #expect(r.starttlsReply == "502 5.5.1 Error: command not implemented")
        #expect(r.error?.phase == .starttls)
        #expect(r.error?.message.contains("refused STARTTLS") == true)
        #expect(r.findings.contains { $0.cause == .starttlsUnavailable })
    }

    @Test func slowServerIsCutOffByTheListenerDeadline() throws {
        // Every reply comes 0.6 s late: within the 1 s phase timeout, but greeting + EHLO + STARTTLS exceed
        // the 1.5 s listener deadline, which must end the probe in the STARTTLS phase.
        let server = try LoopbackServer { socket in
            let d = Deadline.after(seconds: 5)
            usleep(600_000)
            try? socket.write("220 slow.postls.test ESMTP\r\n", deadline: d, stage: "greeting")
            guard Self.expect(socket, "EHLO") else { return }
            usleep(600_000)
            try? socket.write("250-slow.postls.test\r\n250 STARTTLS\r\n", deadline: d, stage: "ehlo")
            guard Self.expect(socket, "STARTTLS") else { return }
            usleep(600_000)
            try? socket.write("220 go\r\n", deadline: d, stage: "starttls")
            _ = try? socket.wait(for: Int16(POLLIN), deadline: d)
        }
        defer { server.stop() }
        let prober = try Prober(options: ProbeOptions(phaseTimeout: 1, listenerTimeout: 1.5))
        let start = Deadline.now()
        let r = prober.probe([Self.target(server)]).targets[0]
        let seconds = Double(Deadline.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        #expect(r.greeting == "220 slow.postls.test ESMTP")
        #expect(r.error?.phase == .starttls, "\(String(describing: r.error))")
        #expect(r.error?.message.contains("deadline for this listener (1.5 s) ran out") == true)
        #expect(seconds < 1.9, "took \(seconds) s with a 1.5 s listener deadline")
    }

    @Test func endlessEHLOReplyIsAnErrorNotAHang() throws {
        let server = try LoopbackServer { socket in
            let d = Deadline.after(seconds: 5)
            try? socket.write("220 endless.postls.test ESMTP\r\n", deadline: d, stage: "greeting")
            guard Self.expect(socket, "EHLO") else { return }
            for _ in 0..<500 { if (try? socket.write("250-MORE\r\n", deadline: d, stage: "ehlo")) == nil { return } }
        }
        defer { server.stop() }
        let (r, seconds) = try Self.probe(server)
        #expect(r.error?.phase == .ehlo)
        #expect(r.error?.message.contains("did not end after 100 lines") == true, "\(r.error?.message ?? "")")
        #expect(seconds < 2.0)
    }

    @Test func later421IsBackedOffAndReported() throws {
        // The first connection reaches STARTTLS and then loses the handshake, so the engine goes on to pin versions;
        // every later connection meets 421 (a connection limit).
        let counter = Counter()
        let server = try LoopbackServer { socket in
            let n = counter.next()
            let d = Deadline.after(seconds: 5)
            if n > 0 {
                try? socket.write("421 4.7.0 Too many connections\r\n", deadline: d, stage: "greeting")
                return
            }
            try? socket.write("220 busy.postls.test ESMTP\r\n", deadline: d, stage: "greeting")
            guard Self.expect(socket, "EHLO") else { return }
            try? socket.write("250-busy.postls.test\r\n250 STARTTLS\r\n", deadline: d, stage: "ehlo")
            guard Self.expect(socket, "STARTTLS") else { return }
            try? socket.write("220 go\r\n", deadline: d, stage: "starttls")
            socket.close()  // the handshake fails: the engine goes on to pin versions, which meet 421
        }
        defer { server.stop() }
        let (r, _) = try Self.probe(server)
        #expect(r.error?.phase == .handshake)
        #expect(r.findings.contains { $0.id == "rate_limited" })
        #expect(r.protocols.values.allSatisfy { $0 == .untested }, "versions met 421, not a TLS verdict: \(r.protocols)")
        #expect(r.connections == 3, "the first version probe is retried once after a pause, then the engine stops asking")
    }
}

final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next() -> Int { lock.lock(); defer { lock.unlock() }; defer { value += 1 }; return value }
}

/// Findings for the hostile cases of the reliability suite (the suite itself checks phase, message, deadline and memory).
@Suite("Probe findings for hostile servers")
struct HostileServerFindingTests {
    static func probe(_ behaviour: HostileBehaviour) throws -> ListenerProbeResult {
        let directory = try TemporaryDirectory(prefix: "postls-hostile-finding")
        let hostile = try HostileServer(behaviour, directory: directory.path)
        defer { hostile.stop() }
        let prober = try Prober(options: ProbeOptions(phaseTimeout: 2, backoffAfter421: 0.1))
        return try #require(prober.probe([ProbeTarget(host: "127.0.0.1", address: hostile.address, mode: .starttls, expectedName: nil)]).targets.first)
    }

    @Test func trickledGreetingSaysBytesCameButNoLine() throws {
        let r = try Self.probe(.oneBytePerSecond)
        #expect(r.error?.phase == .greeting)
        #expect(r.error?.message.contains("no complete line within 2 s") == true, "\(r.error?.message ?? "")")
        #expect(r.findings.contains { $0.id == "smtp_dialogue_failed" })
        #expect(!r.findings.contains { $0.cause == .plaintextOnTLSPort }, "bytes arrived: not a silent wrapper-mode port")
    }

    @Test func garbageAfterSTARTTLSIsNotReportedAsAPortMixUp() throws {
        let r = try Self.probe(.garbageInsteadOfServerHello)
        #expect(r.error?.phase == .handshake)
        #expect(r.error?.message.contains("--starttls") == false, "the port already speaks STARTTLS: \(r.error?.message ?? "")")
        #expect(r.error?.message.contains("\u{FFFD}") == false, "binary noise is not quoted")
        #expect(r.findings.contains { $0.id == "not_tls_after_starttls" && $0.cause == nil })
        #expect(!r.findings.contains { $0.cause == .plaintextOnTLSPort })
    }

    @Test func oversizedCertificateIsNamedAsSuch() throws {
        let r = try Self.probe(.megabyteCertificate)
        #expect(r.error?.phase == .handshake)
        #expect(r.error?.message.contains("larger than the 100 KB") == true, "\(r.error?.message ?? "")")
        #expect(r.error?.message.contains("excessive message size") == true, "OpenSSL's reason stays in the message")
    }
}
