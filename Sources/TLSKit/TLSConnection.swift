import COpenSSL
import Foundation
import PostlsCore

/// What was negotiated by a completed handshake.
public struct NegotiatedParameters: Codable, Sendable, Equatable {
    public var protocolVersion: String
    public var cipher: String
    /// Key-exchange group, e.g. "X25519", "secp256r1", "ffdhe2048"; nil when none (RSA key exchange).
    public var group: String?
}

/// One TLS session over a TCPSocket: an SSL object owned and freed exactly once. Every operation has a deadline.
public final class TLSConnection: @unchecked Sendable {
    let pointer: OpaquePointer  // SSL *
    public let socket: TCPSocket
    private let context: TLSContext  // keeps the SSL_CTX alive as long as the SSL

    public init(context: TLSContext, socket: TCPSocket, serverName: String? = nil) throws {
        ignoreSIGPIPE
        guard let ssl = SSL_new(context.pointer) else {
            throw TLSKitError.openssl(operation: "SSL_new", errors: drainOpenSSLErrors())
        }
        self.pointer = ssl
        self.socket = socket
        self.context = context
        SSL_set_fd(ssl, socket.fd)
        if let serverName, !serverName.isEmpty, !isIPAddress(serverName) {
            _ = COpenSSL_SSL_set_tlsext_host_name(ssl, serverName)
        }
    }

    deinit { SSL_free(pointer) }

    /// OpenSSL's handshake state, e.g. "SSLv3/TLS write client hello": where a stalled handshake stopped.
    public var stateDescription: String { String(cString: SSL_state_string_long(pointer)) }

    /// Bytes OpenSSL has written to and read from the socket on this connection (the handshake included):
    /// "sent a ClientHello, received nothing" is how a stall after the ClientHello shows.
    public var tlsBytesSent: Int { SSL_get_wbio(pointer).map { Int(BIO_number_written($0)) } ?? 0 }
    public var tlsBytesReceived: Int { SSL_get_rbio(pointer).map { Int(BIO_number_read($0)) } ?? 0 }

    /// Runs the client or server handshake before the deadline.
    public func handshake(deadline: Deadline) throws {
        _ = drainOpenSSLErrors()
        while true {
            errno = 0
            let rc = context.role == .client ? SSL_connect(pointer) : SSL_accept(pointer)
            if rc == 1 { return }
            let savedErrno = errno
            let error = SSL_get_error(pointer, rc)
            switch error {
            case SSL_ERROR_WANT_READ:
                guard try socket.wait(for: Int16(POLLIN), deadline: deadline) else {
                    throw TLSKitError.timeout(stage: stateDescription)
                }
            case SSL_ERROR_WANT_WRITE:
                guard try socket.wait(for: Int16(POLLOUT), deadline: deadline) else {
                    throw TLSKitError.timeout(stage: stateDescription)
                }
            case SSL_ERROR_SYSCALL:
                throw TLSKitError.handshake(state: stateDescription, errors: drainOpenSSLErrors(), errno: savedErrno)
            default:
                throw TLSKitError.handshake(state: stateDescription, errors: drainOpenSSLErrors(), errno: 0)
            }
        }
    }

    public var negotiated: NegotiatedParameters? {
        guard let version = SSL_get_version(pointer), let cipher = SSL_get_current_cipher(pointer),
              let cipherName = SSL_CIPHER_get_name(cipher) else { return nil }
        return NegotiatedParameters(protocolVersion: String(cString: version), cipher: String(cString: cipherName), group: group)
    }

    private var group: String? {
        let nid = COpenSSL_SSL_get_negotiated_group(pointer)
        if nid != 0 {
            if let name = SSL_group_to_name(pointer, nid) { return String(cString: name) }
            if let sn = OBJ_nid2sn(nid) { return String(cString: sn) }
        }
        var key: OpaquePointer? = nil
        if COpenSSL_SSL_get_peer_tmp_key(pointer, &key) == 1, let key {
            defer { EVP_PKEY_free(key) }
            return PrivateKey.describe(key)
        }
        _ = drainOpenSSLErrors()
        return nil
    }

    /// The certificates as the peer sent them, leaf first (client side: includes the leaf).
    public var peerChain: [Certificate] {
        guard let stack = SSL_get_peer_cert_chain(pointer) else { return [] }
        var out: [Certificate] = []
        for i in 0..<COpenSSL_sk_X509_num(stack) {
            if let x = COpenSSL_sk_X509_value(stack, i) { out.append(Certificate(retaining: x)) }
        }
        return out
    }

