import Foundation
import PostlsCore

/// One ssl setting Dovecot 2.4 renamed (doc/settings of 2.4, `doveconf -a` of Debian 13's 2.4.1).
public struct DovecotRename: Sendable, Equatable {
    /// The 2.3 name (`ssl_cert`).
    public let old: String
    /// The 2.4 name (`ssl_server_cert_file`).
    public let new: String
    /// 2.3 read the file's contents (`ssl_cert = </path`); the 2.4 `*_file` setting takes the path itself.
    public let takesPath: Bool
    /// Values 2.4 spells differently (`ssl_prefer_server_ciphers = yes` is `ssl_server_prefer_ciphers = server`).
    public let values: [String: String]

    /// The 2.4 value for a 2.3 one.
    public func newValue(_ value: String) -> String {
        if takesPath { return DovecotSSL.path(value) ?? value }
        return values[value] ?? value
    }
}

extension DovecotConfig {
    /// The ssl settings 2.4 renamed, one row each. 2.3's `ssl_ca` (the CAs that verify client certificates) is
    /// 2.4's `ssl_server_ca_file`; the CAs for outgoing connections were already `ssl_client_ca_file`/`_dir` in 2.3.
    public static let renamedIn24: [DovecotRename] = [
        DovecotRename(old: "ssl_cert", new: "ssl_server_cert_file", takesPath: true, values: [:]),
        DovecotRename(old: "ssl_key", new: "ssl_server_key_file", takesPath: true, values: [:]),
        DovecotRename(old: "ssl_alt_cert", new: "ssl_server_alt_cert_file", takesPath: true, values: [:]),
        DovecotRename(old: "ssl_alt_key", new: "ssl_server_alt_key_file", takesPath: true, values: [:]),
        DovecotRename(old: "ssl_ca", new: "ssl_server_ca_file", takesPath: true, values: [:]),
        DovecotRename(old: "ssl_dh", new: "ssl_server_dh_file", takesPath: true, values: [:]),
        DovecotRename(old: "ssl_key_password", new: "ssl_server_key_password", takesPath: false, values: [:]),
        DovecotRename(old: "ssl_cert_username_field", new: "ssl_server_cert_username_field", takesPath: false, values: [:]),
        DovecotRename(old: "ssl_prefer_server_ciphers", new: "ssl_server_prefer_ciphers", takesPath: false, values: ["yes": "server", "no": "client"]),
        DovecotRename(old: "ssl_require_crl", new: "ssl_server_require_crl", takesPath: false, values: [:]),
        DovecotRename(old: "ssl_verify_client_cert", new: "ssl_server_request_client_cert", takesPath: false, values: [:]),
        DovecotRename(old: "ssl_client_cert", new: "ssl_client_cert_file", takesPath: true, values: [:]),
        DovecotRename(old: "ssl_client_key", new: "ssl_client_key_file", takesPath: true, values: [:]),
    ]

    public static func rename(of key: String) -> DovecotRename? { renamedIn24.first { $0.old == key } }

    /// Every setting in every section, in file order.
    public var allSettings: [Setting] {
        var out: [Setting] = []
        func walk(_ section: Section) {
            out += section.settings
            section.sections.forEach(walk)
        }
        walk(root)
        return out.sorted { ($0.file, $0.line) < ($1.file, $1.line) }
    }

    /// Settings written under a 2.3 name that 2.4 renamed.
    public var settingsRenamedIn24: [Setting] { allSettings.filter { Self.rename(of: $0.key) != nil } }

    /// 2.4 stops unless the main file's first setting is `dovecot_config_version`.
    public var declaresConfigVersion: Bool { root.settings.first { $0.file == path }?.key == "dovecot_config_version" }

    /// `local_name "a b" { }` blocks: 2.3 served several names from one; 2.4 refuses them ("Multiple names no
    /// longer supported in local_name value").
    public var multiNameLocalNames: [Section] {
        var out: [Section] = []
        func walk(_ section: Section) {
            for child in section.sections {
                if child.type == "local_name" && child.name.trimmingWhitespace().contains(" ") { out.append(child) }
                walk(child)
            }
        }
        walk(root)
        return out
    }

    /// Whether this is (partly) a 2.3 configuration: no `dovecot_config_version` first, a renamed ssl setting, or
    /// a `local_name` block with several names.
    public var needsUpgradeTo24: Bool { !declaresConfigVersion || !settingsRenamedIn24.isEmpty || !multiNameLocalNames.isEmpty }

