import Foundation
import MailLog
import PostlsCore
import Testing

/// One row of log-formats.md §6, written in the three OpenSSL formats.
struct OpenSSLRow: Sendable, CustomStringConvertible {
    var reason: String
    var reasonCode: UInt32
    /// 1.x library number (20 = SSL) and function names for 1.0 (upper case) and 1.1 (lower case).
    var lib: UInt32 = 20
    var libText = "SSL routines"
    var func10: String
    var func11: String
    /// How the event is framed: an inbound STARTTLS session, an smtps session, a delivery, a start-up.
    var context: Context
    var cause: Cause

    enum Context: Sendable { case starttls, wrapper, delivery, startup(String) }
    var description: String { "\(reason) -> \(cause.rawValue)" }

    /// `error:...` as OpenSSL 1.0, 1.1 and 3.x print it (file:line: data tail like Postfix's).
    var lines: [(OpenSSLError.Format, String)] {
        let code1 = lib << 24 | 0x0AB << 12 | reasonCode & 0xFFF
        let lib3: UInt32 = lib == 20 ? 0x0A : lib
        let code3 = lib3 << 23 | reasonCode
        return [
            (.openssl1_0, String(format: "error:%08X:%@:%@:%@:s3_srvr.c:1100:", code1, libText, func10, reason)),
            (.openssl1_1, String(format: "error:%08X:%@:%@:%@:ssl/statem/statem_srvr.c:1661:", code1, libText, func11, reason)),
            (.openssl3, String(format: "error:%08X:%@::%@:../ssl/statem/statem_srvr.c:1664:", code3, libText, reason)),
        ]
    }

    func log(_ errorText: String) -> String {
        switch context {
        case .starttls: return starttlsSession(errorText)
        case .wrapper: return wrapperSession(errorText)
        case .delivery: return deliverySession(errorText)
        case .startup(let first): return startupWarnings(first, errorText)
        }
    }
}

