import Foundation
import PostlsCore
import TLSKit

/// A receiving SMTP server on loopback for tests of Postfix's smtp client: it offers STARTTLS with the given
/// certificate (or no STARTTLS at all when `context` is nil) and accepts every message, so a delivery succeeds
/// whenever the client's TLS policy lets it. `openssl s_server` cannot do this: its `-starttls` is client-only.
public final class SMTPSink: @unchecked Sendable {
    public let server: LoopbackServer
    public var port: UInt16 { server.address.port }
    /// Messages accepted (end of DATA answered 250).
    public var delivered: Int { lock.lock(); defer { lock.unlock() }; return count }
    private let lock = NSLock()
    private var count = 0

    /// `certificate`: a chain file and key file to serve after STARTTLS; nil offers no STARTTLS.
    public init(certificate: (chainFile: String, keyFile: String)?) throws {
        let context = try certificate.map {
            try TLSContext(role: .server, options: .init(certificateChainFile: $0.chainFile, privateKeyFile: $0.keyFile))
        }
        let box = Box()
        server = try LoopbackServer { socket in box.sink?.serve(socket, context: context) }
        box.sink = self
    }

    public func stop() { server.stop() }

    private final class Box: @unchecked Sendable { weak var sink: SMTPSink? }

    private func serve(_ socket: TCPSocket, context: TLSContext?) {
        let end = Deadline.after(seconds: 20)
        _ = try? socket.write("220 sink.postls.test ESMTP postls-sink\r\n", deadline: end, stage: "greeting")
        var tls: TLSConnection?
        func read() -> String? {
            if let tls { return (try? tls.readLine(deadline: end, maxLength: 1 << 16, stage: "smtp")) ?? nil }
            return (try? socket.readLine(deadline: end, maxLength: 1 << 16, stage: "smtp")) ?? nil
        }
        func write(_ s: String) -> Bool {
            if let tls { return (try? tls.write(s, deadline: end, stage: "smtp")) != nil }
            return (try? socket.write(s, deadline: end, stage: "smtp")) != nil
        }
        while let line = read() {
            let command = line.uppercased()
            if command.hasPrefix("EHLO") {
                let starttls = context != nil && tls == nil ? "250-STARTTLS\r\n" : ""
                guard write("250-sink.postls.test\r\n250-PIPELINING\r\n\(starttls)250 8BITMIME\r\n") else { break }
            } else if command.hasPrefix("HELO") || command.hasPrefix("MAIL") || command.hasPrefix("RCPT") || command.hasPrefix("RSET") || command.hasPrefix("NOOP") {
                guard write("250 2.0.0 Ok\r\n") else { break }
            } else if command.hasPrefix("STARTTLS"), let context, tls == nil {
                guard write("220 2.0.0 Ready to start TLS\r\n"), let connection = try? TLSConnection(context: context, socket: socket),
                      (try? connection.handshake(deadline: end)) != nil else { break }
                tls = connection
            } else if command.hasPrefix("DATA") {
                guard write("354 End data with <CR><LF>.<CR><LF>\r\n") else { break }
                while let body = read(), body != "." {}
                lock.lock(); count += 1; lock.unlock()
                guard write("250 2.0.0 Ok: queued\r\n") else { break }
            } else if command.hasPrefix("QUIT") {
                _ = write("221 2.0.0 Bye\r\n")
                break
            } else {
                guard write("502 5.5.2 Error: command not recognized\r\n") else { break }
            }
        }
        tls?.shutdown()
    }
}
