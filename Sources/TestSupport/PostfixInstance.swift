import Foundation
import PostlsCore
import TLSKit

/// Why the harness could not give a test its servers: the sentence the failing test shows.
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String

    public static func missing(_ what: String) -> HarnessError { HarnessError(description: "test prerequisite missing: \(what)") }
    public static func startFailed(_ why: String) -> HarnessError { HarnessError(description: "Postfix did not start: \(why)") }
    public static func notListening(_ what: String) -> HarnessError { HarnessError(description: "Postfix started but does not listen on \(what)") }
}

/// One smtpd listener of a throwaway instance.
public struct PostfixListener: Sendable {
    /// Label for the service: becomes `syslog_name=postfix/<name>` unless it is "smtp".
    public var name: String
    public var address: String
    public var port: UInt16
    /// `-o name=value` overrides for this service, in order.
    public var overrides: [(String, String)]

    public init(name: String, address: String = "127.0.0.1", port: UInt16 = 0, overrides: [(String, String)] = []) {
        self.name = name; self.address = address; self.port = port; self.overrides = overrides
    }

    public var socketAddress: SocketAddress? { SocketAddress(ip: address, port: port) }

    /// The master.cf service name: `127.0.0.1:2525` or `[::1]:2525`.
    public var serviceName: String { address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)" }
}

/// A real, throwaway Postfix instance: its own config, queue, data and log under a temp directory,
/// listening on loopback ports chosen at creation. It never touches /etc/postfix. Stop it with `stop()`;
/// `PostfixInstance.with` does that even when the body throws, and deinit does it as a last resort.
public final class PostfixInstance: ServerLog, @unchecked Sendable {
    public let root: TemporaryDirectory
    public let configDirectory: String
    public let queueDirectory: String
    public let dataDirectory: String
    public let logFile: String
    public private(set) var listeners: [PostfixListener]
    public let myhostname: String
    /// Whose Postfix runs: the machine's (Debian 12) or Debian 13's from its cached root.
    public let servers: ServerTools
    public var generation: Generation { servers.generation }
    private let runner: ProcessRunner
    private var running = false

    /// - Parameters:
    ///   - mainCF: lines appended to the harness's base main.cf (TLS settings etc.), verbatim.
    ///   - listeners: smtpd services; a port of 0 gets a free port.
    ///   - masterCFExtra: lines appended to master.cf verbatim (extra transports etc.).
    public init(mainCF: String = "", listeners: [PostfixListener], masterCFExtra: String = "",
                myhostname: String = "mail.postls.test", generation: Generation = .debian12) throws {
        servers = try generation.servers()
        guard servers.has("postfix"), servers.has("postconf") else {
            throw HarnessError.missing("postfix (apt-get install postfix)")
        }
        self.runner = servers.runner
        self.myhostname = myhostname
        root = try TemporaryDirectory(prefix: "postls-postfix")
        configDirectory = root.file("etc")
        queueDirectory = root.file("queue")
        dataDirectory = root.file("data")
        logFile = root.file("log/maillog")
        for dir in [configDirectory, queueDirectory, dataDirectory, root.file("log")] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        // master refuses to start unless the data directory belongs to mail_owner.
        if let owner = servers.passwd("postfix") { chown(dataDirectory, owner.uid, owner.gid) }
        self.listeners = listeners.map { l in
            var l = l
            if l.port == 0 { l.port = freePort(on: l.address) }
            return l
        }
        try writeMainCF(extra: mainCF)
        try writeMasterCF(extra: masterCFExtra)
        Self.registry.add(self)
    }

    deinit { stop() }

    /// Creates, starts, runs `body`, and always stops and removes the instance.
    public static func with<T>(mainCF: String = "", listeners: [PostfixListener], masterCFExtra: String = "",
                               generation: Generation = .debian12, _ body: (PostfixInstance) throws -> T) throws -> T {
        let instance = try PostfixInstance(mainCF: mainCF, listeners: listeners, masterCFExtra: masterCFExtra, generation: generation)
        defer { instance.stop() }
        try instance.start()
        return try body(instance)
    }

