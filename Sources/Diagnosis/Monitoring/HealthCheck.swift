import Foundation
import PostlsCore
import TLSProbe

/// The monitoring-plugin view of a probe (and, when given, of recent log failures): one status, one line,
/// perfdata. Pure: the same inputs give the same output, so it is tested without a network.
public struct HealthCheck: Sendable {
    /// Monitoring-plugin states and their exit codes (Monitoring Plugins development guidelines).
    public enum Status: Int32, Sendable, Comparable, CustomStringConvertible {
        case ok = 0, warning = 1, critical = 2, unknown = 3

        public var description: String {
            switch self { case .ok: "OK"; case .warning: "WARNING"; case .critical: "CRITICAL"; case .unknown: "UNKNOWN" }
        }
        /// UNKNOWN ranks below CRITICAL but above WARNING when combining (a failed check must not hide a critical).
        private var rank: Int { switch self { case .ok: 0; case .warning: 1; case .unknown: 2; case .critical: 3 } }
        public static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    }

    public struct Thresholds: Sendable {
        public var warningDays: Int
        public var criticalDays: Int
        /// TLS failures per hour (from the logs) that make WARNING/CRITICAL; nil: not checked.
        public var failureWarning: Int?
        public var failureCritical: Int?

        public init(warningDays: Int = 21, criticalDays: Int = 7, failureWarning: Int? = nil, failureCritical: Int? = nil) {
            self.warningDays = warningDays; self.criticalDays = criticalDays
            self.failureWarning = failureWarning; self.failureCritical = failureCritical
        }
    }

    /// One perfdata value: `'label'=value[uom];warn;crit;min;max`.
    public struct PerfValue: Sendable, Equatable {
        public var label: String
        public var value: Double
        public var unit: String
        public var warning: String
        public var critical: String
        public var labels: [String: String]
        public var metric: String
    }

    public var status: Status
    public var summary: String
    public var details: [String]
    public var perfdata: [PerfValue]

    /// Judges a probe report (and optional failures per cause over the last hour).
    public init(report: ProbeReport, failuresLastHour: [Cause: Int]? = nil, thresholds: Thresholds = Thresholds()) {
        var status = Status.ok
        var problems: [(Status, String)] = []
        var perf: [PerfValue] = []
        if report.targets.isEmpty {
            self.init(status: .unknown, summary: "no listener to probe", details: [], perfdata: [])
            return
        }
        for t in report.targets {
            let name = t.endpoint
            let labels = ["host": t.host, "address": t.address, "port": String(t.port)]
            let tlsWorks = t.negotiated != nil
            perf.append(PerfValue(label: "tls_\(name)", value: tlsWorks ? 1 : 0, unit: "", warning: "", critical: "1:", labels: labels, metric: "postls_tls_ok"))
            if !tlsWorks {
                let why: String
                if let e = t.error { why = "\(e.phase.rawValue): \(e.message)" }
                else if t.starttlsOffered == false { why = "STARTTLS not offered" }
                else { why = "no TLS" }
                problems.append((.critical, "\(name) no TLS (\(why))"))
            }
            if let days = t.daysToExpiry {
                perf.append(PerfValue(label: "expiry_days_\(name)", value: Double(days), unit: "",
                                      warning: "\(thresholds.warningDays):", critical: "\(thresholds.criticalDays):", labels: labels,
                                      metric: "postls_certificate_expiry_days"))
                if days < 0 { problems.append((.critical, "\(name) certificate expired \(-days) days ago")) }
                else if days < thresholds.criticalDays { problems.append((.critical, "\(name) certificate expires in \(days) days")) }
                else if days < thresholds.warningDays { problems.append((.warning, "\(name) certificate expires in \(days) days")) }
            }
            if let ms = t.handshakeMs {
                perf.append(PerfValue(label: "handshake_\(name)", value: (ms * 10).rounded() / 10, unit: "ms", warning: "", critical: "",
                                      labels: labels, metric: "postls_handshake_milliseconds"))
            }
            if tlsWorks, let verify = t.verify, verify.code != 0, verify.code != 10 {
                problems.append((.warning, "\(name) certificate does not verify (\(verify.code) \(verify.message))"))
            }
            if tlsWorks, t.nameMatch == false {
                problems.append((.warning, "\(name) certificate does not cover \(t.expectedName ?? t.host)"))
            }
        }
        if let failures = failuresLastHour {
            let total = failures.values.reduce(0, +)
            for cause in failures.keys.sorted() {
                perf.append(PerfValue(label: "failures_\(cause.rawValue)", value: Double(failures[cause] ?? 0), unit: "",
                                      warning: "", critical: "", labels: ["cause": cause.rawValue], metric: "postls_tls_failures_last_hour"))
            }
            if let crit = thresholds.failureCritical, total >= crit {
                problems.append((.critical, "\(total) TLS failures in the last hour"))
            } else if let warn = thresholds.failureWarning, total >= warn {
                problems.append((.warning, "\(total) TLS failures in the last hour"))
            }
        }
        for (s, _) in problems { status = max(status, s) }
        let okCount = report.targets.filter { $0.negotiated != nil }.count
        let worst = problems.filter { $0.0 == status }.map(\.1)
        let summary: String
        if status == .ok {
            let minDays = report.targets.compactMap(\.daysToExpiry).min()
            summary = "\(okCount)/\(report.targets.count) listeners negotiate TLS" + (minDays.map { ", certificates valid for \($0)+ days" } ?? "")
        } else {
            summary = worst.prefix(3).joined(separator: "; ") + (worst.count > 3 ? "; and \(worst.count - 3) more" : "")
        }
        self.init(status: status, summary: summary, details: problems.map(\.1), perfdata: perf)
    }

