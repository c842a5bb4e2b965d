import Foundation
import PostlsCore
import TLSKit

/// A TCP server on loopback that runs `handler` for every accepted connection on its own thread,
/// until stopped. The base of the test TLS servers and of the hostile servers: whatever a test needs
/// a peer to do (never speak, stall mid-handshake, send garbage) is a handler.
public final class LoopbackServer: @unchecked Sendable {
    public let listener: TCPListener
    public var address: SocketAddress { listener.address }
    private let handler: @Sendable (TCPSocket) -> Void
    private let lock = NSLock()
    private var stopped = false
    private var acceptThread: Thread?
    private let done = DispatchSemaphore(value: 0)
    private var accepted = 0
    /// Connections accepted so far (read under the lock: the accept thread writes it).
    public var connectionCount: Int { lock.lock(); defer { lock.unlock() }; return accepted }

    public init(ip: String = "127.0.0.1", port: UInt16 = 0, handler: @escaping @Sendable (TCPSocket) -> Void) throws {
        listener = try TCPListener(ip: ip, port: port)
        self.handler = handler
        let thread = Thread { [unowned self] in self.acceptLoop() }
        thread.name = "LoopbackServer \(listener.address)"
        acceptThread = thread
        thread.start()
    }

    deinit { stop() }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    private func acceptLoop() {
        while !isStopped {
            guard let client = try? listener.accept(deadline: .after(seconds: 0.1)) else { continue }
            lock.lock(); accepted += 1; lock.unlock()
            let handler = self.handler
            Thread.detachNewThread {
                // OpenSSL writes with write(2): a handler writing to a prober that has gone would raise
                // SIGPIPE and kill the whole test process. Blocked here, the write fails with EPIPE instead.
                var pipeSignal = sigset_t()
                sigemptyset(&pipeSignal)
                sigaddset(&pipeSignal, SIGPIPE)
                pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
                handler(client)
                client.close()
            }
        }
        done.signal()
    }

    public func stop() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        if !wasStopped, acceptThread != nil {
            done.wait()
            listener.close()
        }
    }

    /// A TLS server that handshakes with `context` and then runs `afterHandshake` (default: echo one line).
    public static func tls(context: TLSContext, ip: String = "127.0.0.1",
                           afterHandshake: @escaping @Sendable (TLSConnection) -> Void = { _ in }) throws -> LoopbackServer {
        try LoopbackServer(ip: ip) { socket in
            guard let tls = try? TLSConnection(context: context, socket: socket) else { return }
            guard (try? tls.handshake(deadline: .after(seconds: 5))) != nil else { return }
            afterHandshake(tls)
            tls.shutdown()
        }
    }
}
