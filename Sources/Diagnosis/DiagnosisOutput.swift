import Foundation
import PostfixConfig
import PostlsCore

extension Evidence {
    var jsonObject: [String: Any] { ["source": source.rawValue, "location": location, "text": text, "server": server.rawValue] }
}

extension Diagnosis {
    public var jsonObject: [String: Any] {
        ["cause": cause.rawValue, "severity": severity.rawValue, "confidence": confidence.rawValue, "summary": summary,
         "explanation": explanation, "evidence": evidence.map(\.jsonObject), "fixes": fixes, "status": status.rawValue,
         "notes": notes, "log_events": logEvents, "sources": sources.map(\.rawValue).sorted()]
    }
}

extension Fix {
    public var jsonObject: [String: Any] {
        let editObjects: [Any] = edits.compactMap { edit in
            (try? JSONEncoder().encode(edit)).flatMap { try? JSONSerialization.jsonObject(with: $0) }
        }
        return ["id": id, "title": title, "kind": kind.rawValue, "cause": cause.rawValue, "diff": diff as Any? ?? NSNull(),
                "commands": commands, "edits": editObjects, "impact": impact as Any? ?? NSNull(), "applicable": applicable,
                "ports": ports, "files": files.map { ["path": $0.path, "explanation": $0.explanation] }, "server": server.rawValue]
    }
}

extension DiagnosisReport {
    /// The contract of docs/json/diagnose.schema.json (`postls diagnose --json`).
    public var jsonObject: [String: Any] {
        ["diagnoses": diagnoses.map(\.jsonObject), "fixes": fixes.map(\.jsonObject), "limitations": limitations]
    }

    public func jsonData() throws -> Data {
        try JSONSerialization.data(withJSONObject: jsonObject, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

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
