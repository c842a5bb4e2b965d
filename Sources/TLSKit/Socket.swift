import Foundation
import PostlsCore

/// An IP address and port, IPv4 or IPv6.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: String, Sendable, Codable { case ipv4 = "IPv4", ipv6 = "IPv6" }

    public let ip: String
    public let port: UInt16
    public let family: Family

    /// A numeric address; nil if `ip` is not an IPv4 or IPv6 literal.
    public init?(ip: String, port: UInt16) {
        let bare = ip.hasPrefix("[") && ip.hasSuffix("]") ? String(ip.dropFirst().dropLast()) : ip
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 { family = .ipv4 }
        else if inet_pton(AF_INET6, bare, &v6) == 1 { family = .ipv6 }
        else { return nil }
        self.ip = bare
        self.port = port
    }

    /// "127.0.0.1:25" or "[::1]:25"
    public var description: String { family == .ipv6 ? "[\(ip)]:\(port)" : "\(ip):\(port)" }

    /// All addresses of `host` (A and AAAA) via the system resolver, IPv4 first, duplicates removed.
    /// A literal address resolves to itself without a lookup.
    public static func resolve(host: String, port: UInt16) throws -> [SocketAddress] {
        if let literal = SocketAddress(ip: host, port: port) { return [literal] }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>? = nil
        let rc = getaddrinfo(host, nil, &hints, &result)
        guard rc == 0 else { throw TLSKitError.resolve(host: host, message: String(cString: gai_strerror(rc))) }
        defer { freeaddrinfo(result) }
        var out: [SocketAddress] = []
        var node = result
        while let info = node?.pointee {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.ai_addr, info.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if let address = SocketAddress(ip: text, port: port), !out.contains(address) { out.append(address) }
            }
            node = info.ai_next
        }
        return out.sorted { ($0.family == .ipv4 ? 0 : 1) < ($1.family == .ipv4 ? 0 : 1) }
    }

    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> T) rethrows -> T {
        switch family {
        case .ipv4:
            var sin = sockaddr_in()
            (sin.sin_family, sin.sin_port) = (sa_family_t(AF_INET), port.bigEndian)
            inet_pton(AF_INET, ip, &sin.sin_addr)
            return try Self.asSockaddr(&sin, body)
        case .ipv6:
            var sin6 = sockaddr_in6()
            (sin6.sin6_family, sin6.sin6_port) = (sa_family_t(AF_INET6), port.bigEndian)
            inet_pton(AF_INET6, ip, &sin6.sin6_addr)
            return try Self.asSockaddr(&sin6, body)
        }
    }

    /// A `sockaddr_in` or `sockaddr_in6` passed as the `sockaddr` pointer and length the socket calls take.
    private static func asSockaddr<Address, T>(_ address: inout Address, _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> T) rethrows -> T {
        try withUnsafePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<Address>.size)) }
        }
    }
}

/// A non-blocking TCP socket whose every operation has a deadline (poll-based). Owns its descriptor.
public final class TCPSocket: @unchecked Sendable {
    public let fd: Int32
    public let remote: SocketAddress?
    /// Bytes read from the socket but not yet consumed as lines.
    private var buffer: [UInt8] = []
    private var closed = false
    /// Total bytes received and sent, for "how far did it get" reporting.
    public private(set) var bytesReceived = 0
    public private(set) var bytesSent = 0

    init(fd: Int32, remote: SocketAddress?) {
        self.fd = fd
        self.remote = remote
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close() }

    public func close() {
        if !closed { closed = true; _ = Glibc.close(fd) }
    }

    /// The local address and port of a connected socket: the source the server sees (nil before connect).
    public var localAddress: SocketAddress? { SocketAddress.local(of: fd) }

