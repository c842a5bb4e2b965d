import Foundation
import PostlsCore
import TLSKit

/// Counts the ciphers an OpenSSL cipher string selects, to find settings that leave none.
public protocol CipherListEvaluator: Sendable {
    /// Number of TLS 1.2 ciphers `list` selects; nil when it cannot be evaluated.
    func cipherCount(_ list: String) -> Int?
}

/// Evaluates cipher strings with `openssl ciphers -s -tls1_2` (the system OpenSSL).
public struct OpenSSLCipherEvaluator: CipherListEvaluator {
    let runner: ProcessRunner
    public init(runner: ProcessRunner) { self.runner = runner }
    public func cipherCount(_ list: String) -> Int? {
        guard let output = try? runner.run("openssl", ["ciphers", "-s", "-tls1_2", list], timeout: 10) else { return nil }
        if output.succeeded {
            return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":").count
        }
        return output.stderr.contains("no cipher match") ? 0 : nil
    }
}

/// Everything a lint rule may look at. Side effects (files, processes, clock) come in through here.
public struct LintContext: Sendable {
    public var configuration: PostfixConfiguration
    public var cipherEvaluator: CipherListEvaluator?
    public var fileSystem: ConfigFileSystem
    public var clock: WallClock
    /// Roots for checking certificate chains (`--ca-file`), the system store by default.
    public var trustAnchors: TrustAnchors
    /// Days before expiry that make a warning.
    public var expiryWarningDays: Int
    /// Dovecot's configuration, when postls read one (its certificate files and ssl settings are checked too).
    public var dovecot: DovecotConfig?
    /// What the installed `doveconf` said about it (`DovecotConfig.validate`), when it refused it.
    public var dovecotValidation: DovecotValidation?
    /// The installed Dovecot's version (`DovecotConfig.installedVersion`), when postls asked.
    public var dovecotVersion: String?
    /// Ports that receive mail from the internet besides 25 on a public address (`--smtp-port`, e.g. behind a
    /// port forward): a listener on one of them is the public MX even when it is bound to loopback.
    public var publicSMTPPorts: Set<Int>

    public init(configuration: PostfixConfiguration, cipherEvaluator: CipherListEvaluator? = nil,
                fileSystem: ConfigFileSystem = LocalFileSystem(), clock: WallClock = SystemClock(),
                trustAnchors: TrustAnchors = .system, expiryWarningDays: Int = 14, publicSMTPPorts: Set<Int> = [],
                dovecot: DovecotConfig? = nil) {
        self.dovecot = dovecot
        self.configuration = configuration; self.cipherEvaluator = cipherEvaluator
        self.fileSystem = fileSystem; self.clock = clock
        self.trustAnchors = trustAnchors; self.expiryWarningDays = expiryWarningDays
        self.publicSMTPPorts = publicSMTPPorts
    }

    /// Whether `listener` receives mail from the internet (the MX rules apply to it).
    public func isPublicMX(_ listener: SMTPDListener) -> Bool {
        listener.isPublicSMTP || listener.listen.port.map(publicSMTPPorts.contains) == true
    }
}

/// One check over the configuration.
public protocol LintRule: Sendable {
    /// Rule ids this rule can emit (a rule may emit more than one id).
    var ids: [String] { get }
    func check(_ context: LintContext) -> [Finding]
}

/// A rule that judges each smtpd listener on its own; the loop over the listeners is written once, here.
public protocol ListenerLintRule: LintRule {
    func check(_ listener: SMTPDListener, in context: LintContext) -> [Finding]
}

extension ListenerLintRule {
    public func check(_ context: LintContext) -> [Finding] {
        context.configuration.smtpdListeners.flatMap { check($0, in: context) }
    }
}

/// Runs every rule and returns the findings sorted for a report.
public struct Linter: Sendable {
    public var rules: [LintRule]
    public init(rules: [LintRule] = Linter.standardRules) { self.rules = rules }

    public static let standardRules: [LintRule] = [
        ParseRule(), ExpansionRule(), MXRequiresTLSRule(), ProtocolFloorOnMXRule(), SSLProtocolsRule(),
        STARTTLSUnavailableRule(), WrapperModeServerRule(), CipherRule(), LegacyTLSParametersRule(),
        ClientVerificationRule(), RelayWrapperModeRule(), ClientPolicyLeakRule(), CApathChrootRule(), VersionSupportRule(),
        AuxiliaryFilesRule(), DovecotSSLRule(), CertificateFilesRule(), PostfixReleaseRule(),
    ]

    public func run(_ context: LintContext) -> [Finding] {
        var seen = Set<String>()
        var result: [Finding] = []
        for rule in rules {
            for finding in rule.check(context) {
                // The same setting can be reached from several listeners: report it once.
                let key = "\(finding.id)|\(finding.file ?? "")|\(finding.line ?? 0)|\(finding.parameter ?? "")"
                if seen.insert(key).inserted { result.append(finding) }
            }
        }
        return result.sortedForReport()
    }
}

// MARK: - Helpers

extension PostfixConfiguration.Source {
    /// `("main.cf", 12)` for file sources; nil for defaults.
    public var fileAndLine: (String, Int)? {
        switch self {
        case .mainCF(let line): return ("main.cf", line)
        case .masterCF(_, let line): return ("master.cf", line)
        default: return nil
        }
    }
}

func finding(_ id: String, _ cause: Cause, _ severity: Severity, source: PostfixConfiguration.Source?, parameter: String?,
             _ message: String, fix: ConfigEdit? = nil, fallbackFile: String? = "main.cf") -> Finding {
    let location = source?.fileAndLine
    return Finding(id: id, cause: cause, severity: severity, file: location?.0 ?? fallbackFile, line: location?.1,
                   parameter: parameter, message: message, fix: fix)
}

