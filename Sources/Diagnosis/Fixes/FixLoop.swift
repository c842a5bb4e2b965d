import Foundation
import PostfixConfig
import PostlsCore
import TLSProbe

/// What applying a fix did.
public struct FixOutcome: Sendable {
    public enum State: String, Sendable { case applied, rolledBackAutomatically = "rolled_back_automatically", validationFailed = "validation_failed" }
    public var state: State
    public var journalID: String?
    public var diff: String
    public var reloaded: Bool
    public var before: [ListenerProbeResult]
    public var after: [ListenerProbeResult]
    public var messages: [String]

    /// One line per listener: how it was and how it is.
    public var comparison: [String] {
        after.map { a in
            let b = before.first { $0.address == a.address && $0.port == a.port }
            return "\(a.address):\(a.port)  before: \(b.map(FixLoop.describe) ?? "not probed")  after: \(FixLoop.describe(a))"
        }
    }
}

/// Why a fix was not applied: the sentence the operator reads (callers only throw and print it).
public struct FixError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public static func notApplicable(_ why: String) -> FixError { FixError(description: why) }
    public static func fileExists(_ path: String) -> FixError { FixError(description: "\(path) already exists with other content; not overwritten") }
    public static func io(_ why: String) -> FixError { FixError(description: why) }
}

/// The fix loop: write safely (config engine), validate, reload, probe again, compare, roll back if worse.
public struct FixLoop: Sendable {
    public var runner: ProcessRunner
    public var applier: ConfigApplier

    public init(runner: ProcessRunner = SystemProcessRunner(), applier: ConfigApplier? = nil) {
        self.runner = runner
        self.applier = applier ?? ConfigApplier(validator: PostfixValidator(runner: runner))
    }

    public enum Progress: Sendable { case writing, validating, reloading, probing, rollingBack, done }

    public func apply(_ fix: Fix, gathered: Gathered, options: GatherOptions, reload: Bool = true,
                      progress: (@Sendable (Progress) -> Void)? = nil) throws -> FixOutcome {
        // postls edits Postfix's files only: a Dovecot fix is advice, whatever else it says.
        guard fix.server == .postfix else {
            throw FixError.notApplicable("fix \(fix.id) is for Dovecot: postls does not edit Dovecot's files; review its diff and run its commands yourself")
        }
        guard fix.applicable, let configuration = gathered.configuration else {
            throw FixError.notApplicable("fix \(fix.id) cannot be applied automatically: \(fix.commands.isEmpty ? "see its description" : "run its commands")")
        }
        let targets = Self.probeTargets(of: fix, gathered: gathered)
        let before = (gathered.probe?.targets ?? []).filter { r in targets.contains { $0.address.ip == r.address && Int($0.port) == r.port } }
        var messages: [String] = []
        progress?(.writing)
        // Files first (the edits name them), each recorded so the journal entry and a rollback can remove it again.
        var created: [JournalEntry.CreatedFile] = []
        do {
            for file in fix.files {
                if let record = try createFile(file) { created.append(record); messages.append("wrote \(file.path)") }
                else { messages.append("\(file.path) already holds this content; kept as it is") }
            }
        } catch {
            messages += removeUnjournaled(created)
            throw error
        }
        var journalID: String? = nil
        var diff = ""
        if !fix.edits.isEmpty {
            progress?(.validating)
            do {
                let result = try applier.apply(fix.edits, to: configuration, created: created)
                journalID = result.entry.id
                diff = result.diff
            } catch let error as ConfigError {
                // Nothing was applied: the files made for the edits go too.
                messages += removeUnjournaled(created)
                if case .validationFailed(let message, let restored) = error {
                    return FixOutcome(state: .validationFailed, journalID: nil, diff: fix.diff ?? "", reloaded: false, before: before, after: [],
                                      messages: messages + ["Postfix rejected the change: \(message)",
                                                            restored ? "the original files were restored byte for byte" : "WARNING: restoring the original files failed; check the backups beside them"])
                }
                throw error
            } catch {
                messages += removeUnjournaled(created)
                throw error
            }
        }
        var reloaded = false
        if reload || fix.edits.isEmpty {
            progress?(.reloading)
            reloaded = try reloadPostfix(configuration.directory, messages: &messages)
        }
        progress?(.probing)
        let after = reprobe(targets, options: options)
        let worse = after.filter { a in
            guard let b = before.first(where: { $0.address == a.address && $0.port == a.port }) else { return false }
            return (b.negotiated != nil && a.negotiated == nil) || (b.starttlsOffered == true && a.starttlsOffered == false)
        }
        if !worse.isEmpty, let id = journalID {
            progress?(.rollingBack)
            let entry = try applier.rollback(id: id, directory: configuration.directory, otherConfigFiles: Self.dovecotFiles(options.dovecotConfig))
            messages += entry.createdFileMessages
            if reloaded { _ = try? reloadPostfix(configuration.directory, messages: &messages) }
            messages.append("TLS got worse on \(worse.map { "\($0.address):\($0.port)" }.joined(separator: ", ")); the change was rolled back automatically")
            progress?(.done)
            return FixOutcome(state: .rolledBackAutomatically, journalID: id, diff: diff, reloaded: reloaded, before: before, after: after, messages: messages)
        }
        progress?(.done)
        return FixOutcome(state: .applied, journalID: journalID, diff: diff, reloaded: reloaded, before: before, after: after, messages: messages)
    }

