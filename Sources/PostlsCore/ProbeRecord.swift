import Foundation
import Synchronization

/// One listener postls probed, and when: the server logs every handshake a probe makes (TLS 1.0/1.1 tried on
/// purpose and refused, say), and the log engine uses these windows to tell postls's own connections from peers'.
///
/// A probe run first writes an opening record per listener (its window an upper bound, its sources predicted),
/// then a closing one with the same `id` once the listener is done; the later record wins. A run that is killed
/// half-way still leaves its opening record.
public struct ProbeWindow: Sendable, Hashable, Codable {
    /// Shared by a listener's opening and closing record.
    public var id: String
    public var start: Date
    public var end: Date
    /// The name or literal probed, and the address connected to.
    public var host: String
    public var address: String
    public var port: Int
    /// The local addresses the probe's connections came from: what the server logs as the client
    /// (`localhost[127.0.0.1]`). Empty when unknown.
    public var sources: [String]
    /// The local ports of those connections, for servers that log them (`smtpd_client_port_logging = yes`).
    public var sourcePorts: [Int]
    /// How many of the probe's connections failed (a refused TLS version, no shared cipher...): at most that
    /// many failed sessions in the server's log are the probe's. Nil when not known (an opening record).
    public var failures: Int?
    /// The postls command that probed: `probe`, `diagnose`, `fix`, `check`, `wizard`...
    public var command: String
    public var pid: Int
    /// False for an opening record.
    public var complete: Bool

    public init(id: String = UUID().uuidString, start: Date, end: Date, host: String, address: String, port: Int,
                sources: [String] = [], sourcePorts: [Int] = [], failures: Int? = nil, command: String, pid: Int = Int(getpid()),
                complete: Bool = true) {
        self.id = id; self.start = start; self.end = end; self.host = host; self.address = address; self.port = port
        self.sources = sources; self.sourcePorts = sourcePorts; self.failures = failures; self.command = command; self.pid = pid
        self.complete = complete
    }

    enum CodingKeys: String, CodingKey {
        case id, start, end, host, address, port, sources, failures, command, pid, complete
        case sourcePorts = "source_ports"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        start = try Self.date(c.decode(String.self, forKey: .start), c, .start)
        end = try Self.date(c.decode(String.self, forKey: .end), c, .end)
        host = try c.decodeIfPresent(String.self, forKey: .host) ?? ""
        address = try c.decodeIfPresent(String.self, forKey: .address) ?? ""
        port = try c.decode(Int.self, forKey: .port)
        sources = try c.decodeIfPresent([String].self, forKey: .sources) ?? []
        sourcePorts = try c.decodeIfPresent([Int].self, forKey: .sourcePorts) ?? []
        failures = try c.decodeIfPresent(Int.self, forKey: .failures)
        command = try c.decodeIfPresent(String.self, forKey: .command) ?? ""
        pid = try c.decodeIfPresent(Int.self, forKey: .pid) ?? 0
        complete = try c.decodeIfPresent(Bool.self, forKey: .complete) ?? true
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(Self.text(start), forKey: .start)
        try c.encode(Self.text(end), forKey: .end)
        try c.encode(host, forKey: .host)
        try c.encode(address, forKey: .address)
        try c.encode(port, forKey: .port)
        try c.encode(sources, forKey: .sources)
        try c.encode(sourcePorts, forKey: .sourcePorts)
        try c.encodeIfPresent(failures, forKey: .failures)
        try c.encode(command, forKey: .command)
        try c.encode(pid, forKey: .pid)
        try c.encode(complete, forKey: .complete)
    }

    /// ISO 8601 in UTC with milliseconds (`2026-11-29T09:30:01.123Z`): a window is a few seconds long, so whole
    /// seconds would blur it.
    static func text(_ date: Date) -> String { TimeFormat.iso8601Milliseconds(date) }

