import PostlsCore
import WizardCore

/// Canned wizard states for every step: the golden render tests use them, and `postls demo` (or a
/// screen preview) can show them without a mail server. The story: a Let's Encrypt certificate
/// served without its intermediate, port 25 raised to TLSv1.3 only (old MTAs fail), and the smtps
/// service pointing at an old key.
public enum DemoStates {
    public static let host = "mail.example.org"

    public static let listeners: [ListenerStatus] = [
        servingLeafOnly("smtp", 25, "203.0.113.25", .ipv4, acceptsTLSv12: false),
        servingLeafOnly("smtp", 25, "2001:db8::25", .ipv6, acceptsTLSv12: false),
        servingLeafOnly("submission", 587, "203.0.113.25", .ipv4, acceptsTLSv12: true),
        ListenerStatus(service: "smtps", port: 465, address: "203.0.113.25", family: .ipv4, mode: .implicit, tlsOK: false,
                       errorPhase: "handshake", errorMessage: "server closed the connection during the handshake (TLS disabled: key does not match certificate)",
                       cause: .keyMismatch, senders: senders { _ in
                           (.plaintext, ["TLS fails for every client: server closed the connection during the handshake (TLS disabled: key does not match certificate)",
                                         "an opportunistic sender delivers in plaintext instead"])
                       }),
    ]

    /// The named senders' verdicts as the probe gives them: those that get TLS get TLSv1.3; the rest say why not.
    private static func senders(_ without: (String) -> (SenderStatus.Outcome, [String])?) -> [SenderStatus] {
        [("gmail", "Gmail"), ("microsoft365", "Microsoft 365"), ("postfix", "Postfix 3.x default client"),
         ("postfix_dane", "Postfix 3.x with DANE"), ("legacy", "Legacy MTA")].map { id, label in
            if let (outcome, reasons) = without(id) { return SenderStatus(id: id, label: label, outcome: outcome, reasons: reasons) }
            return SenderStatus(id: id, label: label, outcome: .tls, protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384",
                                reasons: ["delivers over TLSv1.3 with TLS_AES_256_GCM_SHA384 without checking the certificate"])
        }
    }

    /// A STARTTLS listener serving cert.pem without its intermediate: the story's listeners differ only in where
    /// they listen and whether port 25's TLSv1.3-only floor applies.
    private static func servingLeafOnly(_ service: String, _ port: Int, _ address: String, _ family: ListenerStatus.Family,
                                        acceptsTLSv12: Bool) -> ListenerStatus {
        ListenerStatus(service: service, port: port, address: address, family: family, mode: .starttls, tlsOK: true,
                       protocolVersion: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", verifyCode: 20,
                       verifyMessage: "unable to get local issuer certificate", daysToExpiry: 61, cause: .incompleteChain,
                       protocolSupport: ["TLSv1": false, "TLSv1.1": false, "TLSv1.2": acceptsTLSv12, "TLSv1.3": true],
                       senders: senders { id in
                           id == "legacy" ? (.plaintext, ["the server rejects TLSv1, every version this sender offers (smtpd_tls_protocols)",
                                                          "an opportunistic sender delivers in plaintext instead"]) : nil
                       })
    }

    public static let findings: [ConfigFindingRow] = [
        ConfigFindingRow(severity: .critical, cause: .keyMismatch, file: "master.cf", line: 23, parameter: "smtpd_tls_key_file",
                         message: "smtps: -o smtpd_tls_key_file=/etc/ssl/private/old.key does not belong to the certificate; TLS on 465 is disabled"),
        ConfigFindingRow(severity: .critical, cause: .incompleteChain, file: "main.cf", line: 34, parameter: "smtpd_tls_cert_file",
                         message: "cert.pem holds only the leaf; serve fullchain.pem so peers can verify it"),
        ConfigFindingRow(severity: .warning, cause: .protocolMismatch, file: "main.cf", line: 41, parameter: "smtpd_tls_protocols",
                         message: ">=TLSv1.3 on port 25: senders limited to TLSv1.2 fail the handshake and may fall back to plaintext"),
        ConfigFindingRow(severity: .info, cause: .dhParameters, file: "main.cf", line: 45, parameter: "smtpd_tls_dh1024_param_file",
                         message: "custom DH parameters are not needed with Postfix 3.7; the setting can go"),
    ]

