import Foundation
import MailDNS
import PostfixConfig
import PostlsCore
import TLSKit
import TLSProbe

/// What `postls setup` (and the wizard's first-time path) is asked to do.
public struct SetupOptions: Sendable {
    public enum CertificateSource: Sendable, Equatable {
        /// Keep a usable configured certificate, else use one found on the system (Let's Encrypt, /etc/ssl).
        case automatic
        /// The admin's certificate (leaf or full chain) and key.
        case files(certificate: String, key: String)
        /// When no usable certificate exists: a self-signed stopgap.
        case selfSigned
        /// When no usable certificate exists: a key and a CSR to send to a CA.
        case requestOnly
    }

    public var configDirectory = "/etc/postfix"
    /// The name the certificate must cover; default myhostname.
    public var hostname: String?
    public var key: KeySpec = .ecdsaP256
    public var certificate: CertificateSource = .automatic
    /// master.cf service names (or `host:port`) for submission (587, STARTTLS required) and submissions (465, implicit TLS).
    public var submissionService = "submission"
    public var submissionsService = "submissions"
    public var dovecotConfig: String?
    /// Where generated keys, certificates and CSRs go; default `<config dir>/tls`.
    public var tlsDirectory: String?
    public var caBundle = "/etc/ssl/certs/ca-certificates.crt"
    public var letsEncryptDirectory = "/etc/letsencrypt/live"
    public var sslDirectory = "/etc/ssl"
    public var selfSignedDays = 365
    /// More names for a generated certificate or CSR (e.g. `mail.example.org` beside the MX name).
    public var extraNames: [String] = []

    public init() {}

    public var effectiveTLSDirectory: String { tlsDirectory ?? configDirectory + "/tls" }
}

/// A certificate and key found on the system (or given), with what is wrong with them for this host.
public struct CertificateCandidate: Sendable {
    public var certificateFile: String
    public var keyFile: String
    /// "main.cf", "--cert", "Let's Encrypt", "/etc/ssl", "postls"
    public var origin: String
    public var info: CertificateInfo?
    /// The leaf's public key in DER (for the TLSA record).
    public var publicKeyDER: [UInt8]
    /// Why it cannot be used here; empty when usable.
    public var problems: [String]
    /// Certificates in the file (1: the leaf alone, without its intermediates).
    public var chainLength: Int = 0

    public var usable: Bool { problems.isEmpty }

    /// `smtpd_tls_chain_files`: the key first, then the certificate chain (one file when both are in one).
    public var chainFiles: String { keyFile == certificateFile ? keyFile : "\(keyFile), \(certificateFile)" }

    /// Loads and checks the pair: readable, covers `hostname`, currently valid, key matches.
    public static func check(certificate: String, key: String, origin: String, hostname: String, now: Date) -> CertificateCandidate {
        var candidate = CertificateCandidate(certificateFile: certificate, keyFile: key, origin: origin, info: nil, publicKeyDER: [], problems: [])
        let leaf: Certificate
        do {
            let all = try Certificate.load(pemFile: certificate)
            guard let first = all.first else {
                candidate.problems.append("\(certificate) holds no certificate"); return candidate
            }
            leaf = first
            candidate.chainLength = all.count
        } catch {
            candidate.problems.append("\(error)"); return candidate
        }
        candidate.info = leaf.info
        candidate.publicKeyDER = leaf.publicKeyDER
        if !leaf.covers(host: hostname) {
            candidate.problems.append("it does not cover \(hostname) (names: \(leaf.subjectAltNames.joined(separator: ", ")))")
        }
        if leaf.notAfter < now { candidate.problems.append("it expired on \(TimeFormat.iso8601(leaf.notAfter))") }
        if leaf.notBefore > now { candidate.problems.append("it is not valid before \(TimeFormat.iso8601(leaf.notBefore))") }
        do {
            let privateKey = try PrivateKey.load(pemFile: key)
            if !privateKey.matches(leaf) { candidate.problems.append("the key in \(key) does not belong to the certificate") }
        } catch {
            candidate.problems.append("\(error)")
        }
        return candidate
    }
}

/// Everything setup reads from the system before planning.
public struct SetupInputs: Sendable {
    public var configuration: PostfixConfiguration
    public var options: SetupOptions
    public var hostname: String
    /// Where the host name came from, and what reverse DNS says.
    public var hostnameNotes: [String]
    /// The certificate main.cf configures, checked (nil when none is configured).
    public var configured: CertificateCandidate?
    /// The admin's `--cert`/`--key-file`, checked.
    public var given: CertificateCandidate?
    /// Certificates found on the system (Let's Encrypt, /etc/ssl, earlier postls runs), checked.
    public var found: [CertificateCandidate]
    public var existingFiles: Set<String>
    /// Dovecot's configuration (with its includes, sections and filters), when there is one.
    public var dovecot: DovecotConfig?
    public var now: Date
}

