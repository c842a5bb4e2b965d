import Diagnosis
import Foundation
import PostfixConfig
import PostlsCore
import TLSProbe

// The rows of each step from a gathering: the live wizard (EngineEffectHandler) posts these as its steps end, and a
// support bundle is the same rows written down, so `postls open` shows what the customer's wizard showed.

extension ConfigFindingRow {
    /// The Config step's findings: an unreadable configuration is one critical row, else the findings in report order.
    public static func rows(findings: [Finding], configError: String?, configDirectory: String) -> [ConfigFindingRow] {
        let shown = configError.map {
            [Finding(id: "config_unreadable", cause: .unclassified, severity: .critical, file: configDirectory + "/main.cf",
                     message: "cannot read the configuration: \($0)")]
        } ?? findings
        return shown.sortedForReport().map(ConfigFindingRow.init)
    }
}

/// The name shown for each listening port (`SMTPDListener.displayName`).
public struct ServiceNames: Sendable {
    private var names: [Int: String] = [:]
    public init(configuration: PostfixConfiguration?) {
        for listener in configuration?.smtpdListeners ?? [] {
            guard let port = listener.listen.port else { continue }
            names[port] = listener.displayName
        }
    }
    public subscript(port: Int) -> String? { names[port] }
    public func name(port: Int) -> String { names[port] ?? "port \(port)" }
}

extension WizardBundle {
    /// The bundle of a gathering: every step's rows as the wizard shows them, the configuration files, and `actions`.
    public static func make(gathered: Gathered, hostName: String, configDirectory: String, probeError: String?,
                            actions: [Action], dnsDomain: String? = nil, certificateName: String? = nil, now: Date = Date()) -> WizardBundle {
        let services = ServiceNames(configuration: gathered.configuration)
        let events = gathered.logReport?.events.map(LogEventRow.init) ?? []
        let logs = Logs(totals: gathered.logReport.map { LogTotals($0.summary, sources: gathered.logFiles) },
                        events: Logs.bounded(events), eventsTotal: events.count,
                        error: gathered.logReport == nil ? (gathered.logError ?? "logs not read (--no-logs)") : nil)
        let findings = ConfigFindingRow.rows(findings: gathered.findings, configError: gathered.configError, configDirectory: configDirectory)
        return WizardBundle(
            generated: TimeFormat.iso8601(now), hostName: hostName, configDirectory: configDirectory,
            config: Config(settings: gathered.configuration.map(ConfigSettingRow.rows) ?? [], findings: findings),
            // The senders under the domain's policy when the DNS was checked, as the live wizard shows them.
            probe: Probe(listeners: gathered.probe.map { SenderPolicyJoin.applied($0, dns: gathered.dns) }?.targets
                            .map { ListenerStatus($0, service: services[$0.port]) } ?? [],
                         error: gathered.probe == nil ? probeError ?? "not probed" : nil),
            logs: logs, diagnoses: gathered.report.diagnoses.map(DiagnosisRow.init), fixes: gathered.report.fixes.map(FixRow.init),
            files: configurationFiles(configDirectory: configDirectory, findings: findings), actions: actions,
            dns: dnsStep(gathered, domain: dnsDomain, certificateName: certificateName),
            senderReports: gathered.report.senderReports.map(SenderReportsRow.init))
    }

    /// The DNS step as the wizard holds it: the configuration's mail domains, and the checked domain's view (which
    /// MX is this server by myhostname, or `certificateName`, and the probed addresses, as the live step decides).
    /// `domain` is the one asked for (`--domain`): without a report it was asked but could not be checked.
    static func dnsStep(_ gathered: Gathered, domain: String?, certificateName: String?) -> DNS {
        let candidates = gathered.configuration.map(MailDomains.candidates) ?? []
        guard let report = gathered.dns else {
            return DNS(candidates: candidates, view: nil, domain: domain, error: domain.map { _ in "no resolver to ask (give one with --resolver)" })
        }
        let host = certificateName ?? gathered.configuration?.value("myhostname") ?? ""
        let local = Set(gathered.probeTargets.map(\.address.ip))
        return DNS(candidates: candidates, view: DNSView(report, hostName: host, localAddresses: local))
    }

    /// main.cf, master.cf and the other files findings point at, as the Config step's file view shows them: never a
    /// file with a private key, never a big one, key material stripped from the rest.
    static func configurationFiles(configDirectory: String, findings: [ConfigFindingRow]) -> [File] {
        var paths = [configDirectory + "/main.cf", configDirectory + "/master.cf"]
        for f in findings {
            let path = f.file.hasPrefix("/") ? f.file : configDirectory + "/" + f.file
            if !paths.contains(path) { paths.append(path) }
        }
        return paths.compactMap { path in
            guard let data = FileManager.default.contents(atPath: path), data.count < 1 << 20 else { return nil }
            let text = String(decoding: data, as: UTF8.self)
            guard !text.contains("PRIVATE KEY") else { return nil }
            return File(path: path, lines: KeyMaterial.strip(text).components(separatedBy: "\n"))
        }
    }

    /// The fix journal's entries on disk, oldest first: what was applied and rolled back, by `postls fix` or a wizard.
    public static func journalActions(configDirectory: String) -> [Action] {
        let entries = (try? ConfigApplier(validator: nil).journal(directory: configDirectory)) ?? []
        return entries.flatMap { entry -> [Action] in
            let files = entry.files.map(\.path) + (entry.created ?? []).map(\.path)
            let edits = entry.edits.map(\.summary).joined(separator: "; ")
            var out = [Action(kind: .apply, source: "journal", time: entry.time, fixID: nil, journalID: entry.id, succeeded: true,
                              message: edits, files: files)]
            if let when = entry.rolledBack {
                out.append(Action(kind: .rollback, source: "journal", time: when, fixID: nil, journalID: entry.id, succeeded: true,
                                  message: "", files: entry.files.map(\.path)))
            }
            return out
        }
    }

    /// The bundle with every host name, domain, address and mail address replaced by `redactor`'s placeholders (the
    /// support report's redactor, which knows the gathering's names), key material removed. The header fields (format,
    /// version, postls version, time) are put back as written: version numbers look like addresses to its generic pass.
    public func redacted(with redactor: inout Redactor) throws -> WizardBundle {
        let tree = redactor.redact(json: try JSONValue(encoding: self))
        var out = try JSONDecoder().decode(WizardBundle.self, from: ContractJSON.encode(tree))
        (out.format, out.bundleVersion, out.postlsVersion, out.generated, out.redacted) = (format, bundleVersion, postlsVersion, generated, true)
        return out
    }

    /// The bundle with key material removed from every string (a key pasted into a log line, a diff): done to every
    /// bundle, redacted or not, as to every support report.
    public func strippingKeyMaterial() throws -> WizardBundle {
        let tree = try JSONValue(encoding: self).mapStrings(KeyMaterial.strip)
        return try JSONDecoder().decode(WizardBundle.self, from: ContractJSON.encode(tree))
    }
}
