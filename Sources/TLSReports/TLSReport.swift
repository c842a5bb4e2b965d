import Foundation
import PostlsCore

/// One SMTP TLS aggregate report (RFC 8460, section 4.4) as a sending organisation wrote it. Fields the RFC requires
/// but real senders leave out (Microsoft's reports have no `sending-mta-ip`, no `mx-host`, at times no
/// `policy-string`; others send `contact-info: null` or no `policy-domain` with `no-policy-found`) are nil or empty,
/// never a reason to reject the report.
public struct TLSReport: Sendable, Equatable {
    /// Where the report was read: a file, a message in a Maildir or an mbox, an attachment's file name.
    public var source: String
    public var organizationName: String?
    public var contactInfo: String?
    public var reportID: String?
    /// `date-range.start-datetime` / `end-datetime` as written (RFC 3339).
    public var startDatetime: String?
    public var endDatetime: String?
    public var policies: [TLSReportPolicy]
    /// The submitter named by the message carrying the report (`TLS-Report-Submitter`), when there was one.
    public var submitter: String?
    /// The day the report covers, from the attachment's name (`sender!domain!begin!end!id.json.gz`) when the
    /// report itself has no date range.
    public var fileNameStart: Date?

    public init(source: String, organizationName: String? = nil, contactInfo: String? = nil, reportID: String? = nil,
                startDatetime: String? = nil, endDatetime: String? = nil, policies: [TLSReportPolicy] = [],
                submitter: String? = nil, fileNameStart: Date? = nil) {
        self.source = source; self.organizationName = organizationName; self.contactInfo = contactInfo
        self.reportID = reportID; self.startDatetime = startDatetime; self.endDatetime = endDatetime
        self.policies = policies; self.submitter = submitter; self.fileNameStart = fileNameStart
    }

    /// Who sent it: the organisation the report names, else the message's submitter, else "unknown".
    public var organization: String { organizationName ?? submitter ?? "unknown" }

    /// The UTC day the report covers (its start), `unknown` when neither the report nor its file name says.
    public var day: String {
        if let start = startDatetime.flatMap(RFC3339.parse) { return TimeFormat.day(start) }
        if let fileNameStart { return TimeFormat.day(fileNameStart) }
        return "unknown"
    }

    /// The period the report covers: its date range, else the file name's day (a whole UTC day); nil when
    /// neither says. A range whose end is before its start is taken as written the other way round.
    public var period: ClosedRange<Date>? {
        if let start = startDatetime.flatMap(RFC3339.parse) {
            let end = endDatetime.flatMap(RFC3339.parse) ?? start.addingTimeInterval(86_400)
            return min(start, end)...max(start, end)
        }
        if let fileNameStart { return fileNameStart...fileNameStart.addingTimeInterval(86_400) }
        return nil
    }

    public var successfulSessions: Int { policies.reduce(0) { saturating($0, $1.successfulSessions) } }
    public var failedSessions: Int { policies.reduce(0) { saturating($0, $1.failedSessions) } }
}

/// One entry of `policies`: the policy the sender applied to a recipient domain, its session counts and failures.
public struct TLSReportPolicy: Sendable, Equatable {
    /// `sts`, `tlsa` or `no-policy-found` (kept as written; `unknown` when missing).
    public var policyType: String
    public var policyString: [String]
    public var policyDomain: String?
    public var mxHosts: [String]
    public var successfulSessions: Int
    public var failedSessions: Int
    public var failures: [TLSReportFailure]

    public init(policyType: String, policyString: [String] = [], policyDomain: String? = nil, mxHosts: [String] = [],
                successfulSessions: Int, failedSessions: Int, failures: [TLSReportFailure] = []) {
        self.policyType = policyType; self.policyString = policyString; self.policyDomain = policyDomain
        self.mxHosts = mxHosts; self.successfulSessions = successfulSessions; self.failedSessions = failedSessions
        self.failures = failures
    }

    /// Whether a failure under this policy kept mail from being delivered: a DANE policy, or MTA-STS in `enforce`
    /// mode (RFC 8461 section 5). Under `testing`, `none` or no policy the sender delivers anyway (in plaintext or
    /// without verification).
    public var blocksDelivery: Bool {
        switch policyType {
        case "tlsa": return true
        case "sts":
            return policyString.contains { line in
                let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                return parts.count == 2 && parts[0] == "mode" && parts[1] == "enforce"
            }
        default: return false
        }
    }
}

/// One entry of `failure-details`.
public struct TLSReportFailure: Sendable, Equatable {
    public var resultType: TLSResultType
    public var failedSessions: Int
    public var sendingMTAIP: String?
    public var receivingIP: String?
    public var receivingMXHostname: String?
    public var receivingMXHelo: String?
    public var failureReasonCode: String?
    public var additionalInformation: String?

    public init(resultType: TLSResultType, failedSessions: Int, sendingMTAIP: String? = nil, receivingIP: String? = nil,
                receivingMXHostname: String? = nil, receivingMXHelo: String? = nil, failureReasonCode: String? = nil,
                additionalInformation: String? = nil) {
        self.resultType = resultType; self.failedSessions = failedSessions; self.sendingMTAIP = sendingMTAIP
        self.receivingIP = receivingIP; self.receivingMXHostname = receivingMXHostname; self.receivingMXHelo = receivingMXHelo
        self.failureReasonCode = failureReasonCode; self.additionalInformation = additionalInformation
    }
}

/// RFC 3339 date-times as reports write them: `TimeFormat` reads the UTC form; an offset is applied here.
enum RFC3339 {
    static func parse(_ text: String) -> Date? {
        let upper = text.uppercased()
        if let date = TimeFormat.parse(upper) { return date }
        // 2026-12-01T00:00:00+02:00 (or -0500): read the local time as if UTC, then move by the offset.
        let b = Array(upper.utf8)
        guard b.count >= 24 else { return nil }
        let colon = b[b.count - 3] == 58
        let signAt = b.count - (colon ? 6 : 5)
        guard signAt >= 19, b[signAt] == 43 || b[signAt] == 45 else { return nil }
        let digits = b[(signAt + 1)...].filter { $0 != 58 }
        guard digits.count == 4, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
        let hours = Int(digits[0] - 48) * 10 + Int(digits[1] - 48), minutes = Int(digits[2] - 48) * 10 + Int(digits[3] - 48)
        guard let local = TimeFormat.parse(String(decoding: b[..<signAt], as: UTF8.self) + "Z") else { return nil }
        let offset = Double(hours * 3600 + minutes * 60) * (b[signAt] == 43 ? 1 : -1)
        return local.addingTimeInterval(-offset)
    }
}