/// Which parameters are TLS-related (for severities and `--all`).
func isTLSParameter(_ name: String) -> Bool {
    ParameterCatalog.bundled.isTLSRelated(name) || name.contains("_tls_") || name.hasPrefix("tls_")
}

// MARK: - Parse-level findings

/// Lines Postfix rejects or ignores, duplicates, master.cf entries it cannot parse.
public struct ParseRule: LintRule {
    public init() {}
    public var ids: [String] { ["malformed_line", "orphan_continuation", "duplicate_parameter", "master_cf_error", "binary_file"] }

    public func check(_ context: LintContext) -> [Finding] {
        let config = context.configuration
        var out: [Finding] = []
        if config.main.containsNUL {
            out.append(Finding(id: "binary_file", cause: .unsupportedSetting, severity: .critical, file: "main.cf",
                               message: "main.cf contains NUL bytes: it is not a text file, and Postfix reads each line only up to the first NUL"))
        }
        for problem in config.main.problems {
            switch problem.kind {
            case .malformed(let why):
                out.append(Finding(id: "malformed_line", cause: .unsupportedSetting, severity: .critical, file: "main.cf", line: problem.line,
                                   message: "Postfix stops with a fatal error on this line (\(why)): \"\(problem.text.prefix(60))\""))
            case .orphanContinuation:
                out.append(Finding(id: "orphan_continuation", cause: .unsupportedSetting, severity: .warning, file: "main.cf", line: problem.line,
                                   message: "indented text with no setting before it is ignored by Postfix (a line starting with whitespace continues the previous setting): \"\(problem.text.trimmingCharacters(in: .whitespaces).prefix(60))\""))
            }
        }
        for (name, entries) in config.main.duplicates {
            guard let last = entries.last else { continue }
            let differing = entries.dropLast().filter { $0.rawValue != last.rawValue }
            let earlier = entries.dropLast().map { "line \($0.line)" }.joined(separator: ", ")
            out.append(Finding(id: "duplicate_parameter", cause: .unclassified,
                               severity: differing.isEmpty ? .info : (isTLSParameter(name) ? .warning : .info),
                               file: "main.cf", line: last.line, parameter: name,
                               message: "\(name) is set more than once (\(earlier) and line \(last.line)); Postfix uses only the last one"
                                   + (differing.isEmpty ? "" : ", \"\(last.value)\"")))
        }
        for problem in config.master.problems {
            out.append(Finding(id: "master_cf_error", cause: .unsupportedSetting, severity: problem.fatal ? .critical : .warning,
                               file: "master.cf", line: problem.line, message: problem.message))
        }
        return out
    }
}

/// `$name` loops, syntax errors and undefined references.
public struct ExpansionRule: LintRule {
    public init() {}
    public var ids: [String] { ["expansion_error", "undefined_reference"] }

    public func check(_ context: LintContext) -> [Finding] {
        let config = context.configuration
        var out: [Finding] = []
        // Names some value refers to ($name in main.cf or master.cf); computed only when an error needs it.
        var referencedCache: Set<String>? = nil
        func isReferenced(_ name: String) -> Bool {
            if let referencedCache { return referencedCache.contains(name) }
            var referenced = Set<String>()
            let expander = Expander()
            for entry in config.main.entries where entry.rawValue.utf8.contains(UInt8(ascii: "$")) { referenced.formUnion(expander.references(in: entry.rawValue)) }
            for service in config.master.services {
                for override in service.overrides where override.rawValue.utf8.contains(UInt8(ascii: "$")) { referenced.formUnion(expander.references(in: override.rawValue)) }
            }
            referencedCache = referenced
            return referenced.contains(name)
        }
        let main = config.main  // one copy, not one per entry (main is a computed property)
        for index in main.effectiveIndices {
            let entry = main.entries[index]
            guard entry.rawValue.utf8.contains(UInt8(ascii: "$")), !PostfixConfiguration.unexpandedParameters.contains(entry.name) else { continue }
            let name = entry.name, result = config.expandedEntry(index)
            for issue in result.issues {
                switch issue {
                case .undefined(let reference):
                    out.append(Finding(id: "undefined_reference", cause: .unclassified, severity: .info, file: "main.cf", line: entry.line,
                                       parameter: name, message: "\(name) refers to $\(reference), which is set nowhere and expands to nothing"))
                default:
                    // Postfix expands only parameters something uses: an unknown, unreferenced one is harmless to the daemons.
                    let used = config.defaults.values[name] != nil || isReferenced(name)
                    out.append(Finding(id: "expansion_error", cause: .unsupportedSetting, severity: used ? .critical : .warning, file: "main.cf", line: entry.line,
                                       parameter: name, message: "\(name) cannot be expanded: \(issue); "
                                           + (used ? "Postfix stops with \"macro processing error\"" : "postconf -x stops with \"macro processing error\" (no daemon uses this unknown parameter)")))
                }
            }
        }
        // master.cf -o values are expanded in their service's name space (postconf -P -x, and the daemons).
        for service in config.master.services {
            for override in service.overrides where override.rawValue.utf8.contains(UInt8(ascii: "$")) {
                let result = config.expand(override.rawValue, service: service)
                if let issue = result.issues.first(where: \.isError) {
                    out.append(Finding(id: "expansion_error", cause: .unsupportedSetting, severity: .critical, file: "master.cf", line: override.line,
                                       parameter: override.name, message: "-o \(override.name) of \(service.qualifiedName) cannot be expanded: \(issue); Postfix stops with \"macro processing error\""))
                }
            }
        }
        return out
    }
}

