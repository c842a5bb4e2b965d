import Foundation
import PostlsCore

/// What `postls config` prints: parameters, smtpd listeners with their TLS settings, findings.
/// JSON field names follow docs/json/config.schema.json.
public struct ConfigReport: Sendable {
    public struct Parameter: Sendable, Equatable {
        public var value: String
        public var expanded: String
        public var source: String
    }

    public struct Service: Sendable {
        public var name: String
        public var type: String
        public var listen: String
        public var host: String?
        public var port: Int?
        public var overrides: [String: String]
        public var tls: ServiceTLS
        public var line: Int
    }

    public var configDirectory: String
    public var parameters: [String: Parameter]
    public var services: [Service]
    public var findings: [Finding]
    /// Unified diff per finding index, for findings with a fix.
    public var fixDiffs: [Int: String]
    public var defaultsOrigin: String
    /// Dovecot's configuration when one was read.
    public var dovecot: DovecotConfig?

    /// Builds the report. `includeDefaults` (`--all`) adds every TLS parameter of the catalog at its default.
    public init(configuration: PostfixConfiguration, findings: [Finding], includeDefaults: Bool = false, dovecot: DovecotConfig? = nil) {
        self.dovecot = dovecot
        configDirectory = configuration.directory
        defaultsOrigin = configuration.defaults.origin
        var parameters: [String: Parameter] = [:]
        let main = configuration.main
        for index in main.effectiveIndices {
            let entry = main.entries[index]
            let expanded = configuration.displayExpandedEntry(index).value
            parameters[entry.name] = Parameter(value: entry.value, expanded: normalizePostconfWhitespace(expanded), source: "main.cf:\(entry.line)")
        }
        if includeDefaults {
            for parameter in ParameterCatalog.bundled.tlsParameters where parameters[parameter.name] == nil {
                guard let raw = configuration.raw(parameter.name) else { continue }
                let expanded = configuration.displayExpanded(parameter.name)?.value ?? raw.value
                parameters[parameter.name] = Parameter(value: normalizePostconfWhitespace(raw.value), expanded: normalizePostconfWhitespace(expanded),
                                                       source: raw.source.description)
            }
        }
        self.parameters = parameters
        services = configuration.smtpdListeners.map { listener in
            var overrides: [String: String] = [:]
            for (name, value) in listener.service.parameters { overrides[name] = normalizePostconfWhitespace(value) }
            return Service(name: listener.service.name, type: listener.service.type, listen: listener.listen.service,
                           host: listener.listen.host, port: listener.listen.port, overrides: overrides, tls: listener.tls,
                           line: listener.service.line)
        }
        self.findings = findings
        var diffs: [Int: String] = [:]
        for (index, finding) in findings.enumerated() {
            guard let fix = finding.fix else { continue }
            if fix.file == "main.cf", let edited = try? configuration.main.applying(fix) {
                diffs[index] = UnifiedDiff.make(configuration.main.bytes, edited.bytes, name: "main.cf")
            } else if fix.file == "master.cf", let edited = try? configuration.master.applying(fix) {
                diffs[index] = UnifiedDiff.make(configuration.master.bytes, edited.bytes, name: "master.cf")
            }
        }
        fixDiffs = diffs
    }

    /// Worst severity → exit code (0 ok or info only, 1 warnings, 2 critical).
    public var exitCode: ExitCode { ExitCode(worst: findings.worstSeverity) }

    // MARK: JSON

    /// The contract's JSON (ContractJSON), ending in a newline.
    public func jsonData() throws -> Data {
        try ContractJSON.line(self)
    }

    // MARK: Text

    /// Human-readable report, findings first.
    public func text(color: Bool) -> String {
        func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        var out = ""
        if findings.isEmpty {
            out += paint("No problems found", "32") + " in \(configDirectory)\n"
        } else {
            out += "Findings in \(configDirectory) (\(findings.count)):\n"
            for (index, finding) in findings.enumerated() {
                let label: String
                switch finding.severity {
                case .critical: label = paint("CRITICAL", "1;31")
                case .warning: label = paint("WARNING ", "33")
                case .info: label = paint("INFO    ", "36")
                }
                out += "  \(label) \(finding.location ?? "-")  [\(finding.id)]\(finding.parameter.map { " \($0)" } ?? "")\n"
                out += "           \(finding.message)\n"
                if let fix = finding.fix { out += "           fix: \(fix.summary)\n" }
                if let diff = fixDiffs[index], !diff.isEmpty, finding.severity != .info {
                    for line in diff.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
                        out += "             " + (line.hasPrefix("+") && !line.hasPrefix("+++") ? paint(String(line), "32")
                                                  : line.hasPrefix("-") && !line.hasPrefix("---") ? paint(String(line), "31") : String(line)) + "\n"
                    }
                }
            }
        }
        out += "\nSMTP listeners:\n"
        if services.isEmpty { out += "  (no smtpd service in master.cf)\n" }
        for service in services {
            let tls = service.tls
            out += "  \(service.name) (\(service.type)\(service.port.map { ", port \($0)" } ?? ""), master.cf:\(service.line))\n"
            out += "    security_level=\(tls.securityLevel) wrappermode=\(tls.wrappermode ? "yes" : "no") protocols=\(tls.protocols.isEmpty ? "-" : tls.protocols)"
                + " mandatory_protocols=\(tls.mandatoryProtocols.isEmpty ? "-" : tls.mandatoryProtocols)\n"
            out += "    ciphers=\(tls.ciphers) mandatory_ciphers=\(tls.mandatoryCiphers) cert_files=\(tls.certFiles.isEmpty ? "-" : tls.certFiles.joined(separator: ","))\n"
        }
        if let dovecot {
            let ssl = dovecot.ssl()
            out += "\nDovecot (\(dovecot.path), \(dovecot.syntaxVersion) syntax):\n"
            out += "  ssl=\(ssl.ssl) cert=\(ssl.certFile ?? "-") key=\(ssl.keyFile ?? "-") min_protocol=\(ssl.minProtocol ?? "default") ciphers=\(ssl.cipherList ?? "default")\n"
            for name in dovecot.protocols where dovecot.ssl(protocol: name) != ssl {
                let other = dovecot.ssl(protocol: name)
                out += "  protocol \(name): ssl=\(other.ssl) cert=\(other.certFile ?? "-") min_protocol=\(other.minProtocol ?? "default")\n"
            }
            for filter in dovecot.certificateFilters {
                out += "  \(filter.criteria) (\(filter.section.file):\(filter.section.line)): cert=\(filter.ssl.certFile ?? "-") key=\(filter.ssl.keyFile ?? "-")\n"
            }
            for listener in dovecot.listeners {
                out += "  \(listener.service)/\(listener.name): port \(listener.port.map(String.init) ?? "-")\(listener.ssl ? " (implicit TLS)" : "")\n"
            }
        }
        out += "\nParameters (\(parameters.count)):\n"
        for name in parameters.keys.sorted() {
            guard let parameter = parameters[name] else { continue }
            out += "  \(name) = \(parameter.value)"
            if parameter.expanded != parameter.value { out += paint("  => \(parameter.expanded)", "2") }
            out += "  (\(parameter.source))\n"
        }
        return out
    }
}

