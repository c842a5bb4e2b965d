import Foundation
import PostlsCore

/// One TLS failure: the lines of one connection (or one delivery attempt, one process start-up,
/// one Dovecot login) that together say what went wrong, with its cause.
public struct TLSEvent: Sendable, Hashable {
    /// What the lines describe.
    public enum Kind: String, Sendable, Codable, Hashable {
        /// An inbound SMTP connection (smtpd, postscreen, tlsproxy).
        case session
        /// An outbound delivery attempt (smtp, lmtp).
        case delivery
        /// Warnings a Postfix process logged before any connection: its TLS set-up failed.
        case startup
        /// A Dovecot login or configuration line.
        case dovecot
    }

    public var kind: Kind
    /// When the first line was logged, as an instant (nil when the lines carry no timestamp).
    public var time: Date?
    /// The first line's timestamp as logged.
    public var timeText: String
    public var host: String
    public var program: String
    public var pid: Int?
    /// The listener or service: `smtp`, `smtps`, `submission` (Postfix), `imap`, `pop3` (Dovecot).
    public var service: String?
    public var peer: Peer?
    public var signals: [Signal]
    /// The OpenSSL errors of all lines, in order.
    public var errors: [OpenSSLError]
    public var cause: Cause
    public var confidence: Confidence
    /// The id of the rule that chose the cause (`no-shared-cipher`), `unclassified` when none did.
    public var rule: String
    /// The raw lines (capped; `omittedLines` says how many more there were).
    public var lines: [LogLine]
    public var omittedLines: Int
    /// A connection postls's own probe made (see `OwnProbeMatcher`); such events reach callers only when
    /// `LogAnalyzerOptions.includeOwnProbes` asks for them.
    public var ownProbe = false
    /// The message-table rows its lines matched (LogMessageCatalog ids), in line order: the direction and
    /// the fields (`nexthop`, `num`) of each line come from `LogMessageCatalog.primary(_:)`. Matched when
    /// asked (the analyzer matches them only for events its rules are not sure of); the lines a session
    /// inherited from its process's start-up are not its own.
    public var messages: [String] { LogMessageCatalog.rowIndices(of: lines.dropFirst(inheritedLines)).map { LogMessageCatalog.all[$0].id } }
    /// How many of `lines` come first from the process's start-up warnings (see `LogAnalyzer`).
    var inheritedLines = 0

    public init(kind: Kind, time: Date?, timeText: String, host: String, program: String, pid: Int?, service: String?,
                peer: Peer?, signals: [Signal], errors: [OpenSSLError], cause: Cause, confidence: Confidence, rule: String,
                lines: [LogLine], omittedLines: Int = 0) {
        self.kind = kind; self.time = time; self.timeText = timeText; self.host = host; self.program = program
        self.pid = pid; self.service = service; self.peer = peer; self.signals = signals; self.errors = errors
        self.cause = cause; self.confidence = confidence; self.rule = rule; self.lines = lines; self.omittedLines = omittedLines
    }

    /// The service a program name stands for: `postfix/smtps/smtpd` → smtps, `postfix/submission/smtpd`
    /// → submission, `postfix/smtpd` → smtp, `imap-login` → imap.
    public static func service(ofProgram program: String) -> String? {
        let parts = program.split(separator: "/").map(String.init)
        guard let last = parts.last else { return nil }
        if last.hasSuffix("-login") { return String(last.dropLast(6)) }
        switch last {
        case "smtpd", "smtp", "postscreen", "tlsproxy", "lmtp":
            if parts.count >= 3 { return parts[parts.count - 2] }
            return last == "lmtp" ? "lmtp" : "smtp"
        default:
            return nil
        }
    }
}
