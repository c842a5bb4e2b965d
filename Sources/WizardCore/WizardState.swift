import PostlsCore

/// The wizard's steps, in the order an admin walks them.
public enum WizardStep: Int, CaseIterable, Sendable, Hashable {
    case overview, config, probe, logs, fixes, apply, report, dns
    /// First-time TLS setup: reached from the Overview (s), not a tab.
    case setup

    /// The steps on the tab bar, numbered 1-8 (Setup is entered from the Overview).
    public static let tabs: [WizardStep] = allCases.filter { $0 != .setup }

    public var title: String {
        switch self {
        case .overview: "Overview"
        case .config: "Config"
        case .probe: "Probe"
        case .logs: "Logs"
        case .fixes: "Fixes"
        case .apply: "Apply"
        case .report: "Report"
        case .dns: "DNS"
        case .setup: "Setup"
        }
    }
}

public struct TerminalSize: Sendable, Hashable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) { self.width = width; self.height = height }

    /// Below this the screens cannot show a listener row and its status together.
    public static let minimum = TerminalSize(width: 80, height: 24)
    public var isTooSmall: Bool { width < TerminalSize.minimum.width || height < TerminalSize.minimum.height }
}

/// Questions that must be answered before anything else happens.
public enum Dialog: Sendable, Hashable {
    case confirmQuit
    case confirmApply(fixID: String)
    case confirmRollback
    /// Apply the first-time setup plan shown on the Setup step.
    case confirmSetup
}

/// A one-line text prompt and what its text is for.
public struct TextInput: Sendable, Hashable {
    public enum Purpose: Sendable, Hashable { case logSearch, logPeerFilter, logServiceFilter, reportPath }
    public var purpose: Purpose
    public var text: String
    /// The value before editing, restored by Esc.
    public var original: String

    public init(purpose: Purpose, text: String) { self.purpose = purpose; self.text = text; self.original = text }

    public var prompt: String {
        switch purpose {
        case .logSearch: "/"
        case .logPeerFilter: "Peer contains: "
        case .logServiceFilter: "Service contains: "
        case .reportPath: "Write report to: "
        }
    }
}

/// A read-only view of a configuration file around a line.
public struct FileView: Sendable, Hashable {
    public var path: String
    public var lines: [String]
    /// 1-based line to highlight.
    public var focusLine: Int
    public var top: Int
    public var loading: Bool

    public init(path: String, lines: [String] = [], focusLine: Int, top: Int = 0, loading: Bool = true) {
        self.path = path; self.lines = lines; self.focusLine = focusLine; self.top = top; self.loading = loading
    }
}

public struct ConfigStepState: Sendable, Hashable {
    public enum Pane: Sendable, Hashable { case findings, settings }
    public var configDirectory: String
    public var loaded = false
    public var findings: [ConfigFindingRow] = []
    public var settings: [ConfigSettingRow] = []
    public var pane: Pane = .findings
    public var findingsList = ListPosition()
    public var settingsList = ListPosition()
    public var file: FileView?
    public init(configDirectory: String = "/etc/postfix") { self.configDirectory = configDirectory }
}

public struct ProbeStepState: Sendable, Hashable {
    public var listeners: [ListenerStatus] = []
    public var running = false
    public var done = 0
    public var total = 0
    /// What the probe works on now, e.g. "smtps 465 [2001:db8::25]".
    public var current: String?
    public var list = ListPosition()
    public var error: String?
    public init() {}
}

public struct FixesStepState: Sendable, Hashable {
    public enum Pane: Sendable, Hashable { case diagnoses, detail }
    public var diagnoses: [DiagnosisRow] = []
    public var fixes: [FixRow] = []
    public var pane: Pane = .diagnoses
    public var list = ListPosition()
    /// Which of the selected diagnosis's fixes is shown.
    public var fixIndex = 0
    public var detailTop = 0
    public init() {}

    public var selectedDiagnosis: DiagnosisRow? {
        diagnoses.indices.contains(list.selection) ? diagnoses[list.selection] : nil
    }

    public func fixesOf(_ diagnosis: DiagnosisRow) -> [FixRow] {
        diagnosis.fixIDs.compactMap { id in fixes.first { $0.id == id } }
    }

    public var selectedFix: FixRow? {
        guard let d = selectedDiagnosis else { return nil }
        let list = fixesOf(d)
        return list.indices.contains(fixIndex) ? list[fixIndex] : list.first
    }
}

