import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit

@Suite("LoopbackServer robustness")
struct LoopbackServerTests {
    /// A TLS handler whose peer vanishes mid-write must not take the test process down with SIGPIPE
    /// (OpenSSL writes with write(2), not send(MSG_NOSIGNAL)). Before the fix this test killed the runner.
    @Test func tlsHandlerWritingToAVanishedPeerDoesNotRaiseSIGPIPE() throws {
        let directory = try TemporaryDirectory(prefix: "postls-sigpipe")
        let factory = try CertificateFactory(directory: directory.path)
        let leaf = try factory.leaf("sigpipe")
        let context = try TLSContext(role: .server, options: .init(certificateChainFile: leaf.fullChainFile, privateKeyFile: leaf.keyFile))
        let finished = DispatchSemaphore(value: 0)
        let server = try LoopbackServer { socket in
            defer { finished.signal() }
            guard let tls = try? TLSConnection(context: context, socket: socket),
                  (try? tls.handshake(deadline: .after(seconds: 5))) != nil else { return }
            usleep(200_000)  // the client has closed by now
            let line = String(repeating: "x", count: 16 * 1024) + "\r\n"
            for _ in 0..<64 { if (try? tls.write(line, deadline: .after(seconds: 2), stage: "flood")) == nil { return } }
        }
        defer { server.stop() }
        let client = try TCPSocket.connect(to: server.address, deadline: .after(seconds: 5))
        let tls = try TLSConnection(context: try TLSContext(role: .client), socket: client)
        try tls.handshake(deadline: .after(seconds: 5))
        client.close()
        #expect(finished.wait(timeout: .now() + 10) == .success, "the handler ended (its write failed with EPIPE instead of a signal)")
    }
}
