import Foundation
import PostlsCore
import Testing
@testable import PostfixConfig

/// Apply against the real Postfix tools in a throwaway config directory.
@Suite(.enabled(if: RealPostconf.shouldRun, "needs postconf (set CI to make its absence fail)"), .serialized)
struct ApplyTests {
    let main = "# test instance\nmyhostname = apply.example\nsmtpd_tls_security_level = encrypt\nsmtpd_tls_cert_file = /etc/ssl/apply.pem\n"
    let master = "smtp      inet  n       -       n       -       -       smtpd\nsubmission inet n       -       n       -       -       smtpd\n  -o smtpd_tls_security_level=encrypt\n"

    func applier() -> ConfigApplier {
        ConfigApplier(validator: PostfixValidator(runner: SystemProcessRunner()))
    }

    func load(_ directory: TemporaryConfigDirectory) throws -> PostfixConfiguration {
        try PostfixConfiguration.load(directory: directory.path, defaults: TestDefaults.shared)
    }

    @Test func appliedSettingShowsInPostconfWithModeOwnerAndBackupKept() throws {
        let directory = try TemporaryConfigDirectory(main: main, master: master)
        let mainPath = directory.path + "/main.cf"
        #expect(chmod(mainPath, 0o640) == 0)
        #expect(chown(mainPath, 65534, 65534) == 0)
        let result = try applier().apply([.setMain(name: "smtpd_tls_security_level", value: "may"),
                                          .setOverride(service: "smtp", type: "inet", name: "smtpd_tls_loglevel", value: "1")], to: try load(directory))
        directory.backdate(mainPath)
        directory.backdate(directory.path + "/master.cf")
        guard let shown = try RealPostconf.run(["-c", directory.path, "-h", "smtpd_tls_security_level"]),
              let overrides = try RealPostconf.run(["-c", directory.path, "-P", "smtp/inet/smtpd_tls_loglevel"]) else { return }
        #expect(shown.stdout == "may\n")
        #expect(overrides.stdout == "smtp/inet/smtpd_tls_loglevel = 1\n")
        var info = stat()
        #expect(stat(mainPath, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o640)
        #expect(info.st_uid == 65534 && info.st_gid == 65534)
        let backup = try #require(result.entry.files.first { $0.file == "main.cf" }).backup
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: backup))) == Array(main.utf8))
        #expect(stat(backup, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(result.diff.contains("-smtpd_tls_security_level = encrypt\n+smtpd_tls_security_level = may\n"))
        // Nothing but the edited line changed.
        #expect(String(decoding: try directory.read("main.cf"), as: UTF8.self) == main.replacingOccurrences(of: "= encrypt", with: "= may"))
    }

    @Test func validationFailureRestoresTheOriginalByteForByte() throws {
        let directory = try TemporaryConfigDirectory(main: main, master: master)
        let before = try directory.read("main.cf")
        // A $-reference loop: postconf -nx stops with "macro processing error".
        #expect {
            try applier().apply([.setMain(name: "smtpd_tls_cert_file", value: "$smtpd_tls_key_file"),
                                 .setMain(name: "smtpd_tls_key_file", value: "$smtpd_tls_cert_file")], to: try load(directory))
        } throws: { error in
            guard case ConfigError.validationFailed(let message, let restored) = error else { return false }
            return restored && message.contains("macro processing error")
        }
        #expect(try directory.read("main.cf") == before)
        #expect(try applier().journal(directory: directory.path).isEmpty)
    }

    @Test func concurrentChangeIsRefusedAndNotOverwritten() throws {
        let directory = try TemporaryConfigDirectory(main: main, master: master)
        let config = try load(directory)
        let concurrent = Array((main + "# someone else edited this\n").utf8)
        try directory.write("main.cf", concurrent)
        #expect(throws: ConfigError.changedSinceRead(path: directory.path + "/main.cf")) {
            try applier().apply([.setMain(name: "smtpd_tls_security_level", value: "may")], to: config)
        }
        #expect(try directory.read("main.cf") == concurrent)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains("postls") }
        #expect(leftovers.isEmpty)
    }

    @Test func rollbackRestoresExactlyAndRefusesAfterALaterChange() throws {
        let directory = try TemporaryConfigDirectory(main: main, master: master)
        let originalMain = try directory.read("main.cf"), originalMaster = try directory.read("master.cf")
        let first = try applier().apply([.setMain(name: "smtpd_tls_security_level", value: "may"),
                                         .removeOverride(service: "submission", type: "inet", name: "smtpd_tls_security_level")], to: try load(directory))
        #expect(try applier().journal(directory: directory.path).map(\.id) == [first.entry.id])
        let rolled = try applier().rollback(directory: directory.path)
        #expect(rolled.id == first.entry.id && rolled.rolledBack != nil)
        #expect(try directory.read("main.cf") == originalMain)
        #expect(try directory.read("master.cf") == originalMaster)
        #expect(throws: ConfigError.self) { try applier().rollback(id: first.entry.id, directory: directory.path) }

        _ = try applier().apply([.setMain(name: "smtpd_tls_loglevel", value: "1")], to: try load(directory))
        try directory.write("main.cf", try directory.read("main.cf") + Array("# admin edit\n".utf8))
        #expect { try applier().rollback(directory: directory.path) } throws: { error in
            if case ConfigError.changedSinceRead = error { return true } else { return false }
        }
    }

    @Test func symlinkedConfigIsNotReplaced() throws {
        let directory = try TemporaryConfigDirectory(main: main, master: master)
        try FileManager.default.moveItem(atPath: directory.path + "/main.cf", toPath: directory.path + "/real-main.cf")
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/main.cf", withDestinationPath: directory.path + "/real-main.cf")
        #expect(throws: ConfigError.self) {
            try applier().apply([.setMain(name: "smtpd_tls_security_level", value: "may")], to: try load(directory))
        }
        #expect(try directory.read("real-main.cf") == Array(main.utf8))
    }
}
