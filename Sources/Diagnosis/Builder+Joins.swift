import Foundation
import MailLog
import PostfixConfig
import PostlsCore
import TLSKit
import TLSProbe

extension Builder {
    /// The listeners whose log label is `service`.
    func listeners(forService service: String) -> [SMTPDListener] {
        (input.configuration?.smtpdListeners ?? []).filter { $0.logServiceLabel == service }
    }

    /// Joins log symptoms to the configuration lines that explain them and the probe that reproduces them,
    /// for the service the failing peers used.
    mutating func joinLogsToConfigAndProbe() {
        let failing = Dictionary(grouping: logEvents.filter { $0.cause == .protocolMismatch || $0.cause == .noSharedCipher },
                                 by: \.cause)
        for (cause, events) in failing {
            let services = Set(events.compactMap(\.service))
            for service in services.sorted() {
                for listener in listeners(forService: service) {
                    if cause == .protocolMismatch { joinProtocols(listener, service: service) }
                    else { joinCiphers(listener, service: service) }
                }
            }
        }
    }

    private mutating func joinProtocols(_ listener: SMTPDListener, service: String) {
        let already = Set((findingsByCause[.protocolMismatch] ?? []).compactMap(\.parameter))
        // Opportunistic TLS uses smtpd_tls_protocols; mandatory TLS (encrypt) uses the mandatory list.
        let relevant = listener.tls.securityLevel == "encrypt" ? "smtpd_tls_mandatory_protocols" : "smtpd_tls_protocols"
        for parameter in [relevant] {
            let list = parameter == "smtpd_tls_protocols" ? listener.tls.protocols : listener.tls.mandatoryProtocols
            let set = TLSProtocolSet(list)
            let excluded = ["TLSv1", "TLSv1.1", "TLSv1.2"].filter { !set.enabled.contains($0) }
            guard !excluded.isEmpty, let source = listener.sources[parameter], source != .defaultValue else { continue }
            let text = "\(parameter) = \(list) on \(listener.service.name) excludes \(excluded.joined(separator: ", ")), the versions the failing peers offer"
            guard !already.contains(parameter) else {
                add(.protocolMismatch, .warning, Evidence(source: .config, location: "\(source)", text: text))
                continue
            }
            let where_ = source.fileAndLine
            // The MX keeps Postfix's default floor (opportunistic TLS: a refused handshake means plaintext or no mail);
            // submission clients all speak TLS 1.2, so there the floor comes down to TLS 1.2 only, not further.
            let isMX = listener.isPublicSMTP || listener.listen.port.map(input.smtpPorts.contains) == true
            let floor = !isMX && excluded.contains("TLSv1.2") ? ">=TLSv1.2" : ">=TLSv1"
            let f = Finding(id: "protocol_floor_for_failing_peers", cause: .protocolMismatch, severity: .warning,
                            file: where_?.0, line: where_?.1, parameter: parameter, message: text,
                            fix: .setOverride(service: listener.service.name, type: listener.service.type, name: parameter, value: floor))
            add(.protocolMismatch, .warning, Evidence(source: .config, location: "\(source)", text: text),
                summary: "\(service) (port \(listener.listen.port.map(String.init) ?? "?")) refuses the TLS versions its peers offer: \(parameter) = \(list)")
            findingsByCause[.protocolMismatch, default: []].append(f)
        }
        addProbeVersionEvidence(.protocolMismatch, port: listener.listen.port)
    }

