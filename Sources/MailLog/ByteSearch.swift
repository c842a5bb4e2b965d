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
