import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit
@testable import Diagnosis

/// The 2.3 → 2.4 upgrade on a real Debian 13 Dovecot: Debian 12's conf.d/10-ssl.conf kept beside Debian 13's
/// dovecot.conf. doveconf refuses it, `postls diagnose` names the upgrade first, its diff makes the real 2.4 accept
/// the configuration, and Dovecot then serves TLS with it.
@Suite("Dovecot 2.3 configuration under a real Dovecot 2.4", .enabled(if: Prerequisites.postfix && Prerequisites.dovecot && Prerequisites.openssl))
struct DovecotUpgradeTests {
    /// Debian 12's 10-ssl.conf as the package ships it, with the certificate and key pointed at the test's.
    static func debian12SSLConf(cert: String, key: String) throws -> String {
        let shipped = "/usr/share/dovecot/conf.d/10-ssl.conf"  // dovecot-core of Debian 12 (the machine's)
        let text = try String(contentsOfFile: shipped, encoding: .utf8)
        #expect(text.contains("ssl_cert = </etc/dovecot/private/dovecot.pem") && text.contains("ssl_dh = </usr/share/dovecot/dh.pem"),
                "\(shipped) is not Debian 12's")
        return text.replacingOccurrences(of: "/etc/dovecot/private/dovecot.pem", with: cert)
            .replacingOccurrences(of: "/etc/dovecot/private/dovecot.key", with: key)
    }

    @Test func aDebian12SSLFileUnderDebian13DovecotIsTheUpgradeAndItsDiffMakesDovecotServeTLS() throws {
        guard let s = try Scenario.orSkip(.debian13) else { return }
        defer { s.stop() }
        try s.start(mainCF: s.tlsMainCF, listeners: [PostfixListener(name: "smtp")])
        let ipv6 = Prerequisites.ipv6Loopback
        let dovecot = try DovecotInstance(sslSettings: try Self.debian12SSLConf(cert: s.mail.fullChainFile, key: s.mail.keyFile),
                                          generation: .debian13, sslInclude: true, ipv6: ipv6)
        defer { dovecot.stop() }
        let refused = try dovecot.doveconf()
        #expect(!refused.succeeded, "Dovecot 2.4 accepted 2.3's ssl_cert: \(refused.stdout)")
        #expect(refused.stderr.contains("ssl_cert"), "\(refused.stderr)")

        let diagnose = try s.postls(["diagnose", "--json", "--no-probe", "--dovecot-config", dovecot.configFile] + s.cliArguments)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(diagnose.stdout.utf8)) as? [String: Any], "\(diagnose.stderr)")
        let diagnoses = try #require(json["diagnoses"] as? [[String: Any]])
        let first = try #require(diagnoses.first, "\(diagnose.stdout)")
        #expect(first["cause"] as? String == "dovecot_config_pre_2_4", "\(diagnose.stdout)")
        let fixID = try #require((first["fixes"] as? [String])?.first, "\(first)")
        let fix = try #require((json["fixes"] as? [[String: Any]])?.first { $0["id"] as? String == fixID })
        #expect(fix["applicable"] as? Bool == false, "Dovecot's fixes are advice")
        let diff = try #require(fix["diff"] as? String)
        if ProcessInfo.processInfo.environment["POSTLS_SCENARIO_DUMP"] != nil { print(diagnose.stdout) }
        // Every 2.3 ssl setting of the file, renamed, the paths without 2.3's "<".
        for line in ["+ssl_server_cert_file = \(s.mail.fullChainFile)", "+ssl_server_key_file = \(s.mail.keyFile)",
                     "+ssl_server_dh_file = /usr/share/dovecot/dh.pem", "-ssl_cert = <\(s.mail.fullChainFile)"] {
            #expect(diff.contains(line + "\n"), "\(line) missing from:\n\(diff)")
        }
        #expect(!diff.contains("+ssl_cert") && !diff.contains("+ssl_key") && !diff.contains("+ssl_dh"), "\(diff)")

        // The admin applies the advised diff as it is: patch(1) from / (a/ and b/ before each path without its leading /).
        let patched = try SystemProcessRunner().run("patch", ["-d", "/", "-p1", "--forward", "--no-backup-if-mismatch"],
                                                   stdin: Data(diff.utf8), environment: nil, timeout: 30)
        #expect(patched.succeeded, "\(patched.stdout)\(patched.stderr)")
        let accepted = try dovecot.doveconf()
        #expect(accepted.succeeded, "doveconf -n after the diff: \(accepted.stderr)")

        try dovecot.start()
        let address = ipv6 ? dovecot.imapsAddress6 : dovecot.imapsAddress
        let handshake = try Peers.opensslClient(address, starttls: false, arguments: ["-CAfile", s.pki.rootFile, "-verify_return_error"], input: "a LOGOUT\n")
        #expect(Scenario.handshakeSucceeded(handshake), "\(handshake.stdout)\(handshake.stderr)")
        #expect(handshake.stdout.contains("* OK"), "\(handshake.stdout)")

        // Diagnosed again: the upgrade is done.
        let again = try s.postls(["diagnose", "--json", "--no-probe", "--dovecot-config", dovecot.configFile] + s.cliArguments)
        #expect(!again.stdout.contains("dovecot_config_pre_2_4"), "\(again.stdout)")
    }

    @Test func theSameFileUnderDebian12DovecotIsNoUpgrade() throws {
        guard let s = try Scenario.orSkip(.debian12) else { return }
        defer { s.stop() }
        try s.start(mainCF: s.tlsMainCF, listeners: [PostfixListener(name: "smtp")])
        let dovecot = try DovecotInstance(sslSettings: try Self.debian12SSLConf(cert: s.mail.fullChainFile, key: s.mail.keyFile),
                                          generation: .debian12, sslInclude: true)
        defer { dovecot.stop() }
        #expect(try dovecot.doveconf().succeeded)
        let diagnose = try s.postls(["diagnose", "--json", "--no-probe", "--dovecot-config", dovecot.configFile] + s.cliArguments)
        #expect(!diagnose.stdout.contains("dovecot_config_pre_2_4"), "\(diagnose.stdout)")
    }
}
