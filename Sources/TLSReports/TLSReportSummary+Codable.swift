import Foundation
import PostlsCore

// The JSON contract of docs/json/tlsrpt.schema.json. Every listed field is written, null when unknown.

extension TLSReportSummary: Encodable {
    enum Keys: String, CodingKey {
        case days, reports, rejected, skipped, unreadable, totals
    }
    enum TotalKeys: String, CodingKey {
        case reports, successfulSessions = "successful_sessions", failedSessions = "failed_sessions", rejected, skipped, unreadable
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(fields: [.days: days, .reports: set.reports, .rejected: set.rejected, .skipped: set.skipped,
                              .unreadable: set.unreadable])
        var t = c.nestedContainer(keyedBy: TotalKeys.self, forKey: .totals)
        try t.encode(set.reports.count, forKey: .reports)
        try t.encode(successfulSessions, forKey: .successfulSessions)
        try t.encode(failedSessions, forKey: .failedSessions)
        try t.encode(set.rejected.count, forKey: .rejected)
        try t.encode(set.skipped.count, forKey: .skipped)
        try t.encode(set.unreadable.count, forKey: .unreadable)
    }
}

extension TLSReportRejection: Encodable {
    enum Keys: String, CodingKey { case source, reason }
    public func encode(to encoder: Encoder) throws {
        try encoder.encode(fields: [Keys.source: source, .reason: reason])
    }
}

/// Counts keyed by result type, with the postls cause of each.
private struct ResultTypeCount: Encodable {
    let resultType: TLSResultType
    let failedSessions: Int
    enum Keys: String, CodingKey { case resultType = "result_type", cause, failedSessions = "failed_sessions" }
    func encode(to encoder: Encoder) throws {
        try encoder.encode(fields: [Keys.resultType: resultType, .cause: resultType.cause, .failedSessions: failedSessions])
    }
}

extension TLSReportDay: Encodable {
    enum Keys: String, CodingKey {
        case organization, day, reports, policyDomains = "policy_domains", successfulSessions = "successful_sessions"
        case failedSessions = "failed_sessions", blockedSessions = "blocked_sessions", failures, failing
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(fields: [.organization: organization, .day: day, .reports: reports, .policyDomains: policyDomains,
                              .successfulSessions: successfulSessions, .failedSessions: failedSessions,
                              .blockedSessions: blockedSessions])
        let counts = failuresByResultType.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            .map { ResultTypeCount(resultType: $0.key, failedSessions: $0.value) }
        try c.encode(fields: [.failures: counts, .failing: failing])
    }
}

extension TLSFailingHost: Encodable {
    enum Keys: String, CodingKey {
        case resultType = "result_type", cause, receivingMXHostname = "receiving_mx_hostname", receivingIP = "receiving_ip"
        case failedSessions = "failed_sessions", sendingMTAIPs = "sending_mta_ips", failureReasonCodes = "failure_reason_codes"
    }
    public func encode(to encoder: Encoder) throws {
        try encoder.encode(fields: [Keys.resultType: resultType, .cause: resultType.cause,
                                    .receivingMXHostname: receivingMXHostname, .receivingIP: receivingIP,
                                    .failedSessions: failedSessions, .sendingMTAIPs: sendingMTAIPs,
                                    .failureReasonCodes: failureReasonCodes])
    }
}

extension TLSReport: Encodable {
    enum Keys: String, CodingKey {
        case source, organizationName = "organization_name", contactInfo = "contact_info", reportID = "report_id"
        case startDatetime = "start_datetime", endDatetime = "end_datetime", day, submitter, policies
    }
    public func encode(to encoder: Encoder) throws {
        try encoder.encode(fields: [Keys.source: source, .organizationName: organizationName, .contactInfo: contactInfo,
                                    .reportID: reportID, .startDatetime: startDatetime, .endDatetime: endDatetime, .day: day,
                                    .submitter: submitter, .policies: policies])
    }
}

extension TLSReportPolicy: Encodable {
    enum Keys: String, CodingKey {
        case policyType = "policy_type", policyString = "policy_string", policyDomain = "policy_domain", mxHosts = "mx_host"
        case successfulSessions = "successful_sessions", failedSessions = "failed_sessions", blocksDelivery = "blocks_delivery", failures
    }
    public func encode(to encoder: Encoder) throws {
        try encoder.encode(fields: [Keys.policyType: policyType, .policyString: policyString, .policyDomain: policyDomain,
                                    .mxHosts: mxHosts, .successfulSessions: successfulSessions,
                                    .failedSessions: failedSessions, .blocksDelivery: blocksDelivery, .failures: failures])
    }
}

extension TLSReportFailure: Encodable {
    enum Keys: String, CodingKey {
        case resultType = "result_type", cause, failedSessions = "failed_sessions", sendingMTAIP = "sending_mta_ip"
        case receivingIP = "receiving_ip", receivingMXHostname = "receiving_mx_hostname", receivingMXHelo = "receiving_mx_helo"
        case failureReasonCode = "failure_reason_code", additionalInformation = "additional_information"
    }
    public func encode(to encoder: Encoder) throws {
        try encoder.encode(fields: [Keys.resultType: resultType, .cause: resultType.cause, .failedSessions: failedSessions,
                                    .sendingMTAIP: sendingMTAIP, .receivingIP: receivingIP,
                                    .receivingMXHostname: receivingMXHostname, .receivingMXHelo: receivingMXHelo,
                                    .failureReasonCode: failureReasonCode, .additionalInformation: additionalInformation])
    }
}
