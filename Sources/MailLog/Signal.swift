import Foundation

/// What one TLS-related log line says, recognised from the exact formats of Postfix, Dovecot and
/// OpenSSL (docs/LOG-FORMATS.md). Rules classify events by their signals and OpenSSL errors.
public enum Signal: String, Sendable, Codable, Hashable, CaseIterable {
    // Postfix SMTP server session
    case connect                 // connect from x[ip]
    case disconnect              // disconnect from x[ip] ... (starttls=1)
    case starttlsFailed          // disconnect ... starttls=0/1
    case starttlsSucceeded       // disconnect ... starttls=1
    case lostAfterSTARTTLS       // lost connection after STARTTLS from
    case lostAfterConnect        // lost connection after CONNECT from (wrapper mode)
    case lostAfterUnknown        // lost connection after UNKNOWN from (non-SMTP first line)
    case timeoutAfterSTARTTLS    // timeout after STARTTLS from
    case tlsBytesOnPlaintext     // non-SMTP command / improper pipelining carrying \026\003 (a ClientHello)
    case sslAcceptError          // SSL_accept error from x: -1 | %m | lost connection
    case acceptLostConnection    // SSL_accept error from x: lost connection
    case acceptTimedOut          // SSL_accept error from x: Connection timed out
    case acceptReset             // SSL_accept error from x: Connection reset by peer
    case libraryProblem          // warning: TLS library problem: error:...
    case established             // ... TLS connection established from/to ...
    case wrapperModeDropped      // Wrapper-mode request dropped from ...
    case tlsNotAvailable         // 454 4.7.0 TLS not available due to local problem
    case tlsproxyFailed          // tlsproxy handshake failed
    // Postfix startup / configuration
    case tlsDisabled             // ...: disabling TLS support
    case certificateLoadFailed   // cannot get RSA certificate from file / error loading chain / No private key found
    case privateKeyLoadFailed    // cannot get RSA private key from file
    case keyDoesNotMatch         // private key in X does not match public key / key at index N does not match
    case caLoadFailed            // cannot load Certification Authority data
    case dhProblem               // DH parameter file / key exchange group messages
    case sniProblem              // TLS SNI ... not matched / invalid / map lookup problem
    case invalidProtocolList     // Invalid TLS protocol list
    case invalidCipherGrade      // invalid cipher grade / error setting cipher grade
    case invalidTLSLevel         // Invalid TLS level / unsupported TLS level
    // Postfix SMTP client
    case sslConnectError         // SSL_connect error to x: ...
    case cannotStartTLS          // Cannot start TLS: handshake failure
    case serverCertNotVerified   // Server certificate not verified / not trusted
    case certVerificationFailed  // certificate verification failed for x: ...
    case tlsRequiredNotOffered   // TLS is required, but was not offered by host
    case tlsRequiredRefused      // TLS is required, but host x refused to start TLS
    case tlsRequiredUnavailable  // TLS is required, but our TLS engine is unavailable / unavailable
    case smtpsWrappermode        // SMTPS wrappermode (TCP port 465) requires setting ...
    case greetingTimeoutOn465    // timed out while receiving the initial server greeting, relay on port 465
    case lostDuringSTARTTLS      // lost connection / timed out while receiving the STARTTLS response / performing the TLS handshake
    case clientTLSConfig         // client TLS configuration problem / unknown TLS policy
    // Dovecot
    case dovecotHandshake        // Disconnected ...: TLS handshaking: SSL_accept() failed: ...
    case dovecotContextFailed    // Failed to initialize SSL server context / SSL context initialization failed
    case dovecotCertificate      // Can't load SSL certificate / There is no valid PEM certificate / Can't open file
    case dovecotKeyMismatch      // Key is for a different cert than ssl_cert
    case dovecotDH               // Can't load DH parameters / no DH parameters provided
    case dovecotUnknownSetting   // Unknown setting / Unknown ssl_min_protocol setting
    case dovecotCipherList       // Can't set cipher list
    // Anything else mentioning TLS with a warning
    case otherTLSWarning
    // A message no signal above names, found in the message table (LogMessageCatalog)
    case cataloguedFailure       // a row of level failure
    case cataloguedConfig        // a row of level config
}

