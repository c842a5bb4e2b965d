import Foundation
import PostlsCore
import TLSKit

/// What a sending MTA does with a receiving domain's certificate.
public enum SenderVerification: String, Codable, Sendable {
    /// Encrypts when it can, never checks the certificate, delivers in plaintext when TLS fails or is missing.
    case opportunistic
    /// Opportunistic, but honours a domain's MTA-STS policy in `enforce` mode (RFC 8461).
    case mtaSTS = "mta-sts"
    /// Opportunistic, but honours DNSSEC-valid TLSA records (RFC 7672) and MTA-STS where there are none.
    case daneAndMTASTS = "dane+mta-sts"
    /// Postfix `smtp_tls_security_level = dane`: DNSSEC-valid TLSA records bind it; else opportunistic.
    case dane
}

/// A named sender: the TLS a real MTA offers when it delivers to port 25, as data. Every profile is an
/// approximation of what its sources (docs/SENDERS.md) say; real stacks differ in details such as extension order.
public struct SenderProfile: Sendable, Equatable {
    public var id: String
    public var label: String
    public var minVersion: TLSVersion
    public var maxVersion: TLSVersion
    /// OpenSSL cipher list for TLS ≤ 1.2, with the security level the sender's stack runs at.
    public var cipherList: String
    /// Key-exchange groups offered, in order.
    public var groups: String
    public var sendsSNI: Bool
    public var verification: SenderVerification
    /// The section of docs/SENDERS.md that cites this profile's sources.
    public var source: String

    /// The client context the profile's one handshake uses.
    func contextOptions() -> TLSContext.Options {
        TLSContext.Options(minVersion: minVersion, maxVersion: maxVersion, cipherList: cipherList, groups: groups)
    }

    public var honoursMTASTS: Bool { verification == .mtaSTS || verification == .daneAndMTASTS }
    public var honoursDANE: Bool { verification == .dane || verification == .daneAndMTASTS }
}

extension SenderProfile {
    /// The profile table: one row per sender. Sources per row in docs/SENDERS.md.
    public static let all: [SenderProfile] = [
        SenderProfile(
            id: "gmail", label: "Gmail (approximation: TLS 1.0–1.3, SNI, ECDHE first with CBC and 3DES kept for compatibility; honours MTA-STS)",
            minVersion: .tls1, maxVersion: .tls1_3,
            cipherList: "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                + "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
                + "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA:DES-CBC3-SHA:@SECLEVEL=0",
            groups: "X25519:P-256:P-384", sendsSNI: true, verification: .mtaSTS, source: "docs/SENDERS.md#gmail"),
        SenderProfile(
            id: "microsoft365", label: "Microsoft 365 (approximation: TLS 1.2–1.3 only, SNI, ECDHE with AEAD ciphers; validates DANE and MTA-STS)",
            minVersion: .tls1_2, maxVersion: .tls1_3,
            cipherList: "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:"
                + "ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256:@SECLEVEL=1",
            groups: "X25519:P-256:P-384", sendsSNI: true, verification: .daneAndMTASTS, source: "docs/SENDERS.md#microsoft-365"),
        SenderProfile(
            id: "postfix", label: "Postfix 3.x default client (approximation: smtp_tls_security_level = may, no SNI, OpenSSL 3 defaults at security level 2)",
            minVersion: .tls1, maxVersion: .tls1_3, cipherList: "DEFAULT:@SECLEVEL=2",
            groups: "X25519:P-256:X448:P-521:P-384", sendsSNI: false, verification: .opportunistic, source: "docs/SENDERS.md#postfix"),
        SenderProfile(
            id: "postfix_dane", label: "Postfix 3.x with DANE (approximation: smtp_tls_security_level = dane, smtp_dns_support_level = dnssec, SNI, OpenSSL 3 defaults)",
            minVersion: .tls1, maxVersion: .tls1_3, cipherList: "DEFAULT:@SECLEVEL=2",
            groups: "X25519:P-256:X448:P-521:P-384", sendsSNI: true, verification: .dane, source: "docs/SENDERS.md#postfix-with-dane"),
        SenderProfile(
            id: "legacy", label: "Legacy MTA (approximation: TLS 1.0 only, no SNI, RSA and DHE-RSA ciphers, so RSA certificates only; e.g. an old appliance or Windows Server 2003-era stack)",
            minVersion: .tls1, maxVersion: .tls1,
            cipherList: "DHE-RSA-AES256-SHA:AES256-SHA:DHE-RSA-AES128-SHA:AES128-SHA:DES-CBC3-SHA:@SECLEVEL=0",
            groups: "P-256:P-384", sendsSNI: false, verification: .opportunistic, source: "docs/SENDERS.md#legacy-mta"),
    ]

