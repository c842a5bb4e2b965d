import Foundation
import PostlsCore
import TLSKit

/// The certificate and key files smtpd listeners use: missing, unreadable, not PEM, key not matching,
/// expired or expiring, self-signed or untrusted, leaf without its intermediates, weak key or SHA-1
/// signature, names that do not cover myhostname.
public struct CertificateFilesRule: LintRule {
    public init() {}
    public var ids: [String] {
        ["certificate_missing", "certificate_unreadable", "certificate_not_pem", "key_mismatch", "certificate_expired",
         "certificate_not_yet_valid", "certificate_expiring", "self_signed_certificate", "untrusted_certificate",
         "incomplete_chain", "weak_key", "weak_signature", "name_mismatch"]
    }

    /// One certificate + key the server loads, with the settings that name them.
    struct Pair {
        var certFile: String
        var keyFile: String
        var certParameter: String
        var keyParameter: String
        var service: MasterCF.Service
    }

    public func check(_ context: LintContext) -> [Finding] {
        let config = context.configuration
        var pairs: [Pair] = []
        var seen = Set<String>()
        for listener in config.smtpdListeners where listener.tls.securityLevel != "none" || listener.tls.wrappermode {
            if !listener.tls.chainFiles.isEmpty {
                // Each chain file holds a key followed by its certificates (or a key file then a cert file).
                let files = listener.tls.chainFiles
                var index = 0
                while index < files.count {
                    let first = files[index]
                    let firstHasCert = ((try? Certificate.load(pemFile: first)) ?? []).isEmpty == false
                    if !firstHasCert, index + 1 < files.count {
                        pairs.append(Pair(certFile: files[index + 1], keyFile: first, certParameter: "smtpd_tls_chain_files",
                                          keyParameter: "smtpd_tls_chain_files", service: listener.service))
                        index += 2
                    } else {
                        pairs.append(Pair(certFile: first, keyFile: first, certParameter: "smtpd_tls_chain_files",
                                          keyParameter: "smtpd_tls_chain_files", service: listener.service))
                        index += 1
                    }
                }
            } else {
                for (index, cert) in listener.tls.certFiles.enumerated() {
                    let names = [("smtpd_tls_cert_file", "smtpd_tls_key_file"), ("smtpd_tls_eccert_file", "smtpd_tls_eckey_file"),
                                 ("smtpd_tls_dcert_file", "smtpd_tls_dkey_file")]
                    let (certParameter, keyParameter) = names.first { config.value($0.0, service: listener.service) == cert } ?? names[min(index, 2)]
                    pairs.append(Pair(certFile: cert, keyFile: listener.tls.keyFiles[index], certParameter: certParameter,
                                      keyParameter: keyParameter, service: listener.service))
                }
            }
        }
        var out: [Finding] = []
        for pair in pairs where seen.insert(pair.certFile + "\u{0}" + pair.keyFile).inserted {
            out += check(pair, context)
        }
        if let dovecot = context.dovecot { out += checkDovecot(dovecot, context) }
        return out
    }

    /// Where a finding points: a Postfix source or a Dovecot file and line.
    enum Location {
        case postfix(PostfixConfiguration.Source?)
        case file(String, Int)
    }

    private func finding(_ id: String, _ cause: Cause, _ severity: Severity, source: Location, parameter: String, _ message: String) -> Finding {
        switch source {
        case .postfix(let source): return PostfixConfig.finding(id, cause, severity, source: source, parameter: parameter, message)
        case .file(let file, let line): return Finding(id: id, cause: cause, severity: severity, file: file, line: line, parameter: parameter, message: message, server: .dovecot)
        }
    }

