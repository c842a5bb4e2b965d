import Foundation
import Testing
@testable import PostfixConfig

@Suite struct ListenerTests {
    @Test(arguments: [
        ("smtp", nil, 25), ("submission", nil, 587), ("submissions", nil, 465), ("smtps", nil, 465), ("2525", nil, 2525),
        ("127.0.0.1:10025", "127.0.0.1", 10025), ("[::1]:25", "::1", 25), ("127.0.0.1:smtp", "127.0.0.1", 25), ("mail.example:587", "mail.example", 587),
    ] as [(String, String?, Int)])
    func listenAddressesAndServiceNamesMapToPorts(_ name: String, _ host: String?, _ port: Int) {
        let listen = ListenAddress(serviceName: name)
        #expect(listen.host == host)
        #expect(listen.port == port)
    }

    @Test func overridesOfEachServiceApplyOnTopOfMainCF() throws {
        let config = try corpusConfiguration("02-debian-tls-snakeoil")
        let listeners = Dictionary(uniqueKeysWithValues: config.smtpdListeners.map { ($0.service.name, $0) })
        #expect(listeners["smtp"]?.tls.securityLevel == "may")
        #expect(listeners["smtp"]?.listen.port == 25)
        #expect(listeners["submission"]?.tls.securityLevel == "encrypt")
        #expect(listeners["submission"]?.tls.authOnly == true)
        #expect(listeners["smtps"]?.tls.wrappermode == true)
        #expect(listeners["smtps"]?.listen.port == 465)
        #expect(listeners["smtp"]?.tls.certFiles == ["/etc/ssl/certs/ssl-cert-snakeoil.pem"])
        #expect(listeners["smtp"]?.tls.keyFiles == ["/etc/ssl/private/ssl-cert-snakeoil.key"])
        #expect(listeners["submission"]?.sources["smtpd_tls_security_level"] == .masterCF(service: "submission/inet", line: 28))
        #expect(listeners["smtp"]?.sources["smtpd_tls_security_level"] == .mainCF(line: 11))
    }

    @Test func explicitAddressesAndExpandedOverrides() throws {
        let config = try corpusConfiguration("22-listen-addresses")
        let byName = Dictionary(uniqueKeysWithValues: config.smtpdListeners.map { ($0.service.name, $0) })
        #expect(byName["127.0.0.1:smtp"]?.listen.isLoopback == true)
        #expect(byName["[::1]:25"]?.listen.port == 25)
        #expect(byName["192.0.2.10:587"]?.tls.securityLevel == "encrypt")
        #expect(byName["10.0.0.1:465"]?.tls.wrappermode == true)
        // -o smtpd_tls_security_level=$submission_level expands through main.cf.
        #expect(byName["2525"]?.tls.securityLevel == "encrypt")
    }

    @Test func postscreenPassServiceListensOnPostscreensPort() throws {
        let config = try corpusConfiguration("04-mailcow-like")
        let pass = try #require(config.smtpdListeners.first { $0.service.type == "pass" })
        #expect(pass.listen.port == 25)
        #expect(pass.isPublicSMTP)
        #expect(pass.tls.protocols == ">=TLSv1.2")
    }

    @Test func legacyParametersDecideTheLevelOnlyWhenSecurityLevelIsEmpty() throws {
        let legacy = try corpusConfiguration("12-legacy-use-tls")
        #expect(legacy.smtpdListeners.first?.tls.securityLevel == "may")
        let config = PostfixConfiguration(directory: "/x", main: MainCF(text: "smtpd_enforce_tls = yes\n"),
                                          master: MasterCF(text: "smtp inet n - n - - smtpd\n"), defaults: TestDefaults.shared)
        #expect(config.smtpdListeners.first?.tls.securityLevel == "encrypt")
        let both = PostfixConfiguration(directory: "/x", main: MainCF(text: "smtpd_enforce_tls = yes\nsmtpd_tls_security_level = may\n"),
                                        master: MasterCF(text: "smtp inet n - n - - smtpd\n"), defaults: TestDefaults.shared)
        #expect(both.smtpdListeners.first?.tls.securityLevel == "may")
    }

    @Test func chainFilesReplaceCertAndKeyFiles() throws {
        let config = try corpusConfiguration("18-sni-and-chain-files")
        let tls = try #require(config.smtpdListeners.first).tls
        #expect(tls.chainFiles == ["/etc/ssl/private/rsa.key", "/etc/ssl/certs/rsa.pem", "/etc/ssl/private/ecdsa.key", "/etc/ssl/certs/ecdsa.pem"])
        #expect(tls.certFiles == tls.chainFiles)
    }

    @Test(arguments: [
        (">=TLSv1", ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
        (">=TLSv1.2", ["TLSv1.2", "TLSv1.3"]),
        ("!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", ["TLSv1.2", "TLSv1.3"]),
        ("TLSv1.2 TLSv1.3", ["TLSv1.2", "TLSv1.3"]),
        (">=TLSv1 <=TLSv1.2", ["TLSv1", "TLSv1.1", "TLSv1.2"]),
    ])
    func protocolListsEnableWhatPostfixEnables(_ list: String, _ tlsVersions: [String]) {
        #expect(TLSProtocolSet(list).enabled.filter { $0.hasPrefix("TLS") } == tlsVersions)
    }
}
