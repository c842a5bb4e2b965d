import Foundation
import PostlsCore
import Testing
import TestSupport

/// postls run as an ordinary user (nobody, via setpriv): `config`, `probe` and `logs` work on what that user
/// may read, and where root is needed (a key only root reads, a root-only log, the journal, `fix apply`) postls
/// says so in words instead of reporting a broken server or a bare "Permission denied".
@Suite("Read-only use without root", .enabled(if: Prerequisites.isCI || (Prerequisites.has("setpriv") && getuid() == 0)), .serialized)
struct WithoutRootTests {
    /// A folder everyone may enter, holding a copy of the binary and its resource bundles: the build folder
    /// may sit where nobody cannot reach it (a checkout under /root).
    let directory: TemporaryDirectory
    let binary: String

    init() throws {
        directory = try TemporaryDirectory(prefix: "postls-nonroot")
        #expect(chmod(directory.path, 0o755) == 0)
        let built = URL(fileURLWithPath: PostlsBinary.path)
        let folder = built.deletingLastPathComponent().path
        binary = directory.file("bin/postls")
        try FileManager.default.createDirectory(atPath: directory.file("bin"), withIntermediateDirectories: false)
        // Written through a close-on-exec descriptor: a child another test spawns meanwhile must not inherit it
        // open for writing, or exec of the copy fails with "Text file busy" for as long as that child lives.
        let bytes = try Data(contentsOf: built)
        let fd = open(binary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
        #expect(fd >= 0)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        #expect(written == bytes.count && close(fd) == 0)
        for item in try FileManager.default.contentsOfDirectory(atPath: folder) where item.hasSuffix(".resources") {
            try FileManager.default.copyItem(atPath: folder + "/" + item, toPath: directory.file("bin/" + item))
        }
        _ = try SystemProcessRunner().run("chmod", ["-R", "a+rX", directory.file("bin")], timeout: 20)
    }

    /// Runs the copied postls as nobody:nogroup with no supplementary groups.
    func runAsNobody(_ arguments: [String], timeout: Double = 60) throws -> ProcessOutput {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env["HOME"] = "/nonexistent"
        // A child spawned by a parallel test between a descriptor's open and its close can still hold it for a
        // moment (fork before exec): exec then fails with ETXTBSY, so retry that, and only that, briefly.
        var attempt = 0
        while true {
            let run = try SystemProcessRunner().run("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", binary] + arguments, stdin: nil,
                                                    environment: env, timeout: timeout)
            attempt += 1
            guard run.status == 126, run.stderr.contains("Text file busy"), attempt < 50 else { return run }
            usleep(100_000)
        }
    }

