import Foundation
import PostlsCore

/// Dovecot's configuration as its config parser reads it: `!include`/`!include_try` with globs
/// (relative to the including file), sections and filters (`protocol imap { }`, `local 192.0.2.1 { }`,
/// `remote 10.0.0.0/8 { }`, `local_name mail.example.org { }`, nested), `key = value` with `#` comments,
/// quotes and `\` continuation lines. Settings of 2.3 and 2.4 are both understood, including 2.4's
/// `ssl_server { cert_file = ... }` blocks (the same as `ssl_server_cert_file = ...`).
public struct DovecotConfig: Sendable {
    public struct Setting: Sendable, Equatable {
        public var key: String
        public var value: String
        public var file: String
        public var line: Int
    }

    public final class Section: @unchecked Sendable {
        /// `protocol`, `service`, `inet_listener`, `local_name`, ...; empty for the top level.
        public let type: String
        public let name: String
        public let file: String
        public let line: Int
        public internal(set) var settings: [Setting] = []
        public internal(set) var sections: [Section] = []
        /// The enclosing section (nil for the top level).
        public private(set) weak var parent: Section?
        init(type: String, name: String, file: String, line: Int, parent: Section? = nil) {
            self.type = type; self.name = name; self.file = file; self.line = line; self.parent = parent
        }

        /// Whether this section restricts where its settings apply (Dovecot's config filters).
        public var isFilter: Bool { DovecotConfig.filterTypes.contains(type) }

        /// 2.4 named filters whose settings are the prefixed global ones: `ssl_server { cert_file }` is
        /// `ssl_server_cert_file`.
        var settingPrefix: String? { name.isEmpty && (type == "ssl_server" || type == "ssl_client") ? type + "_" : nil }

        /// The last setting of `key` directly in this section.
        public func setting(_ key: String) -> Setting? { settings.last { $0.key == key } }
    }

    public struct Problem: Sendable, Equatable {
        public var file: String
        public var line: Int
        public var message: String
    }

    public let path: String
    public let root: Section
    /// Every file read, in order.
    public let files: [String]
    public let problems: [Problem]

    /// Reads `path` and everything it includes. Throws `ConfigError.unreadable` when `path` itself cannot be read.
    public init(path: String, fileSystem: ConfigFileSystem = LocalFileSystem()) throws {
        self.path = path
        var reader = Reader(fileSystem: fileSystem)
        let root = Section(type: "", name: "", file: path, line: 0)
        try reader.read(path, into: root, stack: [root], depth: 0, mustExist: true)
        self.root = root
        files = reader.files
        problems = reader.problems
    }

    /// Filters nest outside in as local, local_name, remote, protocol (config-parser.c); doveconf stops
    /// with a fatal error on any other order and on a protocol inside a protocol.
    static func nestingProblem(_ section: Section) -> String? {
        let rank = ["local": 0, "local_name": 1, "remote": 2, "protocol": 3]
        guard let inner = rank[section.type] else { return nil }
        var ancestor = section.parent
        while let outer = ancestor {
            if let outerRank = rank[outer.type] {
                if outer.type == "protocol" && section.type == "protocol" { return "Nested protocol { protocol { .. } } block not allowed" }
                if outerRank > inner {
                    return "\(outer.type) { \(section.type) { .. } } not allowed (use \(section.type) { \(outer.type) { .. } } instead)"
                }
            }
            ancestor = outer.parent
        }
        return nil
    }

    /// Section types that are config filters.
    static let filterTypes: Set<String> = ["protocol", "local", "remote", "local_name"]

    /// A setting's value for one protocol (`protocol imap { }`), else the global one.
    public func setting(_ key: String, protocol name: String? = nil) -> Setting? {
        setting(key, for: FilterQuery(protocol: name))
    }

    /// A setting's value for a connection: the most specific matching filter that sets it wins, then the global
    /// value. Dovecot 2.3's order (config-filter.c): a `local_name` filter first, then the longest `local` prefix,
    /// the longest `remote` prefix, then a protocol. Dovecot 2.4 (measured with doveconf 2.4.1 -a -f ...): the
    /// most deeply nested filter first, and among equally deep ones the last in the file; no conflicts.
    public func setting(_ key: String, for query: FilterQuery) -> Setting? {
        candidates(key, for: query).first?.setting ?? root.setting(key)
    }