    static func date(_ text: String, _ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Date {
        if let d = TimeFormat.parse(text) { return d }
        throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not an ISO 8601 UTC time: \(text)")
    }

    /// One JSON line, newline included.
    public func jsonLine() -> [UInt8] { Self.jsonLines([self]) }

    /// JSON lines for `records`, with one encoder.
    public static func jsonLines(_ records: [ProbeWindow]) -> [UInt8] {
        let encoder = ContractJSON.encoder(compact: true)
        var out: [UInt8] = []
        for r in records {
            guard let data = try? encoder.encode(r) else { continue }
            out += data
            out.append(10)
        }
        return out
    }

    /// Keeps the last record of each id (a closing record replaces its opening one), in first-seen order.
    public static func latest(_ records: [ProbeWindow]) -> [ProbeWindow] {
        var index: [String: Int] = [:]
        var out: [ProbeWindow] = []
        for r in records {
            if let i = index[r.id] { out[i] = r } else { index[r.id] = out.count; out.append(r) }
        }
        return out
    }
}

/// Where probe windows are kept: the side effect behind the record, so tests use a temporary file or memory.
public protocol ProbeRecordStore: Sendable {
    /// Appends records; never throws: a record that cannot be written only makes later log reads less precise.
    func append(_ records: [ProbeWindow])
    /// The windows still kept (a closing record already replacing its opening one).
    func windows() -> [ProbeWindow]
}

/// Records kept in memory only (tests, and the process's own probes when no file is writable).
public final class MemoryProbeRecordStore: ProbeRecordStore, Sendable {
    private let records: Mutex<[ProbeWindow]>
    public init(_ records: [ProbeWindow] = []) { self.records = Mutex(records) }
    public func append(_ new: [ProbeWindow]) { records.withLock { $0 += new } }
    public func windows() -> [ProbeWindow] { ProbeWindow.latest(records.withLock { $0 }) }
}

/// A JSON-lines file of probe windows. Appends are single `write(2)`s on an `O_APPEND` descriptor under an
/// exclusive `flock`, so concurrent postls processes never interleave lines; the file stays bounded: records
/// older than `maxAge` go, and past `maxBytes` the oldest half goes too (rewritten beside the file and renamed).
public struct ProbeRecordFile: ProbeRecordStore {
    public let path: String
    public var maxAge: TimeInterval
    public var maxBytes: Int
    public let clock: WallClock

    public init(path: String, maxAge: TimeInterval = 30 * 86400, maxBytes: Int = 1 << 20, clock: WallClock = SystemClock()) {
        self.path = path; self.maxAge = maxAge; self.maxBytes = maxBytes; self.clock = clock
    }

    /// Appends, creating the file (mode 0644, its folder 0755) when missing. Throws what failed.
    public func write(_ records: [ProbeWindow]) throws(FileWriteError) {
        guard !records.isEmpty else { return }
        try Self.makeFolders((path as NSString).deletingLastPathComponent)
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileWriteError(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        // The lock also orders appends against a pruning rewrite in another process.
        while flock(fd, LOCK_EX) != 0 { if errno != EINTR { throw FileWriteError(path: path, operation: "flock", errno: errno) } }
        defer { _ = flock(fd, LOCK_UN) }
        // The rename of a prune in another process may have replaced the file since our open: append to the new one.
        var opened = stat(), current = stat()
        var target = fd
        var reopened: Int32 = -1
        if fstat(fd, &opened) == 0, stat(path, &current) == 0, opened.st_ino != current.st_ino {
            reopened = open(path, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC)
            if reopened >= 0 { _ = flock(reopened, LOCK_EX); target = reopened }
        }
        defer { if reopened >= 0 { _ = flock(reopened, LOCK_UN); close(reopened) } }
        let bytes = ProbeWindow.jsonLines(records)
        try Self.writeAll(target, bytes, path: path)
        var after = stat()
        if fstat(target, &after) == 0, Int(after.st_size) > maxBytes || shouldPruneByAge(target) {
            try prune()
        }
    }

    public func append(_ records: [ProbeWindow]) {
        try? write(records)
    }

    /// mkdir -p with mode 0755, keeping the errno of the step that failed.
    static func makeFolders(_ folder: String) throws(FileWriteError) {
        guard !folder.isEmpty, folder != "/" else { return }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue { return }
        try makeFolders((folder as NSString).deletingLastPathComponent)
        if mkdir(folder, 0o755) != 0 && errno != EEXIST { throw FileWriteError(path: folder, operation: "mkdir", errno: errno) }
    }

    public func windows() -> [ProbeWindow] {
        guard let data = readCapped() else { return [] }
        let cutoff = clock.now().addingTimeInterval(-maxAge)
        return ProbeWindow.latest(Self.parse(data)).filter { $0.end >= cutoff }
    }

    /// Every well-formed record of the bytes; anything else (a torn or foreign line) is skipped.
    public static func parse(_ data: [UInt8]) -> [ProbeWindow] {
        let decoder = JSONDecoder()
        let lines = data.split(separator: 10).filter { !$0.isEmpty }
        // One decode of all lines as an array is many times faster than a decode per line; a torn or foreign line
        // makes it fail, and then each line is decoded on its own.
        var array: [UInt8] = [91]
        array.reserveCapacity(data.count + 2)
        for (i, line) in lines.enumerated() {
            if i > 0 { array.append(44) }
            array += line
        }
        array.append(93)
        if let all = try? decoder.decode([ProbeWindow].self, from: Data(array)) { return all }
        var out: [ProbeWindow] = []
        for line in lines {
            if let r = try? decoder.decode(ProbeWindow.self, from: Data(line)) { out.append(r) }
        }
        return out
    }

    /// The file's bytes, at most 4 × maxBytes from its end (a file someone else grew is still read quickly).
    private func readCapped() -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return Self.readAll(fd, limit: max(maxBytes, 1 << 16) * 4)
    }