extension Signal {
    /// One bit per signal, for sets of signals as a `UInt64` (the enum's Hashable goes through its raw string).
    var bit: UInt64 {
        switch self {
        case .connect: return 1 << 0
        case .disconnect: return 1 << 1
        case .starttlsFailed: return 1 << 2
        case .starttlsSucceeded: return 1 << 3
        case .lostAfterSTARTTLS: return 1 << 4
        case .lostAfterConnect: return 1 << 5
        case .lostAfterUnknown: return 1 << 6
        case .timeoutAfterSTARTTLS: return 1 << 7
        case .tlsBytesOnPlaintext: return 1 << 8
        case .sslAcceptError: return 1 << 9
        case .acceptLostConnection: return 1 << 10
        case .acceptTimedOut: return 1 << 11
        case .acceptReset: return 1 << 12
        case .libraryProblem: return 1 << 13
        case .established: return 1 << 14
        case .wrapperModeDropped: return 1 << 15
        case .tlsNotAvailable: return 1 << 16
        case .tlsproxyFailed: return 1 << 17
        case .tlsDisabled: return 1 << 18
        case .certificateLoadFailed: return 1 << 19
        case .privateKeyLoadFailed: return 1 << 20
        case .keyDoesNotMatch: return 1 << 21
        case .caLoadFailed: return 1 << 22
        case .dhProblem: return 1 << 23
        case .sniProblem: return 1 << 24
        case .invalidProtocolList: return 1 << 25
        case .invalidCipherGrade: return 1 << 26
        case .invalidTLSLevel: return 1 << 27
        case .sslConnectError: return 1 << 28
        case .cannotStartTLS: return 1 << 29
        case .serverCertNotVerified: return 1 << 30
        case .certVerificationFailed: return 1 << 31
        case .tlsRequiredNotOffered: return 1 << 32
        case .tlsRequiredRefused: return 1 << 33
        case .tlsRequiredUnavailable: return 1 << 34
        case .smtpsWrappermode: return 1 << 35
        case .greetingTimeoutOn465: return 1 << 36
        case .lostDuringSTARTTLS: return 1 << 37
        case .clientTLSConfig: return 1 << 38
        case .dovecotHandshake: return 1 << 39
        case .dovecotContextFailed: return 1 << 40
        case .dovecotCertificate: return 1 << 41
        case .dovecotKeyMismatch: return 1 << 42
        case .dovecotDH: return 1 << 43
        case .dovecotUnknownSetting: return 1 << 44
        case .dovecotCipherList: return 1 << 45
        case .otherTLSWarning: return 1 << 46
        case .cataloguedFailure: return 1 << 47
        case .cataloguedConfig: return 1 << 48
        }
    }

    /// The bits of `signals`.
    static func mask<S: Sequence>(_ signals: S) -> UInt64 where S.Element == Signal {
        var m: UInt64 = 0
        for s in signals { m |= s.bit }
        return m
    }
}

/// Whether the program is an SMTP server (inbound), an SMTP client (outbound), or Dovecot.
public enum Role: String, Sendable, Codable, Hashable {
    case server, client, dovecot, other

    /// Distinct bits per role, to mix into a hash of bytes.
    var hashBits: UInt64 {
        switch self {
        case .server: return 0x1000_0000_0000_0001
        case .client: return 0x2000_0000_0000_0002
        case .dovecot: return 0x3000_0000_0000_0003
        case .other: return 0x4000_0000_0000_0004
        }
    }

    static func of(program: String) -> Role {
        let u = program.utf8
        let last = u.lastIndex(of: 47).map { String(program[program.index(after: $0)...]) } ?? program
        switch last {
        case "smtpd", "postscreen", "tlsproxy": return .server
        case "smtp", "lmtp", "posttls-finger": return .client
        case "dovecot", "imap-login", "pop3-login", "submission-login", "managesieve-login", "lmtp-login",
             "doveconf", "config", "master", "auth", "imap", "pop3":
            return program.hasPrefix("postfix") ? .other : .dovecot
        default: return .other
        }
    }
}

