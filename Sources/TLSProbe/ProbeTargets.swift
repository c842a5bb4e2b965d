import Foundation
import TLSKit

/// Finds the addresses of a host name (behind a protocol so tests and callers can supply their own).
public protocol AddressResolver: Sendable {
    func resolve(host: String, port: UInt16) throws -> [SocketAddress]
}

/// The system resolver (getaddrinfo): every A and AAAA address.
public struct SystemAddressResolver: AddressResolver {
    public init() {}
    public func resolve(host: String, port: UInt16) throws -> [SocketAddress] {
        try SocketAddress.resolve(host: host, port: port)
    }
}

/// Which address families to probe.
public enum AddressFamilyFilter: Sendable {
    case any, ipv4Only, ipv6Only
}

/// A host that could not be resolved, kept so the report can say so.
public struct UnresolvedHost: Sendable, Equatable {
    public var host: String
    public var port: UInt16
    public var message: String
}

extension ProbeTarget {
    /// Expands hosts × ports into targets: each name resolved to all its addresses, each probed separately.
    /// - Parameter name: the name certificates must cover; default each host (none for a literal address).
    public static func expand(hosts: [String], ports: [UInt16], implicitPorts: Set<UInt16> = [], starttlsPorts: Set<UInt16> = [],
                              family: AddressFamilyFilter = .any, name: String? = nil,
                              resolver: AddressResolver = SystemAddressResolver()) -> (targets: [ProbeTarget], unresolved: [UnresolvedHost]) {
        var targets: [ProbeTarget] = []
        var unresolved: [UnresolvedHost] = []
        for host in hosts {
            let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            let isLiteral = SocketAddress(ip: bare, port: 0) != nil
            let expected = name ?? (isLiteral ? nil : bare)
            for port in ports {
                do {
                    var addresses = try resolver.resolve(host: bare, port: port)
                    switch family {
                    case .any: break
                    case .ipv4Only: addresses = addresses.filter { $0.family == .ipv4 }
                    case .ipv6Only: addresses = addresses.filter { $0.family == .ipv6 }
                    }
                    if addresses.isEmpty {
                        unresolved.append(UnresolvedHost(host: bare, port: port, message: "\(bare) has no address of the requested family"))
                    }
                    for address in addresses {
                        targets.append(ProbeTarget(host: bare, address: address,
                                                   mode: defaultMode(port: port, implicitPorts: implicitPorts, starttlsPorts: starttlsPorts),
                                                   expectedName: expected))
                    }
                } catch {
                    unresolved.append(UnresolvedHost(host: bare, port: port, message: "\(error)"))
                }
            }
        }
        return (targets, unresolved)
    }
}

extension ListenerProbeResult {
    /// A result for a host that could not be resolved: nothing was probed (error phase connect).
    public init(unresolved: UnresolvedHost, mode: ProbeMode) {
        self.init(host: unresolved.host, address: "", port: Int(unresolved.port), mode: mode, family: nil, expectedName: nil)
        error = ProbeError(phase: .connect, message: unresolved.message)
        findings = [ProbeFinding(id: "resolve_failed", cause: nil, severity: .critical, message: unresolved.message)]
    }
}
