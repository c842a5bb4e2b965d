import Foundation
import PostlsCore
import Testing
import TestSupport
@testable import PostfixConfig

@Suite struct DovecotTests {
    static var includesFile: String { Corpus.root.appendingPathComponent("dovecot-includes/dovecot.conf").path }

    @Test func includesGlobsFiltersAndContinuationsAreRead() throws {
        let config = try DovecotConfig(path: Self.includesFile)
        #expect(config.files.count == 4)
        let ssl = config.ssl()
        #expect(ssl.ssl == "required")
        #expect(ssl.certFile == "/etc/letsencrypt/live/mail.example.org/fullchain.pem")
        #expect(ssl.keyFile == "/etc/letsencrypt/live/mail.example.org/privkey.pem")
        #expect(ssl.dhFile == "/usr/share/dovecot/dh.pem")
        // Dovecot joins continuation lines with a space (doveconf shows it).
        #expect(ssl.cipherList == "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384: ECDHE-ECDSA-CHACHA20-POLY1305")
        let pop3 = config.ssl(protocol: "pop3")
        #expect(pop3.minProtocol == "TLSv1")
        #expect(pop3.cipherList == "DEFAULT:@SECLEVEL=0")
        #expect(pop3.certFile == ssl.certFile)
        #expect(config.ssl(protocol: "imap") == ssl)
        #expect(config.listeners.map(\.port) == [995, 143, 993])
        #expect(config.listeners.filter(\.ssl).map(\.name) == ["pop3s", "imaps"])
        #expect(config.syntaxVersion == "2.3")
        #expect(config.problems.isEmpty)
    }

