import Foundation
import MailDNS
import MailLog
import PostfixConfig
import PostlsCore
import TLSKit
import TLSProbe

/// Turns a diagnosis into concrete fixes: config edits (as diffs), file actions, commands.
struct FixPlanner {
    let input: DiagnosisInput

    /// Postfix's fixes for the Postfix evidence, Dovecot's (advice only) for Dovecot's: a Dovecot certificate never
    /// gets an smtpd_* edit, and a Postfix problem never a Dovecot one.
    func fixes(for diagnosis: Diagnosis, findings: [Finding]) -> [Fix] {
        var out: [Fix] = []
        if diagnosis.servers.contains(.postfix) {
            out += postfixFixes(for: diagnosis, findings: findings.filter { $0.server == .postfix })
        }
        if diagnosis.sources.contains(.dns) { out += dnsRecordFixes(for: diagnosis) }
        if diagnosis.servers.contains(.dovecot) {
            let events = input.logEvents.filter { $0.kind == .dovecot && $0.cause == diagnosis.cause }
            out += DovecotFixPlanner(input: input).fixes(cause: diagnosis.cause, findings: findings.filter { $0.server == .dovecot }, events: events)
        }
        return out
    }

    func postfixFixes(for diagnosis: Diagnosis, findings: [Finding]) -> [Fix] {
        var out: [Fix] = []
        let cause = diagnosis.cause
        // 1. Edits the linter proposed for this cause, one fix per distinct edit.
        var seen: Set<ConfigEdit> = []
        for finding in findings {
            guard let edit = finding.fix, !seen.contains(edit) else { continue }
            seen.insert(edit)
            var edits = [edit]
            // Wrapper mode toward a relay needs TLS to be mandatory too, or the client refuses it
            // ("SMTPS wrappermode (TCP port 465) requires setting smtp_tls_security_level = encrypt").
            if cause == .wrappermodeMismatch, edit == .setMain(name: "smtp_tls_wrappermode", value: "yes"),
               let configuration = input.configuration,
               !["encrypt", "verify", "secure", "fingerprint", "dane-only"].contains(configuration.value("smtp_tls_security_level").lowercased()) {
                edits.append(.setMain(name: "smtp_tls_security_level", value: "encrypt"))
            }
            let title = edits.map(\.summary).joined(separator: "; ")
            if let fix = configFix(cause: cause, title: title, edits: edits) { out.append(fix) }
        }
        // 2. Fixes by cause that need no lint finding.
        switch cause {
        case .staleCertificate:
            out.append(makeFix(cause: cause, title: "Reload Postfix so new smtpd processes serve the renewed certificate",
                               kind: .command, commands: [reloadCommand], applicable: input.configuration != nil))
        case .incompleteChain:
            if let chainFix = fullChainFix() { out.append(chainFix) }
        case .keyMismatch, .certificateUnreadable:
            out += matchingKeyFixes(cause: cause)
            if cause == .certificateUnreadable && noCertificateConfigured { out.append(setupFix(cause: cause)) }
        case .starttlsUnavailable where noCertificateConfigured:
            // First-time TLS: enabling STARTTLS needs a certificate first, which postls setup finds or makes.
            out.append(setupFix(cause: cause))
        case .plaintextOnTLSPort where out.isEmpty:
            // The server is right: clients must change. Advice only, nothing to apply.
            let ports = logPorts(cause: cause)
            out.append(makeFix(cause: cause, title: "Clients must start TLS at once on \(ports) (implicit TLS), or use STARTTLS on port 587",
                               kind: .command,
                               commands: ["# in the mail client: security \"SSL/TLS\" for port \(ports), or \"STARTTLS\" for port 587",
                                          "# test: swaks --server THIS-HOST --port \(ports) --tls-on-connect --quit-after EHLO"],
                               applicable: false))
        case .untrustedCertificate, .expiredCertificate, .nameMismatch, .weakCertificate:
            out.append(certificateRequestFix(cause: cause))
        case .portNotListening, .portFiltered:
            out += reachabilityFixes(cause: cause)
        case .remoteCertificateUnverified, .remoteCertificateExpired, .remoteNameMismatch, .remoteTLSUnavailable:
            // The linter's CA bundle edit comes first; the same edit is not proposed twice.
            for fix in outboundFixes(cause: cause) where fix.edits.isEmpty || !out.contains(where: { $0.edits == fix.edits }) { out.append(fix) }
        // handshake_timeout gets no fix: the remedy is in the firewall or the network (ICMPv6, MTU, MSS), which
        // postls neither sees nor can test; the diagnosis says where to look instead.
        default:
            break
        }
        return out
    }