/// The signals of one message and what they name (peer, OpenSSL errors).
public struct LineFacts: Sendable, Hashable {
    public var signals: [Signal] = []
    /// The peer the message names; filled by `recognize(_:role:)` unless `findPeer` is false.
    public var peer: Peer?
    public var errors: [OpenSSLError] = []
    /// For `TLS connection established`: protocol and cipher (`TLSv1.3`, `TLS_AES_256_GCM_SHA384`) and trust word.
    public var protocolVersion: String?
    public var cipher: String?
    public var trust: String?

    public var isEmpty: Bool { signals.isEmpty }

    /// Recognises a message (the text after `program[pid]: `).
    public static func recognize(_ message: String, role: Role, findPeer: Bool = true) -> LineFacts {
        var copy = message
        var f = copy.withUTF8 { recognize(message, bytes: $0, role: role) }
        if findPeer && !f.signals.isEmpty { f.peer = Peer.find(in: message) }
        return f
    }

    private static func recognize(_ message: String, bytes: UnsafeBufferPointer<UInt8>, role: Role) -> LineFacts {
        var f = LineFacts()
        addSessionSignals(MessageBytes(bytes, bytesPresent: false), to: &f)
        // Session lines say nothing else: skip the dozens of searches below.
        if !f.signals.isEmpty { return f }
        let m = MessageBytes(bytes)
        addHandshakeSignals(m, to: &f)
        if m.has("TLS library problem") {
            // The OpenSSL error is all such a line holds.
            f.signals.append(.libraryProblem)
            f.addErrors(in: bytes)
            return f
        }
        addEstablished(m, to: &f)
        addPostfixSignals(m, role: role, to: &f)
        addDovecotSignals(m, role: role, to: &f)
        if f.signals.isEmpty && (m.starts("warning: ") || m.starts("error: ") || m.starts("fatal: "))
            && (m.has("TLS") || m.has("SSL")) { f.signals.append(.otherTLSWarning) }

        // Dovecot repeats the handshake error in one line ("Connection closed: X ... TLS handshaking: X").
        // Every OpenSSL error starts with "error:": without one, there is nothing to decode.
        if m.has("error:") {
            f.addErrors(in: bytes)
        }
        return f
    }

    private mutating func addErrors(in bytes: UnsafeBufferPointer<UInt8>) {
        for e in OpenSSLError.all(in: bytes) where !errors.contains(e) { errors.append(e) }
    }

    /// connect, disconnect, lost connection, timeout: the session lines.
    private static func addSessionSignals(_ whole: MessageBytes, to f: inout LineFacts) {
        func add(_ s: Signal) { f.signals.append(s) }
        // Postfix 3.9+ puts the queue ID (NOQUEUE) before "lost connection after" and "timeout after".
        var m = whole
        if let p = whole.bytes.baseAddress, case let skip = ByteSearch.sessionTextStart(p, whole.bytes.count), skip > 0 {
            m = MessageBytes(UnsafeBufferPointer(rebasing: whole.bytes[skip...]), bytesPresent: false)
        }
        if m.starts("connect from ") { add(.connect) }
        else if m.starts("disconnect from ") {
            add(.disconnect)
            if m.has(" starttls=0/") { add(.starttlsFailed) }
            else if m.has(" starttls=") { add(.starttlsSucceeded) }
        } else if m.starts("lost connection after ") {
            if m.starts("lost connection after STARTTLS") { add(.lostAfterSTARTTLS) }
            else if m.starts("lost connection after CONNECT") { add(.lostAfterConnect) }
            else if m.starts("lost connection after UNKNOWN") { add(.lostAfterUnknown) }
        } else if m.starts("timeout after STARTTLS") { add(.timeoutAfterSTARTTLS) }
    }

