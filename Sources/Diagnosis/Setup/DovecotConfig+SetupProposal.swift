import Foundation
import PostfixConfig
import PostlsCore

extension DovecotConfig {
    /// The settings `postls setup` proposes for these certificate files, as changes and a diff per file (empty when
    /// already so): `ssl = required`, the certificate and key (2.3's `ssl_cert = <path` or 2.4's
    /// `ssl_server_cert_file = path`, as the configuration writes them) and `ssl_min_protocol = TLSv1.2`.
    ///
    /// A global setting is changed where it is written (in an included file, in a 2.4 `ssl_server { }` block), else
    /// added beside Dovecot's other ssl settings (Debian keeps them in conf.d/10-ssl.conf) or in the main file. A
    /// `protocol`, `local` or `remote` filter that sets one of them is changed too, or its connections would keep the
    /// old value; `local_name` filters serve other names (SNI) and are left as they are. Nothing is written.
    public func setupProposal(certificateFile: String, keyFile: String) -> (changes: [String], diff: String) {
        let names = sslSettingNames
        func wanted(_ key: String) -> String {
            switch key {
            case "ssl": return "required"
            case "ssl_min_protocol": return "TLSv1.2"
            case "ssl_cert", "ssl_server_cert_file": return DovecotFixPlanner.value(key: key, path: certificateFile)
            default: return DovecotFixPlanner.value(key: key, path: keyFile)
            }
        }

        var originals: [String: String] = [:]
        for file in files { originals[file] = try? String(contentsOfFile: file, encoding: .utf8) }
        var edited = originals.mapValues { $0.components(separatedBy: "\n") }
        var changes: [String] = []
        func replace(_ setting: Setting, with value: String) {
            guard var lines = edited[setting.file], setting.line >= 1, setting.line <= lines.count else { return }
            let old = lines[setting.line - 1]
            let indent = old.prefix { $0 == " " || $0 == "\t" }
            // The key as written: `cert_file` inside a 2.4 `ssl_server { }` block.
            let key = old.split(separator: "=", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? setting.key
            lines[setting.line - 1] = "\(indent)\(key) = \(value)"
            edited[setting.file] = lines
        }

        let sslFile = (root.setting("ssl") ?? globalSSLSetting(names[1]))?.file ?? path
        for name in names {
            if let current = globalSSLSetting(name) {
                let value = wanted(current.key)
                guard current.value != value else { continue }
                changes.append("\(current.key) = \(value) (now \(current.value))")
                replace(current, with: value)
            } else {
                let value = wanted(name)
                changes.append("\(name) = \(value) (now unset)")
                var lines = edited[sslFile] ?? []
                if lines.last == "" { lines.insert("\(name) = \(value)", at: lines.count - 1) } else { lines.append("\(name) = \(value)") }
                edited[sslFile] = lines
            }
        }
        let allSpellings = names.flatMap(DovecotFixPlanner.spellings)
        for filter in filterSettings(allSpellings) where filter.criteria.localNames == nil {
            for setting in filter.settings where setting.value != wanted(setting.key) {
                changes.append("\(setting.key) = \(wanted(setting.key)) in \(filter.criteria) (now \(setting.value))")
                replace(setting, with: wanted(setting.key))
            }
        }

        var diff = ""
        for file in edited.keys.sorted() {
            guard let original = originals[file], let lines = edited[file] else { continue }
            let new = lines.joined(separator: "\n")
            let name = file.hasPrefix("/") ? String(file.dropFirst()) : file
            if new != original { diff += UnifiedDiff.make(Array(original.utf8), Array(new.utf8), name: name) }
        }
        return (changes, diff)
    }
}

extension DovecotConfig {
    /// A global setting under its name or the other version's (`ssl_cert` or `ssl_server_cert_file`).
    func globalSSLSetting(_ name: String) -> Setting? {
        DovecotFixPlanner.spellings(name).lazy.compactMap { self.root.setting($0) }.first
    }
}
