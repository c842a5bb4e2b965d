import Foundation
import MailDNS
import PostfixConfig
import PostlsCore

// The contract of docs/json/diagnose.schema.json (`postls diagnose --json`) and fix.schema.json (`postls fix
// list --json`). Evidence's synthesized keys are already the contract's.

extension Diagnosis {
    private enum ContractKeys: String, CodingKey {
        case cause, severity, confidence, summary, explanation, evidence, fixes, status, notes, sources
        case logEvents = "log_events"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ContractKeys.self)
        try c.encode(cause, forKey: .cause); try c.encode(severity, forKey: .severity)
        try c.encode(confidence, forKey: .confidence); try c.encode(summary, forKey: .summary)
        try c.encode(explanation, forKey: .explanation); try c.encode(evidence, forKey: .evidence)
        try c.encode(fixes, forKey: .fixes); try c.encode(status, forKey: .status); try c.encode(notes, forKey: .notes)
        try c.encode(logEvents, forKey: .logEvents); try c.encode(sources.map(\.rawValue).sorted(), forKey: .sources)
    }
}

extension Fix {
    private enum ContractKeys: String, CodingKey {
        case id, title, kind, cause, diff, commands, edits, impact, applicable, ports, files, server, records
    }

    /// A file action's contents (a generated key, say) are never printed: only where and why.
    private struct FileJSON: Encodable { var path: String; var explanation: String }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ContractKeys.self)
        try c.encode(id, forKey: .id); try c.encode(title, forKey: .title); try c.encode(kind, forKey: .kind)
        try c.encode(cause, forKey: .cause); try c.encode(diff, forKey: .diff); try c.encode(commands, forKey: .commands)
        try c.encode(edits, forKey: .edits); try c.encode(impact, forKey: .impact); try c.encode(applicable, forKey: .applicable)
        try c.encode(ports, forKey: .ports); try c.encode(server, forKey: .server)
        try c.encode(files.map { FileJSON(path: $0.path, explanation: $0.explanation) }, forKey: .files)
        if kind == .dnsRecord { try c.encode(records, forKey: .records) }
    }
}

extension DiagnosisReport: Encodable {
    private enum ContractKeys: String, CodingKey {
        case diagnoses, fixes, limitations
        case senderReports = "sender_reports"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ContractKeys.self)
        try c.encode(diagnoses, forKey: .diagnoses); try c.encode(fixes, forKey: .fixes)
        try c.encode(limitations, forKey: .limitations)
        try c.encodeIfPresent(senderReports, forKey: .senderReports)
    }

    /// The contract's JSON (ContractJSON), ending in a newline.
    public func jsonData() throws -> Data { try ContractJSON.line(self) }

    /// Text for a terminal: most important first, each with evidence and fix ids.
    public func text(color: Bool = false) -> String {
        func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
        let active = diagnoses.filter { $0.status == .active }
        var out = ""
        if diagnoses.isEmpty {
            out += "No TLS problem found.\n"
        } else {
            let counts = Dictionary(grouping: active, by: \.severity).mapValues(\.count)
            let parts = [Severity.critical, .warning, .info].compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }
            out += "\(active.count) problem\(active.count == 1 ? "" : "s") found" + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))") + ", most important first.\n"
        }
        for (index, d) in diagnoses.enumerated() {
            let label = d.severity.label(color: color, bold: true)
            out += "\n\(index + 1). \(label) \(paint(d.cause.rawValue, "1"))  \(CauseCatalog.shared.title(d.cause))"
            out += "  [confidence \(d.confidence.rawValue): \(d.sources.map(\.rawValue).sorted().joined(separator: "+"))]\n"
            if d.status == .possiblyFixed { out += "   (possibly fixed already)\n" }
            out += "   \(d.summary)\n"
            for e in d.evidence.prefix(8) {
                out += "   - \(e.source.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(e.location): \(e.text)\n"
            }
            if d.evidence.count > 8 { out += "   - … \(d.evidence.count - 8) more (see --json)\n" }
            for note in d.notes { out += "   \(note)\n" }
            for id in d.fixes {
                guard let fix = fix(id: id) else { continue }
                out += "   Fix \(paint(fix.id, "1")): \(fix.title)\n"
                if let impact = fix.impact { out += "     Impact: \(impact)\n" }
                if fix.applicable { out += "     Apply: postls fix apply \(fix.id)\n" }
                else {
                    if fix.server == .dovecot { out += "     Advice only: postls does not edit Dovecot's files (see the diff: postls fix show \(fix.id))\n" }
                    for c in fix.commands { out += "     $ \(c)\n" }
                    if !fix.records.isEmpty { out += "     Publish at your DNS provider (`postls fix show \(fix.id)` prints them from the first column, to paste):\n" + fix.records.flatMap { $0.pasteLines() }.map { "       \($0)\n" }.joined() }
                }
            }
        }
        if let senderReports { out += senderReports.text() }
        if !limitations.isEmpty {
            out += "\nLimits of this diagnosis:\n"
            for l in limitations { out += "  - \(l)\n" }
        }
        return out
    }
}