/// A file setup creates.
public enum SetupFileAction: Sendable, Equatable, CustomStringConvertible {
    case generateKey(path: String, spec: KeySpec)
    case selfSignedCertificate(path: String, keyPath: String, names: [String], days: Int)
    case certificateRequest(path: String, keyPath: String, names: [String])

    public var path: String {
        switch self {
        case .generateKey(let p, _), .selfSignedCertificate(let p, _, _, _), .certificateRequest(let p, _, _): return p
        }
    }

    public var description: String {
        switch self {
        case .generateKey(let p, let spec): return "generate a private key (\(spec)) in \(p) (mode 0600)"
        case .selfSignedCertificate(let p, _, let names, let days):
            return "write a SELF-SIGNED stopgap certificate for \(names.joined(separator: ", ")) to \(p), valid \(days) days: senders that verify will not trust it; replace it with a CA-issued one"
        case .certificateRequest(let p, _, let names): return "write a certificate signing request for \(names.joined(separator: ", ")) to \(p) (send it to your CA)"
        }
    }
}

/// How setup gets a certificate.
public enum CertificateDecision: Sendable {
    /// The configured certificate is fine: left as it is.
    case keep(CertificateCandidate)
    /// A certificate found on the system (or given) is configured.
    case use(CertificateCandidate)
    case selfSigned(keyFile: String, certificateFile: String)
    /// A key and CSR: inbound TLS is enabled once the CA's certificate is given with --cert.
    case requestOnly(keyFile: String, requestFile: String)
    /// No usable certificate and none asked for.
    case none(reason: String)

    /// The key and certificate files smtpd will use, when there are any.
    public var files: (key: String, certificate: String)? {
        switch self {
        case .keep(let c), .use(let c): return (c.keyFile, c.certificateFile)
        case .selfSigned(let key, let cert): return (key, cert)
        case .requestOnly, .none: return nil
        }
    }

    public var summary: String {
        switch self {
        case .keep(let c): return "keep the configured certificate \(c.certificateFile) (\(c.info.map { "\($0.subject), until \(TimeFormat.iso8601($0.notAfter))" } ?? ""))"
        case .use(let c): return "use \(c.certificateFile) with key \(c.keyFile) (\(c.origin)\(c.info.map { ", \($0.subject), until \(TimeFormat.iso8601($0.notAfter))" } ?? ""))"
        case .selfSigned(_, let cert): return "generate a self-signed stopgap certificate \(cert)"
        case .requestOnly(let key, let csr): return "generate a key \(key) and a CSR \(csr) for your CA; inbound TLS waits for the issued certificate"
        case .none(let reason): return reason
        }
    }
}

/// What setup will do: a pure function of `SetupInputs`.
public struct SetupPlan: Sendable {
    public var hostname: String
    public var notes: [String]
    public var certificate: CertificateDecision
    public var fileActions: [SetupFileAction]
    /// main.cf/master.cf edits, applied through ConfigApplier (backup, atomic, validate, journal).
    public var edits: [ConfigEdit]
    /// Unified diff of the edits.
    public var diff: String
    /// Dovecot: what to change and the diff (shown, not written).
    public var dovecotChanges: [String]
    public var dovecotDiff: String
    /// DNS records to publish (TLSA needs the key: for a key not generated yet they come with the outcome).
    public var dnsRecords: [RecordSuggestion]
    /// Ports to probe afterwards and the level each should show.
    public var expectations: [String]

    /// True when running setup would change nothing on this server.
    public var isEmpty: Bool { fileActions.isEmpty && edits.isEmpty }
}

public enum SetupError: Error, CustomStringConvertible, Sendable {
    case unusableCertificate(String)
    case configuration(String)
    case io(String)

    public var description: String {
        switch self {
        case .unusableCertificate(let why): return why
        case .configuration(let why): return "cannot read the Postfix configuration: \(why)"
        case .io(let why): return why
        }
    }
}

/// First-time TLS setup: discover (reads the system), plan (pure), apply (writes, reloads, probes).
public struct Setup: Sendable {
    public var runner: ProcessRunner
    public var clock: WallClock
    /// Notes the probe after setup in postls's probe record; nil: not recorded.
    public var probeRecorder: ProbeRecorder?

    public init(runner: ProcessRunner = SystemProcessRunner(), clock: WallClock = SystemClock()) {
        self.runner = runner; self.clock = clock
    }

    // MARK: Discover

