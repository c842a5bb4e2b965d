import Foundation
import PostfixConfig
import PostlsCore
import Testing
import TestSupport

/// A small tmpfs mounted for one test: a real file system that really fills up or really turns read-only.
/// Needs root and mount(8); `available` says whether this machine allows it.
final class SmallFileSystem {
    let directory: TemporaryDirectory
    var path: String { directory.path }
    private var mounted = false

    init(kilobytes: Int) throws {
        directory = try TemporaryDirectory(prefix: "postls-tmpfs")
        let out = try SystemProcessRunner().run("mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k,mode=0755", "postls-test", path], timeout: 20)
        guard out.succeeded else { throw HarnessError.startFailed("mount -t tmpfs: \(out.stderr)") }
        mounted = true
    }

    func remountReadOnly() throws {
        let out = try SystemProcessRunner().run("mount", ["-o", "remount,ro", path], timeout: 20)
        guard out.succeeded else { throw HarnessError.startFailed("mount -o remount,ro: \(out.stderr)") }
    }

    /// Fills every free block with one file, then gives `pages` 4 KB pages back (tmpfs counts whole pages).
    func fill(leavingPages pages: Int) throws {
        let filler = path + "/filler"
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw HarnessError.startFailed("open \(filler)") }
        defer { close(fd) }
        let block = [UInt8](repeating: 0x46, count: 4096)
        var size = 0
        while true {
            let n = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            size += n
        }
        #expect(errno == ENOSPC, "the filler should stop at a full disk")
        guard ftruncate(fd, off_t(max(0, size - pages * 4096))) == 0 else { throw HarnessError.startFailed("ftruncate \(filler)") }
    }

    func unmount() {
        guard mounted else { return }
        mounted = false
        _ = try? SystemProcessRunner().run("umount", [path], timeout: 20)
    }

    deinit { unmount() }

    /// Whether tmpfs mounts work here (root in a VM or a privileged container: yes; an unprivileged one: no).
    static let available: Bool = {
        guard getuid() == 0, let fs = try? SmallFileSystem(kilobytes: 64) else { return false }
        defer { fs.unmount() }
        return (try? fs.remountReadOnly()) != nil
    }()
}

/// `postls fix apply` where writing fails for real: a read-only file system, a full disk (every point where
/// it can fill up), a configuration directory that is missing or disappears, a journal directory that is missing.
/// Each must say which file and why, and lose nothing: the configuration byte for byte as it was, no temp file,
/// no backup left for a change that did not happen, the journal as it was.
@Suite("Apply when writing fails", .enabled(if: Prerequisites.postconf), .serialized)
struct ApplyFailureTests {
    static let fixID = CrashSafeApplyTests.fixID
    static let mainCF = CrashSafeApplyTests.mainCF
    static let masterCF = CrashSafeApplyTests.masterCF

