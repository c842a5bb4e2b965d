import Foundation
import PostlsCore
import Testing
@testable import PostfixConfig

@Suite struct AddServiceEditTests {
    let master = """
        smtp      inet  n       -       y       -       -       smtpd
        #submission inet n       -       y       -       -       smtpd
        #  -o syslog_name=postfix/submission
        maildrop  unix  -       n       n       -       -       pipe
          flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}
        """

    let submission = MasterCF.ServiceDefinition(
        name: "submission", chroot: "y", command: "smtpd",
        overrides: [.init(name: "syslog_name", value: "postfix/submission"), .init(name: "smtpd_tls_security_level", value: "encrypt")])

    @Test func addingAServiceKeepsEveryExistingByteAndParsesBack() throws {
        let original = MasterCF(text: master)
        let edited = try original.applying(.addService(submission))
        let text = String(decoding: edited.render(), as: UTF8.self)
        // The file had no final newline: one is added, then the entry; everything before is untouched.
        #expect(text.hasPrefix(master + "\n"))
        #expect(text.hasSuffix("submission inet  n       -       y       -       -       smtpd\n  -o syslog_name=postfix/submission\n  -o smtpd_tls_security_level=encrypt\n"))
        let service = try #require(edited.service(named: "submission"))
        #expect(service.parameters == ["syslog_name": "postfix/submission", "smtpd_tls_security_level": "encrypt"])
        #expect(service.chroot == "y" && service.command == "smtpd")
        #expect(edited.problems.isEmpty)
        // The commented-out template and the continued pipe entry are still what they were.
        #expect(edited.service(named: "maildrop", type: "unix")?.arguments == original.service(named: "maildrop", type: "unix")?.arguments)
        #expect(edited.services.count == original.services.count + 1)
    }

    @Test func addingAnExistingServiceIsRefused() throws {
        let once = try MasterCF(text: master).applying(.addService(submission))
        #expect(throws: ConfigError.self) { try once.applying(.addService(submission)) }
        #expect(throws: ConfigError.self) {
            try MasterCF(text: master).applying(.addService(.init(name: "bad name", command: "smtpd")))
        }
        #expect(throws: ConfigError.self) { try MainCF(text: "").applying(.addService(submission)) }
    }

    @Test func valuesWithBlanksGetBracesAndLoopbackNamesWork() throws {
        let def = MasterCF.ServiceDefinition(name: "127.0.0.1:2587", command: "smtpd",
                                             overrides: [.init(name: "smtpd_client_restrictions", value: "permit_mynetworks, reject")])
        let edited = try MasterCF(text: "").applying(.addService(def))
        #expect(String(decoding: edited.render(), as: UTF8.self) == "127.0.0.1:2587 inet  n       -       -       -       -       smtpd\n  -o { smtpd_client_restrictions = permit_mynetworks, reject }\n")
        #expect(edited.service(named: "127.0.0.1:2587")?.parameters["smtpd_client_restrictions"] == "permit_mynetworks, reject")
    }

    @Test func theEditRoundTripsThroughTheJournalEncoding() throws {
        let edit = ConfigEdit.addService(submission)
        let decoded = try JSONDecoder().decode(ConfigEdit.self, from: JSONEncoder().encode(edit))
        #expect(decoded == edit)
        #expect(edit.file == "master.cf")
        #expect(edit.summary == "master.cf: add service submission/inet")
    }

    /// The journal keeps the eight columns beside `overrides`, as before they became one `Columns` value.
    @Test func theJournalShapeOfADefinitionIsFlat() throws {
        let written = #"{"name":"submission","type":"inet","privateField":"n","unprivileged":"-","chroot":"y","wakeup":"-","#
            + #""maxproc":"-","command":"smtpd","overrides":[{"name":"syslog_name","value":"postfix/submission"}]}"#
        let decoded = try JSONDecoder().decode(MasterCF.ServiceDefinition.self, from: Data(written.utf8))
        #expect(decoded.chroot == "y" && decoded.command == "smtpd" && decoded.overrides.map(\.value) == ["postfix/submission"])
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(decoded)) as? [String: Any])
        #expect(Set(object.keys) == ["name", "type", "privateField", "unprivileged", "chroot", "wakeup", "maxproc", "command", "overrides"])
    }

    @Test(.enabled(if: RealPostconf.shouldRun))
    func postconfReadsTheAddedServiceAsWritten() throws {
        let dir = try TemporaryConfigDirectory(main: "compatibility_level = 3.6\n", master: master + "\n")
        let config = PostfixConfiguration(directory: dir.path, main: MainCF(text: "compatibility_level = 3.6\n"),
                                          master: MasterCF(text: master + "\n"), defaults: TestDefaults.shared)
        let files = try ConfigApplier.preview([.addService(submission)], on: config)
        try dir.write("master.cf", try #require(files.first).edited)
        let out = try #require(try RealPostconf.run(["-c", dir.path, "-P", "submission/inet/smtpd_tls_security_level", "submission/inet/syslog_name"]))
        #expect(out.succeeded, "\(out.stderr)")
        #expect(out.stdout == "submission/inet/smtpd_tls_security_level = encrypt\nsubmission/inet/syslog_name = postfix/submission\n")
    }
}
