import Foundation
import PostlsCore
import TLSKit

/// Checks a configuration directory the way Postfix would load it.
public protocol ConfigValidator: Sendable {
    /// Throws `ConfigError.validationFailed` (with `restored: false`) when Postfix rejects the directory.
    func validate(directory: String) throws
}

/// Validates with the real tools: `postconf -c DIR -nx` (parses main.cf, expands every value),
/// `postconf -c DIR -M` (parses master.cf) and `postfix -c DIR check` when postfix is installed.
public struct PostfixValidator: ConfigValidator {
    let runner: ProcessRunner
    let runPostfixCheck: Bool
    public init(runner: ProcessRunner, runPostfixCheck: Bool = true) { self.runner = runner; self.runPostfixCheck = runPostfixCheck }

    public func validate(directory: String) throws {
        var commands: [(String, [String])] = [("postconf", ["-c", directory, "-nx"]), ("postconf", ["-c", directory, "-M"])]
        if runPostfixCheck && findExecutable("postfix") != nil { commands.append(("postfix", ["-c", directory, "check"])) }
        for (program, arguments) in commands {
            let output: ProcessOutput
            do { output = try runner.run(program, arguments, timeout: 60) } catch {
                throw ConfigError.validationFailed(message: "\(program) could not run: \(error)", restored: false)
            }
            if !output.succeeded {
                let fatal = output.stderr.split(separator: "\n").filter { $0.contains("fatal") || $0.contains("error") }
                throw ConfigError.validationFailed(message: "\(program) \(arguments.joined(separator: " ")): "
                    + (fatal.isEmpty ? output.stderr : fatal.joined(separator: "; ")), restored: false)
            }
        }
    }
}

/// One applied change set, as recorded in the journal.
public struct JournalEntry: Sendable, Codable, Equatable {
    public struct File: Sendable, Codable, Equatable {
        /// `main.cf` or `master.cf`.
        public var file: String
        public var path: String
        /// The copy of the file as it was before the edit.
        public var backup: String
        public var sizeBefore: Int
        public var hashBefore: String
        public var sizeAfter: Int
        public var hashAfter: String
    }
    /// A file the fix created beside the edits (a built full chain, a new key, a CSR, a certificate). Only files
    /// that did not exist before are recorded, so a rollback never removes anything that was there before the fix.
    public struct CreatedFile: Sendable, Codable, Equatable {
        public var path: String
        public var size: Int
        /// SHA-256 of the bytes postls wrote: the file is removed on rollback only while it still holds them.
        public var sha256: String
        /// What the rollback did with it: `removed`, or why it was kept.
        public var rollback: String?

        /// The record of `bytes` just written to `path` (hashed here; the bytes are not kept).
        public init(path: String, bytes: [UInt8]) {
            self.path = path; size = bytes.count; sha256 = Digest.sha256.hexHash(bytes); rollback = nil
        }
    }
    public var id: String
    public var time: String
    public var directory: String
    public var edits: [ConfigEdit]
    public var files: [File]
    /// Files created with the edits; nil in journals written before postls recorded them.
    public var created: [CreatedFile]?
    /// Set when the entry was rolled back.
    public var rolledBack: String?

    public init(id: String, time: String, directory: String, edits: [ConfigEdit], files: [File], created: [CreatedFile]? = nil, rolledBack: String? = nil) {
        self.id = id; self.time = time; self.directory = directory; self.edits = edits; self.files = files
        self.created = created; self.rolledBack = rolledBack
    }

    /// One line per created file about what the rollback did with it (paths only, never contents).
    public var createdFileMessages: [String] {
        (created ?? []).compactMap { file in
            guard let outcome = file.rollback else { return nil }
            return outcome == "removed" ? "removed \(file.path) (created by this fix)" : "kept \(file.path): \(outcome)"
        }
    }
}

/// What `apply` did.
public struct ApplyResult: Sendable {
    public var entry: JournalEntry
    /// Unified diffs of every changed file.
    public var diff: String
}

/// FNV-1a 64: detects whether a file still holds the bytes postls wrote (not a security hash).
func contentHash(_ bytes: [UInt8]) -> String {
    var hash: UInt64 = 0xCBF29CE484222325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100000001B3 }
    return String(hash, radix: 16)
}

