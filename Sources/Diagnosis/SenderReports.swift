import ByteSources
import Foundation
import MailLog
import PostfixConfig
import PostlsCore
import TLSReports

/// One failure detail of a sender's TLS report (RFC 8460), joined to the local logs of the report's period.
public struct ReportedFailure: Sendable, Equatable {
    public var organization: String
    public var day: String
    /// Where the report was read (file, message in a Maildir or mbox).
    public var source: String
    public var policyType: String
    public var policyDomain: String?
    /// Whether the policy kept the mail from being delivered (DANE, MTA-STS `enforce`): deferred, not delivered.
    public var blocksDelivery: Bool
    public var resultType: TLSResultType
    /// The cause the result type stands for (`TLSResultType.causes`), refined by the probe where the report's
    /// type is vague (`certificate-not-trusted`, `validation-failure`: the probe's verify code says which).
    public var cause: Cause
    public var failedSessions: Int
    public var sendingMTAIP: String?
    public var receivingIP: String?
    public var receivingMXHostname: String?
    public var failureReasonCode: String?
    /// The report's period, as read.
    public var periodStart: Date?
    public var periodEnd: Date?
    /// How the local logs were matched: `sending-mta-ip`, or `time` (failed sessions of the same cause on a
    /// public SMTP listener, on the `receiving-ip` where it names one, in the period, when the report names no
    /// sending address); `not-applicable` for a failure before any SMTP session (`TLSResultType.reachesServer`);
    /// `no-address` for `starttls-not-supported` without a sending address (a plaintext session logs no TLS
    /// failure to match by time); nil: logs not read. Only `sending-mta-ip` and `time` can be unseen.
    public var matchedBy: String?
    /// The local log lines of the same sessions (at most `LocalLogMatcher.keptLines`), with their file and line.
    public var localLines: [LocalLine]
    /// How many local lines matched in all.
    public var localLineCount: Int

    /// Read logs hold nothing of these sessions: the vantage-point limit (something in front answered them).
    public var notSeenLocally: Bool { (matchedBy == "sending-mta-ip" || matchedBy == "time") && localLineCount == 0 }

    public struct LocalLine: Sendable, Equatable {
        /// `mail.log:12`
        public var location: String
        public var text: String
    }
}

/// The join of senders' reports with the local logs: one pass over the log files for the reported sending
/// addresses (plaintext sessions leave no TLS event, only their `connect`/`disconnect` lines), and the log
/// engine's events for reports that name no sending address.
public enum LocalLogMatcher {
    /// Lines kept as evidence per failure detail.
    static let keptLines = 4

    /// Each failure detail of `reports` with the local lines that match it. `logsRead` false: no log was read, so
    /// nothing is matched and nothing is claimed unseen.
    public static func join(_ reports: TLSReportSet, logFiles: [String], events: [TLSEvent], logsRead: Bool,
                            configuration: PostfixConfiguration?, smtpPorts: Set<Int>,
                            certificateCause: Cause?) -> [ReportedFailure] {
        var failures = flatten(reports, certificateCause: certificateCause)
        guard logsRead else { return failures }
        let addresses = Set(failures.compactMap(\.sendingMTAIP))
        let lines = scan(files: logFiles, addresses: addresses)
        for i in failures.indices {
            guard failures[i].resultType.reachesServer else { failures[i].matchedBy = "not-applicable"; continue }
            let period = failures[i].periodStart.flatMap { s in failures[i].periodEnd.map { s.addingTimeInterval(-slack)...$0.addingTimeInterval(slack) } }
            if let ip = failures[i].sendingMTAIP {
                failures[i].matchedBy = "sending-mta-ip"
                let found = (lines[ip] ?? []).filter { line in period.map { p in line.time.map(p.contains) ?? true } ?? true }
                failures[i].localLineCount = found.count
                failures[i].localLines = telling(found).prefix(keptLines).map { $0.evidence }
            } else if failures[i].resultType == .starttlsNotSupported {
                // A session without STARTTLS logs no TLS failure: without the sender's address nothing matches it.
                failures[i].matchedBy = "no-address"
            } else {
                failures[i].matchedBy = "time"
                let causes = Self.family(failures[i].cause)
                let mxServices = Self.mxServices(configuration, smtpPorts: smtpPorts, receivingIP: failures[i].receivingIP)
                let found = events.filter { event in
                    !event.ownProbe && causes.contains(event.cause) && (event.service.map { mxServices.isEmpty || mxServices.contains($0) } ?? true)
                        && (period.map { p in event.time.map(p.contains) ?? false } ?? true)
                }
                let eventLines = found.flatMap(\.lines)
                failures[i].localLineCount = eventLines.count
                let kept = telling(eventLines.map { MatchedLine(file: $0.file, number: $0.lineNumber, time: $0.time, message: $0.message) })
                failures[i].localLines = kept.prefix(keptLines).map(\.evidence)
            }
        }
        return failures
    }

