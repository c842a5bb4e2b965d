import PostlsCore

/// The text `postls tlsrpt` prints: per organisation and day the sessions, failures by result type (with the postls
/// cause), the failing MX hosts and addresses; then what was rejected or skipped, each with its reason.
public enum TLSReportTextReport {
    public static func render(_ summary: TLSReportSummary) -> String {
        let set = summary.set
        var out = "TLS reports: \(set.reports.count) read, \(set.rejected.count) rejected, \(set.skipped.count) skipped"
        if !set.unreadable.isEmpty { out += ", \(set.unreadable.count) unreadable" }
        out += "\n"
        if !summary.days.isEmpty {
            out += "sessions: \(summary.successfulSessions) successful, \(summary.failedSessions) failed\n"
        }
        for day in summary.days {
            let domains = day.policyDomains.isEmpty ? "" : "; \(day.policyDomains.joined(separator: ", "))"
            out += "\n\(day.organization)  \(day.day)  (\(day.reports) report\(day.reports == 1 ? "" : "s")\(domains))\n"
            out += "  sessions: \(day.successfulSessions) successful, \(day.failedSessions) failed"
            if day.blockedSessions > 0 { out += " (\(day.blockedSessions) not delivered: DANE or MTA-STS enforce)" }
            out += "\n"
            let counts = day.failuresByResultType.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            if !counts.isEmpty {
                out += "  failures by result type:\n"
                let width = counts.map(\.key.rawValue.count).max() ?? 0
                for (type, n) in counts {
                    out += "    " + type.rawValue.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(n)  (\(type.cause.rawValue))\n"
                }
            }
            if !day.failing.isEmpty {
                out += "  failing MX / IP:\n"
                for host in day.failing {
                    let mx = host.receivingMXHostname ?? "(MX not named)"
                    let ip = host.receivingIP.map { " [\($0)]" } ?? ""
                    var line = "    \(mx)\(ip)  \(host.resultType.rawValue)  \(host.failedSessions)"
                    if !host.sendingMTAIPs.isEmpty { line += "  from \(host.sendingMTAIPs.joined(separator: ", "))" }
                    if !host.failureReasonCodes.isEmpty { line += "  (\(host.failureReasonCodes.joined(separator: "; ")))" }
                    out += line + "\n"
                }
            }
        }
        out.appendSection("Rejected", set.rejected) { "\($0.source): \($0.reason)" }
        out.appendSection("Unreadable", set.unreadable) { "\($0.source): \($0.reason)" }
        out.appendSection("Skipped", set.skipped) { "\($0.source): \($0.reason)" }
        return out
    }
}
