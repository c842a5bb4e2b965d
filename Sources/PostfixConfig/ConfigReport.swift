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

    /// The JSON object of the contract (`dovecot` is null until the Dovecot reader exists).
    public func jsonObject() -> [String: Any] {
        var parameterObject: [String: Any] = [:]
        for (name, parameter) in parameters {
            parameterObject[name] = ["value": parameter.value, "expanded": parameter.expanded, "source": parameter.source]
        }
        let serviceArray: [[String: Any]] = services.map { service in
            [
                "name": service.name, "type": service.type, "listen": service.listen,
                "host": service.host as Any? ?? NSNull(), "port": service.port as Any? ?? NSNull(),
                "overrides": service.overrides, "line": service.line, "tls": service.tls.jsonObject(),
            ]
        }
        let findingArray: [[String: Any]] = findings.enumerated().map { index, finding in
            var fix: Any = NSNull()
            if let edit = finding.fix {
                var object: [String: Any] = ["summary": edit.summary, "file": edit.file, "parameter": edit.parameter,
                                             "diff": fixDiffs[index] as Any? ?? NSNull()]
                switch edit {
                case .setMain(_, let value): object["action"] = "set"; object["value"] = value
                case .removeMain: object["action"] = "remove"
                case .commentOutMain: object["action"] = "comment_out"
                case .setOverride(let service, let type, _, let value):
                    object["action"] = "set"; object["value"] = value; object["service"] = service; object["type"] = type
                case .removeOverride(let service, let type, _):
                    object["action"] = "remove"; object["service"] = service; object["type"] = type
                case .addService(let definition):
                    object["action"] = "add_service"; object["service"] = definition.name; object["type"] = definition.type
                }
                fix = object
            }
            return [
                "id": finding.id, "cause": finding.cause.rawValue, "severity": finding.severity.rawValue,
                "file": finding.file as Any? ?? NSNull(), "line": finding.line as Any? ?? NSNull(),
                "parameter": finding.parameter as Any? ?? NSNull(), "message": finding.message, "fix": fix,
            ]
        }
        return [
            "config_directory": configDirectory, "parameters": parameterObject, "services": serviceArray,
            "dovecot": dovecot?.jsonObject() ?? NSNull(), "findings": findingArray, "defaults": defaultsOrigin,
        ]
    }

    /// Pretty-printed JSON with sorted keys.
    public func jsonData() throws -> Data {
        JSONWriter.data(jsonObject())
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
                let label = finding.severity.label(color: color, bold: false)
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
