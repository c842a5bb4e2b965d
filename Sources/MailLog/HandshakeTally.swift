import Foundation

/// Successful handshakes (`TLS connection established`), counted from the line's bytes: per protocol and
/// cipher in array slots of interned names, and per peer for the peers seen below TLS 1.3.
///
/// One struct, so that counting a line is one mutation of the analyzer's state (one exclusivity check),
/// and no string, dictionary or SipHash per line: names and peers are found by a hash of their bytes in
/// open-addressing tables that grow with what they hold (a table sized for the peer cap up front
/// misses the cache on every line).
struct HandshakeTally {
    /// Interned protocol and cipher names, and the sessions counted under each as protocol and as cipher.
    private(set) var names: [String] = []
    private(set) var asProtocol: [Int] = []
    private(set) var asCipher: [Int] = []
    /// `TLSProtocolVersion.rank` of each name, computed once.
    private var ranks: [Int] = []
    private var nameTable = HashSlots()
    /// Peers tracked (from their first handshake below TLS 1.3), and their usage.
    private var peerTable: HashSlots
    private(set) var peers: [PeerProtocolUsage] = []
    private var peerKeys: [UInt64] = []
    /// One bit per tracked peer's hash (2^20 bits, 128 KB): clear means not tracked.
    private var filter = [UInt64](repeating: 0, count: HandshakeTally.filterBits / 64)
    static let filterBits = 1 << 20
    let maxTrackedPeers: Int
    /// Outbound sessions established without verifying the server (`Untrusted`/`Anonymous ... to`).
    private(set) var outboundUnverified = 0
    /// Past this many distinct names, new ones share the last slot (a log cannot make the table grow without end).
    static let maxNames = 1024

