import Foundation
import PostlsCore

/// What changed in Postfix 3.8–3.11, as the installed Postfix (`mail_version` of the defaults) sees the
/// configuration: parameters postconf warns are deprecated, cipher grades 3.8 maps to `medium`, the OpenSSL
/// configuration `tls_config_file` pulls in, TLSRPT without its socket, and the TLS default that
/// `compatibility_level` changes at 3.11.
public struct PostfixReleaseRule: LintRule {
    public init() {}
    public var ids: [String] {
        ["deprecated_parameter", "cipher_grade_remapped", "openssl_config_overrides", "tlsrpt_socket_missing", "compatibility_tls_default"]
    }

    /// postconf_unused.c's table: the name, the Postfix release whose postconf first warns, and postconf's advice.
    static let deprecated: [(name: String, since: PostfixVersion, instead: String)] = [
        ("disable_dns_lookups", .init(3, 9), "specify \"smtp_dns_support_level\""),
        ("lmtp_use_tls", .init(3, 9), "specify \"lmtp_tls_security_level\""),
        ("postscreen_use_tls", .init(3, 9), "specify \"postscreen_tls_security_level\""),
        ("smtp_use_tls", .init(3, 9), "specify \"smtp_tls_security_level\""),
        ("smtpd_use_tls", .init(3, 9), "specify \"smtpd_tls_security_level\""),
        ("tlsproxy_client_use_tls", .init(3, 9), "specify \"tlsproxy_client_security_level\""),
        ("tlsproxy_use_tls", .init(3, 9), "specify \"tlsproxy_tls_security_level\""),
        ("lmtp_enforce_tls", .init(3, 9), "lmtp_tls_security_level"),  // sic: postconf prints it without "specify"
        ("postscreen_enforce_tls", .init(3, 9), "specify \"postscreen_tls_security_level\""),
        ("smtp_enforce_tls", .init(3, 9), "specify \"smtp_tls_security_level\""),
        ("smtpd_enforce_tls", .init(3, 9), "specify \"smtpd_tls_security_level\""),
        ("tlsproxy_client_enforce_tls", .init(3, 9), "specify \"tlsproxy_client_security_level\""),
        ("tlsproxy_enforce_tls", .init(3, 9), "specify \"tlsproxy_tls_security_level\""),
        ("lmtp_tls_per_site", .init(3, 9), "specify \"lmtp_tls_policy_maps\""),
        ("smtp_tls_per_site", .init(3, 9), "specify \"smtp_tls_policy_maps\""),
        ("tlsproxy_client_per_site", .init(3, 9), "specify \"tlsproxy_client_policy_maps\""),
        ("smtpd_tls_dh1024_param_file", .init(3, 9), "do not specify (leave at default)"),
        ("smtpd_tls_eecdh_grade", .init(3, 9), "do not specify (leave at default)"),
        ("authorized_verp_clients", .init(3, 11), "specify \"smtpd_authorized_verp_clients\""),
        ("fallback_relay", .init(3, 11), "specify \"smtp_fallback_relay\""),
        ("lmtp_per_record_deadline", .init(3, 11), "specify \"lmtp_per_request_deadline\""),
        ("lmtp_tls_enforce_peername", .init(3, 11), "specify \"lmtp_tls_security_level\""),
        ("postscreen_blacklist_action", .init(3, 11), "specify \"postscreen_denylist_action\""),
        ("postscreen_dnsbl_ttl", .init(3, 11), "specify \"postscreen_dnsbl_max_ttl\""),
        ("postscreen_dnsbl_whitelist_threshold", .init(3, 11), "specify \"postscreen_dnsbl_allowlist_threshold\""),
        ("postscreen_whitelist_interfaces", .init(3, 11), "specify \"postscreen_allowlist_interfaces\""),
        ("smtpd_client_connection_limit_exceptions", .init(3, 11), "specify \"smtpd_client_event_limit_exceptions\""),
        ("smtpd_per_record_deadline", .init(3, 11), "specify \"smtpd_per_request_deadline\""),
        ("smtp_per_record_deadline", .init(3, 11), "specify \"smtp_per_request_deadline\""),
        ("smtp_tls_enforce_peername", .init(3, 11), "specify \"smtp_tls_security_level\""),
        ("tlsproxy_client_level", .init(3, 11), "specify \"tlsproxy_client_security_level\""),
        ("tlsproxy_client_policy", .init(3, 11), "specify \"tlsproxy_client_policy_maps\""),
        ("virtual_maps", .init(3, 11), "specify \"virtual_alias_maps\""),
        ("lmtp_cname_overrides_servername", .init(3, 11), "do not specify"),
        ("smtp_cname_overrides_servername", .init(3, 11), "do not specify"),
    ]