let section6: [OpenSSLRow] = [
    .init(reason: "unknown protocol", reasonCode: 0xFC, func10: "SSL23_GET_CLIENT_HELLO", func11: "tls_process_client_hello", context: .starttls, cause: .protocolMismatch),
    .init(reason: "unknown protocol", reasonCode: 0xFC, func10: "SSL23_GET_CLIENT_HELLO", func11: "tls_process_client_hello", context: .wrapper, cause: .plaintextOnTLSPort),
    .init(reason: "unsupported protocol", reasonCode: 0x102, func10: "SSL3_GET_CLIENT_HELLO", func11: "tls_early_post_process_client_hello", context: .starttls, cause: .protocolMismatch),
    .init(reason: "version too low", reasonCode: 0x18C, func10: "SSL3_GET_CLIENT_HELLO", func11: "tls_process_client_hello", context: .starttls, cause: .protocolMismatch),
    .init(reason: "wrong version number", reasonCode: 0x10B, func10: "SSL3_GET_RECORD", func11: "ssl3_get_record", context: .wrapper, cause: .plaintextOnTLSPort),
    .init(reason: "wrong version number", reasonCode: 0x10B, func10: "SSL3_GET_RECORD", func11: "ssl3_get_record", context: .delivery, cause: .wrappermodeMismatch),
    .init(reason: "unknown protocol", reasonCode: 0xFC, func10: "SSL23_GET_SERVER_HELLO", func11: "tls_process_server_hello", context: .delivery, cause: .wrappermodeMismatch),
    .init(reason: "http request", reasonCode: 0x9C, func10: "SSL23_GET_CLIENT_HELLO", func11: "ssl3_get_record", context: .wrapper, cause: .plaintextOnTLSPort),
    .init(reason: "no shared cipher", reasonCode: 0xC1, func10: "SSL3_GET_CLIENT_HELLO", func11: "tls_post_process_client_hello", context: .starttls, cause: .noSharedCipher),
    .init(reason: "sslv3 alert handshake failure", reasonCode: 0x410, func10: "SSL3_READ_BYTES", func11: "ssl3_read_bytes", context: .starttls, cause: .noSharedCipher),
    .init(reason: "sslv3 alert handshake failure", reasonCode: 0x410, func10: "SSL3_READ_BYTES", func11: "ssl3_read_bytes", context: .delivery, cause: .remoteHandshakeFailure),
    .init(reason: "tlsv1 alert unknown ca", reasonCode: 0x418, func10: "SSL3_READ_BYTES", func11: "ssl3_read_bytes", context: .starttls, cause: .untrustedCertificate),
    .init(reason: "sslv3 alert certificate unknown", reasonCode: 0x416, func10: "SSL3_READ_BYTES", func11: "ssl3_read_bytes", context: .starttls, cause: .untrustedCertificate),
    .init(reason: "sslv3 alert bad certificate", reasonCode: 0x412, func10: "SSL3_READ_BYTES", func11: "ssl3_read_bytes", context: .starttls, cause: .untrustedCertificate),
    .init(reason: "sslv3 alert certificate expired", reasonCode: 0x415, func10: "SSL3_READ_BYTES", func11: "ssl3_read_bytes", context: .starttls, cause: .expiredCertificate),
    .init(reason: "tlsv1 alert protocol version", reasonCode: 0x42E, func10: "SSL3_READ_BYTES", func11: "ssl3_read_bytes", context: .starttls, cause: .protocolMismatch),
    .init(reason: "tlsv1 alert internal error", reasonCode: 0x438, func10: "SSL3_READ_BYTES", func11: "ssl3_read_bytes", context: .starttls, cause: .peerAborted),
    .init(reason: "key values mismatch", reasonCode: 0x74, lib: 11, libText: "x509 certificate routines", func10: "X509_check_private_key", func11: "X509_check_private_key",
          context: .startup("cannot get RSA private key from file \"/etc/ssl/private/mail.key\": disabling TLS support"), cause: .keyMismatch),
    .init(reason: "No such file or directory", reasonCode: 0x02, lib: 2, libText: "system library", func10: "fopen", func11: "fopen",
          context: .startup("cannot get RSA certificate from file \"/etc/ssl/certs/mail.pem\": disabling TLS support"), cause: .certificateUnreadable),
    .init(reason: "no start line", reasonCode: 0x6C, lib: 9, libText: "PEM routines", func10: "PEM_READ_BIO", func11: "get_name",
          context: .startup("cannot get RSA certificate from file \"/etc/ssl/certs/mail.pem\": disabling TLS support"), cause: .certificateUnreadable),
    .init(reason: "dh key too small", reasonCode: 0x18A, func10: "SSL3_CHECK_CERT_AND_ALGORITHM", func11: "tls_process_ske_dhe", context: .delivery, cause: .dhParameters),
    .init(reason: "ca md too weak", reasonCode: 0x18E, func10: "SSL_CTX_USE_CERTIFICATE", func11: "ssl_ctx_use_certificate",
          context: .startup("cannot get RSA certificate from file \"/etc/ssl/certs/mail.pem\": disabling TLS support"), cause: .weakCertificate),
    .init(reason: "ee key too small", reasonCode: 0x18F, func10: "SSL_CTX_USE_CERTIFICATE", func11: "ssl_ctx_use_certificate",
          context: .startup("cannot get RSA certificate from file \"/etc/ssl/certs/mail.pem\": disabling TLS support"), cause: .weakCertificate),
    .init(reason: "ca key too small", reasonCode: 0x18D, func10: "SSL_CTX_USE_CERTIFICATE", func11: "ssl_ctx_use_certificate",
          context: .startup("cannot get RSA certificate from file \"/etc/ssl/certs/mail.pem\": disabling TLS support"), cause: .weakCertificate),
    .init(reason: "legacy sigalg disallowed or unsupported", reasonCode: 0x14D, func10: "TLS_CHOOSE_SIGALG", func11: "tls_choose_sigalg", context: .starttls, cause: .weakCertificate),
    .init(reason: "certificate verify failed", reasonCode: 0x86, func10: "SSL3_GET_SERVER_CERTIFICATE", func11: "tls_process_server_certificate", context: .delivery, cause: .remoteCertificateUnverified),
    .init(reason: "unexpected eof while reading", reasonCode: 0x126, func10: "SSL3_READ_N", func11: "ssl3_read_n", context: .starttls, cause: .peerAborted),
    .init(reason: "bad key share", reasonCode: 0x6C, func10: "TLS_PARSE_CTOS_KEY_SHARE", func11: "tls_parse_ctos_key_share", context: .starttls, cause: .peerAborted),
    .init(reason: "no protocols available", reasonCode: 0xBF, func10: "SSL3_CLIENT_HELLO", func11: "ssl_cipher_list_to_bytes", context: .starttls, cause: .unsupportedSetting),
]