    private func loadProblem(_ error: Error, path: String, parameter: String, what: String, source: Location) -> Finding {
        // Not root, and the file or its folder is closed to us: smtpd and Dovecot read it as root, so nothing is known
        // to be wrong; say what needs root instead of reporting a failure the server may not have.
        if geteuid() != 0, CertificateFilesRule.permissionDenied(path) {
            return finding("certificate_needs_root", .unclassified, .info, source: source, parameter: parameter,
                           "\(path) (\(parameter)) cannot be checked: \(CertificateFilesRule.userName) may not read it (Permission denied), "
                           + "while the mail server reads it as root. Run postls as root to check this \(what).")
        }
        // What the server does about it: Postfix's smtpd goes on without TLS; Dovecot refuses to start its logins.
        let daemon: String, consequence: String
        if case .file = source {
            // 2.3 reads `<file` values when its config process starts (doveconf -x shows the same error).
            daemon = "Dovecot"
            consequence = "Dovecot cannot load it (2.3 stops at startup with \"Can't open file\" or \"Failed to initialize SSL server context\"; 2.4 fails the TLS handshakes that need it)"
        } else {
            daemon = "smtpd"; consequence = "smtpd disables TLS"
        }
        if case TLSKitError.file(_, let code) = error, code == ENOENT {
            return finding("certificate_missing", .certificateUnreadable, .critical, source: source, parameter: parameter,
                           daemon == "smtpd" ? "\(path) (\(parameter)) does not exist: smtpd logs \"cannot get \(what)\" and disables TLS."
                                : "\(path) (\(parameter)) does not exist: \(consequence).")
        }
        let isText = (try? LocalFileSystem().read(path)).map { !$0.contains(0) && !String(decoding: $0, as: UTF8.self).contains("-----BEGIN") } ?? false
        if case TLSKitError.notPEM = error {
            return finding("certificate_not_pem", .certificateUnreadable, .critical, source: source, parameter: parameter,
                           "\(path) (\(parameter)) holds no PEM \(what) (\"no start line\"): \(consequence). Convert DER files with openssl x509 -inform der.")
        }
        if isText || (try? LocalFileSystem().read(path))?.first == 0x30 {
            return finding("certificate_not_pem", .certificateUnreadable, .critical, source: source, parameter: parameter,
                           "\(path) (\(parameter)) holds no PEM \(what) (\(error)): \(consequence).")
        }
        return finding("certificate_unreadable", .certificateUnreadable, .critical, source: source, parameter: parameter,
                       "\(path) (\(parameter)) cannot be read as a \(what): \(error). \(consequence.prefix(1).uppercased() + consequence.dropFirst()).")
    }

    /// Whether opening `path` for reading fails with EACCES (the file, or a folder on its way, is closed to us).
    static func permissionDenied(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd >= 0 { close(fd); return false }
        return errno == EACCES
    }

