import Foundation
import MailLog
import PostfixConfig
import PostlsCore
import TLSKit

/// Fixes for Dovecot's side of a diagnosis, in Dovecot's terms: its settings (`ssl_cert = </path`, `ssl_key`,
/// `ssl_min_protocol`, `ssl_cipher_list`; 2.4's `ssl_server_*`), the file and line they are set at, `doveconf -n`
/// to check and `doveadm reload` to load them.
///
/// Advice only: postls's safe apply knows main.cf/master.cf (parse, edit, validate with postconf/postfix check,
/// journal, roll back); it has no such loop for Dovecot's files. So a Dovecot fix carries a diff to review and the
/// commands to run, is never `applicable`, and has no edits or files `fix apply` could act on.
struct DovecotFixPlanner {
    let input: DiagnosisInput

    var dovecot: DovecotConfig? { input.dovecot }

    func fixes(cause: Cause, findings: [Finding], events: [TLSEvent]) -> [Fix] {
        var out: [Fix] = []
        func add(_ fix: Fix?) { if let fix, !out.contains(where: { $0.id == fix.id }) { out.append(fix) } }
        switch cause {
        case .incompleteChain:
            for f in findings where f.id == "incomplete_chain" { add(fullChainFix(f)) }
        case .untrustedCertificate, .expiredCertificate, .nameMismatch, .weakCertificate:
            for f in findings { add(newCertificateFix(cause: cause, f)) }
        case .keyMismatch, .certificateUnreadable:
            for f in findings where f.id != "dovecot_config_unreadable" && f.id != "certificate_needs_root" {
                add(matchingKeyFix(cause: cause, f) ?? pathFix(cause: cause, f))
            }
        case .unsupportedSetting:
            for f in findings {
                if f.id == "dovecot_invalid_protocol" { add(protocolFloorFix(cause: cause, at: f.file, line: f.line, floor: "TLSv1.2", events: [])) }
                else { add(correctionFix(f)) }
            }
        case .protocolMismatch:
            if !events.isEmpty { add(protocolMismatchFix(events)) }
        case .noSharedCipher:
            if !events.isEmpty { add(cipherListFix(events)) }
        case .starttlsUnavailable:
            for f in findings where f.id == "dovecot_ssl_disabled" { add(enableSSLFix(f)) }
        case .dhParameters:
            if !events.isEmpty { add(dhFix()) }
        case .dovecotConfigPre24:
            for f in findings where f.id == "dovecot_config_pre_2_4" { add(upgradeFix(f)) }
        case .plaintextOnTLSPort:
            if !events.isEmpty {
                add(fix(cause: cause, title: "Dovecot: mail clients must use SSL/TLS on the implicit-TLS ports, or STARTTLS on 143/110",
                        commands: ["# in the mail client: security \"SSL/TLS\" for port 993 (IMAP) or 995 (POP3), or \"STARTTLS\" for 143 or 110",
                                   "# test: openssl s_client -connect THIS-HOST:993 -quiet"]))
            }
        default:
            break
        }
        // Dovecot's logs without its configuration: say where to look rather than nothing.
        if out.isEmpty, dovecot == nil, !events.isEmpty, cause != .peerAborted, cause != .handshakeTimeout, cause != .unclassified {
            add(fix(cause: cause, title: "Dovecot: find the TLS setting behind these failures (postls read Dovecot's logs but not its configuration)",
                    commands: ["doveconf -n    # the ssl_* settings in effect: ssl_cert, ssl_key, ssl_min_protocol, ssl_cipher_list",
                               "postls diagnose --dovecot-config /etc/dovecot/dovecot.conf    # names the file and line, with a fix",
                               "doveadm reload    # after a change; or: systemctl reload dovecot"]))
        }
        return out
    }

    // MARK: fixes