    public static let settings: [ConfigSettingRow] = [
        ConfigSettingRow(service: "smtp", parameter: "smtpd_tls_security_level", value: "may", source: "main.cf:31"),
        ConfigSettingRow(service: "smtp", parameter: "smtpd_tls_cert_file", value: "/etc/letsencrypt/live/mail.example.org/cert.pem", source: "main.cf:34"),
        ConfigSettingRow(service: "smtp", parameter: "smtpd_tls_key_file", value: "/etc/letsencrypt/live/mail.example.org/privkey.pem", source: "main.cf:35"),
        ConfigSettingRow(service: "smtp", parameter: "smtpd_tls_protocols", value: ">=TLSv1.3", source: "main.cf:41"),
        ConfigSettingRow(service: "smtp", parameter: "smtpd_tls_mandatory_protocols", value: ">=TLSv1.2", source: "default"),
        ConfigSettingRow(service: "smtp", parameter: "smtpd_tls_ciphers", value: "medium", source: "default"),
        ConfigSettingRow(service: "submission", parameter: "smtpd_tls_security_level", value: "encrypt", source: "master.cf:18 (-o)"),
        ConfigSettingRow(service: "submission", parameter: "smtpd_tls_cert_file", value: "/etc/letsencrypt/live/mail.example.org/cert.pem", source: "main.cf:34"),
        ConfigSettingRow(service: "smtps", parameter: "smtpd_tls_wrappermode", value: "yes", source: "master.cf:22 (-o)"),
        ConfigSettingRow(service: "smtps", parameter: "smtpd_tls_key_file", value: "/etc/ssl/private/old.key", source: "master.cf:23 (-o)"),
        ConfigSettingRow(service: "smtps", parameter: "smtpd_tls_security_level", value: "encrypt", source: "master.cf:21 (-o)"),
    ]

    public static let mainCF: [String] = [
        "# See /usr/share/postfix/main.cf.dist for a commented, more complete version",
        "smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)",
        "biff = no",
        "append_dot_mydomain = no",
        "readme_directory = no",
        "compatibility_level = 3.6",
        "",
        "# TLS parameters",
    ] + (9...30).map { "# (line \($0))" } + [
        "smtpd_tls_security_level = may",
        "smtpd_tls_loglevel = 1",
        "smtpd_tls_session_cache_database = btree:${data_directory}/smtpd_scache",
        "smtpd_tls_cert_file = /etc/letsencrypt/live/mail.example.org/cert.pem",
        "smtpd_tls_key_file = /etc/letsencrypt/live/mail.example.org/privkey.pem",
        "smtp_tls_CApath = /etc/ssl/certs",
        "smtp_tls_security_level = may",
        "smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache",
        "",
        "# Raised after an audit (ticket 4411)",
        "smtpd_tls_protocols = >=TLSv1.3",
        "smtpd_tls_mandatory_protocols = >=TLSv1.2",
        "",
        "",
        "smtpd_tls_dh1024_param_file = /etc/postfix/dh2048.pem",
        "myhostname = mail.example.org",
        "mydestination = $myhostname, localhost",
    ]

