import LogScan

/// The first filter every line meets: does it contain a byte sequence any TLS message needs?
///
/// A SIMD pass looks for the rare bytes T, S, H, U, F, ], backslash and NUL (binary garbage must be
/// counted), and the colon of `: warning: ` and `: fatal: ` (Postfix warnings of the message table that
/// name neither TLS nor SSL); only at those positions are the words checked. (`Wrapper-mode request dropped` lines say
/// "TLS context"; hex queue ids are full of D, E, F, so DH is found by its H.) Lower-case-only messages
/// (`starttls=0/1`, `certificate verification failed`) are caught by the slow path, which runs
/// while a connection is open or a process is known to have broken TLS.
enum TriggerScan {
    @inline(__always)
    static func mayMatter(_ p: UnsafePointer<UInt8>, _ n: Int, from: Int = 0) -> Bool {
        // Words are checked at trigger positions from `from` on (looking behind it where a word needs to).
        var i = max(0, from)
        let t = SIMD16<UInt8>(repeating: 0x54), s = SIMD16<UInt8>(repeating: 0x53)
        let h = SIMD16<UInt8>(repeating: 0x48), u = SIMD16<UInt8>(repeating: 0x55), bs = SIMD16<UInt8>(repeating: 0x5C)
        let zero = SIMD16<UInt8>(repeating: 0), f = SIMD16<UInt8>(repeating: 0x46), rb = SIMD16<UInt8>(repeating: 0x5D)
        let colon = SIMD16<UInt8>(repeating: 0x3A)
        let weights = SIMD8<UInt8>(1, 2, 4, 8, 16, 32, 64, 128)
        // Lanes of one 16-byte block that hold a trigger byte, as bits.
        @inline(__always) func hits(_ at: Int) -> UInt32 {
            let v = UnsafeRawPointer(p + at).loadUnaligned(as: SIMD16<UInt8>.self)
            let m = (v .== t) .| (v .== s) .| (v .== h) .| (v .== u) .| (v .== bs) .| (v .== zero) .| (v .== f) .| (v .== rb) .| (v .== colon)
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

    /// Where `nextCandidate` stopped: at the first byte that may start a trigger word (`found`), or at the
    /// end of the part it could scan. `newlines` counts the line ends in between.
    struct Candidate {
        var position: Int
        var newlines: Int
        var found: Bool
        /// Some run of `groupBlocks` blocks held no newline: a line there may be longer than the line cap.
        var longRun: Bool
    }

    /// One SIMD pass over a whole chunk, as grep does: finds the next position that may start a trigger word,
    /// counting newlines on the way, without looking for line ends one line at a time.
    ///
    /// A superset of `mayMatter`'s hits: the rare bytes L (TLS, SSL), U (UNKNOWN, Unknown), M (non-SMTP,
    /// SMTPS), backslash and NUL alone; S, H, F and ] only with a second byte (`Server c`, `H p` of
    /// `DH param`, `Fa`, `]:` + digit); `: wa` and `: fa` (Postfix's `warning: `, `fatal: `; not qmgr's `: from=`). Reads 7 bytes past each 16-byte block, so it stops 23 bytes
    /// before `n`; the caller reads the rest line by line.
    /// True when the CPU runs CLogScan's AVX2 kernel (32 bytes per step, through LogScan); else the portable Swift kernel runs.
    static var nativeKernelAvailable: Bool { NativeTriggerScan.isAvailable }

    /// `nextCandidate` with the native kernel when `native` (the same contract, 32-byte blocks).
    @inline(__always)
    static func nextCandidate(_ p: UnsafePointer<UInt8>, from: Int, to n: Int, groupBlocks: Int, native: Bool) -> Candidate {
        guard native else { return nextCandidate(p, from: from, to: n, groupBlocks: groupBlocks) }
        let r = NativeTriggerScan.next(p, from: from, to: n, groupBytes: groupBlocks * 16)
        return Candidate(position: r.position, newlines: r.newlines, found: r.found, longRun: r.longRun)
    }

    @inline(__always)
    static func nextCandidate(_ p: UnsafePointer<UInt8>, from: Int, to n: Int, groupBlocks: Int) -> Candidate {
        @inline(__always) func splat(_ c: UInt8) -> SIMD16<Int8> { SIMD16<Int8>(repeating: Int8(bitPattern: c)) }
        let l = splat(0x4C), u = splat(0x55), bs = splat(0x5C), zero = splat(0), m = splat(0x4D)
        let s = splat(0x53), h = splat(0x48), f = splat(0x46), rb = splat(0x5D)
        let c = splat(0x63), lp = splat(0x70), a = splat(0x61), colon = splat(0x3A), beforeZero = splat(0x2F), afterNine = splat(0x3A)
        let nl = splat(10), space = splat(0x20), w = splat(0x77), fl = splat(0x66)
        var i = from
        var newlines = 0
        var longRun = false
        while true {
            // Newlines are counted per lane in bytes; a group of at most 255 blocks cannot overflow them.
            var counts = SIMD16<UInt8>(repeating: 0)
            var k = 0
            while k < groupBlocks {
                guard i + 23 <= n else {
                    newlines += Int(SIMD16<UInt16>(truncatingIfNeeded: counts).wrappedSum())
                    return Candidate(position: i, newlines: newlines, found: false, longRun: longRun)
                }
                let r = UnsafeRawPointer(p + i)
                let v0 = r.loadUnaligned(as: SIMD16<Int8>.self)
                let v1 = r.loadUnaligned(fromByteOffset: 1, as: SIMD16<Int8>.self)
                let v2 = r.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)
                let v3 = r.loadUnaligned(fromByteOffset: 3, as: SIMD16<Int8>.self)
                let v7 = r.loadUnaligned(fromByteOffset: 7, as: SIMD16<Int8>.self)
                let hit = (v0 .== l) .| (v0 .== u) .| (v0 .== bs) .| (v0 .== zero) .| (v0 .== m)
                    .| ((v0 .== s) .& (v7 .== c)) .| ((v0 .== h) .& (v2 .== lp)) .| ((v0 .== f) .& (v1 .== a))
                    .| ((v0 .== rb) .& (v1 .== colon) .& (v2 .> beforeZero) .& (v2 .< afterNine))
                    .| ((v0 .== colon) .& (v1 .== space) .& ((v2 .== w) .| (v2 .== fl)) .& (v3 .== a))
                let ends = unsafeBitCast(v0 .== nl, to: SIMD16<UInt8>.self)
                let halves = unsafeBitCast(hit, to: SIMD2<UInt64>.self)
                if halves[0] | halves[1] != 0 {
                    // The first hit lane, and the newlines of this block before it (lanes are 0x00 or 0xFF).
                    let e = unsafeBitCast(ends, to: SIMD2<UInt64>.self)
                    let lane: Int, before: Int
                    if halves[0] != 0 {
                        lane = halves[0].trailingZeroBitCount >> 3
                        before = (e[0] & ((UInt64(1) << UInt64(lane * 8)) &- 1)).nonzeroBitCount >> 3
                    } else {
                        lane = 8 + halves[1].trailingZeroBitCount >> 3
                        before = (e[0].nonzeroBitCount >> 3) + ((e[1] & ((UInt64(1) << UInt64((lane - 8) * 8)) &- 1)).nonzeroBitCount >> 3)
                    }
                    newlines += Int(SIMD16<UInt16>(truncatingIfNeeded: counts).wrappedSum()) + before
                    return Candidate(position: i + lane, newlines: newlines, found: true, longRun: longRun)
                }
                counts &-= ends   // 0xFF is -1
                i += 16
                k += 1
            }
            let inGroup = Int(SIMD16<UInt16>(truncatingIfNeeded: counts).wrappedSum())
            if inGroup == 0 { longRun = true }
            newlines += inGroup
        }
    }

    /// True when the byte `nextCandidate` stopped at starts (or, for L, ends) a trigger word of `mayMatter`:
    /// then the line matters without scanning it again. False says nothing.
    @inline(__always)
    static func confirms(_ p: UnsafePointer<UInt8>, _ n: Int, _ k: Int) -> Bool {
        guard k < n else { return false }
        if p[k] == 0x4C { return word(p, n, k - 1, "TLS") || word(p, n, k - 2, "SSL") }  // L
        return check(p, n, k)
    }

    /// Where `mayMatter` must start when `nextCandidate`'s first hit in the line is at `k`: every trigger
    /// word has a kernel byte at most two bytes after its check position (the L of TLS and SSL).
    @inline(__always)
    static func firstCheck(afterHit k: Int) -> Int { max(0, k - 2) }

    /// The start of the line holding `at`, not before `floor`: 8 bytes at a time backwards.
    @inline(__always)
    static func lineStart(_ p: UnsafePointer<UInt8>, floor: Int, at: Int) -> Int {
        var i = at
        while i - 8 >= floor {
            let w = UnsafeRawPointer(p + i - 8).loadUnaligned(as: UInt64.self) ^ 0x0A0A_0A0A_0A0A_0A0A
            // The has-zero-byte test: nonzero exactly when one of the 8 bytes is a newline.
            let z = (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080
            if z != 0 {
                // There is one: the last of them, byte by byte.
                var j = i - 1
                while p[j] != 10 { j -= 1 }
                return j + 1
            }
            i -= 8
        }
        while i > floor && p[i - 1] != 10 { i -= 1 }
        return i
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
        case 0x3A: return word(p, n, k, ": warning: ") || word(p, n, k, ": fatal: ") // : Postfix warnings (message table)
        case 0: return true
        default: return false
        }
    }
}

import Foundation
