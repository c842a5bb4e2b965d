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
            policy.tlsaMatches[mx.host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))] = tlsa.matches
        }
        return policy
    }

    /// Applies the domain's policy to every listener's sender verdicts.
    public static func apply(_ report: DNSReport, to probe: inout ProbeReport, profiles: [SenderProfile]) {
        let policy = policy(from: report)
        for i in probe.targets.indices { SenderVerdicts.apply(policy, to: &probe.targets[i], profiles: profiles) }
    }
}

extension SenderPolicyJoin {
    /// The "Senders" table of the support report: one row per listener, one column per named sender, with the
    /// domain's policy applied when its DNS was checked. Empty when no listener has sender verdicts.
    public static func sendersMarkdown(_ probe: ProbeReport, dns: DNSReport?) -> String {
        var probe = probe
        if let dns { apply(dns, to: &probe, profiles: SenderProfile.all) }
        let ids = SenderProfile.all.map(\.id).filter { id in probe.targets.contains { $0.profiles.contains { $0.id == id } } }
        guard !ids.isEmpty else { return "" }
        var out = "### Senders\n\nWhat named senders do with mail for each listener: approximations, sources in docs/SENDERS.md"
        out += (dns.map { " (the DNS of \($0.domain) applied)" } ?? "") + ".\n\n"
        out += "| Listener | " + ids.joined(separator: " | ") + " |\n|---|" + String(repeating: "---|", count: ids.count) + "\n"
        for t in probe.targets where !t.profiles.isEmpty {
            let address = t.address.contains(":") ? "[\(t.address)]" : t.address
            out += "| \(address):\(t.port) |"
            for id in ids {
                guard let v = t.profiles.first(where: { $0.id == id }) else { out += " - |"; continue }
                out += " \(v.outcome.rawValue)\(v.protocol.map { " \($0)" } ?? "") |"
            }
            out += "\n"
        }
        let notes = probe.targets.flatMap { t in t.profiles.filter { $0.outcome != .tls }.map { (t, $0) } }
        if !notes.isEmpty {
            out += "\n"
            for (t, v) in notes { out += "- \(t.address):\(t.port) \(v.id) \(v.outcome.rawValue): \(v.reasons.joined(separator: "; "))\n" }
        }
        return out + "\n"
    }
}

extension SenderPolicyJoin {
    /// The "Senders" table of `postls diagnose`'s text: the support report's table in columns, the outcomes
    /// other than TLS with their reasons below it. Empty when no listener has sender verdicts.
    public static func sendersText(_ probe: ProbeReport, dns: DNSReport?) -> String {
        var probe = probe
        if let dns { apply(dns, to: &probe, profiles: SenderProfile.all) }
        let ids = SenderProfile.all.map(\.id).filter { id in probe.targets.contains { $0.profiles.contains { $0.id == id } } }
        guard !ids.isEmpty else { return "" }
        var rows: [[String]] = [["listener"] + ids]
        for t in probe.targets where !t.profiles.isEmpty {
            let address = t.address.contains(":") ? "[\(t.address)]" : t.address
            rows.append(["\(address):\(t.port)"] + ids.map { id in
                t.profiles.first { $0.id == id }.map { "\($0.outcome.rawValue)\($0.protocol.map { " \($0)" } ?? "")" } ?? "-"
            })
        }
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        var out = "\nSenders (approximations; sources in docs/SENDERS.md\(dns.map { "; the DNS of \($0.domain) applied" } ?? "")):\n"
        for row in rows {
            out += "  " + row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        for t in probe.targets {
            for v in t.profiles where v.outcome != .tls { out += "  - \(t.address):\(t.port) \(v.id) \(v.outcome.rawValue): \(v.reasons.joined(separator: "; "))\n" }
        }
        return out
    }
}

extension Gathered {
    /// What `postls diagnose` prints (and `postls` without a terminal): the diagnoses, then the named senders'
    /// verdicts per listener when the probe ran them.
    public func diagnoseText(color: Bool) -> String {
        report.text(color: color) + (probe.map { SenderPolicyJoin.sendersText($0, dns: dns) } ?? "")
    }
}