    /// main.cf and master.cf (world-readable, in a root-owned folder) naming a certificate anyone may read and
    /// a key only root may read, as on a real server.
    func config(keyMode: mode_t = 0o600, mainMode: mode_t = 0o644) throws -> String {
        let etc = directory.file("etc")
        try? FileManager.default.removeItem(atPath: etc)
        let made = try SystemProcessRunner().run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=mail.example.org",
                                                             "-days", "30", "-keyout", directory.file("key.pem"), "-out", directory.file("cert.pem")], timeout: 60)
        #expect(made.succeeded, "\(made.stderr)")
        #expect(chmod(directory.file("key.pem"), keyMode) == 0 && chmod(directory.file("cert.pem"), 0o644) == 0)
        try directory.write("etc/main.cf", """
            myhostname = mail.example.org
            smtpd_tls_security_level = encrypt
            smtpd_tls_cert_file = \(directory.file("cert.pem"))
            smtpd_tls_key_file = \(directory.file("key.pem"))
            compatibility_level = 3.6

            """)
        try directory.write("etc/master.cf", "smtp inet n - n - - smtpd\n")
        #expect(chmod(etc, 0o755) == 0 && chmod(etc + "/main.cf", mainMode) == 0)
        for name in ["main.cf", "master.cf"] {
            backdateForPostconf(etc + "/" + name)
        }
        return etc
    }

    @Test func configReadsAsNobodyAndSaysTheRootOnlyKeyNeedsRoot() throws {
        let etc = try config()
        // Another user's view of the same key: root reads it and finds nothing wrong with it.
        let asRoot = try PostlsBinary.run(["config", "--config-dir", etc, "--dovecot-config", "/dev/null"])
        #expect(!asRoot.stdout.contains("smtpd_tls_key_file\n"), "\(asRoot.stdout)")
        let run = try runAsNobody(["config", "--config-dir", etc, "--dovecot-config", "/dev/null"])
        // The same verdict as root's (TLS required on the MX is critical either way): a key nobody cannot read is
        // no finding against the server.
        #expect(run.status == asRoot.status, "\(run.stdout)\(run.stderr)")
        #expect(!asRoot.stdout.contains("certificate_needs_root"), "\(asRoot.stdout)")
        #expect(run.stdout.contains("[certificate_needs_root] smtpd_tls_key_file"), "\(run.stdout)")
        #expect(run.stdout.contains("user nobody may not read it (Permission denied)"), "\(run.stdout)")
        #expect(run.stdout.contains("Run postls as root to check this private key"), "\(run.stdout)")
        #expect(!run.stdout.contains("certificate_unreadable") && !run.stdout.contains("disables TLS"), "\(run.stdout)")
        let critical = run.stdout.split(separator: "\n").filter { $0.contains("CRITICAL") }
        #expect(critical.allSatisfy { !$0.contains("key") && !$0.contains("cert") }, "\(critical)")
        // The certificate nobody can read is still checked as usual.
        #expect(run.stdout.contains("[self_signed_certificate] smtpd_tls_cert_file"), "\(run.stdout)")
        #expect(run.stderr.isEmpty, "no stack of errors: \(run.stderr)")
    }

    @Test func aRootOnlyMainCFIsNamedWithWhatNeedsRoot() throws {
        let etc = try config(mainMode: 0o600)
        let run = try runAsNobody(["config", "--config-dir", etc])
        #expect(run.status == PostlsCore.ExitCode.inputUnreadable.rawValue, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr == "postls config: cannot read \(etc)/main.cf: Permission denied (reading it needs root; postls runs as nobody: run it as root, e.g. with sudo)\n")
    }

    @Test func probeWorksAsNobody() throws {
        try FileManager.default.createDirectory(atPath: directory.file("server"), withIntermediateDirectories: true)
        let hostile = try HostileServer(.fiftyCertificateChain, directory: directory.file("server"))
        defer { hostile.stop() }
        let run = try runAsNobody(["probe", "127.0.0.1", "--port", "\(hostile.port)", "--json", "--timeout", "5"])
        #expect([0, 1, 2].contains(run.status), "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout.prefix(300)) \(run.stderr)")
        let target = try #require((object["targets"] as? [[String: Any]])?.first)
        #expect(target["negotiated"] != nil, "a full TLS handshake as nobody: \(target)")
        #expect(target["error"] == nil || target["error"] is NSNull, "\(target)")
    }

    @Test func logsReadsWhatNobodyMayReadAndNamesWhatNeedsRoot() throws {
        let line = "2026-11-29T05:00:00.000000+00:00 mail postfix/smtpd[4242]: warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1657:\n"
        try directory.write("open.log", line, mode: 0o644)
        try directory.write("closed.log", line, mode: 0o640)
        let open = try runAsNobody(["logs", directory.file("open.log"), "--json"])
        #expect(open.stderr.isEmpty, "\(open.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(open.stdout.utf8)) as? [String: Any], "\(open.stdout)")
        #expect((object["events"] as? [Any])?.count == 1, "\(open.stdout)")

        let closed = try runAsNobody(["logs", directory.file("closed.log")])
        #expect(closed.status == PostlsCore.ExitCode.inputUnreadable.rawValue)
        #expect(closed.stderr == "postls: \(directory.file("closed.log")): cannot open the log: Permission denied (reading mail logs needs root or group adm; postls runs as nobody: run it as root, e.g. with sudo)\n")
    }

    /// journalctl does not fail for an ordinary user, it shows only that user's messages: postls says so.
    @Test func theJournalAsNobodySaysItNeedsRoot() throws {
        let run = try runAsNobody(["logs", "--journal"])
        #expect(run.stderr.contains("postls: note: as user nobody, journalctl shows only that user's own messages, not Postfix's; reading the mail log from the journal needs root"),
                "\(run.stderr)")
        let asRoot = try PostlsBinary.run(["logs", "--journal"])
        #expect(!asRoot.stderr.contains("note: as user"), "\(asRoot.stderr)")
    }

    @Test func fixApplyAsNobodySaysWritingNeedsRootAndChangesNothing() throws {
        let etc = try config(keyMode: 0o644)
        let before = try FileManager.default.contentsOfDirectory(atPath: etc).sorted()
        let master = try Data(contentsOf: URL(fileURLWithPath: etc + "/master.cf"))
        let run = try runAsNobody(["fix", "apply", CrashSafeApplyTests.fixID, "--yes", "--no-reload", "--config-dir", etc, "--no-probe", "--no-logs"])
        #expect(run.status == PostlsCore.ExitCode.critical.rawValue, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("could not write \(etc)/master.cf: its backup could not be made"), "\(run.stderr)")
        #expect(run.stderr.contains("Permission denied"), "\(run.stderr)")
        #expect(run.stderr.contains("(writing the Postfix configuration needs root; postls runs as nobody: run it as root, e.g. with sudo)"), "\(run.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: etc + "/master.cf")) == master)
        #expect(try FileManager.default.contentsOfDirectory(atPath: etc).sorted() == before)
    }
}
