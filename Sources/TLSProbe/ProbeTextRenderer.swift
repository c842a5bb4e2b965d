import Foundation
import PostlsCore
import TLSKit

/// The text form of a probe report: one block per listener.
public struct ProbeTextRenderer: Sendable {
    /// ANSI colors for severities (off for pipes and NO_COLOR).
    public var color: Bool

    public init(color: Bool = false) { self.color = color }

    private func paint(_ text: String, _ severity: Severity?) -> String {
        guard color, let severity else { return text }
        let code = severity == .critical ? "31" : severity == .warning ? "33" : "36"
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }

    /// One block per listener: greeting, STARTTLS, versions, negotiated, chain, verify, name, profiles, findings.
    public func render(_ report: ProbeReport) -> String {
        var out = ""
        for r in report.targets {
            let where_ = r.address.isEmpty ? "\(r.host) port \(r.port)" : r.endpoint
            out += "\(r.host)  \(where_)  \(r.mode == .implicit ? "implicit TLS" : "STARTTLS")  (\(r.connections) connection\(r.connections == 1 ? "" : "s"), \(r.elapsedMs) ms)\n"
            func row(_ label: String, _ value: String) { out += "  " + label.padding(toLength: 12, withPad: " ", startingAt: 0) + value + "\n" }
            if let g = r.greeting { row("greeting", g) }
            if r.mode == .starttls, let offered = r.starttlsOffered {
                row("STARTTLS", offered ? "offered" + (r.starttlsReply.map { ", answered \($0)" } ?? "") : "not offered")
            }
            if TLSVersion.allCases.contains(where: { r.status($0) != .untested }) {
                row("protocols", TLSVersion.allCases.map { "\($0.rawValue) \(r.status($0).rawValue)" }.joined(separator: "  "))
            }
            if let n = r.negotiated {
                var text = "\(n.protocol) \(n.cipher)" + (n.group.map { " \($0)" } ?? "")
                if let same = r.sameChainWithoutSNI { text += same ? "  (same certificate without SNI)" : "  (different certificate without SNI)" }
                row("negotiated", text)
            }
            for (i, cert) in r.chain.enumerated() {
                row(i == 0 ? "chain" : "", "\(i) \(cert.subject)  [\(cert.key), \(cert.signature)]")
                row("", "  issuer \(cert.issuer)")
                if i == 0 { row("", "  names \(cert.san.joined(separator: ", "))  valid until \(cert.notAfter) (\(cert.daysToExpiry) days)") }
            }
            if let v = r.verify { row("verify", "\(v.code) (\(v.message))") }
            if let name = r.expectedName, !r.chain.isEmpty {
                row("name", "\(name): " + (r.nameMatch.map { $0 ? "covered" : "NOT covered" } ?? "not checked"))
            }
            if let ciphers = r.ciphers {
                for (version, list) in ciphers.sorted(by: { $0.key < $1.key }) { row("ciphers", "\(version): \(list.joined(separator: " "))") }
            }
            if let e = r.error { row("error", paint("\(e.phase.rawValue): \(e.message)", .critical)) }
            // When TLS never starts the error says it all; the senders would repeat it five times.
            let tlsStarted = r.error == nil || r.error?.phase == .handshake
            if tlsStarted && !r.profiles.isEmpty { row("senders", "approximations of named senders, sources in docs/SENDERS.md") }
            for p in r.profiles where tlsStarted {
                let outcome = p.outcome.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
                out += "    " + p.id.padding(toLength: 14, withPad: " ", startingAt: 0) + "\(outcome) \(p.reasons.joined(separator: "; "))\n"
            }
            for f in r.findings { row(f.severity.rawValue, paint(f.message + (f.cause.map { " [\($0.rawValue)]" } ?? ""), f.severity)) }
            out += "\n"
        }
        if report.targets.isEmpty { out += "nothing probed\n" }
        return out
    }
}
