import Foundation

/// Substring search on bytes. glibc's memmem needs _GNU_SOURCE, which Swift does not see, so:
/// memchr on the first byte (vectorised in glibc), then memcmp.
enum ByteSearch {
    @inline(__always)
    static func contains(_ p: UnsafePointer<UInt8>, _ n: Int, _ s: StaticString) -> Bool {
        find(p, n, s.utf8Start, s.utf8CodeUnitCount) != nil
    }

    @inline(__always)
    static func find(_ p: UnsafePointer<UInt8>, _ n: Int, _ needle: UnsafePointer<UInt8>, _ len: Int) -> Int? {
        guard len > 0, n >= len else { return nil }
        let first = Int32(needle.pointee)
        var i = 0
        let last = n - len
        while i <= last, let hit = memchr(p + i, first, last - i + 1) {
            let at = UnsafeRawPointer(p).distance(to: UnsafeRawPointer(hit))
            if memcmp(p + at, needle, len) == 0 { return at }
            i = at + 1
        }
        return nil
    }
}

extension String {
    /// Substring test on UTF-8 bytes, much cheaper than Foundation's `contains(_:)` on Linux.
    func utf8Contains(_ needle: String) -> Bool {
        var hay = self, nee = needle
        return hay.withUTF8 { h in
            nee.withUTF8 { n in
                guard let hp = h.baseAddress, let np = n.baseAddress else { return n.isEmpty }
                return ByteSearch.find(hp, h.count, np, n.count) != nil
            }
        }
    }

    /// The text after the last occurrence of `separator`, if any.
    func utf8Suffix(afterLast separator: UInt8, followedBySpace: Bool) -> Substring? {
        let u = utf8
        var i = u.endIndex
        while i > u.startIndex {
            let j = u.index(before: i)
            if u[j] == separator && (!followedBySpace || (i < u.endIndex && u[i] == 32)) {
                let start = followedBySpace ? u.index(after: i) : i
                return self[start...]
            }
            i = j
        }
        return nil
    }
}