    /// The causes a peer's side of the log can show for `cause`: a peer rejecting the certificate sends one
    /// alert (bad certificate, unknown CA) whatever was wrong with it, so the certificate causes are one family.
    static func family(_ cause: Cause) -> Set<Cause> {
        let certificate: Set<Cause> = [.untrustedCertificate, .incompleteChain, .expiredCertificate, .nameMismatch]
        return certificate.contains(cause) ? certificate : [cause]
    }

    /// Log times are whole seconds in a local zone and reports' periods are UTC days: a minute either side.
    static let slack: TimeInterval = 60

    /// Every failure detail of every report, in the reports' order.
    static func flatten(_ reports: TLSReportSet, certificateCause: Cause?) -> [ReportedFailure] {
        var out: [ReportedFailure] = []
        for report in reports.reports {
            let period = report.period
            for policy in report.policies {
                for f in policy.failures {
                    out.append(ReportedFailure(
                        organization: report.organization, day: report.day, source: report.source, policyType: policy.policyType,
                        policyDomain: policy.policyDomain, blocksDelivery: policy.blocksDelivery, resultType: f.resultType,
                        cause: cause(of: f.resultType, certificateCause: certificateCause), failedSessions: f.failedSessions,
                        sendingMTAIP: f.sendingMTAIP, receivingIP: f.receivingIP, receivingMXHostname: f.receivingMXHostname,
                        failureReasonCode: f.failureReasonCode, periodStart: period?.lowerBound, periodEnd: period?.upperBound,
                        matchedBy: nil, localLines: [], localLineCount: 0))
                }
            }
        }
        return out
    }

    /// The cause of a result type (`TLSResultType.causes`, the one table); where the report is vague about the
    /// certificate (`certificate-not-trusted`, `validation-failure`), the probe's finding about the served chain
    /// says which (an incomplete chain, an untrusted or expired certificate).
    static func cause(of type: TLSResultType, certificateCause: Cause?) -> Cause {
        let vague: Set<TLSResultType> = [.certificateNotTrusted, .validationFailure]
        if vague.contains(type), let certificateCause { return certificateCause }
        return type.cause
    }

    /// The smtpd service labels of the listeners that receive internet mail (port 25, `--smtp-port`); with the
    /// report's `receiving-ip`, those on that address or on every address.
    static func mxServices(_ configuration: PostfixConfiguration?, smtpPorts: Set<Int>, receivingIP: String?) -> Set<String> {
        guard let configuration else { return [] }
        return Set(configuration.smtpdListeners.filter { l in
            (l.isPublicSMTP || l.listen.port.map(smtpPorts.contains) == true)
                && (receivingIP == nil || l.listen.host == nil || l.listen.host == receivingIP)
        }.map(\.logServiceLabel))
    }

    struct MatchedLine {
        var file: String
        var number: Int
        var time: Date?
        var message: String
        var evidence: ReportedFailure.LocalLine { .init(location: "\(Builder.basename(file)):\(number)", text: message) }
    }

    /// The lines that say most first: a TLS error or a lost connection, then the disconnect counters, then the rest. A line
    /// that says only that a handshake failed (`SSL_accept error from ...: -1`) is left out: the next says why.
    static func telling(_ lines: [MatchedLine]) -> [MatchedLine] {
        func rank(_ l: MatchedLine) -> Int {
            let m = l.message
            if m.contains("warning") || m.contains("SSL_accept") || m.contains("TLS library") || m.hasPrefix("lost connection") { return 0 }
            if m.hasPrefix("disconnect from") { return 1 }
            return 2
        }
        return lines.filter { !$0.message.hasSuffix(": -1") }.enumerated()
            .sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
    }

    /// One pass over the log files for lines naming any of `addresses` as a peer (`name[ADDRESS]`).
    static func scan(files: [String], addresses: Set<String>) -> [String: [MatchedLine]] {
        guard !addresses.isEmpty else { return [:] }
        let needles = addresses.map { ($0, Array("[\($0)]".utf8)) }
        var found: [String: [MatchedLine]] = [:]
        for file in files {
            guard let source = try? openLogSource(path: file) else { continue }
            let modified = (try? FileManager.default.attributesOfItem(atPath: file)[.modificationDate] as? Date) ?? Date()
            let resolver = LogTimeResolver(reference: modified)
            _ = LineReader().forEachLine(in: source) { bytes, number in
                for (address, needle) in needles where contains(bytes, needle) {
                    let line = LogLine.parse(String(decoding: bytes, as: UTF8.self), file: file, lineNumber: number, timeResolver: resolver)
                    found[address, default: []].append(MatchedLine(file: file, number: number, time: line.time, message: line.message))
                }
            }
        }
        return found
    }

