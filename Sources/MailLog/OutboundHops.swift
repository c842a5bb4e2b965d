import Foundation
import PostlsCore

/// The smtp/lmtp client's TLS outcomes toward one next hop (`mx.example.net[192.0.2.25]:25`, as Postfix logs it):
/// its sessions by trust (`Verified`, `Trusted`, `Untrusted`, `Anonymous TLS connection established to`), its
/// failed delivery attempts by cause, and the last failure with OpenSSL's `num=` verify code when one was logged.
public struct OutboundHop: Sendable, Hashable {
    public var nexthop: String
    /// The client service that logged it last (`smtp`, `relay`, `lmtp`): the master.cf transport whose settings apply.
    public var service: String?
    public var verified = 0
    public var trusted = 0
    public var untrusted = 0
    public var anonymous = 0
    /// Failed TLS attempts (delivery events), by cause.
    public var failuresByCause: [Cause: Int] = [:]
    /// Of those, the ones whose delivery was deferred or bounced in the same lines (`status=deferred`).
    public var deferred = 0
    public var lastFailure: OutboundFailure?

    public init(nexthop: String) { self.nexthop = nexthop }

    public var failures: Int { failuresByCause.values.reduce(0, +) }
    /// Sessions that completed a handshake.
    public var established: Int { verified + trusted + untrusted + anonymous }
}

/// The newest failed attempt toward a next hop.
public struct OutboundFailure: Sendable, Hashable {
    public var time: Date?
    public var timeText: String
    public var cause: Cause
    public var rule: String
    /// OpenSSL's verify code (`num=10`) and its text (`certificate has expired`), from Postfix's verification line.
    public var verifyCode: Int?
    public var verifyReason: String?
    /// The delivery was deferred or bounced in these lines (not merely logged as unverified).
    public var deferred: Bool
    /// The most telling line (the verification line, else the status line), and where it is.
    public var text: String
    public var location: String
}

extension OutboundHop {
    /// `name[address]:port` of a peer, as the established lines write the next hop.
    public static func nexthop(of peer: Peer) -> String {
        "\(peer.name.isEmpty ? peer.address : peer.name)[\(peer.address)]\(peer.port.map { ":\($0)" } ?? "")"
    }

    /// Counts one client `<Trust> TLS connection established|reused to <nexthop>` line.
    mutating func count(trust: String) {
        switch trust {
        case "Verified": verified += 1
        case "Trusted": trusted += 1
        case "Untrusted": untrusted += 1
        default: anonymous += 1
        }
    }

    mutating func record(_ event: TLSEvent) {
        failuresByCause[event.cause, default: 0] += 1
        if event.service != nil { service = event.service }
        var code: Int?, reason: String?
        var telling: LogLine?
        for line in event.lines {
            guard let match = LogMessageCatalog.primary(line.message) else { continue }
            if let num = match.fields["num"].flatMap({ Int($0) }) {
                code = num; reason = match.fields["reason"]; telling = line
            } else if code == nil, let detail = Self.verificationDetail(line.message) {
                // `certificate verification failed for X: self-signed certificate` (Postfix 3.7 on OpenSSL 3) has no num=.
                reason = detail; telling = line
            } else if telling == nil, match.row.level == .failure {
                telling = line
            }
        }
        let deferred = event.lines.contains { $0.message.utf8Contains("status=deferred") || $0.message.utf8Contains("status=bounced") }
        if deferred { self.deferred += 1 }
        let line = telling ?? event.lines.last
        let failure = OutboundFailure(time: event.time, timeText: event.timeText, cause: event.cause, rule: event.rule,
                                      verifyCode: code, verifyReason: reason, deferred: deferred, text: line?.message ?? "",
                                      location: line.map { "\(($0.file as NSString).lastPathComponent):\($0.lineNumber)" } ?? "")
        if let last = lastFailure, let t = last.time, let u = event.time, u < t { return }
        lastFailure = failure
    }
}

extension OutboundHop {
    /// The verify code a delivery's lines name: the `num=` of its verification line, or the code of the OpenSSL
    /// text Postfix logged alone (`certificate has expired`).
    public static func verifyCode(of lines: [LogLine]) -> Int? {
        for line in lines {
            if let num = LogMessageCatalog.primary(line.message)?.fields["num"].flatMap({ Int($0) }) { return num }
        }
        return verifyReason(of: lines).flatMap(VerifyCode.code(forText:))
    }

    /// The reason of the first verification line that carries no `num=` (`self-signed certificate`).
    public static func verifyReason(of lines: [LogLine]) -> String? {
        lines.lazy.compactMap { verificationDetail($0.message) }.first
    }

    /// The reason of a verification line without `num=`: the text after the next hop.
    public static func verificationDetail(_ message: String) -> String? {
        guard let r = message.range(of: "certificate verification failed for "), !message.contains(": num=") else { return nil }
        let rest = message[r.upperBound...]
        guard let colon = rest.range(of: ": ") else { return nil }
        return String(rest[colon.upperBound...])
    }
}

extension LogSummary {
    /// The next hops by failures, then sessions, then name.
    public var outboundHops: [OutboundHop] {
        // Sorted as keys with their two counts: sorting the hops themselves copies each (strings, a dictionary) per move.
        let keys = outbound.values.map { (failures: $0.failures, established: $0.established, nexthop: $0.nexthop) }
        return keys.sorted { a, b in
            if a.failures != b.failures { return a.failures > b.failures }
            if a.established != b.established { return a.established > b.established }
            return a.nexthop < b.nexthop
        }.map { outbound[$0.nexthop]! }
    }

    mutating func recordOutbound(trust: String, nexthop: String, service: String?) {
        guard outbound[nexthop] != nil || outbound.count < maxTrackedHops else { return }
        outbound[nexthop, default: OutboundHop(nexthop: nexthop)].count(trust: trust)
        if let service { outbound[nexthop]?.service = service }
    }

    mutating func recordOutbound(_ event: TLSEvent) {
        guard event.kind == .delivery, let peer = event.peer else { return }
        let nexthop = OutboundHop.nexthop(of: peer)
        guard outbound[nexthop] != nil || outbound.count < maxTrackedHops else { return }
        outbound[nexthop, default: OutboundHop(nexthop: nexthop)].record(event)
    }
}
