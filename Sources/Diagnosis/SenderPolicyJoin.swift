import Foundation
import MailDNS
import TLSProbe

/// Joins `postls dns` with the named senders: what the domain publishes that binds enforcing senders.
public enum SenderPolicyJoin {
    /// MTA-STS only in `enforce` mode; TLSA only when DNSSEC-validated and usable (what RFC 7672 senders act on).
    public static func policy(from report: DNSReport) -> SenderDomainPolicy {
        var policy = SenderDomainPolicy(domain: report.domain)
        if let sts = report.mtaSTS?.policy, sts.mode == .enforce {
            policy.mtaSTSEnforce = true
            policy.mtaSTSMX = sts.mx
        }
        for mx in report.mx {
            guard let tlsa = mx.tlsa, tlsa.validated, !tlsa.records.isEmpty else { continue }
            policy.tlsaMatches[key(mx.host)] = tlsa.matches
            for address in mx.addresses where policy.tlsaMXByAddress[address] == nil { policy.tlsaMXByAddress[address] = key(mx.host) }
        }
        return policy
    }

    /// Applies the domain's policy to every listener's sender verdicts.
    public static func apply(_ report: DNSReport, to probe: inout ProbeReport, profiles: [SenderProfile]) {
        let policy = policy(from: report)
        for i in probe.targets.indices { SenderVerdicts.apply(policy, to: &probe.targets[i], profiles: profiles) }
    }

    /// An MX host as the policy's tables key it: lower case, no trailing dot.
    static func key(_ host: String) -> String { host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".")) }

    /// The probe with the domain's policy applied to its sender verdicts when the DNS was checked: what the
    /// `diagnose` and report tables and the wizard's Probe step show.
    public static func applied(_ probe: ProbeReport, dns: DNSReport?) -> ProbeReport {
        var probe = probe
        if let dns { apply(dns, to: &probe, profiles: SenderProfile.all) }
        return probe
    }
}

extension SenderPolicyJoin {
    /// The senders table both renderings share: the named senders with a verdict somewhere, one row per listener
    /// with verdicts (its outcome per sender, "-" where it has none), and a note per outcome other than TLS.
    struct SendersTable {
        var ids: [String]
        var rows: [(listener: String, cells: [String])]
        var notes: [String]
    }

    /// The table with the domain's policy applied when its DNS was checked; nil when no listener has sender verdicts.
    static func sendersTable(_ probe: ProbeReport, dns: DNSReport?) -> SendersTable? {
        let probe = applied(probe, dns: dns)
        let ids = SenderProfile.all.map(\.id).filter { id in probe.targets.contains { $0.profiles.contains { $0.id == id } } }
        guard !ids.isEmpty else { return nil }
        let rows = probe.targets.filter { !$0.profiles.isEmpty }.map { t in
            (listener: t.endpoint, cells: ids.map { id in
                t.profiles.first { $0.id == id }.map { "\($0.outcome.rawValue)\($0.protocol.map { " \($0)" } ?? "")" } ?? "-"
            })
        }
        let notes = probe.targets.flatMap { t in
            let others = t.profiles.filter { $0.outcome != .tls }
            // Every sender turned away alike (nothing listens, say): one note, not one per sender.
            if others.count > 1, others.count == t.profiles.count,
               others.allSatisfy({ $0.outcome == others[0].outcome && $0.reasons == others[0].reasons }) {
                return ["\(t.endpoint) every sender \(others[0].outcome.rawValue): \(others[0].reasons.joined(separator: "; "))"]
            }
            return others.map { v in "\(t.endpoint) \(v.id) \(v.outcome.rawValue): \(v.reasons.joined(separator: "; "))" }
        }
        return SendersTable(ids: ids, rows: rows, notes: notes)
    }

    /// The "Senders" table of the support report: one row per listener, one column per named sender, with the
    /// domain's policy applied when its DNS was checked. Empty when no listener has sender verdicts.
    public static func sendersMarkdown(_ probe: ProbeReport, dns: DNSReport?) -> String {
        guard let table = sendersTable(probe, dns: dns) else { return "" }
        var out = "### Senders\n\nWhat named senders do with mail for each listener: approximations, sources in docs/SENDERS.md"
        out += (dns.map { " (the DNS of \($0.domain) applied)" } ?? "") + ".\n\n"
        out += "| Listener | " + table.ids.joined(separator: " | ") + " |\n|---|" + String(repeating: "---|", count: table.ids.count) + "\n"
        for row in table.rows { out += "| \(row.listener) |" + row.cells.map { " \($0) |" }.joined() + "\n" }
        if !table.notes.isEmpty { out += "\n" + table.notes.map { "- \($0)\n" }.joined() }
        return out + "\n"
    }

    /// The "Senders" table of `postls diagnose`'s text: the support report's table in columns, the outcomes
    /// other than TLS with their reasons below it. Empty when no listener has sender verdicts.
    public static func sendersText(_ probe: ProbeReport, dns: DNSReport?) -> String {
        guard let table = sendersTable(probe, dns: dns) else { return "" }
        let rows = [["listener"] + table.ids] + table.rows.map { [$0.listener] + $0.cells }
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        var out = "\nSenders (approximations; sources in docs/SENDERS.md\(dns.map { "; the DNS of \($0.domain) applied" } ?? "")):\n"
        for row in rows {
            out += "  " + row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        return out + table.notes.map { "  - \($0)\n" }.joined()
    }
}

extension Gathered {
    /// What `postls diagnose` prints (and `postls` without a terminal): the diagnoses, then the named senders'
    /// verdicts per listener when the probe ran them.
    public func diagnoseText(color: Bool) -> String {
        report.text(color: color) + (probe.map { SenderPolicyJoin.sendersText($0, dns: dns) } ?? "")
    }
}