    public func discover(_ options: SetupOptions) throws -> SetupInputs {
        let configuration: PostfixConfiguration
        do {
            configuration = try PostfixConfiguration.load(directory: options.configDirectory, defaults: ParameterDefaults.load(runner: runner))
        } catch {
            throw SetupError.configuration("\(error)")
        }
        let now = clock.now()
        var notes: [String] = []
        let myhostname = configuration.value("myhostname")
        let hostname = (options.hostname ?? myhostname).lowercased()
        if options.hostname != nil, hostname != myhostname.lowercased() {
            notes.append("myhostname is \(myhostname), the certificate is checked for \(hostname)")
        } else {
            notes.append("host name \(hostname) (from myhostname, \(configuration.raw("myhostname")?.source.description ?? "default"))")
        }
        let reverse = Setup.reverseNames(of: hostname)
        if !reverse.isEmpty && !reverse.contains(hostname) {
            notes.append("reverse DNS of \(hostname)'s addresses says \(reverse.joined(separator: ", ")): receivers compare it with the HELO name")
        }

        var configured: CertificateCandidate? = nil
        let (tls, _) = configuration.tls(for: nil)
        if tls.chainFiles.count == 1 {
            configured = .check(certificate: tls.chainFiles[0], key: tls.chainFiles[0], origin: "main.cf", hostname: hostname, now: now)
        } else if tls.chainFiles.count >= 2 {
            configured = .check(certificate: tls.chainFiles[1], key: tls.chainFiles[0], origin: "main.cf", hostname: hostname, now: now)
        } else if let cert = tls.certFiles.first, let key = tls.keyFiles.first {
            configured = .check(certificate: cert, key: key, origin: "main.cf", hostname: hostname, now: now)
        }
        var given: CertificateCandidate? = nil
        if case .files(let cert, let key) = options.certificate {
            given = .check(certificate: cert, key: key, origin: "--cert", hostname: hostname, now: now)
        }

        var found: [CertificateCandidate] = []
        let fm = FileManager.default
        let tlsDir = options.effectiveTLSDirectory
        let own = (tlsDir + "/\(hostname).key", tlsDir + "/\(hostname).selfsigned.pem")
        if fm.fileExists(atPath: own.0), fm.fileExists(atPath: own.1) {
            found.append(.check(certificate: own.1, key: own.0, origin: "postls (self-signed)", hostname: hostname, now: now))
        }
        for name in ((try? fm.contentsOfDirectory(atPath: options.letsEncryptDirectory)) ?? []).sorted() {
            let dir = options.letsEncryptDirectory + "/" + name
            if fm.fileExists(atPath: dir + "/fullchain.pem"), fm.fileExists(atPath: dir + "/privkey.pem") {
                found.append(.check(certificate: dir + "/fullchain.pem", key: dir + "/privkey.pem", origin: "Let's Encrypt", hostname: hostname, now: now))
            }
        }
        for ext in ["pem", "crt"] {
            let cert = options.sslDirectory + "/certs/\(hostname).\(ext)"
            for keyExt in ["key", "pem"] {
                let key = options.sslDirectory + "/private/\(hostname).\(keyExt)"
                if fm.fileExists(atPath: cert), fm.fileExists(atPath: key) {
                    found.append(.check(certificate: cert, key: key, origin: "/etc/ssl", hostname: hostname, now: now))
                }
            }
        }
        var existing: Set<String> = []
        for path in [own.0, own.1, tlsDir + "/\(hostname).csr"] where fm.fileExists(atPath: path) { existing.insert(path) }

        let dovecotPath = DovecotDefault.configFile(explicit: options.dovecotConfig, postfixDirectory: options.configDirectory)
        let dovecot = dovecotPath.flatMap { try? DovecotConfig(path: $0) }

        return SetupInputs(configuration: configuration, options: options, hostname: hostname, hostnameNotes: notes, configured: configured,
                           given: given, found: found, existingFiles: existing, dovecot: dovecot, now: now)
    }

    /// Names the host's addresses resolve back to (reverse DNS), when the resolver answers.
    static func reverseNames(of host: String) -> [String] {
        guard let addresses = try? SocketAddress.resolve(host: host, port: 25) else { return [] }
        var names: [String] = []
        // Loopback addresses (Debian maps the host name to 127.0.1.1) say nothing about the public name.
        for address in addresses where !(address.ip.hasPrefix("127.") || address.ip == "::1") {
            var hints = addrinfo()
            hints.ai_flags = AI_NUMERICHOST
            var info: UnsafeMutablePointer<addrinfo>? = nil
            guard getaddrinfo(address.ip, nil, &hints, &info) == 0, let info else { continue }
            defer { freeaddrinfo(info) }
            var buffer = [CChar](repeating: 0, count: 1025)
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NAMEREQD) == 0 {
                let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased()
                if !names.contains(name) { names.append(name) }
            }
        }
        return names
    }
}
