import Foundation
import PostlsCore
import TLSKit

/// A real, throwaway Dovecot (IMAP) on loopback: its own base_dir, state and log under a temp directory,
/// an IMAP port (STARTTLS) and an IMAPS port (implicit TLS). Stops and removes itself like PostfixInstance.
/// The generation decides whose Dovecot runs and so the syntax of the harness's own lines (2.3 or 2.4); the
/// ssl lines a test gives are written as given, in that generation's syntax or deliberately not.
public final class DovecotInstance: ServerLog, @unchecked Sendable {
    public let root: TemporaryDirectory
    public let configFile: String
    /// Where the ssl lines are: dovecot.conf, or conf.d/10-ssl.conf (included) when asked for.
    public let sslFile: String
    public let logFile: String
    public let imapPort: UInt16
    public let imapsPort: UInt16
    /// The addresses Dovecot listens on (127.0.0.1, and ::1 when asked for).
    public let addresses: [String]
    public let servers: ServerTools
    public var generation: Generation { servers.generation }
    private let runner: ProcessRunner
    private var running = false

    /// - Parameters:
    ///   - sslSettings: dovecot.conf lines for ssl (`ssl = required`, `ssl_cert = </path`, ...), verbatim.
    ///   - sslInclude: write them to conf.d/10-ssl.conf, included from dovecot.conf as Debian's packages do.
    ///   - ipv6: listen on ::1 too.
    public init(sslSettings: String, generation: Generation = .debian12, sslInclude: Bool = false, ipv6: Bool = false) throws {
        servers = try generation.servers()
        guard servers.has("dovecot") else { throw HarnessError.missing("dovecot (apt-get install dovecot-core dovecot-imapd)") }
        self.runner = servers.runner
        root = try TemporaryDirectory(prefix: "postls-dovecot")
        configFile = root.file("dovecot.conf")
        sslFile = sslInclude ? root.file("conf.d/10-ssl.conf") : configFile
        logFile = root.file("log/dovecot.log")
        addresses = ipv6 ? ["127.0.0.1", "::1"] : ["127.0.0.1"]
        imapPort = freePort()
        imapsPort = freePort()
        for dir in ["run", "state", "log", "home", "conf.d"] {
            try FileManager.default.createDirectory(atPath: root.file(dir), withIntermediateDirectories: true)
        }
        let is24 = generation.dovecotSyntax == "2.4"
        // 2.4 wants its version first; its passdb/userdb are named sections with the settings inside.
        let header = is24 ? "dovecot_config_version = 2.4.1\ndovecot_storage_version = 2.4.1\n" : ""
        let databases = is24
            ? "passdb static {\n  password = test\n}\nuserdb static {\n  fields {\n    uid = nobody\n    gid = nogroup\n    home = \(root.file("home"))\n  }\n}\n"
            : "passdb {\n  driver = static\n  args = password=test\n}\nuserdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=\(root.file("home"))\n}\n"
        if sslInclude { try sslSettings.write(toFile: sslFile, atomically: true, encoding: .utf8) }
        let conf = """
            \(header)# Throwaway instance written by postls's test harness.
            base_dir = \(root.file("run"))
            state_dir = \(root.file("state"))
            log_path = \(logFile)
            protocols = imap
            listen = \(addresses.joined(separator: ", "))
            \(sslInclude ? "!include conf.d/*.conf" : sslSettings)
            service imap-login {
              inet_listener imap {
                port = \(imapPort)
              }
              inet_listener imaps {
                port = \(imapsPort)
                ssl = yes
              }
            }
            \(databases)
            """
        try conf.write(toFile: configFile, atomically: true, encoding: .utf8)
    }

    deinit { stop() }

    public static func with<T>(sslSettings: String, generation: Generation = .debian12, _ body: (DovecotInstance) throws -> T) throws -> T {
        let instance = try DovecotInstance(sslSettings: sslSettings, generation: generation)
        defer { instance.stop() }
        try instance.start()
        return try body(instance)
    }

    public var imapAddress: SocketAddress { SocketAddress(ip: "127.0.0.1", port: imapPort)! }
    public var imapsAddress: SocketAddress { SocketAddress(ip: "127.0.0.1", port: imapsPort)! }
    /// IMAPS on ::1 (with `ipv6: true`).
    public var imapsAddress6: SocketAddress { SocketAddress(ip: "::1", port: imapsPort)! }

    /// `doveconf -c FILE -n` of this generation: whether it accepts the configuration as it now is.
    public func doveconf() throws -> ProcessOutput { try runner.run("doveconf", ["-c", configFile, "-n"], timeout: 30) }

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
