import Foundation
import PostlsCore
import Testing
import TestSupport
@testable import Diagnosis

/// One rule picks the Dovecot configuration when `--dovecot-config` names none: the machine's only for the
/// machine's Postfix. Paths are injected, so the rule is tested without touching /etc.
@Suite struct DovecotDefaultRuleTests {
    func rule(_ dir: TemporaryDirectory, dovecotExists: Bool = true) throws -> DovecotDefault {
        try FileManager.default.createDirectory(atPath: dir.file("etc/postfix"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.file("etc/dovecot"), withIntermediateDirectories: true)
        if dovecotExists { _ = try dir.write("etc/dovecot/dovecot.conf", "ssl = yes\n") }
        return DovecotDefault(systemPostfixDirectory: dir.file("etc/postfix"), systemDovecotConfig: dir.file("etc/dovecot/dovecot.conf"))
    }

    @Test func theSystemPostfixGetsTheSystemDovecot() throws {
        let dir = try TemporaryDirectory(prefix: "postls-dovecot-rule")
        let rule = try rule(dir)
        #expect(rule.configFile(explicit: nil, postfixDirectory: dir.file("etc/postfix")) == dir.file("etc/dovecot/dovecot.conf"))
        // Spelled differently, or through a link, it is still the system's directory.
        #expect(rule.configFile(explicit: nil, postfixDirectory: dir.file("etc/postfix/")) == dir.file("etc/dovecot/dovecot.conf"))
        #expect(rule.configFile(explicit: nil, postfixDirectory: dir.file("etc//postfix")) == dir.file("etc/dovecot/dovecot.conf"))
        try FileManager.default.createSymbolicLink(atPath: dir.file("postfix-link"), withDestinationPath: dir.file("etc/postfix"))
        #expect(rule.configFile(explicit: nil, postfixDirectory: dir.file("postfix-link")) == dir.file("etc/dovecot/dovecot.conf"))
    }

    @Test func anotherPostfixDirectoryGetsNoDovecotUnlessOneIsNamed() throws {
        let dir = try TemporaryDirectory(prefix: "postls-dovecot-rule")
        let rule = try rule(dir)
        try FileManager.default.createDirectory(atPath: dir.file("test-postfix"), withIntermediateDirectories: true)
        #expect(rule.configFile(explicit: nil, postfixDirectory: dir.file("test-postfix")) == nil)
        #expect(rule.configFile(explicit: nil, postfixDirectory: dir.file("etc/postfix-staging")) == nil)
        // --dovecot-config always wins, for any directory.
        #expect(rule.configFile(explicit: "/srv/dovecot.conf", postfixDirectory: dir.file("test-postfix")) == "/srv/dovecot.conf")
        #expect(rule.configFile(explicit: "/srv/dovecot.conf", postfixDirectory: dir.file("etc/postfix")) == "/srv/dovecot.conf")
    }

    @Test func noDovecotInstalledMeansNone() throws {
        let dir = try TemporaryDirectory(prefix: "postls-dovecot-rule")
        let rule = try rule(dir, dovecotExists: false)
        #expect(rule.configFile(explicit: nil, postfixDirectory: dir.file("etc/postfix")) == nil)
    }

    @Test func theMachinesPathsAreTheDefaults() {
        let rule = DovecotDefault()
        #expect(rule.systemPostfixDirectory == "/etc/postfix" && rule.systemDovecotConfig == "/etc/dovecot/dovecot.conf")
        #expect(DovecotDefault.configFile(explicit: nil, postfixDirectory: "/nonexistent/postfix") == nil)
    }
}