    public static let diagnoses: [DiagnosisRow] = [
        DiagnosisRow(cause: .keyMismatch, severity: .critical, confidence: .high,
                     summary: "smtps (port 465) has no TLS: its key file does not belong to the certificate",
                     evidence: [
                        "config  master.cf:23  -o smtpd_tls_key_file=/etc/ssl/private/old.key",
                        "log     142 times: cannot get RSA private key from file \"/etc/ssl/private/old.key\"",
                        "log     error:05800074:x509 certificate routines::key values mismatch",
                        "probe   smtps 465 203.0.113.25: server closed the connection during the handshake",
                     ],
                     fixIDs: ["smtps-key"]),
        DiagnosisRow(cause: .incompleteChain, severity: .critical, confidence: .high,
                     summary: "The certificate is served without its intermediate; verifying senders reject it",
                     evidence: [
                        "probe   smtp 25, submission 587: verify 20 (unable to get local issuer certificate)",
                        "config  main.cf:34  smtpd_tls_cert_file = …/mail.example.org/cert.pem (1 certificate)",
                        "file    /etc/letsencrypt/live/mail.example.org/fullchain.pem has leaf + R11",
                     ],
                     fixIDs: ["use-fullchain"]),
        DiagnosisRow(cause: .protocolMismatch, severity: .warning, confidence: .high,
                     summary: "Port 25 accepts only TLSv1.3: 37 sessions from older MTAs failed this week",
                     evidence: [
                        "config  main.cf:41  smtpd_tls_protocols = >=TLSv1.3",
                        "log     37 × SSL_accept error … unsupported protocol (21 distinct peers)",
                        "log     peers include mx1.old-mta.example, relay.bank.example",
                     ],
                     fixIDs: ["port25-protocols", "port25-protocols-default"]),
        DiagnosisRow(cause: .peerAborted, severity: .info, confidence: .medium,
                     summary: "12 peers (scanners) closed the connection during the handshake; usually harmless",
                     evidence: ["log     12 × SSL_accept error from unknown[…]: lost connection"],
                     fixIDs: []),
    ]

    public static let fixes: [FixRow] = [
        FixRow(id: "smtps-key", title: "Use the certificate's own key for smtps", kind: .configEdit,
               diff: diff("master.cf", "@@ -21,4 +21,3 @@", [
                   "   -o smtpd_tls_security_level=encrypt",
                   "   -o smtpd_tls_wrappermode=yes",
                   "-  -o smtpd_tls_key_file=/etc/ssl/private/old.key",
                   "   -o smtpd_sasl_auth_enable=yes",
               ]),
               commands: ["postfix check", "postfix reload"],
               impact: "smtps inherits main.cf's key; mail clients on 465 can connect again"),
        FixRow(id: "use-fullchain", title: "Serve the full chain (fullchain.pem)", kind: .configEdit,
               diff: mainCFDiff(line: 34, to: "smtpd_tls_cert_file = /etc/letsencrypt/live/mail.example.org/fullchain.pem"),
               commands: ["postfix check", "postfix reload"],
               impact: "all listeners serve leaf + intermediate; nothing else changes"),
        FixRow(id: "port25-protocols", title: "Accept TLSv1.2 on port 25 again", kind: .configEdit,
               diff: mainCFDiff(line: 41, to: "smtpd_tls_protocols = >=TLSv1.2"),
               commands: ["postfix reload"],
               impact: "21 peers seen in the log can use TLS again; submission/smtps keep their own floor"),
        FixRow(id: "port25-protocols-default", title: "Use Postfix's default protocols on port 25", kind: .configEdit,
               diff: mainCFDiff(line: 41, to: nil),
               commands: ["postfix reload"],
               impact: "port 25 accepts TLSv1 and newer (the default): opportunistic TLS never fails on version"),
    ]

    /// A unified diff of one hunk of `file`, as the fixes step shows it.
    private static func diff(_ file: String, _ hunk: String, _ lines: [String]) -> String {
        (["--- \(file)", "+++ \(file)", hunk] + lines).joined(separator: "\n")
    }

    /// The diff that changes line `line` of `mainCF` to `replacement` (nil: removes it), with a line of context
    /// either side: the fixes are edits of the file the config step shows.
    private static func mainCFDiff(line: Int, to replacement: String?) -> String {
        let added = replacement.map { ["+" + $0] } ?? []
        return diff("main.cf", "@@ -\(line - 1),3 +\(line - 1),\(2 + added.count) @@",
                    [" " + mainCF[line - 2], "-" + mainCF[line - 1]] + added + [" " + mainCF[line]])
    }

