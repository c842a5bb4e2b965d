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
        // One catalogue per captured release, the newest compiled in as `bundled`.
        #expect(ParameterCatalog.capturedVersions == ["3.7.11", "3.10.13"])
        #expect(ParameterCatalog.bundled.postfixVersion == "3.10.13")
        for catalog in ParameterCatalog.captured {
            #expect(catalog.parameters.count > 900, "\(catalog.postfixVersion): \(catalog.parameters.count)")
            #expect(catalog.parameter("mail_name")?.default == "Postfix")
            #expect(catalog.parameter("mail_version")?.default == catalog.postfixVersion)
            #expect(catalog.parameter("alias_maps")?.default == "hash:/etc/aliases, nis:mail.aliases")
            #expect(catalog.parameter("smtpd_banner")?.default == "$myhostname ESMTP $mail_name")
            #expect(catalog.parameter("empty_address_recipient")?.default == "MAILER-DAEMON")
            #expect(catalog.parameter("content_filter")?.default == "")
        }
        // What changed between them: 3.8's cipher grades, 3.10's TLSRPT client.
        let old = ParameterCatalog.forVersion(PostfixVersion(3, 7, 11)), new = ParameterCatalog.forVersion(PostfixVersion(3, 10, 13))
        #expect(old.parameter("tls_low_cipherlist")?.default == "aNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH")
        #expect(new.parameter("tls_low_cipherlist")?.default == "")
        #expect(old.parameter("smtp_tlsrpt_enable") == nil)
        #expect(new.parameter("smtp_tlsrpt_enable")?.default == "no")
    }

    @Test(arguments: [("3.7.11", "3.7.11"), ("3.8.6", "3.7.11"), ("3.10.13", "3.10.13"), ("3.11.1", "3.10.13"), ("3.6.4", "3.7.11"), ("3.10", "3.7.11")])
    func aReleaseGetsTheNewestCaptureNotNewerThanIt(release: String, capture: String) throws {
        // 3.10 is 3.10.0, older than the 3.10.13 capture; 3.6 is older than every capture and gets the oldest.
        #expect(ParameterCatalog.forVersion(try #require(PostfixVersion(release))).postfixVersion == capture)
    }

    @Test(arguments: ["myhostname", "mydomain", "mynetworks", "process_id"])
    func hostDependentDefaultsAreComputedNotTheCapturingMachines(name: String) throws {
        let parameter = try #require(ParameterCatalog.bundled.parameter(name))
        #expect(parameter.computed)
        #expect(parameter.default == nil)
    }

    @Test func tlsParametersKeepTheirSideAndTheOthersHaveNone() throws {
        let catalog = ParameterCatalog.bundled
        #expect(catalog.tlsParameters.count == 208)
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

    @Test(arguments: ParameterCatalog.capturedVersions)
    func compiledInCatalogueMatchesResources(version: String) throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("Resources/postfix/postconf-d-\(version).txt"), encoding: .utf8)
        let lines = ParameterDefaults.parsePostconf(text)
        let catalog = try #require(ParameterCatalog.captured.first { $0.postfixVersion == version })
        #expect(catalog.parameters.map(\.name) == lines.map(\.name))
        for (name, value) in lines {
            let parameter = catalog.parameter(name)
            #expect(parameter?.default == (value == "@computed" ? nil : value), "\(name)")
        }
    }

    @Test func everyCaptureInResourcesIsCompiledIn() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("Resources/postfix").path)
        let versions = files.compactMap { $0.hasPrefix("postconf-d-") && $0.hasSuffix(".txt") ? String($0.dropFirst(11).dropLast(4)) : nil }
        #expect(Set(versions) == Set(ParameterCatalog.capturedVersions))
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
        let installed = try #require(real.values["mail_version"])
        let catalog = ParameterCatalog.forVersion(try #require(PostfixVersion(installed)))
        try #require(catalog.postfixVersion == installed, "Postfix \(installed) is installed, no capture of it: scripts/capture-postconf-defaults.sh")
        var compared = 0
        for parameter in catalog.parameters where !parameter.computed {
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
