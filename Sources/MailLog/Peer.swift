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
        // On the contiguous bytes: iterating the UTF-8 view cost more than the rest of the event's summary count.
        var address = address
        return address.withUTF8 { u in
            var colon = false, dot = false, other = false
            for b in u {
                if b == 58 { colon = true } else if b == 46 { dot = true } else if b &- 48 >= 10 { other = true }
            }
            if colon { return dot && u.count >= 7 && memcmp(u.baseAddress!, "::ffff:", 7) == 0 ? .ipv4 : .ipv6 }
            return dot && !other ? .ipv4 : .unknown
        }
    }

    public var isLoopback: Bool {
        address == "::1" || address.hasPrefix("127.") || address.hasPrefix("::ffff:127.")
    }

    /// The registrable domain of `name` (`mail-wi0-x230.google.com` → `google.com`), nil for `unknown` or no name.
    public var domain: String? { RegistrableDomain.of(name) }

    /// Parses `name[address]` or `name[address]:port` (Postfix's namaddr).
    public static func parse(namaddr: Substring) -> Peer? {
        var text = namaddr
        if let result = text.withUTF8({ parseASCII($0) }) { return result }
        return parseText(namaddr)
    }

    /// `parse(namaddr:)` on bytes, for the usual all-ASCII token; nil (not `.some(nil)`) when the token has
    /// bytes whose characters the text parser must see (non-ASCII, CR).
    static func parseASCII(_ b: UnsafeBufferPointer<UInt8>) -> Peer?? {
        var open = -1, close = -1
        for (i, c) in b.enumerated() {
            if c >= 0x80 || c == 13 { return nil }
            if open < 0 { if c == 91 { open = i } } else if close < 0 && c == 93 { close = i }
        }
        guard open >= 0, close >= 0 else { return .some(nil) }
        func text(_ s: Int, _ e: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self) }
        var addressStart = open + 1
        if close - addressStart >= 5 {
            let p = b.baseAddress! + addressStart
            if p[0] | 0x20 == 105 && p[1] | 0x20 == 112 && p[2] | 0x20 == 118 && p[3] == 54 && p[4] == 58 { addressStart += 5 } // "ipv6:"
        }
        guard close > addressStart else { return .some(nil) }
        var port: Int? = nil
        if close + 1 < b.count && b[close + 1] == 58 {
            var v = 0, j = close + 2, overflow = false
            while j < b.count && b[j] &- 48 < 10 {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int(b[j] &- 48))
                overflow = overflow || o1 || o2
                v = a
                j += 1
            }
            if j > close + 2 && !overflow { port = v }
        }
        return .some(Peer(name: text(0, open), address: text(addressStart, close), port: port))
    }

    static func parseText(_ namaddr: Substring) -> Peer? {
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

    /// The peer named after `from `, `to `, `host ` or `relay=` in a Postfix message, or by `rip=` in a Dovecot one.
    public static func find(in message: String) -> Peer? {
        // Byte search over the UTF-8 view: Foundation's range(of:) costs microseconds per call.
        var message = message
        return message.withUTF8 { b -> Peer? in
            guard let p = b.baseAddress else { return nil }
            let n = b.count
            var i = 0
            while i < n {
                // A namaddr starts after "from " or "to " at a word boundary.
                var start = -1
                if i + 6 <= n && memcmp(p + i, "relay=", 6) == 0 && (i == 0 || p[i - 1] == 32) { start = i + 6 }
                else if i + 5 <= n && memcmp(p + i, "host ", 5) == 0 && (i == 0 || p[i - 1] == 32) { start = i + 5 }
                else if i + 5 <= n && memcmp(p + i, "from ", 5) == 0 && (i == 0 || p[i - 1] == 32) { start = i + 5 }
                else if i + 3 <= n && memcmp(p + i, "to ", 3) == 0 && (i == 0 || p[i - 1] == 32) { start = i + 3 }
                if start >= 0 {
                    var e = start
                    while e < n && p[e] != 32 && p[e] != 44 && p[e] != 59 && p[e] != 41 { e += 1 }
                    var end = e
                    if end > start && p[end - 1] == 58 { end -= 1 } // "x[1.2.3.4]: -1"
                    let bytes = UnsafeBufferPointer(start: p + start, count: end - start)
                    let parsed = parseASCII(bytes) ?? parseText(String(decoding: bytes, as: UTF8.self)[...])
                    if let peer = parsed { return peer }
                    i = start
                    continue
                }
                i += 1
            }
            if let at = ByteSearch.find(p, n, "rip=", 4) {
                var e = at + 4
                while e < n && p[e] != 44 && p[e] != 32 { e += 1 }
                if e > at + 4 {
                    return Peer(name: "", address: String(decoding: UnsafeBufferPointer(start: p + at + 4, count: e - at - 4), as: UTF8.self))
                }
            }
            return nil
        }
    }
}

/// A registrable-domain heuristic without the public suffix list: the last two labels, or three when
/// the second-level label is a common generic one under a country code (`example.co.uk`).
public enum RegistrableDomain {
    static let secondLevel: Set<String> = ["co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob", "mil", "nic", "ltd", "plc", "sch", "gv", "nom"]
    /// `secondLevel`'s words packed as the bytes are read (`co` is 0x636F): compared without a String or a hash.
    private static let secondLevelKeys: [UInt32] = secondLevel.map { $0.utf8.reduce(0) { $0 << 8 | UInt32($1) } }

    public static func of(_ name: String) -> String? {
        // On bytes, lower-cased in a scratch buffer, with one String for the result: this runs for every event.
        var name = name
        return name.withUTF8 { src -> String? in
            var n = src.count
            if n > 0 && src[n - 1] == 46 { n -= 1 }
            if n == 0 { return nil }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { u -> String? in
                var allNumeric = true
                // The last three dots (-1: none).
                var last = -1, second = -1, third = -1
                for k in 0..<n {
                    var b = src[k]
                    if b &- 65 < 26 { b |= 0x20 }
                    if b == 58 { return nil }
                    if b == 46 { third = second; second = last; last = k } else if b &- 48 >= 10 { allNumeric = false }
                    u[k] = b
                }
                if allNumeric { return nil }
                if (n == 7 && memcmp(u.baseAddress!, "unknown", 7) == 0) || (n == 9 && memcmp(u.baseAddress!, "localhost", 9) == 0) { return nil }
                var from = second + 1   // 0 with fewer than two dots: the whole name
                let tld = n - last - 1, sldLength = last - second - 1
                if second >= 0 && tld == 2 && sldLength >= 2 && sldLength <= 3 {
                    var key: UInt32 = 0
                    for k in (second + 1)..<last { key = key << 8 | UInt32(u[k]) }
                    if secondLevelKeys.contains(key) { from = third + 1 }
                }
                return String(decoding: UnsafeBufferPointer(rebasing: u[from..<n]), as: UTF8.self)
            }
        }
    }
}