    /// A few dozen log events over four causes, in the formats Postfix 3.7 on OpenSSL 3 writes.
    public static func logEvents() -> [LogEventRow] {
        var events: [LogEventRow] = []
        let oldMTAs = [("mx1.old-mta.example", "198.51.100.7"), ("relay.bank.example", "198.51.100.40"),
                       ("mail.school.example", "192.0.2.81"), ("smtp.legacy-isp.example", "198.51.100.99")]
        for i in 0..<18 {
            let (name, addr) = oldMTAs[i % oldMTAs.count]
            events.append(event(String(format2: 28 - i / 6, 6 + i % 12, (i * 7) % 60, (i * 13) % 60), "postfix/smtpd", pid: 4121 + i * 3,
                                peer: (name, addr), service: "smtp", cause: .protocolMismatch, confidence: .high, [
                "connect from \(name)[\(addr)]",
                "SSL_accept error from \(name)[\(addr)]: -1",
                "warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1657:",
                "lost connection after STARTTLS from \(name)[\(addr)]",
                "disconnect from \(name)[\(addr)] ehlo=1 starttls=0/1 commands=1/2",
            ]))
        }
        for i in 0..<9 {
            let addr = "203.0.113.\(140 + i)"
            events.append(event(String(format2: 28 - i / 4, 9 + i, (i * 11) % 60, (i * 17) % 60), "postfix/smtps/smtpd", pid: 4410 + i,
                                peer: (nil, addr), service: "smtps", cause: .keyMismatch, confidence: .high, [
                "warning: cannot get RSA private key from file \"/etc/ssl/private/old.key\": disabling TLS support",
                "warning: TLS library problem: error:05800074:x509 certificate routines::key values mismatch:../crypto/x509/x509_cmp.c:405:",
                "warning: TLS handshake failed: Wrapper-mode request dropped from unknown[\(addr)]",
            ]))
        }
        for i in 0..<6 {
            let addr = "45.148.10.\(60 + i * 7)"
            events.append(event(String(format2: 27, 2 + i * 3, (i * 19) % 60, (i * 23) % 60), "postfix/smtpd", pid: 5120 + i,
                                peer: (nil, addr), service: "smtp", cause: .peerAborted, confidence: .medium, [
                "connect from unknown[\(addr)]",
                "SSL_accept error from unknown[\(addr)]: lost connection",
                "lost connection after STARTTLS from unknown[\(addr)]",
            ]))
        }
        events.append(event("Nov 26 17:42:09", "postfix/submission/smtpd", pid: 6001, peer: ("mta.partner.example", "192.0.2.200"),
                            service: "submission", cause: .unclassified, confidence: .low, [
            "SSL_accept error from mta.partner.example[192.0.2.200]: -1",
            "warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:../ssl/statem/statem_srvr.c:2220:",
        ]))
        return events
    }

    /// One event: `messages` as the syslog lines `program[pid]` wrote at `time`.
    private static func event(_ time: String, _ program: String, pid: Int, peer: (name: String?, address: String), service: String,
                              cause: Cause, confidence: Confidence, _ messages: [String]) -> LogEventRow {
        LogEventRow(time: time, peerName: peer.name, peerAddress: peer.address, service: service, cause: cause, confidence: confidence,
                    lines: messages.map { "\(time) mail \(program)[\(pid)]: \($0)" })
    }

    public static func logSummary(_ events: [LogEventRow]) -> LogTotals {
        var by: [Cause: Int] = [:]
        for e in events { by[e.cause, default: 0] += 1 }
        return LogTotals(linesRead: 48_213, linesSkipped: 0, byCause: by,
                          tlsEstablished: ["TLSv1.2": 1_904, "TLSv1.3": 6_611], sources: ["/var/log/mail.log", "/var/log/mail.log.1"])
    }

    /// Everything loaded, nothing applied: where the wizard is after its first second.
    public static func loaded(size: TerminalSize = TerminalSize(width: 80, height: 24)) -> WizardState {
        var s = WizardState(hostName: host, configDirectory: "/etc/postfix", size: size)
        let events = logEvents()
        s = reduce(s, .configLoaded(settings: settings, findings: findings)).0
        s = reduce(s, .probeFinished(listeners)).0
        s = reduce(s, .logsLoaded(LogEventList(events), logSummary(events))).0
        s = reduce(s, .diagnosesLoaded(diagnoses: diagnoses, fixes: fixes)).0
        return s
    }

