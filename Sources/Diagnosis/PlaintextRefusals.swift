import ByteSources
import Foundation
import MailLog
import PostfixConfig

/// Senders refused for want of TLS on a service that requires it (`encrypt`). Postfix logs the
/// `530 5.7.0 Must issue a STARTTLS command first` on no line of its own: it shows only as `mail=0/N`
/// on the session's `disconnect` line, which then has no `starttls=` counter. The log engine reports TLS
/// failures, not these, so the diagnosis looks for them where the configuration says they must be.
public struct PlaintextRefusals: Sendable, Equatable {
    /// The service label (`smtp`, `submission`).
    public var service: String
    /// Sessions refused.
    public var count: Int
    /// `maillog:12` of the first one.
    public var firstLocation: String
    public var firstLine: String

    /// Scans `files` for the refused sessions of each smtpd program (`postfix/smtpd` → label `smtp`).
    static func scan(files: [String], labels: [String: String]) -> [PlaintextRefusals] {
        guard !labels.isEmpty else { return [] }
        var found: [String: PlaintextRefusals] = [:]
        for file in files {
            guard let source = try? openLogSource(path: file) else { continue }
            let name = (file as NSString).lastPathComponent
            _ = LineReader().forEachLine(in: source) { bytes, number in
                let line = String(decoding: bytes, as: UTF8.self)
                guard line.contains(": disconnect from "), line.contains(" mail=0/"), !line.contains(" starttls=") else { return }
                for (program, label) in labels where line.contains(" \(program)[") {
                    if found[label] == nil {
                        found[label] = PlaintextRefusals(service: label, count: 0, firstLocation: "\(name):\(number)", firstLine: line)
                    }
                    found[label]?.count += 1
                }
            }
        }
        return found.values.sorted { $0.service < $1.service }
    }

    /// The smtpd programs (syslog_name + `/smtpd`) of the listeners that receive internet mail and require TLS.
    static func programs(_ configuration: PostfixConfiguration, smtpPorts: Set<Int>) -> [String: String] {
        var out: [String: String] = [:]
        for listener in configuration.smtpdListeners where listener.tls.securityLevel == "encrypt" && !listener.tls.wrappermode {
            guard listener.isPublicSMTP || listener.listen.port.map(smtpPorts.contains) == true else { continue }
            let syslogName = configuration.value("syslog_name", service: listener.service)
            out[(syslogName.isEmpty ? "postfix" : syslogName) + "/smtpd"] = listener.logServiceLabel
        }
        return out
    }
}

extension Builder {
    /// Log evidence for `tls_required_on_mx`: the senders that were refused because they did not use TLS.
    mutating func joinPlaintextRefusals() {
        guard evidence[.tlsRequiredOnMX] != nil else { return }
        if input.logSummary != nil, !input.plaintextRefusals.contains(where: { $0.count > 0 }) {
            // The logs were read and no sender was refused in them: the requirement is certain, its harm not shown.
            // Without logs postls cannot tell, and the configuration's own severity stands.
            severities[.tlsRequiredOnMX] = .warning
            notes[.tlsRequiredOnMX, default: []].append("Concluded from the configuration alone (medium confidence): the logs read show no sender refused for want of TLS (530, mail=0/N without STARTTLS on the disconnect line), yet every sender without TLS would be.")
            return
        }
        for refusal in input.plaintextRefusals where refusal.count > 0 {
            add(.tlsRequiredOnMX, .critical,
                Evidence(source: .log, location: "\(refusal.count) sessions",
                         text: "\(refusal.count) sender\(refusal.count == 1 ? " was" : "s were") refused on \(refusal.service) for not using TLS (530; the disconnect line shows mail=0/N and no STARTTLS)"))
            add(.tlsRequiredOnMX, .critical, Evidence(source: .log, location: refusal.firstLocation, text: refusal.firstLine))
            logCounts[.tlsRequiredOnMX, default: 0] += refusal.count
        }
    }
}
