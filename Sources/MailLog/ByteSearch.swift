import Foundation

/// Substring search on bytes. glibc's memmem needs _GNU_SOURCE, which Swift does not see, so:
/// memchr on the first byte (vectorised in glibc), then memcmp.
enum ByteSearch {
    /// Where a Postfix session line's text starts after its queue ID: Postfix 3.9 and later write
    /// `NOQUEUE: lost connection after STARTTLS from ...` and `4Xyz...: timeout after ...` where 3.8 and older wrote
    /// `lost connection after STARTTLS from ...`. 0 when the message has no such prefix (a queue ID is letters and
    /// digits, with a digit or no lower-case letter, then ": "; only a prefix followed by "lost connection after " or
    /// "timeout after " is skipped, so `warning: ...` stays whole).
    static func sessionTextStart(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var i = 0, digit = false, lower = false
        while i < n, i < 24 {
            if p[i] &- 48 < 10 { digit = true } else if p[i] &- 97 < 26 { lower = true } else if p[i] &- 65 >= 26 { break }
            i += 1
        }
        guard i > 0, digit || !lower, i + 2 < n, p[i] == 58, p[i + 1] == 32 else { return 0 }
        let rest = p + i + 2, left = n - i - 2
        func starts(_ s: StaticString) -> Bool { left >= s.utf8CodeUnitCount && memcmp(rest, s.utf8Start, s.utf8CodeUnitCount) == 0 }
        return starts("lost connection after ") || starts("timeout after ") ? i + 2 : 0
    }

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