public struct ApplyStepState: Sendable, Hashable {
    public enum Phase: Sendable, Hashable { case idle, running, succeeded, failed, rollingBack, rolledBack, rollbackFailed }
    public var fixID: String?
    public var fixTitle: String?
    public var phase: Phase = .idle
    public var steps: [ApplyStepRow] = []
    /// Probe lines before and after the change, e.g. "smtp 25 127.0.0.1  verify 20 -> ok".
    public var before: [String] = []
    public var after: [String] = []
    /// The same listeners probed again after a rollback (empty until one finished).
    public var afterRollback: [String] = []
    public var message: String?
    public init() {}

    /// The listener ("address:port") a probe line is about: the text before its two spaces.
    public static func listener(of line: String) -> Substring {
        line.range(of: "  ").map { line[..<$0.lowerBound] } ?? Substring(line)
    }

    /// Lines of `afterRollback` whose listener was probed before the change and is not as it was then:
    /// the rollback restored the files, but TLS there differs (another change, a certificate renewed meanwhile).
    public var rollbackDifferences: [String] {
        let was = Dictionary(before.map { (Self.listener(of: $0), $0) }, uniquingKeysWith: { first, _ in first })
        return afterRollback.filter { line in was[Self.listener(of: line)].map { $0 != line } ?? false }
    }
}

/// The DNS step: which mail domain, and what its DNS says against this server.
public struct DNSStepState: Sendable, Hashable {
    public enum Status: Sendable, Hashable { case idle, checking, checked, failed(String) }
    /// The domain checked (or being checked): `--domain`, or the candidate the admin chose.
    public var domain: String?
    /// Mail domains derived from the configuration (mydomain, mydestination, virtual_mailbox_domains).
    public var candidates: [String] = []
    /// Whether the candidates are known yet (the configuration was read).
    public var candidatesKnown = false
    public var status: Status = .idle
    public var view: DNSView?
    /// The selected candidate.
    public var list = ListPosition()
    /// First line of the report shown.
    public var top = 0
    public init(domain: String? = nil) { self.domain = domain }

    /// What Enter checks: the selected candidate, else the domain already given.
    public var selectedDomain: String? {
        candidates.indices.contains(list.selection) ? candidates[list.selection] : domain
    }
}

/// A certificate source the Setup step offers: files found on disk (or configured), a CSR for a CA, or a
/// self-signed stopgap.
public struct SetupSource: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case files(certificate: String, key: String), csr, selfSigned }
    public var kind: Kind
    public var title: String
    /// Why it can or cannot be used, or what choosing it means.
    public var detail: String
    public var usable: Bool
    public init(kind: Kind, title: String, detail: String, usable: Bool) {
        self.kind = kind; self.title = title; self.detail = detail; self.usable = usable
    }
}

/// `postls setup`'s plan as the Setup step shows it.
public struct SetupPlanView: Sendable, Hashable {
    public var certificate: String
    public var notes: [String]
    public var fileActions: [String]
    /// main.cf and master.cf as a unified diff.
    public var diff: String
    public var dovecotChanges: [String]
    public var dovecotDiff: String
    public var expectations: [String]
    /// DNS records for the new key, ready to paste (empty when the key is generated on apply).
    public var records: [String]
    /// Nothing to change: TLS is set up as setup would set it up.
    public var isEmpty: Bool
    /// A plan that enables inbound TLS (a CSR alone waits for the CA).
    public var enablesTLS: Bool
    public init(certificate: String, notes: [String], fileActions: [String], diff: String, dovecotChanges: [String], dovecotDiff: String,
                expectations: [String], records: [String], isEmpty: Bool, enablesTLS: Bool) {
        self.certificate = certificate; self.notes = notes; self.fileActions = fileActions; self.diff = diff
        self.dovecotChanges = dovecotChanges; self.dovecotDiff = dovecotDiff; self.expectations = expectations; self.records = records
        self.isEmpty = isEmpty; self.enablesTLS = enablesTLS
    }
}

/// The Setup step: choose a certificate source, read the plan, apply it (on the Apply step).
public struct SetupStepState: Sendable, Hashable {
    public enum Phase: Sendable, Hashable { case idle, discovering, choosing, planning, planned, failed(String) }
    public var phase: Phase = .idle
    public var sources: [SetupSource] = []
    public var list = ListPosition()
    /// The source the plan shown was made for.
    public var plannedSource: SetupSource?
    public var plan: SetupPlanView?
    public var top = 0
    public init() {}