    public var mainCFPath: String { configDirectory + "/main.cf" }
    public var masterCFPath: String { configDirectory + "/master.cf" }

    private var usesIPv6: Bool { listeners.contains { $0.address.contains(":") } }

    private func writeMainCF(extra: String) throws {
        let base = """
            # Throwaway instance written by postls's test harness.
            compatibility_level = 3.6
            queue_directory = \(queueDirectory)
            data_directory = \(dataDirectory)
            myhostname = \(myhostname)
            mydomain = postls.test
            mydestination =
            inet_interfaces = loopback-only
            inet_protocols = \(usesIPv6 ? "all" : "ipv4")
            maillog_file = \(logFile)
            maillog_file_prefixes = \(root.path)
            notify_classes =
            smtpd_banner = $myhostname ESMTP postls-test
            # Peers are named by address only: the instance has no chroot and no DNS (smtp_dns_support_level:
            # Postfix 3.10 warns that disable_dns_lookups will be removed).
            smtp_host_lookup = native
            smtp_dns_support_level = disabled

            """
        try write(mainCFPath, base + extra + (extra.hasSuffix("\n") || extra.isEmpty ? "" : "\n"))
    }

    private func writeMasterCF(extra: String) throws {
        var lines = ["# Throwaway instance written by postls's test harness. chroot = n everywhere."]
        for l in listeners {
            var line = "\(l.serviceName) inet n - n - - smtpd"
            if l.name != "smtp" { line += "\n  -o syslog_name=postfix/\(l.name)" }
            for (name, value) in l.overrides {
                line += value.contains(" ") ? "\n  -o { \(name) = \(value) }" : "\n  -o \(name)=\(value)"
            }
            lines.append(line)
        }
        lines += [
            "pickup    unix  n - n 60 1 pickup",
            "cleanup   unix  n - n - 0 cleanup",
            "qmgr      unix  n - n 300 1 qmgr",
            "tlsmgr    unix  - - n 1000? 1 tlsmgr",
            "rewrite   unix  - - n - - trivial-rewrite",
            "bounce    unix  - - n - 0 bounce",
            "defer     unix  - - n - 0 bounce",
            "trace     unix  - - n - 0 bounce",
            "verify    unix  - - n - 1 verify",
            "flush     unix  n - n 1000? 0 flush",
            "proxymap  unix  - - n - - proxymap",
            "proxywrite unix - - n - 1 proxymap",
            "smtp      unix  - - n - - smtp",
            "relay     unix  - - n - - smtp",
            "showq     unix  n - n - - showq",
            "error     unix  - - n - - error",
            "retry     unix  - - n - - error",
            "discard   unix  - - n - - discard",
            "local     unix  - n n - - local",
            "virtual   unix  - n n - - virtual",
            "lmtp      unix  - - n - - lmtp",
            "anvil     unix  - - n - 1 anvil",
            "scache    unix  - - n - 1 scache",
            "postlog   unix-dgram n - n - 1 postlogd",
        ]
        if !extra.isEmpty { lines.append(extra) }
        try write(masterCFPath, lines.joined(separator: "\n") + "\n")
    }

    /// Writes a config file and back-dates it: postconf sleeps ~2.4 s on a main.cf younger than a second.
    public func write(_ path: String, _ contents: String) throws {
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
        backdate(path)
    }

    public func backdate(_ path: String) { backdateForPostconf(path) }

    /// Appends lines to main.cf (later values win, as in Postfix).
    public func appendMainCF(_ text: String) throws {
        let old = (try? String(contentsOfFile: mainCFPath, encoding: .utf8)) ?? ""
        try write(mainCFPath, old + text + "\n")
    }

