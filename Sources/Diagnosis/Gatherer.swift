import Foundation
import MailDNS
import MailLog
import PostfixConfig
import PostlsCore
import TLSKit
import TLSProbe
import TLSReports

/// What to gather for a diagnosis: the options of `postls diagnose`, `fix`, `report` and the wizard.
public struct GatherOptions: Sendable {
    public var configDirectory: String = "/etc/postfix"
    /// Log files; empty: discover the system's mail logs.
    public var logFiles: [String] = []
    /// Hosts to probe; empty: each listener's own address, else 127.0.0.1 (and ::1 when it listens there).
    public var hosts: [String] = []
    /// Ports to probe; empty: every smtpd listener's port from master.cf.
    public var ports: [UInt16] = []
    public var implicitPorts: Set<UInt16> = []
    /// The name the certificate must cover; default myhostname.
    public var name: String?
    public var trust: TrustAnchors = .system
    public var probe = true
    public var logs = true
    public var phaseTimeout: Double = 10
    public var since: Date?
    /// The mail domain whose DNS (MX, TLSA, MTA-STS) to check against the served certificates; nil: no DNS.
    public var domain: String?
    /// The resolver for the DNS checks (a validating one reports DNSSEC); nil: the first of /etc/resolv.conf.
    public var resolver: SocketAddress?
    /// The SMTP port the DNS check probes on each MX (the MX stand-in's port in tests).
    public var dnsSMTPPort: UInt16 = 25
    /// Ports that receive mail from the internet besides 25 (`--smtp-port`, e.g. behind a port forward): their
    /// listeners get the public-MX rules (no TLS requirement, a low protocol floor) even on loopback.
    public var smtpPorts: Set<Int> = []
    /// Dovecot's configuration, linted with Postfix's (its certificates, filters, protocol floor); nil: none.
    public var dovecotConfig: String?
    /// Keeps `postconf -d`'s output and `doveconf -n`'s verdict between runs (the CLI passes the standard place).
    public var cache: CommandOutputCache = .disabled
    /// postls's probe record: probes write their windows to it, and log reads count the failed sessions they
    /// caused apart from peers'. Nil: nothing is recorded and every logged session counts.
    public var probeRecords: (any ProbeRecordStore)?
    /// Count postls's own earlier probes among the log's failures anyway.
    public var includeOwnProbes = false
    /// The command gathering, noted in the probe record (`diagnose`, `report`, `fix`, `wizard`).
    public var command = "diagnose"
    /// Senders' TLS reports (RFC 8460) to join (`--tlsrpt`): files, folders (Maildir), mbox, .eml, gzip, as
    /// `postls tlsrpt` reads them. Empty: none.
    public var tlsReports: [String] = []

    public init() {}
}

/// Everything gathered, and the diagnosis made from it.
public struct Gathered: Sendable {
    public var configuration: PostfixConfiguration?
    public var configError: String?
    public var findings: [Finding]
    public var probe: ProbeReport?
    public var probeTargets: [ProbeTarget]
    public var logReport: LogReport?
    public var logFiles: [String]
    public var logError: String?
    public var postfixVersion: String?
    public var report: DiagnosisReport
    public var dns: DNSReport?
    /// The senders' reports read (`--tlsrpt`), nil when none were given; their join is `report.senderReports`.
    public var tlsReports: TLSReportSet?

    public init(configuration: PostfixConfiguration?, configError: String?, findings: [Finding], probe: ProbeReport?,
                probeTargets: [ProbeTarget], logReport: LogReport?, logFiles: [String], logError: String?,
                postfixVersion: String?, report: DiagnosisReport, dns: DNSReport? = nil, tlsReports: TLSReportSet? = nil) {
        self.configuration = configuration; self.configError = configError; self.findings = findings; self.probe = probe
        self.probeTargets = probeTargets; self.logReport = logReport; self.logFiles = logFiles; self.logError = logError
        self.postfixVersion = postfixVersion; self.report = report; self.dns = dns; self.tlsReports = tlsReports
    }
}

/// Runs the config, probe and log engines and the diagnosis. No UI: progress goes to a callback.
public struct Gatherer: Sendable {
    public var runner: ProcessRunner
    public var clock: WallClock

    public init(runner: ProcessRunner = SystemProcessRunner(), clock: WallClock = SystemClock()) {
        self.runner = runner; self.clock = clock
    }

