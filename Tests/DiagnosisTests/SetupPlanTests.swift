import Foundation
import Testing
@testable import Diagnosis

@Suite struct DovecotProposalTests {
    func write(_ dir: String, _ name: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: (dir + "/" + name as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
    }

    @Test func settingsInIncludedFilesAreFoundAndChangedWhereTheyAre() throws {
        let dir = NSTemporaryDirectory() + "postls-dovecot-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(dir, "dovecot.conf", "protocols = imap\n!include conf.d/*.conf\nservice imap-login {\n  ssl = no\n}\n")
        try write(dir, "conf.d/10-ssl.conf", "# SSL\nssl = yes\nssl_cert = </etc/old.pem\nssl_key = </etc/old.key\n")
        let settings = try #require(DovecotSSLSettings.read(dir + "/dovecot.conf"))
        // The nested `ssl = no` inside a section is not the global setting.
        #expect(settings.settings["ssl"]?.value == "yes")
        #expect(settings.settings["ssl_cert"]?.file == dir + "/conf.d/10-ssl.conf")
        let proposal = settings.proposal(certificateFile: "/etc/tls/full.pem", keyFile: "/etc/tls/key.pem")
        #expect(proposal.changes.count == 4)
        #expect(proposal.diff.contains("-ssl = yes\n") && proposal.diff.contains("+ssl = required\n"))
        #expect(proposal.diff.contains("+ssl_cert = </etc/tls/full.pem\n"))
        #expect(proposal.diff.contains("+ssl_min_protocol = TLSv1.2\n"))
        #expect(!proposal.diff.contains("+++ b/" + String(dir.dropFirst()) + "/dovecot.conf"))
        // Nothing is written.
        #expect(try String(contentsOfFile: dir + "/conf.d/10-ssl.conf", encoding: .utf8).contains("ssl = yes"))
    }

    @Test func aDovecotAlreadySetUpGetsNoProposal() throws {
        let dir = NSTemporaryDirectory() + "postls-dovecot-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(dir, "dovecot.conf", "ssl = required\nssl_cert = </k/full.pem\nssl_key = </k/key.pem\nssl_min_protocol = TLSv1.2\n")
        let settings = try #require(DovecotSSLSettings.read(dir + "/dovecot.conf"))
        let proposal = settings.proposal(certificateFile: "/k/full.pem", keyFile: "/k/key.pem")
        #expect(proposal.changes.isEmpty && proposal.diff.isEmpty)
    }
}
