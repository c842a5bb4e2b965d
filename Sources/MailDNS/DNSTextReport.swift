import Foundation
import PostlsCore

/// The text form of a DNS report, for people.
public enum DNSTextReport {
    public static func render(_ r: DNSReport) -> String {
        var out = "Domain \(r.domain) (resolver \(r.resolver), DNSSEC: \(r.dnssec.rawValue))\n"
        if r.mx.isEmpty { out += "  no MX host to check\n" }
        for mx in r.mx {
            out += "\nMX \(mx.preference) \(mx.host)  [\(mx.dnssec.rawValue)]\n"
            out += "  addresses: \(mx.addresses.isEmpty ? "none" : mx.addresses.joined(separator: ", "))\n"
            for p in mx.ptr {
                out += "  PTR \(p.address): \(p.names.isEmpty ? "none" : p.names.joined(separator: ", "))\(p.names.isEmpty ? "" : p.forwardConfirmed ? " (forward-confirmed)" : " (does not resolve back)")\n"
            }
            if let c = mx.certificate {
                out += "  certificate (\(c.address)): \(c.names.joined(separator: ", ")); covers \(mx.host): \(c.coversHost ? "yes" : "NO"); verify: \(c.verify.message)\n"
                out += "    sha256 \(c.sha256)\n    spki sha256 \(c.spkiSHA256)\n"
            } else if let e = mx.probeError {
                out += "  certificate: none (\(e))\n"
            }
            if let t = mx.tlsa {
                out += "  TLSA _25._tcp.\(mx.host) [\(t.dnssec.rawValue)]: " + (t.matches.map { $0 ? "matches the served chain" : "MATCHES NOTHING served" } ?? "not compared") + "\n"
                for record in t.records { out += "    \(record)\n" }
            }
        }
        if let s = r.mtaSTS {
            out += "\nMTA-STS: \(s.txt ?? "-")\n"
            if let p = s.policy {
                out += "  policy: mode \(p.mode.rawValue), max_age \(p.maxAge), mx \(p.mx.joined(separator: ", "))\n"
                out += "  covers every MX: \(s.mxCovered == true ? "yes" : "NO (" + s.uncoveredMX.joined(separator: ", ") + ")")\n"
            }
            if let e = s.error { out += "  error: \(e)\n" }
        } else {
            out += "\nMTA-STS: none\n"
        }
        out += "TLS-RPT: \(r.tlsRPT ?? "none")\nSPF: \(r.spf ?? "none")\nDMARC: \(r.dmarc ?? "none")\n"
        for entry in r.dkim { out += "DKIM \(entry.selector): \(entry.record ?? "none")\n" }
        out.appendSection("Findings", r.findings) { "[\($0.severity.rawValue)] \($0.cause.rawValue): \($0.message)" }
        out.appendSection("Context", r.context) { "[\($0.severity.rawValue)] \($0.topic): \($0.message)" }
        if !r.suggestions.isEmpty {
            out += "\nRecords to publish:\n"
            for s in r.suggestions {
                if let line = s.zoneLine { out += "  \(line)\n" } else { out += "  \(s.name):\n" + s.value.split(separator: "\r\n").map { "    \($0)\n" }.joined() }
                out += "    (\(s.reason))\n"
            }
        }
        if r.findings.isEmpty { out += "\nNo DNS problem found.\n" }
        return out
    }
}
