import Foundation
import PostlsCore
import TLSKit

/// The ways a peer misbehaves on purpose, each a `LoopbackServer` handler (issue 9's hostile server suite).
/// A probe run against any of them must end within its deadline, name the phase that stopped, and use bounded memory.
public enum HostileBehaviour: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Accepts the TCP connection and never sends a byte.
    case silent
    /// Sends its greeting one byte per second.
    case oneBytePerSecond
    /// Sends "220 " and then an endless line without a line end.
    case endlessLine
    /// A well-formed multi-line greeting of 10 MB.
    case tenMegabyteGreeting
    /// An EHLO reply whose third line is not a reply line ("25O-STARTTLS").
    case malformedMultilineEHLO
    /// An EHLO reply of "250-" lines that never ends.
    case endlessMultilineEHLO
    /// Answers STARTTLS with 220 and closes the connection.
    case closeAfterSTARTTLS
    /// Answers the ClientHello with 4 KB of bytes that are not TLS.
    case garbageInsteadOfServerHello
    /// Answers the ClientHello with a fatal handshake_failure alert.
    case tlsAlert
    /// A real TLS server whose chain has 50 certificates (leaf and 49 CAs).
    case fiftyCertificateChain
    /// A real TLS server whose certificate is about 1 MB (tens of thousands of subjectAltNames).
    case megabyteCertificate
    /// Reads the ClientHello, sends the start of a record, then resets the connection (SO_LINGER 0).
    case resetMidHandshake

    public var description: String {
        switch self {
        case .silent: return "accepts and never speaks"
        case .oneBytePerSecond: return "speaks one byte per second"
        case .endlessLine: return "an endless line"
        case .tenMegabyteGreeting: return "a 10 MB greeting"
        case .malformedMultilineEHLO: return "a malformed multi-line EHLO reply"
        case .endlessMultilineEHLO: return "an endless multi-line EHLO reply"
        case .closeAfterSTARTTLS: return "220 to STARTTLS, then close"
        case .garbageInsteadOfServerHello: return "garbage instead of a ServerHello"
        case .tlsAlert: return "a TLS alert instead of a ServerHello"
        case .fiftyCertificateChain: return "a 50-certificate chain"
        case .megabyteCertificate: return "a 1 MB certificate"
        case .resetMidHandshake: return "a reset in the middle of the handshake"
        }
    }
}

/// A running hostile server. Every handler gives up on its own after `HostileServer.handlerLimit`, so a
/// broken test never leaves a thread spinning, and stops as soon as the prober goes away.
public final class HostileServer: @unchecked Sendable {
    public static let handlerLimit = 30.0
    public static let greetingHost = "hostile.postls.test"

    public let behaviour: HostileBehaviour
    public let server: LoopbackServer
    public var address: SocketAddress { server.address }
    public var port: UInt16 { server.address.port }

    /// Starts a server showing `behaviour` on 127.0.0.1. Certificates for the TLS cases are made in `directory`.
    public init(_ behaviour: HostileBehaviour, directory: String) throws {
        self.behaviour = behaviour
        let handler: @Sendable (TCPSocket) -> Void
        switch behaviour {
        case .fiftyCertificateChain, .megabyteCertificate:
            let context = try Self.serverContext(for: behaviour, directory: directory)
            handler = { socket in Self.tlsSMTPServer(socket, context: context) }
        default:
            handler = Self.handler(for: behaviour)
        }
        server = try LoopbackServer(handler: handler)
    }

    deinit { server.stop() }

    public func stop() { server.stop() }

    // MARK: - Handlers

