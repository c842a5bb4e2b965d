import Foundation
import MailLog
import PostlsCore
import Testing

/// One example per rule, built from real log lines (Postfix 3.7 on this machine, log-formats.md, public reports).
struct RuleExample: Sendable, CustomStringConvertible {
    var rule: String
    var cause: Cause
    var log: String
    var description: String { rule }
}

let ruleExamples: [RuleExample] = [
    .init(rule: "key-mismatch", cause: .keyMismatch, log: """
        Nov 29 03:35:52 mx postfix/badkey/smtpd[8599]: warning: cannot get RSA private key from file "/tmp/pfl/key2.pem": disabling TLS support
        Nov 29 03:35:52 mx postfix/badkey/smtpd[8599]: warning: TLS library problem: error:05800074:x509 certificate routines::key values mismatch:../crypto/x509/x509_cmp.c:403:
        """),
    .init(rule: "key-mismatch", cause: .keyMismatch, log: """
        Apr  3 07:30:47 mail dovecot: imap-login: Error: Failed to initialize SSL server context: Can't load SSL private key (ssl_key setting): Key is for a different cert than ssl_cert: user=<>, rip=192.0.2.7, lip=192.0.2.1, session=<x>
        """),
    .init(rule: "dh-parameters", cause: .dhParameters, log: """
        Apr  3 07:29:00 mx postfix/smtpd[7000]: warning: cannot load DH parameters from file /etc/postfix/dh512.pem: No such file or directory -- using compiled-in defaults
        """),
    .init(rule: "dh-parameters", cause: .dhParameters, log: """
        Apr  3 07:29:00 mail dovecot: imap-login: Error: Failed to initialize SSL server context: Can't load DH parameters (ssl_dh setting): error:0A00018A:SSL routines::dh key too small: user=<>, rip=192.0.2.7
        """),
    .init(rule: "weak-certificate", cause: .weakCertificate, log: startupWarnings(
        "cannot get RSA certificate from file \"/etc/ssl/certs/old.pem\": disabling TLS support",
        "error:0A00018F:SSL routines::ee key too small:../ssl/ssl_rsa.c:101:")),
    .init(rule: "certificate-unreadable", cause: .certificateUnreadable, log: """
        Nov 29 03:35:52 mx postfix/nokey/smtpd[8603]: warning: cannot get RSA private key from file "/tmp/pfl/missing.pem": disabling TLS support
        Nov 29 03:35:52 mx postfix/nokey/smtpd[8603]: warning: TLS library problem: error:80000002:system library::No such file or directory:../crypto/bio/bss_file.c:297:calling fopen(/tmp/pfl/missing.pem, r):
        """),
    .init(rule: "certificate-unreadable", cause: .certificateUnreadable, log: """
        Apr  3 07:29:00 mail dovecot: doveconf: Fatal: Error in configuration file /etc/dovecot/conf.d/10-ssl.conf line 12: ssl_cert: Can't open file /etc/ssl/certs/mail.pem: No such file or directory
        """),
    .init(rule: "tls-disabled", cause: .certificateUnreadable, log: """
        Apr  3 07:29:00 mx postfix/smtpd[7000]: warning: cannot set default OpenSSL certificate verification paths: disabling TLS support
        """),
    .init(rule: "unsupported-setting", cause: .unsupportedSetting, log: """
        Apr  3 07:29:00 mx postfix/smtpd[7000]: warning: Invalid TLS protocol list ">=TLSv1.2": disabling TLS support
        """),
    .init(rule: "unsupported-setting", cause: .unsupportedSetting, log: """
        Apr  3 07:29:00 mail dovecot: doveconf: Fatal: Error in configuration file /etc/dovecot/conf.d/10-ssl.conf line 9: Unknown setting: ssl_min_protocol
        """),
    .init(rule: "no-protocols-available", cause: .unsupportedSetting, log: starttlsSession("error:0A0000BF:SSL routines::no protocols available:../ssl/statem/statem_lib.c:1980:")),
    .init(rule: "sni-misconfiguration", cause: .sniMisconfiguration, log: """
        Apr  3 07:30:47 mx postfix/smtpd[7282]: warning: TLS SNI mx2.example.org from mail.example.org[192.0.2.7] not matched, using default chain
        """),
    .init(rule: "client-policy-leak", cause: .clientPolicyLeak, log: """
        Apr  3 07:32:00 mx postfix/smtp[8100]: SSL_connect error to 127.0.0.1[127.0.0.1]:10024: lost connection
        Apr  3 07:32:00 mx postfix/smtp[8100]: 4F2A31C0B3: to=<a@example.com>, relay=127.0.0.1[127.0.0.1]:10024, delay=1, dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)
        """),
    .init(rule: "smtps-wrappermode", cause: .wrappermodeMismatch, log: """
        Apr  3 07:32:00 mx postfix/smtp[8100]: warning: smtp.example.net[203.0.113.5]:465: SMTPS wrappermode (TCP port 465) requires setting "smtp_tls_wrappermode = yes", and "smtp_tls_security_level = encrypt" (or stronger)
        """),
    .init(rule: "greeting-timeout-on-465", cause: .wrappermodeMismatch, log: """
        Nov 29 03:40:52 mx postfix/smtp[8606]: 11340F7801E: to=<postmaster@example.org>, relay=smtp.example.net[203.0.113.5]:465, delay=300, delays=0.01/0.01/300/0, dsn=4.4.2, status=deferred (conversation with smtp.example.net[203.0.113.5] timed out while receiving the initial server greeting)
        """),
    .init(rule: "outbound-wrong-version", cause: .wrappermodeMismatch, log: deliverySession("error:0A00010B:SSL routines::wrong version number:../ssl/record/ssl3_record.c:354:")),
    .init(rule: "remote-certificate-unverified", cause: .remoteCertificateUnverified, log: """
        Apr  3 07:32:00 mx postfix/smtp[8100]: Untrusted TLS connection established to mx.example.com[203.0.113.5]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
        Apr  3 07:32:00 mx postfix/smtp[8100]: 4F2A31C0B3: to=<a@example.com>, relay=mx.example.com[203.0.113.5]:25, delay=1, dsn=4.7.5, status=deferred (Server certificate not verified)
        """),
    // The rule says unverified; the verify code in the line names the cause (as `postls diagnose` reads it).
    .init(rule: "remote-certificate-unverified", cause: .remoteNameMismatch, log: """
        Apr  3 07:32:00 mx postfix/smtp[8100]: server certificate verification failed for mx.example.com[203.0.113.5]:25: num=62:hostname mismatch
        """),
    .init(rule: "remote-certificate-unverified", cause: .remoteCertificateExpired, log: """
        Apr  3 07:32:00 mx postfix/smtp[8100]: server certificate verification failed for mx.example.com[203.0.113.5]:25: certificate has expired
        """),
    .init(rule: "remote-certificate-unverified", cause: .remoteCertificateExpired, log: """
        Apr  3 07:32:00 mx postfix/smtp[8100]: server certificate verification failed for mx.example.com[203.0.113.5]:25: certificate not yet valid
        """),
    .init(rule: "remote-certificate-unverified", cause: .remoteCertificateUnverified, log: """
        Apr  3 07:32:00 mx postfix/smtp[8100]: server certificate verification failed for mx.example.com[203.0.113.5]:25: num=18:self-signed certificate
        """),
    .init(rule: "remote-tls-unavailable", cause: .remoteTLSUnavailable, log: """
        Apr  3 07:32:00 mx postfix/smtp[8100]: 4F2A31C0B3: to=<a@example.com>, relay=mx.example.com[203.0.113.5]:25, delay=0.2, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx.example.com[203.0.113.5])
        """),
    .init(rule: "remote-handshake-failure", cause: .remoteHandshakeFailure, log: """
        Apr  3 07:32:00 mx postfix/smtp[8100]: 4F2A31C0B3: to=<a@example.com>, relay=mx.example.com[203.0.113.5]:25, delay=1, dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)
        """),
    .init(rule: "http-on-tls-port", cause: .plaintextOnTLSPort, log: """
        Nov 29 03:35:49 mx postfix/smtps/smtpd[8535]: connect from localhost[127.0.0.1]
        Nov 29 03:35:49 mx postfix/smtps/smtpd[8535]: SSL_accept error from localhost[127.0.0.1]: -1
        Nov 29 03:35:49 mx postfix/smtps/smtpd[8535]: warning: TLS library problem: error:0A00009C:SSL routines::http request:../ssl/record/ssl3_record.c:341:
        Nov 29 03:35:49 mx postfix/smtps/smtpd[8535]: lost connection after CONNECT from localhost[127.0.0.1]
        Nov 29 03:35:49 mx postfix/smtps/smtpd[8535]: disconnect from localhost[127.0.0.1] commands=0/0
        """),
    .init(rule: "tls-hello-on-plaintext-port", cause: .tlsOnPlaintextPort, log: """
        Apr  3 07:30:47 mx postfix/smtpd[7282]: connect from scanner.example.net[198.51.100.9]
        Apr  3 07:30:47 mx postfix/smtpd[7282]: improper command pipelining after CONNECT from scanner.example.net[198.51.100.9]: \\026\\003\\001\\002\\000\\001\\000\\001\\374\\003\\003
        Apr  3 07:30:47 mx postfix/smtpd[7282]: lost connection after UNKNOWN from scanner.example.net[198.51.100.9]
        Apr  3 07:30:47 mx postfix/smtpd[7282]: disconnect from scanner.example.net[198.51.100.9] unknown=0/1 commands=0/1
        """),
    .init(rule: "plaintext-on-wrapper-port", cause: .plaintextOnTLSPort, log: """
        Nov 29 03:35:50 mx postfix/smtps/smtpd[8535]: connect from localhost[127.0.0.1]
        Nov 29 03:35:50 mx postfix/smtps/smtpd[8535]: SSL_accept error from localhost[127.0.0.1]: -1
        Nov 29 03:35:50 mx postfix/smtps/smtpd[8535]: warning: TLS library problem: error:0A00010B:SSL routines::wrong version number:../ssl/record/ssl3_record.c:350:
        Nov 29 03:35:50 mx postfix/smtps/smtpd[8535]: lost connection after CONNECT from localhost[127.0.0.1]
        Nov 29 03:35:50 mx postfix/smtps/smtpd[8535]: disconnect from localhost[127.0.0.1] commands=0/0
        """),
    .init(rule: "no-shared-cipher", cause: .noSharedCipher, log: """
        Nov 29 03:35:51 mx postfix/nocipher/smtpd[8588]: connect from localhost[127.0.0.1]
        Nov 29 03:35:51 mx postfix/nocipher/smtpd[8588]: SSL_accept error from localhost[127.0.0.1]: -1
        Nov 29 03:35:51 mx postfix/nocipher/smtpd[8588]: warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:../ssl/statem/statem_srvr.c:2226:
        Nov 29 03:35:51 mx postfix/nocipher/smtpd[8588]: lost connection after STARTTLS from localhost[127.0.0.1]
        Nov 29 03:35:51 mx postfix/nocipher/smtpd[8588]: disconnect from localhost[127.0.0.1] ehlo=1 starttls=0/1 commands=1/2
        """),
    .init(rule: "protocol-version", cause: .protocolMismatch, log: """
        Nov 29 03:35:51 mx postfix/submission/smtpd[8581]: connect from unknown[::1]
        Nov 29 03:35:51 mx postfix/submission/smtpd[8581]: SSL_accept error from unknown[::1]: -1
        Nov 29 03:35:51 mx postfix/submission/smtpd[8581]: warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1664:
        Nov 29 03:35:51 mx postfix/submission/smtpd[8581]: lost connection after STARTTLS from unknown[::1]
        Nov 29 03:35:51 mx postfix/submission/smtpd[8581]: disconnect from unknown[::1] ehlo=1 starttls=0/1 commands=1/2
        """),
    .init(rule: "unknown-protocol", cause: .protocolMismatch, log: starttlsSession("error:140760FC:SSL routines:SSL23_GET_CLIENT_HELLO:unknown protocol:s23_srvr.c:640:")),
    .init(rule: "wrong-version-after-starttls", cause: .protocolMismatch, log: starttlsSession("error:0A00010B:SSL routines::wrong version number:../ssl/record/ssl3_record.c:354:")),
    .init(rule: "alert-handshake-failure", cause: .noSharedCipher, log: starttlsSession("error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:ssl/record/rec_layer_s3.c:1543:SSL alert number 40")),
    .init(rule: "alert-unknown-ca", cause: .untrustedCertificate, log: starttlsSession("error:0A000418:SSL routines::tlsv1 alert unknown ca:../ssl/record/rec_layer_s3.c:1586:SSL alert number 48")),
    .init(rule: "alert-certificate-expired", cause: .expiredCertificate, log: starttlsSession("error:14094415:SSL routines:ssl3_read_bytes:sslv3 alert certificate expired:ssl/record/rec_layer_s3.c:1543:SSL alert number 45")),
    .init(rule: "legacy-sigalg", cause: .weakCertificate, log: starttlsSession("error:0A00014D:SSL routines::legacy sigalg disallowed or unsupported:../ssl/t1_lib.c:3412:")),
    .init(rule: "client-certificate-unverified", cause: .untrustedCertificate, log: starttlsSession("error:0A000086:SSL routines::certificate verify failed:../ssl/statem/statem_srvr.c:3508:")),
    .init(rule: "handshake-timeout", cause: .handshakeTimeout, log: """
        Nov 29 03:40:52 mx postfix/smtps/smtpd[8535]: SSL_accept error from localhost[127.0.0.1]: Connection timed out
        Nov 29 03:40:52 mx postfix/smtps/smtpd[8535]: lost connection after CONNECT from localhost[127.0.0.1]
        Nov 29 03:40:52 mx postfix/smtps/smtpd[8535]: disconnect from localhost[127.0.0.1] commands=0/0
        """),
    .init(rule: "peer-aborted", cause: .peerAborted, log: """
        Nov 29 03:35:52 mx postfix/smtps/smtpd[8535]: connect from localhost[127.0.0.1]
        Nov 29 03:35:52 mx postfix/smtps/smtpd[8535]: SSL_accept error from localhost[127.0.0.1]: lost connection
        Nov 29 03:35:52 mx postfix/smtps/smtpd[8535]: lost connection after CONNECT from localhost[127.0.0.1]
        Nov 29 03:35:52 mx postfix/smtps/smtpd[8535]: disconnect from localhost[127.0.0.1] commands=0/0
        """),
    .init(rule: "peer-aborted", cause: .peerAborted, log: """
        Apr  3 07:30:47 mx postfix/smtpd[7282]: SSL_accept error from mail-wi0-x230.google.com[2a00:1450:400c:c05::230]: -1
        Apr  3 07:30:47 mx postfix/smtpd[7282]: warning: TLS library problem: error:0A000126:SSL routines::unexpected eof while reading:../ssl/record/rec_layer_s3.c:321:
        """),
    .init(rule: "tls-unavailable", cause: .starttlsUnavailable, log: """
        Nov 29 03:35:52 mx postfix/badkey/smtpd[8599]: connect from localhost[127.0.0.1]
        Nov 29 03:35:52 mx postfix/badkey/smtpd[8599]: warning: Wrapper-mode request dropped from localhost[127.0.0.1] for service 10589. TLS context initialization failed. For details see earlier warnings in your logs.
        Nov 29 03:35:52 mx postfix/badkey/smtpd[8599]: disconnect from localhost[127.0.0.1] commands=0/0
        """),
    .init(rule: "dovecot-context", cause: .certificateUnreadable, log: """
        Apr  3 07:30:47 imap-login: Error: Failed to initialize SSL server context: Something new went wrong: user=<>, rip=192.0.2.7, lip=192.0.2.1
        """),
    .init(rule: "dovecot-handshake-syscall", cause: .peerAborted, log: """
        Apr 03 07:30:47 imap-login: Info: Disconnected (no auth attempts in 0 secs): user=<>, rip=192.0.2.7, lip=192.0.2.1, TLS handshaking: SSL_accept() syscall failed: Connection reset by peer, session=<abc>
        """),
    .init(rule: "protocol-version", cause: .protocolMismatch, log: """
        Apr  3 07:30:47 mail dovecot: imap-login: Disconnected (no auth attempts in 0 secs): user=<>, rip=192.0.2.7, lip=192.0.2.1, TLS handshaking: SSL_accept() failed: error:0A000102:SSL routines::unsupported protocol, session=<abc>
        """),
    .init(rule: "dovecot-wrong-version", cause: .plaintextOnTLSPort, log: """
        Nov 29 03:58:03 imap-login: Info: Disconnected: Connection closed: SSL_accept() failed: error:0A00010B:SSL routines::wrong version number (no auth attempts in 0 secs): user=<>, rip=127.0.0.1, lip=127.0.0.1, TLS handshaking: SSL_accept() failed: error:0A00010B:SSL routines::wrong version number, session=<6RzQTGJheqh/AAAB>
        """),
    .init(rule: "non-tls-first-line", cause: .tlsOnPlaintextPort, log: """
        Apr  3 07:30:47 mx postfix/smtpd[7282]: lost connection after UNKNOWN from scanner.example.net[198.51.100.9]
        """),
    .init(rule: "starttls-abandoned", cause: .peerAborted, log: """
        Apr  3 07:30:47 mx postfix/smtpd[7282]: connect from mail.example.org[192.0.2.7]
        Apr  3 07:30:47 mx postfix/smtpd[7282]: lost connection after STARTTLS from mail.example.org[192.0.2.7]
        Apr  3 07:30:47 mx postfix/smtpd[7282]: disconnect from mail.example.org[192.0.2.7] ehlo=1 starttls=0/1 commands=1/2
        """),
]

