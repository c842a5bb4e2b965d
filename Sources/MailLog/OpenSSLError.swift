/// One OpenSSL error from a log line, decoded whatever the OpenSSL version wrote it:
/// 1.0 `error:140760FC:SSL routines:SSL23_GET_CLIENT_HELLO:unknown protocol:s23_srvr.c:640:`,
/// 1.1 `error:1417A0C1:SSL routines:tls_post_process_client_hello:no shared cipher:...`,
/// 3.x `error:0A0000C1:SSL routines::no shared cipher:...`, and old Postfix's pid-prefixed
/// `TLS library problem: 7659:error:1408A0C1:...`.
public struct OpenSSLError: Sendable, Hashable, Codable {
    public enum Format: String, Sendable, Codable { case openssl1_0 = "1.0", openssl1_1 = "1.1", openssl3 = "3" }

    /// The packed error code (`0A0000C1`).
    public var code: UInt32
    /// The library text (`SSL routines`, `x509 certificate routines`, `system library`).
    public var library: String
    /// The function name; empty on OpenSSL 3.
    public var function: String
    /// The reason text as logged (`no shared cipher`).
    public var reason: String
    /// The reason in lower case, for matching.
    public var normalizedReason: String { reason.lowercased() }
    /// Which OpenSSL generation wrote it, told from the function field.
    public var format: Format
    /// The pid/thread prefix old Postfix (2.2 to 2.11) put before `error:`.
    public var threadID: Int?

    /// The reason number: the low 12 bits on 1.x, the low 23 bits on 3.x (the same numbers for SSL reasons).
    public var reasonCode: UInt32 { format == .openssl3 ? code & 0x7F_FFFF : code & 0xFFF }

    public init(code: UInt32, library: String, function: String, reason: String, format: Format, threadID: Int? = nil) {
        self.code = code; self.library = library; self.function = function; self.reason = reason
        self.format = format; self.threadID = threadID
    }

    /// All OpenSSL errors in `text` (a `TLS library problem` line, a Dovecot `SSL_accept() failed` line...).
    public static func all(in text: String) -> [OpenSSLError] {
        var text = text
        return text.withUTF8 { all(in: $0) }
    }

    /// `all(in:)` on the UTF-8 bytes of a text.
    static func all(in u: UnsafeBufferPointer<UInt8>) -> [OpenSSLError] {
        var result: [OpenSSLError] = []
        var i = 0
        while i + 15 <= u.count {
            // "error:" compared in place (an array per candidate byte cost more than the rest).
            guard u[i] == 101, u[i + 1] == 114, u[i + 2] == 114, u[i + 3] == 111, u[i + 4] == 114, u[i + 5] == 58
            else { i += 1; continue }
            var j = i + 6
            var code: UInt32 = 0
            var hexCount = 0
            while j < u.count, hexCount < 8, let v = hexValue(u[j]) { code = code << 4 | v; j += 1; hexCount += 1 }
            guard hexCount == 8, j < u.count, u[j] == 58 else { i += 6; continue }
            // Fields: lib:func:reason[:file:line:data]
            var fields: [String] = []
            var start = j + 1
            var k = start
            while k <= u.count && fields.count < 3 {
                // The reason ends at ':' (Postfix adds file:line:), ',' or ' (' (Dovecot goes on with its own text).
                let reasonEnd = k < u.count && fields.count == 2 && (u[k] == 44 || u[k] == 41 || u[k] == 10 || (u[k] == 40 && k > start && u[k - 1] == 32))
                if k == u.count || u[k] == 58 || reasonEnd {
                    var end = k
                    while end > start && u[end - 1] == 32 { end -= 1 }
                    fields.append(String(decoding: u[start..<end], as: UTF8.self))
                    start = k + 1
                    if k == u.count || u[k] != 58 { break }
                }
                k += 1
            }
            guard fields.count == 3 else { i = j; continue }
            var threadID: Int? = nil
            // "7659:error:..." — digits then a colon right before "error:".
            if i >= 2, u[i - 1] == 58 {
                var s = i - 1
                var v = 0, mult = 1
                while s > 0, u[s - 1] &- 48 < 10, mult < 1_000_000_000 { v += Int(u[s - 1] &- 48) * mult; mult *= 10; s -= 1 }
                if mult > 1 && (s == 0 || u[s - 1] == 32) { threadID = v }
            }
            let function = fields[1]
            let format: Format
            if function.isEmpty { format = .openssl3 }
            else if function.utf8.contains(where: { $0 &- 97 < 26 }) { format = .openssl1_1 }
            else { format = .openssl1_0 }
            result.append(OpenSSLError(code: code, library: fields[0], function: function,
                                       reason: String(fields[2].drop { $0 == " " }), format: format, threadID: threadID))
            i = max(k, j)
        }
        return result
    }

    private static func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case 48...57: return UInt32(b - 48)
        case 65...70: return UInt32(b - 55)
        case 97...102: return UInt32(b - 87)
        default: return nil
        }
    }
}

import Foundation
