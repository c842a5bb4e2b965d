import COpenSSL
import Foundation

/// One entry of OpenSSL's thread-local error queue.
public struct OpenSSLError: Sendable, Equatable, CustomStringConvertible {
    /// The packed error code, e.g. 0x0A000102.
    public let code: UInt
    /// The library's text, e.g. "SSL routines".
    public let library: String
    /// The reason's text, e.g. "unsupported protocol".
    public let reason: String
    /// `ERR_error_string_n` output, e.g. "error:0A000102:SSL routines::unsupported protocol".
    public let string: String

    public var description: String { string }
}

/// Drains OpenSSL's error queue (oldest first) so errors never leak into an unrelated later call.
func drainOpenSSLErrors() -> [OpenSSLError] {
    var errors: [OpenSSLError] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let lib = ERR_lib_error_string(code).map { String(cString: $0) } ?? ""
        let reason = ERR_reason_error_string(code).map { String(cString: $0) } ?? ""
        errors.append(OpenSSLError(code: UInt(code), library: lib, reason: reason,
                                   string: String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
    }
    return errors
}

/// Errors of the TLS layer, with a message a mail admin understands and the underlying detail kept.
public enum TLSKitError: Error, Sendable, CustomStringConvertible, Equatable {
    /// An OpenSSL call failed; `operation` says what we were doing.
    case openssl(operation: String, errors: [OpenSSLError])
    /// A file could not be opened or read.
    case file(path: String, errno: Int32)
    /// A file was read but contains no usable PEM object of the expected kind.
    case notPEM(path: String, expected: String)
    /// Name resolution failed.
    case resolve(host: String, message: String)
    /// A socket system call failed.
    case socket(operation: String, errno: Int32)
    /// The deadline passed; `stage` says where we were (e.g. "connect", "SSLv3/TLS write client hello").
    case timeout(stage: String)
    /// The peer closed the connection; `stage` says where.
    case closed(stage: String)
    /// The peer sent more than we accept (a line or message over the limit).
    case tooLarge(limit: Int)
    /// The handshake failed; `state` is OpenSSL's handshake state when it failed.
    case handshake(state: String, errors: [OpenSSLError], errno: Int32)

    public var description: String {
        switch self {
        case .openssl(let op, let errors):
            return "\(op) failed" + (errors.isEmpty ? "" : ": " + errors.map(\.reason).filter { !$0.isEmpty }.joined(separator: "; "))
        case .file(let path, let e):
            return "\(path): \(String(cString: strerror(e)))"
        case .notPEM(let path, let expected):
            return "\(path): no PEM \(expected) found in the file"
        case .resolve(let host, let message):
            return "cannot resolve \(host): \(message)"
        case .socket(let op, let e):
            return "\(op): \(String(cString: strerror(e)))"
        case .timeout(let stage):
            return "timed out (\(stage))"
        case .closed(let stage):
            return "connection closed by peer (\(stage))"
        case .tooLarge(let limit):
            return "peer sent more than \(limit) bytes without a line end"
        case .handshake(let state, let errors, let e):
            var text = "TLS handshake failed"
            let reasons = errors.map(\.reason).filter { !$0.isEmpty }
            if !reasons.isEmpty { text += ": " + reasons.joined(separator: "; ") }
            else if e != 0 { text += ": " + String(cString: strerror(e)) }
            else { text += ": connection closed by peer" }
            return text + " (in state: \(state))"
        }
    }

    /// The OpenSSL errors carried, if any.
    public var opensslErrors: [OpenSSLError] {
        switch self {
        case .openssl(_, let e), .handshake(_, let e, _): return e
        default: return []
        }
    }
}