@Test("each rule names its cause for a real log line", arguments: ruleExamples)
func ruleOnRealLine(_ example: RuleExample) throws {
    let report = analyze(example.log)
    let event = try #require(report.events.first, "no event for \(example.rule)")
    #expect(report.events.count == 1, "\(report.events.map(\.rule))")
    #expect(event.rule == example.rule)
    #expect(event.cause == example.cause)
}

@Test("every rule of the table has an example line")
func everyRuleHasAnExample() {
    let tested = Set(ruleExamples.map(\.rule))
    let missing = classificationRules.map(\.id).filter { !tested.contains($0) }
    #expect(missing.isEmpty, "rules without an example: \(missing)")
}

@Test("a TLS failure no rule explains is unclassified and keeps its raw lines")
func unexplainedFailureIsUnclassified() throws {
    let log = starttlsSession("error:0A0000FF:SSL routines::something nobody has seen:../ssl/x.c:1:")
    let report = analyze(log)
    let event = try #require(report.events.first)
    #expect(event.cause == .unclassified)
    #expect(event.confidence == .low)
    #expect(event.lines.count == 4) // connect lines are not kept; the four failure lines are
    #expect(event.lines.contains { $0.text.contains("something nobody has seen") })
    #expect(report.summary.byCause[.unclassified] == 1)
}