    /// The leaf in the `ssl_cert` file followed by the intermediates found beside it, into a new file, and the
    /// setting pointed at it. Dovecot serves whatever `ssl_cert` holds after the leaf.
    func fullChainFix(_ finding: Finding) -> Fix? {
        guard let at = location(finding), let line = SettingLine.read(at.file, line: at.line), let certFile = line.path else { return nil }
        let newPath = FixPlanner.fullChainPath(for: certFile)
        let key = settingKey(finding.parameter) ?? line.key
        let diff = line.replacingValue(with: DovecotFixPlanner.value(key: key, path: newPath))
        var commands: [String]
        let chain = (try? Certificate.load(pemFile: certFile).first).map { FixPlanner.issuerChain(of: $0, in: (certFile as NSString).deletingLastPathComponent) } ?? []
        let title: String
        if chain.count > 1 {
            commands = ["cat \(certFile) \(chain.dropFirst().map(\.file).joined(separator: " ")) > \(newPath)    # the leaf, then its issuer\(chain.count > 2 ? "s" : ""), in order"]
            for issuer in chain.dropFirst() where !issuer.alone {
                commands.append("# \(issuer.file) holds other certificates too: keep only \(issuer.certificate.subject) from it")
            }
            title = "Dovecot: serve the full chain: \(key) = \(DovecotFixPlanner.value(key: key, path: newPath)) (leaf, then \(chain.count - 1) intermediate\(chain.count == 2 ? "" : "s") found beside it)"
        } else {
            commands = ["# the intermediate certificate(s) are not beside \(certFile): get them from your CA (ACME clients write fullchain.pem)",
                        "cat \(certFile) INTERMEDIATE.pem > \(newPath)    # the leaf first, then the intermediates"]
            title = "Dovecot: serve the full chain: put the intermediate certificate(s) after the leaf and point \(key) at that file"
        }
        commands.append("# then in \(at.file) line \(at.line): \(line.edited(DovecotFixPlanner.value(key: key, path: newPath)).trimmingCharacters(in: .whitespaces)) (the diff)")
        commands += checkAndReload
        return fix(cause: .incompleteChain, title: title, commands: commands, diff: diff,
                   impact: "mail clients that verify the chain (most do) stop rejecting \(certFile)")
    }

    /// A new key and CSR for a public CA (or an ACME client), then `ssl_cert`/`ssl_key` pointed at the result.
    func newCertificateFix(cause: Cause, _ finding: Finding) -> Fix? {
        guard let at = location(finding) else { return nil }
        let line = SettingLine.read(at.file, line: at.line)
        let certFile = line?.path
        // A local_name filter's certificate must cover the name the clients ask for.
        let host = finding.parameter.flatMap(Self.localName) ?? input.configuration?.value("myhostname") ?? "mail.example.org"
        let keySetting = dovecot?.setting("ssl_server_key_file") ?? dovecot?.setting("ssl_key")
        let keyDir = DovecotSSL.path(keySetting?.value).map { ($0 as NSString).deletingLastPathComponent }
            ?? certFile.map { ($0 as NSString).deletingLastPathComponent } ?? "/etc/dovecot/private"
        let is24 = (settingKey(finding.parameter) ?? "").hasPrefix("ssl_server_")
        let certKey = is24 ? "ssl_server_cert_file" : "ssl_cert", keyKey = is24 ? "ssl_server_key_file" : "ssl_key"
        let what: String
        switch cause {
        case .expiredCertificate: what = "Dovecot: renew the certificate\(certFile.map { " in \($0)" } ?? "") (\(certKey) at \(at.file):\(at.line))"
        case .nameMismatch: what = "Dovecot: get a certificate whose names cover \(host) for \(certKey) at \(at.file):\(at.line)"
        default: what = "Dovecot: get a certificate from a public CA that covers \(host) for \(certKey) at \(at.file):\(at.line)"
        }
        var commands: [String] = []
        if cause == .expiredCertificate { commands.append("# renew it with the tool that issued it (e.g. certbot renew), or make a new key and CSR:") }
        commands += ["openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout \(keyDir)/\(host).key -out \(keyDir)/\(host).csr -subj /CN=\(host) -addext subjectAltName=DNS:\(host)",
                     "# or with an ACME client, e.g.: certbot certonly --standalone -d \(host)",
                     "# then in \(at.file): \(certKey) = \(Self.value(key: certKey, path: "/path/to/fullchain.pem")) and \(keyKey) = \(Self.value(key: keyKey, path: "\(keyDir)/\(host).key"))"]
        commands += checkAndReload
        return fix(cause: cause, title: what, commands: commands)
    }

