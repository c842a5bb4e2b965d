import Foundation
import MailDNS
import MailLog
import PostfixConfig
import PostlsCore
import TLSKit
import TLSProbe

/// A support-ticket report of everything postls gathered: versions, effective TLS settings per listener,
/// configuration findings, probe results, the log summary and the diagnoses with evidence and fixes.
/// Never contains key material (redacted or not); with `redact` every host name, domain, address and
/// mail address is replaced by a consistent placeholder. No UI: `postls report` and the wizard's Report step call it.
public enum SupportReport {
    /// The versions a support desk asks for first.
    public struct Versions: Sendable, Equatable {
        public var postls: String
        public var postfix: String?
        public var dovecot: String?
        public var openssl: String

        public init(postls: String = PostlsVersion.string, postfix: String?, dovecot: String?, openssl: String = OpenSSLInfo.versionText) {
            self.postls = postls; self.postfix = postfix; self.dovecot = dovecot; self.openssl = openssl
        }

        /// Postfix's version from the gathered data; Dovecot's from `dovecot --version` when it is installed.
        public static func collect(gathered: Gathered, runner: ProcessRunner = SystemProcessRunner()) -> Versions {
            var dovecot: String? = nil
            if findExecutable("dovecot") != nil, let out = try? runner.run("dovecot", ["--version"], timeout: 10), out.succeeded {
                dovecot = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return Versions(postfix: gathered.postfixVersion, dovecot: dovecot)
        }
    }

    /// A certificate a listener is configured with, described (never its file's contents).
    public struct ConfiguredCertificate: Sendable {
        public var file: String
        public var info: CertificateInfo?
        public var error: String?
    }

    /// The report as Markdown. `dovecotConfig` is the file the gathering read (`DovecotDefault`), nil for none.
    public static func markdown(gathered: Gathered, redact: Bool, versions: Versions? = nil, now: Date = Date(),
                                dovecotConfig: String?) -> String {
        let v = versions ?? Versions.collect(gathered: gathered)
        let dovecot = dovecotConfig.flatMap { try? DovecotConfig(path: $0) }
        let text = renderMarkdown(gathered: gathered, versions: v, redacted: redact, now: now, dovecot: dovecot)
        var out: String
        if redact {
            var redactor = redactor(for: gathered)
            out = redactor.redact(text)
        } else {
            out = KeyMaterial.strip(text)
        }
        // Version strings (2.3.19.1) look like addresses to the generic pass: the table goes in after redaction.
        out = out.replacingOccurrences(of: versionsToken, with: KeyMaterial.strip(versionsTable(v)))
        return out
    }

    static let versionsToken = "@@POSTLS_VERSIONS@@"

    static func versionsTable(_ versions: Versions) -> String {
        var out = "## Versions\n\n| Component | Version |\n|---|---|\n"
        out += "| postls | \(cell(versions.postls)) |\n| Postfix | \(cell(versions.postfix ?? "unknown")) |\n"
        out += "| Dovecot | \(cell(versions.dovecot ?? "not installed")) |\n| OpenSSL | \(cell(versions.openssl)) |\n\n"
        return out
    }