/// Writes edits to main.cf/master.cf safely: refuses when a file changed since it was read, keeps a
/// timestamped backup beside it, replaces it atomically with mode and owner kept, validates with
/// Postfix and restores the backup when Postfix rejects the result, and journals what it did.
public struct ConfigApplier: Sendable {
    public var fileSystem: ConfigFileSystem
    public var validator: ConfigValidator?
    public var clock: WallClock
    /// Where the journal lives; defaults to `DIR/.postls`.
    public var stateDirectory: String?

    public init(fileSystem: ConfigFileSystem = LocalFileSystem(), validator: ConfigValidator?, clock: WallClock = SystemClock(),
                stateDirectory: String? = nil) {
        self.fileSystem = fileSystem; self.validator = validator; self.clock = clock; self.stateDirectory = stateDirectory
    }

    func journalPath(_ directory: String) -> String { (stateDirectory ?? directory + "/.postls") + "/journal.json" }

    /// The new documents and their diffs, without touching the disk.
    public static func preview(_ edits: [ConfigEdit], on configuration: PostfixConfiguration) throws -> [EditedFile] {
        var main = configuration.main, master = configuration.master
        for edit in edits {
            if edit.file == "main.cf" { main = try main.applying(edit) } else { master = try master.applying(edit) }
        }
        var files: [EditedFile] = []
        if main.bytes != configuration.main.bytes { files.append(EditedFile(file: "main.cf", original: configuration.main.bytes, edited: main.bytes)) }
        if master.bytes != configuration.master.bytes { files.append(EditedFile(file: "master.cf", original: configuration.master.bytes, edited: master.bytes)) }
        return files
    }

    /// Applies `edits` to the files `configuration` was read from. `created` lists the files the caller made for
    /// these edits (a chain, a key): journaled with them, so a rollback removes them too.
    public func apply(_ edits: [ConfigEdit], to configuration: PostfixConfiguration, created: [JournalEntry.CreatedFile] = []) throws -> ApplyResult {
        let directory = configuration.directory
        let changes = try ConfigApplier.preview(edits, on: configuration)
        guard !changes.isEmpty else { throw ConfigError.editNotApplicable("the edits change nothing") }
        // Refuse before writing anything if any file differs from what was read (or is gone).
        for change in changes {
            let path = directory + "/" + change.file
            let current: [UInt8]
            do { current = try fileSystem.read(path) } catch ConfigError.unreadable(_, let reason) {
                throw ConfigError.writeFailed(path: path, reason: "it can no longer be read (\(reason)); nothing was written")
            }
            guard current == change.original else { throw ConfigError.changedSinceRead(path: path) }
        }
        for change in changes { removeStaleTemporaries(of: directory + "/" + change.file) }
        let stamp = timestamp()
        var written: [(EditedFile, JournalEntry.File)] = []
        let entry: JournalEntry
        do {
            for change in changes {
                let record = try replace(change, in: directory, stamp: stamp, replaced: { written.append((change, $0)) })
                written.append((change, record))
            }
            try validator?.validate(directory: directory)
            entry = JournalEntry(id: stamp, time: isoTime(), directory: directory, edits: edits, files: written.map(\.1),
                                 created: created.isEmpty ? nil : created, rolledBack: nil)
            // Without its journal entry a change could not be rolled back: a journal that cannot be written undoes the change.
            do { try appendToJournal(entry, directory: directory) } catch {
                throw ConfigError.writeFailed(path: journalPath(directory), reason: "the journal of applied changes could not be written (\(ConfigApplier.reason(error)))")
            }
        } catch {
            // Put back every file already replaced, byte for byte; a backup is removed once its file holds it again.
            var restored = true
            var kept: [String] = []
            for (change, record) in written.reversed() {
                do { try atomicWrite(record.path, bytes: change.original) } catch { restored = false }
                if (try? fileSystem.read(record.path)) == change.original {
                    try? fileSystem.remove(record.backup)
                } else {
                    restored = false
                    kept.append(record.backup)
                }
            }
            switch error {
            case ConfigError.validationFailed(let message, _):
                throw ConfigError.validationFailed(message: message, restored: restored)
            case ConfigError.writeFailed(let path, let reason) where !written.isEmpty:
                let files = written.map { ($0.1.path as NSString).lastPathComponent }.joined(separator: " and ")
                throw ConfigError.writeFailed(path: path, reason: reason + (restored
                    ? "; \(files) restored byte for byte, nothing was changed"
                    : "; RESTORING \(files) FAILED: the original is in \(kept.joined(separator: ", "))"))
            default:
                throw error
            }
        }
        return ApplyResult(entry: entry, diff: changes.map(\.diff).joined())
    }