    public enum Step: Sendable { case config, probe(ProbeProgress), logs(String), dns(String), tlsReports(String), diagnosis }

    /// The whole gathering, one step after another: config, logs (before the probe, so the probe's own refused
    /// handshakes are not among the peers' failures), probe, DNS, then the join. The wizard runs the same steps
    /// itself, some side by side, to show their progress (`StepwiseGathering`).
    public func gather(_ options: GatherOptions, progress: (@Sendable (Step) -> Void)? = nil) -> Gathered {
        progress?(.config)
        let config = gatherConfig(options)
        let logs = gatherLogs(options, configuration: config.configuration) { progress?(.logs($0)) }
        let targets = options.probe ? probeTargets(options, configuration: config.configuration) : []
        let probe = options.probe ? self.probe(targets, options: options) { progress?(.probe($0)) } : nil
        let dns = gatherDNS(options, configuration: config.configuration) { progress?(.dns($0)) }
        let reports = gatherReports(options) { progress?(.tlsReports($0)) }
        progress?(.diagnosis)
        return join(config: config, logs: logs, probe: probe, probeTargets: targets, dns: dns, reports: reports, options: options)
    }

    // MARK: the steps

    /// What the config step found: the parsed configuration (nil when it cannot be read, with the reason),
    /// the lint findings and the running Postfix's version.
    public struct ConfigStep: Sendable {
        public var configuration: PostfixConfiguration?
        public var configError: String?
        public var findings: [Finding]
        public var postfixVersion: String?
    }

    /// What the log step read: the files (given or discovered), the report, or why there is none.
    public struct LogStep: Sendable {
        public var files: [String]
        public var report: LogReport?
        public var error: String?
        /// A step that did not run (`options.logs` off).
        public static let skipped = LogStep(files: [], report: nil, error: nil)
    }

    /// main.cf and master.cf parsed with the running Postfix's defaults: what every step reads the listeners from.
    public func loadConfiguration(_ options: GatherOptions) throws -> PostfixConfiguration {
        try PostfixConfiguration.load(directory: options.configDirectory, defaults: ParameterDefaults.load(runner: runner, cache: options.cache))
    }