    /// The profiles named in a comma-separated list ("gmail,microsoft365"); "none" for no sender handshakes (the
    /// probe's own five connections only, e.g. where the server limits connections per client); throws on an unknown name.
    public static func named(_ list: String) throws(SenderProfileError) -> [SenderProfile] {
        if list.trimmingCharacters(in: .whitespaces).lowercased() == "none" { return [] }
        var out: [SenderProfile] = []
        for raw in list.split(separator: ",") {
            let id = raw.trimmingCharacters(in: .whitespaces).lowercased()
            guard let profile = all.first(where: { $0.id == id }) else { throw .unknown(id) }
            if !out.contains(profile) { out.append(profile) }
        }
        if out.isEmpty { throw .unknown(list) }
        return out
    }
}

public enum SenderProfileError: Error, CustomStringConvertible {
    case unknown(String)
    public var description: String {
        switch self {
        case .unknown(let name):
            "no sender profile \"\(name)\" (known: \(SenderProfile.all.map(\.id).joined(separator: ", ")))"
        }
    }
}

/// What the receiving domain publishes that binds enforcing senders, as found by `postls dns` (the caller joins it;
/// TLSProbe does not resolve names).
public struct SenderDomainPolicy: Sendable, Equatable {
    public var domain: String
    /// An MTA-STS policy in `enforce` mode was fetched; its mx patterns.
    public var mtaSTSEnforce: Bool
    public var mtaSTSMX: [String]
    /// Per MX host (lower case): DNSSEC-valid, usable TLSA records exist, and whether one matched the served chain.
    public var tlsaMatches: [String: Bool?]
    /// Address → the MX host (a key of `tlsaMatches`) that resolves to it: senders connect by the MX name, so a
    /// listener the probe knows by myhostname or an address is judged as that MX.
    public var tlsaMXByAddress: [String: String]

    public init(domain: String, mtaSTSEnforce: Bool = false, mtaSTSMX: [String] = [], tlsaMatches: [String: Bool?] = [:],
                tlsaMXByAddress: [String: String] = [:]) {
        self.domain = domain; self.mtaSTSEnforce = mtaSTSEnforce; self.mtaSTSMX = mtaSTSMX; self.tlsaMatches = tlsaMatches
        self.tlsaMXByAddress = tlsaMXByAddress
    }

    /// The name a sender uses for this listener: its own when the policy knows it, else the TLSA-bearing MX whose
    /// address it has, else its own.
    public func mxName(of r: ListenerProbeResult) -> String {
        let own = (r.expectedName ?? r.host).lowercased()
        guard tlsaMatches[own] == nil, let mx = tlsaMXByAddress[r.address] else { return own }
        return mx
    }

    /// RFC 8461 §4.1: an mx pattern "*.example.org" matches one label in place of the star.
    public func mtaSTSCovers(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return mtaSTSMX.contains { pattern in
            let p = pattern.lowercased()
            if p.hasPrefix("*.") {
                let suffix = String(p.dropFirst(1))
                return h.hasSuffix(suffix) && !h.dropLast(suffix.count).contains(".") && h.count > suffix.count
            }
            return p == h
        }
    }
}