    /// The ports of the listeners whose log label the events of `cause` carry, for advice ("465").
    func logPorts(cause: Cause) -> String {
        let services = Set(input.logEvents.filter { $0.cause == cause }.compactMap(\.service))
        let ports = (input.configuration?.smtpdListeners ?? []).filter { services.contains($0.logServiceLabel) }.compactMap(\.listen.port)
        return ports.isEmpty ? "465" : Set(ports).sorted().map(String.init).joined(separator: ", ")
    }

    /// The key that belongs to a listener's certificate, found beside the certificate or the configured key, when the
    /// configured key is missing, unreadable or another certificate's: an edit that points the key setting at it.
    func matchingKeyFixes(cause: Cause) -> [Fix] {
        guard let configuration = input.configuration else { return [] }
        var out: [Fix] = []
        for listener in configuration.smtpdListeners where listener.tls.chainFiles.isEmpty {
            for (index, certFile) in listener.tls.certFiles.enumerated() where index < listener.tls.keyFiles.count {
                let keyFile = listener.tls.keyFiles[index]
                guard let leaf = try? Certificate.load(pemFile: certFile).first else { continue }
                if let key = try? PrivateKey.load(pemFile: keyFile), key.matches(leaf) { continue }
                let keyParameter = ["smtpd_tls_key_file", "smtpd_tls_eckey_file", "smtpd_tls_dkey_file"][min(index, 2)]
                guard let found = MatchingKey.find(for: leaf, certFile: certFile, keyFile: keyFile) else { continue }
                let edit: ConfigEdit
                if case .masterCF? = listener.sources[keyParameter] {
                    edit = .setOverride(service: listener.service.name, type: listener.service.type, name: keyParameter, value: found)
                } else {
                    edit = .setMain(name: keyParameter, value: found)
                }
                guard !out.contains(where: { $0.edits == [edit] }),
                      var fix = configFix(cause: cause, title: "Use the key that belongs to \(certFile): \(keyParameter) = \(found)", edits: [edit]) else { continue }
                fix.impact = "\(found) holds the private key of the certificate in \(certFile) (checked); \(keyFile) does not"
                out.append(fix)
            }
        }
        return out
    }

    var reloadCommand: String {
        guard let dir = input.configuration?.directory, dir != "/etc/postfix" else { return "postfix reload" }
        return "postfix -c \(dir) reload"
    }

    /// A config-edit fix with its diff, or nil when the edits do not apply to the files as read.
    func configFix(cause: Cause, title: String, edits: [ConfigEdit]) -> Fix? {
        guard let configuration = input.configuration else {
            return makeFix(cause: cause, title: title, kind: .configEdit, edits: edits, applicable: false)
        }
        guard let files = try? ConfigApplier.preview(edits, on: configuration), !files.isEmpty else { return nil }
        var fix = makeFix(cause: cause, title: title, kind: .configEdit, edits: edits, applicable: true)
        fix.diff = files.map(\.diff).joined()
        fix.impact = impact(of: edits, cause: cause)
        fix.ports = ports(affectedBy: edits, configuration: configuration)
        return fix
    }

    /// Who the change affects, from the logs: before tightening protocols, the real peers that would lose TLS;
    /// before loosening, the peers that failed and would now get TLS.
    func impact(of edits: [ConfigEdit], cause: Cause) -> String? {
        guard let summary = input.logSummary else { return nil }
        for edit in edits {
            guard edit.parameter.hasSuffix("_protocols"), case let value? = edit.newValue else { continue }
            let floor = TLSProtocolSet(value).floor ?? "TLSv1"
            let losing = summary.peers(usingProtocolBelow: floor)
            if cause == .protocolMismatch {
                let failed = input.logEvents.filter { $0.cause == .protocolMismatch }
                let peers = Set(failed.compactMap { $0.peer?.domain ?? $0.peer?.name })
                var text = "\(failed.count) failed session\(failed.count == 1 ? "" : "s") in the logs (\(peers.sorted().prefix(5).joined(separator: ", "))) would get TLS after this change"
                if !losing.isEmpty { text += "; \(losing.count) peers still use protocols below \(floor)" }
                return text
            }
            if losing.isEmpty { return "no peer in the logs used a protocol below \(floor): nobody loses TLS" }
            let names = losing.prefix(5).map { "\($0.peer) (\($0.lowestProtocol))" }
            return "\(losing.count) peer\(losing.count == 1 ? "" : "s") in the logs used a protocol below \(floor) and would lose TLS: \(names.joined(separator: ", "))"
        }
        return nil
    }

    func ports(affectedBy edits: [ConfigEdit], configuration: PostfixConfiguration) -> [Int] {
        let listeners = configuration.smtpdListeners
        var ports: Set<Int> = []
        for edit in edits {
            switch edit {
            case .setOverride(let service, let type, _, _), .removeOverride(let service, let type, _):
                for l in listeners where l.service.name == service && l.service.type == type { if let p = l.listen.port { ports.insert(p) } }
            default:
                for l in listeners { if let p = l.listen.port { ports.insert(p) } }
            }
        }
        return ports.sorted()
    }

