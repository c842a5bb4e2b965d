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
    private enum ContractKeys: String, CodingKey { case diagnoses, fixes, limitations }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: ContractKeys.self)
        try c.encode(diagnoses, forKey: .diagnoses); try c.encode(fixes, forKey: .fixes)
        try c.encode(limitations, forKey: .limitations)
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
        if !limitations.isEmpty {
            out += "\nLimits of this diagnosis:\n"
            for l in limitations { out += "  - \(l)\n" }
        }
        return out
    }
}