    /// OpenSSL's verify result of the peer's chain against the context's trust anchors.
    public var verifyResult: VerifyResult { VerifyResult(code: Int(SSL_get_verify_result(pointer))) }

    /// Writes application data.
    public func write(_ text: String, deadline: Deadline, stage: String) throws {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let rc = bytes[offset...].withUnsafeMutableBytes { SSL_write(pointer, $0.baseAddress, Int32($0.count)) }
            if rc > 0 { offset += Int(rc); continue }
            try waitOrThrow(rc: rc, deadline: deadline, stage: stage)
        }
        bytes.removeAll()
    }

    private var lineBuffer: [UInt8] = []

    /// Reads one line of application data (CR LF stripped); nil at a clean EOF with nothing buffered.
    public func readLine(deadline: Deadline, maxLength: Int = 8192, stage: String) throws -> String? {
        while true {
            if let line = takeLine(from: &lineBuffer) { return line }
            if lineBuffer.count > maxLength { throw TLSKitError.tooLarge(limit: maxLength) }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let rc = chunk.withUnsafeMutableBytes { SSL_read(pointer, $0.baseAddress, Int32($0.count)) }
            if rc > 0 { lineBuffer.append(contentsOf: chunk[0..<Int(rc)]); continue }
            let error = SSL_get_error(pointer, rc)
            if error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && errno == 0) {
                _ = drainOpenSSLErrors()
                if lineBuffer.isEmpty { return nil }
                defer { lineBuffer.removeAll() }
                return String(decoding: lineBuffer, as: UTF8.self)
            }
            try waitOrThrow(rc: rc, deadline: deadline, stage: stage)
        }
    }

    /// Reads up to `maxLength` bytes of application data, bytes `readLine` buffered first (an HTTP body after
    /// its header lines). Empty at a clean EOF.
    public func read(maxLength: Int = 16_384, deadline: Deadline, stage: String) throws -> [UInt8] {
        if !lineBuffer.isEmpty {
            let n = min(maxLength, lineBuffer.count)
            defer { lineBuffer.removeSubrange(0..<n) }
            return Array(lineBuffer[0..<n])
        }
        while true {
            var chunk = [UInt8](repeating: 0, count: max(1, min(maxLength, 16_384)))
            let rc = chunk.withUnsafeMutableBytes { SSL_read(pointer, $0.baseAddress, Int32($0.count)) }
            if rc > 0 { return Array(chunk[0..<Int(rc)]) }
            let error = SSL_get_error(pointer, rc)
            if error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && errno == 0) {
                _ = drainOpenSSLErrors()
                return []
            }
            try waitOrThrow(rc: rc, deadline: deadline, stage: stage)
        }
    }

    /// Sends close_notify without waiting for the peer's (best effort).
    public func shutdown() {
        _ = SSL_shutdown(pointer)
        _ = drainOpenSSLErrors()
    }

    private func waitOrThrow(rc: Int32, deadline: Deadline, stage: String) throws {
        let savedErrno = errno
        switch SSL_get_error(pointer, rc) {
        case SSL_ERROR_WANT_READ:
            guard try socket.wait(for: Int16(POLLIN), deadline: deadline) else { throw TLSKitError.timeout(stage: stage) }
        case SSL_ERROR_WANT_WRITE:
            guard try socket.wait(for: Int16(POLLOUT), deadline: deadline) else { throw TLSKitError.timeout(stage: stage) }
        case SSL_ERROR_ZERO_RETURN:
            throw TLSKitError.closed(stage: stage)
        case SSL_ERROR_SYSCALL:
            let errors = drainOpenSSLErrors()
            if errors.isEmpty && (savedErrno == 0 || savedErrno == ECONNRESET || savedErrno == EPIPE) {
                throw TLSKitError.closed(stage: stage)
            }
            if errors.isEmpty { throw TLSKitError.socket(operation: stage, errno: savedErrno) }
            throw TLSKitError.openssl(operation: stage, errors: errors)
        default:
            throw TLSKitError.openssl(operation: stage, errors: drainOpenSSLErrors())
        }
    }
}

/// OpenSSL writes to the socket with write(2), which raises SIGPIPE when the peer has closed: the default
/// action kills the process (a probed server that hangs up early would kill postls, or a test run).
/// Ignored once, process-wide, the write fails with EPIPE instead and becomes a typed error.
private let ignoreSIGPIPE: Void = {
    signal(SIGPIPE, SIG_IGN)
}()
