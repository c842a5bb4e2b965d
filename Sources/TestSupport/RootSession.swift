import Foundation
import PostlsCore

/// Runs the mail servers of a cached `DebianRoot` as if they were installed: a private mount namespace (held
/// open by a `cat` reading a pipe this process keeps, so it ends with the test process) in which a tmpfs-backed
/// overlay makes the read-only root writable for this run alone, with the host's /dev, /proc and temporary folder
/// bound in at the same paths. An instance's files under the temporary folder therefore have one path inside and
/// outside: postls on the host reads the config and logs the daemon in the root uses.
///
/// `binDirectory` holds one wrapper per server program (`postconf`, `postfix`, `doveconf`, ...) that enters the
/// namespace and runs the root's program there; put it first in PATH (or use `runner`) to run that generation.
/// Mounts made in the namespace are invisible to the host and vanish with its last process: nothing to unmount.
final class RootSession: @unchecked Sendable {
    let root: DebianRoot
    let directory: String
    let merged: String
    let binDirectory: String
    /// Wrappers for the root's other programs (`openssl`), kept out of `binDirectory` so putting that first in PATH
    /// changes only the servers: a test asks for these by path (`ServerTools.tool`).
    let toolDirectory: String
    let holder: pid_t
    /// The write end of the holder's stdin: open as long as this process lives.
    private let keepAlive: Int32

    /// The programs wrapped, as found in the root.
    static let programs = ["postconf", "postfix", "postqueue", "postsuper", "postmulti", "sendmail", "dovecot", "doveconf", "doveadm"]
    /// The root's client programs: OpenSSL's command line as the second oracle (3.5 on Debian 13).
    static let tools = ["openssl"]

    init(root: DebianRoot) throws {
        self.root = root
        let base = (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
        let temporary = URL(fileURLWithPath: base).resolvingSymlinksInPath().path
        directory = temporary + "/postls-root-\(root.suite)-\(getpid())"
        merged = directory + "/merged"
        binDirectory = directory + "/bin"
        toolDirectory = directory + "/tools"
        try? FileManager.default.removeItem(atPath: directory)
        for dir in [merged, directory + "/rw", binDirectory, toolDirectory] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        chmod(directory, 0o755)

        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw HarnessError.startFailed("pipe: \(String(cString: strerror(errno)))") }
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let null = open("/dev/null", O_RDWR)
        defer { close(null); close(fds[0]) }
        guard let unshare = findExecutable("unshare"), let nsenter = findExecutable("nsenter"), findExecutable("chroot") != nil else {
            close(fds[1])
            throw HarnessError.missing("unshare, nsenter, chroot (util-linux, coreutils)")
        }
        // unshare's complaints go to a file, so a holder that dies says why.
        let errorsPath = directory + "/unshare.err"
        let errors = open(errorsPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { if errors >= 0 { close(errors) } }
        switch spawnProcess(unshare, arguments: ["--mount", "--propagation", "private", "cat"],
                            environment: ProcessInfo.processInfo.environment, stdin: fds[0], stdout: null, stderr: errors >= 0 ? errors : null) {
        case .success(let pid): holder = pid
        case .failure(let error):
            close(fds[1])
            throw HarnessError.startFailed("unshare: \(String(cString: strerror(error.errno)))")
        }
        keepAlive = fds[1]
        // Mount only once the holder runs `cat`: unshare has then made every mount private, so nothing done in the
        // namespace can propagate to the host.
        let deadline = Deadline.after(seconds: 10)
        while (try? String(contentsOfFile: "/proc/\(holder)/comm", encoding: .utf8))?.hasPrefix("cat") != true {
            var status: Int32 = 0
            if waitpid(holder, &status, WNOHANG) == holder {
                let said = ((try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                // In a chroot whose / is not a mount point, unshare cannot make / private (EINVAL).
                let hint = said.contains("propagation") ? " (in a chroot, / must be a mount point: mount --bind DIR DIR before chroot DIR)" : ""
                throw HarnessError.startFailed("unshare --mount exited (status \(status)): \(said.isEmpty ? "no message" : said)\(hint)")
            }
            guard !deadline.hasPassed else { throw HarnessError.startFailed("unshare did not start its namespace holder") }
            usleep(5_000)
        }

        let runner = SystemProcessRunner()
        let target = String(holder)
        // `--root`: entering a mount namespace moves a process to the namespace's root, which is the host's / even
        // when this test run is itself in a chroot (a fresh-root run); the holder's root is this run's /.
        func inNamespace(_ arguments: [String]) throws {
            let out = try runner.run(nsenter, ["--target", target, "--mount", "--root"] + arguments, timeout: 30)
            guard out.succeeded else { throw HarnessError.startFailed("\(arguments.joined(separator: " ")): \(out.stderr)") }
        }
        let rw = directory + "/rw"
        try inNamespace(["mount", "-t", "tmpfs", "tmpfs", rw])
        try inNamespace(["mkdir", rw + "/upper", rw + "/work"])
        try inNamespace(["mount", "-t", "overlay", "overlay", "-o", "lowerdir=\(root.path),upperdir=\(rw)/upper,workdir=\(rw)/work", merged])
        try inNamespace(["mount", "--rbind", "/dev", merged + "/dev"])
        try inNamespace(["mount", "--bind", "/proc", merged + "/proc"])
        // Not --rbind: the temporary folder holds this session's own mounts.
        try inNamespace(["mkdir", "-p", merged + temporary])
        try inNamespace(["mount", "--bind", temporary, merged + temporary])

        for (programs, folder) in [(Self.programs, binDirectory), (Self.tools, toolDirectory)] {
            for program in programs { try writeWrapper(program, into: folder, nsenter: nsenter, target: target) }
        }
    }

    /// A script in `folder` that runs the root's `program` (if it has one) in this session's namespace.
    private func writeWrapper(_ program: String, into folder: String, nsenter: String, target: String) throws {
        guard let inside = ["/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/"].map({ $0 + program })
            .first(where: { FileManager.default.isExecutableFile(atPath: root.path + $0) }) else { return }
        let wrapper = """
            #!/bin/sh
            # \(root.suite)'s \(program), run in \(root.path) through the test run's mount namespace (TestSupport RootSession).
            exec \(nsenter) --target \(target) --mount --root /usr/sbin/chroot \(merged) \(inside) "$@"

            """
        let path = folder + "/" + program
        try wrapper.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o755)
    }

    /// Removes the session's folder (its mounts live only in the namespace; on the host these are empty folders).
    func removeFolder() { try? FileManager.default.removeItem(atPath: directory) }

    /// The uid and gid of `user` in the root's /etc/passwd (Debian 13's postfix is not the host's).
    func passwd(_ user: String) -> (uid: uid_t, gid: gid_t)? {
        guard let text = try? String(contentsOfFile: root.path + "/etc/passwd", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count > 3, fields[0] == user, let uid = uid_t(fields[2]), let gid = gid_t(fields[3]) { return (uid, gid) }
        }
        return nil
    }
}
