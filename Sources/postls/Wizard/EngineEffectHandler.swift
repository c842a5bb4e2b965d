import Diagnosis
import Foundation
import MailLog
import PostfixConfig
import PostlsCore
import TerminalUI
import TLSKit
import TLSProbe
import WizardCore

/// Runs the wizard's effects on the real engines, off the UI thread, and posts their results back.
/// The wizard itself never touches a file, a socket or a process.
final class EngineEffectHandler: WizardEffectHandler, @unchecked Sendable {
    let options: GatherOptions
    let runner: ProcessRunner
    let fixLoop: FixLoop
    private let queue = DispatchQueue(label: "postls.engine-effects")
    private let lock = NSLock()
    // What the engines found so far; the diagnosis is made when all three are in.
    private var configuration: PostfixConfiguration?
    private var findings: [Finding] = []
    private var probe: ProbeReport?
    private var probeTargets: [ProbeTarget] = []
    private var logReport: LogReport?
    private var configDone = false, probeDone = false, logsDone = false
    private var report: DiagnosisReport?
    private var postfixVersion: String?
    /// Opens once this run's probe has recorded its windows (or will not), for the log read running beside it.
    private let probeRecorded = Gate()

    init(options: GatherOptions, runner: ProcessRunner = SystemProcessRunner(), fixLoop: FixLoop? = nil) {
        self.options = options
        self.runner = runner
        self.fixLoop = fixLoop ?? FixLoop(runner: runner)
    }

    func perform(_ effect: WizardEffect, post: @escaping @Sendable (WizardEvent) -> Void) {
        switch effect {
        case .loadConfig: queue.async { TestCrashHook.crashIfAsked(at: "config"); self.loadConfig(post) }
        case .runProbe: DispatchQueue.global().async { TestCrashHook.crashIfAsked(at: "probe"); self.runProbe(post) }
        case .loadLogs: DispatchQueue.global().async { TestCrashHook.crashIfAsked(at: "logs"); self.loadLogs(post) }
        case .applyFix(let id): queue.async { TestCrashHook.crashIfAsked(at: "fix"); self.apply(id, post) }
        case .rollback: queue.async { TestCrashHook.crashIfAsked(at: "rollback"); self.rollback(post) }
        case .writeReport(let path, let redact): queue.async { TestCrashHook.crashIfAsked(at: "report"); self.writeReport(path: path, redact: redact, post) }
        case .openFile(let path, let line): queue.async { self.openFile(path, line: line, post) }
        case .quit, .continueSearch, .continueFilter: break
        }
    }

