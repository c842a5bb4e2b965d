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
        if tls.chain_files.count == 1 {
            configured = .check(certificate: tls.chain_files[0], key: tls.chain_files[0], origin: "main.cf", hostname: hostname, now: now)
        } else if tls.chain_files.count >= 2 {
            configured = .check(certificate: tls.chain_files[1], key: tls.chain_files[0], origin: "main.cf", hostname: hostname, now: now)
        } else if let cert = tls.cert_files.first, let key = tls.key_files.first {
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

    // MARK: Plan

    /// The plan: a pure function of what discovery found.
    public static func plan(_ inputs: SetupInputs) throws -> SetupPlan {
        let options = inputs.options
        let configuration = inputs.configuration
        let host = inputs.hostname
        var notes = inputs.hostnameNotes
        var fileActions: [SetupFileAction] = []
        let tlsDir = options.effectiveTLSDirectory
        var names = [host]
        for name in options.extraNames.map({ $0.lowercased() }) where !names.contains(name) { names.append(name) }

        // 1. The certificate.
        let decision: CertificateDecision
        if let given = inputs.given {
            let fatal = given.problems.filter { !$0.hasPrefix("it does not cover") }
            guard fatal.isEmpty else {
                throw SetupError.unusableCertificate("cannot use \(given.certificateFile): \(fatal.joined(separator: "; "))")
            }
            notes += given.problems.map { "warning: \(given.certificateFile): \($0)" }
            if let configured = inputs.configured, configured.certificateFile == given.certificateFile, configured.keyFile == given.keyFile {
                decision = .keep(configured)
            } else {
                decision = .use(given)
            }
        } else if let configured = inputs.configured, configured.usable {
            decision = .keep(configured)
        } else {
            if let configured = inputs.configured {
                notes.append("the configured certificate \(configured.certificateFile) cannot be used: \(configured.problems.joined(separator: "; "))")
            }
            for candidate in inputs.found where !candidate.usable {
                notes.append("found \(candidate.certificateFile) (\(candidate.origin)) but \(candidate.problems.joined(separator: "; "))")
            }
            if let candidate = inputs.found.first(where: \.usable) {
                decision = .use(candidate)
            } else {
                let key = tlsDir + "/\(host).key"
                switch options.certificate {
                case .selfSigned:
                    let cert = tlsDir + "/\(host).selfsigned.pem"
                    // Never overwrite: an unusable pair from earlier stays for the admin to look at.
                    let suffix = inputs.existingFiles.contains(key) || inputs.existingFiles.contains(cert) ? "-\(Int(inputs.now.timeIntervalSince1970))" : ""
                    let keyPath = tlsDir + "/\(host)\(suffix).key", certPath = tlsDir + "/\(host)\(suffix).selfsigned.pem"
                    fileActions.append(.generateKey(path: keyPath, spec: options.key))
                    fileActions.append(.selfSignedCertificate(path: certPath, keyPath: keyPath, names: names, days: options.selfSignedDays))
                    decision = .selfSigned(keyFile: keyPath, certificateFile: certPath)
                case .requestOnly:
                    let csr = tlsDir + "/\(host).csr"
                    if inputs.existingFiles.contains(key) && inputs.existingFiles.contains(csr) {
                        notes.append("a key and CSR from an earlier run are in \(tlsDir): send \(csr) to your CA, then run postls setup --cert FILE --key-file \(key)")
                    } else {
                        let suffix = inputs.existingFiles.contains(key) || inputs.existingFiles.contains(csr) ? "-\(Int(inputs.now.timeIntervalSince1970))" : ""
                        let keyPath = tlsDir + "/\(host)\(suffix).key", csrPath = tlsDir + "/\(host)\(suffix).csr"
                        fileActions.append(.generateKey(path: keyPath, spec: options.key))
                        fileActions.append(.certificateRequest(path: csrPath, keyPath: keyPath, names: names))
                    }
                    decision = .requestOnly(keyFile: key, requestFile: csr)
                case .automatic, .files:
                    decision = .none(reason: "no usable certificate for \(host) was found (main.cf, \(options.letsEncryptDirectory), \(options.sslDirectory)): "
                                     + "give one with --cert FILE --key-file FILE, or use --self-signed (a stopgap) or --csr-only (a key and a CSR for your CA)")
                }
            }
        }

        if case .use(let c) = decision, c.chainLength == 1, c.info?.isSelfIssued == false {
            notes.append("warning: \(c.certificateFile) holds only the server's certificate: senders that verify need the intermediates too (use the full chain file, e.g. fullchain.pem)")
        }
        if !host.contains(".") || host.hasSuffix(".localdomain") || host.hasPrefix("localhost") {
            notes.append("warning: \(host) is not a public fully-qualified name: set myhostname (or --hostname) to the name your MX record points to")
        }

        // 2. main.cf: only what is missing; protocols and ciphers stay at Postfix's defaults.
        var edits: [ConfigEdit] = []
        func level(_ name: String) -> String { configuration.value(name).trimmingCharacters(in: .whitespaces).lowercased() }
        func atLeastOne(_ name: String) -> Bool { (Int(configuration.value(name).trimmingCharacters(in: .whitespaces)) ?? 0) >= 1 }
        let files = decision.files
        let newFiles: (key: String, certificate: String)?
        switch decision {
        case .use(let c): newFiles = (c.keyFile, c.certificateFile)
        case .selfSigned(let key, let cert): newFiles = (key, cert)
        default: newFiles = nil
        }
        if let newFiles {
            if supportsChainFiles(configuration.value("mail_version")) {
                let value = newFiles.key == newFiles.certificate ? newFiles.key : "\(newFiles.key), \(newFiles.certificate)"
                edits.append(.setMain(name: "smtpd_tls_chain_files", value: value))
            } else {
                // Postfix before 3.4 has no smtpd_tls_chain_files.
                edits.append(.setMain(name: "smtpd_tls_cert_file", value: newFiles.certificate))
                edits.append(.setMain(name: "smtpd_tls_key_file", value: newFiles.key))
            }
        }
        if files != nil {
            if configuration.tls(for: nil).0.security_level == "none" { edits.append(.setMain(name: "smtpd_tls_security_level", value: "may")) }
            if !atLeastOne("smtpd_tls_loglevel") { edits.append(.setMain(name: "smtpd_tls_loglevel", value: "1")) }
        }
        if ["", "none"].contains(level("smtp_tls_security_level")) { edits.append(.setMain(name: "smtp_tls_security_level", value: "may")) }
        if configuration.value("smtp_tls_CAfile").isEmpty && configuration.value("smtp_tls_CApath").isEmpty {
            edits.append(.setMain(name: "smtp_tls_CAfile", value: options.caBundle))
        }
        if !atLeastOne("smtp_tls_loglevel") { edits.append(.setMain(name: "smtp_tls_loglevel", value: "1")) }

        // 3. master.cf: submission (STARTTLS required) and submissions (implicit TLS), once there is a certificate.
        var expectations: [String] = []
        if files != nil {
            let listeners = configuration.smtpdListeners.filter { $0.service.type == "inet" }
            let chroot = listeners.first?.service.chroot ?? "-"
            func existing(_ serviceName: String) -> SMTPDListener? {
                let wanted = ListenAddress(serviceName: serviceName)
                return listeners.first { $0.service.name == serviceName }
                    ?? listeners.first { $0.listen.port != nil && $0.listen.port == wanted.port && ($0.listen.host == nil || $0.listen.host == wanted.host || wanted.host == nil) }
            }
            if let sub = existing(options.submissionService) {
                if sub.tls.security_level != "encrypt" || sub.tls.wrappermode {
                    edits.append(.setOverride(service: sub.service.name, type: sub.service.type, name: "smtpd_tls_security_level", value: "encrypt"))
                }
            } else {
                edits.append(.addService(.init(name: options.submissionService, chroot: chroot, command: "smtpd", overrides: [
                    .init(name: "syslog_name", value: "postfix/submission"), .init(name: "smtpd_tls_security_level", value: "encrypt")])))
            }
            if let subs = existing(options.submissionsService) {
                if !subs.tls.wrappermode {
                    edits.append(.setOverride(service: subs.service.name, type: subs.service.type, name: "smtpd_tls_wrappermode", value: "yes"))
                }
            } else {
                edits.append(.addService(.init(name: options.submissionsService, chroot: chroot, command: "smtpd", overrides: [
                    .init(name: "syslog_name", value: "postfix/submissions"), .init(name: "smtpd_tls_wrappermode", value: "yes")])))
            }
            expectations = ["port 25: STARTTLS offered (may)", "\(options.submissionService): STARTTLS required (encrypt)",
                            "\(options.submissionsService): TLS from the first byte (wrapper mode)"]
        }

        let diff: String
        do {
            diff = try ConfigApplier.preview(edits, on: configuration).map(\.diff).joined()
        } catch {
            throw SetupError.configuration("\(error)")
        }

        // 4. Dovecot: shown as a diff for the admin.
        var dovecotChanges: [String] = [], dovecotDiff = ""
        if let dovecot = inputs.dovecot, let files {
            // Dovecot wants the certificate chain and the key apart; a single key+chain file serves as both.
            let proposal = dovecot.setupProposal(certificateFile: files.certificate, keyFile: files.key)
            dovecotChanges = proposal.changes
            dovecotDiff = proposal.diff
        }

        // 5. DNS records for a key that exists now.
        var records: [RecordSuggestion] = []
        switch decision {
        case .keep(let c), .use(let c): records = dnsRecords(hostname: host, configuration: configuration, publicKeyDER: c.publicKeyDER, now: inputs.now)
        default: break
        }

        return SetupPlan(hostname: host, notes: notes, certificate: decision, fileActions: fileActions, edits: edits, diff: diff,
                         dovecotChanges: dovecotChanges, dovecotDiff: dovecotDiff, dnsRecords: records, expectations: expectations)
    }

    /// smtpd_tls_chain_files exists since Postfix 3.4; an unknown version is taken as current.
    static func supportsChainFiles(_ mailVersion: String) -> Bool {
        guard let version = PostfixVersion(mailVersion) else { return true }
        return version >= PostfixVersion(3, 4)
    }

    /// TLSA `3 1 1` for the MX, an MTA-STS policy (testing mode) with its TXT record, and TLS-RPT.
    public static func dnsRecords(hostname: String, configuration: PostfixConfiguration, publicKeyDER: [UInt8], now: Date) -> [RecordSuggestion] {
        var domain = configuration.value("mydomain").lowercased()
        if domain.isEmpty || domain == "localdomain" || !hostname.hasSuffix("." + domain) {
            domain = hostname.split(separator: ".").dropFirst().joined(separator: ".")
        }
        var records: [RecordSuggestion] = []
        if !publicKeyDER.isEmpty { records += RecordGenerator.tlsa(mxHosts: [hostname], currentKeyDER: publicKeyDER) }
        if !domain.isEmpty {
            records += RecordGenerator.mtaSTS(domain: domain, mxHosts: [hostname], now: now)
            records.append(RecordGenerator.tlsRPT(domain: domain))
        }
        return records
    }

    // MARK: Apply

    /// What applying did.
    public struct Outcome: Sendable {
        public var filesWritten: [String]
        public var journalID: String?
        public var diff: String
        public var reloaded: Bool
        public var probe: ProbeReport?
        public var dnsRecords: [RecordSuggestion]
        public var messages: [String]
        /// A listener that did not negotiate TLS after setup.
        public var failures: [String]
    }

    public enum Progress: Sendable { case files, writing, reloading, probing }

    /// Creates the files, applies the edits safely (backup, atomic, `postfix check`, journal: `postls fix rollback`
    /// undoes them), reloads Postfix and probes every smtpd listener.
    public func apply(_ plan: SetupPlan, inputs: SetupInputs, reload: Bool = true, trust: TrustAnchors = .system, phaseTimeout: Double = 10,
                      progress: (@Sendable (Progress) -> Void)? = nil) throws -> Outcome {
        var written: [String] = []
        var created: [JournalEntry.CreatedFile] = []
        var messages: [String] = []
        var keys: [String: PrivateKey] = [:]
        var records = plan.dnsRecords
        progress?(.files)
        for action in plan.fileActions {
            let directory = (action.path as NSString).deletingLastPathComponent
            if !FileManager.default.fileExists(atPath: directory) {
                do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755]) }
                catch { throw SetupError.io("cannot create \(directory): \(error)") }
            }
            do {
                switch action {
                case .generateKey(let path, let spec):
                    let key = try PrivateKey.generate(spec)
                    try key.writePEM(toNewFile: path)
                    keys[path] = key
                case .selfSignedCertificate(let path, let keyPath, let names, let days):
                    guard let key = keys[keyPath] else { throw SetupError.io("no key generated for \(path)") }
                    let spec = CertificateSpec(commonName: names.first ?? plan.hostname, organization: "postls self-signed stopgap, replace with a CA-issued certificate",
                                               subjectAltNames: names, notBefore: clock.now().addingTimeInterval(-3600),
                                               notAfter: clock.now().addingTimeInterval(Double(days) * 86_400))
                    let cert = try Certificate.issue(spec, for: key)
                    try Setup.createPublicFile(path, cert.pem)
                    records = Setup.dnsRecords(hostname: plan.hostname, configuration: inputs.configuration, publicKeyDER: cert.publicKeyDER, now: clock.now())
                case .certificateRequest(let path, let keyPath, let names):
                    guard let key = keys[keyPath] else { throw SetupError.io("no key generated for \(path)") }
                    try Setup.createPublicFile(path, try CertificateRequest.make(key: key, commonName: names.first ?? plan.hostname, subjectAltNames: names))
                    messages.append("send \(path) to your CA; when the certificate arrives: postls setup --cert FILE --key-file \(keyPath)")
                }
            } catch let error as SetupError { throw error } catch {
                throw SetupError.io("\(action.path): \(error)")
            }
            written.append(action.path)
            messages.append("wrote \(action.path)")
            // Journaled with the edits so `postls fix rollback` removes it again (read back here; a key is never printed).
            if let bytes = try? LocalFileSystem().read(action.path) { created.append(JournalEntry.CreatedFile(path: action.path, bytes: bytes)) }
        }
        var journalID: String? = nil
        var diff = ""
        if !plan.edits.isEmpty {
            progress?(.writing)
            let applier = ConfigApplier(validator: PostfixValidator(runner: runner), clock: clock)
            let result: ApplyResult
            do { result = try applier.apply(plan.edits, to: inputs.configuration, created: created) } catch {
                // Nothing was applied: the files made for it go too (each only while untouched).
                for file in created.reversed() { _ = applier.removeCreated(file, unlessNamedIn: nil) }
                throw error
            }
            journalID = result.entry.id
            diff = result.diff
            messages.append("changed \(result.entry.files.map(\.path).joined(separator: ", ")) (backups beside them; undo with postls fix rollback)")
        }
        var reloaded = false
        if reload {
            progress?(.reloading)
            reloaded = (try? FixLoop(runner: runner).reloadPostfix(inputs.configuration.directory, messages: &messages)) ?? false
        }
        var probe: ProbeReport? = nil
        var failures: [String] = []
        if reloaded {
            progress?(.probing)
            if let configuration = try? PostfixConfiguration.load(directory: inputs.configuration.directory, defaults: inputs.configuration.defaults) {
                var options = GatherOptions()
                options.configDirectory = configuration.directory
                options.name = plan.hostname
                options.trust = trust
                let targets = Gatherer(runner: runner, clock: clock).probeTargets(options, configuration: configuration)
                if let prober = try? Prober(options: ProbeOptions(phaseTimeout: phaseTimeout, trust: trust), recorder: probeRecorder) {
                    let report = prober.probe(targets)
                    probe = report
                    // Without a certificate (CSR only) inbound TLS is not expected yet.
                    for t in report.targets where t.negotiated == nil && plan.certificate.files != nil {
                        failures.append("\(t.address):\(t.port) (\(t.mode.rawValue)): \(t.error.map { "\($0.phase.rawValue): \($0.message)" } ?? "no TLS")")
                    }
                }
            }
        }
        return Outcome(filesWritten: written, journalID: journalID, diff: diff, reloaded: reloaded, probe: probe, dnsRecords: records,
                       messages: messages, failures: failures)
    }

    /// A new public file (certificate, CSR): O_EXCL, never following a link, mode 0644.
    static func createPublicFile(_ path: String, _ contents: String) throws {
        do { try createExclusiveFile(path, bytes: Array(contents.utf8), mode: 0o644) } catch { throw SetupError.io("\(error)") }
    }

}