    /// The key that belongs to Dovecot's certificate, found beside the certificate or the configured key.
    func matchingKeyFix(cause: Cause, _ finding: Finding) -> Fix? {
        guard let at = location(finding), let key = settingKey(finding.parameter), key == "ssl_key" || key == "ssl_server_key_file",
              let line = SettingLine.read(at.file, line: at.line), let keyFile = line.path else { return nil }
        let certSetting = dovecot?.setting("ssl_server_cert_file") ?? dovecot?.setting("ssl_cert")
        guard let certFile = DovecotSSL.path(certSetting?.value), let leaf = try? Certificate.load(pemFile: certFile).first else { return nil }
        guard let found = MatchingKey.find(for: leaf, certFile: certFile, keyFile: keyFile) else { return nil }
        let value = Self.value(key: key, path: found)
        return fix(cause: cause, title: "Dovecot: use the key that belongs to \(certFile): \(key) = \(value)",
                   commands: ["# in \(at.file) line \(at.line): \(line.edited(value).trimmingCharacters(in: .whitespaces)) (the diff)"] + checkAndReload,
                   diff: line.replacingValue(with: value),
                   impact: "\(found) holds the private key of the certificate in \(certFile) (checked); \(keyFile) does not")
    }

    /// A certificate or key file Dovecot cannot load: the path to correct, and how to check it.
    func pathFix(cause: Cause, _ finding: Finding) -> Fix? {
        guard let at = location(finding), let key = settingKey(finding.parameter) else { return nil }
        let path = SettingLine.read(at.file, line: at.line)?.path
        var commands = path.map { ["ls -l \($0)    # must exist, be PEM (-----BEGIN ...), and be readable by root"] } ?? []
        commands.append("# in \(at.file) line \(at.line): point \(key) at the right file: \(key) = \(Self.value(key: key, path: "/path/to/file.pem"))"
                        + (key.hasPrefix("ssl_server_") ? "" : " (keep the <: it makes Dovecot read the file)"))
        commands += checkAndReload
        return fix(cause: cause, title: "Dovecot: correct \(key) at \(at.file):\(at.line)\(path.map { " (\($0))" } ?? "")", commands: commands)
    }

    /// `ssl_min_protocol` set to a floor the clients share; the line is the one that applies, or a new one.
    func protocolFloorFix(cause: Cause, at file: String?, line number: Int?, floor: String, events: [TLSEvent]) -> Fix? {
        let title = "Dovecot: ssl_min_protocol = \(floor)"
        var impact: String? = nil
        if !events.isEmpty {
            let peers = Set(events.compactMap { $0.peer?.name ?? $0.peer?.address }).sorted()
            impact = "\(events.count) failed login\(events.count == 1 ? "" : "s") in the logs (\(peers.prefix(5).joined(separator: ", "))) would get TLS after this change"
        }
        if let file, let number, let line = SettingLine.read(file, line: number) {
            return fix(cause: cause, title: title + " at \(file):\(number)",
                       commands: ["# in \(file) line \(number): \(line.edited(floor).trimmingCharacters(in: .whitespaces)) (the diff)"] + checkAndReload,
                       diff: line.replacingValue(with: floor), impact: impact)
        }
        guard let target = sslFile else { return nil }
        return fix(cause: cause, title: title + " in \(target)", commands: ["# add to \(target): ssl_min_protocol = \(floor) (the diff)"] + checkAndReload,
                   diff: SettingLine.appending("ssl_min_protocol = \(floor)", to: target), impact: impact)
    }

