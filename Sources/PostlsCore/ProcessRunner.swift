import Foundation

/// The result of running an external program.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status; self.stdout = stdout; self.stderr = stderr
    }
    public var succeeded: Bool { status == 0 }
}

public enum ProcessRunnerError: Error, CustomStringConvertible, Sendable {
    case notFound(String)
    case launchFailed(String, String)
    case timedOut(String, seconds: Double)

    public var description: String {
        switch self {
        case .notFound(let p): return "\(p): command not found in PATH"
        case .launchFailed(let p, let why): return "\(p): could not be started: \(why)"
        case .timedOut(let p, let s): return "\(p): did not finish within \(s) s and was stopped"
        }
    }
}

/// Runs external commands. Always an argument vector, never a shell.
public protocol ProcessRunner: Sendable {
    func run(_ executable: String, _ arguments: [String], stdin: Data?, environment: [String: String]?, timeout: Double?) throws -> ProcessOutput
}

extension ProcessRunner {
    public func run(_ executable: String, _ arguments: [String], timeout: Double? = 60) throws -> ProcessOutput {
        try run(executable, arguments, stdin: nil, environment: nil, timeout: timeout)
    }
}

/// Finds a program by name in PATH (plus the sbin directories where Postfix lives), or accepts an absolute path.
public func findExecutable(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
    if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
    var dirs = (path ?? "").split(separator: ":").map(String.init)
    for extra in ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"] where !dirs.contains(extra) {
        dirs.append(extra)
    }
    for dir in dirs where !dir.isEmpty {
        let candidate = dir + "/" + name
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// posix_spawn's error number.
public struct SpawnError: Error, Sendable { public let errno: Int32 }

/// Starts `path` with an argument vector (never a shell) on the given descriptors for stdin, stdout and
/// stderr, with the signal mask cleared and SIGPIPE/SIGINT/SIGTERM/SIGHUP/SIGCHLD at their defaults (whatever
/// the caller blocked or ignored). Returns the pid, or the posix_spawn error number.
public func spawnProcess(_ path: String, arguments: [String], environment: [String: String],
                         stdin: Int32, stdout: Int32, stderr: Int32) -> Result<pid_t, SpawnError> {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdin, 0)
    posix_spawn_file_actions_adddup2(&actions, stdout, 1)
    posix_spawn_file_actions_adddup2(&actions, stderr, 2)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for sig in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD] { sigaddset(&defaults, sig) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let env = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { env.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attributes, argv, env)
    guard rc == 0 else { return .failure(SpawnError(errno: rc)) }
    return .success(pid)
}

/// The real runner: posix_spawn with an argument vector (never a shell) and waitpid.
///
/// Output goes to unlinked temporary files rather than pipes, and every descriptor we open is close-on-exec:
/// a daemon the command starts (`dovecot`, `postfix start`) may live on with whatever it inherited, and a
/// pipe (or Foundation's own bookkeeping descriptors) would then keep us waiting forever.
public struct SystemProcessRunner: ProcessRunner {
    public init() {}

    public func run(_ executable: String, _ arguments: [String], stdin: Data?, environment: [String: String]?, timeout: Double?) throws -> ProcessOutput {
        guard let path = findExecutable(executable) else { throw ProcessRunnerError.notFound(executable) }
        let outFile = try CaptureFile(), errFile = try CaptureFile()
        var inFDs: [Int32] = [-1, -1]
        if stdin != nil {
            guard pipe(&inFDs) == 0 else { throw ProcessRunnerError.launchFailed(executable, String(cString: strerror(errno))) }
            for fd in inFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        }
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { if devNull >= 0 { close(devNull) } }

        let spawned = spawnProcess(path, arguments: arguments, environment: environment ?? ProcessInfo.processInfo.environment,
                                   stdin: stdin != nil ? inFDs[0] : devNull, stdout: outFile.fd, stderr: errFile.fd)
        if stdin != nil { close(inFDs[0]) }
        guard case .success(let pid) = spawned else {
            if stdin != nil { close(inFDs[1]) }
            if case .failure(let e) = spawned { throw ProcessRunnerError.launchFailed(executable, String(cString: strerror(e.errno))) }
            throw ProcessRunnerError.launchFailed(executable, "posix_spawn failed")
        }
        if let stdin {
            let writeFD = inFDs[1]
            // A separate thread: a child that never reads its input must not block us.
            Thread.detachNewThread {
                // A child that exits without reading (s_client after a failed handshake) must not kill us
                // with SIGPIPE: block it on this thread; the write then fails with EPIPE and the pending,
                // thread-directed signal dies with the thread.
                var pipeSignal = sigset_t()
                sigemptyset(&pipeSignal)
                sigaddset(&pipeSignal, SIGPIPE)
                pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
                stdin.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let n = write(writeFD, raw.baseAddress! + offset, raw.count - offset)
                        if n <= 0 { if errno == EINTR { continue }; break }
                        offset += n
                    }
                }
                close(writeFD)
            }
        }
        // A blocking waitpid on its own thread: the caller wakes the moment the child exits (polling with
        // sleeps added up to 20 ms to every command), and can still give up at the deadline.
        let reaper = ChildReaper(pid: pid)
        if let timeout {
            if reaper.exited.wait(timeout: .now() + timeout) == .timedOut {
                kill(pid, SIGKILL)
                reaper.exited.wait()
                throw ProcessRunnerError.timedOut(executable, seconds: timeout)
            }
        } else {
            reaper.exited.wait()
        }
        let status = reaper.status
        // WIFEXITED/WEXITSTATUS are macros; decode the status word by hand.
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ProcessOutput(status: exitStatus, stdout: outFile.contents(), stderr: errFile.contents())
    }
}

/// Waits for one child on a thread of its own and signals `exited` when it has been reaped.
private final class ChildReaper: @unchecked Sendable {
    let exited = DispatchSemaphore(value: 0)
    /// The raw wait status; written before `exited` is signalled, read after.
    private(set) var status: Int32 = 0

    init(pid: pid_t) {
        Thread.detachNewThread { [self] in
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            status = raw
            exited.signal()
        }
    }
}

/// An anonymous temporary file (created 0600 and unlinked at once) that captures a child's output.
private final class CaptureFile {
    let fd: Int32

    init() throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/postls-out-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw ProcessRunnerError.launchFailed("capture", String(cString: strerror(errno))) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        unlink(template)
        self.fd = fd
    }

    deinit { close(fd) }

    func contents() -> String { readWholeFile(fd) }
}

/// Everything in the file behind `fd`, from offset 0 (pread: the descriptor's offset is left alone), as text.
public func readWholeFile(_ fd: Int32) -> String {
    var data = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 65_536)
    var offset: off_t = 0
    while true {
        let n = pread(fd, &buffer, buffer.count, offset)
        if n <= 0 { break }
        data.append(contentsOf: buffer[0..<n])
        offset += off_t(n)
    }
    return String(decoding: data, as: UTF8.self)
}
