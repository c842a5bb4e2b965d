import Foundation

/// The smtp/lmtp client's `<Trust> TLS connection established|reused to <nexthop>` lines, counted from bytes:
/// the next hop is found by a hash of its bytes (a String is made once per distinct hop), the trust word is a
/// small enum, and the service once per distinct program. `LogSummary.outbound` gets the counts when the
/// summary is read (`merge`); until then each admitted hop has its entry there with the counts pending here.
///
/// Same result as counting each line into `LogSummary.outbound` at once: a hop is admitted (or refused, for
/// good, once `maxTrackedHops` are tracked) when its first line is read, counts add up in any order, and the
/// service the lines name is written through before a failed delivery to that hop writes its own (`flush`).
struct OutboundTally {
    enum Trust: Int {
        case verified, trusted, untrusted, anonymous

        /// `Verified`, `Trusted`, `Untrusted`; any other text before ` TLS connection` counts as anonymous.
        static func of(_ m: UnsafePointer<UInt8>, _ n: Int) -> Trust {
            switch n {
            case 8 where memcmp(m, "Verified", 8) == 0: return .verified
            case 7 where memcmp(m, "Trusted", 7) == 0: return .trusted
            case 9 where memcmp(m, "Untrusted", 9) == 0: return .untrusted
            default: return .anonymous
            }
        }
    }

    private struct Hop {
        let nexthop: String
        /// False when the summary had no room for it when first seen: its lines are not counted.
        let admitted: Bool
        var counts: (verified: Int, trusted: Int, untrusted: Int, anonymous: Int) = (0, 0, 0, 0)
        /// The program of its latest line (in `programServices`), its service not yet written to the summary's
        /// entry; -1 when none is pending, -2 for `unlistedService`. An index, not the String: no reference
        /// counting per line.
        var pendingProgram: Int32 = -1
        /// The pending service of a program past the table's 1024.
        var unlistedService: String?
        func pendingService(in tally: OutboundTally) -> String? {
            pendingProgram >= 0 ? tally.programServices[Int(pendingProgram)] : pendingProgram == -2 ? unlistedService : nil
        }
    }

    private var hopTable = HashSlots()
    private var hops: [Hop] = []
    private var programTable = HashSlots()
    private var programServices: [String?] = []
    /// The previous line's program field and its index in `programServices` (a log has a handful of client
    /// programs, and consecutive lines mostly share one): compared before hashing.
    private var lastProgram: (bytes: (UInt64, UInt64, UInt64, UInt64), length: Int, index: Int32) = ((0, 0, 0, 0), -1, -1)

    /// Counts one client line: `nexthop` is m[s..<e], `trust` the text before ` TLS connection`, `program`
    /// the line's program field.
    mutating func record(trust: Trust, nexthop m: UnsafePointer<UInt8>, _ s: Int, _ e: Int,
                         program p: UnsafePointer<UInt8>, _ ps: Int, _ pe: Int, into summary: inout LogSummary) {
        let key = HandshakeTally.hash(m, s, e)
        let index: Int
        if let known = hopTable.find(key) {
            index = known
        } else {
            let nexthop = String(decoding: UnsafeBufferPointer(start: m + s, count: e - s), as: UTF8.self)
            let admitted = summary.outbound[nexthop] != nil || summary.outbound.count < summary.maxTrackedHops
            if admitted && summary.outbound[nexthop] == nil { summary.outbound[nexthop] = OutboundHop(nexthop: nexthop) }
            index = hops.count
            hops.append(Hop(nexthop: nexthop, admitted: admitted))
            hopTable.insert(key, index)
        }
        guard hops[index].admitted else { return }
        switch trust {
        case .verified: hops[index].counts.verified += 1
        case .trusted: hops[index].counts.trusted += 1
        case .untrusted: hops[index].counts.untrusted += 1
        case .anonymous: hops[index].counts.anonymous += 1
        }
        let program = program(p, ps, pe)
        if program >= 0 {
            if programServices[Int(program)] != nil { hops[index].pendingProgram = program }
        } else if let service = unlisted {
            hops[index].pendingProgram = -2
            hops[index].unlistedService = service
        }
    }

    /// The index in `programServices` of p[s..<e] (`TLSEvent.service(ofProgram:)` computed once per distinct
    /// program); past 1024 programs a new one is -1, its service in `unlisted`.
    private mutating func program(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Int32 {
        let length = e - s
        if length == lastProgram.length && withUnsafeBytes(of: &lastProgram.bytes, { memcmp($0.baseAddress!, p + s, length) }) == 0 {
            return lastProgram.index
        }
        let key = HandshakeTally.hash(p, s, e)
        let index: Int32
        if let known = programTable.find(key) {
            index = Int32(known)
        } else {
            let service = TLSEvent.service(ofProgram: String(decoding: UnsafeBufferPointer(start: p + s, count: length), as: UTF8.self))
            guard programServices.count < 1024 else { unlisted = service; return -1 }
            index = Int32(programServices.count)
            programTable.insert(key, programServices.count)
            programServices.append(service)
        }
        if length <= MemoryLayout.size(ofValue: lastProgram.bytes) {
            withUnsafeMutableBytes(of: &lastProgram.bytes) { $0.baseAddress!.copyMemory(from: p + s, byteCount: length) }
            lastProgram.length = length
            lastProgram.index = index
        }
        return index
    }

    private var unlisted: String?

    /// Writes the pending service of `nexthop` to the summary (before an event about that hop sets its own).
    mutating func flush(nexthop: String, into summary: inout LogSummary) {
        var copy = nexthop
        guard let key = copy.withUTF8({ u in u.baseAddress.map { HandshakeTally.hash($0, 0, u.count) } }),
              let index = hopTable.find(key), let service = hops[index].pendingService(in: self) else { return }
        summary.outbound[hops[index].nexthop]?.service = service
        hops[index].pendingProgram = -1
        hops[index].unlistedService = nil
    }

    /// Adds the pending counts and services to a summary.
    func merge(into summary: inout LogSummary) {
        for hop in hops where hop.admitted {
            guard var entry = summary.outbound[hop.nexthop] else { continue }
            entry.verified += hop.counts.verified
            entry.trusted += hop.counts.trusted
            entry.untrusted += hop.counts.untrusted
            entry.anonymous += hop.counts.anonymous
            if let service = hop.pendingService(in: self) { entry.service = service }
            summary.outbound[hop.nexthop] = entry
        }
    }
}
