import Foundation
import PostlsCore

/// Counts over everything read: failures per cause, peer domain, address family and service, a timeline,
/// and the successful TLS sessions per protocol and cipher (with the peers that used each protocol).
public struct LogSummary: Sendable {
    public var linesRead = 0
    /// Lines not read: longer than the line cap, or binary (NUL bytes) outside any known format.
    public var linesSkipped = 0
    public var bytesRead = 0
    public var events = 0
    public var byCause: [Cause: Int] = [:]
    /// Failures per registrable peer domain (`google.com`); peers without a name count under their address family.
    public var byPeerDomain: [String: Int] = [:]
    public var byAddressFamily: [AddressFamily: Int] = [:]
    /// Failures per listener/service (`smtp`, `smtps`, `submission`, `imap`).
    public var byService: [String: Int] = [:]
    public var firstSeen: Date?
    public var lastSeen: Date?
    /// Failures per hour, keyed by the hour's start.
    public var perHour: [Date: Int] = [:]
    /// First and last time each cause was seen.
    public var causeSeen: [Cause: ClosedRange<Date>] = [:]
    /// Successful handshakes (`TLS connection established`) per protocol version and per cipher.
    public var tlsEstablished: [String: Int] = [:]
    public var tlsCiphers: [String: Int] = [:]
    /// Outbound sessions established without verifying the server (`Untrusted`/`Anonymous ... to`).
    public var outboundUnverified = 0
    /// The smtp/lmtp client's sessions and failures per next hop (`host[address]:port`), bounded to `maxTrackedHops`.
    public var outbound: [String: OutboundHop] = [:]
    public var maxTrackedHops = 10_000
    /// Failed sessions that were postls's own probes (from the probe record), per cause. Not in `events`,
    /// `byCause` and the other failure counts unless `LogAnalyzerOptions.includeOwnProbes` is set.
    public var ownProbes = 0
    public var ownProbesByCause: [Cause: Int] = [:]
    /// True when the own probes were also counted as failures (`includeOwnProbes`).
    public var ownProbesCounted = false
    /// Problems reading inputs (a truncated .gz...), worded for the admin.
    public var warnings: [String] = []
    /// Established sessions per peer (name or address) and protocol, bounded to `maxTrackedPeers`; a peer is
    /// tracked from its first handshake below TLS 1.3 (TLS-1.3-only peers are not listed).
    public var peerProtocols: [PeerProtocolUsage] { Array(peerUsage.values) }
    /// Keyed by a hash of the peer's bytes, so counting needs no string per line (filled by `HandshakeTally`).
    var peerUsage: [UInt64: PeerProtocolUsage] = [:]
    public var maxTrackedPeers = 50_000
    /// Distinct failure domains kept; the rest count under "other".
    public var maxTrackedDomains = 10_000

    public init() {}

    /// Peers that completed handshakes with a protocol below `version` (`"TLSv1.2"`): who would break
    /// if the floor were raised to it. Sorted by number of sessions, most first.
    public func peers(usingProtocolBelow version: String) -> [PeerProtocolUsage] {
        let floor = TLSProtocolVersion.rank(version)
        var rows: [(usage: PeerProtocolUsage, below: Int)] = []
        for usage in peerUsage.values where TLSProtocolVersion.rank(usage.lowestProtocol) < floor {
            rows.append((usage, usage.sessionsBelow(version)))
        }
        rows.sort { a, b in a.below != b.below ? a.below > b.below : a.usage.peer < b.usage.peer }
        return rows.map { $0.usage }
    }

    mutating func record(_ event: TLSEvent) {
        events += 1
        byCause[event.cause, default: 0] += 1
        let family = event.peer?.family ?? .unknown
        byAddressFamily[family, default: 0] += 1
        if let peer = event.peer {
            let key = peer.domain ?? (peer.address.isEmpty ? "unknown" : "unknown (\(family.rawValue))")
            if byPeerDomain[key] != nil || byPeerDomain.count < maxTrackedDomains { byPeerDomain[key, default: 0] += 1 }
            else { byPeerDomain["other", default: 0] += 1 }
        }
        byService[event.service ?? "unknown", default: 0] += 1
        if event.kind == .delivery { recordOutbound(event) }
        if let t = event.time {
            if firstSeen.map({ t < $0 }) ?? true { firstSeen = t }
            if lastSeen.map({ t > $0 }) ?? true { lastSeen = t }
            let hour = Date(timeIntervalSince1970: (t.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
            perHour[hour, default: 0] += 1
            if let r = causeSeen[event.cause] { causeSeen[event.cause] = min(r.lowerBound, t)...max(r.upperBound, t) }
            else { causeSeen[event.cause] = t...t }
        }
    }
}

/// Which TLS versions one peer completed handshakes with, and how often.
public struct PeerProtocolUsage: Sendable, Hashable {
    /// `name[address]` as logged (or the address when the name is `unknown`).
    public var peer: String
    /// Sessions per protocol rank (SSLv2 … TLSv1.3, then anything else): no dictionary per peer.
    var counts = SIMD8<UInt32>(repeating: 0)
    var otherName = ""

    public init(peer: String) { self.peer = peer }

    mutating func add(_ version: String) {
        add(rank: TLSProtocolVersion.rank(version), name: version)
    }

    /// `rank` is `TLSProtocolVersion.rank(name)`, computed once by the caller.
    @inline(__always)
    mutating func add(rank: Int, name: String) {
        if rank == 6 && otherName.isEmpty { otherName = name }
        counts[rank] &+= 1
    }

    /// Sessions per protocol name (`TLSv1.2`: 3).
    public var sessions: [String: Int] {
        var d: [String: Int] = [:]
        for rank in 0..<7 where counts[rank] > 0 {
            d[rank < 6 ? TLSProtocolVersion.names[rank] : otherName] = Int(counts[rank])
        }
        return d
    }

    /// The lowest version this peer used.
    public var lowestProtocol: String {
        guard let rank = (0..<7).first(where: { counts[$0] > 0 }) else { return "" }
        return rank < 6 ? TLSProtocolVersion.names[rank] : otherName
    }
    /// The highest version this peer used.
    public var highestProtocol: String {
        guard let rank = (0..<7).last(where: { counts[$0] > 0 }) else { return "" }
        return rank < 6 ? TLSProtocolVersion.names[rank] : otherName
    }
    public func sessionsBelow(_ version: String) -> Int {
        (0..<TLSProtocolVersion.rank(version)).reduce(0) { $0 + Int(counts[$1]) }
    }
}

/// Orders protocol names as Postfix and OpenSSL write them.
public enum TLSProtocolVersion {
    /// The names Postfix logs, by rank.
    public static let names = ["SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]

    public static func rank(_ name: String) -> Int {
        switch name {
        case "SSLv2": return 0
        case "SSLv3": return 1
        case "TLSv1", "TLSv1.0": return 2
        case "TLSv1.1": return 3
        case "TLSv1.2": return 4
        case "TLSv1.3": return 5
        default: return 6
        }
    }
}
