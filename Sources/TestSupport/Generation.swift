import Foundation
import PostlsCore

/// A generation of the mail servers postls meets: Debian 12's (the machine's own packages) and Debian 13's (run
/// from the cached root of scripts/debian-root.sh). Scenario tests take it as their argument
/// (`@Test(arguments: Generation.all)`); the name in the test log says which generation a run used.
public enum Generation: String, Sendable, CaseIterable, CustomStringConvertible {
    case debian12
    case debian13

    /// Every generation, or those `POSTLS_GENERATIONS` names (`debian12`, `debian13`, comma-separated): to time one
    /// generation alone, or to run a suite quickly against one.
    public static let all: [Generation] = {
        guard let names = ProcessInfo.processInfo.environment["POSTLS_GENERATIONS"], !names.isEmpty else { return allCases }
        return allCases.filter { names.split(separator: ",").map(String.init).contains($0.rawValue) }
    }()

    public var description: String {
        switch self {
        case .debian12: return "Debian 12 (Postfix 3.7, Dovecot 2.3)"
        case .debian13: return "Debian 13 (Postfix 3.10, Dovecot 2.4)"
        }
    }

    /// The Debian suite whose packages this generation runs.
    public var suite: String { self == .debian12 ? "bookworm" : "trixie" }

    /// Dovecot's configuration syntax in this generation.
    public var dovecotSyntax: String { self == .debian12 ? "2.3" : "2.4" }

    /// Dovecot's ssl lines for a certificate and key in this generation's syntax (2.3 reads `<file`, 2.4 takes the path).
    public func dovecotSSL(ssl: String = "required", cert: String, key: String, minProtocol: String? = nil) -> String {
        var lines = ["ssl = \(ssl)"]
        lines += dovecotSyntax == "2.4" ? ["ssl_server_cert_file = \(cert)", "ssl_server_key_file = \(key)"] : ["ssl_cert = <\(cert)", "ssl_key = <\(key)"]
        if let minProtocol { lines.append("ssl_min_protocol = \(minProtocol)") }
        return lines.joined(separator: "\n")
    }

    /// This generation's servers, or nil (with a message on stderr) when they cannot run here. Under CI a missing
    /// Debian 13 root throws instead, so CI never passes by skipping a generation (Prerequisites' rule).
    public func serversOrSkip(_ test: String = #function) throws -> ServerTools? {
        do {
            return try servers()
        } catch {
            if Prerequisites.isCI { throw error }
            FileHandle.standardError.write(Data("skipped on \(self): \(error) [\(test)]\n".utf8))
            return nil
        }
    }

    /// This generation's servers; throws `HarnessError.missing` when the Debian 13 root is not cached.
    public func servers() throws -> ServerTools {
        switch self {
        case .debian12: return ServerTools(generation: self, session: nil)
        case .debian13:
            let session = try Self.sessions.session(suite)
            return ServerTools(generation: self, session: session)
        }
    }

    static let sessions = Sessions()

    /// One `RootSession` per suite for the whole test process, made at first use.
    final class Sessions: @unchecked Sendable {
        private let lock = NSLock()
        private var made: [String: Result<RootSession, Error>] = [:]

        func session(_ suite: String) throws -> RootSession {
            lock.lock(); defer { lock.unlock() }
            if let result = made[suite] { return try result.get() }
            let result = Result<RootSession, Error> {
                guard let root = DebianRoot.cached(suite) else {
                    throw HarnessError.missing("the Debian \(suite) root (run scripts/debian-root.sh \(suite) as root; it is cached in /var/cache/postls-test/roots)")
                }
                let session = try RootSession(root: root)
                if made.isEmpty { atexit { Generation.sessions.removeAll() } }
                return session
            }
            made[suite] = result
            if case .success(let session) = result {
                // The test log names the versions each generation really ran.
                let versions = [("Postfix", session.binDirectory + "/postconf", ["-h", "mail_version"]),
                                ("Dovecot", session.binDirectory + "/dovecot", ["--version"]),
                                ("", session.toolDirectory + "/openssl", ["version"])].compactMap { name, program, arguments -> String? in
                    guard let out = try? SystemProcessRunner().run(program, arguments, timeout: 30), out.succeeded else { return nil }
                    return (name.isEmpty ? "" : name + " ") + out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                FileHandle.standardError.write(Data("Debian \(suite) servers from \(session.root.path): \(versions.joined(separator: ", "))\n".utf8))
            }
            return try result.get()
        }

        func removeAll() {
            lock.lock(); defer { lock.unlock() }
            for case .success(let session) in made.values { session.removeFolder() }
        }
    }
}

/// How to run one generation's server programs: by name through `runner` (in-process engines), or through the
/// PATH of `environment` (the postls binary finds `postconf`, `postfix`, `doveconf`... there).
public struct ServerTools: Sendable {
    public let generation: Generation
    let session: RootSession?

    /// Runs `postconf`, `postfix`, `dovecot`, `doveconf`... of this generation; every other program as usual.
    public var runner: ProcessRunner { GenerationProcessRunner(binDirectory: session?.binDirectory) }

    /// Where this generation's files are: "" for the machine's, the Debian root's path for Debian 13
    /// (`filesystemRoot + "/etc/postfix/main.cf"` is the file its package installed).
    public var filesystemRoot: String { session?.root.path ?? "" }

    /// Runs this generation's client tools (`openssl`: 3.0 on Debian 12, 3.5 on Debian 13) by name, every other
    /// program as usual: `Peers.opensslClient(..., runner: servers.toolRunner)` is that OpenSSL's `s_client`.
    public var toolRunner: ProcessRunner { GenerationProcessRunner(binDirectory: session?.toolDirectory) }

    /// The folder of this generation's wrappers (nil for the machine's own packages).
    public var binDirectory: String? { session?.binDirectory }

    /// `base` (default: this process's) with this generation's programs first in PATH.
    public func environment(_ base: [String: String]? = nil) -> [String: String] {
        var env = base ?? ProcessInfo.processInfo.environment
        if let binDirectory { env["PATH"] = binDirectory + ":" + (env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin") }
        return env
    }

    /// The path to run `program` of this generation (its wrapper, or the name for the machine's).
    public func executable(_ program: String) -> String {
        if let binDirectory, FileManager.default.isExecutableFile(atPath: binDirectory + "/" + program) { return binDirectory + "/" + program }
        return program
    }

    /// The uid and gid `user` has where this generation's daemons run.
    public func passwd(_ user: String) -> (uid: uid_t, gid: gid_t)? {
        if let session { return session.passwd(user) }
        guard let pw = getpwnam(user) else { return nil }
        return (pw.pointee.pw_uid, pw.pointee.pw_gid)
    }

    /// Whether the generation's server programs are installed (the machine's packages may be missing locally).
    public func has(_ program: String) -> Bool {
        session != nil ? FileManager.default.isExecutableFile(atPath: executable(program)) : findExecutable(program) != nil
    }
}

/// `SystemProcessRunner`, with the server programs of a generation's wrapper folder in place of the machine's.
struct GenerationProcessRunner: ProcessRunner {
    let binDirectory: String?

    func run(_ executable: String, _ arguments: [String], stdin: Data?, environment: [String: String]?, timeout: Double?) throws -> ProcessOutput {
        var program = executable
        if let binDirectory, !executable.contains("/"), FileManager.default.isExecutableFile(atPath: binDirectory + "/" + executable) {
            program = binDirectory + "/" + executable
        }
        return try SystemProcessRunner().run(program, arguments, stdin: stdin, environment: environment, timeout: timeout)
    }
}
