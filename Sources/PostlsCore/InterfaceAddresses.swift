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
        var out: [InterfaceAddress] = []
        var list: UnsafeMutablePointer<ifaddrs>? = nil
        guard getifaddrs(&list) == 0 else { return out }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor?.pointee {
            cursor = entry.ifa_next
            guard entry.ifa_flags & UInt32(IFF_UP) != 0, let address = entry.ifa_addr, let mask = entry.ifa_netmask else { continue }
            let bytes: (UnsafeRawPointer) -> [UInt8]
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                bytes = { pointer in withUnsafeBytes(of: pointer.load(as: sockaddr_in.self).sin_addr) { Array($0) } }
            case AF_INET6:
                bytes = { pointer in withUnsafeBytes(of: pointer.load(as: sockaddr_in6.self).sin6_addr) { Array($0) } }
            default:
                continue
            }
            let value = bytes(UnsafeRawPointer(address))
            guard value.contains(where: { $0 != 0 }) else { continue }  // INADDR_ANY, ::
            out.append(InterfaceAddress(address: value, mask: bytes(UnsafeRawPointer(mask))))
        }
        return out
    }
}