/// What a sender does with mail for this listener (contract: `profiles[].outcome`).
public enum SenderOutcome: String, Codable, Sendable {
    /// Delivers over TLS.
    case tls
    /// An opportunistic sender delivers in plaintext after a failed or missing TLS.
    case plaintext
    /// Keeps the mail queued and retries: an enforcing sender's check failed, or no SMTP session at all.
    case `defer`
}

/// One named sender's verdict for one listener (contract: `profiles[]`).
public struct SenderVerdict: Codable, Sendable, Equatable {
    public var id: String
    public var label: String
    public var outcome: SenderOutcome
    /// Version and cipher of the sender's own handshake when it completed.
    public var `protocol`: String?
    public var cipher: String?
    /// Which policy the sender applied: "none", "mta-sts", "dane".
    public var policy: String
    public var reasons: [String]
    /// Where the profile's facts come from.
    public var source: String
    /// Always true: a profile approximates a sender, it is not the sender.
    public var approximation: Bool
    /// The raw failure of the sender's handshake, kept for re-applying a domain policy (not encoded).
    public var handshakeFailure: String? = nil

    public var getsTLS: Bool { outcome == .tls }

    public init(id: String, label: String, outcome: SenderOutcome, protocol: String?, cipher: String?, policy: String,
                reasons: [String], source: String, approximation: Bool) {
        self.id = id; self.label = label; self.outcome = outcome; self.protocol = `protocol`; self.cipher = cipher
        self.policy = policy; self.reasons = reasons; self.source = source; self.approximation = approximation
    }

    enum CodingKeys: String, CodingKey { case id, label, outcome, `protocol`, cipher, policy, reasons, source, approximation }
    /// Written, never read back: the field of the earlier generic profiles (contract fields are added, never removed).
    private enum DerivedKeys: String, CodingKey { case getsTLS = "gets_tls" }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(label, forKey: .label)
        try c.encode(outcome, forKey: .outcome)
        var derived = encoder.container(keyedBy: DerivedKeys.self)
        try derived.encode(getsTLS, forKey: .getsTLS)
        try c.encode(`protocol`, forKey: .protocol)
        try c.encode(cipher, forKey: .cipher)
        try c.encode(policy, forKey: .policy)
        try c.encode(reasons, forKey: .reasons)
        try c.encode(source, forKey: .source)
        try c.encode(approximation, forKey: .approximation)
    }
}

/// The raw result of one profile's handshake (or why none was needed), kept so a domain policy can be applied later.
public struct SenderHandshake: Sendable, Equatable {
    public var negotiated: NegotiatedTLS?
    /// Why the handshake failed; nil when it completed.
    public var failure: String?

    public init(negotiated: NegotiatedTLS?, failure: String?) { self.negotiated = negotiated; self.failure = failure }
}

/// Turns a listener's probe data and each profile's handshake into verdicts. Pure.
public enum SenderVerdicts {
    /// The version matrix answers without a handshake when it rejected every version the profile offers.
    public static func matrixRules(out profile: SenderProfile, _ r: ListenerProbeResult) -> String? {
        let offered = TLSVersion.allCases.filter { $0 >= profile.minVersion && $0 <= profile.maxVersion }
        guard offered.allSatisfy({ r.status($0) == .rejected }) else { return nil }
        return "the server rejects \(offered.map(\.rawValue).joined(separator: ", ")), every version this sender offers (smtpd_tls_protocols)"
    }