    /// Matching filters that set `key`, the one that wins first.
    private func candidates(_ key: String, for query: FilterQuery) -> [(criteria: FilterCriteria, setting: Setting)] {
        let found = filters.filter { $0.criteria.matches(query) }
            .compactMap { filter in filter.section.setting(key).map { (filter.criteria, $0, Self.filterDepth(filter.section)) } }
        guard syntaxVersion == "2.4" else { return found.sorted { $0.0.precedes($1.0) }.map { ($0.0, $0.1) } }
        let order = Dictionary(files.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let position = { (s: Setting) in ((order[s.file] ?? 0), s.line) }
        return found.sorted { $0.2 != $1.2 ? $0.2 > $1.2 : position($0.1) > position($1.1) }.map { ($0.0, $0.1) }
    }

    /// How many filters a filter section is (itself included).
    static func filterDepth(_ section: Section) -> Int {
        var depth = 0
        var current: Section? = section
        while let s = current { if s.isFilter { depth += 1 }; current = s.parent }
        return depth
    }

    /// Two settings of `key` that both apply to the connection where neither filter contains the other
    /// (say `protocol pop3 { }` and `local_name x { }`): Dovecot 2.3 refuses that connection's configuration
    /// ("Conflict in setting ... found from filter"); 2.4 takes the winner by its order instead.
    public func conflict(_ key: String, for query: FilterQuery) -> (Setting, Setting)? {
        guard syntaxVersion != "2.4" else { return nil }
        let found = candidates(key, for: query)
        guard let winner = found.first else { return nil }
        for other in found.dropFirst() where !other.criteria.isSuperset(of: winner.criteria) { return (winner.setting, other.setting) }
        return nil
    }

    /// Pairs of filters that set the same `key` for some possible connection without one containing the
    /// other: every connection matching both is refused (by Dovecot 2.3; 2.4 has no such conflicts).
    public func conflicts(_ key: String) -> [(Setting, Setting)] {
        guard syntaxVersion != "2.4" else { return [] }
        let setting = filters.compactMap { filter in filter.section.setting(key).map { (filter.criteria, $0) } }
        var out: [(Setting, Setting)] = []
        for (index, a) in setting.enumerated() {
            for b in setting[(index + 1)...] where a.0.overlaps(b.0) && !a.0.isSuperset(of: b.0) && !b.0.isSuperset(of: a.0) {
                out.append((a.1, b.1))
            }
        }
        return out
    }

    /// Every filter section (nested ones too) with the criteria of its whole chain, in file order.
    public var filters: [(section: Section, criteria: FilterCriteria)] {
        var out: [(Section, FilterCriteria)] = []
        func walk(_ section: Section, _ criteria: FilterCriteria) {
            for child in section.sections where child.isFilter {
                let combined = criteria.adding(child)
                out.append((child, combined))
                walk(child, combined)
            }
        }
        walk(root, FilterCriteria())
        return out
    }

    private struct Reader {
        let fileSystem: ConfigFileSystem
        var files: [String] = []
        var problems: [Problem] = []
        /// The files being read, outermost first.
        var open: [String] = []

        mutating func read(_ path: String, into section: Section, stack: [Section], depth: Int, mustExist: Bool) throws {
            guard depth < 20 else {
                problems.append(Problem(file: path, line: 0, message: "includes nested more than 20 deep (an include loop?)"))
                return
            }
            // A file that includes itself (directly or further down) is a loop: Dovecot refuses it too. Without this,
            // a file including itself twice was read 2^20 times before the depth limit (found by fuzzing).
            guard !open.contains(path) else {
                problems.append(Problem(file: path, line: 0, message: "!include \(path) inside itself (an include loop): skipped"))
                return
            }
            guard files.count < 1000 else {
                problems.append(Problem(file: path, line: 0, message: "more than 1000 included files: \(path) and the rest skipped"))
                return
            }
            open.append(path)
            defer { open.removeLast() }
            let bytes: [UInt8]
            do { bytes = try fileSystem.read(path) } catch {
                if mustExist {
                    if depth == 0 { throw error }
                    problems.append(Problem(file: path, line: 0, message: "\(error)"))
                }
                return
            }
            files.append(path)
            var stack = stack
            var pending = ""
            var pendingLine = 0
            // Lines split on bytes: as Characters the split cost a tenth of `postls config`, and "\r\n" is one
            // Character, so a CRLF file was not split at all. Dovecot drops the "\r" of a CRLF line too.
            for (index, rawLine) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
                var line = String(decoding: rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine, as: UTF8.self)
                // A trailing backslash continues the line; Dovecot joins the parts with one space.
                if line.hasSuffix("\\") {
                    let part = String(line.dropLast()).trimmingWhitespace()
                    if pending.isEmpty { pendingLine = index + 1; pending = part } else { pending += " " + part }
                    continue
                }
                let number = pending.isEmpty ? index + 1 : pendingLine
                if !pending.isEmpty { line = pending + " " + line.trimmingWhitespace() }
                pending = ""
                try handle(line, file: path, line: number, stack: &stack, depth: depth)
            }
            if stack.count != 1 && depth == 0 {
                problems.append(Problem(file: path, line: 0, message: "missing '}'"))
            }
        }

        /// Drops a `#` comment that starts a line or follows whitespace, outside quotes.
        func stripComment(_ line: String) -> String {
            var inQuotes = false
            var previous: Character = " "
            var result = ""
            for character in line {
                if character == "\"" { inQuotes.toggle() }
                if character == "#" && !inQuotes && (previous == " " || previous == "\t") { break }
                result.append(character)
                previous = character
            }
            return result.trimmingWhitespace()
        }

        mutating func handle(_ raw: String, file: String, line: Int, stack: inout [Section], depth: Int) throws {
            let trimmed = raw.trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { return }
            let text = stripComment(trimmed)
            guard let current = stack.last else { return }
            if text.hasPrefix("!include_try ") || text.hasPrefix("!include ") {
                let mustExist = text.hasPrefix("!include ")
                var target = String(text.drop(while: { $0 != " " })).trimmingWhitespace()
                if target.hasPrefix("\"") && target.hasSuffix("\"") && target.count >= 2 { target = String(target.dropFirst().dropLast()) }
                if !target.hasPrefix("/") { target = (file as NSString).deletingLastPathComponent + "/" + target }
                // Through the file system, like every read: a fake one (tests, fuzzing) must never send a pattern to the disk.
                let matches = fileSystem.glob(target)
                if matches.isEmpty && mustExist && !target.contains("*") && !target.contains("?") {
                    problems.append(Problem(file: file, line: line, message: "!include \(target): no such file"))
                }
                for match in matches { try read(match, into: current, stack: stack, depth: depth + 1, mustExist: mustExist) }
                return
            }
            if text == "}" {
                if stack.count > 1 { stack.removeLast() } else { problems.append(Problem(file: file, line: line, message: "unexpected '}'")) }
                return
            }
            if text.hasSuffix("{") {
                let header = text.dropLast().trimmingWhitespace()
                let parts = header.split(separator: " ", maxSplits: 1).map(String.init)
                var name = parts.count > 1 ? parts[1].trimmingWhitespace() : ""
                if name.count >= 2 && name.hasPrefix("\"") && name.hasSuffix("\"") {
                    name = String(name.dropFirst().dropLast())
                } else if name.contains(" ") || name.contains("\t") {
                    // Dovecot takes one word (or one quoted string) as the name and stops with a fatal error.
                    problems.append(Problem(file: file, line: line, message: "Expecting '{': a section name with spaces must be quoted (\(parts[0]) \"\(name)\" {)"))
                }
                let section = Section(type: parts.first ?? "", name: name, file: file, line: line, parent: current)
                if let problem = DovecotConfig.nestingProblem(section) { problems.append(Problem(file: file, line: line, message: problem)) }
                current.sections.append(section)
                stack.append(section)
                return
            }
            guard let equals = text.firstIndex(of: "=") else {
                problems.append(Problem(file: file, line: line, message: "expecting '=': \(text.prefix(60))"))
                return
            }
            let key = text[..<equals].trimmingWhitespace()
            var value = text[text.index(after: equals)...].trimmingWhitespace()
            if value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            // A 2.4 `ssl_server { }` block adds its settings, prefixed, to the section around it.
            if let prefix = current.settingPrefix, let parent = current.parent {
                parent.settings.append(Setting(key: key.hasPrefix(prefix) ? key : prefix + key, value: value, file: file, line: line))
            } else {
                current.settings.append(Setting(key: key, value: value, file: file, line: line))
            }
        }
    }
}

