import Foundation

/// A domain name as DNS carries it: a list of labels of raw bytes. Compared case-insensitively (ASCII),
/// as RFC 4343 says; shown in presentation form without the trailing dot ("mx.example.org", "" for the root).
public struct DNSName: Sendable, Hashable, CustomStringConvertible, Comparable {
    public let labels: [[UInt8]]

    public static let root = DNSName(labels: [])
    static let maxWireLength = 255
    static let maxLabelLength = 63

    public init(labels: [[UInt8]]) { self.labels = labels }

    /// Parses presentation form ("mx.example.org", "mx.example.org.", with `\.` and `\DDD` escapes).
    /// Nil for an empty label, a label over 63 bytes or a name over 255 bytes on the wire.
    public init?(_ text: String) {
        var labels: [[UInt8]] = []
        var current: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count else { return nil }
                let d = bytes[i + 1]
                if d >= 0x30 && d <= 0x39 {
                    guard i + 3 < bytes.count else { return nil }
                    let digits = bytes[(i + 1)...(i + 3)]
                    guard digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                          let value = UInt8(String(decoding: digits, as: UTF8.self)) else { return nil }
                    current.append(value)
                    i += 4
                } else {
                    current.append(d)
                    i += 2
                }
                continue
            }
            if b == UInt8(ascii: ".") {
                // A lone "." is the root; an empty label elsewhere is invalid.
                if current.isEmpty { if bytes.count == 1 { break }; return nil }
                labels.append(current)
                current = []
            } else {
                current.append(b)
            }
            i += 1
        }
        if !current.isEmpty { labels.append(current) }
        guard labels.allSatisfy({ $0.count <= Self.maxLabelLength }) else { return nil }
        guard labels.reduce(1, { $0 + $1.count + 1 }) <= Self.maxWireLength else { return nil }
        self.labels = labels
    }

    /// Presentation form without the trailing dot; bytes outside printable ASCII and the special
    /// characters `.` `\` are escaped as `\DDD` / `\.` so the text parses back to the same name.
    public var description: String {
        labels.map { label in
            var out = ""
            for b in label {
                switch b {
                case UInt8(ascii: "."), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: ";"), UInt8(ascii: "("), UInt8(ascii: ")"):
                    out += "\\" + String(UnicodeScalar(b))
                case 0x21...0x7E:
                    out += String(UnicodeScalar(b))
                default:
                    out += "\\" + String(format: "%03d", Int(b))
                }
            }
            return out
        }.joined(separator: ".")
    }

    /// "mx.example.org." as a zone file writes it.
    public var absolute: String { description + "." }

    /// ASCII-lowercased labels: the key for comparison.
    public var canonicalLabels: [[UInt8]] {
        labels.map { $0.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 + 0x20 : $0 } }
    }

    public static func == (a: DNSName, b: DNSName) -> Bool { a.canonicalLabels == b.canonicalLabels }
    public func hash(into hasher: inout Hasher) { hasher.combine(canonicalLabels) }
    public static func < (a: DNSName, b: DNSName) -> Bool { a.description.lowercased() < b.description.lowercased() }

    /// `label.self`
    public func prepending(_ label: String) -> DNSName? { DNSName(label + "." + description) }

    /// Whether this name is `other` or below it.
    public func isSubdomain(of other: DNSName) -> Bool {
        let mine = canonicalLabels, theirs = other.canonicalLabels
        return mine.count >= theirs.count && Array(mine.suffix(theirs.count)) == theirs
    }

    /// Uncompressed wire form.
    public var wire: [UInt8] {
        var out: [UInt8] = []
        for label in labels { out.append(UInt8(label.count)); out += label }
        out.append(0)
        return out
    }

    /// The reverse-lookup name of an IPv4 or IPv6 address (`1.2.0.192.in-addr.arpa`, nibbles under `ip6.arpa`).
    public static func reverse(address: String) -> DNSName? {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            let bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return DNSName(bytes.reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa")
        }
        if inet_pton(AF_INET6, address, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            let nibbles = bytes.flatMap { [$0 >> 4, $0 & 0xF] }.reversed().map { String($0, radix: 16) }
            return DNSName(nibbles.joined(separator: ".") + ".ip6.arpa")
        }
        return nil
    }
}