    /// Mail clients that failed on the protocol: a floor above TLS 1.2 comes down to TLS 1.2 (every current client
    /// speaks it); at TLS 1.2 already, the clients are too old, and the way down is said, not proposed.
    func protocolMismatchFix(_ events: [TLSEvent]) -> Fix? {
        let services = Set(events.compactMap(\.service)).sorted()
        let setting = services.lazy.compactMap { self.dovecot?.setting("ssl_min_protocol", protocol: $0) }.first ?? dovecot?.setting("ssl_min_protocol")
        let current = setting?.value ?? "TLSv1.2"
        if current == "TLSv1.3" {
            return protocolFloorFix(cause: .protocolMismatch, at: setting?.file, line: setting?.line, floor: "TLSv1.2", events: events)
        }
        let where_ = setting.map { " in \($0.file) line \($0.line)" } ?? (sslFile.map { " in \($0)" } ?? "")
        return fix(cause: .protocolMismatch,
                   title: "Dovecot: the mail clients that failed offer only protocols below ssl_min_protocol = \(current): update them",
                   commands: ["# in the mail client: update it, or turn on TLS 1.2 in its settings",
                              "# only if it cannot be updated: ssl_min_protocol = TLSv1 and ssl_cipher_list = DEFAULT:@SECLEVEL=0\(where_) (OpenSSL 3 refuses TLS 1.0/1.1 at its default security level)"]
                       + checkAndReload)
    }

    /// An `ssl_cipher_list` that shares no cipher with the clients: commented out, Dovecot's default list applies.
    func cipherListFix(_ events: [TLSEvent]) -> Fix? {
        let services = Set(events.compactMap(\.service)).sorted()
        guard let setting = services.lazy.compactMap({ self.dovecot?.setting("ssl_cipher_list", protocol: $0) }).first ?? dovecot?.setting("ssl_cipher_list"),
              let line = SettingLine.read(setting.file, line: setting.line) else { return nil }
        return fix(cause: .noSharedCipher, title: "Dovecot: remove ssl_cipher_list = \(setting.value) at \(setting.file):\(setting.line) (back to Dovecot's default list)",
                   commands: ["# in \(setting.file) line \(setting.line): comment it out (the diff)"] + checkAndReload,
                   diff: line.commentingOut())
    }

    /// `ssl = no`: TLS on again when a certificate is configured; else the certificate comes first (postls setup).
    func enableSSLFix(_ finding: Finding) -> Fix? {
        guard let at = location(finding), let line = SettingLine.read(at.file, line: at.line) else { return nil }
        guard dovecot?.ssl().certFile != nil || dovecot?.setting("ssl_cert") != nil || dovecot?.setting("ssl_server_cert_file") != nil else {
            let dir = input.configuration?.directory ?? "/etc/postfix"
            return fix(cause: .starttlsUnavailable, title: "Dovecot: TLS needs a certificate first: postls setup finds or makes one and shows Dovecot's ssl settings",
                       commands: ["postls setup --config-dir \(dir) --dovecot-config \(dovecot?.path ?? at.file) --dry-run    # the plan, with the diff for Dovecot"])
        }
        return fix(cause: .starttlsUnavailable, title: "Dovecot: turn TLS on: ssl = yes at \(at.file):\(at.line)",
                   commands: ["# in \(at.file) line \(at.line): ssl = yes (or required, to refuse plaintext logins) (the diff)"] + checkAndReload,
                   diff: line.replacingValue(with: "yes"))
    }

    /// A line the installed Dovecot refuses: 2.4 names on 2.3 (and 2.3 names on 2.4) become the installed version's,
    /// anything else is pointed at.
    func correctionFix(_ finding: Finding) -> Fix? {
        guard let at = location(finding) else { return nil }
        if let line = SettingLine.read(at.file, line: at.line), let (newKey, newValue) = Self.otherVersionName(line.key, value: line.value),
           finding.message.contains("Unknown setting") {
            return fix(cause: .unsupportedSetting, title: "Dovecot: \(line.key) is not known to the installed Dovecot: write \(newKey) = \(newValue) at \(at.file):\(at.line)",
                       commands: ["# in \(at.file) line \(at.line): \(newKey) = \(newValue) (the diff)"] + checkAndReload,
                       diff: line.replacingLine(with: "\(newKey) = \(newValue)"))
        }
        return fix(cause: .unsupportedSetting, title: "Dovecot: correct \(at.file) line \(at.line) (the installed Dovecot refuses it)",
                   commands: [checkCommand + "    # names what Dovecot refuses, with its file and line",
                              "# edit \(at.file) line \(at.line); the finding says why: \(finding.message.prefix(160))"] + [reloadCommand])
    }

