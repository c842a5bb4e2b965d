import Foundation

/// Dovecot's configuration as its config parser reads it: `!include`/`!include_try` with globs
/// (relative to the including file), sections and filters (`protocol imap { }`, `local_name`, `service`),
/// `key = value` with `#` comments, quotes and `\` continuation lines. Settings of 2.3 and 2.4 are both understood.
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
        init(type: String, name: String, file: String, line: Int) { self.type = type; self.name = name; self.file = file; self.line = line }

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

    /// A setting's value: inside `protocol NAME { }` when given and set there, else the global one.
    public func setting(_ key: String, protocol name: String? = nil) -> Setting? {
        if let name, let filter = root.sections.last(where: { $0.type == "protocol" && $0.name.split(separator: " ").contains(Substring(name)) }),
           let value = filter.setting(key) {
            return value
        }
        return root.setting(key)
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
            let text = String(decoding: bytes, as: UTF8.self)
            var pending = ""
            var pendingLine = 0
            for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                var line = String(rawLine)
                if line.hasSuffix("\r") { line.removeLast() }
                // A trailing backslash continues the line; Dovecot joins the parts with one space.
                if line.hasSuffix("\\") {
                    let part = String(line.dropLast()).trimmingCharacters(in: .whitespaces)
                    if pending.isEmpty { pendingLine = index + 1; pending = part } else { pending += " " + part }
                    continue
                }
                let number = pending.isEmpty ? index + 1 : pendingLine
                if !pending.isEmpty { line = pending + " " + line.trimmingCharacters(in: .whitespaces) }
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
            return result.trimmingCharacters(in: .whitespaces)
        }

        mutating func handle(_ raw: String, file: String, line: Int, stack: inout [Section], depth: Int) throws {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { return }
            let text = stripComment(trimmed)
            guard let current = stack.last else { return }
            if text.hasPrefix("!include_try ") || text.hasPrefix("!include ") {
                let mustExist = text.hasPrefix("!include ")
                var target = String(text.drop(while: { $0 != " " })).trimmingCharacters(in: .whitespaces)
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
                let header = text.dropLast().trimmingCharacters(in: .whitespaces)
                let parts = header.split(separator: " ", maxSplits: 1).map(String.init)
                let section = Section(type: parts.first ?? "", name: parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "", file: file, line: line)
                current.sections.append(section)
                stack.append(section)
                return
            }
            guard let equals = text.firstIndex(of: "=") else {
                problems.append(Problem(file: file, line: line, message: "expecting '=': \(text.prefix(60))"))
                return
            }
            let key = text[..<equals].trimmingCharacters(in: .whitespaces)
            var value = text[text.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            current.settings.append(Setting(key: key, value: value, file: file, line: line))
        }
    }
}

/// Dovecot's TLS settings, from 2.3 names (`ssl_cert = <file`) or 2.4 names (`ssl_server_cert_file`).
public struct DovecotSSL: Sendable, Equatable {
    public var ssl: String
    public var cert_file: String?
    public var key_file: String?
    public var ca_file: String?
    public var min_protocol: String?
    public var cipher_list: String?
    public var dh_file: String?

    /// 2.3's `<path` means "the contents of path"; 2.4 names the path directly.
    static func path(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value.hasPrefix("<") ? String(value.dropFirst()).trimmingCharacters(in: .whitespaces) : value
    }
}

extension DovecotConfig {
    /// The SSL settings in effect globally or for one protocol.
    public func ssl(protocol name: String? = nil) -> DovecotSSL {
        func get(_ keys: String...) -> String? {
            for key in keys { if let setting = setting(key, protocol: name) { return setting.value } }
            return nil
        }
        return DovecotSSL(
            ssl: get("ssl") ?? "yes",
            cert_file: DovecotSSL.path(get("ssl_server_cert_file", "ssl_cert")),
            key_file: DovecotSSL.path(get("ssl_server_key_file", "ssl_key")),
            ca_file: DovecotSSL.path(get("ssl_server_ca_file", "ssl_ca")),
            min_protocol: get("ssl_min_protocol"),
            cipher_list: get("ssl_cipher_list"),
            dh_file: DovecotSSL.path(get("ssl_server_dh_file", "ssl_dh")))
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

    /// The JSON object for `postls config`'s `dovecot` field.
    public func jsonObject() -> [String: Any] {
        func sslObject(_ ssl: DovecotSSL) -> [String: Any] {
            ["ssl": ssl.ssl, "cert_file": ssl.cert_file as Any? ?? NSNull(), "key_file": ssl.key_file as Any? ?? NSNull(),
             "ca_file": ssl.ca_file as Any? ?? NSNull(), "min_protocol": ssl.min_protocol as Any? ?? NSNull(),
             "cipher_list": ssl.cipher_list as Any? ?? NSNull(), "dh_file": ssl.dh_file as Any? ?? NSNull()]
        }
        var perProtocol: [String: Any] = [:]
        for name in protocols where ssl(protocol: name) != ssl() { perProtocol[name] = sslObject(ssl(protocol: name)) }
        return [
            "config_file": path, "files": files, "syntax": syntaxVersion, "ssl": sslObject(ssl()), "protocols": perProtocol,
            "listeners": listeners.map { ["service": $0.service, "name": $0.name, "port": $0.port as Any? ?? NSNull(), "ssl": $0.ssl] as [String: Any] },
            "problems": problems.map { ["file": $0.file, "line": $0.line, "message": $0.message] as [String: Any] },
        ]
    }
}

#if canImport(Glibc)
import Glibc
#endif
