import Foundation

/// An MX host with its addresses, as a sender resolves them.
public struct MXHost: Sendable, Equatable {
    public var host: String
    public var preference: Int
    public var addresses: [String]
}

extension DNSResolving {
    /// The MX hosts of `domain` in preference order with their A and AAAA addresses; the domain itself when it
    /// has no MX (RFC 5321 §5.1); empty for a null MX or a failed lookup (the result says which).
    /// For other engines (`postls probe DOMAIN` following MX records).
    public func mailExchangers(of domain: String) -> (hosts: [MXHost], lookup: DNSLookupResult?) {
        guard let name = DNSName(domain) else { return ([], nil) }
        let mx = lookup(name, .mx)
        var pairs: [(DNSName, Int)] = []
        switch mx.outcome {
        case .records:
            for r in mx.records { if case .mx(let p, let x) = r.data, x != .root { pairs.append((x, Int(p))) } }
            pairs.sort { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        case .noData:
            pairs = [(name, 0)]
        default:
            return ([], mx)
        }
        let hosts = pairs.map { host, preference in
            MXHost(host: host.description, preference: preference,
                   addresses: lookup(host, .a).addresses + lookup(host, .aaaa).addresses)
        }
        return (hosts, mx)
    }
}