    static var userName: String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return "uid \(geteuid())" }
        return "user " + String(cString: name)
    }

    private func check(_ pair: Pair, _ context: LintContext) -> [Finding] {
        let config = context.configuration
        return inspect(certFile: pair.certFile, keyFile: pair.keyFile, certParameter: pair.certParameter, keyParameter: pair.keyParameter,
                       certSource: .postfix(config.raw(pair.certParameter, service: pair.service)?.source),
                       keySource: .postfix(config.raw(pair.keyParameter, service: pair.service)?.source),
                       hostName: config.value("myhostname"), context)
    }

    /// Dovecot's certificate and key (2.3 `ssl_cert = <file`, 2.4 `ssl_server_cert_file`).
    func checkDovecot(_ dovecot: DovecotConfig, _ context: LintContext) -> [Finding] {
        let ssl = dovecot.ssl()
        guard ssl.ssl != "no", let cert = ssl.certFile else { return [] }
        let certSetting = dovecot.setting("ssl_server_cert_file") ?? dovecot.setting("ssl_cert")
        let keySetting = dovecot.setting("ssl_server_key_file") ?? dovecot.setting("ssl_key")
        var out = inspect(certFile: cert, keyFile: ssl.keyFile ?? cert, certParameter: certSetting?.key ?? "ssl_cert", keyParameter: keySetting?.key ?? "ssl_key",
                          certSource: .file(certSetting?.file ?? dovecot.path, certSetting?.line ?? 0),
                          keySource: .file(keySetting?.file ?? dovecot.path, keySetting?.line ?? 0),
                          hostName: context.configuration.value("myhostname"), context)
        // Certificates of filters (per local address, per SNI name, per protocol) are served too, and
        // expire or mismatch on their own.
        var checked: Set<[String]> = [[cert, ssl.keyFile ?? cert]]
        for filter in dovecot.certificateFilters where filter.ssl.ssl != "no" {
            guard let filterCert = filter.ssl.certFile else { continue }
            let filterKey = filter.ssl.keyFile ?? filterCert
            guard checked.insert([filterCert, filterKey]).inserted else { continue }
            let query = filter.criteria.representativeQuery
            let certAt = dovecot.setting("ssl_server_cert_file", for: query) ?? dovecot.setting("ssl_cert", for: query)
            let keyAt = dovecot.setting("ssl_server_key_file", for: query) ?? dovecot.setting("ssl_key", for: query)
            let scope = " (\(filter.criteria))"
            // The name a client asks for in a local_name filter is what the certificate must cover.
            let host = query.localName ?? context.configuration.value("myhostname")
            out += inspect(certFile: filterCert, keyFile: filterKey, certParameter: (certAt?.key ?? "ssl_cert") + scope,
                           keyParameter: (keyAt?.key ?? "ssl_key") + scope,
                           certSource: .file(certAt?.file ?? filter.section.file, certAt?.line ?? filter.section.line),
                           keySource: .file(keyAt?.file ?? filter.section.file, keyAt?.line ?? filter.section.line),
                           hostName: host, context)
        }
        return out
    }

    private func inspect(certFile: String, keyFile: String, certParameter: String, keyParameter: String, certSource: Location, keySource: Location,
                         hostName host: String, _ context: LintContext) -> [Finding] {
        let pair: FilePair = (certFile: certFile, keyFile: keyFile, certParameter: certParameter, keyParameter: keyParameter)
        // Each server's own words: its log line for a wrong key, its reload, and who checks the name.
        let isDovecot: Bool
        if case .file = certSource { isDovecot = true } else { isDovecot = false }
        let mismatchLog = isDovecot ? "Dovecot: \"Key is for a different cert than ssl_cert\"" : "smtpd: \"key values mismatch\""
        let reload = isDovecot ? "doveadm reload" : "postfix reload"
        let nameText = isDovecot ? "\(host), the name mail clients connect to" : "myhostname \(host)"
        let whoChecks = isDovecot ? "mail clients that check the server name reject it" : "peers that check the MX name reject it"
        if !context.fileSystem.exists(pair.certFile) {
            return [loadProblem(TLSKitError.file(path: pair.certFile, errno: ENOENT), path: pair.certFile, parameter: pair.certParameter,
                                what: "certificate", source: certSource)]
        }
        let certificates: [Certificate]
        do { certificates = try Certificate.load(pemFile: pair.certFile) } catch {
            return [loadProblem(error, path: pair.certFile, parameter: pair.certParameter, what: "certificate", source: certSource)]
        }
        guard let leaf = certificates.first else { return [] }
        var out = keyFindings(pair, leaf: leaf, source: keySource, mismatchLog: mismatchLog, context)
        // Validity.
        let now = context.clock.now()
        let days = leaf.info.daysUntilExpiry(from: now)
        if leaf.notAfter < now {
            out.append(finding("certificate_expired", .expiredCertificate, .critical, source: certSource, parameter: pair.certParameter,
                               "the certificate in \(pair.certFile) expired on \(TimeFormat.iso8601(leaf.notAfter)): verifying peers reject it. Renew it and run \(reload)."))
        } else if leaf.notBefore > now {
            out.append(finding("certificate_not_yet_valid", .expiredCertificate, .critical, source: certSource, parameter: pair.certParameter,
                               "the certificate in \(pair.certFile) is not valid before \(TimeFormat.iso8601(leaf.notBefore)) (check the clock)."))
        } else if days <= context.expiryWarningDays {
            out.append(finding("certificate_expiring", .expiredCertificate, .warning, source: certSource, parameter: pair.certParameter,
                               "the certificate in \(pair.certFile) expires in \(days) day\(days == 1 ? "" : "s") (\(TimeFormat.iso8601(leaf.notAfter))): renew it."))
        }
        // Trust and chain completeness (skipped for expired certificates: the date already explains the failure).
        if leaf.notAfter >= now && leaf.notBefore <= now {
            out += trustFindings(pair, chain: certificates, source: certSource, now: now, context)
        }
        // Strength.
        if leaf.keyType.uppercased().contains("RSA") && leaf.keyBits < 2048 {
            out.append(finding("weak_key", .weakCertificate, .warning, source: certSource, parameter: pair.certParameter,
                               "the certificate in \(pair.certFile) has a \(leaf.keyBits)-bit RSA key: OpenSSL at security level 2 rejects it (\"ee key too small\"). Use RSA 2048+ or ECDSA P-256."))
        }
        if leaf.signatureAlgorithm.lowercased().contains("sha1") || leaf.signatureAlgorithm.lowercased().contains("md5") {
            out.append(finding("weak_signature", .weakCertificate, .warning, source: certSource, parameter: pair.certParameter,
                               "the certificate in \(pair.certFile) is signed with \(leaf.signatureAlgorithm): modern peers reject SHA-1 signatures (\"ca md too weak\")."))
        }
        // Names.
        if !host.isEmpty && !leaf.covers(host: host) {
            out.append(finding("name_mismatch", .nameMismatch, .warning, source: certSource, parameter: pair.certParameter,
                               "the certificate in \(pair.certFile) does not cover \(nameText) (it names \(([leaf.commonName].compactMap { $0 } + leaf.subjectAltNames).joined(separator: ", "))): \(whoChecks)."))
        }
        return out
    }

    typealias FilePair = (certFile: String, keyFile: String, certParameter: String, keyParameter: String)

    /// The key: there, readable, and the certificate's.
    private func keyFindings(_ pair: FilePair, leaf: Certificate, source keySource: Location, mismatchLog: String, _ context: LintContext) -> [Finding] {
        guard context.fileSystem.exists(pair.keyFile) else {
            return [loadProblem(TLSKitError.file(path: pair.keyFile, errno: ENOENT), path: pair.keyFile, parameter: pair.keyParameter,
                                what: "private key", source: keySource)]
        }
        do {
            let key = try PrivateKey.load(pemFile: pair.keyFile)
            guard !key.matches(leaf) else { return [] }
            return [finding("key_mismatch", .keyMismatch, .critical, source: keySource, parameter: pair.keyParameter,
                            "the private key \(pair.keyFile) does not belong to the certificate \(pair.certFile) (\(mismatchLog)); TLS fails.")]
        } catch {
            return [loadProblem(error, path: pair.keyFile, parameter: pair.keyParameter, what: "private key", source: keySource)]
        }
    }

    /// Trust and chain completeness of a certificate within its dates.
    private func trustFindings(_ pair: FilePair, chain certificates: [Certificate], source certSource: Location, now: Date,
                               _ context: LintContext) -> [Finding] {
        guard let leaf = certificates.first else { return [] }
        let result = try? ChainVerifier.verify(leaf: leaf, intermediates: Array(certificates.dropFirst()), trust: context.trustAnchors, at: now)
        switch result?.code {
        case VerifyCode.depthZeroSelfSigned?:
            return [finding("self_signed_certificate", .untrustedCertificate, .warning, source: certSource, parameter: pair.certParameter,
                            "the certificate in \(pair.certFile) is self-signed: peers that verify (DANE, MTA-STS, mail clients) reject it. Use a certificate from a public CA (ACME).")]
        case VerifyCode.unableToGetIssuerCertLocally?, VerifyCode.unableToVerifyLeafSignature?, VerifyCode.unableToGetIssuerCert?:
            if certificates.count == 1 && !leaf.isSelfIssued {
                return [finding("incomplete_chain", .incompleteChain, .warning, source: certSource, parameter: pair.certParameter,
                                "\(pair.certFile) holds only the server certificate, without the intermediate CA certificate(s) that issued it: peers cannot build the chain. Point \(pair.certParameter) at the full chain (leaf first, e.g. fullchain.pem).")]
            }
            return [finding("untrusted_certificate", .untrustedCertificate, .warning, source: certSource, parameter: pair.certParameter,
                            "the chain in \(pair.certFile) does not lead to a trusted root (\(result?.message ?? "")): verifying peers reject it.")]
        case VerifyCode.selfSignedInChain?:
            return [finding("untrusted_certificate", .untrustedCertificate, .warning, source: certSource, parameter: pair.certParameter,
                            "the chain in \(pair.certFile) ends in a root that is not trusted here (\(result?.message ?? "")): verifying peers reject it.")]
        default:
            return []
        }
    }
}
