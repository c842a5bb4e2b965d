import Foundation
import PostlsCore
import TLSKit

/// Why a DNS exchange failed below the level of DNS answers.
public enum DNSTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    case timeout(server: String)
    /// ICMP port unreachable / connection refused: nothing listens on the server's port.
    case refused(server: String)
    case network(server: String, message: String)
    /// The server's TCP answer was not a DNS message of the announced length.
    case badTCPFrame(server: String)

    public var description: String {
        switch self {
        case .timeout(let s): return "no answer from the DNS server \(s) before the timeout"
        case .refused(let s): return "the DNS server \(s) refused the connection (nothing listens there)"
        case .network(let s, let m): return "network error talking to the DNS server \(s): \(m)"
        case .badTCPFrame(let s): return "the DNS server \(s) sent a malformed TCP answer"
        }
    }
}

/// Sends DNS messages to a server: the one side effect of the DNS client, behind a protocol.
public protocol DNSTransport: Sendable {
    /// Sends `query` over UDP and returns the first datagram `accept` approves (answers to other queries
    /// and forged datagrams are skipped) before the deadline.
    func udpExchange(_ query: [UInt8], server: SocketAddress, deadline: Deadline,
                     accept: ([UInt8]) -> Bool) throws(DNSTransportError) -> [UInt8]
    /// Sends `query` over TCP (two-byte length prefix, RFC 1035 §4.2.2) and returns the answer.
    func tcpExchange(_ query: [UInt8], server: SocketAddress, deadline: Deadline) throws(DNSTransportError) -> [UInt8]
}

/// The real transport over the kernel's sockets (TLSKit's UDPSocket and TCPSocket, both with deadlines).
public struct SocketDNSTransport: DNSTransport {
    public init() {}

    public func udpExchange(_ query: [UInt8], server: SocketAddress, deadline: Deadline,
                            accept: ([UInt8]) -> Bool) throws(DNSTransportError) -> [UInt8] {
        do {
            let socket = try UDPSocket(connectedTo: server)
            defer { socket.close() }
            try socket.send(query)
            while true {
                let datagram = try socket.receive(deadline: deadline)
                if accept(datagram) { return datagram }
            }
        } catch let error as TLSKitError {
            throw Self.map(error, server: server)
        } catch {
            throw .network(server: server.description, message: "\(error)")
        }
    }

    public func tcpExchange(_ query: [UInt8], server: SocketAddress, deadline: Deadline) throws(DNSTransportError) -> [UInt8] {
        do {
            let socket = try TCPSocket.connect(to: server, deadline: deadline)
            defer { socket.close() }
            let length = UInt16(clamping: query.count)
            try socket.write([UInt8(length >> 8), UInt8(length & 0xFF)] + query, deadline: deadline, stage: "DNS over TCP")
            let prefix = try socket.read(count: 2, deadline: deadline, stage: "DNS over TCP")
            let size = Int(prefix[0]) << 8 | Int(prefix[1])
            guard size >= 12 else { throw DNSTransportError.badTCPFrame(server: server.description) }
            return try socket.read(count: size, deadline: deadline, stage: "DNS over TCP")
        } catch let error as DNSTransportError {
            throw error
        } catch let error as TLSKitError {
            throw Self.map(error, server: server)
        } catch {
            throw .network(server: server.description, message: "\(error)")
        }
    }

    static func map(_ error: TLSKitError, server: SocketAddress) -> DNSTransportError {
        switch error {
        case .timeout: return .timeout(server: server.description)
        case .socket(_, let e) where e == ECONNREFUSED: return .refused(server: server.description)
        case .closed: return .badTCPFrame(server: server.description)
        default: return .network(server: server.description, message: error.description)
        }
    }
}
