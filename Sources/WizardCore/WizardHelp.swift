/// A key and what it does here; TerminalUI shows these in the status line and the help overlay.
public struct KeyHelp: Sendable, Hashable {
    public var keys: String
    public var label: String
    public init(_ keys: String, _ label: String) { self.keys = keys; self.label = label }
}

/// Which keys work in the current state: kept next to the reducer so the screen never promises a
/// key the reducer ignores.
public enum WizardHelp {
    /// The status line: the few keys that matter most right now.
    public static func statusKeys(_ s: WizardState) -> [KeyHelp] {
        if s.size.isTooSmall { return [KeyHelp("q", "quit")] }
        if let dialog = s.dialog {
            switch dialog {
            case .confirmQuit: return [KeyHelp("y", "quit anyway"), KeyHelp("n/Esc", "stay")]
            case .confirmApply: return [KeyHelp("y/Enter", "apply"), KeyHelp("n/Esc", "cancel")]
            case .confirmRollback: return [KeyHelp("y/Enter", "roll back"), KeyHelp("n/Esc", "cancel")]
            case .confirmSetup: return [KeyHelp("y/Enter", "apply setup"), KeyHelp("n/Esc", "cancel")]
            }
        }
        if let input = s.input {
            switch input.purpose {
            case .logSearch: return [KeyHelp("Enter", "keep"), KeyHelp("Esc", "cancel search"), KeyHelp("Bksp", "delete")]
            default: return [KeyHelp("Enter", "set"), KeyHelp("Esc", "cancel"), KeyHelp("Bksp", "delete")]
            }
        }
        if s.helpVisible { return [KeyHelp("?/Esc", "close help")] }
        let move = KeyHelp("↑↓", "move")
        let common = [KeyHelp("←→", "step"), KeyHelp("?", "help"), KeyHelp("q", "quit")]
        switch s.step {
        case .overview:
            var keys = [move]
            if !s.fixes.diagnoses.isEmpty { keys.append(KeyHelp("Enter", "see fix")) }
            if !s.probe.running { keys.append(KeyHelp("r", "re-probe")) }
            if s.needsSetup { keys.insert(KeyHelp("s", "set up TLS"), at: 1) }
            return keys + common
        case .config:
            if s.config.file != nil { return [KeyHelp("↑↓", "scroll"), KeyHelp("Esc", "close file"), KeyHelp("?", "help"), KeyHelp("q", "quit")] }
            return [move, KeyHelp("Tab", s.config.pane == .findings ? "settings" : "findings"),
                    KeyHelp("Enter", "open file")] + common
        case .probe:
            return (s.probe.running ? [move] : [move, KeyHelp("r", "re-probe")]) + common
        case .logs:
            if s.logs.detail != nil { return [KeyHelp("↑↓", "scroll"), KeyHelp("Esc", "back to list"), KeyHelp("?", "help"), KeyHelp("q", "quit")] }
            // Clearing comes first when there is something to clear; narrow screens drop from the end.
            var keys = [move, KeyHelp("Enter", "open"), KeyHelp("/", "search")]
            if !s.logs.filter.isEmpty || !s.logs.search.isEmpty { keys.append(KeyHelp("x", "clear")) }
            return keys + [KeyHelp("c", "cause"), KeyHelp("p", "peer"), KeyHelp("s", "service")] + common
        case .fixes:
            var keys = [move, KeyHelp("Tab", s.fixes.pane == .diagnoses ? "detail" : "list"), KeyHelp("Enter", "apply fix")]
            if let d = s.fixes.selectedDiagnosis, s.fixes.fixesOf(d).count > 1 { keys.append(KeyHelp("f", "next fix")) }
            return keys + common
        case .apply:
            switch s.apply.phase {
            case .idle: return [KeyHelp("Enter", "choose a fix")] + common
            case .running, .rollingBack: return [KeyHelp("?", "help"), KeyHelp("q", "quit")]
            default: return [KeyHelp("r", "roll back"), KeyHelp("Enter", "report")] + common
            }
        case .report:
            return [KeyHelp("Enter", "write"), KeyHelp("b", "bundle"), KeyHelp("e", "edit path"), KeyHelp("r", "redact on/off")] + common
        case .dns:
            var keys: [KeyHelp] = []
            if s.dns.candidates.count > 1 { keys.append(KeyHelp("↑↓", "domain")) }
            if s.dns.status != .checking && s.dns.selectedDomain != nil { keys.append(KeyHelp("Enter", s.dns.status == .idle ? "check DNS" : "check again")) }
            if s.dns.view != nil { keys.append(KeyHelp("PgUp/PgDn", "scroll")) }
            return keys + common
        case .setup:
            var keys = [KeyHelp("↑↓", "source")]
            if s.setup.phase == .planned && s.setup.plannedSource == s.setup.selectedSource { keys.append(KeyHelp("Enter", "apply")) }
            else { keys.append(KeyHelp("Enter", "show plan")) }
            if s.setup.plan != nil { keys.append(KeyHelp("PgUp/PgDn", "scroll")) }
            return keys + [KeyHelp("Esc", "overview"), KeyHelp("?", "help"), KeyHelp("q", "quit")]
        }
    }

