import Foundation

/// A mail log in Debian's syslog format with the failures the demo configuration causes, spread over the
/// last day: legacy senders refused by the TLS 1.2 floor on port 25, mail clients rejecting the chain
/// without its intermediate, a plaintext client on 465, scanners; and a majority of sessions that work.
enum DemoLog {
    static func text(now: Date, hostField: String) -> String {
        var generator = SystemRandomNumberGenerator()
        var lines: [(Date, String)] = []
        var pid = 21000
        func session(_ at: Date, program: String, peer: String, body: [String]) {
            pid += Int.random(in: 3...40, using: &generator)
            let p = "\(program)[\(pid)]"
            lines.append((at, "\(p): connect from \(peer)"))
            for (i, b) in body.enumerated() { lines.append((at.addingTimeInterval(Double(i + 1) * 0.05), "\(p): \(b)")) }
        }
        let legacy = ["mx1.oldbank.example[192.0.2.25]", "relay.legacy-erp.example[198.51.100.7]", "smtp.printer-fleet.example[203.0.113.80]"]
        let modern = ["mail-wi0-x230.google.com[2a00:1450:400c:c05::230]", "mail-ot1-f41.google.com[209.85.210.41]",
                      "mail-eopbgr80094.outbound.protection.outlook.com[40.107.8.94]", "mx.mailbox.example[192.0.2.140]",
                      "smtp.partner.example[198.51.100.33]"]
        // The failing sessions, each in the hours where hour % every == at, `offset` seconds into the hour:
        // what smtpd logs between its SSL_accept error and the disconnect.
        let failures: [(every: Int, at: Int, offset: Double, program: String, peer: (Int) -> String, acceptError: String,
                        library: String?, after: String, commands: String)] = [
            // Legacy senders offering only TLS 1.0/1.1, refused by smtpd_tls_protocols = >=TLSv1.2.
            (2, 0, 900, "postfix/smtpd", { legacy[($0 / 2) % legacy.count] }, "-1",
             "error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1657:", "STARTTLS", "ehlo=1 starttls=0/1 commands=1/2"),
            // A mail client on 465 that verifies the chain: no intermediate, so "unknown ca".
            (3, 1, 1500, "postfix/submissions/smtpd", { _ in "unknown[203.0.113.50]" }, "-1",
             "error:0A000418:SSL routines::tlsv1 alert unknown ca:../ssl/record/rec_layer_s3.c:1584:SSL alert number 48:", "CONNECT", "commands=0/0"),
            // A client speaking plaintext SMTP to the implicit-TLS port.
            (6, 3, 2100, "postfix/submissions/smtpd", { _ in "laptop.home.example[198.51.100.201]" }, "-1",
             "error:0A00010B:SSL routines::wrong version number:../ssl/record/ssl3_record.c:354:", "CONNECT", "commands=0/0"),
            // Scanners closing mid-handshake: noise.
            (4, 2, 2700, "postfix/smtpd", { _ in "scanner.example[192.0.2.250]" }, "lost connection", nil, "STARTTLS", "ehlo=1 starttls=0/1 commands=1/2"),
        ]
        for hour in 0..<24 {
            let base = now.addingTimeInterval(-Double(24 - hour) * 3600)
            // Working senders: most of the traffic.
            for i in 0..<6 {
                let peer = modern[(hour + i) % modern.count]
                let v13 = (hour + i) % 4 != 0
                session(base.addingTimeInterval(Double(i) * 420), program: "postfix/smtpd", peer: peer, body: [
                    v13 ? "Anonymous TLS connection established from \(peer): TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ECDSA (P-256) server-digest SHA256"
                        : "Anonymous TLS connection established from \(peer): TLSv1.2 with cipher ECDHE-ECDSA-AES256-GCM-SHA384 (256/256 bits)",
                    "disconnect from \(peer) ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7",
                ])
            }
            for failure in failures where hour % failure.every == failure.at {
                let peer = failure.peer(hour)
                var body = ["SSL_accept error from \(peer): \(failure.acceptError)"]
                if let library = failure.library { body.append("warning: TLS library problem: \(library)") }
                body += ["lost connection after \(failure.after) from \(peer)", "disconnect from \(peer) \(failure.commands)"]
                session(base.addingTimeInterval(failure.offset), program: failure.program, peer: peer, body: body)
            }
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "MMM d HH:mm:ss"
        return lines.sorted { $0.0 < $1.0 }.map { date, text in
            var stamp = formatter.string(from: date)
            // syslog pads the day to two characters: "Nov  3".
            let parts = stamp.split(separator: " ")
            if parts.count == 3, parts[1].count == 1 { stamp = "\(parts[0])  \(parts[1]) \(parts[2])" }
            return "\(stamp) \(hostField) \(text)"
        }.joined(separator: "\n") + "\n"
    }
}
