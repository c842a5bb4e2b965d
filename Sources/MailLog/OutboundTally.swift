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
        /// The service of its latest line, not yet written to the summary's entry.
        var service: String?
    }

    private var hopTable = HashSlots()
    private var hops: [Hop] = []
    private var programTable = HashSlots()
    private var programServices: [String?] = []

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
        if let service = service(p, ps, pe) { hops[index].service = service }
    }

    /// `TLSEvent.service(ofProgram:)` of p[s..<e], once per distinct program.
    private mutating func service(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> String? {
        let key = HandshakeTally.hash(p, s, e)
        if let known = programTable.find(key) { return programServices[known] }
        let service = TLSEvent.service(ofProgram: String(decoding: UnsafeBufferPointer(start: p + s, count: e - s), as: UTF8.self))
        if programServices.count < 1024 {
            programTable.insert(key, programServices.count)
            programServices.append(service)
        }
        return service
    }

    /// Writes the pending service of `nexthop` to the summary (before an event about that hop sets its own).
    mutating func flush(nexthop: String, into summary: inout LogSummary) {
        var copy = nexthop
        guard let key = copy.withUTF8({ u in u.baseAddress.map { HandshakeTally.hash($0, 0, u.count) } }),
              let index = hopTable.find(key), let service = hops[index].service else { return }
        summary.outbound[hops[index].nexthop]?.service = service
        hops[index].service = nil
    }

    /// Adds the pending counts and services to a summary.
    func merge(into summary: inout LogSummary) {
        for hop in hops where hop.admitted {
            guard var entry = summary.outbound[hop.nexthop] else { continue }
            entry.verified += hop.counts.verified
            entry.trusted += hop.counts.trusted
            entry.untrusted += hop.counts.untrusted
            entry.anonymous += hop.counts.anonymous
            if let service = hop.service { entry.service = service }
            summary.outbound[hop.nexthop] = entry
        }
    }
}
