import Foundation
import MailDNS
import PostfixConfig
import PostlsCore
import TLSReports

/// One piece of evidence for a diagnosis, with where it came from.
public struct Evidence: Codable, Sendable, Equatable {
    /// `system`: the state of the running server apart from its listeners, such as whether master runs (its pid file).
    /// `tlsrpt`: a sender's SMTP TLS report (RFC 8460), the one view from outside the server.
    public enum Source: String, Codable, Sendable, CaseIterable { case config, probe, log, dns, system, tlsrpt }

    public var source: Source
    /// `main.cf:14`, `mail.log:8812`, `probe 127.0.0.1:25 (IPv4)`
    public var location: String
    public var text: String
    /// Whose it is: Postfix (main.cf/master.cf, smtpd's log lines, the SMTP probe, DNS) or Dovecot (its config, its logins).
    public var server: MailServer

    public init(source: Source, location: String, text: String, server: MailServer = .postfix) {
        self.source = source; self.location = location; self.text = text; self.server = server
    }
}

/// Whether the cause is happening now, or was seen in the logs but no longer reproduces.
public enum DiagnosisStatus: String, Codable, Sendable {
    case active
    /// Seen in the logs, but neither the current configuration nor a live probe reproduces it.
    case possiblyFixed = "possibly_fixed"
}

/// A root cause with its evidence and the fixes that address it.
public struct Diagnosis: Encodable, Sendable, Equatable {
    public var cause: Cause
    public var severity: Severity
    public var confidence: Confidence
    /// One line: what is wrong here, in this server's terms.
    public var summary: String
    /// The paragraph from the cause catalog.
    public var explanation: String
    public var evidence: [Evidence]
    /// Ids of the fixes in the report's `fixes`.
    public var fixes: [String]
    public var status: DiagnosisStatus
    /// What would settle the diagnosis when confidence is not high, and vantage-point caveats.
    public var notes: [String]
    /// Failed sessions in the logs for this cause.
    public var logEvents: Int

    /// Sources that contributed evidence.
    public var sources: Set<Evidence.Source> { Set(evidence.map(\.source)) }
    /// The servers the evidence is about: Postfix's fixes are planned only for Postfix evidence, Dovecot's for Dovecot's.
    public var servers: Set<MailServer> { Set(evidence.map(\.server)) }
}

/// How a fix acts.
public enum FixKind: String, Codable, Sendable {
    /// Edits of main.cf/master.cf, applied safely by `postls fix apply`; for Dovecot, a diff to review.
    case configEdit = "config_edit"
    /// Commands for the admin to run (or, for `postfix reload`, that apply runs).
    case command
    /// DNS records to publish.
    case dnsRecord = "dns_record"
    /// A file to create (e.g. a full chain), then config edits that use it.
    case file
}

/// A concrete fix.
public struct Fix: Encodable, Sendable, Equatable {
    /// Stable across runs for the same problem and change: `<cause>-<hash>`.
    public var id: String
    public var title: String
    public var kind: FixKind
    public var cause: Cause
    /// Unified diff of main.cf/master.cf for config edits.
    public var diff: String?
    /// Commands to run, as argument vectors joined for display.
    public var commands: [String]
    /// The config edits (what `fix apply` writes).
    public var edits: [ConfigEdit]
    /// Which real peers the change affects, from the logs (before tightening: who would lose TLS).
    public var impact: String?
    /// Whether `fix apply` can carry it out (config edits and `postfix reload`).
    public var applicable: Bool
    /// Listener ports to probe again after applying.
    public var ports: [Int]
    /// Files to create before the edits (path and contents; public data only, never keys).
    public var files: [FileAction]
    /// Whose configuration the fix changes. `fix apply` edits only Postfix's main.cf/master.cf; a Dovecot fix is
    /// advice (a diff of Dovecot's file to review, and commands), never applied by postls.
    public var server: MailServer = .postfix
    /// For `dns_record`: the records (and MTA-STS policy file) to publish, from the DNS engine's suggestions.
    public var records: [RecordSuggestion] = []

    public struct FileAction: Sendable, Equatable {
        public var path: String
        public var contents: String
        public var explanation: String
    }
}

/// Everything `postls diagnose` found.
public struct DiagnosisReport: Sendable {
    public var diagnoses: [Diagnosis]
    public var fixes: [Fix]
    /// What was not looked at (no probe, logs unreadable...), so the admin knows the limits.
    public var limitations: [String]
    /// Senders' TLS reports and their join with the local logs, when reports were given (`--tlsrpt`).
    public var senderReports: SenderReports? = nil

    public var exitCode: ExitCode {
        ExitCode(worst: diagnoses.filter { $0.status == .active }.map(\.severity).max())
    }

    public func fix(id: String) -> Fix? { fixes.first { $0.id == id } }
}

/// What senders reported (`--tlsrpt`): the reports read, those rejected with their reason, and each failure
/// detail joined to the local logs.
public struct SenderReports: Sendable, Equatable {
    public var reports: Int
    public var organizations: [String]
    public var successfulSessions: Int
    public var failedSessions: Int
    public var rejected: [TLSReportRejection]
    public var failures: [ReportedFailure]
    /// Whether logs were read: without them no failure is matched, and none is claimed unseen.
    public var logsRead: Bool

    public init(set: TLSReportSet, failures: [ReportedFailure], logsRead: Bool) {
        reports = set.reports.count
        organizations = Array(Set(set.reports.map(\.organization))).sorted()
        successfulSessions = set.reports.reduce(0) { Self.sum($0, $1.successfulSessions) }
        failedSessions = set.reports.reduce(0) { Self.sum($0, $1.failedSessions) }
        rejected = set.rejected + set.unreadable
        self.failures = failures
        self.logsRead = logsRead
    }

    /// Counts as senders write them can be huge: a sum stops at Int.max.
    static func sum(_ a: Int, _ b: Int) -> Int { let (r, o) = a.addingReportingOverflow(b); return o ? .max : r }

    /// The failure details no local log line matches.
    public var notSeenLocally: [ReportedFailure] { failures.filter(\.notSeenLocally) }
}
