import Diagnosis
import Foundation
import MailDNS
import MailLog
import PostfixConfig
import PostlsCore
import Synchronization
import TerminalUI
import TLSKit
import TLSProbe
import WizardCore

/// Runs the wizard's effects on the real engines, off the UI thread, and posts their results back.
/// The wizard itself never touches a file, a socket or a process.
final class EngineEffectHandler: WizardEffectHandler, Sendable {
    let options: GatherOptions
    let runner: ProcessRunner
    let fixLoop: FixLoop
    /// What first-time setup is asked (its config directory and Dovecot file are the gathering's).
    let setupOptions: SetupOptions
    /// The plan the Setup step shows, and what discovery read for it: what `applySetup` applies.
    let setupPlan = Mutex<(SetupInputs, SetupPlan)?>(nil)
    private let queue = DispatchQueue(label: "postls.engine-effects")
    /// `postls diagnose`'s own steps, run side by side; the diagnosis is their join once all three are in.
    let gathering: StepwiseGathering
    /// The listeners of the fix applied last: a rollback probes them again the way the apply did.
    private let appliedTargets = Mutex<[ProbeTarget]>([])
    /// The applies and rollbacks of this session, for a support bundle written from it.
    private let actions = Mutex<[WizardBundle.Action]>([])

    init(options: GatherOptions, setupOptions: SetupOptions? = nil, runner: ProcessRunner = SystemProcessRunner(), fixLoop: FixLoop? = nil) {
        var setup = setupOptions ?? SetupOptions()
        setup.configDirectory = options.configDirectory
        setup.dovecotConfig = options.dovecotConfig
        self.setupOptions = setup
        var options = options
        options.command = "wizard"
        self.options = options
        self.runner = runner
        self.fixLoop = fixLoop ?? FixLoop(runner: runner)
        gathering = StepwiseGathering(options: options, gatherer: Gatherer(runner: runner))
    }

    func perform(_ effect: WizardEffect, post: @escaping @Sendable (WizardEvent) -> Void) {
        switch effect {
        case .loadConfig: queue.async { self.loadConfig(post) }
        case .runProbe: DispatchQueue.global().async { self.runProbe(post) }
        case .loadLogs: DispatchQueue.global().async { self.loadLogs(post) }
        case .checkDNS(let domain): DispatchQueue.global().async { self.checkDNS(domain, post) }
        case .discoverSetup: queue.async { self.discoverSetup(post) }
        case .planSetup(let kind): queue.async { self.planSetup(kind, post) }
        case .applySetup: queue.async { self.applySetup(post) }
        case .applyFix(let id): queue.async { self.apply(id, post) }
        case .rollback: queue.async { self.rollback(post) }
        case .writeReport(let path, let redact): queue.async { self.writeReport(path: path, redact: redact, post) }
        case .writeBundle(let path, let redact): queue.async { self.writeBundle(path: path, redact: redact, post) }
        case .openFile(let path, let line): queue.async { self.openFile(path, line: line, post) }
        case .quit, .continueSearch, .continueFilter: break
        }
    }

    private func loadConfig(_ post: @escaping @Sendable (WizardEvent) -> Void) {
        let step = gathering.runConfig()
        // The diagnosis notes an unreadable configuration among its limitations; the config screen shows it as a row.
        let rows = ConfigFindingRow.rows(findings: step.findings, configError: step.configError, configDirectory: options.configDirectory)
        post(.configLoaded(settings: step.configuration.map(ConfigSettingRow.rows) ?? [], findings: rows))
        post(.dnsCandidates(step.configuration.map(MailDomains.candidates) ?? []))
        diagnoseIfReady(post)
    }

    /// The DNS step of the gathering for `domain`; the diagnosis is joined again with its findings.
    private func checkDNS(_ domain: String, _ post: @escaping @Sendable (WizardEvent) -> Void) {
        guard let report = gathering.runDNS(domain: domain) else {
            post(.dnsFailed("no resolver to ask (give one with --resolver)"))
            return
        }
        let configuration = try? gathering.gatherer.loadConfiguration(options)
        let host = options.name ?? configuration?.value("myhostname") ?? ""
        let local = Set(gathering.gatherer.probeTargets(options, configuration: configuration).map(\.address.ip))
        post(.dnsLoaded(DNSView(report, hostName: host, localAddresses: local)))
        diagnoseIfReady(post)
        postSenderVerdictsUnderPolicy(post)
    }

