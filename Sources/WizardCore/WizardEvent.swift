import PostlsCore

/// Keys after normalization by the backend. Letters (including vi's hjkl) arrive as `.character`;
/// the reducer decides whether they navigate or are typed text.
public enum WizardKey: Sendable, Hashable {
    case up, down, left, right, pageUp, pageDown, home, end
    case tab, backTab, enter, escape, backspace
    case character(Character)
}

/// Everything that can happen to the wizard: keys, terminal changes, engine results.
public enum WizardEvent: Sendable {
    case key(WizardKey)
    case resize(width: Int, height: Int)
    case configLoaded(settings: [ConfigSettingRow], findings: [ConfigFindingRow])
    case fileLoaded(path: String, lines: [String])
    case fileFailed(path: String, message: String)
    case probeStarted(total: Int)
    case probeProgress(done: Int, total: Int, current: String)
    /// One listener's result while the probe goes on (replaces an earlier result for the same listener).
    case probeResult(ListenerStatus)
    case probeFinished([ListenerStatus])
    /// The finished probe's listeners again, their named senders judged under the domain's MTA-STS and DANE policy
    /// once the DNS is in. Ignored while a new probe runs: its own results are judged when it finishes.
    case probeVerdictsJudged([ListenerStatus])
    case probeFailed(String)
    /// Reading a big log: how far it got.
    case logsProgress(linesRead: Int, file: String)
    case logsLoaded(any LogEventSource, LogTotals)
    case logsFailed(String)
    case diagnosesLoaded(diagnoses: [DiagnosisRow], fixes: [FixRow])
    /// Senders' TLS reports joined to the logs, when reports were given (`--tlsrpt`).
    case senderReportsLoaded(SenderReportsRow)
    /// The mail domains the configuration receives mail for (the DNS step's choice when no `--domain` was given).
    case dnsCandidates([String])
    case dnsLoaded(DNSView)
    case dnsFailed(String)
    /// Setup's discovery: the certificate sources to choose from.
    case setupSources([SetupSource])
    case setupPlanned(SetupPlanView)
    case setupFailed(String)
    case applyProgress(ApplyStepRow)
    case applyFinished(succeeded: Bool, before: [String], after: [String], message: String)
    /// `after`: the applied fix's listeners probed again after the rollback, lines as in `applyFinished`.
    case rollbackFinished(succeeded: Bool, after: [String], message: String)
    case reportWritten(path: String)
    case reportFailed(String)
    /// Go on with the search of this generation (fed back by the runner after `continueSearch`).
    case searchContinue(generation: Int)
    /// Go on with the log filter of this generation (fed back by the runner after `continueFilter`).
    case filterContinue(generation: Int)
}

/// Work the reducer asks for; the runner performs it and feeds results back as events.
public enum WizardEffect: Sendable, Hashable {
    case loadConfig
    case openFile(path: String, line: Int)
    case runProbe
    case loadLogs
    /// Check the mail domain's DNS against this server (answered with `dnsLoaded` or `dnsFailed`; the diagnosis
    /// is joined again with its findings).
    case checkDNS(domain: String)
    case applyFix(id: String)
    /// First-time setup (`postls setup`'s engine): discover the certificate sources, plan with one, apply the plan
    /// (answered like `applyFix`: `applyProgress` for `ApplyStepRow.setupSteps`, then `applyFinished`).
    case discoverSetup
    case planSetup(SetupSource.Kind)
    case applySetup
    case rollback
    case writeReport(path: String, redact: Bool)
    /// A support bundle (`WizardBundle`) of what the wizard shows and the fixes this session applied and rolled back.
    case writeBundle(path: String, redact: Bool)
    case quit
    /// A long search wants another step: the runner reads pending keys, then sends
    /// `.searchContinue(generation:)` back. Effect handlers never see this one.
    case continueSearch(generation: Int)
    /// The same for a log filter over many events.
    case continueFilter(generation: Int)
}
