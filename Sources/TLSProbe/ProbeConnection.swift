import Foundation
import PostlsCore
import TLSKit

/// How a TLS handshake failed, as far as the client can tell.
public enum HandshakeFailureKind: String, Sendable, Codable {
    /// The server refused the offered version(s) (protocol_version alert, "unsupported protocol").
    case protocolVersion = "protocol_version"
    /// The server found nothing acceptable in the offer (handshake_failure alert, "no shared cipher").
    case handshakeFailure = "handshake_failure"
    /// The server answered the ClientHello with something that is not TLS (plaintext SMTP on an implicit port).
    case notTLS = "not_tls"
    /// The server closed or reset the connection.
    case closed
    /// The deadline passed during the handshake.
    case timeout
    case other
}

/// What one connection's dialogue produced. Internal to the engine; results are summarised in ListenerProbeResult.
struct ConnectionOutcome {
    var greeting: SMTPReply?
    var ehloBefore: SMTPReply?
    var starttlsOffered: Bool?
    var starttlsReply: SMTPReply?
    var handshakeCompleted = false
    /// Wall time of the TLS handshake alone (ClientHello to Finished), when it completed.
    var handshakeMs: Double?
    var negotiated: NegotiatedTLS?
    var chain: [Certificate] = []
    /// The handshake's verify result against the context's trust anchors, when it completed.
    var verify: VerifyResult?
    var ehloAfter: SMTPReply?
    var failure: ProbeError?
    var handshakeFailure: HandshakeFailureKind?
    /// A 421 greeting or reply: the server limits connections or is shutting down.
    var serviceUnavailable = false
    /// This end of the connection once connected: the client address and port the server logs.
    var local: SocketAddress?
}

/// One probe connection: the SMTP dialogue on a TCPSocket, never pipelined, every step under a deadline.
struct ProbeConnection {
    let target: ProbeTarget
    let options: ProbeOptions
    /// Ends everything done for this listener.
    let overall: Deadline

    private func deadline() -> Deadline { Deadline.earliest(.after(seconds: options.phaseTimeout), overall) }

    private var timeoutText: String { formatSeconds(options.phaseTimeout) }