    /// Whether `needle` (`[ADDRESS]`, never empty) occurs in the line: `memchr` to each `[` (few in a line), then a
    /// compare.
    static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard let base = haystack.baseAddress, let first = needle.first, haystack.count >= needle.count else { return false }
        let n = needle.count, end = base + haystack.count
        var from = base
        return needle.withUnsafeBytes { nb in
            while end - from >= n, let hit = memchr(from, Int32(first), end - from) {
                let at = UnsafeRawPointer(hit)
                if end - at < n { return false }
                if memcmp(at, nb.baseAddress!, n) == 0 { return true }
                from = at + 1
            }
            return false
        }
    }
}

extension Builder {
    /// Senders' reported failures as evidence of their causes (with the matched local lines), and the failures
    /// the local logs do not show as a finding of their own (`reported_not_seen_locally`).
    mutating func addSenderReports() {
        for failure in input.reportedFailures {
            let severity: Severity = failure.blocksDelivery ? .critical : .warning
            let outcome = failure.blocksDelivery ? "mail deferred" : "delivered anyway, without verified TLS"
            add(failure.cause, severity, Evidence(source: .tlsrpt, location: Self.reportLocation(failure), text: Self.reportText(failure)),
                summary: "\(failure.organization) reports \(failure.failedSessions) session\(failure.failedSessions == 1 ? "" : "s") failing with \(failure.resultType.rawValue) (\(outcome))")
            for line in failure.localLines {
                add(failure.cause, severity, Evidence(source: .log, location: line.location, text: line.text))
            }
            if failure.notSeenLocally {
                add(.reportedNotSeenLocally, .warning, Evidence(source: .tlsrpt, location: Self.reportLocation(failure), text: Self.reportText(failure)),
                    summary: Self.notSeenSummary(failure))
                let note = "Not in the local logs: \(failure.organization)'s \(failure.resultType.rawValue) sessions" + (failure.sendingMTAIP.map { " from \($0)" } ?? "")
                    + " on \(failure.day) left no line in the logs read (see reported_not_seen_locally)."
                if !(notes[failure.cause]?.contains(note) ?? false) { notes[failure.cause, default: []].append(note) }
            }
        }
        if evidence[.reportedNotSeenLocally] != nil {
            let note = "The probe and the logs see this server from inside. Settle it from outside: `openssl s_client -starttls smtp -connect MX:25 -servername MX` from another network shows what senders meet; check that the MX records point at this server and that no firewall or NAT in front inspects SMTP (an ESMTP inspection strips STARTTLS)."
            if !(notes[.reportedNotSeenLocally]?.contains(note) ?? false) { notes[.reportedNotSeenLocally, default: []].append(note) }
        }
    }

    static func reportLocation(_ f: ReportedFailure) -> String {
        "\(f.organization) \(f.day)"
    }

    /// "5 failed sessions: certificate-host-mismatch under sts (enforce: mail deferred) from 209.85.128.70 to 192.0.2.25 (mx1.example.com)"
    static func reportText(_ f: ReportedFailure) -> String {
        var text = "\(f.failedSessions) failed session\(f.failedSessions == 1 ? "" : "s"): \(f.resultType.rawValue) under \(f.policyType)"
        if let domain = f.policyDomain { text += " for \(domain)" }
        text += f.blocksDelivery ? " (enforced: mail deferred)" : ""
        if let ip = f.sendingMTAIP { text += " from \(ip)" }
        if f.receivingIP != nil || f.receivingMXHostname != nil {
            text += " to " + [f.receivingIP, f.receivingMXHostname.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
        }
        if let code = f.failureReasonCode { text += "; reason: \(code)" }
        if f.matchedBy == "not-applicable" {
            text += "; fails before any SMTP session with the MX (policy host or DNS), so no log line is expected"
        } else if f.matchedBy == "no-address" {
            text += "; no sending address, and a session without STARTTLS logs no TLS failure to match by time"
        } else if f.matchedBy != nil {
            text += f.localLineCount == 0 ? "; no local log line" : "; \(f.localLineCount) local log line\(f.localLineCount == 1 ? "" : "s") (by \(f.matchedBy ?? ""))"
        }
        return text
    }

    static func notSeenSummary(_ f: ReportedFailure) -> String {
        "\(f.organization) reports \(f.resultType.rawValue) failures" + (f.sendingMTAIP.map { " from \($0)" } ?? "")
            + " that the local logs do not show: a path the local probe cannot see (a firewall or NAT in front, another MX)"
    }
}
