import Foundation
import PostlsCore
import TLSKit

/// A zone for the test DNS servers.
public struct TestZone: Sendable {
    public enum Signing: Sendable {
        /// Served unsigned: answers are insecure (no AD).
        case unsigned
        /// Signed with fresh ECDSA keys; its DS is the resolver's trust anchor: answers are secure (AD).
        case signed
        /// Signed, trust anchor set, but every signature expired in 2020: the resolver answers SERVFAIL (bogus).
        case expiredSignatures
    }

    public var name: String
    /// Zone-file lines after `$ORIGIN name.` (SOA, NS and `ns A 127.0.0.1` are added).
    public var records: [String]
    public var signing: Signing

    public init(_ name: String, signing: Signing = .unsigned, records: [String]) {
        self.name = name.hasSuffix(".") ? String(name.dropLast()) : name
        self.records = records
        self.signing = signing
    }
}

/// Real DNS for tests: NSD serving the test zones on a loopback port and Unbound as a validating
/// resolver on another, with a stub zone per test zone and the signed zones' DS records as trust anchors.
/// Both run in the foreground as children of the test process and are stopped by `stop()` (or at exit).
public final class DNSServers: @unchecked Sendable {
    public let directory: TemporaryDirectory
    /// NSD, authoritative for every zone.
    public let authoritative: SocketAddress
    /// Unbound: what `--resolver` should name.
    public let resolver: SocketAddress
    public let zones: [TestZone]
    private var processes: [Process] = []
    private let lock = NSLock()

    /// `ADDR:PORT` for `--resolver`.
    public var resolverArgument: String { resolver.description }

