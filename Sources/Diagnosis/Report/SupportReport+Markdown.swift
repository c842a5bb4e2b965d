import Foundation
import MailDNS
import MailLog
import PostfixConfig
import PostlsCore
import TLSKit
import TLSProbe

/// The report in Markdown, one function a section.
extension SupportReport {
    static func cell(_ s: String) -> String {
        s.isEmpty ? "-" : s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func renderMarkdown(gathered: Gathered, versions: Versions, redacted: Bool, now: Date, dovecot: DovecotConfig?) -> String {
        markdownSummary(gathered: gathered, versions: versions, redacted: redacted, now: now)
            + versionsToken
            + markdownListeners(gathered)
            + markdownCertificates(gathered, now: now)
            + markdownDovecot(dovecot)
            + markdownFindings(gathered)
            + markdownProbe(gathered)
            + markdownLogs(gathered)
            + markdownDNS(gathered)
            + markdownSenderReports(gathered)
            + markdownDiagnoses(gathered)
    }

    /// The title, what the report leaves out, and the counts.
    static func markdownSummary(gathered: Gathered, versions: Versions, redacted: Bool, now: Date) -> String {
        var out = "# postls support report\n\n"
        out += "Generated \(TimeFormat.iso8601(now)) by postls \(versions.postls)"
        out += redacted ? ". Host names, domains, addresses and mail addresses are replaced by placeholders.\n" : ".\n"
        out += "Private keys are never included.\n\n"

        let active = gathered.report.diagnoses.filter { $0.status == .active }
        let worst = active.map(\.severity).max()
        out += "**Summary:** \(active.count) active problem\(active.count == 1 ? "" : "s")"
        out += worst.map { " (worst: \($0.rawValue))" } ?? ""
        out += ", \(gathered.findings.count) configuration finding\(gathered.findings.count == 1 ? "" : "s")"
        out += ", \(gathered.probe?.targets.count ?? 0) listener\(gathered.probe?.targets.count == 1 ? "" : "s") probed"
        out += ", \(gathered.logReport?.summary.events ?? 0) TLS failure\(gathered.logReport?.summary.events == 1 ? "" : "s") in the logs.\n\n"
        return out
    }

    /// The effective TLS settings of each smtpd listener.
    static func markdownListeners(_ gathered: Gathered) -> String {
        var out = "## Effective TLS settings per listener\n\n"
        if let c = gathered.configuration {
            out += "Configuration directory: `\(c.directory)`\n\n"
            let listeners = c.smtpdListeners
            if listeners.isEmpty { out += "No smtpd service in master.cf.\n\n" } else {
                out += "| Service | master.cf | Level | Wrapper mode | Protocols | Mandatory protocols | Ciphers | Mandatory ciphers | Certificate files |\n"
                out += "|---|---|---|---|---|---|---|---|---|\n"
                for l in listeners {
                    let t = l.tls
                    out += "| \(cell(l.service.name))/\(l.service.type) | \(l.service.line) | \(t.securityLevel) | \(t.wrappermode ? "yes" : "no")"
                    out += " | \(cell(t.protocols)) | \(cell(t.mandatoryProtocols)) | \(cell(t.ciphers)) | \(cell(t.mandatoryCiphers))"
                    out += " | \(cell((t.chainFiles.isEmpty ? t.certFiles : t.chainFiles).joined(separator: ", "))) |\n"
                }
                out += "\n"
            }
        } else {
            out += "The configuration could not be read: \(gathered.configError ?? "unknown error")\n\n"
        }
        return out
    }

    /// What each configured certificate is (never its contents).
    static func markdownCertificates(_ gathered: Gathered, now: Date) -> String {
        var out = ""
        let certs = configuredCertificates(gathered)
        if !certs.isEmpty {
            out += "### Configured certificates\n\n"
            for cert in certs {
                out += "- `\(cert.file)`: "
                if let i = cert.info {
                    out += "subject `\(i.subject)`, issuer `\(i.issuer)`, names \(i.san.isEmpty ? "-" : i.san.joined(separator: ", ")), "
                    out += "\(i.key), expires \(TimeFormat.iso8601(i.notAfter)) (\(i.daysUntilExpiry(from: now)) days)"
                    out += i.isSelfIssued ? ", self-signed" : ""
                    out += ", SHA-256 `\(i.sha256)`\n"
                } else {
                    out += "cannot be read: \(cert.error ?? "unknown error")\n"
                }
            }
            out += "\n"
        }
        return out
    }

    /// Dovecot's global ssl settings and the filters that set them otherwise.
    static func markdownDovecot(_ dovecot: DovecotConfig?) -> String {
        var out = ""
        if let dovecot {
            out += "### Dovecot\n\n`\(dovecot.path)` (with its includes): "
            out += dovecotGlobalSettings(dovecot).map { "`\($0.name) = \($0.value ?? "(default)")`" }.joined(separator: ", ") + "\n\n"
            let filters = dovecotFilterSettings(dovecot)
            for filter in filters {
                out += "- in `\(filter.criteria)` (`\(filter.settings[0].file)` line \(filter.settings[0].line)): "
                out += filter.settings.map { "`\($0.key) = \($0.value)`" }.joined(separator: ", ") + "\n"
            }
            if !filters.isEmpty { out += "\n" }
        }
        return out
    }

    /// Lint findings, most severe first.
    static func markdownFindings(_ gathered: Gathered) -> String {
        var out = "## Configuration findings\n\n"
        if gathered.findings.isEmpty { out += "None.\n\n" }
        for f in gathered.findings.sortedForReport() {
            out += "- **\(f.severity.rawValue)** `\(f.id)` (\(f.cause.rawValue))\(f.location.map { " at \($0)" } ?? "")"
            out += f.parameter.map { ", `\($0)`" } ?? ""
            out += ": \(f.message)"
            out += f.fix.map { " Fix: \($0.summary)." } ?? ""
            out += "\n"
        }
        if !gathered.findings.isEmpty { out += "\n" }
        return out
    }

    /// One row per probed listener, the chains served, and the probe findings.
    static func markdownProbe(_ gathered: Gathered) -> String {
        var out = "## Probe results\n\n"
        if let probe = gathered.probe, !probe.targets.isEmpty {
            out += "| Listener | Mode | STARTTLS | Negotiated | TLSv1 | TLSv1.1 | TLSv1.2 | TLSv1.3 | Verify | Name match | Expires in | Error |\n"
            out += "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
            for t in probe.targets {
                out += "| \(cell(t.host)) \(t.endpoint) | \(t.mode.rawValue) | \(t.starttlsOffered.map { $0 ? "offered" : "not offered" } ?? "-")"
                out += " | \(t.negotiated.map { "\($0.protocol) \($0.cipher)" } ?? "-")"
                for version in ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] { out += " | \(t.protocols[version]?.rawValue ?? "-")" }
                out += " | \(t.verify.map { "\($0.code) \($0.message)" } ?? "-") | \(t.nameMatch.map { $0 ? "yes" : "no" } ?? "-")"
                out += " | \(t.daysToExpiry.map { "\($0) days" } ?? "-") | \(cell(t.error.map { "\($0.phase.rawValue): \($0.message)" } ?? "")) |\n"
            }
            out += "\n"
            for t in probe.targets {
                let served = t.chain
                guard !served.isEmpty else { continue }
                out += "Served by \(t.address):\(t.port): " + served.map { "`\($0.subject)` (issuer `\($0.issuer)`, \($0.key), until \($0.notAfter))" }.joined(separator: " → ") + "\n\n"
            }
            out += SenderPolicyJoin.sendersMarkdown(probe, dns: gathered.dns)
            let probeFindings = probe.targets.flatMap { t in t.findings.map { (t, $0) } }
            if !probeFindings.isEmpty {
                out += "Probe findings:\n\n"
                for (t, f) in probeFindings { out += "- \(t.address):\(t.port) **\(f.severity.rawValue)** `\(f.id)`: \(f.message)\n" }
                out += "\n"
            }
        } else {
            out += "Not probed.\n\n"
        }
        return out
    }

