import Foundation

/// Why a report was rejected, worded for a mail admin; the place in the report is named.
public struct TLSReportRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var reason: String
    public init(source: String, reason: String) { self.source = source; self.reason = reason }
    public var description: String { "\(source): \(reason)" }
}

/// Reads the JSON of one report. Lenient where real senders differ from RFC 8460 (missing or null descriptive
/// fields, `mx-host` or `policy-string` as one string, counts written as strings), strict only where the numbers
/// would be made up: the `policies` list, each policy's `summary` counts and each failure's `result-type` and
/// `failed-session-count`.
public enum TLSReportParser {
    public static func parse(json: Data, source: String) -> Result<TLSReport, TLSReportRejection> {
        func reject(_ reason: String) -> Result<TLSReport, TLSReportRejection> { .failure(TLSReportRejection(source: source, reason: reason)) }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed])
        } catch {
            return reject("not valid JSON: \(jsonErrorText(error))")
        }
        guard let root = object as? [String: Any] else { return reject("not a TLS report: the JSON is not an object") }
        guard let policiesValue = root["policies"], !(policiesValue is NSNull) else {
            return reject("not a TLS report: no \"policies\" list (RFC 8460 section 4.4)")
        }
        guard let policyList = policiesValue as? [Any] else { return reject("\"policies\" is not a list") }
        var report = TLSReport(source: source)
        report.organizationName = string(root["organization-name"])
        report.contactInfo = string(root["contact-info"])
        report.reportID = string(root["report-id"])
        if let range = root["date-range"] as? [String: Any] {
            report.startDatetime = string(range["start-datetime"])
            report.endDatetime = string(range["end-datetime"])
        }
        for (index, entry) in policyList.enumerated() {
            let at = "policies[\(index)]"
            guard let item = entry as? [String: Any] else { return reject("\(at) is not an object") }
            let policy = item["policy"] as? [String: Any] ?? [:]
            guard let summary = item["summary"] as? [String: Any] else { return reject("\(at) has no \"summary\" with session counts") }
            guard let successful = count(summary["total-successful-session-count"]) else {
                return reject("\(at).summary.total-successful-session-count: \(describe(summary["total-successful-session-count"]))")
            }
            guard let failed = count(summary["total-failure-session-count"]) else {
                return reject("\(at).summary.total-failure-session-count: \(describe(summary["total-failure-session-count"]))")
            }
            var failures: [TLSReportFailure] = []
            let details = item["failure-details"]
            if let details, !(details is NSNull) {
                guard let list = details as? [Any] else { return reject("\(at).failure-details is not a list") }
                for (k, detailEntry) in list.enumerated() {
                    let place = "\(at).failure-details[\(k)]"
                    guard let detail = detailEntry as? [String: Any] else { return reject("\(place) is not an object") }
                    guard let resultType = string(detail["result-type"]) else { return reject("\(place) has no result-type") }
                    guard let sessions = count(detail["failed-session-count"]) else {
                        return reject("\(place).failed-session-count: \(describe(detail["failed-session-count"]))")
                    }
                    failures.append(TLSReportFailure(
                        resultType: TLSResultType(rawValue: resultType), failedSessions: sessions,
                        sendingMTAIP: string(detail["sending-mta-ip"]), receivingIP: string(detail["receiving-ip"]),
                        receivingMXHostname: string(detail["receiving-mx-hostname"]), receivingMXHelo: string(detail["receiving-mx-helo"]),
                        failureReasonCode: string(detail["failure-reason-code"]),
                        additionalInformation: string(detail["additional-information"])))
                }
            }
            report.policies.append(TLSReportPolicy(
                policyType: string(policy["policy-type"]) ?? "unknown", policyString: strings(policy["policy-string"]),
                policyDomain: string(policy["policy-domain"]), mxHosts: strings(policy["mx-host"]),
                successfulSessions: successful, failedSessions: failed, failures: failures))
        }
        return .success(report)
    }

    /// A string field; a number is written out, null or anything else is nil.
    static func string(_ value: Any?) -> String? {
        switch value {
        case let s as String: return s
        case let n as NSNumber: return n.stringValue
        default: return nil
        }
    }

    /// A list of strings, or one string as a list of one.
    static func strings(_ value: Any?) -> [String] {
        if let list = value as? [Any] { return list.compactMap { string($0) } }
        return string(value).map { [$0] } ?? []
    }

    /// A session count: a whole number ≥ 0, or such a number written as a string.
    static func count(_ value: Any?) -> Int? {
        if let s = value as? String { return Int(s.trimmingCharacters(in: .whitespaces)).flatMap { $0 >= 0 ? $0 : nil } }
        guard let value, !isBoolean(value), let n = value as? NSNumber else { return nil }
        let d = n.doubleValue
        guard d >= 0, d == d.rounded(), d < 1e15 else { return nil }
        return Int(d)
    }

    private static func describe(_ value: Any?) -> String {
        switch value {
        case nil: return "missing (a whole number of sessions is required)"
        case is NSNull: return "null (a whole number of sessions is required)"
        case let s as String: return "expected a whole number of sessions, found \"\(s.prefix(40))\""
        default: return "expected a whole number of sessions, found \(String(describing: value!).prefix(40))"
        }
    }

    private static func jsonErrorText(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}

/// JSON's true and false: a Swift Bool, or an NSNumber of type char, depending on the Foundation; never a count.
private func isBoolean(_ value: Any) -> Bool {
    if type(of: value) == Bool.self { return true }
    if let n = value as? NSNumber { return String(cString: n.objCType) == "c" }
    return false
}