extension SenderReports: Encodable {
    private enum ContractKeys: String, CodingKey {
        case reports, organizations, rejected, failures
        case successfulSessions = "successful_sessions", failedSessions = "failed_sessions", logsRead = "logs_read"
        case notSeenLocally = "not_seen_locally"
    }

    private struct RejectedJSON: Encodable { var source: String; var reason: String }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ContractKeys.self)
        try c.encode(reports, forKey: .reports); try c.encode(organizations, forKey: .organizations)
        try c.encode(successfulSessions, forKey: .successfulSessions); try c.encode(failedSessions, forKey: .failedSessions)
        try c.encode(rejected.map { RejectedJSON(source: $0.source, reason: $0.reason) }, forKey: .rejected)
        try c.encode(failures, forKey: .failures); try c.encode(logsRead, forKey: .logsRead)
        try c.encode(notSeenLocally.count, forKey: .notSeenLocally)
    }

    /// The "Reported by senders" section of `postls diagnose`: each failure detail with what the local logs hold of it.
    public func text() -> String {
        var out = "\nReported by senders (TLS-RPT): \(reports) report\(reports == 1 ? "" : "s")"
        out += organizations.isEmpty ? "" : " from \(organizations.joined(separator: ", "))"
        out += ", \(successfulSessions) successful and \(failedSessions) failed sessions.\n"
        for f in failures {
            out += "  - \(Builder.reportLocation(f)): \(Builder.reportText(f)) → \(f.cause.rawValue)\n"
            if f.notSeenLocally { out += "    not seen locally: a path the local probe cannot see (firewall/NAT in front, another MX)\n" }
            for line in f.localLines { out += "    \(line.location): \(line.text)\n" }
        }
        for r in rejected { out += "  - rejected \(r.source): \(r.reason)\n" }
        if !logsRead, !failures.isEmpty { out += "  (no mail log was read: the failures were not matched to local lines)\n" }
        return out
    }
}

extension ReportedFailure: Encodable {
    private enum ContractKeys: String, CodingKey {
        case organization, day, source, cause
        case policyType = "policy_type", policyDomain = "policy_domain", blocksDelivery = "blocks_delivery"
        case resultType = "result_type", failedSessions = "failed_sessions", sendingMTAIP = "sending_mta_ip"
        case receivingIP = "receiving_ip", receivingMXHostname = "receiving_mx_hostname", failureReasonCode = "failure_reason_code"
        case periodStart = "period_start", periodEnd = "period_end", matchedBy = "matched_by", seenLocally = "seen_locally"
        case localLines = "local_lines", localLineCount = "local_line_count"
    }

    private struct LineJSON: Encodable { var location: String; var text: String }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ContractKeys.self)
        try c.encode(organization, forKey: .organization); try c.encode(day, forKey: .day); try c.encode(source, forKey: .source)
        try c.encode(policyType, forKey: .policyType); try c.encode(policyDomain, forKey: .policyDomain)
        try c.encode(blocksDelivery, forKey: .blocksDelivery); try c.encode(resultType.rawValue, forKey: .resultType)
        try c.encode(cause, forKey: .cause); try c.encode(failedSessions, forKey: .failedSessions)
        try c.encode(sendingMTAIP, forKey: .sendingMTAIP); try c.encode(receivingIP, forKey: .receivingIP)
        try c.encode(receivingMXHostname, forKey: .receivingMXHostname); try c.encode(failureReasonCode, forKey: .failureReasonCode)
        try c.encode(periodStart.map(TimeFormat.iso8601), forKey: .periodStart); try c.encode(periodEnd.map(TimeFormat.iso8601), forKey: .periodEnd)
        try c.encode(matchedBy, forKey: .matchedBy)
        try c.encode(matchedBy != "sending-mta-ip" && matchedBy != "time" ? nil : !notSeenLocally, forKey: .seenLocally)
        try c.encode(localLineCount, forKey: .localLineCount)
        try c.encode(localLines.map { LineJSON(location: $0.location, text: $0.text) }, forKey: .localLines)
    }
}