    /// Writes main.cf and master.cf into `etc` (back-dated: postconf sleeps on a main.cf younger than a second).
    func writeConfig(_ etc: String) throws {
        try FileManager.default.createDirectory(atPath: etc, withIntermediateDirectories: true)
        for (name, text) in [("main.cf", Self.mainCF), ("master.cf", Self.masterCF)] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: etc + "/" + name))
            backdateForPostconf(etc + "/" + name)
        }
    }

    func apply(_ etc: String) throws -> ProcessOutput {
        try PostlsBinary.run(["fix", "apply", Self.fixID, "--yes", "--no-reload", "--config-dir", etc, "--no-probe", "--no-logs"])
    }

    /// Every file under `directory` with its bytes (the filler excluded: only its size changes).
    func snapshot(_ directory: String) -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            guard relative != "filler" else { continue }
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: directory + "/" + relative, isDirectory: &isDirectory)
            files[relative] = isDirectory.boolValue ? Data("<dir>".utf8) : (FileManager.default.contents(atPath: directory + "/" + relative) ?? Data())
        }
        return files
    }

    @Test(.enabled(if: Prerequisites.isCI || SmallFileSystem.available, "needs root and tmpfs mounts"))
    func aReadOnlyFileSystemIsNamedAndNothingChanges() throws {
        let fs = try SmallFileSystem(kilobytes: 256)
        defer { fs.unmount() }
        let etc = fs.path + "/etc"
        try writeConfig(etc)
        try fs.remountReadOnly()
        let before = snapshot(fs.path)
        let out = try apply(etc)
        #expect(out.status == PostlsCore.ExitCode.critical.rawValue, "\(out.stdout)\(out.stderr)")
        #expect(out.stderr.contains("could not write \(etc)/master.cf"), "\(out.stderr)")
        #expect(out.stderr.contains("Read-only file system"), "\(out.stderr)")
        #expect(out.stderr.contains("master.cf is unchanged"), "\(out.stderr)")
        #expect(!out.stdout.contains("Applied"), "\(out.stdout)")
        #expect(snapshot(fs.path) == before)
        // Reading still works on a read-only file system: the fix is still proposed.
        let list = try PostlsBinary.run(["fix", "list", "--config-dir", etc, "--no-probe", "--no-logs"])
        #expect(list.stdout.contains(Self.fixID), "\(list.stdout)\(list.stderr)")
    }

    /// Fills the disk to every level from 0 to 6 free pages, so it runs out at each step of an apply in turn:
    /// the backup, the new master.cf, and (with a journal of three pages already there) the journal, whose
    /// failure must put master.cf back. With enough room the apply succeeds with backup and journal entry.
    @Test(.enabled(if: Prerequisites.isCI || SmallFileSystem.available, "needs root and tmpfs mounts"))
    func aFullDiskFailsAtEachStepWithTheFileNamedAndLosesNothing() throws {
        // A journal of 3 pages, made by the real binary and copied: entries that decode as postls writes them.
        let seed = try TemporaryDirectory()
        try writeConfig(seed.file("etc"))
        let first = try apply(seed.file("etc"))
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let newMaster = try Data(contentsOf: URL(fileURLWithPath: seed.file("etc/master.cf")))
        let journalData = try Data(contentsOf: URL(fileURLWithPath: seed.file("etc/.postls/journal.json")))
        var entries = try #require(try JSONSerialization.jsonObject(with: journalData) as? [[String: Any]])
        let template = try #require(entries.first)
        while (try JSONSerialization.data(withJSONObject: entries, options: [.prettyPrinted, .sortedKeys])).count < 3 * 4096 - 1024 {
            var old = template
            old["id"] = "20200101T0000\(String(format: "%02d", entries.count))Z"
            old["rolledBack"] = "2020-01-01T00:00:00Z"
            entries.insert(old, at: 0)
        }
        let bigJournal = try JSONSerialization.data(withJSONObject: entries, options: [.prettyPrinted, .sortedKeys])

        var failures: Set<String> = []
        var succeeded = false
        for pages in 0...6 {
            let fs = try SmallFileSystem(kilobytes: 64)
            defer { fs.unmount() }
            let etc = fs.path + "/etc"
            try writeConfig(etc)
            try FileManager.default.createDirectory(atPath: etc + "/.postls", withIntermediateDirectories: false)
            try bigJournal.write(to: URL(fileURLWithPath: etc + "/.postls/journal.json"))
            try fs.fill(leavingPages: pages)
            let before = snapshot(fs.path)
            let out = try apply(etc)
            let after = snapshot(fs.path)
            if out.status == 0 {
                succeeded = true
                #expect(after["etc/master.cf"] == newMaster, "\(pages) pages")
                let backups = after.filter { $0.key.hasPrefix("etc/master.cf.postls-") }
                #expect(backups.count == 1 && backups.first?.value == Data(Self.masterCF.utf8), "\(after.keys.sorted())")
                let journal = try #require(after["etc/.postls/journal.json"])
                #expect(journal.count > bigJournal.count, "the journal gained the entry")
                print("full disk, \(pages) free pages: applied")
                continue
            }
            #expect(out.status == PostlsCore.ExitCode.critical.rawValue, "\(pages) pages: \(out.stderr)")
            #expect(out.stderr.contains("No space left on device"), "\(pages) pages: \(out.stderr)")
            #expect(!out.stdout.contains("Applied"), "\(out.stdout)")
            // Byte for byte as before, every file: configuration, journal, and nothing added.
            #expect(after == before, "\(pages) pages: \(out.stderr)\nbefore \(before.keys.sorted()) after \(after.keys.sorted())")
            if out.stderr.contains("could not write \(etc)/master.cf: its backup could not be made") && out.stderr.contains("master.cf is unchanged") {
                failures.insert("backup"); print("full disk, \(pages) free pages: backup")
            } else if out.stderr.contains("could not write \(etc)/master.cf: the new version could not be written") && out.stderr.contains("master.cf is unchanged") {
                failures.insert("new file"); print("full disk, \(pages) free pages: new file")
            } else if out.stderr.contains("could not write \(etc)/.postls/journal.json: the journal of applied changes could not be written")
                        && out.stderr.contains("master.cf restored byte for byte, nothing was changed") {
                failures.insert("journal"); print("full disk, \(pages) free pages: journal")
            } else {
                Issue.record("\(pages) pages: an error that does not say which file and what became of it: \(out.stderr)")
            }
        }
        #expect(failures == ["backup", "new file", "journal"], "the disk should have run out at each step once")
        #expect(succeeded, "with six free pages the apply fits")
    }

    @Test func aMissingConfigDirectoryIsNamedAndNotCreated() throws {
        let dir = try TemporaryDirectory()
        let etc = dir.file("gone/etc")
        let out = try apply(etc)
        #expect(out.status == PostlsCore.ExitCode.inputUnreadable.rawValue, "\(out.stdout)\(out.stderr)")
        #expect(out.stderr.contains("cannot read \(etc)/main.cf: No such file or directory"), "\(out.stderr)")
        #expect(out.stderr.contains("nothing was changed"), "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("gone")), "postls must not create the directory")
    }

    /// The directory is renamed away between reading and writing (an admin moving /etc/postfix): the error
    /// names the file, and nothing is written where it was.
    @Test func aConfigDirectoryThatDisappearsBeforeTheWriteIsNamedAndNotRecreated() throws {
        let dir = try TemporaryDirectory()
        let etc = dir.file("etc")
        try writeConfig(etc)
        let configuration = try PostfixConfiguration.load(directory: etc, defaults: ParameterDefaults.load(runner: SystemProcessRunner()))
        try FileManager.default.moveItem(atPath: etc, toPath: dir.file("moved"))
        let applier = ConfigApplier(validator: PostfixValidator(runner: SystemProcessRunner()))
        #expect {
            try applier.apply([.setOverride(service: "smtp", type: "inet", name: "smtpd_tls_security_level", value: "may")], to: configuration)
        } throws: { error in
            "\(error)" == "could not write \(etc)/master.cf: it can no longer be read (No such file or directory); nothing was written"
        }
        #expect(!FileManager.default.fileExists(atPath: etc))
        #expect(try String(contentsOfFile: dir.file("moved/master.cf"), encoding: .utf8) == Self.masterCF)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("moved")).sorted() == ["main.cf", "master.cf"])
    }

    /// The journal's directory cannot be made (its parent is missing): the change is undone, because a change
    /// without its journal entry could not be rolled back, and the error names the journal.
    @Test func aMissingJournalDirectoryUndoesTheChangeAndSaysSo() throws {
        let dir = try TemporaryDirectory()
        let etc = dir.file("etc")
        try writeConfig(etc)
        let configuration = try PostfixConfiguration.load(directory: etc, defaults: ParameterDefaults.load(runner: SystemProcessRunner()))
        let state = dir.file("missing/state")
        let applier = ConfigApplier(validator: PostfixValidator(runner: SystemProcessRunner()), stateDirectory: state)
        #expect {
            try applier.apply([.setOverride(service: "smtp", type: "inet", name: "smtpd_tls_security_level", value: "may")], to: configuration)
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("could not write \(state)/journal.json: the journal of applied changes could not be written")
                && text.contains("No such file or directory") && text.hasSuffix("master.cf restored byte for byte, nothing was changed")
        }
        #expect(try String(contentsOfFile: etc + "/master.cf", encoding: .utf8) == Self.masterCF)
        #expect(try String(contentsOfFile: etc + "/main.cf", encoding: .utf8) == Self.mainCF)
        #expect(try FileManager.default.contentsOfDirectory(atPath: etc).sorted() == ["main.cf", "master.cf"], "no backup, no temp file")
        #expect(!FileManager.default.fileExists(atPath: dir.file("missing")))
    }
}