    /// The full chain from the leaf in the configured file and intermediates found beside it (or served by
    /// another listener), verified before use; then an edit that points Postfix at it.
    func fullChainFix() -> Fix? {
        guard let configuration = input.configuration else { return nil }
        for listener in configuration.smtpdListeners {
            let source = listener.tls.chainFiles.isEmpty ? "smtpd_tls_cert_file" : "smtpd_tls_chain_files"
            guard source == "smtpd_tls_cert_file", let certFile = listener.tls.certFiles.first,
                  let certs = try? Certificate.load(pemFile: certFile), let leaf = certs.first, certs.count == 1 else { continue }
            let directory = (certFile as NSString).deletingLastPathComponent
            let chain = Self.issuerChain(of: leaf, in: directory).map(\.certificate)
            guard chain.count > 1 else { continue }
            let newPath = Self.fullChainPath(for: certFile)
            let edits: [ConfigEdit]
            if case .masterCF? = listener.sources["smtpd_tls_cert_file"] {
                edits = [.setOverride(service: listener.service.name, type: listener.service.type, name: "smtpd_tls_cert_file", value: newPath)]
            } else {
                edits = [.setMain(name: "smtpd_tls_cert_file", value: newPath)]
            }
            guard var fix = configFix(cause: .incompleteChain, title: "Serve the full chain: \(newPath) (leaf, then \(chain.count - 1) intermediate\(chain.count == 2 ? "" : "s"))", edits: edits) else { continue }
            fix.kind = .file
            fix.files = [Fix.FileAction(path: newPath, contents: chain.map(\.pem).joined(),
                                        explanation: "the leaf from \(certFile) followed by its issuer\(chain.count > 2 ? "s" : "") found in \(directory), in order")]
            fix.commands = ["cat \(certFile) \(chain.dropFirst().map { _ in "INTERMEDIATE.pem" }.joined(separator: " ")) > \(newPath)"]
            return fix
        }
        return nil
    }