    /// Every step in a state worth looking at, with a name for file names.
    public static func all(size: TerminalSize) -> [(name: String, state: WizardState)] {
        var out: [(String, WizardState)] = []
        let base = loaded(size: size)
        out.append(("starting", starting(size: size)))
        out.append(("overview", base))
        out.append(("overview-help", press(base, [.character("?")])))
        var config = base
        config.step = .config
        out.append(("config", press(config, [.down])))
        out.append(("config-file", reduce(press(config, [.down, .enter]), .fileLoaded(path: "/etc/postfix/main.cf", lines: mainCF)).0))

        var probe = base
        probe.step = .probe
        out.append(("probe", press(probe, [.down, .down, .down])))
        out.append(("probe-senders", probe))
        var probing = probe
        probing = reduce(probing, .key(.character("r"))).0
        probing = reduce(probing, .probeProgress(done: 2, total: 4, current: "submission 587 [203.0.113.25]")).0
        out.append(("probe-running", probing))

        var logs = base
        logs.step = .logs
        out.append(("logs", press(logs, [.down, .down])))
        out.append(("logs-event", press(logs, [.down, .down, .enter])))
        out.append(("logs-search", press(logs, [.character("/"), .character("b"), .character("a"), .character("n"), .character("k")])))
        out.append(("logs-filtered", press(logs, [.character("c"), .character("c"), .down])))

        var fixes = base
        fixes.step = .fixes
        out.append(("fixes", press(fixes, [.down])))
        out.append(("fixes-confirm", press(fixes, [.down, .enter])))

        out += applyStates(from: fixes)

        var report = base
        report.step = .report
        out.append(("report", report))
        out.append(("report-written", reduce(press(report, [.character("r"), .enter]), .reportWritten(path: "/tmp/postls-report.md")).0))

        out += dnsStates(from: base)
        out += setupStates(size: size)

        out.append(("too-small", reduce(base, .resize(width: 70, height: 20)).0))
        return out
    }

    private static func press(_ s: WizardState, _ keys: [WizardKey]) -> WizardState {
        keys.reduce(s) { reduce($0, .key($1)).0 }
    }

    /// `s` after the apply steps report `steps`, in order.
    private static func progress(_ s: WizardState, _ steps: [ApplyStepRow]) -> WizardState {
        steps.reduce(s) { reduce($0, .applyProgress($1)).0 }
    }

    /// The first second: probing and reading logs, nothing loaded yet.
    private static func starting(size: TerminalSize) -> WizardState {
        var starting = WizardState(hostName: host, configDirectory: "/etc/postfix", size: size)
        _ = starting.beginStartup()
        starting = reduce(starting, .probeStarted(total: 4)).0
        starting = reduce(starting, .probeResult(listeners[0])).0
        starting = reduce(starting, .probeProgress(done: 1, total: 4, current: "smtp 25 [2001:db8::25]")).0
        starting = reduce(starting, .logsProgress(linesRead: 1_250_000, file: "/var/log/mail.log.1")).0
        return starting
    }