    private func loadConfig(_ post: @escaping @Sendable (WizardEvent) -> Void) {
        var loaded: PostfixConfiguration? = nil
        var found: [Finding] = []
        do {
            loaded = try PostfixConfiguration.load(directory: options.configDirectory, defaults: ParameterDefaults.load(runner: runner, cache: options.cache))
            if let loaded {
                found = Gatherer.lint(loaded, options: options, runner: runner)
            }
        } catch {
            found = [Finding(id: "config_unreadable", cause: .unclassified, severity: .critical, file: options.configDirectory + "/main.cf",
                             message: "cannot read the configuration: \(error)")]
        }
        if let out = try? runner.run("postconf", ["-c", options.configDirectory, "-h", "mail_version"], timeout: 10), out.succeeded {
            lock.lock(); postfixVersion = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines); lock.unlock()
        }
        lock.lock()
        configuration = loaded
        findings = found
        configDone = true
        lock.unlock()
        post(.configLoaded(settings: loaded.map(ConfigSettingRow.rows) ?? [], findings: found.sortedForReport().map(ConfigFindingRow.init)))
        diagnoseIfReady(post)
    }

    private func runProbe(_ post: @escaping @Sendable (WizardEvent) -> Void) {
        // The probe needs the listeners from master.cf; read it here if loadConfig has not yet.
        let configuration = (try? PostfixConfiguration.load(directory: options.configDirectory, defaults: ParameterDefaults.load(runner: runner, cache: options.cache)))
        let targets = Gatherer(runner: runner).probeTargets(options, configuration: configuration)
        let services = serviceNames(configuration)
        post(.probeStarted(total: targets.count))
        guard let prober = try? Prober(options: ProbeOptions(phaseTimeout: options.phaseTimeout, trust: options.trust),
                                       recorder: options.probeRecorder(command: "wizard")) else {
            probeRecorded.open()
            post(.probeFailed("OpenSSL could not be set up for probing"))
            return
        }
        let counter = Counter()
        let total = targets.count
        if targets.isEmpty { probeRecorded.open() }
        let result = prober.probe(targets) { event in
            switch event {
            case .started(let t):
                // The prober wrote its opening records before the first listener started.
                self.probeRecorded.open()
                post(.probeProgress(done: counter.value, total: total, current: "\(services[Int(t.port)] ?? "port \(t.port)") \(t.address)"))
            case .finished(let r):
                let done = counter.increment()
                post(.probeProgress(done: done, total: total, current: "\(r.address):\(r.port)"))
                post(.probeResult(ListenerStatus(r, service: services[r.port])))
            case .connection:
                break
            }
        }
        lock.lock()
        probe = result
        probeTargets = targets
        probeDone = true
        lock.unlock()
        post(.probeFinished(result.targets.map { ListenerStatus($0, service: services[$0.port]) }))
        diagnoseIfReady(post)
    }

    private func serviceNames(_ configuration: PostfixConfiguration?) -> [Int: String] {
        var names: [Int: String] = [:]
        for l in configuration?.smtpdListeners ?? [] {
            guard let p = l.listen.port else { continue }
            let label = l.service.parameters["syslog_name"].flatMap { $0.split(separator: "/").last.map(String.init) }
            names[p] = label ?? (ListenAddress.knownPorts[l.service.name] != nil ? l.service.name : (p == 25 ? "smtp" : "smtp"))
        }
        return names
    }

    private func loadLogs(_ post: @escaping @Sendable (WizardEvent) -> Void) {
        let files = options.logFiles.isEmpty ? LogDiscovery(runner: runner).discover(configDirectory: options.configDirectory) : options.logFiles
        guard !files.isEmpty else {
            lock.lock(); logsDone = true; lock.unlock()
            post(.logsFailed("no mail log found (start postls with --log FILE)"))
            diagnoseIfReady(post)
            return
        }
        post(.logsProgress(linesRead: 0, file: files.joined(separator: ", ")))
        // The probe runs at the same time and the server logs its connections: read the record once the probe
        // has written its opening windows (bounded: a probe that never starts does not hold the logs up).
        if options.probeRecords != nil { probeRecorded.wait(seconds: 10) }
        let configuration = try? PostfixConfiguration.load(directory: options.configDirectory, defaults: .catalog())
        do {
            let report = try LogReport.analyze(paths: files, options: options.logAnalyzerOptions(configuration: configuration))
            lock.lock(); logReport = report; logsDone = true; lock.unlock()
            post(.logsLoaded(LogEventList(report.events.map(LogEventRow.init)), LogTotals(report.summary, sources: files)))
        } catch {
            lock.lock(); logsDone = true; lock.unlock()
            post(.logsFailed("\(error)"))
        }
        diagnoseIfReady(post)
    }

    private func diagnoseIfReady(_ post: @escaping @Sendable (WizardEvent) -> Void) {
        lock.lock()
        guard configDone, probeDone, logsDone else { lock.unlock(); return }
        var input = DiagnosisInput(configuration: configuration, configFindings: findings, probe: probe,
                                   logEvents: logReport?.events ?? [], logSummary: logReport?.summary,
                                   postfixVersion: postfixVersion)
        lock.unlock()
        input.dovecot = options.loadDovecot()
        // As Gatherer.gather does, so the Overview ranks what `postls diagnose` ranks.
        input.smtpPorts = options.smtpPorts
        input.master = options.masterStatus(configuration: input.configuration)
        let made = DiagnosisEngine().diagnose(input)
        lock.lock(); report = made; lock.unlock()
        post(.diagnosesLoaded(diagnoses: made.diagnoses.map(DiagnosisRow.init), fixes: made.fixes.map(FixRow.init)))
    }

    /// A snapshot of what was gathered, in the shape the fix loop takes.
    private func gathered() -> Gathered? {
        lock.lock(); defer { lock.unlock() }
        guard let report else { return nil }
        return Gathered(configuration: configuration, configError: nil, findings: findings, probe: probe, probeTargets: probeTargets,
                        logReport: logReport, logFiles: options.logFiles, logError: nil, postfixVersion: postfixVersion, report: report)
    }

    private func apply(_ id: String, _ post: @escaping @Sendable (WizardEvent) -> Void) {
        guard let gathered = gathered(), let fix = gathered.report.fix(id: id) else {
            post(.applyFinished(succeeded: false, before: [], after: [], message: "No fix \(id) in the current diagnosis."))
            return
        }
        let steps = StepRows(post: post)
        let order = ApplyStepRow.standardSteps.map(\.id)
        let mark: @Sendable (String, ApplyStepStatus, String) -> Void = { steps.mark($0, $1, $2) }
        let current = LockedString()
        do {
            let outcome = try fixLoop.apply(fix, gathered: gathered, options: options) { step in
                switch step {
                case .writing: mark("backup", .running, ""); current.value = "backup"
                case .validating: mark("backup", .done, ""); mark("write", .done, ""); mark("check", .running, ""); current.value = "check"
                case .reloading: mark("backup", .done, ""); mark("write", .done, ""); mark("check", .done, ""); mark("reload", .running, ""); current.value = "reload"
                case .probing: mark("reload", .done, ""); mark("reprobe", .running, ""); current.value = "reprobe"
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
                post(.applyFinished(succeeded: true, before: Self.lines(outcome.before), after: Self.lines(outcome.after),
                                    message: (outcome.messages + ["Applied \(fix.id)\(outcome.journalID.map { " (journal \($0))" } ?? ""). Press r to roll back."]).joined(separator: "; ")))
                refreshAfterChange(post)
            case .validationFailed:
                mark("check", .failed, outcome.messages.first ?? "")
                post(.applyFinished(succeeded: false, before: [], after: [], message: outcome.messages.joined(separator: "; ")))
            case .rolledBackAutomatically:
                post(.applyFinished(succeeded: false, before: Self.lines(outcome.before), after: Self.lines(outcome.after),
                                    message: outcome.messages.joined(separator: "; ")))
                refreshAfterChange(post)
            }
        } catch {
            mark(current.value.isEmpty ? "backup" : current.value, .failed, "\(error)")
            post(.applyFinished(succeeded: false, before: [], after: [], message: "\(error)"))
        }
    }

    static func lines(_ results: [ListenerProbeResult]) -> [String] {
        results.map { "\($0.address):\($0.port)  \(FixLoop.describe($0))" }
    }

    private func rollback(_ post: @escaping @Sendable (WizardEvent) -> Void) {
        do {
            let (entry, messages) = try fixLoop.rollback(configDirectory: options.configDirectory, dovecotConfig: options.dovecotConfig)
            post(.rollbackFinished(succeeded: true, message: (messages + ["Rolled back \(entry.id)."]).joined(separator: "; ")))
            refreshAfterChange(post)
        } catch {
            post(.rollbackFinished(succeeded: false, message: "\(error)"))
        }
    }

    /// After a change: read the config again, probe again and re-diagnose (logs keep what they had).
    private func refreshAfterChange(_ post: @escaping @Sendable (WizardEvent) -> Void) {
        lock.lock(); configDone = false; probeDone = false; lock.unlock()
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

private final class StepRows: @unchecked Sendable {
    private let lock = NSLock()
    private var rows = Dictionary(uniqueKeysWithValues: ApplyStepRow.standardSteps.map { ($0.id, $0) })
    private let post: @Sendable (WizardEvent) -> Void
    init(post: @escaping @Sendable (WizardEvent) -> Void) { self.post = post }

    func mark(_ id: String, _ status: ApplyStepStatus, _ detail: String) {
        lock.lock()
        guard var row = rows[id] else { lock.unlock(); return }
        row.status = status; row.detail = detail; rows[id] = row
        lock.unlock()
        post(.applyProgress(row))
    }

    func status(_ id: String) -> ApplyStepStatus? { lock.lock(); defer { lock.unlock() }; return rows[id]?.status }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; n += 1; return n }
}

private final class LockedString: @unchecked Sendable {
    private let lock = NSLock()
    private var s = ""
    var value: String {
        get { lock.lock(); defer { lock.unlock() }; return s }
        set { lock.lock(); s = newValue; lock.unlock() }
    }
}

/// A one-way gate: `wait` returns once `open` was called (or after the timeout).
final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var isOpen = false
    func open() {
        condition.lock(); isOpen = true; condition.broadcast(); condition.unlock()
    }
    func wait(seconds: Double) {
        let until = Date().addingTimeInterval(seconds)
        condition.lock()
        while !isOpen && condition.wait(until: until) {}
        condition.unlock()
    }
}