    /// The journal of applied edits, oldest first.
    public func journal(directory: String) throws -> [JournalEntry] {
        let path = journalPath(directory)
        guard fileSystem.exists(path) else { return [] }
        return try JSONDecoder().decode([JournalEntry].self, from: Data(try fileSystem.read(path)))
    }

    /// Restores the files of journal entry `id` (default: the newest not rolled back) from their backups.
    /// Refuses when a file changed after postls wrote it. Then removes the files the fix created, each only while
    /// it holds what postls wrote and the restored main.cf/master.cf no longer name it; the entry's `created`
    /// says what became of each.
    @discardableResult
    /// `otherConfigFiles` are other servers' configuration files (Dovecot's): a created file they name stays too.
    public func rollback(id: String? = nil, directory: String, otherConfigFiles: [String] = []) throws -> JournalEntry {
        var entries = try journal(directory: directory)
        let match: Int? = id.map { wanted in entries.lastIndex { $0.id == wanted } } ?? entries.lastIndex { $0.rolledBack == nil }
        guard let found = match else { throw ConfigError.rollbackFailed("no applied edit \(id ?? "") in the journal") }
        var entry = entries[found]
        guard entry.rolledBack == nil else { throw ConfigError.rollbackFailed("\(entry.id) was already rolled back") }
        for file in entry.files {
            let current = try fileSystem.read(file.path)
            guard current.count == file.sizeAfter && contentHash(current) == file.hashAfter else { throw ConfigError.changedSinceRead(path: file.path) }
            let backup = try fileSystem.read(file.backup)
            guard contentHash(backup) == file.hashBefore else { throw ConfigError.rollbackFailed("backup \(file.backup) does not hold the original content") }
        }
        for file in entry.files { try atomicWrite(file.path, bytes: try fileSystem.read(file.backup)) }
        if var created = entry.created {
            for index in created.indices.reversed() { created[index].rollback = removeCreated(created[index], unlessNamedIn: entry.directory, orIn: otherConfigFiles) }
            entry.created = created
        }
        entry.rolledBack = isoTime()
        entries[found] = entry
        try writeJournal(entries, directory: directory)
        return entry
    }

    /// Removes a file a fix created if it is untouched (and, given a directory, its main.cf/master.cf do not name
    /// it); otherwise says why it stays. Never follows a link. Returns `removed` or the reason.
    public func removeCreated(_ file: JournalEntry.CreatedFile, unlessNamedIn directory: String?, orIn otherFiles: [String] = []) -> String {
        guard fileSystem.exists(file.path) || fileSystem.isSymbolicLink(file.path) else { return "already gone" }
        if fileSystem.isSymbolicLink(file.path) { return "it is now a symbolic link, not the file postls created" }
        guard let bytes = try? fileSystem.read(file.path) else { return "it can no longer be read" }
        guard bytes.count == file.size, Digest.sha256.hexHash(bytes) == file.sha256 else {
            return "changed since postls created it; remove it yourself if it is not needed"
        }
        // A configuration that still names it (another change, by hand or by a later fix) still needs it.
        let configFiles = (directory.map { [$0 + "/main.cf", $0 + "/master.cf"] } ?? []) + otherFiles
        for path in configFiles {
            guard let text = try? fileSystem.read(path) else { continue }
            if String(decoding: text, as: UTF8.self).contains(file.path) {
                return "\(path.hasPrefix((directory ?? "\u{0}") + "/") ? (path as NSString).lastPathComponent : path) still names it"
            }
        }
        do { try fileSystem.remove(file.path) } catch { return "it could not be removed (\(ConfigApplier.reason(error)))" }
        try? fileSystem.syncDirectory((file.path as NSString).deletingLastPathComponent)
        return "removed"
    }

    // MARK: - File operations

    private func timestamp() -> String { TimeFormat.basic(clock.now()) }

    private func isoTime() -> String { TimeFormat.iso8601(clock.now()) }