    /// Applying the fix from the fixes step: running, done, rolled back, quitting, failed.
    private static func applyStates(from fixes: WizardState) -> [(String, WizardState)] {
        var out: [(String, WizardState)] = []
        let applying = progress(press(fixes, [.down, .enter, .character("y")]), [
            ApplyStepRow(id: "backup", label: "Back up the files", status: .done, detail: "main.cf.postls-20261128T091502"),
            ApplyStepRow(id: "write", label: "Write the change", status: .done, detail: "main.cf line 34"),
            ApplyStepRow(id: "check", label: "postfix check", status: .running),
        ])
        out.append(("apply-running", applying))
        var applied = progress(applying, [
            ApplyStepRow(id: "check", label: "postfix check", status: .done, detail: "no warnings"),
            ApplyStepRow(id: "reload", label: "postfix reload", status: .done, detail: "master reloaded"),
            ApplyStepRow(id: "reprobe", label: "Probe again", status: .done, detail: "3 of 4 listeners verify"),
        ])
        applied = reduce(applied, .applyFinished(succeeded: true, before: [
            "smtp 25 203.0.113.25        verify 20 unable to get local issuer certificate",
            "smtp 25 [2001:db8::25]      verify 20 unable to get local issuer certificate",
            "submission 587 203.0.113.25 verify 20 unable to get local issuer certificate",
        ], after: [
            "smtp 25 203.0.113.25        verify ok, TLSv1.3",
            "smtp 25 [2001:db8::25]      verify ok, TLSv1.3",
            "submission 587 203.0.113.25 verify ok, TLSv1.3",
        ], message: "The chain is complete on every listener that serves this certificate.")).0
        out.append(("apply-done", applied))
        let before = applied.apply.before
        let rollingBack = press(applied, [.character("r"), .character("y")])
        out.append(("apply-rolled-back", reduce(rollingBack, .rollbackFinished(succeeded: true, after: before,
                                                                               message: "restored main.cf from main.cf.postls-20261128T091502; reloaded Postfix")).0))
        // Someone renewed the certificate meanwhile: the rollback restored the files, not the TLS of before.
        out.append(("apply-rollback-differs", reduce(rollingBack, .rollbackFinished(succeeded: true, after: [before[0], "smtp 25 [2001:db8::25]      verify 10 certificate has expired", before[2]],
                                                                                    message: "restored main.cf from main.cf.postls-20261128T091502; reloaded Postfix")).0))
        out.append(("quit-confirm", press(applying, [.character("q")])))
        var failed = progress(applying, [
            ApplyStepRow(id: "check", label: "postfix check", status: .failed, detail: "postfix/postfix-script: fatal: cannot read fullchain.pem"),
            ApplyStepRow(id: "reload", label: "postfix reload", status: .skipped),
            ApplyStepRow(id: "reprobe", label: "Probe again", status: .skipped),
        ])
        failed = reduce(failed, .applyFinished(succeeded: false, before: [], after: [],
                                               message: "postfix check failed, so Postfix was not reloaded.")).0
        out.append(("apply-failed", failed))
        return out
    }

    // MARK: DNS

    /// example.org's DNS after a renewal: the TLSA record still pins the old key (stale), MTA-STS in testing mode
    /// covers the MX, no TLS-RPT record.
    public static let dnsRecords: [String] = [
        "_25._tcp.mail.example.org. 3600 IN TLSA (",
        "        3 1 1",
        "        8f4d2c7a91e0b3f6d5c4a3b2e1f09876a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0 )",
    ]

    public static let dnsView = DNSView(
        domain: "example.org", resolver: "127.0.0.53:53", dnssec: "secure",
        mx: [
            DNSView.MX(host: "mail.example.org", preference: 10, addresses: ["203.0.113.25", "2001:db8::25"], isThisServer: true, lines: [
                DNSView.Line(.ok, "certificate", "covers mail.example.org, verifies, key 8f4d2c7a91e0b3f6…"),
                DNSView.Line(.critical, "TLSA", "1 record: STALE, match neither the served key nor the key on disk"),
            ]),
            DNSView.MX(host: "backup-mx.example.net", preference: 20, addresses: ["198.51.100.7"], isThisServer: false, lines: [
                DNSView.Line(.ok, "certificate", "covers backup-mx.example.net, verifies, key 1a2b3c4d5e6f7a8b…"),
                DNSView.Line(.none, "TLSA", "none published (the zone is signed: DANE could be used)"),
            ]),
        ],
        policies: [
            DNSView.Line(.ok, "MTA-STS", "testing, covers every MX (mail.example.org, backup-mx.example.net)"),
            DNSView.Line(.warning, "TLS-RPT", "no _smtp._tls record: senders cannot report TLS failures"),
        ],
        findings: [
            DNSView.Finding(severity: .critical, cause: .daneMismatch,
                            message: "no TLSA record at _25._tcp.mail.example.org matches the certificate chain it serves (leaf SPKI SHA-256 8f4d2c7a…) nor the key on disk: the records are stale: DANE senders defer mail"),
        ],
        records: dnsRecords + ["_smtp._tls.example.org. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:tls-reports@example.org\""])