    public var selectedSource: SetupSource? { sources.indices.contains(list.selection) ? sources[list.selection] : nil }
}

public struct ReportStepState: Sendable, Hashable {
    public enum Status: Sendable, Hashable { case idle, writing, written(path: String), failed(message: String) }
    public var path: String
    public var redact = false
    public var status: Status = .idle
    public init(path: String = "/tmp/postls-report.md") { self.path = path }

    /// Where `b` writes the support bundle: beside the report, `NAME.bundle.json`.
    public var bundlePath: String {
        var stem = path
        if let dot = path.lastIndex(of: "."), dot > (path.lastIndex(of: "/") ?? path.startIndex) { stem = String(path[..<dot]) }
        return stem + ".bundle.json"
    }
}

/// The wizard opened on a support bundle (`postls open FILE`): every screen as the customer's wizard showed it,
/// nothing done to this machine. Apply, rollback, probing again and reading the logs again are refused with `note`.
public struct ReadOnlySource: Sendable, Hashable {
    /// The bundle's path, as given to `postls open`.
    public var path: String
    /// When the bundle was written (ISO 8601) and whether its names are placeholders.
    public var generated: String
    public var redacted: Bool
    /// The applies and rollbacks the bundle records, one line each, oldest first.
    public var actions: [String]

    public init(path: String, generated: String, redacted: Bool, actions: [String]) {
        self.path = path; self.generated = generated; self.redacted = redacted; self.actions = actions
    }

    /// What a refused key says.
    public var note: String { "Read-only: this is the support bundle \(path) (written \(generated)); nothing here changes a server." }
}

/// Everything the wizard shows. Changed only by `reduce`; rendered by TerminalUI.
public struct WizardState: Sendable {
    public var step: WizardStep = .overview
    public var size: TerminalSize
    public var hostName: String
    public var helpVisible = false
    public var dialog: Dialog?
    public var input: TextInput?
    /// A one-line message under the body (results of the last action), cleared by the next key.
    public var message: String?
    public var config: ConfigStepState
    public var probe = ProbeStepState()
    public var logs = LogsStepState()
    public var fixes = FixesStepState()
    public var apply = ApplyStepState()
    public var report = ReportStepState()
    /// Senders' TLS reports (`--tlsrpt`), shown on the Overview; nil when none were given.
    public var senderReports: SenderReportsRow?
    public var dns = DNSStepState()
    public var setup = SetupStepState()
    public var quitting = false
    /// Set when the wizard shows a support bundle instead of this machine.
    public var readOnly: ReadOnlySource?

    public init(hostName: String, configDirectory: String = "/etc/postfix", size: TerminalSize) {
        self.hostName = hostName
        self.size = size
        config = ConfigStepState(configDirectory: configDirectory)
    }

    /// A change may be on disk without its checks: quitting now needs a confirmation.
    public var isHalfApplied: Bool {
        switch apply.phase {
        case .running, .failed, .rollingBack, .rollbackFailed: true
        default: false
        }
    }

    /// The effects to start with: read the config and the logs, probe the listeners.
    public static let startupEffects: [WizardEffect] = [.loadConfig, .runProbe, .loadLogs]

    /// Marks the startup work as under way (so screens say "reading…", not "nothing found") and
    /// returns the effects that do it.
    public mutating func beginStartup() -> [WizardEffect] {
        probe.running = true
        logs.loading = true
        guard let domain = dns.domain else { return WizardState.startupEffects }
        // `--domain`: its DNS is a step of the gathering, as in `postls diagnose --domain`.
        dns.status = .checking
        return WizardState.startupEffects + [.checkDNS(domain: domain)]
    }

    /// No listener offers TLS (probed, none negotiated), or the diagnosis proposes `postls setup` (no certificate
    /// configured): the Overview leads to first-time setup.
    public var needsSetup: Bool {
        (!probe.running && !probe.listeners.isEmpty && !probe.listeners.contains { $0.tlsOK == true }) || fixes.fixes.contains { $0.opensSetup }
    }

    public var criticalCount: Int { fixes.diagnoses.filter { $0.severity == .critical }.count }
    public var warningCount: Int { fixes.diagnoses.filter { $0.severity == .warning }.count }
}