/// A postls killed between writing its temp file and renaming it leaves `.master.cf.postls-tmp-PID-N` behind
/// (3 in 1,000 SIGKILLs): the next apply removes those of processes that are gone, and only those.
@Suite("Temp files of a killed apply", .enabled(if: Prerequisites.postconf))
struct StaleTemporaryTests {
    @Test func theNextApplyRemovesTempFilesOfDeadProcessesOnly() throws {
        let dir = try TemporaryDirectory()
        let etc = dir.file("etc")
        try ApplyFailureTests().writeConfig(etc)
        // A pid that is surely gone: a child that has exited and been reaped.
        let gone = try SystemProcessRunner().run("/bin/sh", ["-c", "echo $$"], timeout: 10).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let dead = etc + "/.master.cf.postls-tmp-\(gone)-0"
        let alive = etc + "/.master.cf.postls-tmp-\(getpid())-0"
        let unrelated = etc + "/.master.cf.swp"
        for path in [dead, alive, unrelated] { try Data("half written\n".utf8).write(to: URL(fileURLWithPath: path)) }
        let out = try ApplyFailureTests().apply(etc)
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dead), "the dead process's temp file is removed")
        #expect(FileManager.default.fileExists(atPath: alive), "a running process's temp file is left alone")
        #expect(FileManager.default.fileExists(atPath: unrelated))
    }
}