    private func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
    }

    /// Runs one connection. `fullDialogue` adds EHLO after TLS (capabilities) and a polite QUIT.
    func run(context: TLSContext, serverName: String?, fullDialogue: Bool) -> ConnectionOutcome {
        var outcome = ConnectionOutcome()
        let socket: TCPSocket
        do {
            socket = try TCPSocket.connect(to: target.address, deadline: deadline())
        } catch {
            outcome.failure = connectFailure(error)
            return outcome
        }
        defer { socket.close() }
        outcome.local = socket.localAddress
        switch target.mode {
        case .starttls: runSTARTTLS(socket: socket, context: context, serverName: serverName, fullDialogue: fullDialogue, into: &outcome)
        case .implicit: runImplicit(socket: socket, context: context, serverName: serverName, fullDialogue: fullDialogue, into: &outcome)
        }
        return outcome
    }

    // MARK: - Dialogues

    private func runSTARTTLS(socket: TCPSocket, context: TLSContext, serverName: String?, fullDialogue: Bool, into outcome: inout ConnectionOutcome) {
        let plain: LineSource = { d, stage in try socket.readLine(deadline: d, maxLength: 4096, stage: stage) }
        // Greeting
        do {
            guard try readGreeting(plain, socket: socket, into: &outcome) else { return }
        } catch let error as ProbeError { outcome.failure = error; return }
        catch { outcome.failure = ProbeError(phase: .greeting, message: "\(error)"); return }
        // EHLO
        do {
            try socket.write("EHLO \(options.ehloName)\r\n", deadline: deadline(), stage: "EHLO")
            let ehlo = try readReply(plain, phase: .ehlo, socket: socket)
            outcome.ehloBefore = ehlo
            if let failure = refusal(ehlo, phase: .ehlo, expected: 250) {
                outcome.failure = failure
                outcome.serviceUnavailable = ehlo.code == 421
                quit(socket: socket)
                return
            }
            outcome.starttlsOffered = ehlo.ehloCapabilities["STARTTLS"] != nil
        } catch let error as ProbeError { outcome.failure = error; return }
        catch { outcome.failure = ProbeError(phase: .ehlo, message: "\(error)"); return }
        guard outcome.starttlsOffered == true else {
            outcome.failure = ProbeError(phase: .starttls, message: "the server does not offer STARTTLS (no STARTTLS in its EHLO reply): "
                                         + "TLS is off for this service (smtpd_tls_security_level is none or empty)")
            quit(socket: socket)
            return
        }
        // STARTTLS
        do {
            try socket.write("STARTTLS\r\n", deadline: deadline(), stage: "STARTTLS")
            let reply = try readReply(plain, phase: .starttls, socket: socket)
            outcome.starttlsReply = reply
            if reply.code != 220 {
                var error = ProbeError(phase: .starttls, message: "", reply: reply.firstLine)
                if reply.code == 454 {
                    error.message = "the server offered STARTTLS but answered \"\(reply.firstLine)\": its TLS setup failed "
                        + "(usually an unreadable or missing certificate or key file; the server's log says which)"
                } else if reply.code == 421 {
                    error.message = "the server closed the session at STARTTLS: \"\(reply.firstLine)\""
                    outcome.serviceUnavailable = true
                } else {
                    error.message = "the server refused STARTTLS: \"\(reply.firstLine)\""
                }
                outcome.failure = error
                quit(socket: socket)
                return
            }
            // Anything already buffered after the 220 would be read as TLS: a broken or injecting middlebox.
            if socket.bufferedByteCount > 0 {
                outcome.failure = ProbeError(phase: .starttls, message: "the server sent \(socket.bufferedByteCount) unexpected bytes after its 220 reply to STARTTLS "
                                             + "(a middlebox injecting data, or a broken server); not starting TLS on this connection")
                return
            }
        } catch let error as ProbeError { outcome.failure = error; return }
        catch { outcome.failure = ProbeError(phase: .starttls, message: "\(error)"); return }
        // Handshake
        guard let tls = handshake(socket: socket, context: context, serverName: serverName, into: &outcome) else { return }
        guard fullDialogue else { tls.shutdown(); return }
        let secure: LineSource = { d, stage in try tls.readLine(deadline: d, maxLength: 4096, stage: stage) }
        // EHLO again: capabilities after TLS. A failure here does not undo the handshake's results.
        if (try? tls.write("EHLO \(options.ehloName)\r\n", deadline: deadline(), stage: "EHLO after TLS")) != nil {
            outcome.ehloAfter = try? readReply(secure, phase: .ehlo, socket: socket)
            if (try? tls.write("QUIT\r\n", deadline: deadline(), stage: "QUIT")) != nil {
                _ = try? readReply(secure, phase: .ehlo, socket: socket)
            }
        }
        tls.shutdown()
    }

    private func runImplicit(socket: TCPSocket, context: TLSContext, serverName: String?, fullDialogue: Bool, into outcome: inout ConnectionOutcome) {
        guard let tls = handshake(socket: socket, context: context, serverName: serverName, into: &outcome) else { return }
        guard fullDialogue else { tls.shutdown(); return }
        let secure: LineSource = { d, stage in try tls.readLine(deadline: d, maxLength: 4096, stage: stage) }
        do {
            guard try readGreeting(secure, socket: socket, into: &outcome) else { tls.shutdown(); return }
            try tls.write("EHLO \(options.ehloName)\r\n", deadline: deadline(), stage: "EHLO")
            let ehlo = try readReply(secure, phase: .ehlo, socket: socket)
            outcome.ehloAfter = ehlo
            try tls.write("QUIT\r\n", deadline: deadline(), stage: "QUIT")
            _ = try? readReply(secure, phase: .ehlo, socket: socket)
        } catch let error as ProbeError {
            outcome.failure = error
        } catch {
            outcome.failure = ProbeError(phase: .greeting, message: "\(error)")
        }
        tls.shutdown()
    }

    /// Reads the greeting; false when it refuses the session (a 421 says the server is busy).
    private func readGreeting(_ source: LineSource, socket: TCPSocket, into outcome: inout ConnectionOutcome) throws -> Bool {
        let greeting = try readReply(source, phase: .greeting, socket: socket)
        outcome.greeting = greeting
        guard let failure = refusal(greeting, phase: .greeting, expected: 220) else { return true }
        outcome.failure = failure
        outcome.serviceUnavailable = greeting.code == 421
        return false
    }

    /// The TLS handshake; on failure records a classified error and returns nil.
    private func handshake(socket: TCPSocket, context: TLSContext, serverName: String?, into outcome: inout ConnectionOutcome) -> TLSConnection? {
        let tls: TLSConnection
        do {
            tls = try TLSConnection(context: context, socket: socket, serverName: serverName)
        } catch {
            outcome.handshakeFailure = .other
            outcome.failure = ProbeError(phase: .handshake, message: "\(error)")
            return nil
        }
        let handshakeDeadline = deadline()
        let started = Deadline.now()
        do {
            try tls.handshake(deadline: handshakeDeadline)
            outcome.handshakeMs = Double(Deadline.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        } catch let error as TLSKitError {
            let (kind, failure) = classifyHandshake(error, tls: tls, socket: socket, deadline: handshakeDeadline)
            outcome.handshakeFailure = kind
            outcome.failure = failure
            return nil
        } catch {
            outcome.handshakeFailure = .other
            outcome.failure = ProbeError(phase: .handshake, message: "\(error)")
            return nil
        }
        outcome.handshakeCompleted = true
        if let n = tls.negotiated { outcome.negotiated = NegotiatedTLS(protocol: n.protocolVersion, cipher: n.cipher, group: NegotiatedTLS.normalizedGroup(n.group)) }
        outcome.chain = tls.peerChain
        outcome.verify = tls.verifyResult
        return tls
    }

    // MARK: - Classification

    private func classifyHandshake(_ error: TLSKitError, tls: TLSConnection, socket: TCPSocket,
                                   deadline handshakeDeadline: Deadline) -> (HandshakeFailureKind, ProbeError) {
        // OpenSSL reads and writes the descriptor itself: its BIO counters say how far the handshake got.
        let received = tls.tlsBytesReceived
        let sent = tls.tlsBytesSent
        let total = socket.bytesReceived + received
        switch error {
        case .timeout(let state):
            var message = "the TLS handshake stalled (no progress within \(timeoutText); OpenSSL state: \(state))"
            if received == 0 && state.lowercased().contains("client hello") {
                message = "the TLS handshake stalled after the ClientHello: \(sent) bytes sent, nothing received back within \(timeoutText) "
                    + "(OpenSSL state: \(state)). On a real network this is how a path-MTU black hole looks (ICMP/ICMPv6 \"packet too big\" "
                    + "filtered, so the server's large reply with its certificates never arrives); it also happens when the server hangs"
            }
            if handshakeDeadline >= overall { message += "; the probe's deadline for this listener (\(formatSeconds(options.listenerTimeout))) ran out" }
            return (.timeout, ProbeError(phase: .handshake, message: message, state: state, bytesReceived: total))
        case .handshake(let state, let errors, let e):
            let reasons = errors.map(\.reason).joined(separator: "; ").lowercased()
            let base = error.description
            if errors.isEmpty && (e == 0 || e == ECONNRESET || e == EPIPE) {
                // A FIN or an RST, with no alert: which of the two arrives depends on timing (a server that closes
                // with our ClientHello unread resets), so both read the same, naming which it was.
                let how = e == 0 ? "closed" : "reset"
                let message = "the server \(how) the connection during the TLS handshake, without a TLS alert "
                    + "(OpenSSL state: \(state); \(received) bytes of TLS received) [\(base)]"
                return (.closed, ProbeError(phase: .handshake, message: message, state: state, bytesReceived: total))
            }
            if reasons.contains("wrong version number") || reasons.contains("packet length too long") || reasons.contains("http request")
                || reasons.contains("record layer failure") || reasons.contains("unknown protocol") {
                // The rest of a plaintext greeting is still in the socket (OpenSSL consumed the first record header only).
                let rest = (try? socket.readLine(deadline: .after(seconds: 0.3), maxLength: 1024, stage: "plaintext")) ?? nil
                // Only text is quoted: binary noise would garble the report.
                let isText = rest.map { !$0.isEmpty && $0.unicodeScalars.allSatisfy { $0.isASCII && ($0.value >= 0x20 || $0 == "\t") } } ?? false
                var message: String
                if target.mode == .starttls {
                    // The server agreed to STARTTLS (220), so the port is right: what came back is simply not TLS.
                    message = "after its 220 reply to STARTTLS the server answered the ClientHello with data that is not TLS"
                    message += isText ? " (\"…\(rest?.prefix(80) ?? "")\")" : " (binary data)"
                    message += ": a broken server, or a middlebox (firewall, antivirus proxy) that interferes with STARTTLS"
                } else {
                    message = "the server did not answer the ClientHello with TLS: it speaks plaintext on this port"
                    if isText, let rest { message += " (it sent \"…\(rest.prefix(80))\", an SMTP greeting)" }
                    message += "; is this a STARTTLS port (smtpd_tls_wrappermode = no)? Probe it with --starttls \(target.port)"
                }
                return (.notTLS, ProbeError(phase: .handshake, message: message + " [\(base)]", state: state, bytesReceived: total))
            }
            if reasons.contains("excessive message size") {
                // OpenSSL caps a certificate message at 100 KB (SSL_CTX_set_max_cert_list); Postfix's own
                // smtp client and most other OpenSSL-based senders keep that default and fail the same way.
                let message = "the server sent a handshake message larger than OpenSSL accepts: usually its certificate chain, "
                    + "which is larger than the 100 KB OpenSSL-based clients allow (a certificate with a huge number of names or extensions, "
                    + "or far too many certificates in the chain file) [\(base)]"
                return (.other, ProbeError(phase: .handshake, message: message, state: state, bytesReceived: total))
            }
            let kind: HandshakeFailureKind
            if reasons.contains("protocol version") || reasons.contains("unsupported protocol") || reasons.contains("no protocols available")
                || reasons.contains("version too low") {
                kind = .protocolVersion
            } else if reasons.contains("handshake failure") || reasons.contains("no shared cipher") || reasons.contains("no ciphers available")
                        || reasons.contains("insufficient security") {
                kind = .handshakeFailure
            } else if errors.isEmpty {
                kind = .closed
            } else {
                kind = .other
            }
            return (kind, ProbeError(phase: .handshake, message: base, state: state, bytesReceived: total))
        case .closed(let stage):
            return (.closed, ProbeError(phase: .handshake, message: "the server closed the connection during the TLS handshake (\(stage))",
                                        bytesReceived: total))
        default:
            return (.other, ProbeError(phase: .handshake, message: error.description, bytesReceived: total))
        }
    }

    private func connectFailure(_ error: Error) -> ProbeError {
        if case TLSKitError.timeout = error {
            return ProbeError(phase: .connect, message: "no TCP connection to \(target.address) within \(timeoutText): the connection attempt went unanswered "
                              + "(a firewall drops it, or the host is down)", bytesReceived: 0)
        }
        if case TLSKitError.socket(_, let e) = error, e == ECONNREFUSED {
            return ProbeError(phase: .connect, message: "connection refused by \(target.address): nothing listens on port \(target.port)", bytesReceived: 0)
        }
        return ProbeError(phase: .connect, message: "cannot connect to \(target.address): \(error)", bytesReceived: 0)
    }

    /// A reply that is not what the dialogue needs, described as what it is (421/554 are not TLS failures).
    private func refusal(_ reply: SMTPReply, phase: ProbePhase, expected: Int) -> ProbeError? {
        if reply.code == expected { return nil }
        let what: String
        switch reply.code {
        case 421: what = "the server refused service (421: too many connections, or it is shutting down)"
        case 554: what = "the server rejected this client (554: blocked, e.g. by a postscreen or access rule)"
        default: what = "the server answered \(reply.code) instead of \(expected)"
        }
        return ProbeError(phase: phase, message: "\(what): \"\(reply.firstLine)\"", reply: reply.firstLine)
    }

    // MARK: - Replies

    typealias LineSource = (Deadline, String) throws -> String?

    /// Reads one reply under the phase deadline; errors become ProbeErrors saying how far the reply got.
    private func readReply(_ source: LineSource, phase: ProbePhase, socket: TCPSocket) throws -> SMTPReply {
        var accumulator = SMTPReplyAccumulator(maxLines: options.maxReplyLines, maxBytes: options.maxReplyBytes)
        let d = deadline()
        do {
            while true {
                guard let line = try source(d, phase.rawValue) else {
                    throw SMTPReplyError.incomplete(partial: accumulator.partial)
                }
                if case .complete(let reply) = try accumulator.feed(line) { return reply }
            }
        } catch TLSKitError.timeout {
            var message: String
            if phase == .greeting && socket.bytesReceived == 0 {
                message = "the server accepted the TCP connection but sent no greeting within \(timeoutText)"
                if target.mode == .starttls {
                    message += " (an implicit-TLS port, smtpd_tls_wrappermode = yes, waits silently for a ClientHello: try --implicit \(target.port); "
                        + "a busy server or a slow DNS lookup of the client also delays the greeting)"
                }
            } else if accumulator.partial == nil && socket.bufferedByteCount > 0 {
                // Bytes came, but not one line end: a trickling or stuck server, not a silent one.
                message = "the server sent \(socket.bufferedByteCount) bytes of its \(phase.rawValue) reply but no complete line within \(timeoutText) "
                    + "(a server that answers extremely slowly, or stopped in the middle of a line)"
            } else if let partial = accumulator.partial {
                message = "the \(phase.rawValue) reply stopped after \"\(partial.firstLine.prefix(60))\" (\(partial.lines.count) line(s)) and did not finish within \(timeoutText)"
            } else {
                message = "no \(phase.rawValue) reply within \(timeoutText)"
            }
            // poll(2) may wake a fraction of a millisecond early: compare deadlines, not the clock.
            if d >= overall { message += "; the probe's deadline for this listener (\(formatSeconds(options.listenerTimeout))) ran out" }
            throw ProbeError(phase: phase, message: message, bytesReceived: socket.bytesReceived)
        } catch let error as SMTPReplyError {
            throw ProbeError(phase: phase, message: "\(error)", bytesReceived: socket.bytesReceived)
        } catch let error as TLSKitError {
            if case .closed = error {
                throw ProbeError(phase: phase, message: "the server closed the connection while the \(phase.rawValue) reply was expected",
                                 bytesReceived: socket.bytesReceived)
            }
            if case .tooLarge(let limit) = error {
                throw ProbeError(phase: phase, message: "the server sent more than \(limit) bytes without a line end", bytesReceived: socket.bytesReceived)
            }
            throw ProbeError(phase: phase, message: error.description, bytesReceived: socket.bytesReceived)
        }
    }

    /// QUIT without waiting long for the answer (best effort).
    private func quit(socket: TCPSocket) {
        let d = Deadline.earliest(.after(seconds: min(1, options.phaseTimeout)), overall)
        guard (try? socket.write("QUIT\r\n", deadline: d, stage: "QUIT")) != nil else { return }
        _ = try? socket.readLine(deadline: d, maxLength: 4096, stage: "QUIT")
    }
}
