import Foundation
import PostlsCore
import TLSKit

/// Whether an answer was validated by DNSSEC, as a validating resolver tells it.
public enum DNSSECStatus: String, Codable, Sendable, Comparable {
    /// The resolver set AD: the answer is validated.
    case secure
    /// No AD: the zone is unsigned, its chain of trust is broken, or the resolver does not validate.
    case insecure
    /// SERVFAIL that goes away with CD set: the data exists but fails validation.
    case bogus
    /// No answer to judge (timeout, SERVFAIL also with CD, malformed answer).
    case unknown

    private var rank: Int { switch self { case .secure: 0; case .insecure: 1; case .unknown: 2; case .bogus: 3 } }
    public static func < (a: DNSSECStatus, b: DNSSECStatus) -> Bool { a.rank < b.rank }
}

/// What one lookup (name, type) came to, CNAMEs followed.
public struct DNSLookupResult: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Records of the asked type (after CNAMEs). For a bogus answer these came from the query with CD set.
        case records
        /// The name exists but has no records of this type.
        case noData
        /// NXDOMAIN.
        case nameError
        /// SERVFAIL (also with CD when bogus is not established), REFUSED or another error code.
        case serverFailure(DNSResponseCode)
        /// CNAMEs that lead back to a name already visited.
        case cnameLoop
        /// No usable answer: timeout, refused, malformed.
        case failed(String)
    }

    public var name: DNSName
    public var type: DNSRecordType
    public var outcome: Outcome
    public var dnssec: DNSSECStatus
    public var records: [DNSResourceRecord]
    /// The CNAME targets followed, in order.
    public var cnames: [DNSName]

    public init(name: DNSName, type: DNSRecordType, outcome: Outcome, dnssec: DNSSECStatus,
                records: [DNSResourceRecord] = [], cnames: [DNSName] = []) {
        self.name = name; self.type = type; self.outcome = outcome; self.dnssec = dnssec
        self.records = records; self.cnames = cnames
    }

    /// Whether the lookup ended in a definite answer (records, no data, or no such name).
    public var isDefinite: Bool {
        switch outcome { case .records, .noData, .nameError: return true; default: return false }
    }

    /// A sentence for an admin: "TLSA _25._tcp.mx.example.org: SERVFAIL".
    public var problem: String? {
        let what = "\(type) \(name)"
        switch outcome {
        case .records, .noData, .nameError:
            return dnssec == .bogus ? "\(what): DNSSEC validation fails (SERVFAIL; the data is there with checking disabled)" : nil
        case .serverFailure(let code): return "\(what): the resolver answered \(code)"
        case .cnameLoop: return "\(what): CNAME loop (" + ([name] + cnames).map(\.description).joined(separator: " -> ") + ")"
        case .failed(let why): return "\(what): \(why)"
        }
    }

    public var txtStrings: [String] { records.compactMap { $0.data.joinedText } }
    public var addresses: [String] {
        records.compactMap { if case .a(let s) = $0.data { return s }; if case .aaaa(let s) = $0.data { return s }; return nil }
    }
}

/// Name resolution for the DNS engine: everything it looks up goes through this.
public protocol DNSResolving: Sendable {
    func lookup(_ name: DNSName, _ type: DNSRecordType) -> DNSLookupResult
}

/// Lookups through one recursive resolver with DNSSEC status: AD from the resolver; a SERVFAIL that
/// succeeds with CD set is bogus. CNAMEs are followed (at most `maxCNAMEs`, loops detected).
public struct StubResolver: DNSResolving {
    public let client: DNSClient
    public let maxCNAMEs: Int

    public init(client: DNSClient, maxCNAMEs: Int = 8) { self.client = client; self.maxCNAMEs = maxCNAMEs }

