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
            for file in listener.tls.certFiles where !files.contains(file) { files.append(file) }
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
            [
                "service": l.service.name, "type": l.service.type, "listen": l.listen.service, "host": orNull(l.listen.host),
                "port": orNull(l.listen.port), "line": l.service.line, "tls": l.tls.jsonObject(),
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
        if let probe = gathered.probe, let data = try? ContractJSON.encode(probe), let decoded = try? JSONSerialization.jsonObject(with: data) {
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
}