    public static let dnsDiagnosis = DiagnosisRow(
        cause: .daneMismatch, severity: .critical, confidence: .high,
        summary: "no TLSA record at _25._tcp.mail.example.org matches the certificate chain it serves: DANE senders defer mail",
        evidence: ["dns dns mail.example.org: no TLSA record at _25._tcp.mail.example.org matches the certificate chain it serves (leaf SPKI SHA-256 8f4d2c7a…) nor the key on disk: the records are stale"],
        fixIDs: ["dane_mismatch-4be1d0"])

    public static let dnsFix = FixRow(id: "dane_mismatch-4be1d0", title: "Publish TLSA at _25._tcp.mail.example.org", kind: .dnsRecord,
                                      diff: nil, commands: [], impact: "", runsItself: false, records: dnsRecords)

    // MARK: Setup

    public static let setupSources: [SetupSource] = [
        SetupSource(kind: .files(certificate: "/etc/letsencrypt/live/mail.example.org/fullchain.pem", key: "/etc/letsencrypt/live/mail.example.org/privkey.pem"),
                    title: "/etc/letsencrypt/live/mail.example.org/fullchain.pem", detail: "Let's Encrypt: covers mail.example.org, until 2027-02-04", usable: true),
        SetupSource(kind: .files(certificate: "/etc/ssl/certs/ssl-cert-snakeoil.pem", key: "/etc/ssl/private/ssl-cert-snakeoil.key"),
                    title: "/etc/ssl/certs/ssl-cert-snakeoil.pem", detail: "it does not cover mail.example.org (names: debian)", usable: false),
        SetupSource(kind: .csr, title: "A CSR for a certificate authority",
                    detail: "a new key and a request to send; TLS starts once the CA's certificate is installed", usable: true),
        SetupSource(kind: .selfSigned, title: "Self-signed stopgap",
                    detail: "encrypts now, but senders that verify (DANE, MTA-STS) refuse it: replace it soon", usable: true),
    ]

    public static let setupPlan = SetupPlanView(
        certificate: "use /etc/letsencrypt/live/mail.example.org/fullchain.pem with key /etc/letsencrypt/live/mail.example.org/privkey.pem (Let's Encrypt, CN=mail.example.org, until 2027-02-04T08:11:02Z)",
        notes: ["host name mail.example.org (from myhostname, main.cf:12)"], fileActions: [],
        diff: """
            --- a/main.cf
            +++ b/main.cf
            @@ -40,0 +41,4 @@
            +smtpd_tls_security_level = may
            +smtpd_tls_chain_files = /etc/letsencrypt/live/mail.example.org/privkey.pem, /etc/letsencrypt/live/mail.example.org/fullchain.pem
            +smtp_tls_security_level = may
            +smtpd_tls_loglevel = 1
            --- a/master.cf
            +++ b/master.cf
            @@ -17,0 +18,6 @@
            +submission inet n       -       y       -       -       smtpd
            +  -o smtpd_tls_security_level=encrypt
            +  -o smtpd_sasl_auth_enable=yes
            +submissions inet n       -       y       -       -       smtpd
            +  -o smtpd_tls_wrappermode=yes
            +  -o smtpd_sasl_auth_enable=yes
            """,
        dovecotChanges: ["conf.d/10-ssl.conf:6: ssl_cert = </etc/letsencrypt/live/mail.example.org/fullchain.pem"],
        dovecotDiff: "", expectations: ["port 25: STARTTLS offered (may)", "submission: STARTTLS required (encrypt)", "submissions: TLS from the first byte (wrapper mode)"],
        records: ["_25._tcp.mail.example.org. 3600 IN TLSA (", "        3 1 1", "        8f4d2c7a91e0b3f6d5c4a3b2e1f09876a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0 )"],
        isEmpty: false, enablesTLS: true)