    /// A 2.3 configuration under 2.4: one diff over every file concerned, each renamed ssl setting under its 2.4 name
    /// (`ssl_cert = </p` → `ssl_server_cert_file = /p`) and `dovecot_config_version` first in the main file.
    func upgradeFix(_ finding: Finding) -> Fix? {
        guard let dovecot else { return nil }
        // The lint finding names the installed version first ("Dovecot 2.4.1 is installed ...").
        let version = finding.message.split(separator: " ").dropFirst().first.map(String.init) ?? "2.4.0"
        let changes = dovecot.upgradedTo24(version: version)
        guard !changes.isEmpty else { return nil }
        let diff = changes.map { UnifiedDiff.make($0.old, $0.new, name: SettingLine.diffName($0.file)) }.joined()
        let renamed = dovecot.settingsRenamedIn24
        var commands = changes.map { "# edit \($0.file) as the diff shows" }
        if renamed.contains(where: { $0.key == "ssl_ca" }) {
            commands.append("# ssl_ca (the CAs that verify client certificates) is ssl_server_ca_file; the CAs for outgoing connections stay ssl_client_ca_file/ssl_client_ca_dir")
        }
        // Dovecot did not start with the 2.3 configuration: start it rather than reload it.
        let start = dovecot.path == "/etc/dovecot/dovecot.conf" ? "systemctl restart dovecot    # it stopped at the upgrade" : "dovecot -c \(dovecot.path)"
        commands += [checkCommand + "    # must print no error", start]
        let what = renamed.isEmpty ? "" : ", rename \(renamed.count) ssl setting\(renamed.count == 1 ? "" : "s") (\(Set(renamed.map(\.key)).sorted().joined(separator: ", ")))"
        return fix(cause: .dovecotConfigPre24,
                   title: "Dovecot: upgrade the configuration to \(version)\(dovecot.declaresConfigVersion ? "" : ": dovecot_config_version first")\(what)",
                   commands: commands, diff: diff,
                   impact: "Dovecot \(version) starts with the configuration again: IMAP/POP3 over TLS come back")
    }

    /// DH parameters for Dovecot 2.3's DHE ciphers.
    func dhFix() -> Fix? {
        let dir = dovecot.map { ($0.path as NSString).deletingLastPathComponent } ?? "/etc/dovecot"
        let where_ = (dovecot?.setting("ssl_dh")).map { "\($0.file) line \($0.line)" } ?? (sslFile ?? "dovecot.conf")
        return fix(cause: .dhParameters, title: "Dovecot: give ssl_dh a readable 2048-bit DH parameter file",
                   commands: ["openssl dhparam -out \(dir)/dh.pem 2048", "# in \(where_): ssl_dh = <\(dir)/dh.pem"] + checkAndReload)
    }

    // MARK: helpers

    func fix(cause: Cause, title: String, commands: [String], diff: String? = nil, impact: String? = nil) -> Fix {
        Fix(id: FixPlanner.id(cause: cause, key: title), title: title, kind: diff == nil ? .command : .configEdit, cause: cause,
            diff: diff, commands: commands, edits: [], impact: impact, applicable: false, ports: [], files: [], server: .dovecot)
    }

    /// `doveconf -n` parses the whole configuration and reads `<file` values: an error names file and line.
    var checkCommand: String {
        guard let path = dovecot?.path, path != "/etc/dovecot/dovecot.conf" else { return "doveconf -n" }
        return "doveconf -c \(path) -n"
    }

    var reloadCommand: String {
        guard let path = dovecot?.path, path != "/etc/dovecot/dovecot.conf" else { return "doveadm reload    # or: systemctl reload dovecot" }
        return "doveadm -c \(path) reload"
    }

    var checkAndReload: [String] { [checkCommand + "    # must print no error", reloadCommand] }

    /// The file that holds Dovecot's ssl settings (Debian: conf.d/10-ssl.conf), else the main file.
    var sslFile: String? {
        guard let dovecot else { return nil }
        return (dovecot.setting("ssl") ?? dovecot.setting("ssl_cert") ?? dovecot.setting("ssl_server_cert_file"))?.file ?? dovecot.path
    }

