import PostlsCore

/// Which server a finding, a piece of evidence or a fix is about. postls edits only Postfix's files; what it says
/// about Dovecot names Dovecot's settings and reload.
public enum MailServer: String, Sendable, Codable, Hashable, CaseIterable {
    case postfix, dovecot
}

/// One problem found in the configuration: what, where, how bad, and (when there is one) the edit that fixes it.
public struct Finding: Sendable, Equatable, Codable {
    /// Stable rule id, e.g. `tls_required_on_mx` or `duplicate_parameter`.
    public var id: String
    /// Root cause (docs/CAUSES.md).
    public var cause: Cause
    public var severity: Severity
    /// File name relative to the config directory (`main.cf`, `master.cf`) or an absolute path.
    public var file: String?
    /// 1-based line of the setting the finding is about.
    public var line: Int?
    /// Postfix parameter name the finding is about.
    public var parameter: String?
    /// A sentence a mail administrator understands.
    public var message: String
    /// The edit that fixes it, when one exists (main.cf/master.cf edits: Postfix findings only).
    public var fix: ConfigEdit?
    /// Whose configuration it is about: Postfix's (main.cf, master.cf and the files they name) or Dovecot's.
    public var server: MailServer

    public init(id: String, cause: Cause, severity: Severity, file: String? = nil, line: Int? = nil,
                parameter: String? = nil, message: String, fix: ConfigEdit? = nil, server: MailServer = .postfix) {
        self.id = id; self.cause = cause; self.severity = severity; self.file = file
        self.line = line; self.parameter = parameter; self.message = message; self.fix = fix; self.server = server
    }

    /// Where, as `main.cf:12`.
    public var location: String? {
        guard let file else { return nil }
        if let line { return "\(file):\(line)" }
        return file
    }
}

extension Array where Element == Finding {
    /// Most severe first, then by file and line, so output is stable.
    public func sortedForReport() -> [Finding] {
        sorted { a, b in
            if a.severity != b.severity { return a.severity > b.severity }
            if (a.file ?? "") != (b.file ?? "") { return (a.file ?? "") < (b.file ?? "") }
            if (a.line ?? 0) != (b.line ?? 0) { return (a.line ?? 0) < (b.line ?? 0) }
            return a.id < b.id
        }
    }

    /// The worst severity present, or nil when there are no findings.
    public var worstSeverity: Severity? { map(\.severity).max() }
}
