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

    /// The report as JSON, written by ContractJSON (pretty-printed, keys sorted).
    public static func json(gathered: Gathered, redact: Bool, versions: Versions? = nil, now: Date = Date(),
                            dovecotConfig: String?) throws -> Data {
        let v = versions ?? Versions.collect(gathered: gathered)
        let document = document(gathered: gathered, versions: v, redacted: redact, now: now,
                                dovecot: dovecotConfig.flatMap { try? DovecotConfig(path: $0) })
        // Redaction rewrites every string, keys included, so it works on the encoded tree.
        var tree = try JSONValue(encoding: document)
        if redact {
            var redactor = redactor(for: gathered)
            tree = redactor.redact(json: tree)
        } else {
            tree = tree.mapStrings(KeyMaterial.strip)
        }
        // Version strings (2.3.19.1) look like addresses to the generic pass: they go in after redaction.
        if case .object(var fields) = tree {
            fields["versions"] = try JSONValue(encoding: VersionsDocument(v)).mapStrings(KeyMaterial.strip)
            tree = .object(fields)
        }
        return try ContractJSON.encode(tree)
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
        learnDNS(gathered.dns, into: &r)
        for f in gathered.report.senderReports?.failures ?? [] {
            // The customer's side of a sender's report: its domain, MX and address; the sender's address as a peer's.
            // Reporting organizations stay readable (the generic pass still replaces one that looks like a domain).
            if let domain = f.policyDomain { r.learn(domain: domain) }
            if let host = f.receivingMXHostname { r.learn(host: host) }
            for address in [f.receivingIP, f.sendingMTAIP].compactMap({ $0 }) { r.learn(address: address) }
        }
        var buffer = [CChar](repeating: 0, count: 256)
        if gethostname(&buffer, buffer.count) == 0 {
            r.learn(host: String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return r
    }

    /// The mail domain's DNS: the domain, its MX hosts and their addresses and reverse names, the names and key hashes
    /// of the certificates they served (the 16-digit form the DNS step shows too), MTA-STS's MX patterns.
    static func learnDNS(_ dns: DNSReport?, into r: inout Redactor) {
        guard let dns else { return }
        r.learn(domain: dns.domain)
        for mx in dns.mx {
            r.learn(host: mx.host)
            for address in mx.addresses { r.learn(address: address) }
            for ptr in mx.ptr { ptr.names.forEach { r.learn(host: $0) } }
            guard let c = mx.certificate else { continue }
            c.names.forEach { r.learn(namesIn: $0, asDomains: false) }
            r.learn(literal: c.sha256, kind: "sha256-fingerprint-")
            r.learn(literal: c.spkiSHA256, kind: "spki-sha256-")
            r.learn(prefix: String(c.spkiSHA256.prefix(16)), of: c.spkiSHA256)
        }
        for pattern in dns.mtaSTS?.policy?.mx ?? [] { r.learn(namesIn: pattern, asDomains: false) }
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

    // MARK: - JSON

    /// The JSON report (docs/json/report.schema.json). Its parts are the contracts' own Encodable types (the
    /// listener's `tls` is `postls config --json`'s ServiceTLS, `probe` is `postls probe --json`'s report, the
    /// diagnoses are `postls diagnose --json`'s), so each key is spelt once.
    struct Document: Encodable {
        var versions: VersionsDocument
        var generated: String
        var redacted: Bool
        var configDirectory: String?
        var configError: String?
        var listeners: [Listener]
        var certificates: [CertificateDocument]
        var findings: [FindingDocument]
        var probe: ProbeReport?
        var logs: Logs?
        var logError: String?
        var dovecot: [String: String?]?
        var report: DiagnosisReport

        enum CodingKeys: String, CodingKey {
            case reportVersion = "report_version", generated, redacted, versions, configDirectory = "config_directory"
            case configError = "config_error", listeners, certificates, findings, probe, logs, logError = "log_error"
            case dovecot, diagnoses, fixes, limitations, exitCode = "exit_code"
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(1, forKey: .reportVersion); try c.encode(generated, forKey: .generated)
            try c.encode(redacted, forKey: .redacted); try c.encode(versions, forKey: .versions)
            try c.encode(configDirectory, forKey: .configDirectory); try c.encode(configError, forKey: .configError)
            try c.encode(listeners, forKey: .listeners); try c.encode(certificates, forKey: .certificates)
            try c.encode(findings, forKey: .findings); try c.encode(probe, forKey: .probe)
            try c.encode(logs, forKey: .logs); try c.encode(logError, forKey: .logError)
            try c.encode(dovecot, forKey: .dovecot)
            try c.encode(report.diagnoses, forKey: .diagnoses); try c.encode(report.fixes, forKey: .fixes)
            try c.encode(report.limitations, forKey: .limitations)
            try c.encode(Int(report.exitCode.rawValue), forKey: .exitCode)
        }
    }

    struct VersionsDocument: Encodable {
        var postls: String, postfix: String?, dovecot: String?, openssl: String

        init(_ v: Versions) { postls = v.postls; postfix = v.postfix; dovecot = v.dovecot; openssl = v.openssl }

        enum CodingKeys: String, CodingKey { case postls, postfix, dovecot, openssl }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(postls, forKey: .postls); try c.encode(postfix, forKey: .postfix)
            try c.encode(dovecot, forKey: .dovecot); try c.encode(openssl, forKey: .openssl)
        }
    }

    struct Listener: Encodable {
        var service: String, type: String, listen: String, host: String?, port: Int?, line: Int
        var tls: ServiceTLS
        var sources: [String: String]

        enum CodingKeys: String, CodingKey { case service, type, listen, host, port, line, tls, sources }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(service, forKey: .service); try c.encode(type, forKey: .type); try c.encode(listen, forKey: .listen)
            try c.encode(host, forKey: .host); try c.encode(port, forKey: .port); try c.encode(line, forKey: .line)
            try c.encode(tls, forKey: .tls); try c.encode(sources, forKey: .sources)
        }
    }

    struct CertificateDocument: Encodable {
        var certificate: ConfiguredCertificate
        var now: Date

        enum CodingKeys: String, CodingKey {
            case file, error, subject, issuer, san, key, notBefore = "not_before", notAfter = "not_after"
            case daysToExpiry = "days_to_expiry", sha256, selfIssued = "self_issued"
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(certificate.file, forKey: .file); try c.encode(certificate.error, forKey: .error)
            // The description's fields are there only when the file could be read.
            guard let i = certificate.info else { return }
            try c.encode(i.subject, forKey: .subject); try c.encode(i.issuer, forKey: .issuer)
            try c.encode(i.san, forKey: .san); try c.encode(i.key, forKey: .key)
            try c.encode(TimeFormat.iso8601(i.notBefore), forKey: .notBefore)
            try c.encode(TimeFormat.iso8601(i.notAfter), forKey: .notAfter)
            try c.encode(i.daysUntilExpiry(from: now), forKey: .daysToExpiry)
            try c.encode(i.sha256, forKey: .sha256); try c.encode(i.isSelfIssued, forKey: .selfIssued)
        }
    }

    struct FindingDocument: Encodable {
        var finding: Finding

        enum CodingKeys: String, CodingKey { case id, cause, severity, file, line, parameter, message, fix }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            let f = finding
            try c.encode(f.id, forKey: .id); try c.encode(f.cause.rawValue, forKey: .cause)
            try c.encode(f.severity.rawValue, forKey: .severity); try c.encode(f.file, forKey: .file)
            try c.encode(f.line, forKey: .line); try c.encode(f.parameter, forKey: .parameter)
            try c.encode(f.message, forKey: .message); try c.encode(f.fix?.summary, forKey: .fix)
        }
    }

    struct Logs: Encodable {
        var files: [String]
        var summary: LogSummary

        enum CodingKeys: String, CodingKey {
            case files, linesRead = "lines_read", linesSkipped = "lines_skipped", events, byCause = "by_cause"
            case byPeerDomain = "by_peer_domain", byService = "by_service", tlsEstablished = "tls_established"
            case tlsCiphers = "tls_ciphers", firstSeen = "first_seen", lastSeen = "last_seen", warnings
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            let s = summary
            try c.encode(files, forKey: .files); try c.encode(s.linesRead, forKey: .linesRead)
            try c.encode(s.linesSkipped, forKey: .linesSkipped); try c.encode(s.events, forKey: .events)
            try c.encode(Dictionary(uniqueKeysWithValues: s.byCause.map { ($0.key.rawValue, $0.value) }), forKey: .byCause)
            try c.encode(s.byPeerDomain, forKey: .byPeerDomain); try c.encode(s.byService, forKey: .byService)
            try c.encode(s.tlsEstablished, forKey: .tlsEstablished); try c.encode(s.tlsCiphers, forKey: .tlsCiphers)
            try c.encode(s.firstSeen.map(TimeFormat.iso8601), forKey: .firstSeen)
            try c.encode(s.lastSeen.map(TimeFormat.iso8601), forKey: .lastSeen)
            try c.encode(s.warnings, forKey: .warnings)
        }
    }

    static func document(gathered: Gathered, versions: Versions, redacted: Bool, now: Date, dovecot: DovecotConfig?) -> Document {
        var settings: [String: String?]? = nil
        if let dovecot {
            var s: [String: String?] = ["config": dovecot.path]
            for (name, value) in dovecotGlobalSettings(dovecot) { s[name] = .some(value) }
            for filter in dovecotFilterSettings(dovecot) {
                for setting in filter.settings { s["\(setting.key) (\(filter.criteria))"] = .some(setting.value) }
            }
            settings = s
        }
        return Document(
            versions: VersionsDocument(versions), generated: TimeFormat.iso8601(now), redacted: redacted,
            configDirectory: gathered.configuration?.directory, configError: gathered.configError,
            listeners: (gathered.configuration?.smtpdListeners ?? []).map { l in
                Listener(service: l.service.name, type: l.service.type, listen: l.listen.service, host: l.listen.host,
                         port: l.listen.port, line: l.service.line, tls: l.tls, sources: l.sources.mapValues(\.description))
            },
            certificates: configuredCertificates(gathered).map { CertificateDocument(certificate: $0, now: now) },
            findings: gathered.findings.sortedForReport().map(FindingDocument.init),
            probe: gathered.probe, logs: gathered.logReport.map { Logs(files: gathered.logFiles, summary: $0.summary) },
            logError: gathered.logError, dovecot: settings, report: gathered.report)
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
