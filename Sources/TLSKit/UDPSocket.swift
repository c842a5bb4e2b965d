import Foundation
import PostlsCore

/// A connected, non-blocking UDP socket whose receive has a deadline (poll-based). Owns its descriptor.
/// Used by the DNS client: one socket per query, so late answers to an earlier query never mix in.
public final class UDPSocket: @unchecked Sendable {
    public let fd: Int32
    public let remote: SocketAddress
    private var closed = false

    /// Creates a socket connected to `remote`: the kernel then drops datagrams from any other source.
    public init(connectedTo remote: SocketAddress) throws {
        let fd = socket(remote.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TLSKitError.socket(operation: "socket", errno: errno) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        guard remote.withSockaddr({ Glibc.connect(fd, $0, $1) }) == 0 else {
            let e = errno; _ = Glibc.close(fd)
            throw TLSKitError.socket(operation: "connect to \(remote)", errno: e)
        }
        self.fd = fd
        self.remote = remote
    }

    deinit { close() }

    public func close() { if !closed { closed = true; _ = Glibc.close(fd) } }

    /// Sends one datagram.
    public func send(_ bytes: [UInt8]) throws {
        while true {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n >= 0 { return }
            if errno == EINTR { continue }
            throw TLSKitError.socket(operation: "send to \(remote)", errno: errno)
        }
    }

    /// Receives one datagram (at most `maxLength` bytes; the rest of a longer one is discarded by the kernel).
    /// Throws `timeout` when nothing arrives before the deadline; an ICMP port-unreachable surfaces as
    /// `socket(ECONNREFUSED)`.
    public func receive(maxLength: Int = 65_535, deadline: Deadline) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maxLength)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if n >= 0 { return Array(buffer[0..<n]) }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let rc = poll(&p, 1, deadline.remainingMilliseconds)
                if rc == 0 { throw TLSKitError.timeout(stage: "waiting for a UDP answer from \(remote)") }
                if rc < 0 && errno != EINTR { throw TLSKitError.socket(operation: "poll", errno: errno) }
                continue
            }
            throw TLSKitError.socket(operation: "receive from \(remote)", errno: errno)
        }
    }
}

/// A UDP socket bound to a local address, for test servers (a silent or scripted DNS port).
public final class UDPListener: @unchecked Sendable {
    public let fd: Int32
    public let address: SocketAddress
    private var closed = false

    /// Binds to `ip` and `port` (0 picks a free port).
    public init(ip: String, port: UInt16 = 0) throws {
        guard let requested = SocketAddress(ip: ip, port: port) else {
            throw TLSKitError.resolve(host: ip, message: "not an IP address")
        }
        let fd = socket(requested.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TLSKitError.socket(operation: "socket", errno: errno) }
        guard requested.withSockaddr({ bind(fd, $0, $1) }) == 0 else {
            let e = errno; _ = Glibc.close(fd)
            throw TLSKitError.socket(operation: "bind \(requested)", errno: e)
        }
        self.fd = fd
        self.address = SocketAddress(ip: requested.ip, port: boundPort(of: fd, family: requested.family)) ?? requested
    }

    deinit { close() }

    public func close() { if !closed { closed = true; _ = Glibc.close(fd) } }
}
