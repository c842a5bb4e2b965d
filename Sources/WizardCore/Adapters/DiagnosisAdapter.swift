import Diagnosis
import PostfixConfig
import PostlsCore

extension DiagnosisRow {
    /// A diagnosis as the Overview and Fixes steps show it: evidence as "source location: text" lines.
    public init(_ d: Diagnosis) {
        var evidence = d.evidence.map { "\($0.source.rawValue) \($0.location): \($0.text)" }
        evidence += d.notes
        if d.status == .possiblyFixed { evidence.insert("(possibly fixed already)", at: 0) }
        self.init(cause: d.cause, severity: d.severity, confidence: d.confidence, summary: d.summary,
                  evidence: evidence, fixIDs: d.fixes)
    }
}

extension SenderReportsRow {
    /// The join of senders' reports with the logs in the Overview's words: each failure detail with its cause and
    /// the local lines found for it, the unseen ones said plainly.
    public init(_ r: SenderReports) {
        var headline = "\(r.reports) report\(r.reports == 1 ? "" : "s")"
        if !r.organizations.isEmpty { headline += " from \(r.organizations.joined(separator: ", "))" }
        headline += ": \(r.successfulSessions) successful, \(r.failedSessions) failed sessions"
        if !r.rejected.isEmpty { headline += ", \(r.rejected.count) rejected" }
        // What the logs hold first: an 80-column Overview cuts the end of the line.
        let lines = r.failures.map { f in
            let status: String
            if f.notSeenLocally { status = "not seen locally" }
            else if f.matchedBy == "not-applicable" { status = "before SMTP" }
            else if f.matchedBy == "no-address" { status = "no address" }
            else if f.matchedBy != nil { status = "\(f.localLineCount) log line\(f.localLineCount == 1 ? "" : "s")" }
            else { status = "logs not read" }
            return "\(status): \(f.cause.rawValue)  \(f.failedSessions) \(f.resultType.rawValue)\(f.sendingMTAIP.map { " from \($0)" } ?? "") (\(f.organization))"
        }
        self.init(headline: headline, lines: lines, notSeenLocally: r.notSeenLocally.count)
    }
}

extension FixRow {
    public init(_ f: Fix) {
        let kind: Kind
        switch f.kind {
        case .configEdit: kind = .configEdit
        case .command: kind = .command
        case .dnsRecord: kind = .dnsRecord
        case .file: kind = .file
        }
        self.init(id: f.id, title: f.title, kind: kind, diff: f.diff, commands: f.commands, impact: f.impact ?? "",
                  runsItself: f.applicable, records: f.records.flatMap { $0.pasteLines() })
        opensSetup = f.kind == .command && f.commands.contains { $0.hasPrefix("postls setup ") }
    }
}

extension ConfigFindingRow {
    public init(_ f: Finding) {
        self.init(severity: f.severity, cause: f.cause, file: f.file ?? "config", line: f.line, parameter: f.parameter, message: f.message)
    }
}

extension ConfigSettingRow {
    /// The effective TLS settings of every smtpd listener, with where each value comes from.
    public static func rows(_ configuration: PostfixConfiguration) -> [ConfigSettingRow] {
        var rows: [ConfigSettingRow] = []
        for listener in configuration.smtpdListeners {
            let tls = listener.tls
            let name = listener.listen.port.map { "\(listener.service.name) (\($0))" } ?? listener.service.name
            let values: [(String, String)] = [
                ("smtpd_tls_security_level", tls.securityLevel), ("smtpd_tls_wrappermode", tls.wrappermode ? "yes" : "no"),
                ("smtpd_tls_protocols", tls.protocols), ("smtpd_tls_mandatory_protocols", tls.mandatoryProtocols),
                ("smtpd_tls_ciphers", tls.ciphers), ("smtpd_tls_mandatory_ciphers", tls.mandatoryCiphers),
                ("smtpd_tls_exclude_ciphers", tls.excludeCiphers),
                ("smtpd_tls_cert_file", tls.certFiles.joined(separator: ", ")), ("smtpd_tls_key_file", tls.keyFiles.joined(separator: ", ")),
                ("smtpd_tls_chain_files", tls.chainFiles.joined(separator: ", ")),
            ]
            for (parameter, value) in values {
                let source = listener.sources[parameter].map { "\($0)" } ?? "default"
                if value.isEmpty && source == "default" { continue }
                rows.append(ConfigSettingRow(service: name, parameter: parameter, value: value, source: source))
            }
        }
        return rows
    }
}
