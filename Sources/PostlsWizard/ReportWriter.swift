import Diagnosis
import Foundation
import PostlsCore

/// Writes the support report from the wizard until the full report engine lands: the diagnosis text,
/// with key material impossible by construction (no file contents are included).
enum ReportWriter {
    static func markdown(_ gathered: Gathered, redact: Bool, dovecotConfig: String?) -> String {
        SupportReport.markdown(gathered: gathered, redact: redact, dovecotConfig: dovecotConfig)
    }

    /// Creates a new file (never overwrites, never follows a link), mode 0600: reports describe a server.
    static func writeNew(path: String, contents: String) throws {
        try createExclusiveFile(path, bytes: Array(contents.utf8), mode: 0o600)
    }
}