    private mutating func joinCiphers(_ listener: SMTPDListener, service: String) {
        let tls = listener.tls
        for (parameter, value) in [("smtpd_tls_ciphers", tls.ciphers), ("smtpd_tls_mandatory_ciphers", tls.mandatoryCiphers),
                                   ("smtpd_tls_exclude_ciphers", tls.excludeCiphers), ("smtpd_tls_mandatory_exclude_ciphers", tls.mandatoryExcludeCiphers)] {
            guard let source = listener.sources[parameter], source != .defaultValue, !value.isEmpty else { continue }
            add(.noSharedCipher, .warning, Evidence(source: .config, location: "\(source)", text: "\(parameter) = \(value) on \(listener.service.name)"))
        }
        // The settings that narrow the list below Postfix's defaults: the cipher list of the grade in use and the
        // exclusions. Removing them restores the defaults, which suit opportunistic TLS.
        guard let configuration = input.configuration else { return }
        let mandatory = tls.securityLevel == "encrypt" || tls.wrappermode
        let grade = (mandatory ? tls.mandatoryCiphers : tls.ciphers).lowercased()
        var narrowing = ["tls_\(grade)_cipherlist", "smtpd_tls_exclude_ciphers"]
        if mandatory { narrowing.append("smtpd_tls_mandatory_exclude_ciphers") }
        let already = Set((findingsByCause[.noSharedCipher] ?? []).compactMap(\.fix))
        for parameter in narrowing {
            guard let raw = configuration.raw(parameter, service: listener.service), raw.source != .defaultValue,
                  let where_ = raw.source.fileAndLine else { continue }
            let edit: ConfigEdit
            if case .masterCF = raw.source {
                edit = .removeOverride(service: listener.service.name, type: listener.service.type, name: parameter)
            } else {
                edit = .removeMain(name: parameter)
            }
            let text = "\(parameter) = \(raw.value) narrows the ciphers of \(listener.service.name) below Postfix's default, and peers found no cipher in common"
            add(.noSharedCipher, .warning, Evidence(source: .config, location: "\(raw.source)", text: text),
                summary: "\(service) (port \(listener.listen.port.map(String.init) ?? "?")) shares no cipher with its peers: \(parameter) = \(raw.value)")
            guard !already.contains(edit) else { continue }
            findingsByCause[.noSharedCipher, default: []].append(
                Finding(id: "cipher_list_narrowed_for_failing_peers", cause: .noSharedCipher, severity: .warning,
                        file: where_.0, line: where_.1, parameter: parameter, message: text, fix: edit))
        }
        addProbeVersionEvidence(.noSharedCipher, port: listener.listen.port)
    }

    /// A peer's alert says only that it rejected our certificate (`unknown ca`, `certificate unknown`); the probe of
    /// the listener it used says why (verify code, name). Re-attributes those log events to the probe's cause, so the
    /// diagnosis joins the peers' failures with the reproduction.
    mutating func refineCertificateRejections() {
        let rejections: Set<Cause> = [.untrustedCertificate, .incompleteChain, .expiredCertificate, .nameMismatch]
        guard let probe = input.probe else { return }
        for index in logEvents.indices {
            let event = logEvents[index]
            guard event.kind == .session, rejections.contains(event.cause), let service = event.service else { continue }
            let ports = Set(listeners(forService: service).compactMap(\.listen.port))
            guard let cause = probe.targets.filter({ ports.contains($0.port) }).lazy.compactMap(Self.certificateCause).first,
                  cause != event.cause else { continue }
            let note = "peers' alerts on \(service) (\(event.errors.first?.reason ?? event.rule)) are explained by the probe: \(cause.rawValue)"
            if !(notes[cause]?.contains(note) ?? false) { notes[cause, default: []].append(note) }
            logEvents[index].cause = cause
        }
    }

    /// What is wrong with the certificate a listener serves, from its probe: the verify code first, then the name.
    static func certificateCause(_ t: ListenerProbeResult) -> Cause? {
        if let cause = t.verify?.cause { return cause }
        if t.nameMatch == false { return .nameMismatch }
        return nil
    }

    private mutating func addProbeVersionEvidence(_ cause: Cause, port: Int?) {
        guard let port, let probe = input.probe else { return }
        for t in probe.targets where t.port == port {
            let location = t.evidenceLocation
            let refused = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"].filter { t.protocols[$0] == .rejected }
            let accepted = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"].filter { t.protocols[$0] == .accepted }
            guard !refused.isEmpty || t.negotiated == nil else { continue }
            let text = t.negotiated == nil
                ? "no handshake succeeds" + (t.error.map { ": \($0.message)" } ?? "")
                : "refuses \(refused.joined(separator: ", ")); accepts \(accepted.joined(separator: ", "))"
            if !(evidence[cause] ?? []).contains(where: { $0.location == location && $0.text == text }) {
                add(cause, .warning, Evidence(source: .probe, location: location, text: text))
            }
        }
    }
}
