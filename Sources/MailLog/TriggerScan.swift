/// The first filter every line meets: does it contain a byte sequence any TLS message needs?
///
/// A SIMD pass looks for the rare bytes T, S, H, U, F, ], backslash and NUL (binary garbage must be
/// counted); only at those positions are the words checked. (`Wrapper-mode request dropped` lines say
/// "TLS context"; hex queue ids are full of D, E, F, so DH is found by its H.) Lower-case-only messages
/// (`starttls=0/1`, `certificate verification failed`) are caught by the slow path, which runs
/// while a connection is open or a process is known to have broken TLS.
enum TriggerScan {
    @inline(__always)
    static func mayMatter(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        let t = SIMD16<UInt8>(repeating: 0x54), s = SIMD16<UInt8>(repeating: 0x53)
        let h = SIMD16<UInt8>(repeating: 0x48), u = SIMD16<UInt8>(repeating: 0x55), bs = SIMD16<UInt8>(repeating: 0x5C)
        let zero = SIMD16<UInt8>(repeating: 0), f = SIMD16<UInt8>(repeating: 0x46), rb = SIMD16<UInt8>(repeating: 0x5D)
        let weights = SIMD8<UInt8>(1, 2, 4, 8, 16, 32, 64, 128)
        // Lanes of one 16-byte block that hold a trigger byte, as bits.
        @inline(__always) func hits(_ at: Int) -> UInt32 {
            let v = UnsafeRawPointer(p + at).loadUnaligned(as: SIMD16<UInt8>.self)
            let m = (v .== t) .| (v .== s) .| (v .== h) .| (v .== u) .| (v .== bs) .| (v .== zero) .| (v .== f) .| (v .== rb)
            let lanes = unsafeBitCast(m, to: SIMD16<UInt8>.self) // 0xFF where matched
            let halves = unsafeBitCast(lanes, to: SIMD2<UInt64>.self)
            if halves[0] | halves[1] == 0 { return 0 }
            return UInt32((lanes.lowHalf & weights).wrappedSum()) | UInt32((lanes.highHalf & weights).wrappedSum()) << 8
        }
        while i + 16 <= n {
            var bits = hits(i)
            while bits != 0 {
                if check(p, n, i + bits.trailingZeroBitCount) { return true }
                bits &= bits &- 1
            }
            i += 16
        }
        if i < n && n >= 16 {
            // The tail: one overlapping block ending at the line's end, minus the lanes already scanned.
            let start = n - 16
            var bits = hits(start) & ~((UInt32(1) << UInt32(i - start)) &- 1)
            while bits != 0 {
                if check(p, n, start + bits.trailingZeroBitCount) { return true }
                bits &= bits &- 1
            }
            return false
        }
        while i < n {
            if check(p, n, i) { return true }
            i += 1
        }
        return false
    }

    @inline(__always)
    static func word(_ p: UnsafePointer<UInt8>, _ n: Int, _ at: Int, _ s: StaticString) -> Bool {
        let len = s.utf8CodeUnitCount
        // The second byte first: most hits fail there, without a call.
        return at >= 0 && at + len <= n && (len < 2 || p[at + 1] == s.utf8Start[1]) && memcmp(p + at, s.utf8Start, len) == 0
    }

    /// `]:25: ` ends the namaddr of an SMTP client message about one server (certificate verification,
    /// handshake errors); `]:465, ` is a delivery to the SMTPS port.
    @inline(__always)
    static func clientNamaddr(_ p: UnsafePointer<UInt8>, _ n: Int, _ k: Int) -> Bool {
        guard k + 3 < n, p[k + 1] == 58 else { return false }
        if word(p, n, k, "]:465, ") { return true }
        var j = k + 2
        while j < n && p[j] &- 48 < 10 { j += 1 }
        return j > k + 2 && j + 1 < n && p[j] == 58 && p[j + 1] == 32
    }

    @inline(__always)
    static func check(_ p: UnsafePointer<UInt8>, _ n: Int, _ k: Int) -> Bool {
        switch p[k] {
        case 0x54: return word(p, n, k, "TLS")                                  // T
        case 0x53: return word(p, n, k, "SSL") || word(p, n, k - 4, "non-SMTP") // S
            || word(p, n, k, "Server certificate") || word(p, n, k, "SMTPS wrappermode")
        case 0x48: return word(p, n, k - 1, "DH param")                         // H
        case 0x55: return word(p, n, k, "UNKNOWN") || word(p, n, k, "Unknown setting") || word(p, n, k, "Unknown ssl") // U
        case 0x5D: return clientNamaddr(p, n, k)                               // ]
        case 0x5C: return word(p, n, k, "\\026\\003")                         // backslash
        case 0x46: return word(p, n, k, "Fatal: ")                              // F: doveconf's ssl_ errors
        case 0: return true
        default: return false
        }
    }
}

import Foundation