// MARK: - Inbound (smtpd)

/// `encrypt` on the public port 25: RFC 3207 forbids requiring TLS on a public MX.
public struct MXRequiresTLSRule: LintRule {
    public init() {}
    public var ids: [String] { ["tls_required_on_mx"] }

    public func check(_ context: LintContext) -> [Finding] {
        context.configuration.smtpdListeners.filter { context.isPublicMX($0) && $0.tls.securityLevel == "encrypt" }.map { listener in
            let parameter = listener.sources["smtpd_tls_security_level"].map { _ in "smtpd_tls_security_level" } ?? "smtpd_enforce_tls"
            let source = context.configuration.raw("smtpd_tls_security_level", service: listener.service)?.value.isEmpty == false
                ? listener.sources["smtpd_tls_security_level"] : listener.sources["smtpd_enforce_tls"]
            return finding("tls_required_on_mx", .tlsRequiredOnMX, .critical, source: source, parameter: parameter,
                           "port \(listener.listen.port ?? 25) (\(listener.service.name)) requires TLS: servers that cannot do TLS, or whose TLS fails, cannot deliver mail to you. Use \"may\" on port 25 and \"encrypt\" on submission (587/465) only.",
                           fix: .setOverride(service: listener.service.name, type: listener.service.type, name: "smtpd_tls_security_level", value: "may"))
        }
    }
}

/// A protocol floor above TLSv1 on port 25 turns old senders' TLS into plaintext or bounces.
public struct ProtocolFloorOnMXRule: ListenerLintRule {
    public init() {}
    public var ids: [String] { ["protocol_floor_on_mx"] }

    public func check(_ listener: SMTPDListener, in context: LintContext) -> [Finding] {
        guard context.isPublicMX(listener) && listener.tls.securityLevel != "none" else { return [] }
        let mandatory = listener.tls.securityLevel == "encrypt"
        let parameter = mandatory ? "smtpd_tls_mandatory_protocols" : "smtpd_tls_protocols"
        let list = mandatory ? listener.tls.mandatoryProtocols : listener.tls.protocols
        let set = TLSProtocolSet(list)
        guard !set.enabled.contains("TLSv1"), let floor = set.floor ?? Optional("none") else { return [] }
        return [finding("protocol_floor_on_mx", .protocolMismatch, .warning, source: listener.sources[parameter], parameter: parameter,
                        "port \(listener.listen.port ?? 25) (\(listener.service.name)) accepts only \(floor) and newer (\(parameter) = \(list)): senders limited to TLS 1.0/1.1 "
                        + (mandatory ? "cannot deliver at all" : "fall back to plaintext")
                        + ". Opportunistic TLS on port 25 should keep Postfix's default floor (>=TLSv1); tighten it on 587/465 only.",
                        fix: .setOverride(service: listener.service.name, type: listener.service.type, name: parameter, value: ">=TLSv1"))]
    }
}

/// SSLv2/SSLv3 named as allowed.
public struct SSLProtocolsRule: LintRule {
    public init() {}
    public var ids: [String] { ["ssl_protocols_enabled", "invalid_protocol_list"] }
    static let parameters = ["smtpd_tls_protocols", "smtpd_tls_mandatory_protocols", "smtp_tls_protocols", "smtp_tls_mandatory_protocols",
                             "lmtp_tls_protocols", "lmtp_tls_mandatory_protocols"]

    public func check(_ context: LintContext) -> [Finding] {
        let config = context.configuration
        var settings: [(String, String, PostfixConfiguration.Source, ConfigEdit)] = []
        for name in Self.parameters {
            if let entry = config.main.entry(name) {
                settings.append((name, config.value(name), .mainCF(line: entry.line), .setMain(name: name, value: ">=TLSv1")))
            }
            for service in config.master.services {
                if let override = service.overrides.last(where: { $0.name == name }) {
                    settings.append((name, config.value(name, service: service), .masterCF(service: service.qualifiedName, line: override.line),
                                     .setOverride(service: service.name, type: service.type, name: name, value: ">=TLSv1")))
                }
            }
        }
        var out: [Finding] = []
        for (name, value, source, fix) in settings {
            let set = TLSProtocolSet(value)
            if set.explicitlyEnablesSSL {
                out.append(finding("ssl_protocols_enabled", .unsupportedSetting, .warning, source: source, parameter: name,
                                   "\(name) = \(value) asks for SSLv2/SSLv3, which are broken and which OpenSSL 3 no longer implements; use >=TLSv1 (or !SSLv2, !SSLv3).",
                                   fix: fix))
            }
            if !set.unknown.isEmpty {
                out.append(finding("invalid_protocol_list", .unsupportedSetting, .critical, source: source, parameter: name,
                                   "\(name) contains \(set.unknown.joined(separator: ", ")), which Postfix does not recognise (\"Invalid TLS protocol list\"): TLS is disabled for this service.",
                                   fix: fix))
            }
        }
        return out
    }
}

/// TLS off, or on without a certificate.
public struct STARTTLSUnavailableRule: ListenerLintRule {
    public init() {}
    public var ids: [String] { ["starttls_unavailable", "tls_without_certificate"] }