@Test("a session whose process could not load its key inherits the start-up cause")
func sessionInheritsStartupCause() throws {
    let log = """
        Nov 29 03:35:52 mx postfix/nokey/smtpd[8603]: warning: cannot get RSA private key from file "/tmp/pfl/missing.pem": disabling TLS support
        Nov 29 03:35:52 mx postfix/nokey/smtpd[8603]: warning: TLS library problem: error:80000002:system library::No such file or directory:../crypto/bio/bss_file.c:297:calling fopen(/tmp/pfl/missing.pem, r):
        Nov 29 03:35:52 mx postfix/nokey/smtpd[8603]: connect from localhost[127.0.0.1]
        Nov 29 03:35:52 mx postfix/nokey/smtpd[8603]: lost connection after STARTTLS from localhost[127.0.0.1]
        Nov 29 03:35:52 mx postfix/nokey/smtpd[8603]: disconnect from localhost[127.0.0.1] ehlo=1 starttls=0/1 commands=1/2
        """
    let report = analyze(log)
    #expect(report.events.map(\.kind) == [.startup, .session])
    #expect(report.events.map(\.cause) == [.certificateUnreadable, .certificateUnreadable])
    #expect(report.events.last?.rule == "process-certificate-unreadable")
    #expect(report.events.last?.peer?.address == "127.0.0.1")
}