    /// The listeners again, their named senders' verdicts under the domain's MTA-STS and DANE policy, once both the
    /// probe and the DNS are in (whichever came last): the same join as `postls diagnose --domain`'s table.
    private func postSenderVerdictsUnderPolicy(_ post: @escaping @Sendable (WizardEvent) -> Void) {
        guard let gathered = gathering.gathered, let dns = gathered.dns, let probe = gathered.probe else { return }
        let services = ServiceNames(configuration: gathered.configuration)
        let applied = SenderPolicyJoin.applied(probe, dns: dns)
        post(.probeVerdictsJudged(applied.targets.map { ListenerStatus($0, service: services[$0.port]) }))
    }

    private func runProbe(_ post: @escaping @Sendable (WizardEvent) -> Void) {
        let services = ServiceNames(configuration: try? gathering.gatherer.loadConfiguration(options))
        let done = Mutex(0)
        let total = Mutex(0)
        let result = gathering.runProbe(started: { targets in
            total.withLock { $0 = targets.count }
            post(.probeStarted(total: targets.count))
        }, progress: { event in
            let total = total.withLock { $0 }
            switch event {
            case .started(let t):
                post(.probeProgress(done: done.withLock { $0 }, total: total, current: "\(services.name(port: Int(t.port))) \(t.address)"))
            case .finished(let r):
                let count = done.withLock { $0 += 1; return $0 }
                post(.probeProgress(done: count, total: total, current: "\(r.address):\(r.port)"))
                post(.probeResult(ListenerStatus(r, service: services[r.port])))
            case .connection:
                break
            }
        })
        if let result {
            post(.probeFinished(result.targets.map { ListenerStatus($0, service: services[$0.port]) }))
        } else if options.probe {
            post(.probeFailed("OpenSSL could not be set up for probing"))
        } else {
            post(.probeFailed("not probed (--no-probe)"))
        }
        diagnoseIfReady(post)
        postSenderVerdictsUnderPolicy(post)
    }

    private func loadLogs(_ post: @escaping @Sendable (WizardEvent) -> Void) {
        let step = gathering.runLogs { files in post(.logsProgress(linesRead: 0, file: files)) }
        if let report = step.report {
            post(.logsLoaded(LogEventList(report.events.map(LogEventRow.init)), LogTotals(report.summary, sources: step.files)))
        } else {
            post(.logsFailed(step.error ?? "logs not read (--no-logs)"))
        }
        diagnoseIfReady(post)
    }

    private func diagnoseIfReady(_ post: @escaping @Sendable (WizardEvent) -> Void) {
        guard let made = gathering.joinIfReady()?.report else { return }
        post(.diagnosesLoaded(diagnoses: made.diagnoses.map(DiagnosisRow.init), fixes: made.fixes.map(FixRow.init)))
        if let senders = made.senderReports { post(.senderReportsLoaded(SenderReportsRow(senders))) }
    }

    /// What was gathered, in the shape the fix loop takes.
    private func gathered() -> Gathered? { gathering.gathered }

