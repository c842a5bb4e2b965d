import Foundation
import PostlsCore
import Testing
@testable import PostfixConfig

@Suite struct DovecotTests {
    static var includesFile: String { Corpus.root.appendingPathComponent("dovecot-includes/dovecot.conf").path }

    @Test func includesGlobsFiltersAndContinuationsAreRead() throws {
        let config = try DovecotConfig(path: Self.includesFile)
        #expect(config.files.count == 4)
        let ssl = config.ssl()
        #expect(ssl.ssl == "required")
        #expect(ssl.cert_file == "/etc/letsencrypt/live/mail.example.org/fullchain.pem")
        #expect(ssl.key_file == "/etc/letsencrypt/live/mail.example.org/privkey.pem")
        #expect(ssl.dh_file == "/usr/share/dovecot/dh.pem")
        // Dovecot joins continuation lines with a space (doveconf shows it).
        #expect(ssl.cipher_list == "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384: ECDHE-ECDSA-CHACHA20-POLY1305")
        let pop3 = config.ssl(protocol: "pop3")
        #expect(pop3.min_protocol == "TLSv1")
        #expect(pop3.cipher_list == "DEFAULT:@SECLEVEL=0")
        #expect(pop3.cert_file == ssl.cert_file)
        #expect(config.ssl(protocol: "imap") == ssl)
        #expect(config.listeners.map(\.port) == [995, 143, 993])
        #expect(config.listeners.filter(\.ssl).map(\.name) == ["pop3s", "imaps"])
        #expect(config.syntaxVersion == "2.3")
        #expect(config.problems.isEmpty)
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
        #expect(config.ssl().cert_file == "/etc/ssl/mail.pem")
        #expect(config.ssl(protocol: "imap").cert_file == "/etc/ssl/imap.pem")
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
}
