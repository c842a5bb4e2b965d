import Foundation
import PostlsCore

/// The default of `mynetworks` as Postfix computes it (mynetworks.c, own_inet_addr.c, inet_addr_local.c):
/// one pattern per address of the interfaces `inet_interfaces` names, in the families `inet_protocols`
/// allows, masked per `mynetworks_style`. Each pattern is followed by a space, the trailing one included:
/// `postconf -x` keeps it where `$mynetworks` is followed by more text (`$mynetworks, x` → `... [::1]/128 , x`).
enum MyNetworks {
    /// Nil where Postfix stops with a fatal error (a style that is not exactly one of class, subnet, host; an
    /// unknown protocol; an interface address no local interface has) or where postls does not resolve a
    /// host name in inet_interfaces; the caller then keeps `postconf -d`'s value.
    static func compute(style: String, inetInterfaces: String, inetProtocols: String, host: [InterfaceAddress]) -> String? {
        guard let families = protocols(inetProtocols) else { return nil }
        if !families.v4 && !families.v6 { return "" }
        let words = style.split(whereSeparator: { " \t\r\n,|".contains($0) })
        guard words.count == 1, let kind = Style(rawValue: words[0].lowercased()) else { return nil }
        // inet_addr_local(): the IPv4 addresses first, then the IPv6 ones, each in getifaddrs order.
        let local = host.filter { !$0.isIPv6 && families.v4 } + host.filter { $0.isIPv6 && families.v6 }
        let own: [InterfaceAddress]
        switch inetInterfaces {
        case "all":
            own = local
        case "loopback-only":
            own = local.filter(isLoopback)
        default:
            var addresses: [[UInt8]] = []
            for name in inetInterfaces.split(whereSeparator: { " \t,".contains($0) }) {
                guard let address = numericAddress(String(name)) else { return nil }  // a host name: not resolved here
                if (address.count == 4 && families.v4) || (address.count == 16 && families.v6), !addresses.contains(address) {
                    addresses.append(address)
                }
            }
            var matched: [InterfaceAddress] = []
            for address in addresses {
                guard let interface = local.first(where: { $0.address == address }) else { return nil }
                matched.append(interface)
            }
            own = matched
        }
        var patterns: [String] = []
        for interface in own {
            guard let pattern = pattern(interface, kind) else { return nil }
            patterns.append(pattern)
        }
        if patterns.count > 1 {  // duplicates dropped, first occurrence kept
            var seen: Set<String> = []
            patterns = patterns.filter { seen.insert($0).inserted }
        }
        return patterns.map { $0 + " " }.joined()
    }

    enum Style: String { case `class`, subnet, host }

    static func protocols(_ text: String) -> (v4: Bool, v6: Bool)? {
        var v4 = false, v6 = false
        for word in text.split(whereSeparator: { " \t\r\n,".contains($0) }) {
            switch word.lowercased() {
            case "all": v4 = true; v6 = true
            case "ipv4": v4 = true
            case "ipv6": v6 = true
            default: return nil
            }
        }
        return (v4, v6)
    }

    static func isLoopback(_ interface: InterfaceAddress) -> Bool {
        interface.isIPv6 ? interface.address == Array(repeating: 0, count: 15) + [1] : interface.address[0] == 127
    }

    static func numericAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: v4) { Array($0) } }
        var v6 = in6_addr()
        let bare = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        if inet_pton(AF_INET6, bare, &v6) == 1 { return withUnsafeBytes(of: v6) { Array($0) } }
        return nil
    }

    /// `a.b.c.d/N` or `[ipv6]/N` for one interface, as mynetworks_core() masks it.
    static func pattern(_ interface: InterfaceAddress, _ style: Style) -> String? {
        var address = interface.address
        let bits: Int
        if !interface.isIPv6 {
            let value = address.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            var mask = interface.mask.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            switch style {
            case .class:
                switch value >> 28 {
                case 0..<8: mask = 0xff00_0000
                case 8..<12: mask = 0xffff_0000
                case 12..<14: mask = 0xffff_ff00
                case 14: mask = 0xf000_0000
                default: return nil  // class E: "unknown address class"
                }
                bits = 32 - mask.trailingZeroBitCount
            case .subnet:
                bits = mask == 0 ? 0 : 32 - mask.trailingZeroBitCount
            case .host:
                mask = ~0; bits = 32
            }
            let net = value & mask
            return "\(net >> 24).\(net >> 16 & 255).\(net >> 8 & 255).\(net & 255)/\(bits)"
        }
        switch style {
        case .class, .subnet:  // no classes in IPv6: the subnet
            var length = 0
            for byte in interface.mask {
                if byte == 0xff { length += 8; continue }
                var remaining = byte
                while remaining != 0 { length += 1; remaining <<= 1 }
                break
            }
            bits = length
        case .host:
            bits = 128
        }
        for index in 0..<16 {  // mask_addr(): clear the host bits
            let keep = max(0, min(8, bits - index * 8))
            address[index] &= keep == 8 ? 0xff : UInt8(truncatingIfNeeded: 0xff << (8 - keep))
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: address) }
        guard inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        return "[\(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))]/\(bits)"
    }
}