/// What the installed Dovecot says about a configuration: the first error of `doveconf -c FILE -n`.
public struct DovecotValidation: Sendable, Equatable {
    public var file: String?
    public var line: Int?
    public var message: String
}

extension DovecotConfig {
    /// Runs the installed `doveconf` on this configuration (the oracle for settings and syntax the installed
    /// version does not accept, e.g. 2.4 names on 2.3). nil when it accepts it or doveconf is not installed.
    /// With a `cache`, the verdict of an earlier run is used while doveconf and every file this configuration
    /// read (and the folders holding them, for files added to an `!include` glob) are unchanged.
    public func validate(runner: ProcessRunner, executable: String = "doveconf", cache: CommandOutputCache = .disabled) -> DovecotValidation? {
        guard let program = findExecutable(executable) ?? (executable.hasPrefix("/") ? executable : nil) else { return nil }
        let run = {
            let output = try runner.run(executable, ["-c", path, "-n"], timeout: 15)
            return output.succeeded ? "accepted\n" : "refused\n" + output.stderr
        }
        let verdict = cache.directory == nil ? try? run() : try? cache.output(name: "doveconf-n", key: validationKey(program: program), compute: run)
        guard let verdict, verdict.hasPrefix("refused\n") else { return nil }
        return Self.parseDoveconfError(String(verdict.dropFirst("refused\n".count)))
    }

