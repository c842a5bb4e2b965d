import Foundation
import PostlsCore

/// What a child process did and what it cost.
public struct MeasuredRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// Wall time from spawn to exit, seconds.
    public var seconds: Double
    /// The child's own peak resident set size, bytes.
    public var peakRSSBytes: Int
    /// How the peak was measured: "time" (exact, /usr/bin/time's wait4) or "VmHWM" (sampled while it ran).
    public var peakRSSSource: String
    public var peakRSSMegabytes: Double { Double(peakRSSBytes) / 1_048_576 }
}

/// Runs a program (argument vector, no shell) and measures that one child's peak RSS.
///
/// Not with our own wait4(2): Linux keeps a process's peak RSS across exec, and a child spawned from the
/// test process (vfork/CLONE_VM) starts out "having used" the test process's memory, so its ru_maxrss is
/// at least ours. A small intermediate parent avoids that: /usr/bin/time forks the program from its own
/// small address space and reports the child's ru_maxrss. Without /usr/bin/time (Debian package `time`)
/// the peak is sampled from /proc/PID/status VmHWM (per address space, so clean) while the child runs.
public enum MeasuredProcess {
    static let timeProgram = "/usr/bin/time"

    public enum Failure: Error, CustomStringConvertible {
        case spawn(String, Int32)
        case timedOut(String, Double)
        public var description: String {
            switch self {
            case .spawn(let path, let e): return "\(path): could not be started: \(String(cString: strerror(e)))"
            case .timedOut(let path, let s): return "\(path): still running after \(s) s; killed"
            }
        }
    }

    public static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil, timeout: Double = 120) throws -> MeasuredRun {
        let out = try tempFile(), err = try tempFile()
        defer { close(out); close(err) }
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { if devNull >= 0 { close(devNull) } }
        let useTime = FileManager.default.isExecutableFile(atPath: timeProgram)
        // %M: peak RSS in KiB, written to a file of its own so the program's stderr stays untouched.
        let figuresFile = (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/postls-rss-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(figuresFile) }
        let command = useTime ? [timeProgram, "-f", "%M", "-o", figuresFile, path] + arguments : [path] + arguments
        var envDict = environment ?? ProcessInfo.processInfo.environment
        envDict["NO_COLOR"] = envDict["NO_COLOR"] ?? "1"

        let start = Deadline.now()
        let pid: pid_t
        switch spawnProcess(command[0], arguments: Array(command.dropFirst()), environment: envDict, stdin: devNull, stdout: out, stderr: err) {
        case .success(let p): pid = p
        case .failure(let e): throw Failure.spawn(path, e.errno)
        }
        let deadline = Deadline.after(seconds: timeout)
        var status: Int32 = 0
        var usage = rusage()
        var delay: UInt32 = 1_000
        var sampledPeakKiB = 0
        while true {
            if !useTime { sampledPeakKiB = max(sampledPeakKiB, highWaterMarkKiB(pid)) }
            let r = wait4(pid, &status, WNOHANG, &usage)
            if r == pid { break }
            if r < 0 && errno != EINTR { break }
            if deadline.hasPassed {
                kill(pid, SIGKILL)
                _ = wait4(pid, &status, 0, &usage)
                throw Failure.timedOut(path, timeout)
            }
            usleep(delay)
            delay = useTime ? min(delay * 2, 10_000) : 1_000
        }
        let seconds = Double(Deadline.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let peakKiB = useTime ? Int(((try? String(contentsOfFile: figuresFile, encoding: .utf8)) ?? "").split(whereSeparator: \.isNewline).last.flatMap { Int($0) } ?? -1) : sampledPeakKiB
        return MeasuredRun(status: exitStatus, stdout: readWholeFile(out), stderr: readWholeFile(err),
                           seconds: seconds, peakRSSBytes: peakKiB * 1024, peakRSSSource: useTime ? "time" : "VmHWM")
    }

    /// VmHWM of a running process, KiB; 0 when it cannot be read (already exited).
    static func highWaterMarkKiB(_ pid: pid_t) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    private static func tempFile() throws -> Int32 {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/postls-measured-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw Failure.spawn("mkstemp", errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        unlink(template)
        return fd
    }

}
