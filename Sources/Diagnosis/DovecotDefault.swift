import Foundation
import PostfixConfig

/// Which Dovecot configuration postls reads when `--dovecot-config` names none: the machine's
/// /etc/dovecot/dovecot.conf, but only when the Postfix being looked at is the machine's own (/etc/postfix).
/// A test, demo or staging directory must not pull in the machine's Dovecot: its findings and fixes would be
/// about another server. One rule for diagnose, fix, report, config, setup and the wizard.
public struct DovecotDefault: Sendable {
    public var systemPostfixDirectory: String
    public var systemDovecotConfig: String
    /// Whether a file exists (injected so tests need not touch /etc).
    public var exists: @Sendable (String) -> Bool

    public init(systemPostfixDirectory: String = "/etc/postfix", systemDovecotConfig: String = "/etc/dovecot/dovecot.conf",
                exists: @escaping @Sendable (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) {
        self.systemPostfixDirectory = systemPostfixDirectory
        self.systemDovecotConfig = systemDovecotConfig
        self.exists = exists
    }

    /// The explicit file when given; else the system's Dovecot for the system's Postfix when it exists; else nil.
    public func configFile(explicit: String?, postfixDirectory: String) -> String? {
        if let explicit { return explicit }
        guard Self.sameDirectory(postfixDirectory, systemPostfixDirectory), exists(systemDovecotConfig) else { return nil }
        return systemDovecotConfig
    }

    /// `/etc/postfix/`, `/etc//postfix` and a link to /etc/postfix are the system's directory too.
    static func sameDirectory(_ a: String, _ b: String) -> Bool {
        func normal(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
        return normal(a) == normal(b)
    }

    /// The rule with the machine's paths.
    public static func configFile(explicit: String?, postfixDirectory: String) -> String? {
        DovecotDefault().configFile(explicit: explicit, postfixDirectory: postfixDirectory)
    }
}

extension GatherOptions {
    /// Dovecot's configuration named by `dovecotConfig`, read for the diagnosis (nil when none or unreadable:
    /// the lint already says why).
    public func loadDovecot() -> DovecotConfig? {
        dovecotConfig.flatMap { try? DovecotConfig(path: $0) }
    }
}