    private func apply(_ id: String, _ post: @escaping @Sendable (WizardEvent) -> Void) {
        guard let gathered = gathered(), let fix = gathered.report.fix(id: id) else {
            post(.applyFinished(succeeded: false, before: [], after: [], message: "No fix \(id) in the current diagnosis."))
            return
        }
        let steps = StepRows(post: post)
        let order = ApplyStepRow.standardSteps.map(\.id)
        let mark: @Sendable (String, ApplyStepStatus, String) -> Void = { steps.mark($0, $1, $2) }
        let current = Mutex("")
        appliedTargets.withLock { $0 = FixLoop.probeTargets(of: fix, gathered: gathered) }
        do {
            let outcome = try fixLoop.apply(fix, gathered: gathered, options: options) { step in
                switch step {
                case .writing: mark("backup", .running, ""); current.withLock { $0 = "backup" }
                case .validating: mark("backup", .done, ""); mark("write", .done, ""); mark("check", .running, ""); current.withLock { $0 = "check" }
                case .reloading: mark("backup", .done, ""); mark("write", .done, ""); mark("check", .done, ""); mark("reload", .running, ""); current.withLock { $0 = "reload" }
                case .probing: mark("reload", .done, ""); mark("reprobe", .running, ""); current.withLock { $0 = "reprobe" }
                case .rollingBack: mark("reprobe", .failed, "TLS got worse: rolling back")
                case .done: break
                }
            }
            switch outcome.state {
            case .applied:
                if !outcome.reloaded { mark("reload", .skipped, "Postfix is not running with this configuration") }
                if fix.edits.isEmpty { mark("backup", .skipped, "no file changes"); mark("write", .skipped, ""); mark("check", .skipped, "") }
                for id in order where steps.status(id) != .done && steps.status(id) != .skipped {
                    mark(id, steps.status(id) == .running ? .done : .skipped, "")
                }
                record(.apply, fix: fix.id, outcome: outcome, succeeded: true, steps: steps.all)
                post(.applyFinished(succeeded: true, before: Self.lines(outcome.before), after: Self.lines(outcome.after),
                                    message: (outcome.messages + ["Applied \(fix.id)\(outcome.journalID.map { " (journal \($0))" } ?? ""). Press r to roll back."]).joined(separator: "; ")))
                refreshAfterChange(post)
            case .validationFailed:
                mark("check", .failed, outcome.messages.first ?? "")
                record(.apply, fix: fix.id, outcome: outcome, succeeded: false, steps: steps.all)
                post(.applyFinished(succeeded: false, before: [], after: [], message: outcome.messages.joined(separator: "; ")))
            case .rolledBackAutomatically:
                record(.apply, fix: fix.id, outcome: outcome, succeeded: false, steps: steps.all)
                post(.applyFinished(succeeded: false, before: Self.lines(outcome.before), after: Self.lines(outcome.after),
                                    message: outcome.messages.joined(separator: "; ")))
                refreshAfterChange(post)
            }
        } catch {
            let failedStep = current.withLock { $0 }
            mark(failedStep.isEmpty ? "backup" : failedStep, .failed, "\(error)")
            actions.withLock { $0.append(WizardBundle.Action(kind: .apply, source: "wizard", time: TimeFormat.iso8601(Date()), fixID: fix.id,
                                                              journalID: nil, succeeded: false, message: "\(error)", steps: steps.all)) }
            post(.applyFinished(succeeded: false, before: [], after: [], message: "\(error)"))
        }
    }

    private func record(_ kind: WizardBundle.Action.Kind, fix: String, outcome: FixOutcome, succeeded: Bool, steps: [ApplyStepRow]) {
        let action = WizardBundle.Action(kind: kind, source: "wizard", time: TimeFormat.iso8601(Date()), fixID: fix, journalID: outcome.journalID,
                                         succeeded: succeeded, message: outcome.messages.joined(separator: "; "), steps: steps,
                                         before: Self.lines(outcome.before), after: Self.lines(outcome.after))
        actions.withLock { $0.append(action) }
    }

    static func lines(_ results: [ListenerProbeResult]) -> [String] {
        results.map { "\($0.address):\($0.port)  \(FixLoop.describe($0))" }
    }

