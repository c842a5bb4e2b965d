import Foundation
import PostlsCore
import TLSKit

/// Writes a prober's windows to a probe record: which listener, when, from which local addresses, by which
/// command. The server logs the probe's connections (its refusals of TLS 1.0/1.1 included); the log engine
/// reads the record to keep them apart from real peers' failures.
public struct ProbeRecorder: Sendable {
    public let store: any ProbeRecordStore
    /// The postls command that probes (`probe`, `diagnose`, `fix`, `check`, `wizard`).
    public let command: String
    public let clock: WallClock

    public init(store: any ProbeRecordStore, command: String, clock: WallClock = SystemClock()) {
        self.store = store; self.command = command; self.clock = clock
    }

    /// Opening records, one per target, ending `seconds` from now at the latest, claiming at most `failures` sessions
    /// each; returns their ids in order.
    /// The sources are the kernel's choice of source address towards each target, known before connecting.
    func open(_ targets: [ProbeTarget], upTo seconds: Double, failures: Int?) -> [String] {
        let now = clock.now()
        let records = targets.map { t in
            ProbeWindow(start: now, end: now.addingTimeInterval(seconds), host: t.host, address: t.address.ip, port: Int(t.port),
                        sources: t.address.sourceAddress.map { [$0.ip] } ?? [], failures: failures, command: command, complete: false)
        }
        store.append(records)
        return records.map(\.id)
    }

    /// The closing record: the real window and the addresses and ports the connections came from (none when no
    /// connection was made: then the server logged nothing).
    func close(id: String, target: ProbeTarget, start: Date, sources: [SocketAddress], failures: Int) {
        var ips: [String] = []
        for s in sources where !ips.contains(s.ip) { ips.append(s.ip) }
        // No connection made, nothing logged: an empty record matches nothing.
        store.append([ProbeWindow(id: id, start: start, end: clock.now(), host: target.host, address: target.address.ip,
                                  port: Int(target.port), sources: ips, sourcePorts: sources.map { Int($0.port) }, failures: failures,
                                  command: command)])
    }
}
