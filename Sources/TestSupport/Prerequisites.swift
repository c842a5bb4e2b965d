import Foundation
import PostlsCore

/// Decides whether tests that need a real tool run. Locally a missing tool skips the test; under CI
/// (`CI` set) the test runs anyway and fails loudly, so CI can never pass by silently skipping.
public enum Prerequisites {
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty && $0 != "0" && $0 != "false" } ?? false }

    public static func has(_ program: String) -> Bool { findExecutable(program) != nil }

    /// Real Postfix usable by the harness: the binaries and root (master and smtpd need it).
    public static var postfix: Bool { isCI || (has("postfix") && has("postconf") && getuid() == 0) }
    public static var postconf: Bool { isCI || has("postconf") }
    public static var openssl: Bool { isCI || has("openssl") }
    public static var swaks: Bool { isCI || has("swaks") }
    /// NSD, Unbound and BIND's signing tools for the real-DNS tests (apt: nsd unbound bind9-utils).
    public static var dnsServers: Bool {
        isCI || (has("nsd") && has("unbound") && has("dnssec-keygen") && has("dnssec-signzone"))
    }
    /// Debian's prometheus-node-exporter and python3 to scrape it (the fleet-monitoring test).
    public static var nodeExporter: Bool { isCI || (has("prometheus-node-exporter") && has("python3")) }
    public static var dovecot: Bool { isCI || (has("dovecot") && getuid() == 0) }

    /// Whether the loopback interface has ::1 (IPv6 tests need it).
    public static var ipv6Loopback: Bool {
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in6()
        addr.sin6_family = sa_family_t(AF_INET6)
        addr.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        } == 0
    }
}

/// A free TCP port on `ip`, for a server that binds it later (Postfix, Dovecot).
///
/// Chosen at random below the kernel's ephemeral range (32768+): a port picked by binding port 0 could be
/// handed by the kernel to another test's `bind(0)` between our release and the server's bind.
public func freePort(on ip: String = "127.0.0.1") -> UInt16 {
    for _ in 0..<200 {
        let candidate = UInt16.random(in: 20_000..<32_000)
        if portIsFree(candidate, on: ip) { return candidate }
    }
    return kernelAssignedPort(on: ip)
}

func portIsFree(_ port: UInt16, on ip: String) -> Bool {
    let family = ip.contains(":") ? AF_INET6 : AF_INET
    let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    if family == AF_INET {
        var sin = sockaddr_in(); sin.sin_family = sa_family_t(AF_INET); sin.sin_port = port.bigEndian
        inet_pton(AF_INET, ip, &sin.sin_addr)
        return withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }
    var sin6 = sockaddr_in6(); sin6.sin6_family = sa_family_t(AF_INET6); sin6.sin6_port = port.bigEndian
    inet_pton(AF_INET6, ip, &sin6.sin6_addr)
    return withUnsafePointer(to: &sin6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } } == 0
}

func kernelAssignedPort(on ip: String) -> UInt16 {
    let family = ip.contains(":") ? AF_INET6 : AF_INET
    let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var storage = sockaddr_storage()
    var length: socklen_t
    if family == AF_INET {
        var sin = sockaddr_in(); sin.sin_family = sa_family_t(AF_INET); inet_pton(AF_INET, ip, &sin.sin_addr)
        length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: withUnsafeBytes(of: &sin) { Array($0) }) }
    } else {
        var sin6 = sockaddr_in6(); sin6.sin6_family = sa_family_t(AF_INET6); inet_pton(AF_INET6, ip, &sin6.sin6_addr)
        length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: withUnsafeBytes(of: &sin6) { Array($0) }) }
    }
    let bound = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    guard bound == 0 else { return 0 }
    var actual = sockaddr_storage()
    var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) } }
    return withUnsafePointer(to: &actual) { p in
        family == AF_INET
            ? p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
            : p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
    }
}
