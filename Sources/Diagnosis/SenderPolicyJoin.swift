import Foundation
import MailDNS
import TLSProbe

/// Joins `postls dns` with the named senders: what the domain publishes that binds enforcing senders.
public enum SenderPolicyJoin {
    /// MTA-STS only in `enforce` mode; TLSA only when DNSSEC-validated and usable (what RFC 7672 senders act on).
    public static func policy(from report: DNSReport) -> SenderDomainPolicy {
        var policy = SenderDomainPolicy(domain: report.domain)
        if let sts = report.mtaSTS?.policy, sts.mode == .enforce {
            policy.mtaSTSEnforce = true
            policy.mtaSTSMX = sts.mx
        }
        for mx in report.mx {
            guard let tlsa = mx.tlsa, tlsa.validated, !tlsa.records.isEmpty else { continue }
            policy.tlsaMatches[mx.host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))] = tlsa.matches
        }
        return policy
    }

    /// Applies the domain's policy to every listener's sender verdicts.
    public static func apply(_ report: DNSReport, to probe: inout ProbeReport, profiles: [SenderProfile]) {
        let policy = policy(from: report)
        for i in probe.targets.indices { SenderVerdicts.apply(policy, to: &probe.targets[i], profiles: profiles) }
    }
}
