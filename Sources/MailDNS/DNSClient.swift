import Foundation
import PostlsCore
import TLSKit

/// Why a query got no usable answer.
public enum DNSClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case transport(DNSTransportError)
    /// The answer could not be decoded.
    case malformed(DNSParseError)

    public var description: String {
        switch self {
        case .transport(let e): return e.description
        case .malformed(let e): return "malformed DNS answer: \(e)"
        }
    }

    public var isTimeout: Bool { if case .transport(.timeout) = self { return true }; return false }
}

/// A DNS stub client talking to one recursive resolver: UDP first, TCP when the answer is truncated,
/// a bounded number of UDP tries, and a hard deadline for the whole query.
public struct DNSClient: Sendable {
    public let server: SocketAddress
    /// Seconds for one query including retries and a TCP fallback.
    public let timeout: Double
    /// UDP tries before giving up (each gets an equal share of the timeout).
    public let attempts: Int
    public let transport: DNSTransport

    public init(server: SocketAddress, timeout: Double = 5, attempts: Int = 2, transport: DNSTransport = SocketDNSTransport()) {
        self.server = server
        self.timeout = max(0.1, timeout)
        self.attempts = max(1, attempts)
        self.transport = transport
    }

    /// One query with EDNS0 and the DO bit (so a validating resolver reports AD), `checkingDisabled` for CD.
    public func query(_ name: DNSName, _ type: DNSRecordType, checkingDisabled: Bool = false) throws(DNSClientError) -> DNSMessage {
        let overall = Deadline.after(seconds: timeout)
        let id = UInt16.random(in: 0...UInt16.max)
        let question = DNSQuestion(name: name, type: type)
        let bytes: [UInt8]
        do { bytes = try DNSMessage.query(id: id, name: name, type: type, checkingDisabled: checkingDisabled).encode() }
        catch { throw .malformed(.truncated(at: 0)) }  // cannot happen: a query is a few hundred bytes at most
        // Accept only an answer to this question with this id (RFC 5452).
        let accept: ([UInt8]) -> Bool = { datagram in
            guard let m = try? DNSMessage.decode(datagram) else {
                // A datagram too broken to decode still counts as this server's answer if the id matches.
                return datagram.count >= 2 && UInt16(datagram[0]) << 8 | UInt16(datagram[1]) == id
            }
            return m.header.id == id && m.header.isResponse && (m.questions.isEmpty || m.questions == [question])
        }
        var lastError: DNSTransportError = .timeout(server: server.description)
        for attempt in 0..<attempts {
            let remaining = Double(overall.remainingMilliseconds) / 1000
            if remaining <= 0 { break }
            let share = remaining / Double(attempts - attempt)
            let tryDeadline = Deadline.earliest(Deadline.after(seconds: share), overall)
            let datagram: [UInt8]
            do {
                datagram = try transport.udpExchange(bytes, server: server, deadline: tryDeadline, accept: accept)
            } catch {
                lastError = error
                if case .timeout = error { continue }
                throw .transport(error)
            }
            let message: DNSMessage
            do { message = try DNSMessage.decode(datagram) } catch { throw .malformed(error) }
            guard message.header.truncated else { return message }
            // Truncated: the full answer only comes over TCP.
            do {
                let full = try transport.tcpExchange(bytes, server: server, deadline: overall)
                let decoded = try DNSMessage.decode(full)
                guard decoded.header.id == id else { throw DNSParseError.truncated(at: 0) }
                return decoded
            } catch let error as DNSTransportError {
                throw .transport(error)
            } catch let error as DNSParseError {
                throw .malformed(error)
            } catch {
                throw .transport(.network(server: server.description, message: "\(error)"))
            }
        }
        throw .transport(lastError)
    }
}

/// The first `nameserver` of a resolv.conf text (the system resolver, as the C library uses it).
public func firstNameserver(inResolvConf text: String) -> SocketAddress? {
    for raw in text.split(whereSeparator: \.isNewline) {
        let line = raw.split(separator: "#", maxSplits: 1).first.map(String.init) ?? ""
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 2, fields[0] == "nameserver" else { continue }
        // A link-local IPv6 nameserver may carry %scope, which SocketAddress does not take.
        let ip = fields[1].split(separator: "%").first.map(String.init) ?? ""
        if let address = SocketAddress(ip: ip, port: 53) { return address }
    }
    return nil
}

/// Parses `--resolver ADDR[:PORT]`: `127.0.0.1`, `127.0.0.1:5353`, `::1`, `[::1]:5353`.
public func parseResolverAddress(_ text: String) -> SocketAddress? {
    if text.hasPrefix("[") {
        guard let close = text.firstIndex(of: "]") else { return nil }
        let ip = String(text[text.index(after: text.startIndex)..<close])
        let rest = text[text.index(after: close)...]
        if rest.isEmpty { return SocketAddress(ip: ip, port: 53) }
        guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
        return SocketAddress(ip: ip, port: port)
    }
    if let plain = SocketAddress(ip: text, port: 53) { return plain }
    let parts = text.split(separator: ":")
    guard parts.count == 2, let port = UInt16(parts[1]) else { return nil }
    return SocketAddress(ip: String(parts[0]), port: port)
}
