import Foundation
import PostlsCore

/// Postfix's TLS-related parameters with their built-in defaults, from Resources/parameters.json
/// (captured from `postconf -d` of Postfix 3.7).
public struct ParameterCatalog: Sendable {
    public struct Parameter: Sendable, Codable, Equatable {
        public var name: String
        /// Built-in default, which may reference other parameters (`$smtpd_tls_cert_file`); nil when computed at run time.
        public var `default`: String?
        /// `server`, `client` or `common`.
        public var side: String
        /// True for defaults Postfix computes on the machine (myhostname, mydomain).
        public var computed: Bool?
    }

    private struct File: Codable {
        var postfix_version: String
        var parameters: [Parameter]
    }

    /// The Postfix version the defaults were taken from.
    public let postfixVersion: String
    public let parameters: [Parameter]
    private let byName: [String: Parameter]

    public init(postfixVersion: String, parameters: [Parameter]) {
        self.postfixVersion = postfixVersion
        self.parameters = parameters
        var map: [String: Parameter] = [:]
        for parameter in parameters { map[parameter.name] = parameter }
        byName = map
    }

    /// The bundled catalog. Empty only if the resource is missing from the build.
    public static let bundled: ParameterCatalog = {
        guard let url = Bundle.module.url(forResource: "parameters", withExtension: "json"),
              let data = try? Data(contentsOf: url),
              let file = try? JSONDecoder().decode(File.self, from: data)
        else { return ParameterCatalog(postfixVersion: "unknown", parameters: []) }
        return ParameterCatalog(postfixVersion: file.postfix_version, parameters: file.parameters)
    }()

    public func parameter(_ name: String) -> Parameter? { byName[name] }
    public func contains(_ name: String) -> Bool { byName[name] != nil }
}

/// Built-in defaults of every parameter Postfix knows. With a real `postconf`, `postconf -d` is the
/// ground truth; otherwise the bundled catalog (TLS parameters only) stands in.
public struct ParameterDefaults: Sendable {
    /// Raw default values (before `$name` expansion).
    public var values: [String: String]
    /// Where the values came from, e.g. "postconf -d (Postfix 3.7.11)" or "built-in catalog (Postfix 3.7.11)".
    public var origin: String
    /// This machine's host name, for Postfix's computed myhostname default.
    public var hostName: String?

    public init(values: [String: String], origin: String, hostName: String? = nil) {
        self.values = values; self.origin = origin; self.hostName = hostName
    }

    /// Defaults from the bundled catalog only.
    public static func catalog(_ catalog: ParameterCatalog = .bundled, hostName: String? = nil) -> ParameterDefaults {
        var values: [String: String] = [:]
        for parameter in catalog.parameters { if let value = parameter.default { values[parameter.name] = value } }
        if let hostName {
            values["myhostname"] = hostName.contains(".") ? hostName : hostName + ".localdomain"
        }
        return ParameterDefaults(values: values, origin: "built-in catalog (Postfix \(catalog.postfixVersion))", hostName: hostName)
    }

    /// Runs `postconf -d` and parses its output. Throws when postconf is missing or fails.
    public static func fromPostconf(runner: ProcessRunner, executable: String = "postconf") throws -> ParameterDefaults {
        let output = try runner.run(executable, ["-d"], timeout: 30)
        guard output.succeeded else { throw ConfigError.postconfFailed(arguments: ["-d"], message: output.stderr) }
        var values: [String: String] = [:]
        for line in output.stdout.split(separator: "\n", omittingEmptySubsequences: true) {
            if let range = line.range(of: " = ") {
                values[String(line[..<range.lowerBound])] = String(line[range.upperBound...])
            } else if line.hasSuffix(" =") {
                values[String(line.dropLast(2))] = ""
            }
        }
        // Catalog entries postconf does not know (older Postfix) still get a default.
        for parameter in ParameterCatalog.bundled.parameters where values[parameter.name] == nil {
            if let value = parameter.default { values[parameter.name] = value }
        }
        let version = values["mail_version"] ?? "?"
        return ParameterDefaults(values: values, origin: "postconf -d (Postfix \(version))", hostName: ProcessInfo.processInfo.hostName)
    }

    /// `postconf -d` when it works, the bundled catalog otherwise.
    public static func load(runner: ProcessRunner) -> ParameterDefaults {
        (try? fromPostconf(runner: runner)) ?? catalog(hostName: ProcessInfo.processInfo.hostName)
    }
}