    /// Restores the files of the newest applied fix (or `id`) byte for byte, then reloads.
    /// A created file Dovecot's configuration names (`dovecotConfig`, default `DovecotDefault`'s) is kept: Dovecot may use it.
    public func rollback(id: String? = nil, configDirectory: String, reload: Bool = true, dovecotConfig: String? = nil) throws -> (JournalEntry, [String]) {
        let dovecot = DovecotDefault.configFile(explicit: dovecotConfig, postfixDirectory: configDirectory)
        let entry = try applier.rollback(id: id, directory: configDirectory, otherConfigFiles: Self.dovecotFiles(dovecot))
        var messages: [String] = entry.files.map { "restored \($0.path) from \($0.backup)" } + entry.createdFileMessages
        if reload { _ = try reloadPostfix(configDirectory, messages: &messages) }
        return (entry, messages)
    }

    /// Every file of Dovecot's configuration (with its includes), to see whether it names a file.
    static func dovecotFiles(_ path: String?) -> [String] {
        guard let path else { return [] }
        return (try? DovecotConfig(path: path))?.files ?? [path]
    }

    /// `postfix reload` when Postfix runs with this configuration; says so when it does not.
    func reloadPostfix(_ directory: String, messages: inout [String]) throws -> Bool {
        let args = directory == "/etc/postfix" ? [String]() : ["-c", directory]
        let status = try? runner.run("postfix", args + ["status"], timeout: 30)
        guard status?.succeeded == true else {
            messages.append("Postfix is not running with \(directory): not reloaded")
            return false
        }
        let out = try runner.run("postfix", args + ["reload"], timeout: 60)
        guard out.succeeded else { throw FixError.io("postfix reload failed: \(out.stderr)") }
        messages.append("reloaded Postfix")
        // New smtpd processes read the new settings; give master a moment to replace the old ones.
        usleep(500_000)
        return true
    }

    /// The listeners a fix is about: probed before it, after it, and after its rollback.
    public static func probeTargets(of fix: Fix, gathered: Gathered) -> [ProbeTarget] {
        gathered.probeTargets.filter { fix.ports.isEmpty || fix.ports.contains(Int($0.port)) }
    }

    public func reprobe(_ targets: [ProbeTarget], options: GatherOptions) -> [ListenerProbeResult] {
        guard !targets.isEmpty, let prober = try? Prober(options: ProbeOptions(phaseTimeout: options.phaseTimeout, trust: options.trust),
                                                                   recorder: options.probeRecorder(command: "fix")) else { return [] }
        return prober.probe(targets).targets
    }

    /// Creates a new public file (a chain) beside its target: O_EXCL, never following a link; identical content is
    /// fine. The record of what was written, or nil when the file was already there (then it is not ours to remove).
    func createFile(_ action: Fix.FileAction) throws -> JournalEntry.CreatedFile? {
        let bytes = Array(action.contents.utf8)
        if let existing = FileManager.default.contents(atPath: action.path) {
            if existing == Data(bytes) { return nil }
            throw FixError.fileExists(action.path)
        }
        do { try createExclusiveFile(action.path, bytes: bytes, mode: 0o644) } catch { throw FixError.io("\(error)") }
        return JournalEntry.CreatedFile(path: action.path, bytes: bytes)
    }

    /// Removes files this run created when no journal entry records them (the change failed before it was
    /// journaled), each only while it holds what was written.
    func removeUnjournaled(_ created: [JournalEntry.CreatedFile]) -> [String] {
        created.reversed().map { file in
            let outcome = applier.removeCreated(file, unlessNamedIn: nil)
            return outcome == "removed" ? "removed \(file.path) again (the change was not applied)" : "kept \(file.path): \(outcome)"
        }
    }

    public static func describe(_ r: ListenerProbeResult) -> String {
        if let n = r.negotiated {
            let versions = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"].filter { r.protocols[$0] == .accepted }
            return "\(n.protocol) \(n.cipher)" + (r.verify.map { ", verify \($0.code)" } ?? "") + (versions.isEmpty ? "" : ", accepts \(versions.joined(separator: " "))")
        }
        if r.starttlsOffered == false { return "no STARTTLS" }
        if let e = r.error { return "\(e.phase.rawValue) failed: \(e.message)" }
        return "no TLS"
    }
}
