import Foundation
import PostlsCore

/// A cached minimal Debian root (scripts/debian-root.sh): Debian 13's Postfix 3.10 and Dovecot 2.4 beside the
/// host's Debian 12. The root is shared by every run and must stay read-only.
public enum DebianRoot {
    /// The root of `suite` (`bookworm`, `trixie`), built by scripts/debian-root.sh on first use (about a
    /// minute; needs root and mmdebstrap). Nil when it cannot be had: tests then skip locally, and fail under CI.
    public static func path(suite: String) -> String? {
        let script = repositoryRoot + "/scripts/debian-root.sh"
        guard let output = try? SystemProcessRunner().run("bash", [script, suite], timeout: 900), output.succeeded else { return nil }
        let path = output.stdout.split(separator: "\n").last.map(String.init) ?? ""
        return FileManager.default.fileExists(atPath: path + "/.postls-root-complete") ? path : nil
    }

    /// Runs `postconf -c /tmp/config ARGUMENTS` inside `root` on a copy of `configDirectory`'s main.cf and
    /// master.cf, without writing to the root: a private mount namespace puts a tmpfs on the root's /tmp.
    public static func postconf(root: String, configDirectory: String, _ arguments: [String]) throws -> ProcessOutput {
        let script = """
            root=$1 dir=$2; shift 2
            mount -t tmpfs tmpfs "$root/tmp"; mkdir "$root/tmp/config"
            cp -p "$dir/main.cf" "$root/tmp/config/"; [ ! -e "$dir/master.cf" ] || cp -p "$dir/master.cf" "$root/tmp/config/"
            exec chroot "$root" postconf -c /tmp/config "$@"
            """
        return try SystemProcessRunner().run("unshare", ["-m", "--propagation", "private", "sh", "-ec", script, "sh", root, configDirectory] + arguments,
                                             timeout: 60)
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}