    /// Backup, then atomic replace keeping mode and owner. Errors name the configuration file and say what
    /// became of it. When the replace fails but the file holds the new bytes anyway (the directory's fsync
    /// failed after the rename), `replaced` gets the record so the caller restores it.
    private func replace(_ change: EditedFile, in directory: String, stamp: String,
                         replaced: (JournalEntry.File) -> Void) throws -> JournalEntry.File {
        let path = directory + "/" + change.file
        let name = change.file
        if fileSystem.isSymbolicLink(path) {
            throw ConfigError.writeFailed(path: path, reason: "it is a symbolic link; edit the file it points to")
        }
        var backup = "\(path).postls-\(stamp)"
        var attempt = 1
        while true {
            do { try fileSystem.createExclusive(backup, bytes: change.original, mode: 0o600); break } catch {
                attempt += 1
                guard attempt < 100, fileSystem.exists(backup) else {
                    throw ConfigError.writeFailed(path: path, reason: "its backup could not be made (\(ConfigApplier.reason(error))); \(name) is unchanged")
                }
                backup = "\(path).postls-\(stamp)-\(attempt)"
            }
        }
        let record = JournalEntry.File(file: change.file, path: path, backup: backup, sizeBefore: change.original.count,
                                       hashBefore: contentHash(change.original), sizeAfter: change.edited.count, hashAfter: contentHash(change.edited))
        do {
            try atomicWrite(path, bytes: change.edited, expect: change.original)
        } catch {
            if case ConfigError.changedSinceRead = error { try? fileSystem.remove(backup); throw error }
            if (try? fileSystem.read(path)) == change.original {
                // Nothing was replaced: the backup would only be clutter.
                try? fileSystem.remove(backup)
                throw ConfigError.writeFailed(path: path, reason: "the new version could not be written (\(ConfigApplier.reason(error))); \(name) is unchanged")
            }
            replaced(record)
            throw ConfigError.writeFailed(path: path, reason: ConfigApplier.reason(error))
        }
        return record
    }

    /// The reason part of a write error, with the temp or backup file it happened to.
    static func reason(_ error: Error) -> String {
        if case ConfigError.writeFailed(let path, let reason) = error { return "\((path as NSString).lastPathComponent): \(reason)" }
        if case ConfigError.unreadable(let path, let reason) = error { return "\((path as NSString).lastPathComponent): \(reason)" }
        return "\(error)"
    }

    /// Removes the temp files a postls killed between writing and renaming left beside `path`
    /// (`.NAME.postls-tmp-PID-N`), once that PID no longer runs.
    func removeStaleTemporaries(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let prefix = ".\((path as NSString).lastPathComponent).postls-tmp-"
        for name in fileSystem.list(directory) where name.hasPrefix(prefix) {
            guard let pidText = name.dropFirst(prefix.count).split(separator: "-").first, let pid = pid_t(pidText),
                  pid > 0, pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? fileSystem.remove(directory + "/" + name)
        }
    }

    /// Temp file in the same directory (O_EXCL, no symlinks), fsync, chown/chmod like the target, rename, fsync the directory.
    func atomicWrite(_ path: String, bytes: [UInt8], expect: [UInt8]? = nil) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let attributes = try fileSystem.attributes(path)
        var temporary = ""
        for attempt in 0..<100 {
            temporary = "\(directory)/.\((path as NSString).lastPathComponent).postls-tmp-\(getpid())-\(attempt)"
            do { try fileSystem.createExclusive(temporary, bytes: bytes, mode: attributes.mode); break } catch {
                if attempt == 99 || !fileSystem.exists(temporary) { throw error }
            }
        }
        do {
            try fileSystem.changeOwner(temporary, uid: attributes.uid, gid: attributes.gid)
            try fileSystem.changeMode(temporary, mode: attributes.mode)
            // Last check right before the rename: someone may have written meanwhile.
            if let expect, (try? fileSystem.read(path)) != expect { throw ConfigError.changedSinceRead(path: path) }
            try fileSystem.rename(temporary, to: path)
        } catch {
            try? fileSystem.remove(temporary)
            throw error
        }
        try fileSystem.syncDirectory(directory)
    }

    private func appendToJournal(_ entry: JournalEntry, directory: String) throws {
        var entries = (try? journal(directory: directory)) ?? []
        entries.append(entry)
        try writeJournal(entries, directory: directory)
    }

    private func writeJournal(_ entries: [JournalEntry], directory: String) throws {
        let path = journalPath(directory)
        let folder = (path as NSString).deletingLastPathComponent
        try fileSystem.createDirectory(folder, mode: 0o700)
        let bytes = Array(try ContractJSON.encode(entries))
        if fileSystem.exists(path) {
            try atomicWrite(path, bytes: bytes)
        } else {
            try fileSystem.createExclusive(path, bytes: bytes, mode: 0o600)
            try fileSystem.syncDirectory(folder)
        }
    }
}