    public init(zones: [TestZone], runner: ProcessRunner = SystemProcessRunner()) throws {
        for program in ["nsd", "unbound", "dnssec-keygen", "dnssec-signzone"] where findExecutable(program) == nil {
            throw HarnessError.missing("\(program) (apt-get install nsd unbound bind9-utils)")
        }
        self.zones = zones
        directory = try TemporaryDirectory(prefix: "postls-dns")
        let dir = directory.path
        let nsdPort = freePort(), unboundPort = freePort()
        guard nsdPort != 0, unboundPort != 0, let nsdAddress = SocketAddress(ip: "127.0.0.1", port: nsdPort),
              let unboundAddress = SocketAddress(ip: "127.0.0.1", port: unboundPort) else {
            throw HarnessError.startFailed("no free loopback port for the DNS servers")
        }
        authoritative = nsdAddress
        resolver = unboundAddress

        let (nsdZones, trustAnchors) = try Self.writeZones(zones, in: directory, runner: runner)
        try directory.write("nsd.conf", Self.nsdConfiguration(directory: dir, port: nsdPort, zones: nsdZones))
        try directory.write("unbound.conf", Self.unboundConfiguration(directory: dir, port: unboundPort, zones: zones, authoritativePort: nsdPort,
                                                                      trustAnchors: trustAnchors))

        Self.registry.add(self)
        do {
            try launch("nsd", ["-d", "-c", "\(dir)/nsd.conf"], log: "\(dir)/nsd.out")
            try waitUntilListening(authoritative, name: "nsd", log: "\(dir)/nsd.log")
            try launch("unbound", ["-d", "-c", "\(dir)/unbound.conf"], log: "\(dir)/unbound.out")
            try waitUntilListening(resolver, name: "unbound", log: "\(dir)/unbound.log")
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// Writes each zone's file (signed where asked); returns NSD's zone entries and the signed zones' DS records.
    private static func writeZones(_ zones: [TestZone], in directory: TemporaryDirectory, runner: ProcessRunner) throws -> (nsdZones: String, trustAnchors: [String]) {
        let dir = directory.path
        var trustAnchors: [String] = []
        var nsdZones = ""
        for zone in zones {
            let file = "\(zone.name).zone"
            var text = """
                $ORIGIN \(zone.name).
                $TTL 300
                @ IN SOA ns.\(zone.name). hostmaster.\(zone.name). 1 3600 600 86400 300
                @ IN NS ns.\(zone.name).
                ns IN A 127.0.0.1

                """
            text += zone.records.joined(separator: "\n") + "\n"
            try directory.write(file, text)
            var served = file
            if zone.signing != .unsigned {
                served = try sign(zone, file: file, in: dir, runner: runner)
                let dsset = try String(contentsOfFile: "\(dir)/dsset-\(zone.name).", encoding: .utf8)
                // dnssec-signzone aligns with tabs that move with the name's length: compare fields, not text.
                for line in dsset.split(separator: "\n") {
                    let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
                    if fields.count > 3, fields.contains("DS") { trustAnchors.append(fields.joined(separator: " ")) }
                }
            }
            nsdZones += "zone:\n  name: \"\(zone.name)\"\n  zonefile: \"\(served)\"\n"
        }
        return (nsdZones, trustAnchors)
    }

    /// NSD in the foreground on `port`, authoritative for the zones, no control channel.
    private static func nsdConfiguration(directory dir: String, port nsdPort: UInt16, zones nsdZones: String) -> String {
        """
            server:
              ip-address: 127.0.0.1@\(nsdPort)
              port: \(nsdPort)
              username: ""
              chroot: ""
              zonesdir: "\(dir)"
              database: ""
              zonelistfile: "\(dir)/zone.list"
              xfrdfile: "\(dir)/xfrd.state"
              xfrdir: "\(dir)"
              pidfile: "\(dir)/nsd.pid"
              logfile: "\(dir)/nsd.log"
              server-count: 1
              verbosity: 1
              hide-version: yes
            remote-control:
              control-enable: no
            \(nsdZones)
            """
    }

    /// Unbound validating on `port`, with a stub zone per test zone pointing at NSD and the DS records as trust anchors.
    private static func unboundConfiguration(directory dir: String, port unboundPort: UInt16, zones: [TestZone], authoritativePort nsdPort: UInt16,
                                             trustAnchors: [String]) -> String {
        // Special-use names (test., 127.in-addr.arpa., ...) are local zones in Unbound unless switched off.
        let specialUse = ["test", "invalid", "localhost", "onion", "home.arpa", "127.in-addr.arpa", "0.in-addr.arpa",
                          "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa"]
        var nodefault: [String] = []
        for zone in zones {
            for special in specialUse where zone.name == special || zone.name.hasSuffix("." + special) {
                if !nodefault.contains(special) { nodefault.append(special) }
            }
        }
        var unboundConf = """
            server:
              interface: 127.0.0.1@\(unboundPort)
              port: \(unboundPort)
              do-daemonize: no
              username: ""
              chroot: ""
              directory: "\(dir)"
              pidfile: "\(dir)/unbound.pid"
              logfile: "\(dir)/unbound.log"
              use-syslog: no
              verbosity: 1
              val-log-level: 2
              do-ip6: no
              num-threads: 1
              so-reuseport: no
              do-not-query-localhost: no
              access-control: 127.0.0.0/8 allow
              module-config: "validator iterator"

            """
        for special in nodefault { unboundConf += "  local-zone: \"\(special).\" nodefault\n" }
        for anchor in trustAnchors { unboundConf += "  trust-anchor: \"\(anchor)\"\n" }
        for zone in zones { unboundConf += "stub-zone:\n  name: \"\(zone.name)\"\n  stub-addr: 127.0.0.1@\(nsdPort)\n" }
        return unboundConf
    }

    /// Signs a zone with a fresh KSK and ZSK (ECDSA P-256, fast); returns the signed file's name.
    private static func sign(_ zone: TestZone, file: String, in dir: String, runner: ProcessRunner) throws -> String {
        for flags in [["-f", "KSK"], []] {
            let out = try runner.run("dnssec-keygen", ["-q", "-K", dir, "-a", "ECDSAP256SHA256"] + flags + ["-n", "ZONE", zone.name], timeout: 30)
            guard out.succeeded else { throw HarnessError.startFailed("dnssec-keygen: \(out.stderr)") }
            let base = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let key = try String(contentsOfFile: "\(dir)/\(base).key", encoding: .utf8)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(dir)/\(file)"))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(key.utf8))
            try handle.close()
        }
        let signed = file + ".signed"
        var args = ["-q", "-K", dir, "-d", dir, "-o", zone.name, "-f", "\(dir)/\(signed)"]
        if zone.signing == .expiredSignatures {
            // -P: dnssec-signzone would otherwise refuse to publish signatures that do not verify now.
            args += ["-P", "-s", "20200101000000", "-e", "20200201000000"]
        }
        let out = try runner.run("dnssec-signzone", args + ["\(dir)/\(file)"], timeout: 60)
        guard out.succeeded else { throw HarnessError.startFailed("dnssec-signzone \(zone.name): \(out.stdout)\(out.stderr)") }
        return signed
    }

    private func launch(_ program: String, _ arguments: [String], log: String) throws {
        let process = try startDaemon(program, arguments, log: log)
        lock.lock(); processes.append(process); lock.unlock()
        Self.registry.track(self, pid: process.processIdentifier)
    }

    private func waitUntilListening(_ address: SocketAddress, name: String, log: String, timeout: Double = 15) throws {
        let deadline = Deadline.after(seconds: timeout)
        while !deadline.hasPassed {
            if let socket = try? TCPSocket.connect(to: address, deadline: .after(seconds: 1)) {
                socket.close()
                return
            }
            lock.lock(); let exited = processes.last.map { !$0.isRunning } ?? true; lock.unlock()
            if exited { break }
            usleep(50_000)
        }
        let logText = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let outText = (try? String(contentsOfFile: directory.file("\(name).out"), encoding: .utf8)) ?? ""
        throw HarnessError.startFailed("\(name) does not answer on \(address): \(outText)\(logText.suffix(2000))")
    }

    /// Stops both servers (SIGTERM to the processes this object started, then SIGKILL) and removes the files.
    public func stop() {
        lock.lock(); let running = processes; processes.removeAll(); lock.unlock()
        // The servers keep nothing worth flushing, so they are killed outright. NSD forks a server and a
        // transfer daemon; started from a test process it does not pass SIGTERM on to them within seconds,
        // so its descendants (found through /proc) are killed by pid first, then NSD itself.
        for process in running where process.isRunning {
            for child in Self.descendants(of: process.processIdentifier) { kill(child, SIGKILL) }
            kill(process.processIdentifier, SIGKILL)
        }
        for process in running { process.waitUntilExit() }
        directory.remove()
        Self.registry.remove(self)
    }

    /// The pids below `pid` in the process tree, deepest first, from /proc/<pid>/stat.
    static func descendants(of pid: pid_t) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var children: [pid_t: [pid_t]] = [:]
        for entry in entries {
            guard let child = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // "pid (comm) state ppid ...": the command may contain spaces, so parse after the last ')'.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = pid_t(fields[1]) { children[parent, default: []].append(child) }
        }
        var out: [pid_t] = []
        func walk(_ p: pid_t) { for c in children[p] ?? [] { walk(c); out.append(c) } }
        walk(pid)
        return out
    }

    /// The resolver's log (validation failures are logged at val-log-level 2).
    public func resolverLog() -> String { (try? String(contentsOfFile: directory.file("unbound.log"), encoding: .utf8)) ?? "" }

    private static let registry = Registry()

    final class Registry: @unchecked Sendable {
        private var servers: [ObjectIdentifier: [pid_t]] = [:]
        private let lock = NSLock()
        private var installed = false

        func add(_ servers: DNSServers) {
            lock.lock(); defer { lock.unlock() }
            self.servers[ObjectIdentifier(servers)] = []
            if !installed {
                installed = true
                atexit { DNSServers.registry.stopAll() }
            }
        }

        func track(_ servers: DNSServers, pid: pid_t) {
            lock.lock(); defer { lock.unlock() }
            self.servers[ObjectIdentifier(servers), default: []].append(pid)
        }

        func remove(_ servers: DNSServers) {
            lock.lock(); defer { lock.unlock() }
            self.servers[ObjectIdentifier(servers)] = nil
        }

        func stopAll() {
            lock.lock(); let pids = servers.values.flatMap { $0 }; servers.removeAll(); lock.unlock()
            for pid in pids {
                for child in DNSServers.descendants(of: pid) { kill(child, SIGKILL) }
                kill(pid, SIGKILL)
            }
        }
    }
}