    public func lookup(_ name: DNSName, _ type: DNSRecordType) -> DNSLookupResult {
        var current = name
        var visited: Set<DNSName> = [name]
        var cnames: [DNSName] = []
        var status: DNSSECStatus = .secure
        var collected: [DNSResourceRecord] = []
        for _ in 0...maxCNAMEs {
            let answer = queryWithBogusCheck(current, type)
            var result: DNSLookupResult
            switch answer {
            case .failure(let failed):
                result = failed.result
                result.name = name
                result.cnames = cnames
                // Validating resolvers answer a CNAME loop with SERVFAIL; asking for the CNAMEs one by one shows it.
                if case .serverFailure = result.outcome, type != .cname, let loop = cnameLoop(from: current, visited: visited) {
                    result.outcome = .cnameLoop
                    result.cnames = cnames + loop
                }
                return result
            case .success(let (message, dnssec)):
                status = max(status, dnssec)
                if message.responseCode == .nameError {
                    return DNSLookupResult(name: name, type: type, outcome: .nameError, dnssec: status, cnames: cnames)
                }
                // Walk the answer section's CNAME chain from `current`.
                var target = current
                var steps = 0
                while steps <= maxCNAMEs {
                    let here = message.answers.filter { $0.name == target && $0.type == type }
                    if !here.isEmpty || type == .cname {
                        collected = message.answers.filter { $0.name == target && $0.type == type }
                        return DNSLookupResult(name: name, type: type, outcome: collected.isEmpty ? .noData : .records,
                                               dnssec: status, records: collected, cnames: cnames)
                    }
                    guard let cname = message.answers.first(where: { $0.name == target && $0.type == .cname }),
                          case .cname(let next) = cname.data else { break }
                    if visited.contains(next) {
                        return DNSLookupResult(name: name, type: type, outcome: .cnameLoop, dnssec: status, cnames: cnames + [next])
                    }
                    visited.insert(next)
                    cnames.append(next)
                    target = next
                    steps += 1
                }
                if target == current {
                    return DNSLookupResult(name: name, type: type, outcome: .noData, dnssec: status, cnames: cnames)
                }
                // The resolver stopped at a CNAME without its target's data: ask for the target.
                current = target
            }
        }
        return DNSLookupResult(name: name, type: type, outcome: .failed("more than \(maxCNAMEs) CNAMEs"), dnssec: status, cnames: cnames)
    }

    /// Follows CNAMEs from `start` one query at a time; the chain when it comes back to a visited name.
    private func cnameLoop(from start: DNSName, visited: Set<DNSName>) -> [DNSName]? {
        var seen = visited
        var current = start
        var chain: [DNSName] = []
        for _ in 0...maxCNAMEs {
            guard let message = try? client.query(current, .cname), message.responseCode == .noError,
                  let record = message.answers.first(where: { $0.name == current && $0.type == .cname }),
                  case .cname(let next) = record.data else { return nil }
            chain.append(next)
            if seen.contains(next) { return chain }
            seen.insert(next)
            current = next
        }
        return nil
    }

    /// One query; on SERVFAIL, the same query with CD set tells bogus data from a broken server.
    private func queryWithBogusCheck(_ name: DNSName, _ type: DNSRecordType) -> Result<(DNSMessage, DNSSECStatus), FailedLookup> {
        let message: DNSMessage
        do { message = try client.query(name, type) } catch {
            return .failure(FailedLookup(DNSLookupResult(name: name, type: type, outcome: .failed(error.description), dnssec: .unknown)))
        }
        switch message.responseCode {
        case .noError, .nameError:
            return .success((message, message.header.authenticData ? .secure : .insecure))
        case .serverFailure:
            if let unchecked = try? client.query(name, type, checkingDisabled: true),
               unchecked.responseCode == .noError || unchecked.responseCode == .nameError {
                return .success((unchecked, .bogus))
            }
            return .failure(FailedLookup(DNSLookupResult(name: name, type: type, outcome: .serverFailure(.serverFailure), dnssec: .unknown)))
        default:
            return .failure(FailedLookup(DNSLookupResult(name: name, type: type, outcome: .serverFailure(message.responseCode), dnssec: .unknown)))
        }
    }

    struct FailedLookup: Error { let result: DNSLookupResult; init(_ r: DNSLookupResult) { result = r } }
}