    static func handler(for behaviour: HostileBehaviour) -> @Sendable (TCPSocket) -> Void {
        switch behaviour {
        case .silent:
            return { socket in waitForPeerToLeave(socket) }
        case .oneBytePerSecond:
            return { socket in greetOneBytePerSecond(socket) }
        case .endlessLine:
            return { socket in
                let end = Deadline.after(seconds: handlerLimit)
                guard (try? socket.write("220 ", deadline: end, stage: "greeting")) != nil else { return }
                let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 64 * 1024)
                while !end.hasPassed, (try? socket.write(chunk, deadline: end, stage: "greeting")) != nil {}
            }
        case .tenMegabyteGreeting:
            return { socket in greetWithTenMegabytes(socket) }
        case .malformedMultilineEHLO:
            return { socket in
                let end = Deadline.after(seconds: handlerLimit)
                guard greetAndReadEHLO(socket, end: end) else { return }
                _ = try? socket.write("250-\(greetingHost)\r\n250-PIPELINING\r\n25O-STARTTLS\r\n250 8BITMIME\r\n", deadline: end, stage: "ehlo")
                waitForPeerToLeave(socket)
            }
        case .endlessMultilineEHLO:
            return { socket in
                let end = Deadline.after(seconds: handlerLimit)
                guard greetAndReadEHLO(socket, end: end) else { return }
                var block: [UInt8] = []
                for i in 0..<256 { block += Array("250-X-CAPABILITY-\(i)\r\n".utf8) }
                while !end.hasPassed, (try? socket.write(block, deadline: end, stage: "ehlo")) != nil {}
            }
        case .closeAfterSTARTTLS:
            return { socket in _ = dialogueUpToSTARTTLS(socket) }
        case .garbageInsteadOfServerHello:
            return { socket in
                guard dialogueUpToSTARTTLS(socket), readSome(socket) else { return }
                _ = try? socket.write(noise(count: 4096), deadline: .after(seconds: 5), stage: "garbage")
                waitForPeerToLeave(socket)
            }
        case .tlsAlert:
            return { socket in
                guard dialogueUpToSTARTTLS(socket), readSome(socket) else { return }
                // Alert record, TLS 1.2 header: level fatal (2), description handshake_failure (40).
                _ = try? socket.write([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28], deadline: .after(seconds: 5), stage: "alert")
                waitForPeerToLeave(socket)
            }
        case .resetMidHandshake:
            return { socket in
                guard dialogueUpToSTARTTLS(socket), readSome(socket) else { return }
                // The header of a 122-byte handshake record and its first byte (ServerHello), then RST.
                _ = try? socket.write([0x16, 0x03, 0x03, 0x00, 0x7A, 0x02], deadline: .after(seconds: 5), stage: "partial record")
                usleep(100_000)
                resetConnection(socket)
            }
        case .fiftyCertificateChain, .megabyteCertificate:
            // Served by tlsSMTPServer with a context; never reached through here.
            return { _ in }
        }
    }

    /// A greeting written one byte a second, until the prober leaves.
    static func greetOneBytePerSecond(_ socket: TCPSocket) {
        let end = Deadline.after(seconds: handlerLimit)
        let greeting = Array("220-\(greetingHost) ESMTP, one byte at a time\r\n220 ready\r\n".utf8)
        for byte in greeting where !end.hasPassed {
            guard (try? socket.write([byte], deadline: end, stage: "greeting")) != nil else { return }
            // Stop at once when the prober has gone (readable with EOF).
            if (try? socket.wait(for: Int16(POLLIN), deadline: .after(seconds: 1))) == true { return }
        }
    }

    /// Ten megabytes of greeting continuation lines of the longest length allowed, then the last line.
    static func greetWithTenMegabytes(_ socket: TCPSocket) {
        let end = Deadline.after(seconds: handlerLimit)
        // 998 characters per line: the longest line RFC 5321 allows, 1000 bytes with CR LF.
        let line = Array(("220-" + String(repeating: "x", count: 994) + "\r\n").utf8)
        var block: [UInt8] = []
        for _ in 0..<64 { block += line }
        var sent = 0
        while sent + block.count <= 10 * 1024 * 1024 {
            guard (try? socket.write(block, deadline: end, stage: "greeting")) != nil else { return }
            sent += block.count
        }
        _ = try? socket.write("220 \(greetingHost) ESMTP at last\r\n", deadline: end, stage: "greeting")
        waitForPeerToLeave(socket)
    }

    /// The greeting, then the client's EHLO; false when the prober left earlier.
    static func greetAndReadEHLO(_ socket: TCPSocket, end: Deadline) -> Bool {
        guard (try? socket.write("220 \(greetingHost) ESMTP\r\n", deadline: end, stage: "greeting")) != nil else { return false }
        return readUntil(socket, "EHLO", end: end)
    }

    /// Deterministic noise whose first byte is no TLS record type (20...24).
    static func noise(count: Int) -> [UInt8] {
        var state: UInt32 = 0x9E37_79B9
        var garbage = [UInt8](repeating: 0, count: count)
        for i in garbage.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            garbage[i] = UInt8(truncatingIfNeeded: state >> 24)
        }
        garbage[0] = 0xA5
        return garbage
    }

    /// SMTP up to "220 Ready to start TLS"; false when the prober left earlier.
    @discardableResult
    static func dialogueUpToSTARTTLS(_ socket: TCPSocket) -> Bool {
        let end = Deadline.after(seconds: handlerLimit)
        guard (try? socket.write("220 \(greetingHost) ESMTP\r\n", deadline: end, stage: "greeting")) != nil,
              readUntil(socket, "EHLO", end: end),
              (try? socket.write("250-\(greetingHost)\r\n250-PIPELINING\r\n250 STARTTLS\r\n", deadline: end, stage: "ehlo")) != nil,
              readUntil(socket, "STARTTLS", end: end),
              (try? socket.write("220 2.0.0 Ready to start TLS\r\n", deadline: end, stage: "starttls")) != nil
        else { return false }
        return true
    }

    /// A TLS server after STARTTLS that answers EHLO and QUIT, for the certificate cases.
    static func tlsSMTPServer(_ socket: TCPSocket, context: TLSContext) {
        guard dialogueUpToSTARTTLS(socket), let tls = try? TLSConnection(context: context, socket: socket) else { return }
        let end = Deadline.after(seconds: handlerLimit)
        guard (try? tls.handshake(deadline: end)) != nil else { return }
        while let line = try? tls.readLine(deadline: end, maxLength: 4096, stage: "smtp") {
            let command = line.uppercased()
            if command.hasPrefix("EHLO") {
                guard (try? tls.write("250-\(greetingHost)\r\n250 PIPELINING\r\n", deadline: end, stage: "ehlo")) != nil else { break }
            } else if command.hasPrefix("QUIT") {
                _ = try? tls.write("221 2.0.0 Bye\r\n", deadline: end, stage: "quit")
                break
            } else {
                guard (try? tls.write("502 5.5.2 Error: command not recognized\r\n", deadline: end, stage: "smtp")) != nil else { break }
            }
        }
        tls.shutdown()
    }

    /// Reads lines until one starts with `prefix` (case-insensitive); false when the peer left first.
    static func readUntil(_ socket: TCPSocket, _ prefix: String, end: Deadline) -> Bool {
        while let line = try? socket.readLine(deadline: end, maxLength: 4096, stage: "hostile") {
            if line.uppercased().hasPrefix(prefix) { return true }
        }
        return false
    }

    /// Waits for bytes (the ClientHello) and discards what arrived; false when the peer left.
    static func readSome(_ socket: TCPSocket) -> Bool {
        guard (try? socket.wait(for: Int16(POLLIN), deadline: .after(seconds: handlerLimit))) == true else { return false }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        return recv(socket.fd, &buffer, buffer.count, 0) > 0
    }

    /// Blocks until the peer closes (or the handler limit passes), discarding anything it sends.
    static func waitForPeerToLeave(_ socket: TCPSocket) {
        let end = Deadline.after(seconds: handlerLimit)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while (try? socket.wait(for: Int16(POLLIN), deadline: end)) == true {
            let n = recv(socket.fd, &buffer, buffer.count, 0)
            if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) { return }
        }
    }

    /// Closes with SO_LINGER 0, so the kernel sends RST instead of FIN. Through TCPSocket.close, which closes once.
    static func resetConnection(_ socket: TCPSocket) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(socket.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        socket.close()
    }

    // MARK: - Certificates for the TLS cases

    static func serverContext(for behaviour: HostileBehaviour, directory: String) throws -> TLSContext {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let keyFile = directory + "/\(behaviour.rawValue).key"
        let chainFile = directory + "/\(behaviour.rawValue).chain.pem"
        unlink(keyFile)
        let leafKey = try PrivateKey.generate(.ecdsaP256)
        let validFrom = Date().addingTimeInterval(-86_400), validTo = Date().addingTimeInterval(90 * 86_400)
        var chain: [Certificate] = []
        switch behaviour {
        case .fiftyCertificateChain:
            // root -> CA 1 -> ... -> CA 48 -> leaf; served: leaf and the 49 CAs (root included), 50 certificates.
            var issuerKey = try PrivateKey.generate(.ecdsaP256)
            var issuer = try Certificate.issue(CertificateSpec(commonName: "Hostile Root CA", notBefore: validFrom, notAfter: validTo, isCA: true),
                                               for: issuerKey)
            var cas = [issuer]
            for i in 1...48 {
                let key = try PrivateKey.generate(.ecdsaP256)
                let ca = try Certificate.issue(CertificateSpec(commonName: "Hostile CA \(i)", notBefore: validFrom, notAfter: validTo, isCA: true),
                                               for: key, issuer: (issuer, issuerKey))
                cas.append(ca)
                issuer = ca
                issuerKey = key
            }
            let leaf = try Certificate.issue(CertificateSpec(commonName: greetingHost, subjectAltNames: [greetingHost],
                                                             notBefore: validFrom, notAfter: validTo),
                                             for: leafKey, issuer: (issuer, issuerKey))
            chain = [leaf] + cas.reversed()
        case .megabyteCertificate:
            // 36,000 names of 24 bytes each (with DER overhead): a certificate of about 1 MB.
            let names = [greetingHost] + (0..<36_000).map { String(format: "h%06d.%@", $0, greetingHost) }
            chain = [try Certificate.issue(CertificateSpec(commonName: greetingHost, subjectAltNames: names,
                                                           notBefore: validFrom, notAfter: validTo),
                                           for: leafKey)]
        default:
            break
        }
        try leafKey.writePEM(toNewFile: keyFile)
        try chain.map(\.pem).joined().write(toFile: chainFile, atomically: true, encoding: .utf8)
        return try TLSContext(role: .server, options: .init(certificateChainFile: chainFile, privateKeyFile: keyFile))
    }
}
