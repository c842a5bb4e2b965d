import Foundation

/// postls reads without root (config, probe, logs it may read); what needs root is said in words,
/// not left to a bare "Permission denied".
enum Privileges {
    static var isRoot: Bool { geteuid() == 0 }

    static var userName: String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "uid \(geteuid())" }
        return String(cString: name)
    }

    /// Whether an error's text is a refused permission (EACCES, EPERM, or a read-only file system is not).
    static func isPermissionDenied(_ error: Any) -> Bool {
        let text = "\(error)"
        return text.contains(String(cString: strerror(EACCES))) || text.contains(String(cString: strerror(EPERM)))
    }

    /// " (<needs>; postls runs as USER: run it as root, e.g. with sudo)" when postls is not root and `error`
    /// is a refused permission; `needs` says what needs root, e.g. "writing the Postfix configuration needs root".
    static func hint(_ error: Any, _ needs: String) -> String {
        guard !isRoot, isPermissionDenied(error) else { return "" }
        return " (\(needs); postls runs as \(userName): run it as root, e.g. with sudo)"
    }

    /// The groups whose members journalctl shows every user's and the system's messages.
    static let journalGroups = ["adm", "systemd-journal", "wheel"]

    /// Whether journalctl will show Postfix's messages: root, or a member of a journal-reading group.
    static var canReadSystemJournal: Bool {
        if isRoot { return true }
        var groups = [gid_t](repeating: 0, count: Int(max(0, getgroups(0, nil))) + 1)
        let count = getgroups(Int32(groups.count), &groups)
        let mine = Set(groups.prefix(Int(max(0, count))) + [getegid()])
        return journalGroups.contains { name in getgrnam(name).map { mine.contains($0.pointee.gr_gid) } ?? false }
    }
}