    /// Starts master and waits until every listener accepts connections.
    public func start(timeout: Double = 20) throws {
        let out = try runner.run("postfix", ["-c", configDirectory, "start"], timeout: timeout)
        guard out.succeeded else {
            // postfix reports fatal errors to syslog (absent here); postfix check on a terminal-less run says nothing
            // either, so show the instance's own log, which postlogd may have written.
            throw HarnessError.startFailed("exit \(out.status): \(out.stdout)\(out.stderr)\(logText().suffix(2000))")
        }
        running = true
        let deadline = Deadline.after(seconds: timeout)
        for listener in listeners {
            guard let address = listener.socketAddress else { continue }
            var ok = false
            while !deadline.hasPassed {
                if let s = try? TCPSocket.connect(to: address, deadline: .after(seconds: 1)) {
                    s.close(); ok = true; break
                }
                usleep(50_000)
            }
            if !ok { throw HarnessError.notListening(listener.serviceName) }
        }
    }

    /// `postfix reload`: new smtpd processes pick up the changed configuration.
    public func reload() throws {
        let out = try runner.run("postfix", ["-c", configDirectory, "reload"], timeout: 20)
        guard out.succeeded else { throw HarnessError.startFailed("reload: \(out.stderr)") }
    }

    /// The pid of master while it runs (the instance's own pid file, naming a live process that is a master).
    public var masterPID: pid_t? {
        guard let text = try? String(contentsOfFile: queueDirectory + "/pid/master.pid", encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), kill(pid, 0) == 0 else { return nil }
        // A stale file may name a pid reused since: only a master is ours to stop.
        guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
              let program = cmdline.split(separator: 0).first, program.split(separator: UInt8(ascii: "/")).last.map({ Array($0) }) == Array("master".utf8)
        else { return nil }
        return pid
    }

    /// Stops master (and so every daemon), then removes the instance's directory. Safe to call twice.
    /// A master also runs after a start that failed late (it timed out, or postfix reported an error once master was
    /// up): the instance's own pid file tells, so it is stopped too instead of outliving the tests.
    public func stop() {
        let pid = masterPID
        if running || pid != nil {
            _ = try? runner.run("postfix", ["-c", configDirectory, "stop"], timeout: 20)
            if let pid {
                // master exits after its children; wait for it, then make sure.
                for _ in 0..<100 where kill(pid, 0) == 0 { usleep(50_000) }
                if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
            }
            running = false
        }
        root.remove()
        Self.registry.remove(self)
    }

    public var isRunning: Bool { running && masterPID != nil }

    public func listener(named name: String) -> PostfixListener? { listeners.first { $0.name == name } }

    // Instances still running when the test process exits normally are stopped then.
    private static let registry = Registry()

    final class Registry: @unchecked Sendable {
        private var instances: [ObjectIdentifier: () -> Void] = [:]
        private let lock = NSLock()
        private var installed = false

        func add(_ instance: PostfixInstance) {
            lock.lock(); defer { lock.unlock() }
            let config = instance.configDirectory, runner = instance.runner
            instances[ObjectIdentifier(instance)] = {
                _ = try? runner.run("postfix", ["-c", config, "stop"], timeout: 10)
            }
            if !installed {
                installed = true
                atexit { PostfixInstance.registry.stopAll() }
            }
        }

        func remove(_ instance: PostfixInstance) {
            lock.lock(); defer { lock.unlock() }
            instances[ObjectIdentifier(instance)] = nil
        }

        func stopAll() {
            lock.lock(); let all = Array(instances.values); instances.removeAll(); lock.unlock()
            for stop in all { stop() }
        }
    }
}

/// Sets a file's times a minute back: postconf sleeps about 2.4 s on a main.cf younger than a second.
public func backdateForPostconf(_ path: String) {
    var times = [timespec(tv_sec: time(nil) - 60, tv_nsec: 0), timespec(tv_sec: time(nil) - 60, tv_nsec: 0)]
    utimensat(AT_FDCWD, path, &times, 0)
}