    public func check(_ listener: SMTPDListener, in context: LintContext) -> [Finding] {
        guard !listener.listen.isLoopback else { return [] }
        var out: [Finding] = []
        let level = listener.tls.securityLevel
        let hasCert = !listener.tls.certFiles.isEmpty
        let source = listener.sources["smtpd_tls_security_level"]
        if level == "none" && !listener.tls.wrappermode {
            let fix: ConfigEdit? = hasCert ? (source.flatMap { if case .masterCF = $0 { return true } else { return nil } } != nil
                ? .setOverride(service: listener.service.name, type: listener.service.type, name: "smtpd_tls_security_level", value: "may")
                : .setMain(name: "smtpd_tls_security_level", value: "may")) : nil
            out.append(finding("starttls_unavailable", .starttlsUnavailable, listener.listen.port == 25 ? .warning : .critical,
                               source: source.flatMap { $0 == .defaultValue ? nil : $0 }, parameter: "smtpd_tls_security_level",
                               "\(listener.service.name) does not offer STARTTLS (smtpd_tls_security_level is empty or none)"
                               + (hasCert ? "; a certificate is configured, so \"may\" enables it" : " and no certificate is configured (smtpd_tls_cert_file / smtpd_tls_chain_files)")
                               + ": mail and passwords travel in plaintext.",
                               fix: fix))
        } else if !hasCert && (level != "none" || listener.tls.wrappermode) {
            out.append(finding("tls_without_certificate", .certificateUnreadable, .critical, source: source, parameter: "smtpd_tls_cert_file",
                               "\(listener.service.name) has TLS enabled (\(level)\(listener.tls.wrappermode ? ", wrapper mode" : "")) but no certificate: smtpd logs \"TLS not available\" and answers STARTTLS with 454."))
        }
        return out
    }
}

/// Wrapper mode (implicit TLS) belongs on 465 only.
public struct WrapperModeServerRule: ListenerLintRule {
    public init() {}
    public var ids: [String] { ["wrappermode_on_starttls_port", "missing_wrappermode_on_465"] }

    public func check(_ listener: SMTPDListener, in context: LintContext) -> [Finding] {
        guard let port = listener.listen.port else { return [] }
        var out: [Finding] = []
        if listener.tls.wrappermode && (port == 25 || port == 587) {
            out.append(finding("wrappermode_on_starttls_port", .plaintextOnTLSPort, .critical, source: listener.sources["smtpd_tls_wrappermode"],
                               parameter: "smtpd_tls_wrappermode",
                               "\(listener.service.name) (port \(port)) uses wrapper mode (implicit TLS), but clients speak plain SMTP with STARTTLS on port \(port).",
                               fix: .setOverride(service: listener.service.name, type: listener.service.type, name: "smtpd_tls_wrappermode", value: "no")))
        } else if !listener.tls.wrappermode && port == 465 {
            out.append(finding("missing_wrappermode_on_465", .tlsOnPlaintextPort, .critical, source: nil, parameter: "smtpd_tls_wrappermode",
                               "\(listener.service.name) (port 465) is not in wrapper mode: clients start TLS immediately on 465 and smtpd sees binary garbage.",
                               fix: .setOverride(service: listener.service.name, type: listener.service.type, name: "smtpd_tls_wrappermode", value: "yes"),
                               fallbackFile: "master.cf"))
        }
        return out
    }
}

/// Cipher settings that leave no cipher (or only unencrypted ones).
public struct CipherRule: LintRule {
    public init() {}
    public var ids: [String] { ["no_shared_cipher", "invalid_cipher_grade", "null_cipher_grade"] }
    static let grades: Set<String> = ["export", "low", "medium", "high", "null"]

    public func check(_ context: LintContext) -> [Finding] {
        let config = context.configuration
        var out: [Finding] = []
        var evaluated: [String: Int?] = [:]
        for listener in config.smtpdListeners where listener.tls.securityLevel != "none" || listener.tls.wrappermode {
            let mandatory = listener.tls.securityLevel == "encrypt" || listener.tls.wrappermode
            let gradeParameter = mandatory ? "smtpd_tls_mandatory_ciphers" : "smtpd_tls_ciphers"
            let grade = (mandatory ? listener.tls.mandatoryCiphers : listener.tls.ciphers).lowercased()
            guard Self.grades.contains(grade) else {
                out.append(finding("invalid_cipher_grade", .unsupportedSetting, .critical, source: listener.sources[gradeParameter], parameter: gradeParameter,
                                   "\(gradeParameter) = \(grade) is not a cipher grade (export, low, medium, high, null): Postfix logs \"invalid cipher grade\" and TLS fails.",
                                   fix: .setMain(name: gradeParameter, value: "medium")))
                continue
            }
            if grade == "null" {
                out.append(finding("null_cipher_grade", .noSharedCipher, .critical, source: listener.sources[gradeParameter], parameter: gradeParameter,
                                   "\(gradeParameter) = null offers only unencrypted ciphers, which no normal client accepts.",
                                   fix: .setMain(name: gradeParameter, value: "medium")))
                continue
            }
            guard let evaluator = context.cipherEvaluator else { continue }
            // Postfix 3.8 and later read the export and low grades as medium (tls_misc.c).
            let installed = config.defaults.values["mail_version"].flatMap(PostfixVersion.init)
            let effectiveGrade = (grade == "export" || grade == "low") && installed.map({ $0 >= PostfixVersion(3, 8) }) == true ? "medium" : grade
            let listParameter = "tls_\(effectiveGrade)_cipherlist"
            var cipherList = config.value(listParameter, service: listener.service)
            var excludes = listener.tls.excludeCiphers.split(whereSeparator: { $0 == " " || $0 == "," || $0 == ":" }).map(String.init)
            if mandatory { excludes += listener.tls.mandatoryExcludeCiphers.split(whereSeparator: { $0 == " " || $0 == "," || $0 == ":" }).map(String.init) }
            for exclude in excludes { cipherList += ":!" + exclude }
            let count: Int?
            if let cached = evaluated[cipherList] { count = cached } else { count = evaluator.cipherCount(cipherList); evaluated[cipherList] = count }
            if count == 0 {
                let excludeParameter = "smtpd_tls_exclude_ciphers"
                let blame = listener.tls.excludeCiphers.isEmpty ? listParameter : excludeParameter
                let source = config.raw(blame, service: listener.service)?.source
                out.append(finding("no_shared_cipher", .noSharedCipher, .critical, source: source, parameter: blame,
                                   "the cipher settings of \(listener.service.name) (\(gradeParameter) = \(grade), \(listParameter), \(excludeParameter)) select no TLS 1.2 cipher at all: every TLS 1.2 handshake fails with \"no shared cipher\".",
                                   fix: blame == excludeParameter && source != nil ? .removeMain(name: excludeParameter) : nil))
            }
        }
        return out
    }
}