    public static func verdict(_ profile: SenderProfile, result r: ListenerProbeResult, handshake: SenderHandshake?,
                               policy: SenderDomainPolicy? = nil) -> SenderVerdict {
        var v = SenderVerdict(id: profile.id, label: profile.label, outcome: .tls, protocol: nil, cipher: nil, policy: "none",
                              reasons: [], source: profile.source, approximation: true)
        let mx = policy?.mxName(of: r) ?? (r.expectedName ?? r.host).lowercased()
        // Which policy binds this sender for this MX: DANE before MTA-STS (RFC 8461 §2).
        if profile.honoursDANE, policy?.tlsaMatches.keys.contains(mx) == true { v.policy = "dane" }
        else if profile.honoursMTASTS, let policy, policy.mtaSTSEnforce { v.policy = "mta-sts" }
        let enforcing = v.policy != "none"

        func fallBack(_ why: String) -> SenderVerdict {
            var out = v
            out.outcome = enforcing ? .defer : .plaintext
            out.reasons = [why, enforcing
                ? "the domain's \(v.policy == "dane" ? "DNSSEC-valid TLSA records" : "MTA-STS policy in enforce mode") forbid plaintext: the sender defers the mail"
                : "an opportunistic sender delivers in plaintext instead"]
            return out
        }

        if let error = r.error, error.phase != .handshake {
            switch error.phase {
            case .starttls: return fallBack("the server offers no STARTTLS: \(error.message)")
            default:
                v.outcome = .defer
                v.reasons = ["no SMTP session (\(error.phase.rawValue)): \(error.message)"]
                return v
            }
        }
        if let why = matrixRules(out: profile, r) { return fallBack(why) }
        guard let handshake else {
            // No handshake of its own: the listener's TLS stalled or is not TLS at all, or its deadline passed.
            if let error = r.error { return fallBack("TLS fails for every client: \(error.message)") }
            return fallBack("this sender's handshake was not made (the listener's deadline passed)")
        }
        guard let negotiated = handshake.negotiated else {
            var out = fallBack("this sender's handshake fails: \(handshake.failure ?? "unknown reason")")
            out.handshakeFailure = handshake.failure
            return out
        }
        v.protocol = negotiated.protocol
        v.cipher = negotiated.cipher
        var problems: [String] = []
        switch v.policy {
        case "dane":
            switch policy?.tlsaMatches[mx] ?? nil {
            case true?: break
            case false?: problems.append("no DNSSEC-valid TLSA record of \(mx) matches the served certificate or its issuers (RFC 7672 §3)")
            case nil: problems.append("the TLSA records of \(mx) could not be checked against a served chain")
            }
        case "mta-sts":
            if let version = TLSVersion(rawValue: negotiated.protocol), version < .tls1_2 {
                problems.append("MTA-STS requires TLS 1.2 or later (RFC 8461 §5), this handshake got \(negotiated.protocol)")
            }
            if let verify = r.verify, verify.code != 0 { problems.append("the chain does not verify: \(verify.code) (\(verify.message))") }
            if r.verify == nil { problems.append("no certificate to verify") }
            if r.nameMatch != true { problems.append("the certificate does not cover \(mx)") }
            if let policy, !policy.mtaSTSCovers(mx) {
                problems.append("\(mx) matches no mx pattern of the MTA-STS policy (\(policy.mtaSTSMX.joined(separator: ", ")))")
            }
        default: break
        }
        if !problems.isEmpty {
            v.outcome = .defer
            v.reasons = problems + ["the \(v.policy == "dane" ? "DANE" : "MTA-STS") check of \(policy?.domain ?? mx) fails: the sender defers the mail"]
            return v
        }
        v.reasons = ["delivers over \(negotiated.protocol) with \(negotiated.cipher)"
                     + (v.policy == "none" ? " without checking the certificate" : ", the \(v.policy == "dane" ? "DANE" : "MTA-STS") check passes")]
        return v
    }

    /// Re-applies a domain policy to verdicts already made (the DNS join after the probe).
    public static func apply(_ policy: SenderDomainPolicy, to result: inout ListenerProbeResult, profiles: [SenderProfile]) {
        result.profiles = result.profiles.map { old in
            guard let profile = profiles.first(where: { $0.id == old.id }) else { return old }
            let handshake = old.protocol.map { SenderHandshake(negotiated: NegotiatedTLS(protocol: $0, cipher: old.cipher ?? "", group: nil), failure: nil) }
                ?? SenderHandshake(negotiated: nil, failure: old.handshakeFailure)
            return verdict(profile, result: result, handshake: handshake, policy: policy)
        }
    }
}
