/// Row budget shared by the reducer (page sizes, scrolling) and TerminalUI (drawing), so both agree
/// on how many rows a list shows.
public enum WizardLayout {
    /// Title and tabs on top; message and status line at the bottom.
    public static let headerRows = 2
    public static let footerRows = 2

    public static func bodyHeight(_ size: TerminalSize) -> Int { max(0, size.height - headerRows - footerRows) }
    public static func bodyTop() -> Int { headerRows }

    /// Logs: a summary line and a column heading above the list.
    public static func logsListHeight(_ size: TerminalSize) -> Int { max(1, bodyHeight(size) - 2) }

    /// Config: findings take the upper half, settings the lower; each has a heading line, and two
    /// lines at the bottom show the selected row in full.
    public static let configDetailRows = 2
    public static func configFindingsHeight(_ size: TerminalSize) -> Int { max(1, (bodyHeight(size) - 2 - configDetailRows) / 2) }
    public static func configSettingsHeight(_ size: TerminalSize) -> Int {
        max(1, bodyHeight(size) - 2 - configDetailRows - configFindingsHeight(size))
    }

    /// Probe: a heading, a column heading, the listeners, then a detail box of the selected one: five rows of TLS,
    /// then the named senders (a note and one row each) where the screen leaves the list three rows or more.
    public static func probeDetailRows(_ size: TerminalSize) -> Int { max(7, min(13, bodyHeight(size) - 5)) }
    public static func probeListHeight(_ size: TerminalSize) -> Int { max(1, bodyHeight(size) - 2 - probeDetailRows(size)) }

    /// Fixes: the diagnoses list on top, the detail (evidence, fix, diff) below.
    /// The list is no taller than its rows, so the detail gets what is left.
    public static func fixesListHeight(_ size: TerminalSize, count: Int) -> Int { max(1, min(count, max(3, bodyHeight(size) / 3))) }
    public static func fixesDetailHeight(_ size: TerminalSize, count: Int) -> Int { max(1, bodyHeight(size) - fixesListHeight(size, count: count) - 1) }

    /// Overlays (raw lines of an event, a config file).
    public static func overlayTextHeight(_ size: TerminalSize) -> Int { max(1, size.height - 8) }

    /// DNS: at most this many candidate domains show as a choice above the report.
    public static let dnsCandidateRows = 4
    /// DNS: the domain line, the candidates (with their heading), then the report.
    public static func dnsReportHeight(_ size: TerminalSize, candidates: Int) -> Int {
        let choice = candidates > 1 ? min(candidates, dnsCandidateRows) + 1 : 0
        return max(1, bodyHeight(size) - 2 - choice)
    }

    /// Setup: the certificate sources (at most six rows) above the plan.
    public static func setupSourceRows(_ size: TerminalSize, count: Int) -> Int { max(1, min(count, 6)) }
    /// Setup: a heading, the sources, a rule, then the plan.
    public static func setupPlanHeight(_ size: TerminalSize, count: Int) -> Int {
        max(1, bodyHeight(size) - 3 - setupSourceRows(size, count: count))
    }
}
