import Foundation

/// One address of a network interface that is up, with its netmask, as Postfix's inet_addr_local() lists
/// them (getifaddrs order; interfaces that are down, wildcard addresses and null netmasks skipped).
public struct InterfaceAddress: Sendable, Hashable {
    /// 4 bytes (IPv4) or 16 (IPv6), network order.
    public var address: [UInt8]
    /// The netmask, as long as `address`.
    public var mask: [UInt8]

    public init(address: [UInt8], mask: [UInt8]) { self.address = address; self.mask = mask }

    public var isIPv6: Bool { address.count == 16 }

    /// This machine's interface addresses; empty when getifaddrs fails.
    public static func current() -> [InterfaceAddress] {
        InterfaceEntry.all().compactMap { entry in
            guard entry.isUp, let mask = entry.mask, entry.address.contains(where: { $0 != 0 }) else { return nil }  // INADDR_ANY, ::
            return InterfaceAddress(address: entry.address, mask: mask)
        }
    }
}

/// One IPv4 or IPv6 address of an interface, up or down, in getifaddrs order: the one walk of getifaddrs that
/// Postfix's computed defaults, the probe's "is this host" test and the defaults cache's key all read.
public struct InterfaceEntry: Sendable, Hashable {
    public var name: String
    public var isUp: Bool
    /// 4 bytes (IPv4) or 16 (IPv6), network order.
    public var address: [UInt8]
    /// The netmask, as long as `address`, when the interface has one.
    public var mask: [UInt8]?

    /// The address as text (`192.0.2.1`, `2001:db8::1`; no zone).
    public var text: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = address.count == 16 ? AF_INET6 : AF_INET
        let ok = address.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) } != nil
        return ok ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }

    /// Every IPv4 and IPv6 interface address; empty when getifaddrs fails.
    public static func all() -> [InterfaceEntry] {
        var out: [InterfaceEntry] = []
        var list: UnsafeMutablePointer<ifaddrs>? = nil
        guard getifaddrs(&list) == 0 else { return out }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor?.pointee {
            cursor = entry.ifa_next
            guard let address = entry.ifa_addr else { continue }
            let bytes: (UnsafeRawPointer) -> [UInt8]
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                bytes = { pointer in withUnsafeBytes(of: pointer.load(as: sockaddr_in.self).sin_addr) { Array($0) } }
            case AF_INET6:
                bytes = { pointer in withUnsafeBytes(of: pointer.load(as: sockaddr_in6.self).sin6_addr) { Array($0) } }
            default:
                continue
            }
            out.append(InterfaceEntry(name: String(cString: entry.ifa_name), isUp: entry.ifa_flags & UInt32(IFF_UP) != 0,
                                      address: bytes(UnsafeRawPointer(address)),
                                      mask: entry.ifa_netmask.map { bytes(UnsafeRawPointer($0)) }))
        }
        return out
    }
}