    public static let setupAfter = [
        "127.0.0.1:25  TLSv1.3 TLS_AES_256_GCM_SHA384, verify 0, accepts TLSv1.2 TLSv1.3",
        "127.0.0.1:587  TLSv1.3 TLS_AES_256_GCM_SHA384, verify 0, accepts TLSv1.2 TLSv1.3",
        "127.0.0.1:465  TLSv1.3 TLS_AES_256_GCM_SHA384, verify 0, accepts TLSv1.2 TLSv1.3",
    ]

    /// A server without TLS: the Overview leads to Setup; the sources, the plan, the confirmation.
    private static func setupStates(size: TerminalSize) -> [(String, WizardState)] {
        var s = WizardState(hostName: host, configDirectory: "/etc/postfix", size: size)
        s = reduce(s, .configLoaded(settings: [], findings: [])).0
        let bare = listeners.filter { $0.port == 25 }.map { l -> ListenerStatus in
            var l = l
            (l.tlsOK, l.protocolVersion, l.cipher, l.verifyCode, l.verifyMessage, l.cause) = (false, nil, nil, nil, nil, .starttlsUnavailable)
            (l.errorPhase, l.errorMessage) = ("ehlo", "the server does not offer STARTTLS")
            return l
        }
        s = reduce(s, .probeFinished(bare)).0
        s = reduce(s, .logsLoaded(LogEventList([]), LogTotals(linesRead: 1_204))).0
        s = reduce(s, .diagnosesLoaded(diagnoses: [DiagnosisRow(cause: .starttlsUnavailable, severity: .critical, confidence: .high,
                                                                 summary: "No listener offers STARTTLS: no certificate is configured",
                                                                 evidence: ["probe 203.0.113.25:25: the server does not offer STARTTLS"], fixIDs: [])], fixes: [])).0
        var out: [(String, WizardState)] = [("overview-no-tls", s)]
        s = reduce(press(s, [.character("s")]), .setupSources(setupSources)).0
        out.append(("setup-sources", s))
        s = reduce(press(s, [.enter]), .setupPlanned(setupPlan)).0
        out.append(("setup-plan", s))
        out.append(("setup-help", press(s, [.character("?")])))
        out.append(("setup-confirm", press(s, [.enter])))
        var applied = press(s, [.enter, .character("y")])
        for row in ApplyStepRow.setupSteps {
            var done = row
            done.status = row.id == "files" ? .skipped : .done
            applied = reduce(applied, .applyProgress(done)).0
        }
        applied = reduce(applied, .applyFinished(succeeded: true, before: [], after: setupAfter, message: "Set up (journal 20261207T162301). Press r to roll back.")).0
        out.append(("setup-applied", applied))
        return out
    }

    /// The DNS step: choosing among main.cf's domains, the stale-TLSA result, its help; the DNS problem on Fixes.
    private static func dnsStates(from base: WizardState) -> [(String, WizardState)] {
        var choose = reduce(base, .dnsCandidates(["example.org", "example.net", "lists.example.org"])).0
        choose.step = .dns
        var out: [(String, WizardState)] = [("dns-choose", choose)]
        var checked = reduce(press(choose, [.enter]), .dnsLoaded(dnsView)).0
        checked = reduce(checked, .diagnosesLoaded(diagnoses: [dnsDiagnosis] + diagnoses, fixes: [dnsFix] + fixes)).0
        out.append(("dns", checked))
        out.append(("dns-help", press(checked, [.character("?")])))
        var overview = checked
        overview.step = .overview
        out.append(("overview-dns", overview))
        var fixesStep = checked
        fixesStep.step = .fixes
        out.append(("fixes-dns", press(fixesStep, [.tab, .pageDown])))
        return out
    }

}

extension String {
    /// "Nov 28 06:07:13": the syslog time stamp, built without Foundation's formatters.
    init(format2 day: Int, _ hour: Int, _ minute: Int, _ second: Int) {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        self = "Nov \(two(day)) \(two(hour % 24)):\(two(minute)):\(two(second))"
    }
}