    /// The `?` overlay of a step: what the screen is for, then every key that works on it.
    public static func help(for step: WizardStep) -> (intro: [String], sections: [(heading: String, keys: [KeyHelp])]) {
        let everywhere: (heading: String, keys: [KeyHelp]) = ("Everywhere", [
            KeyHelp("1-8", "jump to a step"), KeyHelp("← → h l", "previous / next step"),
            KeyHelp("Esc", "close, or go back a step"), KeyHelp("?", "this help"),
            KeyHelp("q", "quit (asks if a fix is half applied)"),
        ])
        let (intro, here) = about(step)
        return (intro, [("Here", here), everywhere])
    }

    /// A step's purpose in a few lines and the keys that work only there.
    private static func about(_ step: WizardStep) -> (intro: [String], keys: [KeyHelp]) {
        let moving = KeyHelp("↑ ↓ j k", "move; PgUp PgDn, g G: page, first, last")
        switch step {
        case .overview:
            return (["What postls found at a glance: each listener's TLS status, the most",
                     "important problems, and the TLS failures counted in the mail log."],
                    [moving, KeyHelp("Enter", "show the selected problem and its fix"),
                     KeyHelp("e", "the log events of the selected problem"), KeyHelp("r", "probe the listeners again"),
                     KeyHelp("s", "first-time TLS setup (certificate, ports)")])
        case .config:
            return (["Postfix's effective TLS settings per service (main.cf, master.cf -o",
                     "overrides, defaults) and the problems found in them, at file:line."],
                    [moving, KeyHelp("Tab", "switch between findings and settings"),
                     KeyHelp("Enter", "open the file at the line (read-only)")])
        case .probe:
            return (["Live TLS handshakes with each listener and address, as a sending",
                     "server would do them: protocol, cipher, certificate check. Senders:",
                     "what named senders (Gmail, Microsoft 365, Postfix, a legacy MTA)",
                     "would do with mail here: TLS, plaintext (TLS failed, delivered",
                     "anyway) or defer (queued: their policy forbids plaintext). These",
                     "are approximations; docs/SENDERS.md cites their sources."],
                    [moving, KeyHelp("r / Enter", "probe again")])
        case .logs:
            return (["Failed TLS sessions from the mail log, grouped by cause. Every",
                     "event keeps its raw log lines."],
                    [moving, KeyHelp("Enter", "raw lines of an event; fold or unfold a cause"),
                     KeyHelp("/", "search (as you type, any case)"), KeyHelp("n N", "next / previous match"),
                     KeyHelp("c", "filter by cause (repeat to cycle)"), KeyHelp("p", "filter by peer name or address"),
                     KeyHelp("s", "filter by service (smtpd, submission…)"), KeyHelp("x", "clear filters and search"),
                     KeyHelp("r", "read the logs again")])
        case .fixes:
            return (["Each diagnosis with its evidence and fixes: the exact change (a",
                     "diff of main.cf or master.cf), the commands, and who it affects."],
                    [moving, KeyHelp("Tab", "switch between the list and the detail"),
                     KeyHelp("f", "next fix of this diagnosis"), KeyHelp("e", "the log events of this cause"),
                     KeyHelp("Enter / a", "apply the fix (asks first)")])
        case .apply:
            return (["Applying a fix: back up, write, postfix check, reload, probe again.",
                     "The backup stays, so the change can be rolled back."],
                    [KeyHelp("r", "roll back the last fix (asks first)"), KeyHelp("Enter", "go on to the report")])
        case .dns:
            return (["The mail domain's DNS as senders see it: its MX hosts (which one is",
                     "this server), TLSA against the served key and the key on disk (a",
                     "rollover in progress vs a stale record), MTA-STS against the MX",
                     "names and certificate, TLS-RPT. Problems join the Problems list,",
                     "with the records to publish ready to paste. The domain: --domain,",
                     "else main.cf's mydomain, mydestination, virtual_mailbox_domains."],
                    [KeyHelp("↑ ↓ j k", "choose the domain to check"), KeyHelp("Enter / c", "check its DNS (again)"),
                     KeyHelp("PgUp PgDn", "scroll the result")])
        case .setup:
            return (["First-time TLS, as `postls setup` does it: choose where the",
                     "certificate comes from, read the plan (main.cf and master.cf diffs:",
                     "STARTTLS on 25, submission 587, submissions 465; Dovecot advice),",
                     "apply it with backups, postfix check, reload and a probe; r on",
                     "Apply rolls it back. A self-signed stopgap encrypts, but senders",
                     "that verify refuse it: replace it with a CA-issued one soon."],
                    [KeyHelp("↑ ↓ j k", "choose the certificate source"),
                     KeyHelp("Enter", "show the plan; again: apply it (asks first)"),
                     KeyHelp("PgUp PgDn", "scroll the plan"), KeyHelp("Esc", "back to the Overview")])
        case .report:
            return (["A support report of everything postls found. It never contains",
                     "key material; redaction replaces names and addresses consistently."],
                    [KeyHelp("Enter / w", "write the report"), KeyHelp("b", "write a support bundle (postls open shows it)"),
                     KeyHelp("e", "edit the path"),
                     KeyHelp("r", "redaction on or off")])
        }
    }
}