    /// What `doveconf -n`'s verdict depends on: the program, the files read, their folders, and the host
    /// (doveconf resolves the host name).
    func validationKey(program: String) -> String {
        var lines = ["doveconf -c \(path) -n", "program " + CommandOutputCache.identity(of: program)]
        var folders: [String] = []
        for file in files {
            lines.append("file " + CommandOutputCache.identity(of: file))
            let folder = (file as NSString).deletingLastPathComponent
            if !folders.contains(folder) { folders.append(folder) }
        }
        for folder in folders { lines.append("folder " + CommandOutputCache.identity(of: folder)) }
        lines.append(CommandOutputCache.hostFacts())
        return lines.joined(separator: "\n")
    }

    /// `doveconf: Fatal: Error in configuration file F line N: MESSAGE`, or the first error line as it is.
    static func parseDoveconfError(_ stderr: String) -> DovecotValidation? {
        let lines = stderr.split(separator: "\n").map(String.init)
        guard let first = lines.first(where: { $0.contains("Error") || $0.contains("Fatal") }) ?? lines.first else { return nil }
        if let range = first.range(of: "Error in configuration file ") {
            let rest = first[range.upperBound...]
            if let lineRange = rest.range(of: " line "), let colon = rest[lineRange.upperBound...].firstIndex(of: ":"),
               let number = Int(rest[lineRange.upperBound..<colon]) {
                let message = rest[rest.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                return DovecotValidation(file: String(rest[..<lineRange.lowerBound]), line: number, message: message)
            }
        }
        var message = first
        for prefix in ["doveconf: Fatal: ", "doveconf: Error: "] where message.hasPrefix(prefix) { message.removeFirst(prefix.count) }
        return DovecotValidation(file: nil, line: nil, message: message)
    }
}

/// What a connection looks like to Dovecot's filters: its protocol, local and remote address, and the
/// server name the client asked for (SNI).
public struct FilterQuery: Sendable, Equatable {
    public var `protocol`: String?
    public var local: String?
    public var remote: String?
    public var localName: String?
    public init(protocol: String? = nil, local: String? = nil, remote: String? = nil, localName: String? = nil) {
        self.protocol = `protocol`; self.local = local; self.remote = remote; self.localName = localName
    }
}

/// The conditions of a filter section and the filters it is nested in.
public struct FilterCriteria: Sendable, Equatable, CustomStringConvertible {
    public var protocols: [String]?
    public var local: IPNetwork?
    public var remote: IPNetwork?
    /// `local` or `remote` given as a host name: Dovecot resolves it at startup; postls does not match it.
    public var unresolvedHost: String?
    public var localNames: [String]?

    /// Adds the condition of `section` (a filter).
    func adding(_ section: DovecotConfig.Section) -> FilterCriteria {
        var criteria = self
        let name = section.name.trimmingWhitespace()
        switch section.type {
        case "protocol": criteria.protocols = name.split(separator: " ").map(String.init)
        case "local_name": criteria.localNames = name.split(separator: " ").map { $0.lowercased() }
        case "local", "remote":
            if let network = IPNetwork(name) {
                if section.type == "local" { criteria.local = network } else { criteria.remote = network }
            } else {
                criteria.unresolvedHost = name
            }
        default: break
        }
        return criteria
    }

