import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit

@Suite("TLS handshakes over loopback with deadlines")
struct HandshakeTests {
    let dir: TemporaryDirectory
    let factory: CertificateFactory
    let leaf: IssuedCertificate

    init() throws {
        dir = try TemporaryDirectory()
        factory = try CertificateFactory(directory: dir.file("pki"))
        leaf = try factory.leaf("server", key: .rsa(bits: 2048))
    }

    func serverContext(_ options: TLSContext.Options = TLSContext.Options()) throws -> TLSContext {
        var o = options
        o.certificateChainFile = leaf.fullChainFile
        o.privateKeyFile = leaf.keyFile
        return try TLSContext(role: .server, options: o)
    }

    @Test func defaultHandshakeNegotiatesTLS13AndSeesTheServedChain() throws {
        let server = try LoopbackServer.tls(context: serverContext()) { tls in
            try? tls.write("hello\r\n", deadline: .after(seconds: 2), stage: "write")
        }
        defer { server.stop() }
        let client = try TLSContext(role: .client, options: .init(trust: .file(factory.rootFile)))
        let socket = try TCPSocket.connect(to: server.address, deadline: .after(seconds: 2))
        let tls = try TLSConnection(context: client, socket: socket, serverName: "mail.postls.test")
        try tls.handshake(deadline: .after(seconds: 5))
        let negotiated = try #require(tls.negotiated)
        #expect(negotiated.protocolVersion == "TLSv1.3")
        #expect(negotiated.cipher.hasPrefix("TLS_"))
        #expect(negotiated.group == "x25519" || negotiated.group == "X25519")
        #expect(tls.peerChain.map(\.subject) == ["CN=mail.postls.test", "CN=postls Test Intermediate CA,O=postls tests"])
        #expect(tls.verifyResult.code == 0)
        #expect(try tls.readLine(deadline: .after(seconds: 2), stage: "read") == "hello")
    }

    @Test func pinnedVersionsAreAcceptedOrRefusedAsConfigured() throws {
        let server = try LoopbackServer.tls(context: serverContext(.init(minVersion: .tls1_2, maxVersion: .tls1_2)))
        defer { server.stop() }
        func attempt(_ version: TLSVersion) throws -> Bool {
            let client = try TLSContext(role: .client, options: .init(minVersion: version, maxVersion: version, securityLevel: 0))
            let socket = try TCPSocket.connect(to: server.address, deadline: .after(seconds: 2))
            let tls = try TLSConnection(context: client, socket: socket)
            do { try tls.handshake(deadline: .after(seconds: 5)); return true } catch { return false }
        }
        #expect(try attempt(.tls1_2))
        #expect(try !attempt(.tls1_3))
        #expect(try !attempt(.tls1))
    }

    @Test func refusedVersionCarriesOpenSSLReason() throws {
        let server = try LoopbackServer.tls(context: serverContext(.init(minVersion: .tls1_3)))
        defer { server.stop() }
        let client = try TLSContext(role: .client, options: .init(maxVersion: .tls1_2))
        let socket = try TCPSocket.connect(to: server.address, deadline: .after(seconds: 2))
        let tls = try TLSConnection(context: client, socket: socket)
        do {
            try tls.handshake(deadline: .after(seconds: 5))
            Issue.record("handshake should fail")
        } catch let error as TLSKitError {
            #expect(error.opensslErrors.contains { $0.reason == "tlsv1 alert protocol version" }, "\(error)")
        }
    }

    @Test func aPeerThatNeverAnswersTheClientHelloTimesOutInTime() throws {
        // Reads the ClientHello and then sits silent: what a path-MTU black hole looks like from the client.
        let server = try LoopbackServer { socket in
            _ = try? socket.wait(for: Int16(POLLIN), deadline: .after(seconds: 1))
            usleep(3_000_000)
        }
        defer { server.stop() }
        let client = try TLSContext(role: .client)
        let socket = try TCPSocket.connect(to: server.address, deadline: .after(seconds: 2))
        let tls = try TLSConnection(context: client, socket: socket)
        let start = Deadline.now()
        #expect(throws: TLSKitError.timeout(stage: "SSLv3/TLS write client hello")) {
            try tls.handshake(deadline: .after(seconds: 0.5))
        }
        let elapsed = Double(Deadline.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        #expect(elapsed < 1.5)
        #expect(tls.tlsBytesReceived == 0)
        #expect(tls.tlsBytesSent > 100)
    }

    @Test func connectToAClosedPortFailsWithConnectionRefused() throws {
        let port = freePort()
        let address = try #require(SocketAddress(ip: "127.0.0.1", port: port))
        #expect(throws: TLSKitError.socket(operation: "connect to 127.0.0.1:\(port)", errno: ECONNREFUSED)) {
            try TCPSocket.connect(to: address, deadline: .after(seconds: 2))
        }
    }

    @Test func anEndlessLineIsCutAtTheLimit() throws {
        let server = try LoopbackServer { socket in
            let junk = [UInt8](repeating: 0x41, count: 64 * 1024)
            for _ in 0..<4 { try? socket.write(junk, deadline: .after(seconds: 1), stage: "junk") }
        }
        defer { server.stop() }
        let socket = try TCPSocket.connect(to: server.address, deadline: .after(seconds: 2))
        #expect(throws: TLSKitError.tooLarge(limit: 8192)) {
            _ = try socket.readLine(deadline: .after(seconds: 2), stage: "greeting")
        }
    }

    @Test func addressesResolveForLiteralsAndLocalhost() throws {
        #expect(try SocketAddress.resolve(host: "127.0.0.1", port: 25) == [SocketAddress(ip: "127.0.0.1", port: 25)!])
        #expect(try SocketAddress.resolve(host: "[::1]", port: 25).first?.family == .ipv6)
        #expect(try SocketAddress.resolve(host: "localhost", port: 25).contains { $0.ip == "127.0.0.1" })
        #expect(throws: TLSKitError.self) { try SocketAddress.resolve(host: "no-such-host.invalid", port: 25) }
    }
}