    /// The installed Dovecot's version (`dovecot --version`: "2.4.1-4 (7d8c0e5759)" → "2.4.1"), nil when absent.
    /// With a `cache`, kept while the dovecot program is the same file: starting dovecot costs as much as all of
    /// `postls config`'s own work.
    public static func installedVersion(runner: ProcessRunner, executable: String = "dovecot", cache: CommandOutputCache = .disabled) -> String? {
        let run = { () throws -> String in
            let out = try runner.run(executable, ["--version"], timeout: 10)
            return out.succeeded ? out.stdout : ""
        }
        let program = cache.directory == nil ? nil : findExecutable(executable) ?? (executable.hasPrefix("/") ? executable : nil)
        let text = program.map { program in
            try? cache.output(name: "dovecot-version", key: "dovecot --version\nprogram " + CommandOutputCache.identity(of: program), compute: run)
        } ?? (try? run())
        let version = (text ?? "").prefix { $0.isNumber || $0 == "." }
        return version.isEmpty ? nil : String(version)
    }

    /// Whether a `dovecot --version` is 2.4 or later.
    public static func is24OrLater(_ version: String) -> Bool {
        let parts = version.split(separator: ".").compactMap { Int($0) }
        guard parts.count >= 2 else { return false }
        return parts[0] > 2 || (parts[0] == 2 && parts[1] >= 4)
    }

    /// The files of this configuration rewritten for 2.4 `version`: each renamed setting under its new name and
    /// value (indentation kept), and `dovecot_config_version`/`dovecot_storage_version` first in the main file
    /// when missing; a `local_name "a b" { }` block once per name. Only files that change, each as (path, old
    /// bytes, new bytes).
    public func upgradedTo24(version: String, fileSystem: ConfigFileSystem = LocalFileSystem()) -> [(file: String, old: [UInt8], new: [UInt8])] {
        var byFile: [String: [Setting]] = [:]
        for setting in settingsRenamedIn24 { byFile[setting.file, default: []].append(setting) }
        let splits = Dictionary(grouping: multiNameLocalNames, by: \.file)
        var changed = files.filter { byFile[$0] != nil || splits[$0] != nil }
        if !declaresConfigVersion && !changed.contains(path) { changed.insert(path, at: 0) }
        return changed.compactMap { file in
            guard let bytes = try? fileSystem.read(file) else { return nil }
            var lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\n")
            for setting in byFile[file] ?? [] where setting.line >= 1 && setting.line <= lines.count {
                guard let rename = Self.rename(of: setting.key) else { continue }
                let text = lines[setting.line - 1]
                let indent = String(text.prefix { $0 == " " || $0 == "\t" })
                // A trailing comment stays (Dovecot's: a # after whitespace).
                let afterEquals = text.firstIndex(of: "=").map { text[$0...] } ?? ""
                let comment = afterEquals.range(of: " #").map { String(afterEquals[$0.lowerBound...]) } ?? ""
                lines[setting.line - 1] = "\(indent)\(rename.new) = \(rename.newValue(setting.value))\(comment)"
            }
            // Last block first, so the line numbers of the earlier ones stay true.
            for section in (splits[file] ?? []).sorted(by: { $0.line > $1.line }) { Self.splitLocalName(section, in: &lines) }
            if file == path && !declaresConfigVersion {
                // The storage stays readable by 2.3 until it is raised (Dovecot's upgrade notes).
                lines.insert(contentsOf: ["dovecot_config_version = \(version)", "dovecot_storage_version = 2.3.0"], at: 0)
            }
            let new = Array(lines.joined(separator: "\n").utf8)
            return new == bytes ? nil : (file, bytes, new)
        }
    }

    /// Writes the `local_name` block `section` (several names) once per name, its body repeated in each.
    static func splitLocalName(_ section: Section, in lines: inout [String]) {
        let start = section.line - 1
        guard start >= 0 && start < lines.count else { return }
        var depth = 0
        var end = start
        for index in start..<lines.count {
            let text = (lines[index].split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "")
                .trimmingCharacters(in: .whitespaces)
            if text.hasSuffix("{") { depth += 1 }
            if text == "}" { depth -= 1 }
            end = index
            if depth == 0 { break }
        }
        guard depth == 0, end > start else { return }
        let indent = String(lines[start].prefix { $0 == " " || $0 == "\t" })
        let body = Array(lines[(start + 1)...end])
        let names = section.name.trimmingWhitespace().split(separator: " ").map(String.init)
        lines.replaceSubrange(start...end, with: names.flatMap { ["\(indent)local_name \($0) {"] + body })
    }
}
