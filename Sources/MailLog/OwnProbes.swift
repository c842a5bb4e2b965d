import Foundation
import Synchronization
import PostlsCore

/// Tells postls's own probe connections from peers' in a server's log, from the probe record.
///
/// An inbound failed session is postls's own when a recorded window covers its time, its client address is one
/// the probe connected from, the service it was logged under listens on the probed port, and, when the server
/// logs client ports (`smtpd_client_port_logging`), the port is one of the probe's too. A window claims at most as
/// many sessions as the probe saw connections fail. Everything else counts as a peer: a probe of port 25 never
/// hides a local webmail's failures on 587, another instance's probe never hides this one's peers, and a legacy
/// sender on the probe's address in the same second is still counted (the window is full once it holds the
/// probe's own refusals).
public struct OwnProbeMatcher: Sendable {
    /// Ports each log service label listens on (`smtp` → 25, `submission` → 587): the log names the service,
    /// the record the port. Computed when a session first needs them (see `init(windows:lateSlack:servicePorts:)`).
    public var servicePorts: [String: Set<Int>] {
        get { ports.value }
        set { ports = LazyPorts { newValue } }
    }
    private var ports: LazyPorts
    /// Seconds a log time may lie after a window's end: the server logs a moment after the client saw the end,
    /// and a syslog daemon stamps lines when it receives them.
    public var lateSlack: TimeInterval
    private let windows: [ProbeWindow]
    /// Canonical source addresses per window, in the order of `windows`.
    private let sources: [Set<String>]
    private let allSources: Set<String>
    private let longest: TimeInterval
    /// Sessions each window has claimed so far.
    private var claimed: [Int]

    /// Postfix's stock services and ports (master.cf's `smtp`, `submission`, `smtps`/`submissions`).
    public static let defaultServicePorts: [String: Set<Int>] = ["smtp": [25], "submission": [587], "smtps": [465], "submissions": [465]]

    public init(windows: [ProbeWindow], servicePorts: [String: Set<Int>] = OwnProbeMatcher.defaultServicePorts, lateSlack: TimeInterval = 1) {
        self.init(windows: windows, lateSlack: lateSlack) { servicePorts }
    }

    /// `servicePorts` runs once, when a failed session from a probe's address first needs the ports: reading the
    /// configuration for them costs milliseconds, and most logs hold no such session.
    public init(windows: [ProbeWindow], lateSlack: TimeInterval = 1, servicePorts: @escaping @Sendable () -> [String: Set<Int>]) {
        // A window whose probe saw no connection fail can claim nothing.
        let sorted = windows.filter { $0.end >= $0.start && $0.failures != 0 }.sorted { $0.start < $1.start }
        self.windows = sorted
        self.sources = sorted.map { Set($0.sources.compactMap(Self.canonicalAddress)) }
        self.allSources = self.sources.reduce(into: Set<String>()) { $0.formUnion($1) }
        self.longest = sorted.map { $0.end.timeIntervalSince($0.start) }.max() ?? 0
        self.claimed = Array(repeating: 0, count: sorted.count)
        self.ports = LazyPorts(servicePorts)
        self.lateSlack = lateSlack
    }

    /// The ports, computed on first read; shared by copies of the matcher (they read the same configuration).
    private final class LazyPorts: Sendable {
        private let compute: @Sendable () -> [String: Set<Int>]
        private let computed = Mutex<[String: Set<Int>]?>(nil)
        init(_ compute: @escaping @Sendable () -> [String: Set<Int>]) { self.compute = compute }
        var value: [String: Set<Int>] {
            computed.withLock { known in
                if let known { return known }
                let ports = compute()
                known = ports
                return ports
            }
        }
    }

    public var isEmpty: Bool { windows.isEmpty }

    /// The window `event` falls in with room left, which then counts it: nil when it is (as far as the record
    /// tells) a peer's. Call once per event, in log order.
    public mutating func claim(_ event: TLSEvent) -> ProbeWindow? {
        guard let i = index(for: event) else { return nil }
        claimed[i] += 1
        return windows[i]
    }

    /// Carries over what `old`'s windows claimed (by record id), so a re-read record does not claim a session twice.
    public mutating func keepClaims(of old: OwnProbeMatcher) {
        var byID: [String: Int] = [:]
        for (i, w) in old.windows.enumerated() where old.claimed[i] > 0 { byID[w.id] = old.claimed[i] }
        guard !byID.isEmpty else { return }
        for (i, w) in windows.enumerated() { claimed[i] = byID[w.id] ?? 0 }
    }

    /// The window that would claim `event` now, without counting it.
    public func window(for event: TLSEvent) -> ProbeWindow? {
        index(for: event).map { windows[$0] }
    }

    private func index(for event: TLSEvent) -> Int? {
        guard !windows.isEmpty, event.kind == .session, let time = event.time, let peer = event.peer,
              let address = Self.quickCanonical(peer.address), allSources.contains(address),
              let service = event.service, let ports = servicePorts[service], !ports.isEmpty else { return nil }
        // Windows start in order: only those starting after (time - longest - lateSlack) can reach it.
        var low = 0, high = windows.count
        let earliest = time.addingTimeInterval(-longest - lateSlack)
        while low < high {
            let mid = (low + high) / 2
            if windows[mid].start < earliest { low = mid + 1 } else { high = mid }
        }
        var i = low
        // Log times are cut down to the second: a window counts from the start of its first second.
        while i < windows.count, (windows[i].start.timeIntervalSince1970).rounded(.down) <= time.timeIntervalSince1970 {
            let w = windows[i]
            // An opening record (a probe still running, or killed) has no exact claim limit: it takes no session
            // from the second it started in, which may be a peer's from just before (counted, as without a record).
            if !w.complete && (w.start.timeIntervalSince1970).rounded(.down) >= time.timeIntervalSince1970 { i += 1; continue }
            if time <= w.end.addingTimeInterval(lateSlack), ports.contains(w.port), sources[i].contains(address),
               peer.port == nil || w.sourcePorts.isEmpty || w.sourcePorts.contains(peer.port ?? -1),
               w.failures.map({ claimed[i] < $0 }) ?? true {
                return i
            }
            i += 1
        }
        return nil
    }

    /// Postfix logs IPv4 addresses as plain dotted quads, already canonical: only IPv6 (and mapped) spellings
    /// need inet_pton/inet_ntop, which would otherwise run for every failed session of a large log.
    @inline(__always)
    private static func quickCanonical(_ text: String) -> String? {
        text.utf8.contains(58) || text.utf8.first == 91 ? canonicalAddress(text) : text
    }

    /// One spelling per address: IPv6 compressed and lower-case, IPv4-mapped IPv6 as IPv4, Postfix's `ipv6:` prefix
    /// dropped. Nil for anything that is not an address (`unknown`).
    public static func canonicalAddress(_ text: String) -> String? {
        var bare = text
        if bare.hasPrefix("[") && bare.hasSuffix("]") { bare = String(bare.dropFirst().dropLast()) }
        if bare.lowercased().hasPrefix("ipv6:") { bare = String(bare.dropFirst(5)) }
        if let percent = bare.firstIndex(of: "%") { bare = String(bare[..<percent]) }
        var v4 = in_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 { return ntop(AF_INET, &v4) }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, bare, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        return ntop(AF_INET6, &v6)
    }

    private static func ntop<T>(_ family: Int32, _ address: inout T) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let written = withUnsafeBytes(of: &address) { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) }
        guard written != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