    /// The cipher grade parameters (`postconf -d | grep _ciphers`), whose `export` and `low` 3.8 reads as `medium`.
    static let gradeParameters: Set<String> = [
        "smtpd_tls_ciphers", "smtpd_tls_mandatory_ciphers", "smtp_tls_ciphers", "smtp_tls_mandatory_ciphers",
        "lmtp_tls_ciphers", "lmtp_tls_mandatory_ciphers", "tlsproxy_tls_ciphers", "tlsproxy_tls_mandatory_ciphers",
        "tlsproxy_client_ciphers", "tlsproxy_client_mandatory_ciphers", "postscreen_tls_ciphers", "postscreen_tls_mandatory_ciphers",
    ]

    static let deprecatedByName = Dictionary(deprecated.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    /// Every parameter name the per-setting checks look at.
    static let judged = Set(deprecated.map(\.name)).union(gradeParameters).union(["tls_export_cipherlist", "tls_low_cipherlist"])

    /// OpenSSL's configuration directory on Debian (OPENSSLDIR), where `tls_config_file = default` reads openssl.cnf.
    static let defaultOpenSSLConfig = "/usr/lib/ssl/openssl.cnf"

    public func check(_ context: LintContext) -> [Finding] {
        let config = context.configuration
        guard let installedText = config.defaults.values["mail_version"], let installed = PostfixVersion(installedText) else { return [] }
        var out: [Finding] = []
        // Every setting main.cf and master.cf's -o make, with where it is.
        var settings: [(name: String, value: String, source: PostfixConfiguration.Source, service: MasterCF.Service?)] = []
        // Only the names this rule judges are collected: main.cf may hold thousands of settings.
        for index in config.main.effectiveIndices where Self.judged.contains(config.main.entries[index].name) {
            let entry = config.main.entries[index]
            settings.append((entry.name, entry.rawValue, .mainCF(line: entry.line), nil))
        }
        for service in config.master.services {
            for override in service.overrides where Self.judged.contains(override.name) {
                settings.append((override.name, override.rawValue, .masterCF(service: service.qualifiedName, line: override.line), service))
            }
        }

        let deprecated = Self.deprecatedByName
        let gradesRemapped = installed >= PostfixVersion(3, 8)
        for setting in settings {
            if let entry = deprecated[setting.name], installed >= entry.since {
                let file = setting.service == nil ? "main.cf" : "master.cf"
                out.append(finding("deprecated_parameter", .unsupportedSetting, .warning, source: setting.source, parameter: setting.name,
                                   "Postfix \(installedText) warns: \(file): support for parameter \"\(setting.name)\" will be removed; instead, \(entry.instead)."))
            }
            if gradesRemapped {
                if Self.gradeParameters.contains(setting.name),
                   case let grade = setting.value.trimmingCharacters(in: .whitespaces).lowercased(), grade == "export" || grade == "low" {
                    let fix: ConfigEdit = setting.service.map { .setOverride(service: $0.name, type: $0.type, name: setting.name, value: "medium") }
                        ?? .setMain(name: setting.name, value: "medium")
                    out.append(finding("cipher_grade_remapped", .unsupportedSetting, .info, source: setting.source, parameter: setting.name,
                                       "\(setting.name) = \(grade): Postfix 3.8 and later treat the \(grade) grade as medium (tls_medium_cipherlist); write medium so the file says what Postfix does.",
                                       fix: fix))
                }
                if setting.name == "tls_export_cipherlist" || setting.name == "tls_low_cipherlist" {
                    out.append(finding("cipher_grade_remapped", .unsupportedSetting, .info, source: setting.source, parameter: setting.name,
                                       "\(setting.name) is not used by Postfix 3.8 and later (the export and low grades are medium): remove it.",
                                       fix: setting.service == nil ? .removeMain(name: setting.name) : nil))
                }
            }
        }
        out += openSSLConfig(context)
        out += tlsrpt(context)
        // 3.11 makes "may" the client's default TLS level at compatibility_level 3.11 (COMPATIBILITY_README).
        if installed >= PostfixVersion(3, 11), config.main.entry("smtp_tls_security_level") == nil,
           config.value("smtp_tls_security_level").trimmingCharacters(in: .whitespaces).isEmpty {
            let level = config.raw("compatibility_level")
            out.append(finding("compatibility_tls_default", .unsupportedSetting, .info, source: level?.source, parameter: "smtp_tls_security_level",
                               "smtp_tls_security_level is unset and compatibility_level = \(config.value("compatibility_level")) is below 3.11: Postfix \(installedText) keeps the old empty default, so mail leaves without TLS. Set smtp_tls_security_level = may (the 3.11 default) or compatibility_level = 3.11.",
                               fix: .setMain(name: "smtp_tls_security_level", value: "may")))
        }
        return out
    }

    /// The `system_default` SSL settings of the OpenSSL configuration `tls_config_file` loads: OpenSSL applies
    /// them to every context before Postfix's own settings, so a MinProtocol or CipherString there narrows
    /// what Postfix negotiates.
    func openSSLConfig(_ context: LintContext) -> [Finding] {
        let config = context.configuration
        let setting = config.value("tls_config_file").trimmingCharacters(in: .whitespaces)
        let path: String
        switch setting {
        case "none", "": return []
        case "default": path = Self.defaultOpenSSLConfig
        default: path = setting
        }
        guard let bytes = try? context.fileSystem.read(path) else { return [] }
        let file = OpenSSLConfigFile(text: String(decoding: bytes, as: UTF8.self))
        let name = config.value("tls_config_name").trimmingCharacters(in: .whitespaces)
        let appSection = (name.isEmpty ? nil : file.value(section: "", key: name)) ?? file.value(section: "", key: "openssl_conf")
        guard let app = appSection?.value, let sslConf = file.value(section: app, key: "ssl_conf")?.value,
              let systemDefault = file.value(section: sslConf, key: "system_default")?.value else { return [] }
        var out: [Finding] = []
        for (key, value, line) in file.entries(section: systemDefault)
        where ["minprotocol", "maxprotocol", "cipherstring", "ciphersuites"].contains(key.lowercased()) {
            let cause: Cause = key.lowercased().hasSuffix("protocol") ? .protocolMismatch : .noSharedCipher
            out.append(Finding(id: "openssl_config_overrides", cause: cause, severity: .info, file: path, line: line, parameter: "tls_config_file",
                               message: "\(path) sets \(key) = \(value) for every OpenSSL application (tls_config_file = \(setting)): OpenSSL applies it before Postfix's own TLS settings, so Postfix negotiates within it. Set tls_config_file = none to leave TLS to main.cf."))
        }
        return out
    }

    /// `smtp_tlsrpt_enable = yes` sends TLSRPT events to a local reporting daemon's socket; without one the
    /// events are lost (the client logs a warning per delivery).
    func tlsrpt(_ context: LintContext) -> [Finding] {
        let config = context.configuration
        var out: [Finding] = []
        for prefix in ["smtp", "lmtp"] where config.bool("\(prefix)_tlsrpt_enable") {
            let socketParameter = "\(prefix)_tlsrpt_socket_name"
            let socket = config.value(socketParameter).trimmingCharacters(in: .whitespaces)
            // A relative name is relative to the queue directory, where Postfix's daemons run.
            let path = socket.hasPrefix("/") ? socket : config.value("queue_directory") + "/" + socket
            if socket.isEmpty || !context.fileSystem.exists(path) {
                let source = config.raw("\(prefix)_tlsrpt_enable")?.source
                out.append(finding("tlsrpt_socket_missing", .unsupportedSetting, .warning, source: source, parameter: "\(prefix)_tlsrpt_enable",
                                   socket.isEmpty
                                       ? "\(prefix)_tlsrpt_enable = yes but \(socketParameter) is empty: there is no TLSRPT reporting daemon to send results to."
                                       : "\(prefix)_tlsrpt_enable = yes but \(socketParameter) = \(socket) (\(path)) does not exist: no TLSRPT reporting daemon listens there, so TLSRPT results are lost."))
            }
        }
        return out
    }
}

/// Just enough of OpenSSL's configuration format (NCONF) for `ssl_conf`: `[section]` headers, `key = value`
/// lines, `#` comments. `.include` and `$var` references are not followed.
struct OpenSSLConfigFile {
    var lines: [(section: String, key: String, value: String, line: Int)] = []

    init(text: String) {
        var section = ""
        // Read on every lint run, so no Foundation trimming (slow on Linux): spaces and tabs are cut by hand.
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let trimmed = Self.trim(line)
            if trimmed.first == "[" && trimmed.last == "]" {
                section = String(Self.trim(trimmed.dropFirst().dropLast()))
            } else if let equals = trimmed.firstIndex(of: "=") {
                let key = String(Self.trim(trimmed[..<equals]))
                let value = String(Self.trim(trimmed[trimmed.index(after: equals)...]))
                lines.append((section, key, value, index + 1))
            }
        }
    }

    static func trim(_ text: Substring) -> Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = text.firstIndex(where: { !blank($0) }), let last = text.lastIndex(where: { !blank($0) }) else { return "" }
        return text[first...last]
    }

    func value(section: String, key: String) -> (value: String, line: Int)? {
        lines.last { $0.section == section && $0.key == key }.map { ($0.value, $0.line) }
    }

    func entries(section: String) -> [(key: String, value: String, line: Int)] {
        lines.filter { $0.section == section }.map { ($0.key, $0.value, $0.line) }
    }
}
