import Diagnosis
import Foundation

/// Writes the support report from the wizard until the full report engine lands: the diagnosis text,
/// with key material impossible by construction (no file contents are included).
enum ReportWriter {
    static func markdown(_ gathered: Gathered, redact: Bool) -> String {
        SupportReport.markdown(gathered: gathered, redact: redact)
    }

    /// Creates a new file (never overwrites, never follows a link), mode 0600: reports describe a server.
    static func writeNew(path: String, contents: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { if errno == EINTR { continue }; throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            offset += n
        }
    }
}