/// smtpd_use_tls/smtpd_enforce_tls (and smtp_*) next to the *_tls_security_level that replaces them.
public struct LegacyTLSParametersRule: LintRule {
    public init() {}
    public var ids: [String] { ["legacy_tls_parameter"] }

    public func check(_ context: LintContext) -> [Finding] {
        let main = context.configuration.main
        let deprecationWarned = context.configuration.defaults.values["mail_version"].flatMap(PostfixVersion.init).map { $0 >= PostfixVersion(3, 9) } ?? false
        var out: [Finding] = []
        for (prefix, legacy) in [("smtpd", ["smtpd_use_tls", "smtpd_enforce_tls"]), ("smtp", ["smtp_use_tls", "smtp_enforce_tls"]),
                                 ("lmtp", ["lmtp_use_tls", "lmtp_enforce_tls"])] {
            let modern = "\(prefix)_tls_security_level"
            let modernSet = !(main.entry(modern)?.rawValue.isEmpty ?? true)
            for name in legacy {
                guard let entry = main.entry(name) else { continue }
                if modernSet {
                    out.append(Finding(id: "legacy_tls_parameter", cause: .unsupportedSetting, severity: .warning, file: "main.cf", line: entry.line,
                                       parameter: name, message: "\(name) is obsolete and ignored because \(modern) is set (main.cf:\(main.entry(modern)?.line ?? 0)); remove it so the file says what Postfix does.",
                                       fix: .removeMain(name: name)))
                } else if !deprecationWarned {  // 3.9+: PostfixReleaseRule reports postconf's deprecation warning
                    out.append(Finding(id: "legacy_tls_parameter", cause: .unsupportedSetting, severity: .info, file: "main.cf", line: entry.line,
                                       parameter: name, message: "\(name) is the obsolete form of \(modern); Postfix still honours it, but \(modern) is clearer."))
                }
            }
        }
        return out
    }
}

// MARK: - Outbound (smtp client)

/// Client-side TLS levels and transports (`smtp`, `lmtp` and custom smtp/lmtp services).
private func clientTransports(_ config: PostfixConfiguration) -> [MasterCF.Service?] {
    let services = config.master.services.filter { $0.type == "unix" && ($0.command == "smtp" || $0.command == "lmtp") }
    return services.isEmpty ? [nil] : services
}

private func clientPrefix(_ service: MasterCF.Service?) -> String { service?.command == "lmtp" ? "lmtp" : "smtp" }

/// A rule that judges each smtp/lmtp client transport on its own (nil: main.cf's settings, when master.cf has no
/// such transport), with the transport's parameter prefix; the loop over the transports is written once, here.
public protocol ClientTransportLintRule: LintRule {
    func check(_ transport: MasterCF.Service?, prefix: String, in context: LintContext) -> Finding?
}

extension ClientTransportLintRule {
    public func check(_ context: LintContext) -> [Finding] {
        clientTransports(context.configuration).compactMap { check($0, prefix: clientPrefix($0), in: context) }
    }
}

/// verify/secure without a CA bundle: every certificate check fails.
public struct ClientVerificationRule: ClientTransportLintRule {
    public init() {}
    public var ids: [String] { ["remote_certificate_unverified"] }

    public func check(_ service: MasterCF.Service?, prefix: String, in context: LintContext) -> Finding? {
        let config = context.configuration
        let level = config.value("\(prefix)_tls_security_level", service: service).lowercased()
        guard level == "verify" || level == "secure" else { return nil }
        let caFile = config.value("\(prefix)_tls_CAfile", service: service), caPath = config.value("\(prefix)_tls_CApath", service: service)
        guard caFile.isEmpty && caPath.isEmpty else { return nil }
        let source = config.raw("\(prefix)_tls_security_level", service: service)?.source
        return finding("remote_certificate_unverified", .remoteCertificateUnverified, .critical, source: source,
                       parameter: "\(prefix)_tls_security_level",
                       "\(prefix)_tls_security_level = \(level)\(service.map { " (\($0.name) transport)" } ?? "") but neither \(prefix)_tls_CAfile nor \(prefix)_tls_CApath is set: no server certificate can be verified, so mail is deferred (\"Server certificate not verified\").",
                       fix: .setMain(name: "\(prefix)_tls_CAfile", value: "/etc/ssl/certs/ca-certificates.crt"))
    }
}

/// A next hop `[host]:port` or `host:port` split into host and port.
func nextHopPort(_ nexthop: String) -> (host: String, port: String?) {
    var text = nexthop.trimmingCharacters(in: .whitespaces)
    if let comma = text.firstIndex(where: { $0 == "," || $0 == " " }) { text = String(text[..<comma]) }
    if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
        let host = String(text[text.index(after: text.startIndex)..<close])
        let rest = text[text.index(after: close)...]
        return (host, rest.hasPrefix(":") ? String(rest.dropFirst()) : nil)
    }
    if let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") {
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }
    return (text, nil)
}