    private func rollback(_ post: @escaping @Sendable (WizardEvent) -> Void) {
        do {
            let (entry, messages) = try fixLoop.rollback(configDirectory: options.configDirectory, dovecotConfig: options.dovecotConfig)
            // What TLS is now, probed as the apply probed: the screen sets it beside before and applied.
            let after = fixLoop.reprobe(appliedTargets.withLock { $0 }, options: options)
            actions.withLock { $0.append(WizardBundle.Action(kind: .rollback, source: "wizard", time: TimeFormat.iso8601(Date()), fixID: nil,
                                                              journalID: entry.id, succeeded: true, message: messages.joined(separator: "; "),
                                                              after: Self.lines(after), files: entry.files.map(\.path))) }
            post(.rollbackFinished(succeeded: true, after: Self.lines(after), message: (messages + ["Rolled back \(entry.id)."]).joined(separator: "; ")))
            refreshAfterChange(post)
        } catch {
            actions.withLock { $0.append(WizardBundle.Action(kind: .rollback, source: "wizard", time: TimeFormat.iso8601(Date()), fixID: nil,
                                                              journalID: nil, succeeded: false, message: "\(error)")) }
            post(.rollbackFinished(succeeded: false, after: [], message: "\(error)"))
        }
    }

    /// After a change: read the config again, probe again and re-diagnose (logs keep what they had).
    func setAppliedTargets(_ targets: [ProbeTarget]) { appliedTargets.withLock { $0 = targets } }

    func refreshAfterChange(_ post: @escaping @Sendable (WizardEvent) -> Void) {
        gathering.forgetConfigAndProbe()
        loadConfig(post)
        runProbe(post)
    }

    private func writeReport(path: String, redact: Bool, _ post: @escaping @Sendable (WizardEvent) -> Void) {
        guard let gathered = gathered() else { post(.reportFailed("the diagnosis is not finished yet")); return }
        let text = ReportWriter.markdown(gathered, redact: redact, dovecotConfig: options.dovecotConfig)
        do {
            try ReportWriter.writeNew(path: path, contents: text)
            post(.reportWritten(path: path))
        } catch {
            post(.reportFailed("\(error)"))
        }
    }

    /// The support bundle of what this wizard shows and the fixes this session applied and rolled back.
    private func writeBundle(path: String, redact: Bool, _ post: @escaping @Sendable (WizardEvent) -> Void) {
        guard let gathered = gathered() else { post(.reportFailed("the diagnosis is not finished yet")); return }
        do {
            let bundle = try BundleWriter.bundle(gathered, options: options, hostName: DefaultHost.name(configDirectory: options.configDirectory),
                                                 redact: redact, session: actions.withLock { $0 })
            try ReportWriter.writeNew(path: path, contents: String(decoding: try bundle.encoded(), as: UTF8.self))
            post(.reportWritten(path: path))
        } catch {
            post(.reportFailed("\(error)"))
        }
    }

    private func openFile(_ path: String, line: Int, _ post: @escaping @Sendable (WizardEvent) -> Void) {
        let full = path.hasPrefix("/") ? path : options.configDirectory + "/" + path
        guard let data = FileManager.default.contents(atPath: full), data.count < 16 << 20 else {
            post(.fileFailed(path: full, message: "cannot read \(full)"))
            return
        }
        let text = String(decoding: data, as: UTF8.self)
        // Never put key material on a screen someone may be sharing.
        if text.contains("PRIVATE KEY") {
            post(.fileFailed(path: full, message: "\(full) holds a private key; postls does not show it"))
            return
        }
        post(.fileLoaded(path: full, lines: text.components(separatedBy: "\n")))
    }
}

private final class StepRows: Sendable {
    private let rows = Mutex(Dictionary(uniqueKeysWithValues: ApplyStepRow.standardSteps.map { ($0.id, $0) }))
    private let post: @Sendable (WizardEvent) -> Void
    init(post: @escaping @Sendable (WizardEvent) -> Void) { self.post = post }

    func mark(_ id: String, _ status: ApplyStepStatus, _ detail: String) {
        let marked: ApplyStepRow? = rows.withLock { rows in
            guard var row = rows[id] else { return nil }
            row.status = status; row.detail = detail; rows[id] = row
            return row
        }
        if let marked { post(.applyProgress(marked)) }
    }

    func status(_ id: String) -> ApplyStepStatus? { rows.withLock { $0[id]?.status } }

    /// The steps in their order, as they stand.
    var all: [ApplyStepRow] { rows.withLock { rows in ApplyStepRow.standardSteps.compactMap { rows[$0.id] } } }
}
