import Foundation

/// IPv4 or IPv6, from the address a line names.
public enum AddressFamily: String, Sendable, Codable, Hashable, CaseIterable {
    case ipv4, ipv6, unknown
}

/// The other end of a connection, as Postfix logs it (`mail-wi0-x230.google.com[2a00:1450:4864:20::230]:25`)
/// or as Dovecot does (`rip=192.0.2.7`).
public struct Peer: Sendable, Hashable, Codable {
    /// The reverse-DNS name, `unknown` when it did not resolve, empty when not logged.
    public var name: String
    public var address: String
    public var port: Int?

    public init(name: String, address: String, port: Int? = nil) {
        self.name = name; self.address = address; self.port = port
    }

    public var family: AddressFamily {
        if address.hasPrefix("::ffff:") && address.contains(".") { return .ipv4 }
        if address.contains(":") { return .ipv6 }
        if address.contains(".") && address.allSatisfy({ $0.isNumber || $0 == "." }) { return .ipv4 }
        return .unknown
    }

    public var isLoopback: Bool {
        address == "::1" || address.hasPrefix("127.") || address.hasPrefix("::ffff:127.")
    }

    /// The registrable domain of `name` (`mail-wi0-x230.google.com` → `google.com`), nil for `unknown` or no name.
    public var domain: String? { RegistrableDomain.of(name) }

    /// Parses `name[address]` or `name[address]:port` (Postfix's namaddr).
    public static func parse(namaddr: Substring) -> Peer? {
        guard let open = namaddr.firstIndex(of: "["), let close = namaddr[open...].firstIndex(of: "]") else { return nil }
        let name = String(namaddr[..<open])
        var address = String(namaddr[namaddr.index(after: open)..<close])
        if address.lowercased().hasPrefix("ipv6:") { address = String(address.dropFirst(5)) }
        var port: Int? = nil
        let rest = namaddr[namaddr.index(after: close)...]
        if rest.first == ":" { port = Int(rest.dropFirst().prefix { $0.isNumber }) }
        guard !address.isEmpty else { return nil }
        return Peer(name: name, address: address, port: port)
    }

    /// The peer named after `from ` or `to ` in a Postfix message, or by `rip=` in a Dovecot one.
    public static func find(in message: String) -> Peer? {
        for marker in [" from ", " to ", "from ", "to "] {
            var search = message[...]
            while let r = search.range(of: marker) {
                let after = search[r.upperBound...]
                let token = after.prefix { $0 != " " && $0 != "," && $0 != ";" && $0 != ")" }
                // The namaddr may end with ':' before the message text (`... from x[1.2.3.4]: -1`).
                var t = token
                if t.last == ":" { t = t.dropLast() }
                if let peer = parse(namaddr: t) { return peer }
                search = after
            }
        }
        if let r = message.range(of: "rip=") {
            let addr = message[r.upperBound...].prefix { $0 != "," && $0 != " " }
            if !addr.isEmpty { return Peer(name: "", address: String(addr)) }
        }
        return nil
    }
}

/// A registrable-domain heuristic without the public suffix list: the last two labels, or three when
/// the second-level label is a common generic one under a country code (`example.co.uk`).
public enum RegistrableDomain {
    static let secondLevel: Set<String> = ["co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob", "mil", "nic", "ltd", "plc", "sch", "gv", "nom"]

    public static func of(_ name: String) -> String? {
        var host = name.lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        if host.isEmpty || host == "unknown" || host == "localhost" { return nil }
        if host.allSatisfy({ $0.isNumber || $0 == "." }) || host.contains(":") { return nil }
        let labels = host.split(separator: ".")
        if labels.count <= 2 { return host }
        let tld = labels[labels.count - 1], sld = labels[labels.count - 2]
        if tld.count == 2 && secondLevel.contains(String(sld)) {
            return labels.suffix(3).joined(separator: ".")
        }
        return labels.suffix(2).joined(separator: ".")
    }
}