/// relayhost on 465 without smtp_tls_wrappermode (or wrapper mode toward a STARTTLS port).
public struct RelayWrapperModeRule: LintRule {
    public init() {}
    public var ids: [String] { ["wrappermode_mismatch"] }

    public func check(_ context: LintContext) -> [Finding] {
        let config = context.configuration
        let relayhost = config.value("relayhost")
        guard !relayhost.isEmpty else { return [] }
        let port = nextHopPort(relayhost).port
        let smtp = config.master.service(named: "smtp", type: "unix")
        let wrapper = config.bool("smtp_tls_wrappermode", service: smtp)
        let relaySource = config.raw("relayhost")?.source
        if (port == "465" || port == "smtps" || port == "submissions") && !wrapper {
            return [finding("wrappermode_mismatch", .wrappermodeMismatch, .critical, source: relaySource, parameter: "relayhost",
                            "relayhost \(relayhost) is an implicit-TLS port (465) but smtp_tls_wrappermode is not \"yes\": the client waits for a greeting the relay never sends in plaintext. Set smtp_tls_wrappermode = yes and smtp_tls_security_level = encrypt, or use port 587.",
                            fix: .setMain(name: "smtp_tls_wrappermode", value: "yes"))]
        }
        if wrapper, let port, port == "25" || port == "587" || port == "submission" || port == "smtp" {
            let source = config.raw("smtp_tls_wrappermode", service: smtp)?.source
            return [finding("wrappermode_mismatch", .wrappermodeMismatch, .critical, source: source, parameter: "smtp_tls_wrappermode",
                            "smtp_tls_wrappermode = yes but relayhost \(relayhost) is a STARTTLS port: the relay expects plain SMTP first.",
                            fix: .setMain(name: "smtp_tls_wrappermode", value: "no"))]
        }
        return []
    }
}

/// Internet TLS policy (encrypt, verify, wrapper mode) inherited by a content filter on loopback.
public struct ClientPolicyLeakRule: LintRule {
    public init() {}
    public var ids: [String] { ["client_policy_leak"] }
    static let strictLevels: Set<String> = ["encrypt", "verify", "secure", "fingerprint", "dane-only"]

    public func check(_ context: LintContext) -> [Finding] {
        let config = context.configuration
        var filters: [(String, PostfixConfiguration.Source?)] = []
        if let raw = config.raw("content_filter"), !raw.value.isEmpty { filters.append((config.value("content_filter"), raw.source)) }
        for service in config.master.services {
            if let override = service.overrides.last(where: { $0.name == "content_filter" }), !override.rawValue.isEmpty {
                filters.append((config.value("content_filter", service: service), .masterCF(service: service.qualifiedName, line: override.line)))
            }
        }
        var out: [Finding] = []
        var seen = Set<String>()
        for (filter, _) in filters {
            guard let colon = filter.firstIndex(of: ":") else { continue }
            let transport = String(filter[..<colon]), nexthop = String(filter[filter.index(after: colon)...])
            let host = nextHopPort(nexthop).host.lowercased()
            guard host == "127.0.0.1" || host == "localhost" || host == "::1" || host.hasPrefix("127."), seen.insert(transport).inserted else { continue }
            guard let service = config.master.service(named: transport, type: "unix"), service.command == "smtp" || service.command == "lmtp" else { continue }
            let prefix = clientPrefix(service)
            let level = config.value("\(prefix)_tls_security_level", service: service).lowercased()
            let wrapper = config.bool("\(prefix)_tls_wrappermode", service: service)
            let overridden = service.overrides.contains { $0.name == "\(prefix)_tls_security_level" }
            guard (Self.strictLevels.contains(level) || wrapper) && !overridden else { continue }
            let source = config.raw("\(prefix)_tls_security_level", service: service)?.source
            out.append(finding("client_policy_leak", .clientPolicyLeak, .warning, source: source ?? .masterCF(service: service.qualifiedName, line: service.line),
                               parameter: "\(prefix)_tls_security_level",
                               "the content filter transport \(transport) (to \(nexthop)) inherits \(prefix)_tls_security_level = \(level)\(wrapper ? " and wrapper mode" : ""), meant for the internet: the filter on loopback does not speak TLS, so mail stalls in the queue. Override it for this transport.",
                               fix: .setOverride(service: service.name, type: service.type, name: "\(prefix)_tls_security_level", value: "none")))
        }
        return out
    }
}

/// smtp_tls_CApath is read lazily, after a chrooted smtp client has entered the chroot
/// (the queue directory): a CApath outside it finds no CA, so nothing verifies.
public struct CApathChrootRule: ClientTransportLintRule {
    public init() {}
    public var ids: [String] { ["capath_outside_chroot"] }

    public func check(_ transport: MasterCF.Service?, prefix: String, in context: LintContext) -> Finding? {
        // "-" is Postfix's default, which is n (no chroot) since Postfix 3.0.
        guard let service = transport, service.chroot == "y" else { return nil }
        let config = context.configuration
        let queue = config.value("queue_directory")
        let caPath = config.value("\(prefix)_tls_CApath", service: service), caFile = config.value("\(prefix)_tls_CAfile", service: service)
        let level = config.value("\(prefix)_tls_security_level", service: service).lowercased()
        guard !caPath.isEmpty, caFile.isEmpty, !level.isEmpty, level != "none" else { return nil }
        if !queue.isEmpty && context.fileSystem.exists(queue + caPath) { return nil }
        let verifying = level == "verify" || level == "secure"
        return finding("capath_outside_chroot", .remoteCertificateUnverified, verifying ? .critical : .info,
                       source: config.raw("\(prefix)_tls_CApath", service: service)?.source, parameter: "\(prefix)_tls_CApath",
                       "the \(service.name) transport runs chrooted (master.cf:\(service.line)) and looks up \(prefix)_tls_CApath = \(caPath) inside \(queue.isEmpty ? "the queue directory" : queue), where it does not exist: "
                       + (verifying ? "no server certificate verifies and mail is deferred." : "every TLS connection is logged as \"Untrusted\".")
                       + " Set \(prefix)_tls_CAfile = /etc/ssl/certs/ca-certificates.crt (read before the chroot) instead.",
                       fix: .setMain(name: "\(prefix)_tls_CAfile", value: "/etc/ssl/certs/ca-certificates.crt"))
    }
}

