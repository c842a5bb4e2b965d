import Foundation
import MailLog
import PostfixConfig
import PostlsCore
import TLSProbe

extension OwnProbeMatcher {
    /// The ports each log service label listens on: every smtpd listener of master.cf under the label its log
    /// lines carry (`-o syslog_name=postfix/submission` → submission); Postfix's stock services when there is no
    /// configuration (or no listener in it). Only what listens: a probe of an empty port 25 must not hide the
    /// failures of an `smtp`-labelled listener on 2525.
    public static func servicePorts(_ configuration: PostfixConfiguration?) -> [String: Set<Int>] {
        var ports: [String: Set<Int>] = [:]
        for listener in configuration?.smtpdListeners ?? [] {
            guard let port = listener.listen.port else { continue }
            ports[listener.logServiceLabel, default: []].insert(port)
        }
        return ports.isEmpty ? defaultServicePorts : ports
    }

    /// A matcher over the record's windows for the services of `configuration`; nil when nothing was recorded.
    /// `configuration` is evaluated only when a failed session from a probe's address needs the ports (reading
    /// Postfix's files costs milliseconds, needless for a log without such a session).
    public static func from(_ records: (any ProbeRecordStore)?,
                            configuration: @escaping @Sendable @autoclosure () -> PostfixConfiguration?) -> OwnProbeMatcher? {
        guard let windows = records?.windows(), !windows.isEmpty else { return nil }
        return OwnProbeMatcher(windows: windows) { servicePorts(configuration()) }
    }
}

extension GatherOptions {
    /// The recorder a probe of this gathering writes with; nil without a probe record.
    public func probeRecorder(command: String? = nil) -> ProbeRecorder? {
        probeRecords.map { ProbeRecorder(store: $0, command: command ?? self.command) }
    }

    /// The log engine's options for this gathering: since, and postls's own earlier probes counted apart.
    public func logAnalyzerOptions(configuration: PostfixConfiguration?) -> LogAnalyzerOptions {
        var o = LogAnalyzerOptions(since: since, ownProbes: OwnProbeMatcher.from(probeRecords, configuration: configuration))
        o.includeOwnProbes = includeOwnProbes
        return o
    }
}

extension LogSummary {
    /// A line for the diagnosis's limitations when the log held postls's own probes, so they are not hidden silently.
    public var ownProbesNote: String? {
        guard ownProbes > 0 else { return nil }
        let causes = ownProbesByCause.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key.rawValue < $1.key.rawValue) }
            .map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
        return "logs: \(ownProbes) failed session\(ownProbes == 1 ? " was" : "s were") postls's own earlier probe\(ownProbes == 1 ? "" : "s") "
            + "(\(causes)), " + (ownProbesCounted ? "counted as failures as asked" : "not counted as peers' failures")
    }
}