    /// Step 1: read and lint the configuration, and ask Postfix for its version.
    public func gatherConfig(_ options: GatherOptions) -> ConfigStep {
        var step = ConfigStep(configuration: nil, configError: nil, findings: [], postfixVersion: nil)
        do {
            let loaded = try loadConfiguration(options)
            step.configuration = loaded
            step.findings = Gatherer.lint(loaded, options: options, runner: runner)
        } catch {
            step.configError = "\(error)"
        }
        if let out = try? runner.run("postconf", ["-c", options.configDirectory, "-h", "mail_version"], timeout: 10), out.succeeded {
            step.postfixVersion = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return step
    }

    /// Step 2: find and read the mail logs (none when `options.logs` is off). `reading` is told the files first.
    public func gatherLogs(_ options: GatherOptions, configuration: PostfixConfiguration?,
                           reading: ((String) -> Void)? = nil) -> LogStep {
        guard options.logs else { return .skipped }
        let files = options.logFiles.isEmpty ? LogDiscovery(runner: runner).discover(configDirectory: options.configDirectory) : options.logFiles
        guard !files.isEmpty else { return LogStep(files: [], report: nil, error: "no mail log found (give one with --log FILE)") }
        reading?(files.joined(separator: ", "))
        do {
            return LogStep(files: files, report: try LogReport.analyze(paths: files, options: options.logAnalyzerOptions(configuration: configuration)),
                           error: nil)
        } catch {
            return LogStep(files: files, report: nil, error: "\(error)")
        }
    }

    /// Step 3: probe the targets (`probeTargets`); nil when OpenSSL cannot be set up for probing.
    public func probe(_ targets: [ProbeTarget], options: GatherOptions,
                      progress: (@Sendable (ProbeProgress) -> Void)? = nil) -> ProbeReport? {
        let probeOptions = ProbeOptions(phaseTimeout: options.phaseTimeout, trust: options.trust)
        guard let prober = try? Prober(options: probeOptions, recorder: options.probeRecorder()) else { return nil }
        return prober.probe(targets) { event in progress?(event) }
    }

    /// Step 4: the mail domain's DNS, when `options.domain` names one. `looking` is told the domain first. With the
    /// configuration, the TLSA records are also held against the MX service's key and certificate on disk (a
    /// rollover in progress, records published ahead of a reload, stale records).
    public func gatherDNS(_ options: GatherOptions, configuration: PostfixConfiguration? = nil,
                          looking: ((String) -> Void)? = nil) -> DNSReport? {
        guard let domain = options.domain else { return nil }
        looking?(domain)
        return dnsReport(domain: domain, options: options, onDisk: configuration.map { OnDiskCredentials(configuration: $0, smtpPorts: options.smtpPorts) })
    }

    /// Step 5: senders' TLS reports, when `options.tlsReports` names any (`TLSReportReader`, as `postls tlsrpt`
    /// reads them). `reading` is told the paths first.
    public func gatherReports(_ options: GatherOptions, reading: ((String) -> Void)? = nil) -> TLSReportSet? {
        guard !options.tlsReports.isEmpty else { return nil }
        reading?(options.tlsReports.joined(separator: ", "))
        let reader = TLSReportReader()
        reader.read(paths: options.tlsReports)
        return reader.set
    }

    /// Step 6: the join. Scans for refused plaintext senders when the MX requires TLS (the log engine does not
    /// report them), diagnoses, and notes what could not be read among the limitations.
    public func join(config: ConfigStep, logs: LogStep, probe: ProbeReport?, probeTargets: [ProbeTarget], dns: DNSReport?,
                     reports: TLSReportSet? = nil, options: GatherOptions) -> Gathered {
        var refusals: [PlaintextRefusals] = []
        if logs.report != nil, let configuration = config.configuration, config.findings.contains(where: { $0.id == "tls_required_on_mx" }) {
            refusals = PlaintextRefusals.scan(files: logs.files, labels: PlaintextRefusals.programs(configuration, smtpPorts: options.smtpPorts))
        }
        var input = DiagnosisInput(configuration: config.configuration, configFindings: config.findings, probe: probe,
                                   logEvents: logs.report?.events ?? [], logSummary: logs.report?.summary,
                                   postfixVersion: config.postfixVersion, now: clock.now(), smtpPorts: options.smtpPorts,
                                   plaintextRefusals: refusals)
        input.dnsFindings = dns?.findings ?? []
        input.dnsSuggestions = dns?.suggestions ?? []
        input.dovecot = options.loadDovecot()
        input.master = options.masterStatus(configuration: config.configuration)
        if let reports {
            input.reportedFailures = LocalLogMatcher.join(reports, logFiles: logs.files, events: logs.report?.events ?? [],
                                                          logsRead: logs.report != nil, configuration: config.configuration,
                                                          smtpPorts: options.smtpPorts, certificateCause: Self.mxCertificateCause(probe, smtpPorts: options.smtpPorts))
        }
        var report = DiagnosisEngine().diagnose(input)
        if let reports {
            report.senderReports = SenderReports(set: reports, failures: input.reportedFailures, logsRead: logs.report != nil)
            if logs.report == nil { report.limitations.append("tlsrpt: no mail log was read, so the senders' reported failures were not matched to local lines") }
        }
        if let configError = config.configError { report.limitations.insert("config: \(configError)", at: 0) }
        if let logError = logs.error { report.limitations.append("logs: \(logError)") }
        if let note = logs.report?.summary.ownProbesNote { report.limitations.append(note) }
        return Gathered(configuration: config.configuration, configError: config.configError, findings: config.findings, probe: probe,
                        probeTargets: probeTargets, logReport: logs.report, logFiles: logs.files, logError: logs.error,
                        postfixVersion: config.postfixVersion, report: report, dns: dns, tlsReports: reports)
    }

    /// What the probe found wrong with the certificate a public SMTP listener serves (its verify code, else the
    /// name): what a sender's vague `certificate-not-trusted` or `validation-failure` stands for.
    static func mxCertificateCause(_ probe: ProbeReport?, smtpPorts: Set<Int>) -> Cause? {
        guard let probe else { return nil }
        return probe.targets.filter { $0.port == 25 || smtpPorts.contains($0.port) }.lazy.compactMap(Builder.certificateCause).first
    }

    /// The DNS side of the domain, through the given resolver or the system's first nameserver.
    func dnsReport(domain: String, options: GatherOptions, onDisk: OnDiskCredentials? = nil) -> DNSReport? {
        let server = options.resolver
            ?? (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)).flatMap { firstNameserver(inResolvConf: $0) }
            ?? SocketAddress(ip: "127.0.0.1", port: 53)
        guard let server else { return nil }
        let checkOptions = DNSCheckOptions(smtpPort: options.dnsSMTPPort, timeout: min(options.phaseTimeout, 5),
                                           onDiskKeyDER: onDisk?.publicKeyDER, onDiskCertificate: onDisk?.certificate)
        return MailDomainInspector.standard(server: server, trust: options.trust, options: checkOptions).inspect(domain: domain)
    }