    public init(status: Status, summary: String, details: [String], perfdata: [PerfValue]) {
        self.status = status; self.summary = summary; self.details = details; self.perfdata = perfdata
    }

    /// The plugin output: `POSTLS OK - summary | perfdata`, then one detail per line (long output).
    public var nagiosOutput: String {
        let perfText = perfdata.map { p in
            let label = p.label.contains(where: { $0 == " " || $0 == "=" || $0 == "'" }) ? "'\(p.label.replacingOccurrences(of: "'", with: "''"))'" : "'\(p.label)'"
            return "\(label)=\(Self.number(p.value))\(p.unit);\(p.warning);\(p.critical);;"
        }.joined(separator: " ")
        var text = "POSTLS \(status) - \(summary.replacingOccurrences(of: "|", with: "/"))"
        if !perfText.isEmpty { text += " | " + perfText }
        let extra = details.filter { !summary.contains($0) }
        if !extra.isEmpty { text += "\n" + extra.map { $0.replacingOccurrences(of: "|", with: "/") }.joined(separator: "\n") }
        return text + "\n"
    }

    /// The same figures in the Prometheus text exposition format (for node_exporter's textfile collector).
    public var prometheusOutput: String {
        let help = [
            "postls_tls_ok": "1 when the listener negotiates TLS, else 0.",
            "postls_certificate_expiry_days": "Days until the served certificate expires (negative when expired).",
            "postls_handshake_milliseconds": "Duration of the default TLS handshake in milliseconds.",
            "postls_tls_failures_last_hour": "TLS failures per cause in the mail log during the last hour.",
        ]
        var out = ""
        let metrics = perfdata.reduce(into: [String]()) { if !$0.contains($1.metric) { $0.append($1.metric) } }
        for metric in metrics {
            out += "# HELP \(metric) \(help[metric] ?? metric)\n# TYPE \(metric) gauge\n"
            for p in perfdata where p.metric == metric {
                let labels = p.labels.keys.sorted().map { "\($0)=\"\(Self.escapeLabel(p.labels[$0] ?? ""))\"" }.joined(separator: ",")
                out += "\(metric){\(labels)} \(Self.number(p.value))\n"
            }
        }
        out += "# HELP postls_check_status Monitoring-plugin status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n# TYPE postls_check_status gauge\n"
        out += "postls_check_status \(status.rawValue)\n"
        return out
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
    }

    static func escapeLabel(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
