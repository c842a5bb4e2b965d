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
        try c.encode(days, forKey: .days)
        try c.encode(set.reports, forKey: .reports)
        try c.encode(set.rejected, forKey: .rejected)
        try c.encode(set.skipped, forKey: .skipped)
        try c.encode(set.unreadable, forKey: .unreadable)
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
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(source, forKey: .source)
        try c.encode(reason, forKey: .reason)
    }
}

/// Counts keyed by result type, with the postls cause of each.
private struct ResultTypeCount: Encodable {
    let resultType: TLSResultType
    let failedSessions: Int
    enum Keys: String, CodingKey { case resultType = "result_type", cause, failedSessions = "failed_sessions" }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(resultType, forKey: .resultType)
        try c.encode(resultType.cause, forKey: .cause)
        try c.encode(failedSessions, forKey: .failedSessions)
    }
}

extension TLSReportDay: Encodable {
    enum Keys: String, CodingKey {
        case organization, day, reports, policyDomains = "policy_domains", successfulSessions = "successful_sessions"
        case failedSessions = "failed_sessions", blockedSessions = "blocked_sessions", failures, failing
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(organization, forKey: .organization)
        try c.encode(day, forKey: .day)
        try c.encode(reports, forKey: .reports)
        try c.encode(policyDomains, forKey: .policyDomains)
        try c.encode(successfulSessions, forKey: .successfulSessions)
        try c.encode(failedSessions, forKey: .failedSessions)
        try c.encode(blockedSessions, forKey: .blockedSessions)
        let counts = failuresByResultType.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
            .map { ResultTypeCount(resultType: $0.key, failedSessions: $0.value) }
        try c.encode(counts, forKey: .failures)
        try c.encode(failing, forKey: .failing)
    }
}

extension TLSFailingHost: Encodable {
    enum Keys: String, CodingKey {
        case resultType = "result_type", cause, receivingMXHostname = "receiving_mx_hostname", receivingIP = "receiving_ip"
        case failedSessions = "failed_sessions", sendingMTAIPs = "sending_mta_ips", failureReasonCodes = "failure_reason_codes"
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(resultType, forKey: .resultType)
        try c.encode(resultType.cause, forKey: .cause)
        try c.encode(receivingMXHostname, forKey: .receivingMXHostname)
        try c.encode(receivingIP, forKey: .receivingIP)
        try c.encode(failedSessions, forKey: .failedSessions)
        try c.encode(sendingMTAIPs, forKey: .sendingMTAIPs)
        try c.encode(failureReasonCodes, forKey: .failureReasonCodes)
    }
}

extension TLSReport: Encodable {
    enum Keys: String, CodingKey {
        case source, organizationName = "organization_name", contactInfo = "contact_info", reportID = "report_id"
        case startDatetime = "start_datetime", endDatetime = "end_datetime", day, submitter, policies
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(source, forKey: .source)
        try c.encode(organizationName, forKey: .organizationName)
        try c.encode(contactInfo, forKey: .contactInfo)
        try c.encode(reportID, forKey: .reportID)
        try c.encode(startDatetime, forKey: .startDatetime)
        try c.encode(endDatetime, forKey: .endDatetime)
        try c.encode(day, forKey: .day)
        try c.encode(submitter, forKey: .submitter)
        try c.encode(policies, forKey: .policies)
    }
}

extension TLSReportPolicy: Encodable {
    enum Keys: String, CodingKey {
        case policyType = "policy_type", policyString = "policy_string", policyDomain = "policy_domain", mxHosts = "mx_host"
        case successfulSessions = "successful_sessions", failedSessions = "failed_sessions", blocksDelivery = "blocks_delivery", failures
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(policyType, forKey: .policyType)
        try c.encode(policyString, forKey: .policyString)
        try c.encode(policyDomain, forKey: .policyDomain)
        try c.encode(mxHosts, forKey: .mxHosts)
        try c.encode(successfulSessions, forKey: .successfulSessions)
        try c.encode(failedSessions, forKey: .failedSessions)
        try c.encode(blocksDelivery, forKey: .blocksDelivery)
        try c.encode(failures, forKey: .failures)
    }
}

extension TLSReportFailure: Encodable {
    enum Keys: String, CodingKey {
        case resultType = "result_type", cause, failedSessions = "failed_sessions", sendingMTAIP = "sending_mta_ip"
        case receivingIP = "receiving_ip", receivingMXHostname = "receiving_mx_hostname", receivingMXHelo = "receiving_mx_helo"
        case failureReasonCode = "failure_reason_code", additionalInformation = "additional_information"
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(resultType, forKey: .resultType)
        try c.encode(resultType.cause, forKey: .cause)
        try c.encode(failedSessions, forKey: .failedSessions)
        try c.encode(sendingMTAIP, forKey: .sendingMTAIP)
        try c.encode(receivingIP, forKey: .receivingIP)
        try c.encode(receivingMXHostname, forKey: .receivingMXHostname)
        try c.encode(receivingMXHelo, forKey: .receivingMXHelo)
        try c.encode(failureReasonCode, forKey: .failureReasonCode)
        try c.encode(additionalInformation, forKey: .additionalInformation)
    }
}
