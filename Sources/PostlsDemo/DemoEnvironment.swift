import Diagnosis
import PostfixConfig
import Foundation
import PostlsCore
import TLSKit

/// The embedded demo: a broken Postfix-style configuration, a month of realistic mail-log lines, a
/// private test PKI, and SMTP endpoints on loopback that serve what the configuration says, all in one
/// temporary directory that is removed afterwards. Nothing outside it is touched, and no mail server is needed.
///
/// The data is generated in code rather than shipped as resource files so the single `postls` binary can
/// be copied anywhere and still run its demo (Bundle lookups break when the binary moves).
public final class DemoEnvironment: @unchecked Sendable {
    public let root: String
    public let configDirectory: String
    public let logFile: String
    public let caFile: String
    public let hostName = "mail.demo.postls.example"
    private(set) var servers: [DemoSMTPServer] = []
    private var removed = false
    private let removeLock = NSLock()

    public init() throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/postls-demo-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw DemoError("cannot create a temporary directory in \(base)") }
        root = String(cString: made)
        configDirectory = root + "/etc/postfix"
        logFile = root + "/log/mail.log"
        caFile = root + "/etc/postfix/demo-root-ca.pem"
        // Known before it is built: a termination signal while it builds removes it too.
        Self.liveLock.lock(); Self.live.append(self); Self.liveLock.unlock()
        do { try build() } catch { remove(); throw error }
    }

    deinit { remove() }

    // Every live demo, so the end by a termination signal (which skips Swift's defer) still cleans up.
    nonisolated(unsafe) private static var live: [DemoEnvironment] = []
    private static let liveLock = NSLock()

    /// Removes every live demo's directory before the process ends by a signal; the servers end with the process
    /// (stopping each takes a quarter second).
    public static func removeAllBeforeExit() {
        liveLock.lock(); let all = live; live.removeAll(); liveLock.unlock()
        for demo in all { demo.remove(stoppingServers: false) }
    }

    /// The demo has no Postfix running: validate with postconf only (when installed) and skip `postfix check`,
    /// whose queue checks do not apply to a demo directory.
    public var fixLoop: FixLoop {
        let runner = SystemProcessRunner()
        let validator: ConfigValidator? = findExecutable("postconf") != nil ? PostfixValidator(runner: runner, runPostfixCheck: false) : nil
        return FixLoop(runner: runner, applier: ConfigApplier(validator: validator))
    }

    struct DemoError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    private func build() throws {
        let fm = FileManager.default
        for dir in ["etc/postfix/certs", "etc/postfix/private", "log", "queue", "data"] {
            try fm.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
        }
        chmod(root + "/etc/postfix/private", 0o700)
        // A private CA stands in for a public one: the demo trusts it (like --ca-file), so the missing
        // intermediate shows exactly as it would with a real CA's certificate.
        let rootKey = try PrivateKey.generate(.ecdsaP256)
        let ca = try Certificate.issue(CertificateSpec(commonName: "postls Demo Root CA", organization: "postls demo",
                                                       notBefore: Date().addingTimeInterval(-400 * 86_400),
                                                       notAfter: Date().addingTimeInterval(3000 * 86_400), isCA: true), for: rootKey)
        let intermediateKey = try PrivateKey.generate(.ecdsaP256)
        let intermediate = try Certificate.issue(CertificateSpec(commonName: "postls Demo Issuing CA R3", organization: "postls demo",
                                                                 notBefore: Date().addingTimeInterval(-400 * 86_400),
                                                                 notAfter: Date().addingTimeInterval(1000 * 86_400), isCA: true),
                                                 for: intermediateKey, issuer: (ca, rootKey))
        let leafKey = try PrivateKey.generate(.ecdsaP256)
        let leaf = try Certificate.issue(CertificateSpec(commonName: hostName, subjectAltNames: [hostName, "smtp.demo.postls.example"],
                                                         notBefore: Date().addingTimeInterval(-30 * 86_400),
                                                         notAfter: Date().addingTimeInterval(60 * 86_400)),
                                         for: leafKey, issuer: (intermediate, intermediateKey))
        try ca.pem.write(toFile: caFile, atomically: true, encoding: .utf8)
        // The classic mistake: cert.pem (leaf only) configured instead of fullchain.pem; chain.pem lies beside it.
        try leaf.pem.write(toFile: configDirectory + "/certs/cert.pem", atomically: true, encoding: .utf8)
        try intermediate.pem.write(toFile: configDirectory + "/certs/chain.pem", atomically: true, encoding: .utf8)
        try leafKey.writePEM(toNewFile: configDirectory + "/private/privkey.pem")

        let smtp = try DemoSMTPServer(configDirectory: configDirectory, implicitTLS: false)
        let submission = try DemoSMTPServer(configDirectory: configDirectory, implicitTLS: false)
        let submissions = try DemoSMTPServer(configDirectory: configDirectory, implicitTLS: true)
        servers = [smtp, submission, submissions]
        try mainCF.write(toFile: configDirectory + "/main.cf", atomically: true, encoding: .utf8)
        try masterCF(smtp: smtp.port, submission: submission.port, submissions: submissions.port)
            .write(toFile: configDirectory + "/master.cf", atomically: true, encoding: .utf8)
        backdate(configDirectory + "/main.cf")
        backdate(configDirectory + "/master.cf")
        try DemoLog.text(now: Date(), hostField: "mail").write(toFile: logFile, atomically: true, encoding: .utf8)
        for server in servers { server.start() }
    }

    /// postconf sleeps on a main.cf younger than a second; the demo's files are "old" from the start.
    private func backdate(_ path: String) {
        var times = [timespec(tv_sec: time(nil) - 3600, tv_nsec: 0), timespec(tv_sec: time(nil) - 3600, tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, 0)
    }

    /// Stops the servers and removes the directory, once (the main thread and the termination watcher may both ask).
    public func remove(stoppingServers: Bool = true) {
        removeLock.lock()
        defer { removeLock.unlock() }
        guard !removed else { return }
        removed = true
        if stoppingServers { for server in servers { server.stop() } }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// What the wizard and `postls diagnose` gather in the demo.
    public var gatherOptions: GatherOptions {
        var o = GatherOptions()
        o.configDirectory = configDirectory
        o.logFiles = [logFile]
        o.trust = .file(caFile)
        o.name = hostName
        o.phaseTimeout = 3
        return o
    }

    var mainCF: String {
        """
        # postls demo: a Debian-style main.cf with the TLS mistakes postls is built to find.
        # Everything here lives in \(root) and is removed when the demo ends.
        smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)
        biff = no
        append_dot_mydomain = no
        readme_directory = no
        compatibility_level = 3.6

        # TLS parameters
        smtpd_tls_cert_file = \(configDirectory)/certs/cert.pem
        smtpd_tls_key_file = \(configDirectory)/private/privkey.pem
        smtpd_tls_security_level = may
        # "Hardening" copied from a web guide: it also applies to port 25,
        # where senders limited to TLS 1.0/1.1 now fail the handshake.
        smtpd_tls_protocols = >=TLSv1.2
        smtpd_tls_mandatory_protocols = >=TLSv1.2
        smtpd_tls_loglevel = 1

        smtp_tls_CApath = /etc/ssl/certs
        smtp_tls_security_level = may
        smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache

        myhostname = \(hostName)
        mydomain = demo.postls.example
        myorigin = $mydomain
        mydestination = $myhostname, localhost.$mydomain, localhost
        relayhost =
        mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128
        inet_interfaces = loopback-only
        inet_protocols = ipv4
        queue_directory = \(root)/queue
        data_directory = \(root)/data

        """
    }

    func masterCF(smtp: UInt16, submission: UInt16, submissions: UInt16) -> String {
        """
        # postls demo master.cf: the three mail ports, on loopback ports chosen for this run.
        # service         type  private unpriv  chroot  wakeup  maxproc command + args
        127.0.0.1:\(smtp)   inet  n       -       y       -       -       smtpd
        127.0.0.1:\(submission)   inet  n       -       y       -       -       smtpd
          -o syslog_name=postfix/submission
          -o smtpd_tls_security_level=encrypt
          -o smtpd_sasl_auth_enable=yes
        127.0.0.1:\(submissions)   inet  n       -       y       -       -       smtpd
          -o syslog_name=postfix/submissions
          -o smtpd_tls_wrappermode=yes
          -o smtpd_sasl_auth_enable=yes
        pickup    unix  n       -       y       60      1       pickup
        cleanup   unix  n       -       y       -       0       cleanup
        qmgr      unix  n       -       n       300     1       qmgr
        tlsmgr    unix  -       -       y       1000?   1       tlsmgr
        rewrite   unix  -       -       y       -       -       trivial-rewrite
        bounce    unix  -       -       y       -       0       bounce
        defer     unix  -       -       y       -       0       bounce
        trace     unix  -       -       y       -       0       bounce
        verify    unix  -       -       y       -       1       verify
        flush     unix  n       -       y       1000?   0       flush
        proxymap  unix  -       -       n       -       -       proxymap
        proxywrite unix -       -       n       -       1       proxymap
        smtp      unix  -       -       y       -       -       smtp
        relay     unix  -       -       y       -       -       smtp
          -o syslog_name=postfix/$service_name
        showq     unix  n       -       y       -       -       showq
        error     unix  -       -       y       -       -       error
        retry     unix  -       -       y       -       -       error
        discard   unix  -       -       y       -       -       discard
        local     unix  -       n       n       -       -       local
        virtual   unix  -       n       n       -       -       virtual
        lmtp      unix  -       -       y       -       -       lmtp
        anvil     unix  -       -       y       -       1       anvil
        scache    unix  -       -       y       -       1       scache
        postlog   unix-dgram n  -       n       -       1       postlogd

        """
    }
}