    /// The previous line's protocol-to-cipher bytes and what they were interned as (see `record`); a class so
    /// that filling it is no copy of the struct. One analyzer owns the tally: copies are only read.
    private final class Tail {
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: HandshakeTally.tailCapacity, alignment: 8)
        var length = -1, protoLength = 0, version = 0, cipher = -1
        deinit { bytes.deallocate() }
    }
    private static let tailCapacity = 128
    private let lastTail = Tail()

    init(maxTrackedPeers: Int) {
        self.maxTrackedPeers = maxTrackedPeers
        peerTable = HashSlots()
    }

    /// A 64-bit hash of p[s..<e], 8 bytes per multiply (a byte-at-a-time FNV chain costs more than the
    /// rest of the line's work). Each step is a bijection of the running value, so texts that differ
    /// collide only by chance (about 2^-64 per pair).
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: e - s)
        var i = s
        while i + 8 <= e {
            h = (h ^ UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        if i < e {
            var w: UInt64 = 0
            // The last 1-7 bytes as the top of the 8 bytes that end at `e` (read again), shifted down: on a
            // little-endian machine the same word as the byte loop builds, without the loop.
            if e - s >= 8 && UInt16(1).littleEndian == 1 {
                w = UnsafeRawPointer(p + e - 8).loadUnaligned(as: UInt64.self) >> UInt64(8 * (8 - (e - i)))
            } else {
                var shift: UInt64 = 0
                while i < e { w |= UInt64(p[i]) << shift; shift += 8; i += 1 }
            }
            h = (h ^ w) &* 0xC4CE_B9FE_1A85_EC53
            h ^= h >> 29
        }
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        return h ^ (h >> 33)
    }

    /// The slot of the name p[s..<e] (names with the same 64-bit hash are taken to be equal).
    private mutating func intern(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Int {
        let h = Self.hash(p, s, e)
        if let id = nameTable.find(h) { return id }
        guard names.count < Self.maxNames else { return names.count - 1 }
        let id = names.count
        let name = String(decoding: UnsafeBufferPointer(start: p + s, count: e - s), as: UTF8.self)
        names.append(name)
        ranks.append(TLSProtocolVersion.rank(name))
        asProtocol.append(0); asCipher.append(0)
        nameTable.insert(h, id)
        return id
    }

    /// Counts one `TLS connection established` line; `m` is its message, `r` the parts `LogAnalyzer.established` found.
    mutating func record(_ r: LogAnalyzer.EstablishedRanges, _ m: UnsafePointer<UInt8>, isClient: Bool) {
        // Protocol and cipher, as the bytes from the protocol to the cipher's end: most lines repeat the
        // previous line's, and one compare costs less than hashing and finding two names.
        let version: Int, cipher: Int
        let tailEnd = max(r.protoEnd, r.cipherEnd), tailLength = tailEnd - r.protoStart
        let protoLength = r.protoEnd - r.protoStart
        if tailLength == lastTail.length && protoLength == lastTail.protoLength && tailLength <= Self.tailCapacity
            && memcmp(m + r.protoStart, lastTail.bytes, tailLength) == 0 {
            version = lastTail.version; cipher = lastTail.cipher
        } else {
            version = intern(m, r.protoStart, r.protoEnd)
            cipher = r.cipherEnd > r.cipherStart ? intern(m, r.cipherStart, r.cipherEnd) : -1
            if tailLength <= Self.tailCapacity {
                lastTail.bytes.copyMemory(from: m + r.protoStart, byteCount: tailLength)
                lastTail.length = tailLength; lastTail.protoLength = protoLength
                lastTail.version = version; lastTail.cipher = cipher
            } else {
                lastTail.length = -1
            }
        }
        asProtocol[version] += 1
        if cipher >= 0 { asCipher[cipher] += 1 }
        if isClient && r.trustEnd >= 9 && (memcmp(m, "Untrusted", 9) == 0 || memcmp(m, "Anonymous", 9) == 0) {
            outboundUnverified += 1
        }
        guard r.peerEnd > r.peerStart else { return }
        let rank = ranks[version]
        let key = Self.hash(m, r.peerStart, r.peerEnd)
        // Most handshakes are TLS 1.3 with a peer never tracked: a bit set small enough for the cache says so
        // without touching the (large, cache-missing) peer table.
        let bit = Int(truncatingIfNeeded: key >> 44) & (Self.filterBits - 1)
        let maybeTracked = filter[bit >> 6] & (1 << UInt64(bit & 63)) != 0
        if !maybeTracked && rank >= 5 { return }
        if maybeTracked, let i = peerTable.find(key) {
            peers[i].add(rank: rank, name: names[version])
        } else if peers.count < maxTrackedPeers && rank < 5 {
            // Tracked from the first handshake below TLS 1.3: a TLS-1.3-only peer breaks under no protocol floor.
            var namaddr = String(decoding: UnsafeBufferPointer(start: m + r.peerStart, count: r.peerEnd - r.peerStart), as: UTF8.self)
            // `unknown[192.0.2.7]` is best shown as its address.
            if namaddr.hasPrefix("unknown["), namaddr.hasSuffix("]") { namaddr = String(namaddr.dropFirst(8).dropLast()) }
            var usage = PeerProtocolUsage(peer: namaddr)
            usage.add(rank: rank, name: names[version])
            peerTable.insert(key, peers.count)
            filter[bit >> 6] |= 1 << UInt64(bit & 63)
            peers.append(usage)
            peerKeys.append(key)
        }
    }

    /// Adds the totals to a summary.
    func merge(into s: inout LogSummary) {
        for (id, n) in asProtocol.enumerated() where n > 0 { s.tlsEstablished[names[id], default: 0] += n }
        for (id, n) in asCipher.enumerated() where n > 0 { s.tlsCiphers[names[id], default: 0] += n }
        s.outboundUnverified += outboundUnverified
        for (i, usage) in peers.enumerated() { s.peerUsage[peerKeys[i]] = usage }
    }
}

/// An open-addressing table from a 64-bit hash to a small integer: linear probing, no deletion, doubled
/// when three quarters full. Keys and values live apart so a miss reads only keys.
struct HashSlots {
    private var keys = [UInt64](repeating: 0, count: 64)
    private var values = [Int32](repeating: 0, count: 64)
    private var mask = 63
    private var count = 0

    /// 0 marks an empty slot, so the key 0 is stored as 1.
    @inline(__always) private static func stored(_ key: UInt64) -> UInt64 { key == 0 ? 1 : key }

    @inline(__always)
    func find(_ key: UInt64) -> Int? {
        let k = Self.stored(key)
        var i = Int(truncatingIfNeeded: k) & mask
        while true {
            let slot = keys[i]
            if slot == k { return Int(values[i]) }
            if slot == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    mutating func insert(_ key: UInt64, _ value: Int) {
        if (count + 1) * 4 > keys.count * 3 { grow() }
        let k = Self.stored(key)
        var i = Int(truncatingIfNeeded: k) & mask
        while keys[i] != 0 && keys[i] != k { i = (i + 1) & mask }
        if keys[i] == 0 { count += 1 }
        keys[i] = k
        values[i] = Int32(truncatingIfNeeded: value)
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        values = [Int32](repeating: 0, count: oldKeys.count * 2)
        mask = keys.count - 1
        count = 0
        for (i, k) in oldKeys.enumerated() where k != 0 { insert(k, Int(oldValues[i])) }
    }
}
