import Foundation
import PostlsCore
import TLSKit

/// A real, throwaway Dovecot (IMAP) on loopback: its own base_dir, state and log under a temp directory,
/// an IMAP port (STARTTLS) and an IMAPS port (implicit TLS). Stops and removes itself like PostfixInstance.
public final class DovecotInstance: ServerLog, @unchecked Sendable {
    public let root: TemporaryDirectory
    public let configFile: String
    public let logFile: String
    public let imapPort: UInt16
    public let imapsPort: UInt16
    private let runner: ProcessRunner
    private var running = false

    /// - Parameter sslSettings: dovecot.conf lines for ssl (`ssl = required`, `ssl_cert = </path`, ...), verbatim.
    public init(sslSettings: String, runner: ProcessRunner = SystemProcessRunner()) throws {
        guard findExecutable("dovecot") != nil else { throw HarnessError.missing("dovecot (apt-get install dovecot-core dovecot-imapd)") }
        self.runner = runner
        root = try TemporaryDirectory(prefix: "postls-dovecot")
        configFile = root.file("dovecot.conf")
        logFile = root.file("log/dovecot.log")
        imapPort = freePort()
        imapsPort = freePort()
        for dir in ["run", "state", "log", "home"] {
            try FileManager.default.createDirectory(atPath: root.file(dir), withIntermediateDirectories: true)
        }
        let conf = """
            # Throwaway instance written by postls's test harness.
            base_dir = \(root.file("run"))
            state_dir = \(root.file("state"))
            log_path = \(logFile)
            protocols = imap
            listen = 127.0.0.1
            \(sslSettings)
            service imap-login {
              inet_listener imap {
                port = \(imapPort)
              }
              inet_listener imaps {
                port = \(imapsPort)
                ssl = yes
              }
            }
            passdb {
              driver = static
              args = password=test
            }
            userdb {
              driver = static
              args = uid=nobody gid=nogroup home=\(root.file("home"))
            }

            """
        try conf.write(toFile: configFile, atomically: true, encoding: .utf8)
    }

    deinit { stop() }

    public static func with<T>(sslSettings: String, _ body: (DovecotInstance) throws -> T) throws -> T {
        let instance = try DovecotInstance(sslSettings: sslSettings)
        defer { instance.stop() }
        try instance.start()
        return try body(instance)
    }

    public var imapAddress: SocketAddress { SocketAddress(ip: "127.0.0.1", port: imapPort)! }
    public var imapsAddress: SocketAddress { SocketAddress(ip: "127.0.0.1", port: imapsPort)! }

    public func start(timeout: Double = 20) throws {
        let out = try runner.run("dovecot", ["-c", configFile], timeout: timeout)
        guard out.succeeded else { throw HarnessError.startFailed("dovecot: \(out.stderr)\(out.stdout)") }
        running = true
        let deadline = Deadline.after(seconds: timeout)
        for address in [imapAddress, imapsAddress] {
            var ok = false
            while !deadline.hasPassed {
                if let s = try? TCPSocket.connect(to: address, deadline: .after(seconds: 1)) { s.close(); ok = true; break }
                usleep(50_000)
            }
            if !ok { throw HarnessError.notListening("dovecot \(address)") }
        }
    }

    public func stop() {
        if running {
            _ = try? runner.run("dovecot", ["-c", configFile, "stop"], timeout: 20)
            running = false
        }
        root.remove()
    }
}
