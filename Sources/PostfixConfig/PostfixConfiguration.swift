import Foundation
import PostlsCore
import Synchronization

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

    public var directory: String { global.directory }
    public var main: MainCF { global.main }
    public let master: MasterCF
    public var defaults: ParameterDefaults { global.defaults }
    private var expander: Expander { global.expander }
    /// main.cf, the defaults and the memo of global expansions, behind one reference: expansion closures
    /// capture it instead of copying this struct (and retaining every field) per `$name`.
    private let global: GlobalScope
    let listenerCache = OnceCache<[SMTPDListener]>()

    public init(directory: String, main: MainCF, master: MasterCF, defaults: ParameterDefaults) {
        global = GlobalScope(directory: directory, main: main, defaults: defaults)
        self.master = master
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
        return global.raw(name)
    }

    /// The value with every `$name` expanded (the service's overrides take precedence inside it too).
    public func expanded(_ name: String, service: MasterCF.Service? = nil) -> Expander.Result? {
        if service == nil, let memo = global.memo(name, depth: 0) { return memo.result }
        guard let raw = raw(name, service: service) else { return nil }
        return expand(raw.value, service: service)
    }

    /// The global expansion of main.cf's effective entry `index` (see `MainCF.effectiveIndices`);
    /// the same as `expanded(main.entries[index].name)` without looking the name up.
    public func expandedEntry(_ index: Int) -> Expander.Result {
        if let memo = global.memo(entry: index, depth: 0) { return memo.result }
        return expand(global.main.entries[index].rawValue)
    }

    /// Expands arbitrary text in the global (or a service's) name space.
    public func expand(_ text: String, service: MasterCF.Service? = nil) -> Expander.Result {
        guard let service else { return expander.expand(text) { [global] in global.raw($0)?.value } }
        return expander.expand(text) { self.raw($0, service: service)?.value }
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

    /// `displayExpanded` for main.cf's effective entry `index`.
    public func displayExpandedEntry(_ index: Int) -> Expander.Result {
        let entry = global.main.entries[index]
        if PostfixConfiguration.unexpandedParameters.contains(entry.name) { return Expander.Result(value: entry.rawValue, issues: []) }
        return expandedEntry(index)
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

/// The global name space: main.cf, `config_directory`, computed and built-in defaults, and a
/// lock-protected memo of expansions (configurations are immutable, so entries never go stale).
final class GlobalScope: MemoScope, @unchecked Sendable {
    let directory: String
    let main: MainCF
    let defaults: ParameterDefaults
    let expander = Expander()

    init(directory: String, main: MainCF, defaults: ParameterDefaults) {
        self.directory = directory; self.main = main; self.defaults = defaults
        memos = Mutex(Memos(slots: Array(repeating: nil, count: main.entries.count)))
    }

    /// The raw value and its source in main.cf, then the defaults.
    func raw(_ name: String) -> (value: String, source: PostfixConfiguration.Source)? {
        if let index = main.effectiveIndex[name] { return (main.entries[index].rawValue, .mainCF(line: main.entries[index].line)) }
        if name == "config_directory" { return (directory, .commandLine) }
        if let value = computedDefault(name) { return (value, .defaultValue) }
        if let value = defaults.values[name] { return (value, .defaultValue) }
        return nil
    }

    func rawValue(_ name: String) -> String? { raw(name)?.value }

    /// Postfix computes these from the host name, the configured myhostname, and the interfaces.
    private func computedDefault(_ name: String) -> String? {
        switch name {
        case "mynetworks":
            // postconf's pcf_mynetworks(): main.cf's (expanded) settings, else the expanded defaults, so
            // mynetworks_style follows compatibility_level.
            guard let interfaces = defaults.interfaces else { return nil }
            func setting(_ name: String) -> String {
                guard let raw = raw(name)?.value else { return "" }
                return expander.expand(raw) { $0 == "mynetworks" ? nil : self.raw($0)?.value }.value.trimmingCharacters(in: .whitespaces)
            }
            return MyNetworks.compute(style: setting("mynetworks_style"), inetInterfaces: setting("inet_interfaces"),
                                      inetProtocols: setting("inet_protocols"), host: interfaces)
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

    /// Most memos a reference chain builds recursively before it expands in place (bounds the stack).
    private static let memoRecursionLimit = 64

    /// The global expansion of `name`, computed once; nil when it is undefined, being computed (a loop, or
    /// another thread), or too deep in a chain of memos. Callers then expand in place, with the same result.
    func memo(_ name: String, depth: Int) -> Expander.Memo? {
        if let index = main.effectiveIndex[name] { return memo(entry: index, depth: depth) }
        switch memos.withLock({ $0.others[name] }) {
        case .done(let memo)?: return memo
        case .inProgress?: return nil
        case nil: break
        }
        guard depth < Self.memoRecursionLimit, let raw = raw(name) else { return nil }
        let started = memos.withLock { memos in
            if memos.others[name] != nil { return false }  // another thread started it meanwhile
            memos.others[name] = .inProgress
            return true
        }
        guard started else { return nil }
        let memo = expander.memoizedExpansion(raw.value, scope: self, depth: depth)
        memos.withLock { $0.others[name] = .done(memo) }
        return memo
    }

    /// The memo of main.cf's entry `index` (an effective one), kept by position: no hashing per use.
    func memo(entry index: Int, depth: Int) -> Expander.Memo? {
        enum Found { case memo(Expander.Memo), none, start }
        let found: Found = memos.withLock { memos in
            switch memos.slots[index] {
            case .done(let memo)?: return .memo(memo)
            case .inProgress?: return .none
            case nil:
                guard depth < Self.memoRecursionLimit else { return .none }
                memos.slots[index] = .inProgress
                return .start
            }
        }
        switch found {
        case .memo(let memo): return memo
        case .none: return nil
        case .start: break
        }
        let memo = expander.memoizedExpansion(main.entries[index].rawValue, scope: self, depth: depth)
        memos.withLock { $0.slots[index] = .done(memo) }
        return memo
    }

    private enum MemoState { case inProgress, done(Expander.Memo) }
    /// A name being expanded is `.inProgress`: a reference back to it is a loop (or another thread's work).
    /// main.cf's names by entry position, others (defaults) by name.
    private struct Memos {
        var slots: [MemoState?]
        var others: [String: MemoState] = [:]
    }
    private let memos: Mutex<Memos>
}

/// A value computed at most once per configuration (shared by copies of the struct).
final class OnceCache<Value: Sendable>: Sendable {
    private let stored = Mutex<Value?>(nil)
    func value(_ compute: () -> Value) -> Value {
        stored.withLock { stored in
            if let stored { return stored }
            let value = compute()
            stored = value
            return value
        }
    }
}