    func matches(_ query: FilterQuery) -> Bool {
        if unresolvedHost != nil { return false }
        if let protocols { guard let wanted = query.protocol, protocols.contains(wanted) else { return false } }
        if let local { guard let address = query.local, local.contains(address) else { return false } }
        if let remote { guard let address = query.remote, remote.contains(address) else { return false } }
        if let localNames {
            guard let wanted = query.localName?.lowercased() else { return false }
            return localNames.contains { pattern in
                if pattern.hasPrefix("*.") { return wanted.hasSuffix(pattern.dropFirst()) }
                return pattern == wanted
            }
        }
        return true
    }

    /// Dovecot's config_filter_parser_cmp(): whether this filter is consulted before `other`.
    func precedes(_ other: FilterCriteria) -> Bool {
        if (localNames != nil) != (other.localNames != nil) { return localNames != nil }
        if (local?.bits ?? 0) != (other.local?.bits ?? 0) { return (local?.bits ?? 0) > (other.local?.bits ?? 0) }
        if (remote?.bits ?? 0) != (other.remote?.bits ?? 0) { return (remote?.bits ?? 0) > (other.remote?.bits ?? 0) }
        return protocols != nil && other.protocols == nil
    }

    /// config_filter_is_superset(): every connection this filter matches... is matched by `self` too, because
    /// each of `self`'s conditions is also one of `other`'s (or a wider network around it).
    func isSuperset(of other: FilterCriteria) -> Bool {
        if let protocols, protocols != other.protocols { return false }
        if let localNames, localNames != other.localNames { return false }
        if let unresolvedHost, unresolvedHost != other.unresolvedHost { return false }
        for (mine, theirs) in [(local, other.local), (remote, other.remote)] {
            guard let mine else { continue }
            guard let theirs, mine.bits <= theirs.bits, mine.contains(theirs.address) else { return false }
        }
        return true
    }

    /// Whether some connection could match both filters.
    func overlaps(_ other: FilterCriteria) -> Bool {
        if let a = protocols, let b = other.protocols, Set(a).isDisjoint(with: b) { return false }
        if let a = localNames, let b = other.localNames {
            let shared = a.contains { name in b.contains { $0 == name || ($0.hasPrefix("*.") && name.hasSuffix($0.dropFirst())) || (name.hasPrefix("*.") && $0.hasSuffix(name.dropFirst())) } }
            if !shared { return false }
        }
        for (mine, theirs) in [(local, other.local), (remote, other.remote)] {
            guard let mine, let theirs else { continue }
            // Two prefixes overlap when the shorter one contains the longer one's address.
            let (wide, narrow) = mine.bits <= theirs.bits ? (mine, theirs) : (theirs, mine)
            if !wide.contains(narrow.address) { return false }
        }
        return true
    }

    /// A connection this filter matches (for listing what each filter configures).
    var representativeQuery: FilterQuery {
        FilterQuery(protocol: protocols?.first, local: local?.address, remote: remote?.address, localName: localNames?.first.map {
            $0.hasPrefix("*.") ? "host" + $0.dropFirst() : $0
        })
    }

    /// `local_name mail.example.org, protocol imap` style.
    public var description: String {
        var parts: [String] = []
        if let localNames { parts.append("local_name " + localNames.joined(separator: " ")) }
        if let local { parts.append("local \(local)") }
        if let remote { parts.append("remote \(remote)") }
        if let unresolvedHost { parts.append("host \(unresolvedHost)") }
        if let protocols { parts.append("protocol " + protocols.joined(separator: " ")) }
        return parts.isEmpty ? "global" : parts.joined(separator: ", ")
    }
}

/// An IPv4 or IPv6 address with a prefix length (`192.0.2.0/24`, `2001:db8::/32`, a bare address is /32 or /128).
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    public let bytes: [UInt8]
    public let bits: Int
    let text: String

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let address = IPNetwork.parse(first) else { return nil }
        let maximum = address.count * 8
        let bits = parts.count == 2 ? Int(parts[1]) : maximum
        guard let bits, bits >= 0, bits <= maximum else { return nil }
        self.bytes = address; self.bits = bits; self.text = text
    }

    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// The address part, as written.
    var address: String { String(text.split(separator: "/").first ?? "") }

    public func contains(_ addressText: String) -> Bool {
        guard let address = IPNetwork.parse(addressText), address.count == bytes.count else { return false }
        var remaining = bits
        for index in 0..<bytes.count where remaining > 0 {
            let take = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if address[index] & mask != bytes[index] & mask { return false }
            remaining -= take
        }
        return true
    }

    public var description: String { text }
}