    /// TLS bytes on a plaintext port and the handshake errors of smtpd and smtp.
    private static func addHandshakeSignals(_ m: MessageBytes, to f: inout LineFacts) {
        func add(_ s: Signal) { f.signals.append(s) }
        if (m.starts("non-SMTP command from") || m.starts("improper command pipelining after"))
            && (m.has("\\026\\003") || m.has("\u{16}\u{3}") || m.has("\\x16\\x03")) {
            add(.tlsBytesOnPlaintext)
        }
        if m.starts("SSL_accept error from ") {
            add(.sslAcceptError)
            if m.ends(": lost connection") { add(.acceptLostConnection) }
            else if m.has("timed out") { add(.acceptTimedOut) }
            else if m.has("Connection reset by peer") { add(.acceptReset) }
        }
        if m.starts("SSL_connect error to ") { add(.sslConnectError) }
    }

    /// `TLS connection established`: the protocol, cipher and trust word it names.
    private static func addEstablished(_ m: MessageBytes, to f: inout LineFacts) {
        func add(_ s: Signal) { f.signals.append(s) }
        if m.has(" TLS connection established ") || m.has(" TLS connection reused ") {
            add(.established)
            if let p = m.bytes.baseAddress, let r = LogAnalyzer.established(p, m.bytes.count) {
                func text(_ s: Int, _ e: Int) -> String? { e > s ? String(decoding: UnsafeBufferPointer(start: p + s, count: e - s), as: UTF8.self) : nil }
                f.protocolVersion = text(r.protoStart, r.protoEnd)
                f.cipher = text(r.cipherStart, r.cipherEnd)
                var t = r.trustEnd
                while t > 0 && p[t - 1] != 32 { t -= 1 }
                f.trust = text(t, r.trustEnd)
            }
        }
    }

    /// Postfix's configuration and policy messages.
    private static func addPostfixSignals(_ m: MessageBytes, role: Role, to f: inout LineFacts) {
        func add(_ s: Signal) { f.signals.append(s) }
        if m.has("Wrapper-mode request dropped") { add(.wrapperModeDropped) }
        if m.has("TLS not available due to local problem") { add(.tlsNotAvailable) }
        if m.has("tlsproxy handshake failed") { add(.tlsproxyFailed) }
        if m.has("disabling TLS support") || m.has("TLS won't be enabled") { add(.tlsDisabled) }
        if (m.has("cannot get ") && m.has(" certificate from file")) || m.has("error loading chain from")
            || m.has("error loading certificate chain") || m.has("No private key found") || m.has("error opening chain file")
            || m.has("error loading private keys and certificates") { add(.certificateLoadFailed) }
        if m.has("cannot get ") && m.has(" private key from file") { add(.privateKeyLoadFailed) }
        if (m.has("private key in") && m.has("does not match public key")) || m.has("does not match the certificate")
            || m.has("does not match next certificate") { add(.keyDoesNotMatch) }
        if m.has("cannot load Certification Authority data") || m.has("cannot load Certificate Authority data")
            || m.has("error loading client CA names") { add(.caLoadFailed) }
        if m.has("DH parameter") || m.has("key exchange group") || m.has("EECDH") { add(.dhProblem) }
        // A malformed or changed SNI name is the client's doing (message table rows), not the map's.
        if (m.has("TLS SNI ") && !m.has(" is invalid: ") && !m.has(" after hello retry")) || (m.has("map lookup problem") && m.has("sni")) { add(.sniProblem) }
        if m.has("Invalid TLS protocol list") { add(.invalidProtocolList) }
        if m.has("invalid cipher grade") || m.has("error setting cipher grade") { add(.invalidCipherGrade) }
        if m.has("Invalid TLS level") || m.has("unsupported TLS level") { add(.invalidTLSLevel) }
        if m.has("Cannot start TLS") { add(.cannotStartTLS) }
        if m.has("Server certificate not verified") || m.has("Server certificate not trusted") { add(.serverCertNotVerified) }
        if m.has("certificate verification failed for") { add(.certVerificationFailed) }
        if m.has("TLS is required, but was not offered") { add(.tlsRequiredNotOffered) }
        if m.has("TLS is required, but host") && m.has("refused to start TLS") { add(.tlsRequiredRefused) }
        if m.has("TLS is required, but our TLS engine is unavailable") || m.has("TLS is required, but unavailable") { add(.tlsRequiredUnavailable) }
        if m.has("SMTPS wrappermode") { add(.smtpsWrappermode) }
        if (m.has("while receiving the STARTTLS response") || m.has("while performing the TLS handshake")) && role == .client { add(.lostDuringSTARTTLS) }
        if role == .client && m.has("]:465, ") && m.has("initial server greeting") { add(.greetingTimeoutOn465) }
        if m.has("client TLS configuration problem") || m.has("unknown TLS policy") { add(.clientTLSConfig) }
    }

