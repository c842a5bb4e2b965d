import Foundation

/// A hash of a message with the addresses in its square brackets left out: `lost connection after STARTTLS from
/// unknown[192.0.2.7]` and `... unknown[2001:db8::1]` hash alike.
///
/// What the signals (`LineFacts.recognize`) and the message table (`LogMessageCatalog.matchIndices`) make of a line
/// does not depend on such an address (MessageShapeTests holds it for every row's example), so the analyzer works
/// a line out once per shape: the same few messages repeat for every peer.
enum MessageShape {
    /// Bytes of an IPv4 or IPv6 address as Postfix logs it in brackets (hex digits, `.` and `:`).
    @inline(__always)
    static func isAddressByte(_ b: UInt8) -> Bool {
        b &- 48 < 10 || (b | 0x20) &- 97 < 6 || b == 46 || b == 58
    }

    /// The longest bracketed text taken for an address (an IPv6 address with an embedded IPv4 one is 45 bytes).
    static let maxAddressLength = 45

    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        var start = 0   // the first byte not hashed yet
        var i = 0
        while i < n, let q = memchr(p + i, 0x5B, n - i) {   // '['
            let open = UnsafeRawPointer(p).distance(to: UnsafeRawPointer(q))
            var j = open + 1
            while j < n && j - open <= maxAddressLength && isAddressByte(p[j]) { j += 1 }
            if j > open + 1 && j < n && p[j] == 0x5D {       // ']' closing a non-empty address
                h = (h ^ HandshakeTally.hash(p, start, open + 1)) &* 0x9E37_79B9_7F4A_7C15
                h ^= h >> 29
                start = j
            }
            i = j
        }
        h = (h ^ HandshakeTally.hash(p, start, n)) &* 0x9E37_79B9_7F4A_7C15
        return h ^ (h >> 32)
    }

    static func hash(_ message: String) -> UInt64 {
        var copy = message
        return copy.withUTF8 { u in u.baseAddress.map { hash($0, u.count) } ?? 0 }
    }
}

/// What the analyzer worked out per message shape, up to `limit` shapes: past it, new shapes are worked out every
/// time (memory stays bounded whatever the log holds).
struct ShapeMemo<Value> {
    private var slots = HashSlots()
    private var values: [Value] = []
    let limit: Int

    init(limit: Int = 4096) { self.limit = limit }

    /// The value remembered for `key`, else `compute()`, remembered while there is room.
    @inline(__always)
    mutating func value(for key: UInt64, _ compute: () -> Value) -> Value {
        if let known = slots.find(key) { return values[known] }
        let value = compute()
        if values.count < limit {
            slots.insert(key, values.count)
            values.append(value)
        }
        return value
    }
}
