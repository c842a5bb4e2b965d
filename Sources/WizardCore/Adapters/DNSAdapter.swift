import Foundation
import MailDNS
import PostlsCore

// From the DNS engine's report to the DNS step's view.

extension DNSView {
    /// `hostName` (myhostname) and `localAddresses` (the probed listeners') say which MX is this server.
    public init(_ r: DNSReport, hostName: String, localAddresses: Set<String>) {
        let host = hostName.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        let mx = r.mx.map { m -> MX in
            let name = m.host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
            let mine = name == host || m.addresses.contains { localAddresses.contains($0) }
            return MX(host: m.host, preference: m.preference, addresses: m.addresses, isThisServer: mine,
                      lines: [Self.certificateLine(m), Self.tlsaLine(m, domainDNSSEC: r.dnssec)])
        }
        self.init(domain: r.domain, resolver: r.resolver, dnssec: r.dnssec.rawValue, mx: mx,
                  policies: [Self.mtaSTSLine(r), Self.tlsRPTLine(r)],
                  findings: r.findings.map { Finding(severity: $0.severity, cause: $0.cause, message: $0.message) },
                  records: r.suggestions.flatMap { $0.pasteLines() })
    }

    static func certificateLine(_ m: MXReport) -> Line {
        guard let c = m.certificate else { return Line(.warning, "certificate", "none served: \(m.probeError ?? "not probed")") }
        let verify = c.verify.isOK ? "verifies" : "does not verify (\(c.verify.message))"
        let names = c.coversHost ? "covers \(m.host)" : "does not cover \(m.host)"
        return Line(c.verify.isOK && c.coversHost ? .ok : .warning, "certificate", "\(names), \(verify), key \(c.spkiSHA256.prefix(16))…")
    }

    /// The TLSA records against the served key and the key on disk: a match, a rollover in progress (both keys
    /// pinned), records published ahead of a reload, stale records (neither key), or no DNSSEC (DANE off).
    static func tlsaLine(_ m: MXReport, domainDNSSEC: DNSSECStatus) -> Line {
        guard let t = m.tlsa else {
            return Line(.none, "TLSA", domainDNSSEC == .secure ? "none published (the zone is signed: DANE could be used)" : "none (DANE not used)")
        }
        let count = "\(t.records.count) record\(t.records.count == 1 ? "" : "s")"
        guard t.validated else { return Line(.warning, "TLSA", "\(count), not DNSSEC-validated: senders ignore them") }
        switch (t.matches, t.onDiskKeyPinned) {
        case (true?, true?):
            return Line(.ok, "TLSA", "\(count): match the served key and pin the key on disk")
        case (true?, false?):
            return Line(.warning, "TLSA", "\(count): match the served key, not the key on disk: the next reload breaks DANE")
        case (true?, nil):
            return Line(.ok, "TLSA", "\(count): match the served key")
        case (false?, true?):
            return Line(.critical, "TLSA", "\(count): pin the key on disk, not the served one: reload Postfix")
        case (false?, _):
            return Line(.critical, "TLSA", "\(count): STALE, match neither the served key nor the key on disk")
        case (nil, _):
            return Line(.warning, "TLSA", "\(count): no served certificate to compare")
        }
    }

    static func mtaSTSLine(_ r: DNSReport) -> Line {
        guard let s = r.mtaSTS else { return Line(.none, "MTA-STS", "no _mta-sts record") }
        if let error = s.error { return Line(.critical, "MTA-STS", "policy not usable: \(error)") }
        guard let policy = s.policy else { return Line(.warning, "MTA-STS", "record without a policy") }
        if s.mxCovered == false { return Line(.critical, "MTA-STS", "\(policy.mode.rawValue): does not list \(s.uncoveredMX.joined(separator: ", "))") }
        let mark: Mark = r.findings.contains { $0.topic == "mta_sts" } ? .warning : .ok
        return Line(mark, "MTA-STS", "\(policy.mode.rawValue), covers every MX (\(policy.mx.joined(separator: ", ")))")
    }

    static func tlsRPTLine(_ r: DNSReport) -> Line {
        guard let record = r.tlsRPT else { return Line(.warning, "TLS-RPT", "no _smtp._tls record: senders cannot report TLS failures") }
        return Line(.ok, "TLS-RPT", record)
    }
}