/// Dovecot's TLS settings, from 2.3 names (`ssl_cert = <file`) or 2.4 names (`ssl_server_cert_file`).
public struct DovecotSSL: Sendable, Equatable {
    public var ssl: String
    public var certFile: String?
    public var keyFile: String?
    public var caFile: String?
    public var minProtocol: String?
    public var cipherList: String?
    public var dhFile: String?

    /// 2.3's `<path` means "the contents of path"; 2.4 names the path directly.
    public static func path(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value.hasPrefix("<") ? String(value.dropFirst()).trimmingWhitespace() : value
    }
}

extension DovecotConfig {
    /// The SSL settings in effect globally or for one protocol.
    public func ssl(protocol name: String? = nil) -> DovecotSSL {
        ssl(for: FilterQuery(protocol: name))
    }

    /// The SSL settings in effect for a connection.
    public func ssl(for query: FilterQuery) -> DovecotSSL {
        func get(_ keys: String...) -> String? {
            for key in keys { if let setting = setting(key, for: query) { return setting.value } }
            return nil
        }
        return DovecotSSL(
            ssl: get("ssl") ?? "yes",
            certFile: DovecotSSL.path(get("ssl_server_cert_file", "ssl_cert")),
            keyFile: DovecotSSL.path(get("ssl_server_key_file", "ssl_key")),
            caFile: DovecotSSL.path(get("ssl_server_ca_file", "ssl_ca")),
            minProtocol: get("ssl_min_protocol"),
            cipherList: get("ssl_cipher_list"),
            dhFile: DovecotSSL.path(get("ssl_server_dh_file", "ssl_dh")))
    }

    /// The settings `postls setup` proposes and `postls report` shows: `ssl`, the certificate and the key, and
    /// `ssl_min_protocol`, under the names this configuration writes (2.4's `ssl_server_cert_file` and
    /// `ssl_server_key_file` when it uses them or is 2.4 syntax, else 2.3's `ssl_cert` and `ssl_key`).
    public var sslSettingNames: [String] {
        var keys = Set(root.settings.map(\.key))
        for filter in filters { keys.formUnion(filter.section.settings.map(\.key)) }
        let uses24 = keys.contains("ssl_server_cert_file") || keys.contains("ssl_server_key_file")
            || (!keys.contains("ssl_cert") && !keys.contains("ssl_key") && syntaxVersion == "2.4")
        return uses24 ? ["ssl", "ssl_server_cert_file", "ssl_server_key_file", "ssl_min_protocol"] : ["ssl", "ssl_cert", "ssl_key", "ssl_min_protocol"]
    }

    /// Filters that set any of `keys`, in file order, with those settings (`protocol imap { ssl_cert = ... }`).
    public func filterSettings(_ keys: [String]) -> [(criteria: FilterCriteria, settings: [Setting])] {
        filters.compactMap { filter in
            let found = keys.compactMap { filter.section.setting($0) }
            return found.isEmpty ? nil : (filter.criteria, found)
        }
    }

    /// Keys that name certificate and key files (2.3 and 2.4).
    public static let certificateKeys: Set<String> = ["ssl_cert", "ssl_key", "ssl_server_cert_file", "ssl_server_key_file"]

    /// Each filter that sets a certificate or key (a certificate per local address, per SNI name, per
    /// protocol), with the SSL settings a connection it matches gets.
    public var certificateFilters: [(criteria: FilterCriteria, section: Section, ssl: DovecotSSL)] {
        filters.filter { $0.section.settings.contains { DovecotConfig.certificateKeys.contains($0.key) } }
            .map { ($0.criteria, $0.section, ssl(for: $0.criteria.representativeQuery)) }
    }

    /// "2.4" when the file uses 2.4-only settings (`dovecot_config_version`, `ssl_server_*`), else "2.3".
    public var syntaxVersion: String {
        let keys = Set(root.settings.map(\.key)).union(root.sections.flatMap { $0.settings.map(\.key) })
        return keys.contains("dovecot_config_version") || keys.contains { $0.hasPrefix("ssl_server_") } ? "2.4" : "2.3"
    }