    /// Connects before `deadline`.
    public static func connect(to address: SocketAddress, deadline: Deadline) throws -> TCPSocket {
        let fd = socket(address.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TLSKitError.socket(operation: "socket", errno: errno) }
        let sock = TCPSocket(fd: fd, remote: address)
        let rc = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if rc != 0 {
            guard errno == EINPROGRESS else { throw TLSKitError.socket(operation: "connect to \(address)", errno: errno) }
            guard try sock.wait(for: Int16(POLLOUT), deadline: deadline) else { throw TLSKitError.timeout(stage: "connect") }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 { throw TLSKitError.socket(operation: "connect to \(address)", errno: error) }
        }
        return sock
    }

    /// Waits until the descriptor is ready for `events`; false when the deadline passed.
    public func wait(for events: Int16, deadline: Deadline) throws -> Bool {
        while true {
            var p = pollfd(fd: fd, events: events, revents: 0)
            let timeout = deadline.remainingMilliseconds
            let rc = poll(&p, 1, timeout)
            if rc > 0 { return true }
            if rc == 0 { return false }
            if errno == EINTR { if deadline.hasPassed { return false }; continue }
            throw TLSKitError.socket(operation: "poll", errno: errno)
        }
    }

    /// Writes all bytes before the deadline.
    public func write(_ bytes: [UInt8], deadline: Deadline, stage: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 { offset += n; bytesSent += n; continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                guard try wait(for: Int16(POLLOUT), deadline: deadline) else { throw TLSKitError.timeout(stage: stage) }
                continue
            }
            if n < 0 && (errno == EPIPE || errno == ECONNRESET) { throw TLSKitError.closed(stage: stage) }
            throw TLSKitError.socket(operation: "send", errno: errno)
        }
    }

    public func write(_ text: String, deadline: Deadline, stage: String) throws {
        try write(Array(text.utf8), deadline: deadline, stage: stage)
    }

    /// Reads one line (without CR LF). Returns nil at EOF with nothing buffered.
    /// Bytes are decoded leniently; a line longer than `maxLength` throws `tooLarge`.
    public func readLine(deadline: Deadline, maxLength: Int = 8192, stage: String) throws -> String? {
        while true {
            if let line = takeLine(from: &buffer) { return line }
            if buffer.count > maxLength { throw TLSKitError.tooLarge(limit: maxLength) }
            let n = try receiveSome(deadline: deadline, stage: stage)
            if n == 0 {
                if buffer.isEmpty { return nil }
                let line = buffer
                buffer.removeAll()
                return String(decoding: line, as: UTF8.self)
            }
        }
    }

    /// Reads exactly `count` bytes (binary protocols such as DNS over TCP). Throws `closed` when the peer
    /// closes first, `timeout` when the deadline passes.
    public func read(count: Int, deadline: Deadline, stage: String) throws -> [UInt8] {
        while buffer.count < count {
            if try receiveSome(deadline: deadline, stage: stage) == 0 { throw TLSKitError.closed(stage: stage) }
        }
        let out = Array(buffer[0..<count])
        buffer.removeSubrange(0..<count)
        return out
    }

    /// Bytes buffered beyond the last line read: must be zero before a STARTTLS handshake.
    public var bufferedByteCount: Int { buffer.count }

    private func receiveSome(deadline: Deadline, stage: String) throws -> Int {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { buffer.append(contentsOf: chunk[0..<n]); bytesReceived += n; return n }
            if n == 0 { return 0 }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                guard try wait(for: Int16(POLLIN), deadline: deadline) else { throw TLSKitError.timeout(stage: stage) }
                continue
            }
            if errno == ECONNRESET { throw TLSKitError.closed(stage: stage) }
            throw TLSKitError.socket(operation: "recv", errno: errno)
        }
    }
}

/// A listening TCP socket on loopback or any address (used by the demo endpoint and test servers).
public final class TCPListener: @unchecked Sendable {
    public let fd: Int32
    public let address: SocketAddress
    private var closed = false