    /// The listeners to probe: master.cf's smtpd services (or the given ports) on their own address.
    public func probeTargets(_ options: GatherOptions, configuration: PostfixConfiguration?) -> [ProbeTarget] {
        let expectedName = options.name ?? configuration?.value("myhostname")
        var targets: [ProbeTarget] = []
        var wrapperPorts = options.implicitPorts
        var listenerHosts: [UInt16: [String]] = [:]
        var mxPorts = Set(([25] + options.smtpPorts).compactMap { UInt16(exactly: $0) })
        var submissionPorts: Set<UInt16> = []
        var ports = options.ports
        if let configuration {
            for listener in configuration.smtpdListeners {
                guard let p = listener.listen.port, let port = UInt16(exactly: p) else { continue }
                if listener.tls.wrappermode { wrapperPorts.insert(port) }
                // master.cf says what a listener is for: smtp receives from MTAs, the others serve mail clients.
                if listener.displayName == "smtp" { mxPorts.insert(port) } else { submissionPorts.insert(port) }
                if options.ports.isEmpty, !ports.contains(port) { ports.append(port) }
                if let host = listener.listen.host { listenerHosts[port, default: []].append(host) }
                else if let addresses = UnreachableListener.interfaceAddresses(configuration) { listenerHosts[port, default: []] += addresses }
            }
            // An MX service commented out of master.cf: probe its port, to show that nothing listens there.
            for port in [25] + options.smtpPorts.sorted() where options.ports.isEmpty && !ports.contains(UInt16(port)) {
                if !UnreachableListener.commentedOutServices(configuration.master, port: port).isEmpty { ports.append(UInt16(port)) }
            }
        }
        if ports.isEmpty { ports = [25, 465, 587] }
        for port in ports {
            let hosts = !options.hosts.isEmpty ? options.hosts : (listenerHosts[port] ?? ["127.0.0.1"])
            let expansion = ProbeTarget.expand(hosts: hosts, ports: [port], implicitPorts: wrapperPorts, name: expectedName)
            for var t in expansion.targets {
                t.isMX = mxPorts.contains(port) || (!submissionPorts.contains(port) && !t.looksLikeSubmission)
                if !targets.contains(t) { targets.append(t) }
            }
        }
        return targets
    }
}

extension Gatherer {
    /// The config engine's findings for a gathering: main.cf/master.cf, and Dovecot's configuration when
    /// `options.dovecotConfig` names one (a Dovecot file that cannot be read is a finding, not a failure).
    public static func lint(_ configuration: PostfixConfiguration, options: GatherOptions, runner: ProcessRunner) -> [Finding] {
        var dovecot: DovecotConfig? = nil
        var extra: [Finding] = []
        if let path = options.dovecotConfig {
            do { dovecot = try DovecotConfig(path: path) } catch {
                extra.append(Finding(id: "dovecot_config_unreadable", cause: .certificateUnreadable, severity: .warning, file: path,
                                     message: "Dovecot's configuration cannot be read, so its TLS settings were not checked: \(error)", server: .dovecot))
            }
        }
        var context = LintContext(configuration: configuration, cipherEvaluator: OpenSSLCipherEvaluator(runner: runner),
                                  trustAnchors: options.trust, publicSMTPPorts: options.smtpPorts, dovecot: dovecot)
        context.dovecotValidation = dovecot?.validate(runner: runner, cache: options.cache)
        if dovecot != nil { context.dovecotVersion = DovecotConfig.installedVersion(runner: runner, cache: options.cache) }
        return Linter().run(context) + extra
    }
}