/// Settings the installed Postfix is too old for (from `postconf -d mail_version`).
public struct VersionSupportRule: LintRule {
    public init() {}
    public var ids: [String] { ["unsupported_by_installed_postfix"] }

    /// Parameter name → first Postfix version that has it.
    static let introduced: [String: PostfixVersion] = [
        "smtpd_tls_chain_files": .init(3, 4), "smtp_tls_chain_files": .init(3, 4), "tls_server_sni_maps": .init(3, 4),
        "smtpd_tls_security_level": .init(2, 3), "smtp_tls_security_level": .init(2, 3), "tls_eecdh_auto_curves": .init(3, 2),
        "smtp_tls_connection_reuse": .init(3, 4), "smtp_tls_servername": .init(3, 4), "smtp_tls_wrappermode": .init(3, 0),
    ]

    /// The TLS protocol lists (`postconf -d | grep tls.*_protocols`), where 3.6 added the `>=` syntax.
    static let protocolParameters: Set<String> = [
        "smtpd_tls_protocols", "smtpd_tls_mandatory_protocols", "smtp_tls_protocols", "smtp_tls_mandatory_protocols",
        "lmtp_tls_protocols", "lmtp_tls_mandatory_protocols", "tlsproxy_tls_protocols", "tlsproxy_tls_mandatory_protocols",
    ]

    public func check(_ context: LintContext) -> [Finding] {
        let config = context.configuration
        guard let installedText = config.defaults.values["mail_version"], let installed = PostfixVersion(installedText) else { return [] }
        var out: [Finding] = []
        let main = config.main
        // Only the parameters that exist matter (an unknown one is unused), so look those up by name.
        let names = Set(Self.introduced.keys).union(Self.protocolParameters)
        for index in names.compactMap({ main.effectiveIndex[$0] }).sorted() {
            let entry = main.entries[index], name = entry.name
            if let first = Self.introduced[name], installed < first {
                out.append(Finding(id: "unsupported_by_installed_postfix", cause: .unsupportedSetting, severity: .warning, file: "main.cf", line: entry.line,
                                   parameter: name, message: "\(name) needs Postfix \(first.major).\(first.minor) or newer; the installed Postfix \(installedText) ignores it (\"unused parameter\")."))
            }
            // ">=TLSv1.2"/"<=" protocol ranges arrived in Postfix 3.6.
            if Self.protocolParameters.contains(name) && (entry.rawValue.contains(">=") || entry.rawValue.contains("<=")),
               installed < PostfixVersion(3, 6) {
                out.append(Finding(id: "unsupported_by_installed_postfix", cause: .unsupportedSetting, severity: .critical, file: "main.cf", line: entry.line,
                                   parameter: name, message: "\(name) = \(entry.value) uses the >=/<= syntax of Postfix 3.6+; Postfix \(installedText) logs \"Invalid TLS protocol list\" and disables TLS. Use the !SSLv2, !SSLv3, !TLSv1 form.",
                                   fix: .setMain(name: name, value: "!SSLv2, !SSLv3")))
            }
        }
        return out
    }
}

/// DH parameter files, CA files and SNI maps that the configuration names but that are not there.
public struct AuxiliaryFilesRule: LintRule {
    public init() {}
    public var ids: [String] { ["dh_file_missing", "ca_file_missing", "sni_map_not_built"] }

    /// The file Postfix opens for an indexed map type (postmap output).
    static func builtFile(_ map: String) -> (path: String, built: String)? {
        guard let colon = map.firstIndex(of: ":") else { return nil }
        let type = map[..<colon].lowercased(), path = String(map[map.index(after: colon)...])
        switch type {
        case "hash", "btree": return (path, path + ".db")
        case "lmdb": return (path, path + ".lmdb")
        case "cdb": return (path, path + ".cdb")
        case "dbm", "sdbm": return (path, path + ".pag")
        default: return nil
        }
    }

    public func check(_ context: LintContext) -> [Finding] {
        let config = context.configuration
        let exists = context.fileSystem.exists
        var out: [Finding] = []
        for name in ["smtpd_tls_dh1024_param_file", "smtpd_tls_dh512_param_file"] {
            let path = config.value(name)
            guard !path.isEmpty, config.main.entry(name) != nil, !exists(path) else { continue }
            out.append(finding("dh_file_missing", .dhParameters, .warning, source: config.raw(name)?.source, parameter: name,
                               "\(name) = \(path) does not exist: smtpd logs \"cannot load DH parameters\". Postfix 3.7 has good built-in DH parameters: remove the setting.",
                               fix: .removeMain(name: name)))
        }
        for (name, cause) in [("smtpd_tls_CAfile", Cause.certificateUnreadable), ("smtp_tls_CAfile", .remoteCertificateUnverified),
                              ("smtpd_tls_CApath", .certificateUnreadable), ("smtp_tls_CApath", .remoteCertificateUnverified)] {
            let path = config.value(name)
            guard !path.isEmpty, config.main.entry(name) != nil, !exists(path) else { continue }
            out.append(finding("ca_file_missing", cause, .warning, source: config.raw(name)?.source, parameter: name,
                               "\(name) = \(path) does not exist: certificates cannot be verified against it."
                               + (name.hasPrefix("smtp_") ? " Debian's bundle is /etc/ssl/certs/ca-certificates.crt." : "")))
        }
        let sni = config.value("tls_server_sni_maps")
        for map in sni.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init) {
            guard let (path, built) = Self.builtFile(map), !exists(built) else { continue }
            out.append(finding("sni_map_not_built", .sniMisconfiguration, .critical, source: config.raw("tls_server_sni_maps")?.source,
                               parameter: "tls_server_sni_maps",
                               "tls_server_sni_maps uses \(map) but \(built) does not exist: build it with postmap -F \(path) (the -F makes postmap load the certificate files) and reload Postfix."))
        }
        return out
    }
}