    /// Protocols named in `protocols` (default imap pop3 lmtp).
    public var protocols: [String] {
        (root.setting("protocols")?.value ?? "imap pop3 lmtp").split(separator: " ").map(String.init)
    }

    /// `inet_listener` sections of services, with port and ssl.
    public var listeners: [(service: String, name: String, port: Int?, ssl: Bool)] {
        root.sections.filter { $0.type == "service" }.flatMap { service in
            service.sections.filter { $0.type == "inet_listener" }.map { listener in
                (service.name, listener.name, listener.setting("port").flatMap { Int($0.value) }, listener.setting("ssl")?.value == "yes")
            }
        }
    }
}

/// `postls config`'s `dovecot` field (docs/json/config.schema.json).
extension DovecotConfig: Encodable {
    private enum Keys: String, CodingKey {
        case files, syntax, ssl, protocols, filters, listeners, problems
        case configFile = "config_file"
    }
    private enum FilterKeys: String, CodingKey { case filter, file, line, ssl }
    private enum ListenerKeys: String, CodingKey { case service, name, port, ssl }
    private enum ProblemKeys: String, CodingKey { case file, line, message }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(path, forKey: .configFile); try c.encode(files, forKey: .files)
        try c.encode(syntaxVersion, forKey: .syntax); try c.encode(ssl(), forKey: .ssl)
        var perProtocol: [String: DovecotSSL] = [:]
        for name in protocols where ssl(protocol: name) != ssl() { perProtocol[name] = ssl(protocol: name) }
        try c.encode(perProtocol, forKey: .protocols)
        var filters = c.nestedUnkeyedContainer(forKey: .filters)
        for filter in certificateFilters {
            var f = filters.nestedContainer(keyedBy: FilterKeys.self)
            try f.encode(filter.criteria.description, forKey: .filter); try f.encode(filter.section.file, forKey: .file)
            try f.encode(filter.section.line, forKey: .line); try f.encode(filter.ssl, forKey: .ssl)
        }
        var listenerArray = c.nestedUnkeyedContainer(forKey: .listeners)
        for listener in listeners {
            var l = listenerArray.nestedContainer(keyedBy: ListenerKeys.self)
            try l.encode(listener.service, forKey: .service); try l.encode(listener.name, forKey: .name)
            try l.encode(listener.port, forKey: .port); try l.encode(listener.ssl, forKey: .ssl)
        }
        var problemArray = c.nestedUnkeyedContainer(forKey: .problems)
        for problem in problems {
            var p = problemArray.nestedContainer(keyedBy: ProblemKeys.self)
            try p.encode(problem.file, forKey: .file); try p.encode(problem.line, forKey: .line); try p.encode(problem.message, forKey: .message)
        }
    }
}

extension DovecotSSL: Encodable {
    /// Dovecot's own setting names, without the `ssl_` prefix.
    private enum Keys: String, CodingKey {
        case ssl, certFile = "cert_file", keyFile = "key_file", caFile = "ca_file", minProtocol = "min_protocol"
        case cipherList = "cipher_list", dhFile = "dh_file"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(ssl, forKey: .ssl); try c.encode(certFile, forKey: .certFile); try c.encode(keyFile, forKey: .keyFile)
        try c.encode(caFile, forKey: .caFile); try c.encode(minProtocol, forKey: .minProtocol)
        try c.encode(cipherList, forKey: .cipherList); try c.encode(dhFile, forKey: .dhFile)
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension StringProtocol {
    /// `trimmingCharacters(in: .whitespaces)` (tab and the Unicode space separators) without Foundation's
    /// NSString round trip for the usual ASCII edges, which made reading a stock dovecot.conf cost milliseconds.
    func trimmingWhitespace() -> String {
        let whole = Substring(self)
        let bytes = whole.utf8
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start = bytes.index(after: start) }
        while start < end {
            let before = bytes.index(before: end)
            guard bytes[before] == 0x20 || bytes[before] == 0x09 else { break }
            end = before
        }
        // A non-ASCII byte at either edge may belong to a Unicode space: Foundation decides, as before.
        if start < end, bytes[start] >= 0x80 || bytes[bytes.index(before: end)] >= 0x80 {
            return String(whole).trimmingCharacters(in: .whitespaces)
        }
        return String(whole[start..<end])
    }
}
