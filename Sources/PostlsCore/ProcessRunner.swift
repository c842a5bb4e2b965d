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

/// The real runner, on Foundation's Process (which execs directly, without a shell).
public struct SystemProcessRunner: ProcessRunner {
    public init() {}

    public func run(_ executable: String, _ arguments: [String], stdin: Data?, environment: [String: String]?, timeout: Double?) throws -> ProcessOutput {
        guard let path = findExecutable(executable) else { throw ProcessRunnerError.notFound(executable) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        let inPipe = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
        do { try process.run() } catch { throw ProcessRunnerError.launchFailed(executable, "\(error)") }
        if let stdin {
            let handle = inPipe.fileHandleForWriting
            DispatchQueue.global().async {
                // A child that exits without reading its input (s_client after a failed handshake) would make this
                // write raise SIGPIPE and kill the whole process: block it on this thread, take the EPIPE, and
                // discard the pending signal before restoring the mask.
                var pipeSignal = sigset_t(), previous = sigset_t()
                sigemptyset(&pipeSignal)
                sigaddset(&pipeSignal, SIGPIPE)
                pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
                try? handle.write(contentsOf: stdin)
                try? handle.close()
                var zero = timespec(tv_sec: 0, tv_nsec: 0)
                while sigtimedwait(&pipeSignal, nil, &zero) == SIGPIPE {}
                pthread_sigmask(SIG_SETMASK, &previous, nil)
            }
        }
        // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
        let outBox = DataBox(), errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outBox.data = outPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errBox.data = errPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if let timeout {
            if group.wait(timeout: .now() + timeout) == .timedOut {
                process.terminate()
                kill(process.processIdentifier, SIGKILL)
                _ = group.wait(timeout: .now() + 2)
                process.waitUntilExit()
                throw ProcessRunnerError.timedOut(executable, seconds: timeout)
            }
        } else {
            group.wait()
        }
        process.waitUntilExit()
        return ProcessOutput(
            status: process.terminationStatus,
            stdout: String(decoding: outBox.data, as: UTF8.self),
            stderr: String(decoding: errBox.data, as: UTF8.self))
    }
}

private final class DataBox: @unchecked Sendable { var data = Data() }