    /// The leaf, then the certificates found in `directory` that issued it, in order, up to (not including) a
    /// self-issued root, which is not served; each with the file it was found in (a file holding that certificate
    /// alone first, so `cat` of the files builds the chain).
    static func issuerChain(of leaf: Certificate, in directory: String) -> [(certificate: Certificate, file: String, alone: Bool)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [(leaf, "", true)] }
        let candidates = names.sorted().map { name in (name, (try? Certificate.load(pemFile: directory + "/" + name)) ?? []) }
            .sorted { ($0.1.count == 1 ? 0 : 1, $0.0) < ($1.1.count == 1 ? 0 : 1, $1.0) }
            .flatMap { name, certificates in certificates.map { (certificate: $0, file: directory + "/" + name, alone: certificates.count == 1) } }
        var chain: [(certificate: Certificate, file: String, alone: Bool)] = [(leaf, "", true)]
        var current = leaf
        // Walk up: find the certificate that issued the current one, until a self-issued root.
        for _ in 0..<4 {
            guard let issuer = candidates.first(where: { current.isIssued(by: $0.certificate) && $0.certificate.sha256Fingerprint != current.sha256Fingerprint }),
                  !issuer.certificate.isSelfIssued else { break }  // roots are not served
            chain.append(issuer)
            current = issuer.certificate
        }
        return chain
    }

    /// `leaf.pem` → `leaf.fullchain.pem`.
    static func fullChainPath(for certFile: String) -> String {
        certFile.hasSuffix(".pem") ? String(certFile.dropLast(4)) + ".fullchain.pem" : certFile + ".fullchain.pem"
    }

    /// No public smtpd listener has a certificate configured (smtpd_tls_cert_file, smtpd_tls_chain_files).
    var noCertificateConfigured: Bool {
        guard let configuration = input.configuration else { return false }
        let listeners = configuration.smtpdListeners.filter { !$0.listen.isLoopback }
        return !listeners.isEmpty && listeners.allSatisfy { $0.tls.certFiles.isEmpty }
    }

    /// TLS from scratch: `postls setup` finds a certificate or makes a key (with a CSR or a self-signed stopgap),
    /// then enables TLS on 25, 587 and 465 with a backup, `postfix check`, a reload and a probe.
    func setupFix(cause: Cause) -> Fix {
        let dir = input.configuration?.directory ?? "/etc/postfix"
        return makeFix(cause: cause, title: "Set up TLS with postls setup: a certificate, STARTTLS on 25 and 587, implicit TLS on 465",
                       kind: .command,
                       commands: ["postls setup --config-dir \(dir) --dry-run    # the plan and the main.cf/master.cf diff; writes nothing",
                                  "postls setup --config-dir \(dir)              # asks first; backs up, runs postfix check, reloads, probes",
                                  "# no certificate yet: add --csr-only (a key and a CSR for your CA) or --self-signed (a stopgap)"],
                       applicable: false)
    }

    /// A new key and CSR with the names peers use; postls never handles the CA's side.
    func certificateRequestFix(cause: Cause) -> Fix {
        let host = input.configuration?.value("myhostname") ?? "mail.example.org"
        let names = [host]
        let dir = input.configuration?.directory ?? "/etc/postfix"
        let san = names.map { "DNS:\($0)" }.joined(separator: ",")
        return makeFix(cause: cause, title: "Get a certificate from a public CA whose names cover \(names.joined(separator: ", "))",
                       kind: .command,
                       commands: ["openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout \(dir)/\(host).key -out \(dir)/\(host).csr -subj /CN=\(host) -addext subjectAltName=\(san)",
                                  "# or with an ACME client, e.g.: certbot certonly --standalone -d \(host)",
                                  "# then: smtpd_tls_chain_files = \(dir)/\(host).key, /path/to/fullchain.pem; \(reloadCommand)"],
                       applicable: false)
    }

    /// The DNS engine's suggested records that answer a DNS diagnosis: a stale or missing TLSA its host's records
    /// (the served key, and the next key on disk during a rollover), an MTA-STS problem the policy and its TXT.
    func dnsRecordFixes(for diagnosis: Diagnosis) -> [Fix] {
        let hosts = Set(input.dnsFindings.filter { $0.cause == diagnosis.cause }.compactMap(\.host))
        let records: [RecordSuggestion]
        switch diagnosis.cause {
        case .daneMismatch:
            records = input.dnsSuggestions.filter { s in s.kind == .tlsa && hosts.contains { s.name == DANE.ownerName(mxHost: $0) } }
        case .mtaSTSMismatch:
            records = input.dnsSuggestions.filter { $0.kind == .mtaSTSPolicy || $0.kind == .mtaSTSRecord }
        default:
            records = []
        }
        guard !records.isEmpty else { return [] }
        let names = records.map { $0.type == "file" ? "the MTA-STS policy file" : "\($0.type) at \($0.name)" }
        var unique: [String] = []
        for n in names where !unique.contains(n) { unique.append(n) }
        var fix = makeFix(cause: diagnosis.cause, title: "Publish " + unique.joined(separator: ", "), kind: .dnsRecord, applicable: false)
        // The MTA-STS id is a time stamp: the id follows the records, not the run.
        fix.id = Self.id(cause: diagnosis.cause, key: records.filter { $0.kind != .mtaSTSRecord }.map { $0.name + " " + $0.value }.joined(separator: ";"))
        fix.records = records
        return [fix]
    }

    func makeFix(cause: Cause, title: String, kind: FixKind, commands: [String] = [], edits: [ConfigEdit] = [], applicable: Bool) -> Fix {
        Fix(id: Self.id(cause: cause, key: title + edits.map(\.summary).joined(separator: ";")), title: title, kind: kind, cause: cause,
            diff: nil, commands: commands, edits: edits, impact: nil, applicable: applicable, ports: [], files: [])
    }

    /// `<cause>-<6 hex>`: the same problem and change give the same id on every run, so `fix apply ID` works
    /// from a later invocation.
    static func id(cause: Cause, key: String) -> String {
        var hash: UInt32 = 0x811C9DC5
        for byte in (cause.rawValue + "|" + key).utf8 { hash = (hash ^ UInt32(byte)) &* 0x01000193 }
        return "\(cause.rawValue)-" + String(format: "%06x", hash & 0xFFFFFF)
    }
}

extension ConfigEdit {
    /// The value an edit sets, nil for removals.
    var newValue: String? {
        switch self {
        case .setMain(_, let value), .setOverride(_, _, _, let value): return value
        default: return nil
        }
    }
}

/// The private key that belongs to a certificate, looked for beside the certificate and the configured key.
enum MatchingKey {
    /// A file other than `keyFile` in the certificate's or the key's directory whose key matches `leaf`; files
    /// named like keys first (a .key beats a combined .pem), then by name.
    static func find(for leaf: Certificate, certFile: String, keyFile: String) -> String? {
        for directory in Set([(certFile as NSString).deletingLastPathComponent, (keyFile as NSString).deletingLastPathComponent]).sorted() {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted {
                ($0.hasSuffix(".key") ? 0 : 1, $0) < ($1.hasSuffix(".key") ? 0 : 1, $1)
            }
            if let found = names.lazy.map({ directory + "/" + $0 })
                .first(where: { $0 != keyFile && ((try? PrivateKey.load(pemFile: $0))?.matches(leaf) ?? false) }) {
                return found
            }
        }
        return nil
    }
}
