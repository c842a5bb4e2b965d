import Foundation
import PostlsCore

/// main.cf + master.cf + built-in defaults: answers "what does Postfix use for this parameter",
/// globally or for one master.cf service.
public struct PostfixConfiguration: Sendable {
    /// Where a parameter's value comes from.
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        case mainCF(line: Int)
        case masterCF(service: String, line: Int)
        /// `config_directory`, which `postconf -c DIR` sets before reading main.cf.
        case commandLine
        case defaultValue

        /// `main.cf:12`, `master.cf:40`, `default`.
        public var description: String {
            switch self {
            case .mainCF(let line): return "main.cf:\(line)"
            case .masterCF(_, let line): return "master.cf:\(line)"
            case .commandLine: return "postconf -c"
            case .defaultValue: return "default"
            }
        }
    }

    public let directory: String
    public let main: MainCF
    public let master: MasterCF
    public let defaults: ParameterDefaults
    private let expander = Expander()
    /// Global-scope expansions, computed once (lint and the report ask for the same values).
    private let cache = ExpansionCache()

    public init(directory: String, main: MainCF, master: MasterCF, defaults: ParameterDefaults) {
        self.directory = directory; self.main = main; self.master = master; self.defaults = defaults
    }

    /// The raw value and its source, looking in the service's `-o` overrides, main.cf, then defaults.
    public func raw(_ name: String, service: MasterCF.Service? = nil) -> (value: String, source: Source)? {
        if let service {
            // Postfix sets these per service, above any -o (postconf_master.c "ro" name space).
            let processName = service.command.split(separator: "/").last.map(String.init) ?? service.command
            if name == "process_name" { return (processName, .masterCF(service: service.qualifiedName, line: service.line)) }
            if name == "service_name" { return (service.name, .masterCF(service: service.qualifiedName, line: service.line)) }
        }
        if let service, let override = service.overrides.last(where: { $0.name == name }) {
            return (override.rawValue, .masterCF(service: service.qualifiedName, line: override.line))
        }
        if let entry = main.entry(name) { return (entry.rawValue, .mainCF(line: entry.line)) }
        if name == "config_directory" { return (directory, .commandLine) }
        if let value = computedDefault(name) { return (value, .defaultValue) }
        if let value = defaults.values[name] { return (value, .defaultValue) }
        return nil
    }

    /// Postfix computes these from the host name and the configured myhostname.
    private func computedDefault(_ name: String) -> String? {
        switch name {
        case "mydomain":
            // The part of myhostname after the first dot, or "localdomain" (mail_params.c).
            let host = main.entry("myhostname").map {
                expander.expand($0.rawValue) { $0 == "mydomain" ? "localdomain" : self.raw($0)?.value }.value
            } ?? defaults.values["myhostname"] ?? ""
            if let dot = host.firstIndex(of: ".") { return String(host[host.index(after: dot)...]) }
            return "localdomain"
        case "myhostname":
            // A short host name gets ".$mydomain" appended when main.cf sets mydomain.
            guard let short = defaults.hostName, !short.contains("."), let domain = main.entry("mydomain") else { return nil }
            let expanded = expander.expand(domain.rawValue) { $0 == "myhostname" ? nil : self.raw($0)?.value }.value
            return short + "." + expanded
        default:
            return nil
        }
    }

    /// The value with every `$name` expanded (the service's overrides take precedence inside it too).
    public func expanded(_ name: String, service: MasterCF.Service? = nil) -> Expander.Result? {
        if service == nil, let cached = cache.get(name) { return cached }
        guard let raw = raw(name, service: service) else { return nil }
        let result = expand(raw.value, service: service)
        if service == nil { cache.set(name, result) }
        return result
    }

    /// Expands arbitrary text in the global (or a service's) name space.
    public func expand(_ text: String, service: MasterCF.Service? = nil) -> Expander.Result {
        expander.expand(text) { self.raw($0, service: service)?.value }
    }

    /// Parameters Postfix never `$`-expands (their values are templates expanded per session);
    /// `postconf -x` prints them as written.
    public static let unexpandedParameters: Set<String> = [
        "default_rbl_reply", "command_execution_directory", "forward_path", "luser_relay", "mailbox_command",
        "postscreen_disable_vrfy_command", "postscreen_enforce_tls", "postscreen_expansion_filter",
        "postscreen_helo_required", "postscreen_reject_footer", "postscreen_use_tls",
        "smtpd_expansion_filter", "smtpd_reject_footer",
    ]

    /// The value as `postconf -x` shows it: expanded, except for the never-expanded parameters.
    public func displayExpanded(_ name: String, service: MasterCF.Service? = nil) -> Expander.Result? {
        if PostfixConfiguration.unexpandedParameters.contains(name), let raw = raw(name, service: service) {
            return Expander.Result(value: raw.value, issues: [])
        }
        return expanded(name, service: service)
    }

    /// The expanded value as a string ("" when unset anywhere).
    public func value(_ name: String, service: MasterCF.Service? = nil) -> String {
        expanded(name, service: service)?.value ?? ""
    }

    /// A boolean parameter (Postfix accepts yes/no, case-insensitively).
    public func bool(_ name: String, service: MasterCF.Service? = nil) -> Bool {
        value(name, service: service).trimmingCharacters(in: .whitespaces).lowercased() == "yes"
    }
}

extension PostfixConfiguration {
    /// Largest file postls reads; Postfix configurations are kilobytes.
    public static let maximumFileBytes = 16 << 20

    /// Reads `DIR/main.cf` and `DIR/master.cf`. A missing master.cf is treated as empty (Postfix warns);
    /// an unreadable main.cf throws `ConfigError.unreadable`.
    public static func load(directory: String, defaults: ParameterDefaults, fileSystem: ConfigFileSystem = LocalFileSystem()) throws -> PostfixConfiguration {
        let mainBytes = try readConfigFile(directory + "/main.cf", fileSystem: fileSystem)
        let masterPath = directory + "/master.cf"
        let masterBytes = fileSystem.exists(masterPath) ? try readConfigFile(masterPath, fileSystem: fileSystem) : []
        return PostfixConfiguration(directory: directory, main: MainCF(bytes: mainBytes), master: MasterCF(bytes: masterBytes), defaults: defaults)
    }

    static func readConfigFile(_ path: String, fileSystem: ConfigFileSystem) throws -> [UInt8] {
        if let size = fileSystem.size(path), size > maximumFileBytes {
            throw ConfigError.tooLarge(path: path, bytes: size, limit: maximumFileBytes)
        }
        return try fileSystem.read(path)
    }
}

/// A lock-protected memo of global expansions; configurations are immutable, so entries never go stale.
final class ExpansionCache: @unchecked Sendable {
    private var values: [String: Expander.Result] = [:]
    private let lock = NSLock()
    func get(_ name: String) -> Expander.Result? { lock.lock(); defer { lock.unlock() }; return values[name] }
    func set(_ name: String, _ value: Expander.Result) { lock.lock(); values[name] = value; lock.unlock() }
}
