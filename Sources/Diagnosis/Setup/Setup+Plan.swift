import Foundation
import MailDNS
import PostfixConfig
import PostlsCore
import TLSKit

extension Setup {
    /// The plan: a pure function of what discovery found. Each numbered step is one function below.
    public static func plan(_ inputs: SetupInputs) throws -> SetupPlan {
        let options = inputs.options
        let configuration = inputs.configuration
        let host = inputs.hostname
        var notes = inputs.hostnameNotes
        var fileActions: [SetupFileAction] = []
        var names = [host]
        for name in options.extraNames.map({ $0.lowercased() }) where !names.contains(name) { names.append(name) }

        // 1. The certificate.
        let decision = try certificateDecision(inputs, names: names, notes: &notes, fileActions: &fileActions)
        notes += certificateWarnings(decision, host: host)

        // 2. main.cf: only what is missing. 3. master.cf: submission and submissions, once there is a certificate.
        let files = decision.files
        var edits = mainCFEdits(configuration, decision: decision, options: options)
        var expectations: [String] = []
        if files != nil {
            edits += submissionEdits(configuration, options: options)
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

    /// The given certificate, else the configured one when usable, else the first usable one found, else what
    /// the options ask to generate.
    static func certificateDecision(_ inputs: SetupInputs, names: [String], notes: inout [String],
                                    fileActions: inout [SetupFileAction]) throws -> CertificateDecision {
        if let given = inputs.given {
            let fatal = given.problems.filter { !$0.hasPrefix("it does not cover") }
            guard fatal.isEmpty else {
                throw SetupError.unusableCertificate("cannot use \(given.certificateFile): \(fatal.joined(separator: "; "))")
            }
            notes += given.problems.map { "warning: \(given.certificateFile): \($0)" }
            if let configured = inputs.configured, configured.certificateFile == given.certificateFile, configured.keyFile == given.keyFile {
                return .keep(configured)
            }
            return .use(given)
        }
        if let configured = inputs.configured, configured.usable {
            return .keep(configured)
        }
        if let configured = inputs.configured {
            notes.append("the configured certificate \(configured.certificateFile) cannot be used: \(configured.problems.joined(separator: "; "))")
        }
        for candidate in inputs.found where !candidate.usable {
            notes.append("found \(candidate.certificateFile) (\(candidate.origin)) but \(candidate.problems.joined(separator: "; "))")
        }
        if let candidate = inputs.found.first(where: \.usable) {
            return .use(candidate)
        }
        return generatedCertificate(inputs, names: names, notes: &notes, fileActions: &fileActions)
    }

    /// No usable certificate: a self-signed stopgap or a key and CSR when asked for, else none with the reason.
    static func generatedCertificate(_ inputs: SetupInputs, names: [String], notes: inout [String],
                                     fileActions: inout [SetupFileAction]) -> CertificateDecision {
        let options = inputs.options
        let host = inputs.hostname
        let tlsDir = options.effectiveTLSDirectory
        let key = tlsDir + "/\(host).key"
        // Never overwrite: an unusable pair from earlier stays for the admin to look at.
        func freshSuffix(_ companion: String) -> String {
            inputs.existingFiles.contains(key) || inputs.existingFiles.contains(companion) ? "-\(Int(inputs.now.timeIntervalSince1970))" : ""
        }
        switch options.certificate {
        case .selfSigned:
            let suffix = freshSuffix(tlsDir + "/\(host).selfsigned.pem")
            let keyPath = tlsDir + "/\(host)\(suffix).key", certPath = tlsDir + "/\(host)\(suffix).selfsigned.pem"
            fileActions.append(.generateKey(path: keyPath, spec: options.key))
            fileActions.append(.selfSignedCertificate(path: certPath, keyPath: keyPath, names: names, days: options.selfSignedDays))
            return .selfSigned(keyFile: keyPath, certificateFile: certPath)
        case .requestOnly:
            let csr = tlsDir + "/\(host).csr"
            if inputs.existingFiles.contains(key) && inputs.existingFiles.contains(csr) {
                notes.append("a key and CSR from an earlier run are in \(tlsDir): send \(csr) to your CA, then run postls setup --cert FILE --key-file \(key)")
            } else {
                let suffix = freshSuffix(csr)
                let keyPath = tlsDir + "/\(host)\(suffix).key", csrPath = tlsDir + "/\(host)\(suffix).csr"
                fileActions.append(.generateKey(path: keyPath, spec: options.key))
                fileActions.append(.certificateRequest(path: csrPath, keyPath: keyPath, names: names))
            }
            return .requestOnly(keyFile: key, requestFile: csr)
        case .automatic, .files:
            return .none(reason: "no usable certificate for \(host) was found (main.cf, \(options.letsEncryptDirectory), \(options.sslDirectory)): "
                         + "give one with --cert FILE --key-file FILE, or use --self-signed (a stopgap) or --csr-only (a key and a CSR for your CA)")
        }
    }

    /// A leaf without its intermediates, and a host name no MX can point to.
    static func certificateWarnings(_ decision: CertificateDecision, host: String) -> [String] {
        var notes: [String] = []
        if case .use(let c) = decision, c.chainLength == 1, c.info?.isSelfIssued == false {
            notes.append("warning: \(c.certificateFile) holds only the server's certificate: senders that verify need the intermediates too (use the full chain file, e.g. fullchain.pem)")
        }
        if !host.contains(".") || host.hasSuffix(".localdomain") || host.hasPrefix("localhost") {
            notes.append("warning: \(host) is not a public fully-qualified name: set myhostname (or --hostname) to the name your MX record points to")
        }
        return notes
    }

    /// main.cf: the new certificate files and only what is missing; protocols and ciphers stay at Postfix's defaults.
    static func mainCFEdits(_ configuration: PostfixConfiguration, decision: CertificateDecision, options: SetupOptions) -> [ConfigEdit] {
        var edits: [ConfigEdit] = []
        func level(_ name: String) -> String { configuration.value(name).trimmingCharacters(in: .whitespaces).lowercased() }
        func atLeastOne(_ name: String) -> Bool { (Int(configuration.value(name).trimmingCharacters(in: .whitespaces)) ?? 0) >= 1 }
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
        if decision.files != nil {
            if configuration.tls(for: nil).0.securityLevel == "none" { edits.append(.setMain(name: "smtpd_tls_security_level", value: "may")) }
            if !atLeastOne("smtpd_tls_loglevel") { edits.append(.setMain(name: "smtpd_tls_loglevel", value: "1")) }
        }
        if ["", "none"].contains(level("smtp_tls_security_level")) { edits.append(.setMain(name: "smtp_tls_security_level", value: "may")) }
        if configuration.value("smtp_tls_CAfile").isEmpty && configuration.value("smtp_tls_CApath").isEmpty {
            edits.append(.setMain(name: "smtp_tls_CAfile", value: options.caBundle))
        }
        if !atLeastOne("smtp_tls_loglevel") { edits.append(.setMain(name: "smtp_tls_loglevel", value: "1")) }
        return edits
    }

    /// master.cf: submission (STARTTLS required) and submissions (implicit TLS), each added when missing or
    /// given the one override it lacks.
    static func submissionEdits(_ configuration: PostfixConfiguration, options: SetupOptions) -> [ConfigEdit] {
        var edits: [ConfigEdit] = []
        let listeners = configuration.smtpdListeners.filter { $0.service.type == "inet" }
        let chroot = listeners.first?.service.chroot ?? "-"
        func existing(_ serviceName: String) -> SMTPDListener? {
            let wanted = ListenAddress(serviceName: serviceName)
            return listeners.first { $0.service.name == serviceName }
                ?? listeners.first { $0.listen.port != nil && $0.listen.port == wanted.port && ($0.listen.host == nil || $0.listen.host == wanted.host || wanted.host == nil) }
        }
        if let sub = existing(options.submissionService) {
            if sub.tls.securityLevel != "encrypt" || sub.tls.wrappermode {
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
        return edits
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
}