/// Dovecot with TLS switched off, or a protocol floor that locks out the mail clients still in use.
public struct DovecotSSLRule: LintRule {
    public init() {}
    public var ids: [String] { ["dovecot_ssl_disabled", "dovecot_invalid_protocol", "dovecot_filter_conflict", "dovecot_config_error", "dovecot_rejected",
                                "dovecot_config_pre_2_4"] }
    static let protocols = ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", "ANY"]
    /// The settings of Dovecot's TLS (2.3 and 2.4 names) whose filter conflicts refuse connections.
    static let sslKeys = ["ssl", "ssl_cert", "ssl_key", "ssl_ca", "ssl_dh", "ssl_min_protocol", "ssl_cipher_list", "ssl_cipher_suites",
                          "ssl_prefer_server_ciphers", "ssl_server_cert_file", "ssl_server_key_file", "ssl_server_ca_file", "ssl_server_dh_file"]

    public func check(_ context: LintContext) -> [Finding] {
        guard let dovecot = context.dovecot else { return [] }
        var out: [Finding] = []
        if let setting = dovecot.setting("ssl"), setting.value == "no" {
            out.append(Finding(id: "dovecot_ssl_disabled", cause: .starttlsUnavailable, severity: .warning, file: setting.file, line: setting.line,
                               parameter: "ssl", message: "Dovecot has ssl = no: IMAP/POP3 clients send passwords in plaintext and cannot use 993/995.", server: .dovecot))
        }
        // A 2.3 configuration under an installed 2.4: the upgrade is the cause, and doveconf's refusal its evidence.
        if let version = context.dovecotVersion, DovecotConfig.is24OrLater(version), dovecot.needsUpgradeTo24 {
            let renamed = dovecot.settingsRenamedIn24
            let first = renamed.first
            var message = "Dovecot \(version) is installed but this configuration is written for 2.3"
            message += dovecot.declaresConfigVersion ? "" : ": its first setting is not dovecot_config_version"
            if !renamed.isEmpty {
                let names = renamed.map { "\($0.key) (\(($0.file as NSString).lastPathComponent):\($0.line))" }
                message += (dovecot.declaresConfigVersion ? ": " : ", and ") + "ssl settings use 2.3 names 2.4 renamed: " + names.joined(separator: ", ")
            }
            if let verdict = context.dovecotValidation { message += ". doveconf: \(verdict.message)" }
            message += ". Dovecot 2.4 does not start with it."
            out.append(Finding(id: "dovecot_config_pre_2_4", cause: .dovecotConfigPre24, severity: .critical,
                               file: first?.file ?? dovecot.path, line: first?.line, parameter: first?.key, message: message, server: .dovecot))
        } else if let verdict = context.dovecotValidation {
            // The installed Dovecot's own verdict comes first; postls's reading of the same line is then redundant.
            out.append(Finding(id: "dovecot_rejected", cause: .unsupportedSetting, severity: .critical, file: verdict.file ?? dovecot.path, line: verdict.line,
                               message: "The installed Dovecot refuses this configuration (doveconf: \(verdict.message)): it does not start or reload with it.", server: .dovecot))
        }
        for problem in dovecot.problems where !(problem.file == context.dovecotValidation?.file && problem.line == context.dovecotValidation?.line) {
            // An unreadable include named with !include_try is fine; everything else stops Dovecot or drops settings.
            out.append(Finding(id: "dovecot_config_error", cause: .unsupportedSetting, severity: problem.line == 0 ? .warning : .critical,
                               file: problem.file, line: problem.line == 0 ? nil : problem.line,
                               message: "Dovecot's configuration: \(problem.message)", server: .dovecot))
        }
        for key in Self.sslKeys {
            for (first, second) in dovecot.conflicts(key) {
                out.append(Finding(id: "dovecot_filter_conflict", cause: .unsupportedSetting, severity: .critical, file: second.file, line: second.line,
                                   parameter: key, message: "\(key) is set in two filters that both match some connections and neither contains the other "
                                       + "(\(first.file):\(first.line) and \(second.file):\(second.line)): Dovecot refuses those connections (\"Conflict in setting \(key) found from filter\", doveconf shows it with -f). Nest one filter inside the other, or set it in only one.", server: .dovecot))
            }
        }
        for name in [nil] + dovecot.protocols {
            guard let setting = dovecot.setting("ssl_min_protocol", protocol: name), !Self.protocols.contains(setting.value) else { continue }
            out.append(Finding(id: "dovecot_invalid_protocol", cause: .unsupportedSetting, severity: .critical, file: setting.file, line: setting.line,
                               parameter: "ssl_min_protocol", message: "ssl_min_protocol = \(setting.value) is not a protocol Dovecot knows (SSLv3, TLSv1 ... TLSv1.3, ANY): Dovecot refuses to start.", server: .dovecot))
        }
        return out
    }
}