// MARK: JSON (docs/json/config.schema.json)

extension ConfigReport: Encodable {
    private enum Keys: String, CodingKey {
        case parameters, services, dovecot, findings, defaults
        case configDirectory = "config_directory"
    }

    public func encode(to encoder: Encoder) throws {
        try encoder.encode(fields: [Keys.configDirectory: configDirectory, .parameters: parameters, .services: services,
                                    .dovecot: dovecot,
                                    .findings: findings.indices.map { FindingJSON(finding: findings[$0], diff: fixDiffs[$0]) },
                                    .defaults: defaultsOrigin])
    }

    /// A finding with its fix as the contract shows it: the edit's action, target and diff.
    private struct FindingJSON: Encodable {
        var finding: Finding
        var diff: String?

        enum Keys: String, CodingKey { case id, cause, severity, file, line, parameter, message, fix }
        enum FixKeys: String, CodingKey { case summary, file, parameter, diff, action, value, service, type }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(fields: [.id: finding.id, .cause: finding.cause, .severity: finding.severity,
                                  .file: finding.file, .line: finding.line, .parameter: finding.parameter,
                                  .message: finding.message])
            guard let edit = finding.fix else { try c.encodeNil(forKey: .fix); return }
            var f = c.nestedContainer(keyedBy: FixKeys.self, forKey: .fix)
            try f.encode(edit.summary, forKey: .summary); try f.encode(edit.file, forKey: .file)
            try f.encode(edit.parameter, forKey: .parameter); try f.encode(diff, forKey: .diff)
            switch edit {
            case .setMain(_, let value):
                try f.encode("set", forKey: .action); try f.encode(value, forKey: .value)
            case .removeMain: try f.encode("remove", forKey: .action)
            case .commentOutMain: try f.encode("comment_out", forKey: .action)
            case .setOverride(let service, let type, _, let value):
                try f.encode("set", forKey: .action); try f.encode(value, forKey: .value)
                try f.encode(service, forKey: .service); try f.encode(type, forKey: .type)
            case .removeOverride(let service, let type, _):
                try f.encode("remove", forKey: .action); try f.encode(service, forKey: .service); try f.encode(type, forKey: .type)
            case .addService(let definition):
                try f.encode("add_service", forKey: .action); try f.encode(definition.name, forKey: .service)
                try f.encode(definition.type, forKey: .type)
            }
        }
    }
}

extension ConfigReport.Parameter: Encodable {}

extension ConfigReport.Service: Encodable {
    private enum Keys: String, CodingKey { case name, type, listen, host, port, overrides, line, tls }
    private enum TLSKeys: String, CodingKey {
        case wrappermode, protocols, ciphers
        case securityLevel = "security_level", mandatoryProtocols = "mandatory_protocols"
        case mandatoryCiphers = "mandatory_ciphers", excludeCiphers = "exclude_ciphers", certFiles = "cert_files"
        case keyFiles = "key_files", chainFiles = "chain_files", authOnly = "auth_only"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(fields: [.name: name, .type: type, .listen: listen, .host: host, .port: port,
                              .overrides: overrides, .line: line])
        var t = c.nestedContainer(keyedBy: TLSKeys.self, forKey: .tls)
        try t.encode(tls.securityLevel, forKey: .securityLevel); try t.encode(tls.wrappermode, forKey: .wrappermode)
        try t.encode(tls.protocols, forKey: .protocols); try t.encode(tls.mandatoryProtocols, forKey: .mandatoryProtocols)
        try t.encode(tls.ciphers, forKey: .ciphers); try t.encode(tls.mandatoryCiphers, forKey: .mandatoryCiphers)
        try t.encode(tls.excludeCiphers, forKey: .excludeCiphers); try t.encode(tls.certFiles, forKey: .certFiles)
        try t.encode(tls.keyFiles, forKey: .keyFiles); try t.encode(tls.chainFiles, forKey: .chainFiles)
        try t.encode(tls.authOnly, forKey: .authOnly)
    }
}
