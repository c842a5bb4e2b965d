/// Errors of the config engine, worded for a mail administrator.
public enum ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A configuration file could not be read (exit code 66).
    case unreadable(path: String, reason: String)
    /// A file is too large to be a plausible Postfix configuration.
    case tooLarge(path: String, bytes: Int, limit: Int)
    /// `postconf` ran but failed.
    case postconfFailed(arguments: [String], message: String)
    /// The file changed on disk since postls read it; nothing was written.
    case changedSinceRead(path: String)
    /// An edit could not be made (parameter or service not found, bad value).
    case editNotApplicable(String)
    /// Writing failed; the original file is unchanged (or restored from the backup).
    case writeFailed(path: String, reason: String)
    /// Postfix rejected the edited configuration; the backup was restored.
    case validationFailed(message: String, restored: Bool)
    /// A rollback could not find or restore what the journal recorded.
    case rollbackFailed(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .tooLarge(let path, let bytes, let limit):
            return "\(path) is \(bytes) bytes, more than the \(limit) bytes postls reads; it is not a plausible Postfix configuration file"
        case .postconfFailed(let arguments, let message):
            return "postconf \(arguments.joined(separator: " ")) failed: \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .changedSinceRead(let path): return "\(path) changed since postls read it; nothing was written (read it again and retry)"
        case .editNotApplicable(let why): return why
        case .writeFailed(let path, let reason): return "could not write \(path): \(reason)"
        case .validationFailed(let message, let restored):
            return "Postfix rejects the edited configuration (\(message.trimmingCharacters(in: .whitespacesAndNewlines)))"
                + (restored ? "; the original file was restored byte for byte" : "; RESTORING THE BACKUP FAILED")
        case .rollbackFailed(let why): return "rollback failed: \(why)"
        }
    }
}

import Foundation