    /// Dovecot's handshake and configuration messages.
    private static func addDovecotSignals(_ m: MessageBytes, role: Role, to f: inout LineFacts) {
        func add(_ s: Signal) { f.signals.append(s) }
        if role == .dovecot || m.has("-login: ") || m.starts("Error: ") || m.starts("Fatal: ") {
            if m.has("TLS handshaking: ") || m.has("SSL_accept() failed") || m.has("SSL_accept() syscall failed")
                || m.has("SSL connection closed during handshake") || m.has("SSL: Stacked error") { add(.dovecotHandshake) }
            if m.has("Failed to initialize SSL server context") || m.has("SSL context initialization failed") { add(.dovecotContextFailed) }
            if m.has("Can't load SSL certificate") || m.has("There is no valid PEM certificate") || m.has("The certificate is empty")
                || (m.has("ssl_") && (m.has("Can't open file") || m.has(") failed: "))) || m.has("Couldn't parse private SSL key") { add(.dovecotCertificate) }
            // 2.3: "Key is for a different cert than ssl_cert"; 2.4: "Key file is for a different certificate file".
            if m.has("Key is for a different cert") || m.has("Key file is for a different certificate") { add(.dovecotKeyMismatch) }
            if m.has("Can't load DH parameters") || m.has("no DH parameters provided") || m.has("Couldn't parse DH parameters") { add(.dovecotDH) }
            if m.has("Unknown setting") || m.has("Unknown ssl_min_protocol") || m.has("has been replaced by ssl_min_protocol") { add(.dovecotUnknownSetting) }
            if m.has("Can't set cipher list") { add(.dovecotCipherList) }
        }
    }
}

/// A message's bytes and which ASCII bytes it holds, so most searches end before they start (a word
/// whose first or last byte is absent cannot be there). Byte search: Foundation's String.contains
/// costs microseconds per call, and there are dozens.
private struct MessageBytes {
    let bytes: UnsafeBufferPointer<UInt8>
    let low: UInt64, high: UInt64

    /// `bytesPresent: false` skips the byte sets (every byte may be there): for the few searches of a session
    /// line, where collecting them cost more than the searches.
    init(_ bytes: UnsafeBufferPointer<UInt8>, bytesPresent: Bool = true) {
        var low: UInt64 = bytesPresent ? 0 : ~0, high: UInt64 = bytesPresent ? 0 : ~0
        if bytesPresent {
            for b in bytes {
                if b < 64 { low |= 1 << UInt64(b) } else if b < 128 { high |= 1 << UInt64(b - 64) }
            }
        }
        self.bytes = bytes
        self.low = low
        self.high = high
    }

    @inline(__always) func mayHold(_ b: UInt8) -> Bool {
        b >= 128 || (b < 64 ? low & (1 << UInt64(b)) : high & (1 << UInt64(b - 64))) != 0
    }

    @inline(__always) func has(_ s: StaticString) -> Bool {
        guard let p = bytes.baseAddress, s.utf8CodeUnitCount > 0 else { return false }
        let first = s.utf8Start[0], last = s.utf8Start[s.utf8CodeUnitCount - 1]
        guard mayHold(first), mayHold(last) else { return false }
        return ByteSearch.contains(p, bytes.count, s)
    }

    // Prefix and suffix tests on the bytes (String's are Unicode-aware and cost more).
    @inline(__always) func starts(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard let p = bytes.baseAddress, bytes.count >= n else { return false }
        return memcmp(p, s.utf8Start, n) == 0
    }

    @inline(__always) func ends(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard let p = bytes.baseAddress, bytes.count >= n else { return false }
        return memcmp(p + bytes.count - n, s.utf8Start, n) == 0
    }
}
