import Foundation
import PostlsCore
import TLSKit

/// The chain an MX served on its SMTP port after STARTTLS.
public struct ServedChain: Sendable {
    public var address: SocketAddress
    public var chain: [Certificate]
    public var verify: VerifyResult
}

/// Why an MX's certificate could not be fetched.
public struct MXProbeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Phase: String, Sendable, Encodable { case connect, greeting, ehlo, starttls, handshake }
    public var phase: Phase
    public var message: String
    public var description: String { "\(phase.rawValue): \(message)" }
}

/// Fetches the certificate chain an MX serves: the side effect behind a protocol.
public protocol MXCertificateFetching: Sendable {
    func servedChain(host: String, address: SocketAddress, deadline: Deadline) throws(MXProbeError) -> ServedChain
}

/// A minimal SMTP client: greeting, EHLO, STARTTLS, TLS handshake with SNI = the MX name, QUIT.
/// (The full probe engine is TLSProbe; this engine only needs the served chain.)
public struct STARTTLSCertificateFetcher: MXCertificateFetching {
    public let trust: TrustAnchors
    public let heloName: String

    public init(trust: TrustAnchors = .system, heloName: String = "postls.invalid") {
        self.trust = trust
        self.heloName = heloName
    }

    public func servedChain(host: String, address: SocketAddress, deadline: Deadline) throws(MXProbeError) -> ServedChain {
        let socket: TCPSocket
        do { socket = try TCPSocket.connect(to: address, deadline: deadline) }
        catch { throw MXProbeError(phase: .connect, message: "\(address): \(error)") }
        defer { socket.close() }
        do {
            let greeting = try readReply(socket, deadline: deadline, stage: "greeting")
            guard greeting.code == 220 else { throw MXProbeError(phase: .greeting, message: "\(address) greeted with \(greeting.lines.first ?? "nothing")") }
            try socket.write("EHLO \(heloName)\r\n", deadline: deadline, stage: "EHLO")
            let ehlo = try readReply(socket, deadline: deadline, stage: "EHLO")
            guard ehlo.code == 250 else { throw MXProbeError(phase: .ehlo, message: "EHLO answered \(ehlo.lines.first ?? "nothing")") }
            guard ehlo.lines.contains(where: { $0.dropFirst(4).uppercased().hasPrefix("STARTTLS") }) else {
                throw MXProbeError(phase: .ehlo, message: "\(host) (\(address)) does not offer STARTTLS")
            }
            try socket.write("STARTTLS\r\n", deadline: deadline, stage: "STARTTLS")
            let ready = try readReply(socket, deadline: deadline, stage: "STARTTLS")
            guard ready.code == 220 else { throw MXProbeError(phase: .starttls, message: "STARTTLS answered \(ready.lines.first ?? "nothing")") }
        } catch let error as MXProbeError {
            throw error
        } catch {
            throw MXProbeError(phase: .greeting, message: "\(address): \(error)")
        }
        do {
            let context = try TLSContext(role: .client, options: .init(trust: trust))
            let tls = try TLSConnection(context: context, socket: socket, serverName: host)
            try tls.handshake(deadline: deadline)
            let result = ServedChain(address: address, chain: tls.peerChain, verify: tls.verifyResult)
            try? tls.write("QUIT\r\n", deadline: .after(seconds: 1), stage: "QUIT")
            tls.shutdown()
            return result
        } catch {
            throw MXProbeError(phase: .handshake, message: "\(address): \(error)")
        }
    }

    private struct Reply { var code: Int; var lines: [String] }

    private func readReply(_ socket: TCPSocket, deadline: Deadline, stage: String) throws -> Reply {
        var lines: [String] = []
        while lines.count < 100 {
            guard let line = try socket.readLine(deadline: deadline, stage: stage) else {
                throw MXProbeError(phase: .greeting, message: "the server closed the connection during \(stage)")
            }
            lines.append(line)
            // "250-..." continues, "250 ..." ends a reply.
            if line.count < 4 || line[line.index(line.startIndex, offsetBy: 3)] != "-" {
                return Reply(code: Int(line.prefix(3)) ?? 0, lines: lines)
            }
        }
        throw MXProbeError(phase: .greeting, message: "a reply of more than 100 lines during \(stage)")
    }
}
