import Foundation
import MailDNS
import MailLog
import PostfixConfig
import Synchronization
import TLSProbe
import TLSReports

/// The wizard's gathering: `Gatherer`'s own steps, started together so each screen fills as its step ends (the
/// probe waits for the log read, as in `Gatherer.gather`), then `Gatherer.join` once config, probe and logs are in.
/// Nothing here gathers by itself: a diagnosis made this way is the one `postls diagnose` makes (a test holds the
/// two together on every real-Postfix scenario).
public final class StepwiseGathering: Sendable {
    public let gatherer: Gatherer
    public let options: GatherOptions
    private let state = Mutex(Steps())
    /// Opens once the log step has read the logs: the probe starts after it, as in `Gatherer.gather`, so the
    /// probe's own refused handshakes are never among the failures read (a log read beside a running probe
    /// cannot tell all of them apart: its opening records claim nothing from the second they start in).
    private let logsRead = Gate()

    private struct Steps {
        var config: Gatherer.ConfigStep?
        var logs: Gatherer.LogStep?
        /// Set once the probe step ended; its report is nil when it did not run or OpenSSL could not be set up.
        var probe: (report: ProbeReport?, targets: [ProbeTarget])?
        /// The DNS step's domain and report (nil report: the lookup could not start).
        var dns: (domain: String, report: DNSReport?)?
        /// A step stored a result the last join has not seen.
        var changed = false
        var gathered: Gathered?
        /// The senders' reports, read once (`Gatherer.gatherReports`): a change to the configuration does not change them.
        var reports: TLSReportSet??
    }

    public init(options: GatherOptions, gatherer: Gatherer = Gatherer()) {
        self.options = options
        self.gatherer = gatherer
    }

    /// The config step (`Gatherer.gatherConfig`).
    public func runConfig() -> Gatherer.ConfigStep {
        let step = gatherer.gatherConfig(options)
        state.withLock { $0.config = step; $0.changed = true }
        return step
    }

    /// The probe step: the targets `Gatherer.probeTargets` picks from master.cf (read here, as the config step may
    /// not have ended), told to `started`; then, once the log step has read the logs (bounded, so a log read that
    /// hangs does not hold the probe up for ever), `Gatherer.probe`.
    public func runProbe(started: (([ProbeTarget]) -> Void)? = nil,
                         progress: (@Sendable (ProbeProgress) -> Void)? = nil) -> ProbeReport? {
        let targets = options.probe ? gatherer.probeTargets(options, configuration: try? gatherer.loadConfiguration(options)) : []
        started?(targets)
        if options.probe, options.logs { logsRead.wait(seconds: Self.logWaitSeconds) }
        let report = options.probe ? gatherer.probe(targets, options: options, progress: progress) : nil
        state.withLock { $0.probe = (report, targets); $0.changed = true }
        return report
    }

    /// How long the probe waits for the log read at most.
    static let logWaitSeconds: Double = 120

    /// The log step (`Gatherer.gatherLogs`); the probe waits for it.
    public func runLogs(reading: ((String) -> Void)? = nil) -> Gatherer.LogStep {
        let step = gatherer.gatherLogs(options, configuration: try? gatherer.loadConfiguration(options), reading: reading)
        state.withLock { $0.logs = step; $0.changed = true }
        logsRead.open()
        return step
    }

    /// The DNS step (`Gatherer.gatherDNS`) for `domain` (`options.domain`, or one the wizard derived and the admin
    /// chose): after the log read, as the probe, since it connects to each MX. A later join includes it.
    public func runDNS(domain: String, looking: ((String) -> Void)? = nil) -> DNSReport? {
        var dnsOptions = options
        dnsOptions.domain = domain
        if options.logs { logsRead.wait(seconds: Self.logWaitSeconds) }
        let report = gatherer.gatherDNS(dnsOptions, configuration: try? gatherer.loadConfiguration(options), looking: looking)
        state.withLock { $0.dns = (domain, report); $0.changed = true }
        return report
    }

    /// Once config, probe and logs are in (and the DNS step, when `options.domain` names a domain): the senders'
    /// reports (`Gatherer.gatherReports`, read once) and the join (`Gatherer.join`), with the DNS step's report when
    /// there is one. Nil while a step is missing, and when no step has ended since the last join (two steps ending
    /// together join once).
    public func joinIfReady() -> Gathered? {
        typealias Ready = (Gatherer.ConfigStep, Gatherer.LogStep, (report: ProbeReport?, targets: [ProbeTarget]), DNSReport?)
        let expectDNS = options.domain != nil
        let steps: Ready? = state.withLock {
            guard let config = $0.config, let logs = $0.logs, let probe = $0.probe, $0.changed, !expectDNS || $0.dns != nil else { return nil }
            $0.changed = false
            return (config, logs, probe, $0.dns?.report)
        }
        guard let (config, logs, probe, dns) = steps else { return nil }
        let reports = state.withLock { $0.reports } ?? gatherer.gatherReports(options)
        state.withLock { $0.reports = .some(reports) }
        let gathered = gatherer.join(config: config, logs: logs, probe: probe.report, probeTargets: probe.targets, dns: dns,
                                     reports: reports, options: options)
        state.withLock { $0.gathered = gathered }
        return gathered
    }

    /// The last join's result.
    public var gathered: Gathered? { state.withLock { $0.gathered } }

    /// After a change to the configuration: config and probe run again; the logs and DNS keep what they read.
    public func forgetConfigAndProbe() {
        state.withLock { $0.config = nil; $0.probe = nil }
    }

    /// All three steps side by side, as the wizard starts them, then the join: for tests and callers that want
    /// the wizard's gathering without a terminal.
    public func gatherAll() -> Gathered? {
        let group = DispatchGroup()
        var steps: [@Sendable () -> Void] = [{ _ = self.runConfig() }, { _ = self.runProbe() }, { _ = self.runLogs() }]
        if let domain = options.domain { steps.append { _ = self.runDNS(domain: domain) } }
        for step in steps {
            DispatchQueue.global().async(group: group, execute: step)
        }
        group.wait()
        return joinIfReady()
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