    private static func readAll(_ fd: Int32, limit: Int) -> [UInt8] {
        var st = stat()
        if fstat(fd, &st) == 0, Int(st.st_size) > limit { lseek(fd, off_t(Int(st.st_size) - limit), SEEK_SET) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while out.count < limit {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return out
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileWriteError) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { raw in Glibc.write(fd, raw.baseAddress! + written, raw.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileWriteError(path: path, operation: "write", errno: errno)
            }
            if n == 0 { throw FileWriteError(path: path, operation: "write", errno: EIO) }
            written += n
        }
    }

    /// The first record is older than maxAge (checked on the first line only: records are appended in time order).
    private func shouldPruneByAge(_ fd: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0, let first = buffer[0..<n].split(separator: 10).first,
              let r = try? JSONDecoder().decode(ProbeWindow.self, from: Data(first)) else { return false }
        return r.end < clock.now().addingTimeInterval(-maxAge)
    }

    /// Rewrites the file without expired records and finished probes that had no failed connection (and without the
    /// oldest half while still over maxBytes):
    /// a new file beside it, fsynced, renamed over it. Called with the file locked.
    private func prune() throws(FileWriteError) {
        let reader = open(path, O_RDONLY | O_CLOEXEC)
        guard reader >= 0 else { throw FileWriteError(path: path, operation: "open", errno: errno) }
        let data = Self.readAll(reader, limit: Int.max)
        close(reader)
        let cutoff = clock.now().addingTimeInterval(-maxAge)
        // A finished probe none of whose connections failed explains no failed session: nothing to keep (a
        // monitoring check's default handshakes, every few minutes, would otherwise fill the file).
        var kept = ProbeWindow.latest(Self.parse(data)).filter { $0.end >= cutoff && !($0.complete && $0.failures == 0) }
        var bytes = ProbeWindow.jsonLines(kept)
        while bytes.count > maxBytes / 2 && kept.count > 1 {
            kept.removeFirst(kept.count / 2)
            bytes = ProbeWindow.jsonLines(kept)
        }
        let temporary = path + ".postls-tmp-\(getpid())"
        unlink(temporary)
        try createExclusiveFile(temporary, bytes: bytes, mode: 0o644)
        guard rename(temporary, path) == 0 else {
            let e = errno
            unlink(temporary)
            throw FileWriteError(path: path, operation: "rename", errno: e)
        }
    }
}

/// postls's probe record where the system keeps it: written to the first place that takes it, read from all.
/// Appended records are also kept in memory, so the process's own probes are known even when no file is writable.
public final class SystemProbeRecords: ProbeRecordStore, Sendable {
    /// The files, most preferred first.
    public let files: [ProbeRecordFile]
    private let memory = MemoryProbeRecordStore()
    /// The file that took the last append, and the files that refused one.
    private let choice = Mutex<(writable: ProbeRecordFile?, failed: Set<String>)>((nil, []))

    public init(files: [ProbeRecordFile]) { self.files = files }

    /// The environment variable that names the record file (tests, parallel runs, a read-only system).
    public static let environmentVariable = "POSTLS_PROBE_RECORD"

    /// Where the record lives, Postfix-like: `$POSTLS_PROBE_RECORD` when set (`off` keeps it in memory only);
    /// else `/var/lib/postls/probes.jsonl` (root's, also read by other users), then
    /// `$XDG_STATE_HOME/postls/probes.jsonl` or `~/.local/state/postls/probes.jsonl`.
    public static func paths(environment: [String: String] = ProcessInfo.processInfo.environment,
                             isRoot: Bool = geteuid() == 0) -> [String] {
        if let given = environment[environmentVariable], !given.isEmpty {
            return given == "off" ? [] : [given]
        }
        var out = ["/var/lib/postls/probes.jsonl"]
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            out.append(state + "/postls/probes.jsonl")
        } else if let home = environment["HOME"], home.hasPrefix("/"), home != "/" {
            out.append(home + "/.local/state/postls/probes.jsonl")
        }
        // Root (sudo may keep an admin's HOME) never leaves a root-owned file in someone else's home.
        if isRoot, out.count > 1, let base = environment["XDG_STATE_HOME"] ?? environment["HOME"] {
            var st = stat()
            if stat(base, &st) != 0 || st.st_uid != 0 { out.removeLast() }
        }
        return out
    }

    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment,
                                clock: WallClock = SystemClock()) -> SystemProbeRecords {
        SystemProbeRecords(files: paths(environment: environment).map { ProbeRecordFile(path: $0, clock: clock) })
    }

    public func append(_ records: [ProbeWindow]) {
        memory.append(records)
        choice.withLock { choice in
            if let writable = choice.writable, (try? writable.write(records)) != nil { return }
            for file in files where !choice.failed.contains(file.path) {
                do {
                    try file.write(records)
                    choice.writable = file
                    return
                } catch {
                    choice.failed.insert(file.path)
                }
            }
        }
    }

    public func windows() -> [ProbeWindow] {
        var all: [ProbeWindow] = []
        for file in files { all += file.windows() }
        all += memory.windows()
        return ProbeWindow.latest(all).sorted { $0.start < $1.start }
    }
}
