import Foundation
import PostlsCore
import Testing
import TestSupport
@testable import PostfixConfig

/// The compiled-in parameter catalogue (Resources/postfix/ turned into Swift by scripts/generate-resources.py).
@Suite("Parameter catalogue")
struct ParameterCatalogTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func catalogueHoldsEveryBuiltInParameterNotOnlyTLSOnes() {
        let catalog = ParameterCatalog.bundled
        #expect(catalog.postfixVersion == "3.7.11")
        #expect(catalog.parameters.count > 900, "\(catalog.parameters.count)")
        #expect(catalog.parameter("mail_name")?.default == "Postfix")
        #expect(catalog.parameter("mail_version")?.default == "3.7.11")
        #expect(catalog.parameter("alias_maps")?.default == "hash:/etc/aliases, nis:mail.aliases")
        #expect(catalog.parameter("smtpd_banner")?.default == "$myhostname ESMTP $mail_name")
        #expect(catalog.parameter("empty_address_recipient")?.default == "MAILER-DAEMON")
        #expect(catalog.parameter("content_filter")?.default == "")
    }

    @Test(arguments: ["myhostname", "mydomain", "mynetworks", "process_id"])
    func hostDependentDefaultsAreComputedNotTheCapturingMachines(name: String) throws {
        let parameter = try #require(ParameterCatalog.bundled.parameter(name))
        #expect(parameter.computed)
        #expect(parameter.default == nil)
    }

    @Test func tlsParametersKeepTheirSideAndTheOthersHaveNone() throws {
        let catalog = ParameterCatalog.bundled
        #expect(catalog.tlsParameters.count == 194)
        #expect(catalog.parameter("smtpd_tls_security_level")?.side == "server")
        #expect(catalog.parameter("smtp_tls_security_level")?.side == "client")
        #expect(catalog.parameter("tls_high_cipherlist")?.side == "common")
        #expect(catalog.parameter("relayhost")?.side == "client")
        #expect(catalog.parameter("mail_name")?.side == nil)
        #expect(!catalog.isTLSRelated("alias_maps"))
        #expect(catalog.isTLSRelated("inet_interfaces"))
        let sides = Set(catalog.tlsParameters.compactMap(\.side))
        #expect(sides == ["server", "client", "common"])
        #expect(catalog.parameters.filter(\.isTLSRelated).count == catalog.tlsParameters.count)
    }

    @Test func compiledInCatalogueMatchesResources() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("Resources/postfix/postconf-d-3.7.11.txt"), encoding: .utf8)
        let lines = ParameterDefaults.parsePostconf(text)
        let catalog = ParameterCatalog.bundled
        #expect(catalog.parameters.map(\.name) == lines.map(\.name))
        for (name, value) in lines {
            let parameter = catalog.parameter(name)
            #expect(parameter?.default == (value == "@computed" ? nil : value), "\(name)")
        }
    }

    @Test(.enabled(if: Prerequisites.isCI || Prerequisites.has("python3")))
    func generatedSourcesAreUpToDateWithResources() throws {
        let script = Self.root.appendingPathComponent("scripts/generate-resources.py").path
        let out = try SystemProcessRunner().run("python3", [script, "--check"], timeout: 60)
        #expect(out.status == 0, "Resources/ changed without regenerating: run scripts/generate-resources.py\n\(out.stderr)")
    }

    /// The installed Postfix agrees with the capture on every default that does not depend on the host.
    @Test(.enabled(if: Prerequisites.postconf))
    func catalogueAgreesWithTheInstalledPostconfOfTheSameVersion() throws {
        let real = try ParameterDefaults.fromPostconf(runner: SystemProcessRunner())
        try #require(real.values["mail_version"] == ParameterCatalog.bundled.postfixVersion, "another Postfix version is installed")
        var compared = 0
        for parameter in ParameterCatalog.bundled.parameters where !parameter.computed {
            guard let value = real.values[parameter.name] else { continue }  // a service the local master.cf lacks
            #expect(value == parameter.default, "\(parameter.name)")
            compared += 1
        }
        #expect(compared > 800)
    }

    /// Without a `postconf` (the demo on a laptop, a copied binary) the catalogue's defaults stand in: Debian's
    /// stock main.cf refers to $mail_name in smtpd_banner, and nothing it refers to may be "set nowhere".
    @Test func debianMainCFHasNoUndefinedReferenceWithCatalogueDefaultsOnly() throws {
        let main = """
            smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
            biff = no
            append_dot_mydomain = no
            readme_directory = no
            compatibility_level = 3.6
            smtpd_tls_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem
            smtpd_tls_key_file=/etc/ssl/private/ssl-cert-snakeoil.key
            smtpd_tls_security_level=may
            smtp_tls_CApath=/etc/ssl/certs
            smtp_tls_security_level=may
            smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache
            smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination
            myhostname = mail.example.org
            alias_maps = hash:/etc/aliases
            alias_database = hash:/etc/aliases
            myorigin = /etc/mailname
            mydestination = $myhostname, example.org, localhost.localdomain, localhost
            relayhost =
            mailbox_size_limit = 0
            recipient_delimiter = +
            inet_interfaces = all
            inet_protocols = all

            """
        let configuration = PostfixConfiguration(directory: "/etc/postfix", main: MainCF(text: main),
                                                 master: MasterCF(text: "smtp inet n - y - - smtpd\n"),
                                                 defaults: .catalog(hostName: "mail"))
        #expect(configuration.expanded("smtpd_banner")?.value == "mail.example.org ESMTP Postfix (Debian/GNU)")
        let findings = ExpansionRule().check(LintContext(configuration: configuration))
        #expect(findings.isEmpty, "\(findings.map(\.message))")
    }
}
