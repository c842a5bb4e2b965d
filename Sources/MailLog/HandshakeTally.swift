import Foundation

/// Successful handshakes (`TLS connection established`), counted from the line's bytes: per protocol and
/// cipher in array slots of interned names, and per peer for the peers seen below TLS 1.3.
///
/// One struct, so that counting a line is one mutation of the analyzer's state (one exclusivity check),
/// and no string, dictionary or SipHash per line: names and peers are found by an FNV-1a hash of their
/// bytes in small open-addressing tables.
struct HandshakeTally {
    /// Interned protocol and cipher names, and the sessions counted under each as protocol and as cipher.
    private(set) var names: [String] = []
    private(set) var asProtocol: [Int] = []
    private(set) var asCipher: [Int] = []
    /// `TLSProtocolVersion.rank` of each name, computed once.
    private var ranks: [Int] = []
    private var nameTable = HashSlots(capacity: 2048)
    /// Peers tracked (from their first handshake below TLS 1.3), and their usage.
    private var peerTable: HashSlots
    private(set) var peers: [PeerProtocolUsage] = []
    private var peerKeys: [UInt64] = []
    let maxTrackedPeers: Int
    /// Outbound sessions established without verifying the server (`Untrusted`/`Anonymous ... to`).
    private(set) var outboundUnverified = 0
    /// Past this many distinct names, new ones share the last slot (a log cannot make the table grow without end).
    static let maxNames = 1024

    init(maxTrackedPeers: Int) {
        self.maxTrackedPeers = maxTrackedPeers
        peerTable = HashSlots(capacity: max(16, maxTrackedPeers * 2))
    }

    @inline(__always)
    static func fnv(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> UInt64 {
        var x: UInt64 = 0xcbf29ce484222325
        for k in s..<e { x = (x ^ UInt64(p[k])) &* 0x100000001b3 }
        return x
    }

    /// The slot of the name p[s..<e] (names with the same 64-bit hash are taken to be equal).
    private mutating func intern(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Int {
        let h = Self.fnv(p, s, e)
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
        let version = intern(m, r.protoStart, r.protoEnd)
        asProtocol[version] += 1
        if r.cipherEnd > r.cipherStart { asCipher[intern(m, r.cipherStart, r.cipherEnd)] += 1 }
        if isClient && r.trustEnd >= 9 && (memcmp(m, "Untrusted", 9) == 0 || memcmp(m, "Anonymous", 9) == 0) {
            outboundUnverified += 1
        }
        guard r.peerEnd > r.peerStart else { return }
        let rank = ranks[version]
        let key = Self.fnv(m, r.peerStart, r.peerEnd)
        if let i = peerTable.find(key) {
            peers[i].add(rank: rank, name: names[version])
        } else if peers.count < maxTrackedPeers && rank < 5 {
            // Tracked from the first handshake below TLS 1.3: a TLS-1.3-only peer breaks under no protocol floor.
            var namaddr = String(decoding: UnsafeBufferPointer(start: m + r.peerStart, count: r.peerEnd - r.peerStart), as: UTF8.self)
            // `unknown[192.0.2.7]` is best shown as its address.
            if namaddr.hasPrefix("unknown["), namaddr.hasSuffix("]") { namaddr = String(namaddr.dropFirst(8).dropLast()) }
            var usage = PeerProtocolUsage(peer: namaddr)
            usage.add(rank: rank, name: names[version])
            peerTable.insert(key, peers.count)
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

/// An open-addressing table from a 64-bit hash to a small integer: linear probing, no deletion.
struct HashSlots {
    private var keys: [UInt64]
    private var values: [Int32]
    private var mask: Int

    init(capacity: Int) {
        var size = 16
        while size < capacity { size <<= 1 }
        keys = Array(repeating: 0, count: size)
        values = Array(repeating: 0, count: size)
        mask = size - 1
    }

    /// 0 marks an empty slot, so the key 0 is stored as 1.
    @inline(__always) private static func stored(_ key: UInt64) -> UInt64 { key == 0 ? 1 : key }

    @inline(__always)
    func find(_ key: UInt64) -> Int? {
        let k = Self.stored(key)
        var i = Int(truncatingIfNeeded: k ^ (k >> 29)) & mask
        while true {
            let slot = keys[i]
            if slot == k { return Int(values[i]) }
            if slot == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    /// The caller keeps the table at most half full.
    mutating func insert(_ key: UInt64, _ value: Int) {
        let k = Self.stored(key)
        var i = Int(truncatingIfNeeded: k ^ (k >> 29)) & mask
        while keys[i] != 0 && keys[i] != k { i = (i + 1) & mask }
        keys[i] = k
        values[i] = Int32(truncatingIfNeeded: value)
    }
}
