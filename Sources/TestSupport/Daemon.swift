import Foundation
import PostlsCore

/// Starts a long-running server program found on PATH (a DNS server, node_exporter) with stdin closed and its
/// stdout and stderr in `log`, which a failing test prints. The caller keeps the process to stop it.
func startDaemon(_ program: String, _ arguments: [String], log: String) throws -> Process {
    guard let path = findExecutable(program) else { throw HarnessError.missing(program) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return process
}