    /// The failures in the logs by cause, peer domain and TLS version.
    static func markdownLogs(_ gathered: Gathered) -> String {
        var out = "## Mail log summary\n\n"
        if let logs = gathered.logReport {
            let s = logs.summary
            out += "Read \(s.linesRead) lines from \(gathered.logFiles.map { "`\($0)`" }.joined(separator: ", ")) (\(s.linesSkipped) skipped); \(s.events) failed TLS sessions.\n\n"
            func table(_ title: String, _ header: String, _ rows: [(String, Int)]) {
                out += "### \(title)\n\n"
                if rows.isEmpty { out += "None.\n\n"; return }
                out += "| \(header) | Count |\n|---|---|\n"
                for (k, v) in rows { out += "| \(cell(k)) | \(v) |\n" }
                out += "\n"
            }
            func sorted(_ d: [String: Int]) -> [(String, Int)] { d.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) } }
            table("Failures per cause", "Cause", sorted(Dictionary(uniqueKeysWithValues: s.byCause.map { ($0.key.rawValue, $0.value) })))
            table("Failures per peer domain", "Peer domain", Array(sorted(s.byPeerDomain).prefix(30)))
            table("TLS versions established", "Protocol", s.tlsEstablished.sorted { TLSProtocolVersion.rank($0.key) < TLSProtocolVersion.rank($1.key) }.map { ($0.key, $0.value) })
            for w in s.warnings { out += "- Warning: \(w)\n" }
        } else {
            out += "Not read\(gathered.logError.map { ": \($0)" } ?? "").\n\n"
        }
        return out
    }

    /// MX, DNSSEC and TLSA with `--domain`.
    /// Senders' TLS reports (`--tlsrpt`) joined to the logs: `postls diagnose`'s section, as it prints it.
    static func markdownSenderReports(_ gathered: Gathered) -> String {
        guard let senders = gathered.report.senderReports else { return "" }
        return "## Reported by senders (TLS-RPT)\n\n```\n" + senders.text().trimmingCharacters(in: .newlines) + "\n```\n\n"
    }

    static func markdownDNS(_ gathered: Gathered) -> String {
        var out = ""
        if let dns = gathered.dns {
            out += "## DNS of \(dns.domain)\n\n"
            out += "DNSSEC: \(dns.dnssec.rawValue) (resolver \(dns.resolver)).\n\n"
            if !dns.mx.isEmpty {
                out += "| MX | Preference | Addresses | DNSSEC | TLSA |\n|---|---|---|---|---|\n"
                for mx in dns.mx {
                    out += "| \(mx.host) | \(mx.preference) | \(mx.addresses.joined(separator: ", ")) | \(mx.dnssec.rawValue) | \(mx.tlsa == nil ? "none" : "present") |\n"
                }
                out += "\n"
            }
            for f in dns.findings { out += "- \(f.severity.rawValue.uppercased()) `\(f.cause.rawValue)`: \(f.message)\n" }
            if !dns.findings.isEmpty { out += "\n" }
        }
        return out
    }

    /// Each diagnosis with its evidence and fixes, then what the report could not see.
    static func markdownDiagnoses(_ gathered: Gathered) -> String {
        var out = "## Diagnoses\n\n"
        let report = gathered.report
        if report.diagnoses.isEmpty { out += "No TLS problem found.\n\n" }
        for (index, d) in report.diagnoses.enumerated() {
            out += "### \(index + 1). \(d.severity.rawValue.uppercased()) `\(d.cause.rawValue)`: \(CauseCatalog.shared.title(d.cause))\n\n"
            out += "Confidence \(d.confidence.rawValue), sources: \(d.sources.map(\.rawValue).sorted().joined(separator: ", "))"
            out += d.status == .possiblyFixed ? " (seen in the logs, possibly fixed already)" : ""
            out += ".\n\n\(d.summary)\n\n"
            if !d.evidence.isEmpty {
                out += "Evidence:\n\n"
                for e in d.evidence.prefix(20) { out += "- \(e.source.rawValue) `\(e.location)`: \(e.text)\n" }
                if d.evidence.count > 20 { out += "- … \(d.evidence.count - 20) more\n" }
                out += "\n"
            }
            for note in d.notes { out += "> \(note)\n\n" }
            for id in d.fixes {
                guard let fix = report.fix(id: id) else { continue }
                out += "Fix `\(fix.id)`: \(fix.title)\(fix.applicable ? " (apply with `postls fix apply \(fix.id)`)" : "")\n\n"
                if let impact = fix.impact { out += "Impact: \(impact)\n\n" }
                if let diff = fix.diff, !diff.isEmpty { out += "```diff\n\(diff)\(diff.hasSuffix("\n") ? "" : "\n")```\n\n" }
                if !fix.commands.isEmpty { out += "```\n" + fix.commands.joined(separator: "\n") + "\n```\n\n" }
            }
        }
        if !report.limitations.isEmpty {
            out += "## Limits of this report\n\n"
            for l in report.limitations { out += "- \(l)\n" }
            out += "\n"
        }
        return out
    }
}