    /// A file saved with CRLF line ends (edited on Windows) reads as the same settings, lines and sections.
    @Test func crlfLineEndsReadLikeLF() throws {
        let text = "ssl = required\nssl_cert = </etc/ssl/mail.pem\nprotocol imap {\n  ssl_cert = </etc/ssl/imap.pem\n}\nssl_min_protocol = TLSv1.2 \\\n\n"
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        try directory.write("lf.conf", Array(text.utf8))
        try directory.write("crlf.conf", Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8))
        let lf = try DovecotConfig(path: directory.path + "/lf.conf")
        let crlf = try DovecotConfig(path: directory.path + "/crlf.conf")
        #expect(crlf.ssl().certFile == "/etc/ssl/mail.pem")
        #expect(crlf.ssl(protocol: "imap").certFile == "/etc/ssl/imap.pem")
        #expect(crlf.setting("ssl_min_protocol")?.value == "TLSv1.2")
        #expect(crlf.setting("ssl_min_protocol")?.line == lf.setting("ssl_min_protocol")?.line)
        #expect(crlf.problems.isEmpty && lf.problems.isEmpty)
    }

    @Test func dovecot24NamesAndMissingIncludesAreHandled() throws {
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        try directory.write("dovecot.conf", Array("""
            dovecot_config_version = 2.4.0
            ssl_server_cert_file = /etc/ssl/mail.pem
            ssl_server_key_file = /etc/ssl/mail.key
            ssl_min_protocol = TLSv1.3
            !include missing.conf
            protocol imap {
              ssl_server_cert_file = /etc/ssl/imap.pem
            }
            }

            """.utf8))
        let config = try DovecotConfig(path: directory.path + "/dovecot.conf")
        #expect(config.syntaxVersion == "2.4")
        #expect(config.ssl().certFile == "/etc/ssl/mail.pem")
        #expect(config.ssl(protocol: "imap").certFile == "/etc/ssl/imap.pem")
        #expect(config.problems.count == 2)
        #expect(throws: ConfigError.self) { try DovecotConfig(path: directory.path + "/nope.conf") }
    }

    /// The real doveconf is the oracle for the settings postls reads.
    @Test(.enabled(if: findExecutable("doveconf") != nil || RealPostconf.isCI, "needs doveconf"),
          arguments: ["corpus", "/etc/dovecot/dovecot.conf"])
    func settingsMatchDoveconf(_ which: String) throws {
        let file = which == "corpus" ? Self.includesFile : which
        guard FileManager.default.fileExists(atPath: file) else {
            if RealPostconf.isCI && which == "corpus" { Issue.record("missing \(file)") }
            return
        }
        guard let doveconf = findExecutable("doveconf") else { Issue.record("doveconf missing but CI is set"); return }
        let config = try DovecotConfig(path: file)
        for key in ["ssl", "ssl_cert", "ssl_ca", "ssl_dh", "ssl_min_protocol", "ssl_cipher_list", "ssl_prefer_server_ciphers"] {
            for filter in [nil, "imap", "pop3"] as [String?] {
                var arguments = ["-c", file]
                if let filter { arguments += ["-f", "protocol=\(filter)"] }
                let output = try SystemProcessRunner().run(doveconf, arguments + ["-h", key], timeout: 30)
                #expect(output.succeeded, "\(output.stderr)")
                let expected = output.stdout.trimmingCharacters(in: .newlines)
                if let ours = config.setting(key, protocol: filter)?.value {
                    #expect(ours == expected, "\(file) \(filter ?? "global") \(key)")
                }
            }
        }
    }

    /// The same oracle on Dovecot 2.4, for the corpus in 2.4's form (postls's own upgrade of it: 2.4 names, the
    /// version first). 2.4's `doveconf -h` prints the flat `ssl_server_cert_file` empty, so the answer is the top
    /// level of `doveconf -a`.
    @Test(.enabled(if: findExecutable("doveconf") != nil || RealPostconf.isCI, "needs doveconf"))
    func settingsMatchDoveconf24() throws {
        guard let servers = try Generation.debian13.serversOrSkip() else { return }
        guard servers.has("doveconf") else { Issue.record("doveconf missing in the Debian 13 root"); return }
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        let copy = directory.path + "/dovecot-includes"
        try FileManager.default.copyItem(atPath: Corpus.root.appendingPathComponent("dovecot-includes").path, toPath: copy)
        let changes = try DovecotConfig(path: copy + "/dovecot.conf").upgradedTo24(version: "2.4.1")
        #expect(changes.count == 2)
        for change in changes { try Data(change.new).write(to: URL(fileURLWithPath: change.file)) }
        let config = try DovecotConfig(path: copy + "/dovecot.conf")
        #expect(config.syntaxVersion == "2.4" && !config.needsUpgradeTo24)
        let keys = ["ssl", "ssl_cert", "ssl_ca", "ssl_dh", "ssl_min_protocol", "ssl_cipher_list", "ssl_prefer_server_ciphers"]
        for filter in [nil, "imap", "pop3"] as [String?] {
            var arguments = ["-c", copy + "/dovecot.conf"]
            if let filter { arguments += ["-f", "protocol=\(filter)"] }
            let output = try servers.runner.run("doveconf", arguments + ["-a"], timeout: 30)
            #expect(output.succeeded, "\(output.stderr)")
            let answered = Self.topLevelSettings(output.stdout)
            for key in keys.map({ DovecotConfig.rename(of: $0)?.new ?? $0 }) {
                let ours = try #require(config.setting(key, protocol: filter)?.value, "\(key) unset in the corpus")
                #expect(ours == answered[key], "\(filter ?? "global") \(key)")
            }
        }
    }

    static var filtersFile: String { Corpus.root.appendingPathComponent("dovecot-filters/dovecot.conf").path }

    /// Connections that exercise each filter kind and their precedence.
    static let filterQueries: [FilterQuery] = [
        FilterQuery(), FilterQuery(protocol: "imap"), FilterQuery(protocol: "pop3"),
        FilterQuery(local: "192.0.2.10"), FilterQuery(protocol: "imap", local: "192.0.2.10"), FilterQuery(protocol: "pop3", local: "192.0.2.10"),
        FilterQuery(local: "192.0.2.11"), FilterQuery(local: "198.51.100.77"), FilterQuery(local: "2001:db8::25"), FilterQuery(local: "2001:db9::25"),
        FilterQuery(remote: "10.1.2.3"), FilterQuery(local: "198.51.100.77", remote: "10.1.2.3"), FilterQuery(protocol: "pop3", remote: "10.9.9.9"),
        FilterQuery(localName: "mail.example.org"), FilterQuery(localName: "pop.example.net"), FilterQuery(localName: "other.example.com"),
        FilterQuery(protocol: "imap", local: "192.0.2.10", localName: "mail.example.org"),
    ]

    /// doveconf's own filter lookup (`-f local=… -f remote=… -f lname=… -f protocol=…`) is the oracle.
    @Test(.enabled(if: findExecutable("doveconf") != nil || RealPostconf.isCI, "needs doveconf"), arguments: filterQueries)
    func filterPrecedenceMatchesDoveconf(_ query: FilterQuery) throws {
        guard let doveconf = findExecutable("doveconf") else { Issue.record("doveconf missing but CI is set"); return }
        let config = try DovecotConfig(path: Self.filtersFile)
        var arguments = ["-c", Self.filtersFile]
        if let value = query.protocol { arguments += ["-f", "protocol=\(value)"] }
        if let value = query.local { arguments += ["-f", "local=\(value)"] }
        if let value = query.remote { arguments += ["-f", "remote=\(value)"] }
        if let value = query.localName { arguments += ["-f", "lname=\(value)"] }
        for key in ["ssl_cert", "ssl_key", "ssl_min_protocol", "ssl_cipher_list"] {
            let output = try SystemProcessRunner().run(doveconf, arguments + ["-h", key], timeout: 30)
            // doveconf refuses a connection whose filters conflict on any setting; postls must find the same.
            let anyConflict = ["ssl_cert", "ssl_key", "ssl_min_protocol", "ssl_cipher_list"].contains { config.conflict($0, for: query) != nil }
            #expect(output.succeeded == !anyConflict, "\(query): \(output.stderr)")
            if !output.succeeded {
                #expect(output.stderr.contains("Conflict in setting"))
                continue
            }
            let expected = output.stdout.trimmingCharacters(in: .newlines)
            // Every key is set globally or in a filter for these, so postls always has an answer.
            if key == "ssl_cipher_list" && config.setting(key, for: query) == nil { continue }
            #expect(config.setting(key, for: query)?.value == expected, "\(query) \(key)")
        }
    }

    static var filters24File: String { Corpus.root.appendingPathComponent("dovecot-filters-24/dovecot.conf").path }

    /// The same connections against Dovecot 2.4 and the 2.4 form of the corpus. 2.4's doveconf has no `lname`
    /// filter key (it is `local_name`) and answers `-h` of a filtered setting with "Multiple settings matched", so
    /// the oracle is the top level of `doveconf -a -f ...`: the settings the matching filters give a connection.
    @Test(.enabled(if: findExecutable("doveconf") != nil || RealPostconf.isCI, "needs doveconf"), arguments: filterQueries)
    func filterPrecedenceMatchesDoveconf24(_ query: FilterQuery) throws {
        guard let servers = try Generation.debian13.serversOrSkip() else { return }
        guard servers.has("doveconf") else { Issue.record("doveconf missing in the Debian 13 root"); return }
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        try directory.write("dovecot.conf", Array(try Data(contentsOf: URL(fileURLWithPath: Self.filters24File))))
        let path = directory.path + "/dovecot.conf"
        let config = try DovecotConfig(path: path)
        #expect(config.syntaxVersion == "2.4" && config.problems.isEmpty)
        var arguments = ["-c", path]
        if let value = query.protocol { arguments += ["-f", "protocol=\(value)"] }
        if let value = query.local { arguments += ["-f", "local=\(value)"] }
        if let value = query.remote { arguments += ["-f", "remote=\(value)"] }
        if let value = query.localName { arguments += ["-f", "local_name=\(value)"] }
        let output = try servers.runner.run("doveconf", arguments + ["-a"], timeout: 30)
        // 2.4 refuses no connection where 2.3 saw a conflict.
        #expect(output.succeeded, "\(query): \(output.stderr)")
        let answered = Self.topLevelSettings(output.stdout)
        for key in ["ssl_server_cert_file", "ssl_server_key_file", "ssl_min_protocol", "ssl_cipher_list"] {
            #expect(config.conflict(key, for: query) == nil)
            let expected = try #require(answered[key], "\(query) \(key) missing in doveconf -a")
            if key == "ssl_cipher_list" && config.setting(key, for: query) == nil { continue }
            #expect(config.setting(key, for: query)?.value == expected, "\(query) \(key)")
        }
    }

    /// Where 2.4 and 2.3 part: 2.4 takes the last of equally deep filters, so a `local 192.0.2.0/24` written after
    /// `local 192.0.2.10` wins for 192.0.2.10 (2.3: the longer prefix), and a protocol after a local_name wins.
    @Test(.enabled(if: findExecutable("doveconf") != nil || RealPostconf.isCI, "needs doveconf"), arguments: [true, false])
    func dovecot24TakesTheLastOfEquallyDeepFilters(_ wideLast: Bool) throws {
        guard let servers = try Generation.debian13.serversOrSkip() else { return }
        let narrow = "local 192.0.2.10 {\n  ssl_min_protocol = TLSv1.3\n}\n", wide = "local 192.0.2.0/24 {\n  ssl_min_protocol = TLSv1.1\n}\n"
        let text = "dovecot_config_version = 2.4.1\ndovecot_storage_version = 2.4.1\n" + (wideLast ? narrow + wide : wide + narrow)
            + "local_name a.example.org {\n  ssl_cipher_list = NAME\n}\nprotocol imap {\n  ssl_cipher_list = PROTO\n}\n"
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        try directory.write("dovecot.conf", Array(text.utf8))
        let path = directory.path + "/dovecot.conf"
        let output = try servers.runner.run("doveconf", ["-c", path, "-f", "local=192.0.2.10", "-f", "local_name=a.example.org", "-f", "protocol=imap", "-a"], timeout: 30)
        #expect(output.succeeded, "\(output.stderr)")
        let answered = Self.topLevelSettings(output.stdout)
        #expect(answered["ssl_min_protocol"] == (wideLast ? "TLSv1.1" : "TLSv1.3") && answered["ssl_cipher_list"] == "PROTO")
        let config = try DovecotConfig(path: path)
        let query = FilterQuery(protocol: "imap", local: "192.0.2.10", localName: "a.example.org")
        #expect(config.setting("ssl_min_protocol", for: query)?.value == answered["ssl_min_protocol"])
        #expect(config.setting("ssl_cipher_list", for: query)?.value == answered["ssl_cipher_list"])
    }

    /// The settings outside filters in `doveconf -a`/`-n` output of Dovecot 2.4; `ssl_server { cert_file = x }` is
    /// `ssl_server_cert_file` (2.4 prints the flat name empty and the value in the block).
    static func topLevelSettings(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        var blocks: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || line.isEmpty { continue }
            if line == "}" { _ = blocks.popLast(); continue }
            if line.hasSuffix("{") { blocks.append(String(line.dropLast()).trimmingCharacters(in: .whitespaces)); continue }
            guard let equals = line.range(of: " = ") ?? (line.hasSuffix(" =") ? line.range(of: " =", options: .backwards) : nil) else { continue }
            let key = String(line[..<equals.lowerBound]), value = String(line[equals.upperBound...])
            if blocks.isEmpty { out[key] = value } else if blocks == ["ssl_server"] { out["ssl_server_" + key] = value }
        }
        return out
    }

    @Test func conflictingFiltersArePairedForLint() throws {
        let config = try DovecotConfig(path: Self.filtersFile)
        let pairs = { (key: String) in config.conflicts(key).map { [$0.0.line, $0.1.line] } }
        // local 198.51.100.0/24 and remote 10.0.0.0/8 both set ssl_min_protocol; remote 10/8 and protocol pop3 the cipher list;
        // each local_name certificate against local 192.0.2.10, its imap filter and the IPv6 network (not against
        // each other: their names differ; and 192.0.2.10 never meets 2001:db8::/32).
        #expect(pairs("ssl_min_protocol") == [[19, 28]])
        #expect(pairs("ssl_cipher_list") == [[27, 41]])
        #expect(pairs("ssl_cert") == [[11, 32], [11, 37], [14, 32], [14, 37], [23, 32], [23, 37]])
        #expect(pairs("ssl_key") == [[12, 33]])
    }

    @Test func certificateFiltersAreListedWithWhatTheyServe() throws {
        let config = try DovecotConfig(path: Self.filtersFile)
        let filters = config.certificateFilters.map { ($0.criteria.description, $0.ssl.certFile ?? "", $0.ssl.keyFile ?? "") }
        #expect(filters.map(\.0) == ["local 192.0.2.10", "local 192.0.2.10, protocol imap", "local 2001:db8::/32",
                                     "local_name mail.example.org", "local_name imap.example.net pop.example.net"])
        #expect(filters[1].1 == "/etc/ssl/mail/local10-imap.pem" && filters[1].2 == "/etc/ssl/mail/local10.key")
        #expect(filters[2].2 == "/etc/ssl/mail/global.key")
        #expect(filters[4].1 == "/etc/ssl/mail/sni-net.pem")
    }

    @Test func dovecot24SSLServerBlocksAreThePrefixedSettings() throws {
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        try directory.write("dovecot.conf", Array("""
            dovecot_config_version = 2.4.0
            ssl_server {
              cert_file = /etc/ssl/block.pem
              ssl_server_key_file = /etc/ssl/block.key
            }
            local_name mail.example.org {
              ssl_server {
                cert_file = /etc/ssl/sni.pem
              }
            }

            """.utf8))
        let config = try DovecotConfig(path: directory.path + "/dovecot.conf")
        #expect(config.syntaxVersion == "2.4")
        #expect(config.ssl().certFile == "/etc/ssl/block.pem")
        #expect(config.ssl().keyFile == "/etc/ssl/block.key")
        #expect(config.setting("ssl_server_cert_file")?.line == 3)
        #expect(config.ssl(for: FilterQuery(localName: "mail.example.org")).certFile == "/etc/ssl/sni.pem")
        #expect(config.ssl(for: FilterQuery(localName: "mail.example.org")).keyFile == "/etc/ssl/block.key")
        #expect(config.problems.isEmpty)
    }

    @Test func networksMatchByPrefix() throws {
        let v4 = try #require(IPNetwork("192.0.2.128/25"))
        #expect(v4.contains("192.0.2.200") && !v4.contains("192.0.2.127") && !v4.contains("2001:db8::1"))
        let v6 = try #require(IPNetwork("2001:db8:ab::/48"))
        #expect(v6.contains("2001:db8:ab:1::25") && !v6.contains("2001:db8:ac::25"))
        #expect(IPNetwork("192.0.2.1/33") == nil && IPNetwork("mail.example.org") == nil)
        #expect(try #require(IPNetwork("0.0.0.0/0")).contains("203.0.113.9"))
    }

    /// Which filter may sit inside which: doveconf accepts or refuses each of the 16 nestings; postls must agree,
    /// for Dovecot 2.3 and 2.4.
    @Test(.enabled(if: findExecutable("doveconf") != nil || RealPostconf.isCI, "needs doveconf"), arguments: Generation.all)
    func filterNestingRulesMatchDoveconf(_ generation: Generation) throws {
        guard let servers = try generation.serversOrSkip() else { return }
        guard servers.has("doveconf") else { Issue.record("doveconf missing but CI is set"); return }
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        let headers = ["protocol imap", "local 192.0.2.1", "remote 10.0.0.0/8", "local_name a.example.org"]
        let first = generation.dovecotSyntax == "2.4" ? "dovecot_config_version = 2.4.1\ndovecot_storage_version = 2.4.1\n" : ""
        for outer in headers {
            for inner in headers {
                try directory.write("dovecot.conf", Array("\(first)ssl = yes\n\(outer) {\n  \(inner) {\n    ssl_min_protocol = TLSv1.3\n  }\n}\n".utf8))
                let path = directory.path + "/dovecot.conf"
                let output = try servers.runner.run("doveconf", ["-c", path, "-h", "ssl"], timeout: 30)
                let problems = try DovecotConfig(path: path).problems
                #expect(problems.isEmpty == output.succeeded, "\(outer) { \(inner) { } }: \(output.stderr)")
                if let problem = problems.first { #expect(output.stderr.contains(problem.message), "\(outer) { \(inner) }") }
            }
        }
    }

    /// Every rename of the 2.3 → 2.4 table, against the real Dovecot 2.4: the new name (with the value the upgrade
    /// writes) is accepted, the old one refused as unknown.
    @Test(arguments: DovecotConfig.renamedIn24.map(\.old))
    func everyRenamed24SettingIsAcceptedUnderItsNewNameByDovecot24(_ old: String) throws {
        guard let servers = try Generation.debian13.serversOrSkip() else { return }
        let rename = try #require(DovecotConfig.rename(of: old))
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        // A readable PEM file stands in for every path (2.4 reads *_file settings when it parses the configuration).
        let pem = "/etc/ssl/certs/ca-certificates.crt"
        let old23: String
        switch old {
        case "ssl_prefer_server_ciphers", "ssl_require_crl", "ssl_verify_client_cert": old23 = "yes"
        case "ssl_cert_username_field": old23 = "commonName"
        case "ssl_key_password": old23 = "secret"
        default: old23 = "<" + pem
        }
        let path = directory.path + "/dovecot.conf"
        let header = "dovecot_config_version = 2.4.1\ndovecot_storage_version = 2.4.1\n"
        // Requesting client certificates needs the CAs that verify them.
        let needs = old == "ssl_verify_client_cert" ? "ssl_server_ca_file = \(pem)\n" : ""
        try directory.write("dovecot.conf", Array("\(header)\(needs)\(rename.new) = \(rename.newValue(old23))\n".utf8))
        let accepted = try servers.runner.run("doveconf", ["-c", path, "-n"], timeout: 30)
        #expect(accepted.succeeded, "\(rename.new) = \(rename.newValue(old23)): \(accepted.stderr)")
        try directory.write("dovecot.conf", Array("\(header)\(old) = \(old23)\n".utf8))
        let refused = try servers.runner.run("doveconf", ["-c", path, "-n"], timeout: 30)
        #expect(!refused.succeeded && refused.stderr.contains("Unknown setting"), "\(old): \(refused.stderr)")
    }

    /// 2.4 refuses `local_name "a b" { }`; the upgrade writes one block per name, and the real 2.4 loads the result
    /// (the 2.3 filters corpus, upgraded) and serves each name what 2.3 did.
    @Test func theUpgradeTo24SplitsMultiNameLocalNameBlocksAndDovecot24LoadsIt() throws {
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        try directory.write("dovecot.conf", Array(try Data(contentsOf: URL(fileURLWithPath: Self.filtersFile))))
        let path = directory.path + "/dovecot.conf"
        let old = try DovecotConfig(path: path)
        #expect(old.multiNameLocalNames.map(\.line) == [36])
        let changes = old.upgradedTo24(version: "2.4.1")
        #expect(changes.count == 1)
        for change in changes { try Data(change.new).write(to: URL(fileURLWithPath: change.file)) }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("local_name imap.example.net {\n  ssl_server_cert_file = /etc/ssl/mail/sni-net.pem\n}\nlocal_name pop.example.net {\n  ssl_server_cert_file = /etc/ssl/mail/sni-net.pem\n}\n"))
        let upgraded = try DovecotConfig(path: path)
        #expect(!upgraded.needsUpgradeTo24 && upgraded.multiNameLocalNames.isEmpty && upgraded.problems.isEmpty)
        for name in ["imap.example.net", "pop.example.net"] {
            let query = FilterQuery(localName: name)
            #expect(upgraded.ssl(for: query).certFile == old.ssl(for: query).certFile)
        }
        // A 2.4 file whose only 2.3 trait is the multi-name block still needs the upgrade.
        try directory.write("only.conf", Array("dovecot_config_version = 2.4.1\nlocal_name \"a.example.org b.example.org\" {\n  ssl_min_protocol = TLSv1.3\n}\n".utf8))
        #expect(try DovecotConfig(path: directory.path + "/only.conf").needsUpgradeTo24)
        guard let servers = try Generation.debian13.serversOrSkip() else { return }
        let refused = try servers.runner.run("doveconf", ["-c", directory.path + "/only.conf", "-n"], timeout: 30)
        #expect(!refused.succeeded && refused.stderr.contains("Multiple names no longer supported in local_name value"), "\(refused.stderr)")
        let loaded = try servers.runner.run("doveconf", ["-c", path, "-n"], timeout: 30)
        #expect(loaded.succeeded, "\(loaded.stderr)")
        #expect(loaded.stdout.contains("local_name imap.example.net {") && loaded.stdout.contains("local_name pop.example.net {"))
    }

    @Test func theUpgradeTo24RenamesEverySSLSettingWhereItIsAndPutsTheVersionFirst() throws {
        let directory = try TemporaryConfigDirectory(main: "", master: "")
        try directory.write("dovecot.conf", Array("protocols = imap\n!include conf.d/*.conf\n".utf8))
        try FileManager.default.createDirectory(atPath: directory.path + "/conf.d", withIntermediateDirectories: true)
        try directory.write("conf.d/10-ssl.conf", Array("""
            ssl = required
            ssl_cert = </etc/ssl/mail.pem # the chain
            ssl_prefer_server_ciphers = yes
            #ssl_ca = </etc/ssl/old.pem
            protocol pop3 {
              ssl_key = </etc/ssl/pop3.key
            }

            """.utf8))
        let config = try DovecotConfig(path: directory.path + "/dovecot.conf")
        #expect(!config.declaresConfigVersion && config.needsUpgradeTo24)
        #expect(config.settingsRenamedIn24.map(\.key) == ["ssl_cert", "ssl_prefer_server_ciphers", "ssl_key"])
        let changes = config.upgradedTo24(version: "2.4.1")
        #expect(changes.map { ($0.file as NSString).lastPathComponent } == ["dovecot.conf", "10-ssl.conf"])
        #expect(String(decoding: changes[0].new, as: UTF8.self) == "dovecot_config_version = 2.4.1\ndovecot_storage_version = 2.3.0\nprotocols = imap\n!include conf.d/*.conf\n")
        #expect(String(decoding: changes[1].new, as: UTF8.self) == """
            ssl = required
            ssl_server_cert_file = /etc/ssl/mail.pem # the chain
            ssl_server_prefer_ciphers = server
            #ssl_ca = </etc/ssl/old.pem
            protocol pop3 {
              ssl_server_key_file = /etc/ssl/pop3.key
            }

            """)
        // Written back, the configuration needs nothing more.
        for change in changes { try Data(change.new).write(to: URL(fileURLWithPath: change.file)) }
        let upgraded = try DovecotConfig(path: directory.path + "/dovecot.conf")
        #expect(!upgraded.needsUpgradeTo24 && upgraded.upgradedTo24(version: "2.4.1").isEmpty)
        #expect(upgraded.ssl(protocol: "pop3").keyFile == "/etc/ssl/pop3.key")
    }
}