    /// The report as JSON (UTF-8, pretty-printed, keys sorted).
    public static func json(gathered: Gathered, redact: Bool, versions: Versions? = nil, now: Date = Date(),
                            dovecotConfig: String?) throws -> Data {
        let v = versions ?? Versions.collect(gathered: gathered)
        var object: Any = jsonObject(gathered: gathered, versions: v, redacted: redact, now: now,
                                     dovecot: dovecotConfig.flatMap { try? DovecotConfig(path: $0) })
        if redact {
            var redactor = redactor(for: gathered)
            object = redactor.redact(json: object)
        } else {
            object = stripKeys(object)
        }
        // Version strings (2.3.19.1) look like addresses to the generic pass: they go in after redaction.
        if var dictionary = object as? [String: Any] {
            dictionary["versions"] = stripKeys(["postls": v.postls, "postfix": v.postfix ?? NSNull(), "dovecot": v.dovecot ?? NSNull(), "openssl": v.openssl] as [String: Any])
            object = dictionary
        }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// A redactor that knows every name and address in the gathered data.
    public static func redactor(for gathered: Gathered) -> Redactor {
        var r = Redactor()
        if let c = gathered.configuration {
            r.learn(host: c.value("myhostname"))
            r.learn(domain: c.value("mydomain"))
            for name in ["mydestination", "relay_domains", "virtual_mailbox_domains", "virtual_alias_domains", "masquerade_domains"] {
                r.learn(namesIn: c.value(name), asDomains: true)
            }
            for name in ["relayhost", "smtp_helo_name", "fallback_relay", "smtp_fallback_relay", "myorigin", "mynetworks", "inet_interfaces"] {
                r.learn(namesIn: c.value(name), asDomains: false)
            }
            for listener in c.smtpdListeners { if let host = listener.listen.host { r.learn(namesIn: host, asDomains: false) } }
        }
        for cert in configuredCertificates(gathered) {
            guard let info = cert.info else { continue }
            for name in info.san { r.learn(namesIn: name, asDomains: false) }
            if let cn = info.commonName { r.learn(namesIn: cn, asDomains: false) }
            r.learn(literal: info.sha256, kind: "sha256-fingerprint-")
            r.learn(literal: info.spkiSHA256, kind: "spki-sha256-")
            for organization in attributes(["O", "OU"], of: info.subject) { r.learn(literal: organization, kind: "organization") }
        }
        for target in gathered.probe?.targets ?? [] {
            r.learn(namesIn: target.host, asDomains: false)
            r.learn(address: target.address)
            if let name = target.expectedName { r.learn(host: name) }
            for (index, cert) in target.chain.enumerated() {
                for name in cert.san { r.learn(namesIn: name, asDomains: false) }
                r.learn(literal: cert.sha256, kind: "sha256-fingerprint-")
                if index == 0 { for organization in attributes(["O", "OU"], of: cert.subject) { r.learn(literal: organization, kind: "organization") } }
            }
            if let greeting = target.greeting, let word = greeting.split(separator: " ").dropFirst().first { r.learn(host: String(word)) }
        }
        for event in gathered.logReport?.events ?? [] {
            r.learn(host: event.host)
            if let peer = event.peer {
                if peer.name != "unknown" { r.learn(host: peer.name) }
                r.learn(address: peer.address)
            }
        }
        for domain in gathered.logReport?.summary.byPeerDomain.keys.sorted() ?? [] { r.learn(domain: domain) }
        for usage in gathered.logReport?.summary.peerProtocols ?? [] {
            if let peer = Peer.parse(namaddr: Substring(usage.peer)) {
                if peer.name != "unknown" { r.learn(host: peer.name) }
                r.learn(address: peer.address)
            } else {
                r.learn(namesIn: usage.peer, asDomains: false)
            }
        }
        var buffer = [CChar](repeating: 0, count: 256)
        if gethostname(&buffer, buffer.count) == 0 {
            r.learn(host: String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return r
    }

    /// Values of RFC 2253 name attributes (`O=Example Corp,CN=...`), escapes kept as written.
    static func attributes(_ keys: Set<String>, of name: String) -> [String] {
        var out: [String] = []
        var current = "", escaped = false
        var parts: [String] = []
        for ch in name {
            if escaped { current.append(ch); escaped = false; continue }
            if ch == "\\" { escaped = true; continue }
            if ch == "," { parts.append(current); current = ""; continue }
            current.append(ch)
        }
        parts.append(current)
        for part in parts {
            guard let eq = part.firstIndex(of: "=") else { continue }
            if keys.contains(part[..<eq].trimmingCharacters(in: .whitespaces)) {
                out.append(part[part.index(after: eq)...].trimmingCharacters(in: .whitespaces))
            }
        }
        return out
    }

    /// Every certificate file the listeners name, described.
    public static func configuredCertificates(_ gathered: Gathered) -> [ConfiguredCertificate] {
        guard let c = gathered.configuration else { return [] }
        var files: [String] = []
        for listener in c.smtpdListeners {
            // chain_files lists the key first: only certificates are read out of every file.
            for file in listener.tls.cert_files where !files.contains(file) { files.append(file) }
        }
        return files.map { file in
            do {
                let certs = try Certificate.load(pemFile: file)
                return ConfiguredCertificate(file: file, info: certs.first?.info, error: nil)
            } catch {
                return ConfiguredCertificate(file: file, info: nil, error: "\(error)")
            }
        }
    }

    private static func stripKeys(_ value: Any) -> Any {
        switch value {
        case let s as String: return KeyMaterial.strip(s)
        case let array as [Any]: return array.map(stripKeys)
        case let object as [String: Any]:
            var out: [String: Any] = [:]
            for (key, item) in object { out[KeyMaterial.strip(key)] = stripKeys(item) }
            return out
        default: return value
        }
    }

    // MARK: - JSON

    static func jsonObject(gathered: Gathered, versions: Versions, redacted: Bool, now: Date, dovecot: DovecotConfig?) -> [String: Any] {
        func orNull(_ v: Any?) -> Any { v ?? NSNull() }
        var object: [String: Any] = [
            "report_version": 1,
            "generated": TimeFormat.iso8601(now),
            "redacted": redacted,
            "versions": ["postls": versions.postls, "postfix": orNull(versions.postfix), "dovecot": orNull(versions.dovecot), "openssl": versions.openssl],
            "config_directory": orNull(gathered.configuration?.directory),
            "config_error": orNull(gathered.configError),
        ]
        let listeners: [[String: Any]] = (gathered.configuration?.smtpdListeners ?? []).map { l in
            let t = l.tls
            return [
                "service": l.service.name, "type": l.service.type, "listen": l.listen.service, "host": orNull(l.listen.host),
                "port": orNull(l.listen.port), "line": l.service.line,
                "tls": ["security_level": t.security_level, "wrappermode": t.wrappermode, "protocols": t.protocols,
                        "mandatory_protocols": t.mandatory_protocols, "ciphers": t.ciphers, "mandatory_ciphers": t.mandatory_ciphers,
                        "exclude_ciphers": t.exclude_ciphers, "cert_files": t.cert_files, "key_files": t.key_files,
                        "chain_files": t.chain_files, "auth_only": t.auth_only] as [String: Any],
                "sources": l.sources.mapValues(\.description),
            ]
        }
        object["listeners"] = listeners
        object["certificates"] = configuredCertificates(gathered).map { cert -> [String: Any] in
            var o: [String: Any] = ["file": cert.file, "error": orNull(cert.error)]
            if let i = cert.info {
                o["subject"] = i.subject; o["issuer"] = i.issuer; o["san"] = i.san; o["key"] = i.key
                o["not_before"] = TimeFormat.iso8601(i.notBefore); o["not_after"] = TimeFormat.iso8601(i.notAfter)
                o["days_to_expiry"] = i.daysUntilExpiry(from: now); o["sha256"] = i.sha256; o["self_issued"] = i.isSelfIssued
            }
            return o
        }
        object["findings"] = gathered.findings.sortedForReport().map { f -> [String: Any] in
            ["id": f.id, "cause": f.cause.rawValue, "severity": f.severity.rawValue, "file": orNull(f.file), "line": orNull(f.line),
             "parameter": orNull(f.parameter), "message": f.message, "fix": orNull(f.fix?.summary)]
        }
        if let probe = gathered.probe, let data = try? JSONEncoder().encode(probe), let decoded = try? JSONSerialization.jsonObject(with: data) {
            object["probe"] = decoded
        } else {
            object["probe"] = NSNull()
        }
        if let logs = gathered.logReport {
            let s = logs.summary
            object["logs"] = [
                "files": gathered.logFiles, "lines_read": s.linesRead, "lines_skipped": s.linesSkipped, "events": s.events,
                "by_cause": Dictionary(uniqueKeysWithValues: s.byCause.map { ($0.key.rawValue, $0.value) }),
                "by_peer_domain": s.byPeerDomain, "by_service": s.byService,
                "tls_established": s.tlsEstablished, "tls_ciphers": s.tlsCiphers,
                "first_seen": orNull(s.firstSeen.map(TimeFormat.iso8601)), "last_seen": orNull(s.lastSeen.map(TimeFormat.iso8601)),
                "warnings": s.warnings,
            ] as [String: Any]
        } else {
            object["logs"] = NSNull()
        }
        object["log_error"] = orNull(gathered.logError)
        if let dovecot {
            var settings: [String: Any] = ["config": dovecot.path]
            for (name, value) in dovecotGlobalSettings(dovecot) { settings[name] = orNull(value) }
            for filter in dovecotFilterSettings(dovecot) {
                for setting in filter.settings { settings["\(setting.key) (\(filter.criteria))"] = setting.value }
            }
            object["dovecot"] = settings
        } else {
            object["dovecot"] = NSNull()
        }
        let report = gathered.report.jsonObject
        object["diagnoses"] = report["diagnoses"]
        object["fixes"] = report["fixes"]
        object["limitations"] = report["limitations"]
        object["exit_code"] = Int(gathered.report.exitCode.rawValue)
        return object
    }

    // MARK: - Dovecot

    /// Dovecot's global ssl settings as written (2.3 or 2.4 names, whichever the configuration uses), nil when unset.
    static func dovecotGlobalSettings(_ dovecot: DovecotConfig) -> [(name: String, value: String?)] {
        dovecot.sslSettingNames.map { name in
            let setting = dovecot.globalSSLSetting(name)
            return (setting?.key ?? name, setting?.value)
        }
    }

    /// The `protocol`, `local`, `remote` and `local_name` filters that set one of those settings otherwise.
    static func dovecotFilterSettings(_ dovecot: DovecotConfig) -> [(criteria: FilterCriteria, settings: [DovecotConfig.Setting])] {
        dovecot.filterSettings(dovecot.sslSettingNames.flatMap(DovecotFixPlanner.spellings))
    }

    // MARK: - Markdown

    static func cell(_ s: String) -> String {
        s.isEmpty ? "-" : s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func renderMarkdown(gathered: Gathered, versions: Versions, redacted: Bool, now: Date, dovecot: DovecotConfig?) -> String {
        var out = "# postls support report\n\n"
        out += "Generated \(TimeFormat.iso8601(now)) by postls \(versions.postls)"
        out += redacted ? ". Host names, domains, addresses and mail addresses are replaced by placeholders.\n" : ".\n"
        out += "Private keys are never included.\n\n"

        let active = gathered.report.diagnoses.filter { $0.status == .active }
        let worst = active.map(\.severity).max()
        out += "**Summary:** \(active.count) active problem\(active.count == 1 ? "" : "s")"
        out += worst.map { " (worst: \($0.rawValue))" } ?? ""
        out += ", \(gathered.findings.count) configuration finding\(gathered.findings.count == 1 ? "" : "s")"
        out += ", \(gathered.probe?.targets.count ?? 0) listener\(gathered.probe?.targets.count == 1 ? "" : "s") probed"
        out += ", \(gathered.logReport?.summary.events ?? 0) TLS failure\(gathered.logReport?.summary.events == 1 ? "" : "s") in the logs.\n\n"

        out += versionsToken

        out += "## Effective TLS settings per listener\n\n"
        if let c = gathered.configuration {
            out += "Configuration directory: `\(c.directory)`\n\n"
            let listeners = c.smtpdListeners
            if listeners.isEmpty { out += "No smtpd service in master.cf.\n\n" } else {
                out += "| Service | master.cf | Level | Wrapper mode | Protocols | Mandatory protocols | Ciphers | Mandatory ciphers | Certificate files |\n"
                out += "|---|---|---|---|---|---|---|---|---|\n"
                for l in listeners {
                    let t = l.tls
                    out += "| \(cell(l.service.name))/\(l.service.type) | \(l.service.line) | \(t.security_level) | \(t.wrappermode ? "yes" : "no")"
                    out += " | \(cell(t.protocols)) | \(cell(t.mandatory_protocols)) | \(cell(t.ciphers)) | \(cell(t.mandatory_ciphers))"
                    out += " | \(cell((t.chain_files.isEmpty ? t.cert_files : t.chain_files).joined(separator: ", "))) |\n"
                }
                out += "\n"
            }
        } else {
            out += "The configuration could not be read: \(gathered.configError ?? "unknown error")\n\n"
        }
        let certs = configuredCertificates(gathered)
        if !certs.isEmpty {
            out += "### Configured certificates\n\n"
            for cert in certs {
                out += "- `\(cert.file)`: "
                if let i = cert.info {
                    out += "subject `\(i.subject)`, issuer `\(i.issuer)`, names \(i.san.isEmpty ? "-" : i.san.joined(separator: ", ")), "
                    out += "\(i.key), expires \(TimeFormat.iso8601(i.notAfter)) (\(i.daysUntilExpiry(from: now)) days)"
                    out += i.isSelfIssued ? ", self-signed" : ""
                    out += ", SHA-256 `\(i.sha256)`\n"
                } else {
                    out += "cannot be read: \(cert.error ?? "unknown error")\n"
                }
            }
            out += "\n"
        }

        if let dovecot {
            out += "### Dovecot\n\n`\(dovecot.path)` (with its includes): "
            out += dovecotGlobalSettings(dovecot).map { "`\($0.name) = \($0.value ?? "(default)")`" }.joined(separator: ", ") + "\n\n"
            let filters = dovecotFilterSettings(dovecot)
            for filter in filters {
                out += "- in `\(filter.criteria)` (`\(filter.settings[0].file)` line \(filter.settings[0].line)): "
                out += filter.settings.map { "`\($0.key) = \($0.value)`" }.joined(separator: ", ") + "\n"
            }
            if !filters.isEmpty { out += "\n" }
        }

        out += "## Configuration findings\n\n"
        if gathered.findings.isEmpty { out += "None.\n\n" }
        for f in gathered.findings.sortedForReport() {
            out += "- **\(f.severity.rawValue)** `\(f.id)` (\(f.cause.rawValue))\(f.location.map { " at \($0)" } ?? "")"
            out += f.parameter.map { ", `\($0)`" } ?? ""
            out += ": \(f.message)"
            out += f.fix.map { " Fix: \($0.summary)." } ?? ""
            out += "\n"
        }
        if !gathered.findings.isEmpty { out += "\n" }

        out += "## Probe results\n\n"
        if let probe = gathered.probe, !probe.targets.isEmpty {
            out += "| Listener | Mode | STARTTLS | Negotiated | TLSv1 | TLSv1.1 | TLSv1.2 | TLSv1.3 | Verify | Name match | Expires in | Error |\n"
            out += "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
            for t in probe.targets {
                let address = t.address.contains(":") ? "[\(t.address)]" : t.address
                out += "| \(cell(t.host)) \(address):\(t.port) | \(t.mode.rawValue) | \(t.starttlsOffered.map { $0 ? "offered" : "not offered" } ?? "-")"
                out += " | \(t.negotiated.map { "\($0.protocol) \($0.cipher)" } ?? "-")"
                for version in ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] { out += " | \(t.protocols[version]?.rawValue ?? "-")" }
                out += " | \(t.verify.map { "\($0.code) \($0.message)" } ?? "-") | \(t.nameMatch.map { $0 ? "yes" : "no" } ?? "-")"
                out += " | \(t.daysToExpiry.map { "\($0) days" } ?? "-") | \(cell(t.error.map { "\($0.phase.rawValue): \($0.message)" } ?? "")) |\n"
            }
            out += "\n"
            for t in probe.targets {
                let served = t.chain
                guard !served.isEmpty else { continue }
                out += "Served by \(t.address):\(t.port): " + served.map { "`\($0.subject)` (issuer `\($0.issuer)`, \($0.key), until \($0.notAfter))" }.joined(separator: " → ") + "\n\n"
            }
            out += SenderPolicyJoin.sendersMarkdown(probe, dns: gathered.dns)
            let probeFindings = probe.targets.flatMap { t in t.findings.map { (t, $0) } }
            if !probeFindings.isEmpty {
                out += "Probe findings:\n\n"
                for (t, f) in probeFindings { out += "- \(t.address):\(t.port) **\(f.severity.rawValue)** `\(f.id)`: \(f.message)\n" }
                out += "\n"
            }
        } else {
            out += "Not probed.\n\n"
        }

        out += "## Mail log summary\n\n"
        if let logs = gathered.logReport {
            let s = logs.summary
            out += "Read \(s.linesRead) lines from \(gathered.logFiles.map { "`\($0)`" }.joined(separator: ", ")) (\(s.linesSkipped) skipped); \(s.events) failed TLS sessions.\n\n"
            func table(_ title: String, _ header: String, _ rows: [(String, Int)]) {
                out += "### \(title)\n\n"
                if rows.isEmpty { out += "None.\n\n"; return }
                out += "| \(header) | Count |\n|---|---|\n"
                for (k, v) in rows { out += "| \(cell(k)) | \(v) |\n" }
                out += "\n"
            }
            func sorted(_ d: [String: Int]) -> [(String, Int)] { d.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) } }
            table("Failures per cause", "Cause", sorted(Dictionary(uniqueKeysWithValues: s.byCause.map { ($0.key.rawValue, $0.value) })))
            table("Failures per peer domain", "Peer domain", Array(sorted(s.byPeerDomain).prefix(30)))
            table("TLS versions established", "Protocol", s.tlsEstablished.sorted { TLSProtocolVersion.rank($0.key) < TLSProtocolVersion.rank($1.key) }.map { ($0.key, $0.value) })
            for w in s.warnings { out += "- Warning: \(w)\n" }
        } else {
            out += "Not read\(gathered.logError.map { ": \($0)" } ?? "").\n\n"
        }

        if let dns = gathered.dns {
            out += "## DNS of \(dns.domain)\n\n"
            out += "DNSSEC: \(dns.dnssec.rawValue) (resolver \(dns.resolver)).\n\n"
            if !dns.mx.isEmpty {
                out += "| MX | Preference | Addresses | DNSSEC | TLSA |\n|---|---|---|---|---|\n"
                for mx in dns.mx {
                    out += "| \(mx.host) | \(mx.preference) | \(mx.addresses.joined(separator: ", ")) | \(mx.dnssec.rawValue) | \(mx.tlsa == nil ? "none" : "present") |\n"
                }
                out += "\n"
            }
            for f in dns.findings { out += "- \(f.severity.rawValue.uppercased()) `\(f.cause.rawValue)`: \(f.message)\n" }
            if !dns.findings.isEmpty { out += "\n" }
        }

        out += "## Diagnoses\n\n"
        let report = gathered.report
        if report.diagnoses.isEmpty { out += "No TLS problem found.\n\n" }
        for (index, d) in report.diagnoses.enumerated() {
            out += "### \(index + 1). \(d.severity.rawValue.uppercased()) `\(d.cause.rawValue)`: \(CauseCatalog.shared.title(d.cause))\n\n"
            out += "Confidence \(d.confidence.rawValue), sources: \(d.sources.map(\.rawValue).sorted().joined(separator: ", "))"
            out += d.status == .possiblyFixed ? " (seen in the logs, possibly fixed already)" : ""
            out += ".\n\n\(d.summary)\n\n"
            if !d.evidence.isEmpty {
                out += "Evidence:\n\n"
                for e in d.evidence.prefix(20) { out += "- \(e.source.rawValue) `\(e.location)`: \(e.text)\n" }
                if d.evidence.count > 20 { out += "- … \(d.evidence.count - 20) more\n" }
                out += "\n"
            }
            for note in d.notes { out += "> \(note)\n\n" }
            for id in d.fixes {
                guard let fix = report.fix(id: id) else { continue }
                out += "Fix `\(fix.id)`: \(fix.title)\(fix.applicable ? " (apply with `postls fix apply \(fix.id)`)" : "")\n\n"
                if let impact = fix.impact { out += "Impact: \(impact)\n\n" }
                if let diff = fix.diff, !diff.isEmpty { out += "```diff\n\(diff)\(diff.hasSuffix("\n") ? "" : "\n")```\n\n" }
                if !fix.commands.isEmpty { out += "```\n" + fix.commands.joined(separator: "\n") + "\n```\n\n" }
            }
        }
        if !report.limitations.isEmpty {
            out += "## Limits of this report\n\n"
            for l in report.limitations { out += "- \(l)\n" }
            out += "\n"
        }
        return out
    }
}