    /// Binds to `ip` and `port` (0 picks a free port).
    public init(ip: String, port: UInt16 = 0, backlog: Int32 = 64) throws {
        guard let requested = SocketAddress(ip: ip, port: port) else {
            throw TLSKitError.resolve(host: ip, message: "not an IP address")
        }
        let fd = socket(requested.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TLSKitError.socket(operation: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if requested.family == .ipv6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        guard requested.withSockaddr({ bind(fd, $0, $1) }) == 0 else {
            let e = errno; _ = Glibc.close(fd)
            throw TLSKitError.socket(operation: "bind \(requested)", errno: e)
        }
        guard listen(fd, backlog) == 0 else {
            let e = errno; _ = Glibc.close(fd)
            throw TLSKitError.socket(operation: "listen", errno: e)
        }
        self.fd = fd
        self.address = SocketAddress(ip: requested.ip, port: boundPort(of: fd, family: requested.family)) ?? requested
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close() }

    public func close() { if !closed { closed = true; _ = Glibc.close(fd) } }

    /// Accepts one connection before the deadline; nil on timeout.
    public func accept(deadline: Deadline) throws -> TCPSocket? {
        while true {
            let client = Glibc.accept(fd, nil, nil)
            if client >= 0 {
                // Close-on-exec at once (Glibc's module has no accept4): a child another thread spawns must not
                // inherit the connection and hold it open after it is closed here (the peer would see a stall).
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                return TCPSocket(fd: client, remote: nil)
            }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let rc = poll(&p, 1, deadline.remainingMilliseconds)
                if rc == 0 { return nil }
                if rc < 0 && errno != EINTR { throw TLSKitError.socket(operation: "poll", errno: errno) }
                continue
            }
            if closed { return nil }
            throw TLSKitError.socket(operation: "accept", errno: errno)
        }
    }
}

extension SocketAddress {
    /// The address `getsockname(2)` gives for `fd`; an IPv4-mapped IPv6 address comes back as IPv4.
    static func local(of fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard rc == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let (ok, port): (Bool, UInt16) = withUnsafeMutablePointer(to: &storage) { p in
            if Int32(p.pointee.ss_family) == AF_INET {
                return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    (inet_ntop(AF_INET, &sin.pointee.sin_addr, &text, socklen_t(text.count)) != nil, UInt16(bigEndian: sin.pointee.sin_port))
                }
            }
            return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                (inet_ntop(AF_INET6, &sin6.pointee.sin6_addr, &text, socklen_t(text.count)) != nil, UInt16(bigEndian: sin6.pointee.sin6_port))
            }
        }
        guard ok else { return nil }
        var ip = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if ip.hasPrefix("::ffff:"), SocketAddress(ip: String(ip.dropFirst(7)), port: 0)?.family == .ipv4 { ip = String(ip.dropFirst(7)) }
        return SocketAddress(ip: ip, port: port)
    }

    /// The source address the kernel would use to reach `self`, found by connecting a UDP socket (which sends
    /// nothing); nil when there is no route.
    public var sourceAddress: SocketAddress? {
        guard let udp = try? UDPSocket(connectedTo: SocketAddress(ip: ip, port: port == 0 ? 9 : port) ?? self) else { return nil }
        defer { udp.close() }
        return SocketAddress.local(of: udp.fd)
    }
}

/// The local port a socket was bound to (port 0 asks the kernel to pick one).
func boundPort(of fd: Int32, family: SocketAddress.Family) -> UInt16 {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return withUnsafePointer(to: &storage) { p in
        family == .ipv4
            ? p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            : p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
    }
}

/// The first complete line in `buffer` (CR LF or LF stripped, decoded leniently), removed from it; nil when
/// no newline has arrived yet. The line reader of both the plain socket and the TLS connection.
func takeLine(from buffer: inout [UInt8]) -> String? {
    guard let newline = buffer.firstIndex(of: 0x0A) else { return nil }
    var line = Array(buffer[..<newline])
    buffer.removeSubrange(...newline)
    if line.last == 0x0D { line.removeLast() }
    return String(decoding: line, as: UTF8.self)
}