    func location(_ finding: Finding) -> (file: String, line: Int)? {
        guard let file = finding.file, let line = finding.line, line > 0 else { return nil }
        return (file, line)
    }

    /// `ssl_cert (local_name mail.example.org)` → `ssl_cert`.
    func settingKey(_ parameter: String?) -> String? {
        parameter.flatMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// The name of a `local_name` filter in a finding's parameter.
    static func localName(_ parameter: String) -> String? {
        guard let range = parameter.range(of: "local_name ") else { return nil }
        let name = parameter[range.upperBound...].prefix { $0 != "," && $0 != ")" && $0 != " " }
        return name.isEmpty ? nil : String(name)
    }

    /// 2.3's file settings take `<path` (the file's contents); 2.4's `ssl_server_*_file` take the path.
    static func value(key: String, path: String) -> String {
        DovecotConfig.rename(of: key)?.takesPath == true ? "<" + path : path
    }

    /// A name and its other version's (`ssl_cert` and `ssl_server_cert_file`), the name itself first.
    static func spellings(_ name: String) -> [String] {
        [name] + (otherVersionName(name, value: "").map { [$0.0] } ?? [])
    }

    /// The same setting under the other version's name: 2.4's `ssl_server_cert_file = /p` is 2.3's `ssl_cert = </p`.
    static func otherVersionName(_ key: String, value: String) -> (String, String)? {
        if let rename = DovecotConfig.rename(of: key) { return (rename.new, rename.newValue(value)) }
        guard let rename = DovecotConfig.renamedIn24.first(where: { $0.new == key }) else { return nil }
        if rename.takesPath { return (rename.old, value.hasPrefix("<") ? value : "<" + value) }
        return (rename.old, rename.values.first { $0.value == value }?.key ?? value)
    }
}

/// One `key = value` line of a Dovecot file, for a diff that changes only its value (indentation, the key as
/// written and a trailing comment are kept).
struct SettingLine {
    let file: String
    let lines: [String]
    let index: Int
    /// The key as written on the line (`cert_file` inside a 2.4 `ssl_server { }` block).
    let key: String
    let value: String
    let prefix: String

    static func read(_ file: String, line number: Int) -> SettingLine? {
        guard let bytes = try? LocalFileSystem().read(file) else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\n")
        guard number >= 1, number <= lines.count, let eq = lines[number - 1].firstIndex(of: "=") else { return nil }
        let text = lines[number - 1]
        let key = text[..<eq].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, !key.hasPrefix("#") else { return nil }
        var value = String(text[text.index(after: eq)...])
        if let hash = value.range(of: " #") { value = String(value[..<hash.lowerBound]) }
        return SettingLine(file: file, lines: lines, index: number - 1, key: key, value: value.trimmingCharacters(in: .whitespaces),
                           prefix: String(text.prefix { $0 == " " || $0 == "\t" }))
    }

    /// The file a `<path` or plain path value names.
    var path: String? { DovecotSSL.path(value) }

    func edited(_ newValue: String) -> String { "\(prefix)\(key) = \(newValue)" }

    func replacingValue(with newValue: String) -> String { diff(replacing: edited(newValue)) }

    func replacingLine(with text: String) -> String { diff(replacing: prefix + text) }

    func commentingOut() -> String { diff(replacing: prefix + "#" + lines[index].dropFirst(prefix.count)) }

    func diff(replacing newLine: String) -> String {
        var edited = lines
        edited[index] = newLine
        return UnifiedDiff.make(Array(lines.joined(separator: "\n").utf8), Array(edited.joined(separator: "\n").utf8), name: Self.diffName(file))
    }

    /// A new line at the end of `file`.
    static func appending(_ text: String, to file: String) -> String? {
        guard let bytes = try? LocalFileSystem().read(file) else { return nil }
        let old = String(decoding: bytes, as: UTF8.self)
        let new = old + (old.isEmpty || old.hasSuffix("\n") ? "" : "\n") + text + "\n"
        return UnifiedDiff.make(bytes, Array(new.utf8), name: diffName(file))
    }

    static func diffName(_ file: String) -> String { file.hasPrefix("/") ? String(file.dropFirst()) : file }
}
