import Foundation
import PostlsCore

/// The reports of one reporting organisation for one UTC day, added up.
public struct TLSReportDay: Sendable, Equatable {
    public var organization: String
    public var day: String
    public var reports: Int
    public var policyDomains: [String]
    public var successfulSessions: Int
    public var failedSessions: Int
    /// Failed sessions under a policy that blocks delivery (DANE, MTA-STS `enforce`): mail that was not delivered.
    public var blockedSessions: Int
    public var failuresByResultType: [TLSResultType: Int]
    /// Where failures happened, most failed sessions first.
    public var failing: [TLSFailingHost]
}

/// The failures of one result type at one receiving MX / address, with the senders that saw them.
public struct TLSFailingHost: Sendable, Equatable {
    public var resultType: TLSResultType
    public var receivingMXHostname: String?
    public var receivingIP: String?
    public var failedSessions: Int
    public var sendingMTAIPs: [String]
    public var failureReasonCodes: [String]

    public init(resultType: TLSResultType, receivingMXHostname: String?, receivingIP: String?, failedSessions: Int,
                sendingMTAIPs: [String] = [], failureReasonCodes: [String] = []) {
        self.resultType = resultType; self.receivingMXHostname = receivingMXHostname; self.receivingIP = receivingIP
        self.failedSessions = failedSessions; self.sendingMTAIPs = sendingMTAIPs; self.failureReasonCodes = failureReasonCodes
    }
}

/// Reports grouped per organisation and day, with what was rejected or skipped: what `postls tlsrpt` prints.
public struct TLSReportSummary: Sendable, Equatable {
    public var set: TLSReportSet
    public var days: [TLSReportDay]

    public init(_ set: TLSReportSet) {
        self.set = set
        var groups: [String: TLSReportDay] = [:]
        var order: [String] = []
        for report in set.reports {
            let key = report.organization + "\u{0}" + report.day
            var day = groups[key] ?? {
                order.append(key)
                return TLSReportDay(organization: report.organization, day: report.day, reports: 0, policyDomains: [], successfulSessions: 0,
                                    failedSessions: 0, blockedSessions: 0, failuresByResultType: [:], failing: [])
            }()
            day.reports += 1
            for policy in report.policies {
                if let domain = policy.policyDomain, !day.policyDomains.contains(domain) { day.policyDomains.append(domain) }
                day.successfulSessions = saturating(day.successfulSessions, policy.successfulSessions)
                day.failedSessions = saturating(day.failedSessions, policy.failedSessions)
                if policy.blocksDelivery { day.blockedSessions = saturating(day.blockedSessions, policy.failedSessions) }
                for failure in policy.failures {
                    day.failuresByResultType[failure.resultType] = saturating(day.failuresByResultType[failure.resultType] ?? 0, failure.failedSessions)
                    if let k = day.failing.firstIndex(where: {
                        $0.resultType == failure.resultType && $0.receivingMXHostname == failure.receivingMXHostname && $0.receivingIP == failure.receivingIP
                    }) {
                        day.failing[k].failedSessions = saturating(day.failing[k].failedSessions, failure.failedSessions)
                        if let ip = failure.sendingMTAIP, !day.failing[k].sendingMTAIPs.contains(ip) { day.failing[k].sendingMTAIPs.append(ip) }
                        if let code = failure.failureReasonCode, !day.failing[k].failureReasonCodes.contains(code) { day.failing[k].failureReasonCodes.append(code) }
                    } else {
                        day.failing.append(TLSFailingHost(resultType: failure.resultType, receivingMXHostname: failure.receivingMXHostname,
                                                          receivingIP: failure.receivingIP, failedSessions: failure.failedSessions,
                                                          sendingMTAIPs: failure.sendingMTAIP.map { [$0] } ?? [],
                                                          failureReasonCodes: failure.failureReasonCode.map { [$0] } ?? []))
                    }
                }
            }
            groups[key] = day
        }
        days = order.compactMap { groups[$0] }.map { day in
            var day = day
            day.policyDomains.sort()
            day.failing.sort { ($0.failedSessions, $1.resultType, $1.receivingMXHostname ?? "") > ($1.failedSessions, $0.resultType, $0.receivingMXHostname ?? "") }
            return day
        }.sorted { ($0.day, $0.organization) < ($1.day, $1.organization) }
    }

    public var successfulSessions: Int { days.reduce(0) { saturating($0, $1.successfulSessions) } }
    public var failedSessions: Int { days.reduce(0) { saturating($0, $1.failedSessions) } }

    /// critical: a sender could not deliver (failures under DANE or an enforced MTA-STS policy); warning: failed
    /// sessions that were delivered anyway, or a rejected report; nil: nothing failed.
    public var worstSeverity: Severity? {
        if days.contains(where: { $0.blockedSessions > 0 }) { return .critical }
        if failedSessions > 0 || !set.rejected.isEmpty { return .warning }
        return nil
    }

    /// JSON as `postls tlsrpt --json` prints it (docs/json/tlsrpt.schema.json), keys sorted.
    public func jsonData() throws -> Data { try ContractJSON.encode(self) }
}

/// Sums of counts a sender wrote: a file of absurd counts must not trap on overflow; it tops out instead.
func saturating(_ a: Int, _ b: Int) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? Int.max : sum
}