@Test("every §6 OpenSSL message decodes and classifies the same in OpenSSL 1.0, 1.1 and 3.x format", arguments: section6)
func openSSLMessageInAllFormats(_ row: OpenSSLRow) {
    for (format, errorText) in row.lines {
        let errors = OpenSSLError.all(in: "warning: TLS library problem: " + errorText)
        #expect(errors.count == 1, "\(errorText)")
        #expect(errors.first?.reason == row.reason)
        // 1.0 and 1.1 differ in the function name's case; names like X509_check_private_key or fopen read as 1.1.
        let expected = format == .openssl1_0 && row.func10.contains(where: \.isLowercase) ? .openssl1_1 : format
        #expect(errors.first?.format == expected, "\(errorText)")
        #expect(errors.first?.reasonCode == row.reasonCode & (format == .openssl3 ? 0x7FFFFF : 0xFFF))
        let report = analyze(row.log(errorText))
        #expect(report.events.count == 1, "\(errorText)")
        #expect(report.events.first?.cause == row.cause, "\(format.rawValue): \(errorText) -> \(report.events.first?.rule ?? "no event")")
        #expect(report.events.first?.errors.first?.reason == row.reason)
    }
}

@Test("the verbatim 1.x lines of log-formats.md decode to their reason and function")
func verbatimOpenSSL1Lines() {
    let cases: [(String, String, String, OpenSSLError.Format)] = [
        ("error:140760FC:SSL routines:SSL23_GET_CLIENT_HELLO:unknown protocol:s23_srvr.c:640:", "SSL23_GET_CLIENT_HELLO", "unknown protocol", .openssl1_0),
        ("error:1417A0C1:SSL routines:tls_post_process_client_hello:no shared cipher:ssl/statem/statem_srvr.c:2283:", "tls_post_process_client_hello", "no shared cipher", .openssl1_1),
        ("error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1664:", "", "unsupported protocol", .openssl3),
        ("error:0B080074:x509 certificate routines:X509_check_private_key:key values mismatch", "X509_check_private_key", "key values mismatch", .openssl1_1),
        ("error:02001002:system library:fopen:No such file or directory", "fopen", "No such file or directory", .openssl1_1),
    ]
    for (text, function, reason, format) in cases {
        let e = OpenSSLError.all(in: text)
        #expect(e.count == 1)
        #expect(e.first?.function == function)
        #expect(e.first?.reason == reason)
        #expect(e.first?.format == format)
    }
}

@Test("old Postfix's pid-prefixed 'TLS library problem: 7659:error:...' keeps the pid and the reason")
func pidPrefixedLibraryProblem() {
    let line = "Apr  3 07:30:47 mx postfix/smtpd[7659]: warning: TLS library problem: 7659:error:1408A0C1:SSL routines:SSL3_GET_CLIENT_HELLO:no shared cipher:s3_srvr.c:1100:"
    let e = OpenSSLError.all(in: line)
    #expect(e.first?.threadID == 7659)
    #expect(e.first?.reason == "no shared cipher")
    #expect(e.first?.format == .openssl1_0)
    #expect(e.first?.code == 0x1408A0C1)
    let report = analyze(line)
    #expect(report.events.map(\.cause) == [.noSharedCipher])
}

@Test("a 1.x error packs library, function and reason as ERR_PACK does")
func errPackFields() throws {
    let e = try #require(OpenSSLError.all(in: "error:140760FC:SSL routines:SSL23_GET_CLIENT_HELLO:unknown protocol").first)
    #expect(e.code >> 24 == 0x14)
    #expect((e.code >> 12) & 0xFFF == 118)
    #expect(e.reasonCode == 252)
}

@Test("several queued errors on one Dovecot line are all decoded")
func dovecotQueuedErrors() {
    let line = "imap-login: Disconnected (no auth attempts in 0 secs): user=<>, rip=192.0.2.7, lip=192.0.2.1, TLS handshaking: SSL_accept() failed: error:1417A0C1:SSL routines:tls_post_process_client_hello:no shared cipher, session=<abc>"
    let e = OpenSSLError.all(in: line)
    #expect(e.map(\.reason) == ["no shared cipher"])
}
