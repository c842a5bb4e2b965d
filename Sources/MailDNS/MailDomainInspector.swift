import Foundation
import PostlsCore
import Synchronization
import TLSKit
import TLSProbe

/// How a domain is inspected.
public struct DNSCheckOptions: Sendable {
    /// The SMTP port the MX hosts are probed on (TLSA is still looked up at `_25._tcp`).
    public var smtpPort: UInt16 = 25
    /// The HTTPS port of `mta-sts.DOMAIN` (443; tests use another).
    public var mtaSTSPort: UInt16 = 443
    /// Seconds for each network operation (one lookup, one SMTP probe, one HTTPS fetch).
    public var timeout: Double = 5
    public var dkimSelectors: [String] = []
    /// The public key (DER SPKI) of the key on disk, to warn before a renewal breaks the TLSA records.
    public var onDiskKeyDER: [UInt8]?
    /// The certificate on disk (for `3 0 x` / `2 x x` records).
    public var onDiskCertificate: Certificate?
    /// At most this many MX hosts are followed.
    public var maxMX = 10
    public var now = Date()

    public init(smtpPort: UInt16 = 25, mtaSTSPort: UInt16 = 443, timeout: Double = 5, dkimSelectors: [String] = [],
                onDiskKeyDER: [UInt8]? = nil, onDiskCertificate: Certificate? = nil, now: Date = Date()) {
        self.smtpPort = smtpPort; self.mtaSTSPort = mtaSTSPort; self.timeout = timeout; self.dkimSelectors = dkimSelectors
        self.onDiskKeyDER = onDiskKeyDER; self.onDiskCertificate = onDiskCertificate; self.now = now
    }
}

/// The DNS engine: looks a mail domain up the way a sending MTA does and joins it to what each MX serves.
/// Its side effects (DNS, SMTP, HTTPS) come in through protocols; independent lookups run in parallel so the
/// whole inspection is bounded by a few timeouts, never by their sum.
public struct MailDomainInspector: Sendable {
    public let resolver: DNSResolving
    public let certificates: MXCertificateFetching
    public let policies: MTASTSPolicyFetching
    public let options: DNSCheckOptions
    /// Shown in the report ("127.0.0.1:53").
    public let resolverDescription: String

    public init(resolver: DNSResolving, certificates: MXCertificateFetching, policies: MTASTSPolicyFetching,
                options: DNSCheckOptions, resolverDescription: String = "") {
        self.resolver = resolver; self.certificates = certificates; self.policies = policies
        self.options = options; self.resolverDescription = resolverDescription
    }

    /// The standard wiring: a stub resolver at `server`, STARTTLS through TLSProbe and HTTPS over TLSKit, both with `trust`.
    public static func standard(server: SocketAddress, trust: TrustAnchors, options: DNSCheckOptions) -> MailDomainInspector {
        let client = DNSClient(server: server, timeout: options.timeout)
        return MailDomainInspector(resolver: StubResolver(client: client), certificates: STARTTLSCertificateFetcher(trust: trust, timeout: options.timeout),
                                   policies: HTTPSPolicyFetcher(trust: trust), options: options, resolverDescription: server.description)
    }

    /// Collects lookups as they happen, so that every failed or bogus one becomes a finding exactly once.
    final class Journal: Sendable {
        private let lookups = Mutex<[DNSLookupResult]>([])
        func record(_ r: DNSLookupResult) { lookups.withLock { $0.append(r) } }
        var all: [DNSLookupResult] { lookups.withLock { $0 } }
    }

    /// The lookups that depend only on the domain, made at once in step 1.
    struct DomainLookups {
        var mx, stsTXT, rptTXT, apexTXT, dmarcTXT, stsA, stsAAAA: DNSLookupResult?
        /// One per DKIM selector, in selector order.
        var dkim: [DNSLookupResult?]
    }

    public func inspect(domain rawDomain: String) -> DNSReport {
        let started = Deadline.now()
        let domainText = rawDomain.trimmingCharacters(in: CharacterSet(charactersIn: ". ")).lowercased()
        var report = DNSReport(domain: domainText, resolver: resolverDescription, dnssec: .unknown, mx: [], mtaSTS: nil,
                               tlsRPT: nil, spf: nil, dmarc: nil, dkim: [], findings: [], context: [], suggestions: [], elapsedMS: 0)
        guard let domain = Self.domainName(rawDomain, text: domainText, report: &report) else { return report }
        let journal = Journal()
        let lookup: @Sendable (DNSName, DNSRecordType) -> DNSLookupResult = { [resolver] name, type in
            let r = resolver.lookup(name, type)
            journal.record(r)
            return r
        }
        // 1. Everything that depends only on the domain, in parallel.
        let first = domainLookups(domain, lookup: lookup)
        let mxHosts = self.mxHosts(first.mx, domain: domain, report: &report)
        // 2. The MTA-STS policy, fetched while the MX hosts are checked (addresses, TLSA, PTR, served certificate).
        let policyThread = fetchPolicy(first, domain: domainText)
        let mxReports = concurrently(mxHosts.count) { i in
            checkMX(mxHosts[i].host, preference: mxHosts[i].preference, lookup: lookup)
        }
        report.mx = mxReports.map(\.0)
        for (_, findings, notes) in mxReports { report.findings += findings; report.context += notes }
        // 3. What joins them, then context and the lookups that failed.
        addMTASTS(first.stsTXT, policy: policyThread.value, to: &report)
        addMailAuthentication(first, to: &report)
        addLookupFindings(journal.all, domain: domain, to: &report)
        report.suggestions = suggestions(for: report)
        // Most important first; stable otherwise, so the domain's own lookups lead.
        report.findings = report.findings.enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity > b.element.severity : a.offset < b.offset
        }.map(\.element)
        report.elapsedMS = Int((Deadline.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1_000_000)
        return report
    }

    /// The domain as a DNS name, or nil with a finding saying why it is none.
    static func domainName(_ raw: String, text: String, report: inout DNSReport) -> DNSName? {
        // DNS carries internationalized names as A-labels; converting them (IDNA) is out of scope here.
        guard text.unicodeScalars.allSatisfy(\.isASCII) else {
            report.findings.append(DNSFinding(cause: .unclassified, severity: .critical,
                                              message: "\"\(raw)\" is not ASCII: give the domain in its xn-- (A-label) form", topic: "lookup"))
            return nil
        }
        guard let domain = DNSName(text), !domain.labels.isEmpty else {
            report.findings.append(DNSFinding(cause: .unclassified, severity: .critical, message: "\"\(raw)\" is not a domain name", topic: "lookup"))
            return nil
        }
        return domain
    }

    func domainLookups(_ domain: DNSName, lookup: @escaping @Sendable (DNSName, DNSRecordType) -> DNSLookupResult) -> DomainLookups {
        let names: [(DNSName?, DNSRecordType)] = [
            (domain, .mx), (domain.prepending("_mta-sts"), .txt), (domain.prepending("_smtp._tls"), .txt),
            (domain, .txt), (domain.prepending("_dmarc"), .txt),
            (domain.prepending("mta-sts"), .a), (domain.prepending("mta-sts"), .aaaa),
        ] + options.dkimSelectors.map { (domain.prepending("\($0)._domainkey"), .txt) }
        let r = concurrently(names.count) { i -> DNSLookupResult? in
            guard let name = names[i].0 else { return nil }
            return lookup(name, names[i].1)
        }
        return DomainLookups(mx: r[0], stsTXT: r[1], rptTXT: r[2], apexTXT: r[3], dmarcTXT: r[4], stsA: r[5], stsAAAA: r[6],
                             dkim: Array(r.dropFirst(7)))
    }

    /// MX hosts in preference order, at most `maxMX`; no MX means the domain itself (RFC 5321 §5.1).
    func mxHosts(_ mxLookup: DNSLookupResult?, domain: DNSName, report: inout DNSReport) -> [(host: DNSName, preference: Int)] {
        guard let mxLookup else { return [] }
        let domainText = report.domain
        var hosts: [(host: DNSName, preference: Int)] = []
        report.dnssec = mxLookup.isDefinite || mxLookup.dnssec == .bogus ? mxLookup.dnssec : .unknown
        switch mxLookup.outcome {
        case .records:
            var pairs: [(DNSName, Int)] = []
            for r in mxLookup.records { if case .mx(let p, let x) = r.data { pairs.append((x, Int(p))) } }
            pairs.sort { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
            if pairs.count == 1, pairs[0].0 == .root {
                report.context.append(DNSNote(topic: "mx", severity: .warning, message: "\(domainText) publishes a null MX (\"0 .\"): it accepts no mail"))
            } else {
                hosts = pairs.filter { $0.0 != .root }.map { (host: $0.0, preference: $0.1) }
            }
        case .noData:
            hosts = [(host: domain, preference: 0)]
            report.context.append(DNSNote(topic: "mx", severity: .warning, message: "\(domainText) has no MX records: senders deliver to the domain's own address"))
        case .nameError:
            report.findings.append(DNSFinding(cause: .unclassified, severity: .critical, message: "\(domainText) does not exist (NXDOMAIN)", topic: "mx"))
        default:
            break  // reported from the journal
        }
        if hosts.count > options.maxMX {
            report.context.append(DNSNote(topic: "mx", severity: .info, message: "only the first \(options.maxMX) of \(hosts.count) MX hosts are checked"))
            hosts = Array(hosts.prefix(options.maxMX))
        }
        return hosts
    }

    /// The MTA-STS policy on its own thread, when `_mta-sts` announces one.
    func fetchPolicy(_ first: DomainLookups, domain: String) -> Async<Result<String, MTASTSError>?> {
        let wantsPolicy = first.stsTXT?.outcome == .records && (first.stsTXT?.txtStrings ?? []).contains { $0.hasPrefix("v=STSv1") }
        let host = "mta-sts.\(domain)"
        let addresses = ((first.stsA?.addresses ?? []) + (first.stsAAAA?.addresses ?? [])).compactMap { SocketAddress(ip: $0, port: options.mtaSTSPort) }
        let deadline = Deadline.after(seconds: options.timeout)
        return Async { [policies] in
            guard wantsPolicy else { return nil }
            do throws(MTASTSError) { return .success(try policies.fetchPolicy(host: host, addresses: addresses, deadline: deadline)) }
            catch { return .failure(error) }
        }
    }

    /// The MTA-STS record and policy, joined with the MX hosts and what they serve.
    func addMTASTS(_ stsTXT: DNSLookupResult?, policy policyResult: Result<String, MTASTSError>?, to report: inout DNSReport) {
        let texts = stsTXT?.txtStrings ?? []
        guard stsTXT?.outcome == .records, !texts.isEmpty else { return }
        let domainText = report.domain
        var sts = MTASTSReport(txt: texts.first { $0.hasPrefix("v=STSv1") } ?? texts.first, policy: nil, mxCovered: nil, uncoveredMX: [], error: nil)
        do throws(MTASTSError) {
            sts.txt = try MTASTSRecord.select(from: texts).text
        } catch {
            sts.error = error.description
            report.findings.append(DNSFinding(cause: .mtaSTSMismatch, severity: .warning, message: "_mta-sts.\(domainText): \(error)", topic: "mta_sts"))
        }
        switch policyResult {
        case .success(let text)?:
            do throws(MTASTSError) {
                let policy = try MTASTSPolicy.parse(text)
                sts.policy = policy
                addPolicyCoverage(policy, sts: &sts, to: &report)
            } catch {
                sts.error = error.description
                report.findings.append(DNSFinding(cause: .mtaSTSMismatch, severity: .warning,
                                                  message: "https://mta-sts.\(domainText)/.well-known/mta-sts.txt: \(error)", topic: "mta_sts"))
            }
        case .failure(let error)?:
            sts.error = error.description
            report.findings.append(DNSFinding(cause: .mtaSTSMismatch, severity: .warning,
                                              message: "_mta-sts.\(domainText) announces MTA-STS but \(error)", topic: "mta_sts"))
        case nil:
            break
        }
        report.mtaSTS = sts
        if let policy = sts.policy, policy.mode != .none {
            let added = mtaSTSCertificateFindings(policy: policy, mx: report.mx, findings: &report.findings)
            report.findings += added
        }
    }

    /// Which MX hosts a parsed policy covers, and remarks on its mode and max_age.
    func addPolicyCoverage(_ policy: MTASTSPolicy, sts: inout MTASTSReport, to report: inout DNSReport) {
        let uncovered = report.mx.map(\.host).filter { !policy.covers($0) }
        sts.uncoveredMX = uncovered
        sts.mxCovered = uncovered.isEmpty
        if !uncovered.isEmpty && policy.mode != .none {
            let enforce = policy.mode == .enforce
            let severity: Severity = enforce ? .critical : .warning
            let plural = uncovered.count == 1 ? "" : "s"
            let consequence = enforce ? ": senders enforcing MTA-STS refuse to deliver there" : ""
            let message = "the MTA-STS policy (mode \(policy.mode.rawValue)) does not cover the MX host\(plural) "
                + uncovered.joined(separator: ", ") + "; it lists " + policy.mx.joined(separator: ", ") + consequence
            report.findings.append(DNSFinding(cause: .mtaSTSMismatch, severity: severity, message: message, topic: "mta_sts"))
        }
        if policy.mode == .none {
            report.context.append(DNSNote(topic: "mta_sts", message: "the MTA-STS policy is in mode none: it withdraws a previous policy"))
        } else if policy.mode == .testing {
            report.context.append(DNSNote(topic: "mta_sts", message: "the MTA-STS policy is in testing mode: senders report failures but still deliver"))
        }
        if policy.maxAge < 86_400 {
            report.context.append(DNSNote(topic: "mta_sts", severity: .warning, message: "MTA-STS max_age \(policy.maxAge) is under a day; RFC 8461 suggests weeks"))
        }
    }

    /// Context: TLS-RPT, SPF, DMARC, DKIM.
    func addMailAuthentication(_ first: DomainLookups, to report: inout DNSReport) {
        let domainText = report.domain
        if let rptTXT = first.rptTXT, rptTXT.isDefinite {
            let (record, notes) = MailAuthentication.tlsRPT(rptTXT.txtStrings, domain: domainText)
            report.tlsRPT = record
            report.context += notes
        }
        if let apexTXT = first.apexTXT, apexTXT.isDefinite {
            let (record, notes) = MailAuthentication.spf(apexTXT.txtStrings, domain: domainText)
            report.spf = record
            report.context += notes
        }
        if let dmarcTXT = first.dmarcTXT, dmarcTXT.isDefinite {
            let (record, notes) = MailAuthentication.dmarc(dmarcTXT.txtStrings, domain: domainText)
            report.dmarc = record
            report.context += notes
        }
        for (selector, result) in zip(options.dkimSelectors, first.dkim) {
            guard let result, result.isDefinite else { report.dkim.append((selector, nil)); continue }
            let (record, notes) = MailAuthentication.dkim(result.txtStrings, selector: selector, domain: domainText)
            report.dkim.append((selector, record))
            report.context += notes
        }
    }

    /// Every lookup that failed or was bogus: null in the report, with a finding; and the audit trail of lookups.
    func addLookupFindings(_ lookups: [DNSLookupResult], domain: DNSName, to report: inout DNSReport) {
        var reported = Set<String>()
        // The domain's MX first (it decides whether mail arrives at all), then by name and type.
        let ordered = lookups.sorted { a, b in
            let ka = (a.type == .mx && a.name == domain) ? 0 : 1, kb = (b.type == .mx && b.name == domain) ? 0 : 1
            if ka != kb { return ka < kb }
            if a.name != b.name { return a.name < b.name }
            return a.type.rawValue < b.type.rawValue
        }
        var bogus: [DNSLookupResult] = []
        // A resolver that does not answer fails every lookup the same way: one finding, naming them all.
        var failures: [String: [DNSLookupResult]] = [:]
        for r in ordered { if case .failed(let why) = r.outcome { failures[why, default: []].append(r) } }
        for r in ordered {
            if case .failed(let why) = r.outcome, let group = failures[why], group.count > 1 {
                guard reported.insert(why).inserted else { continue }
                let critical = group.contains { $0.type == .mx && $0.name == domain }
                let names = group.map { "\($0.type) \($0.name)" }.joined(separator: ", ")
                report.findings.append(DNSFinding(cause: .unclassified, severity: critical ? .critical : .warning,
                                                  message: "\(group.count) lookups failed (\(names)): \(why)", topic: "lookup"))
                continue
            }
            guard let problem = r.problem, reported.insert(problem).inserted else { continue }
            if r.dnssec == .bogus {
                bogus.append(r)
            } else if r.outcome != .nameError {
                let critical = r.type == .mx && r.name == domain
                report.findings.append(DNSFinding(cause: .unclassified, severity: critical ? .critical : .warning, message: problem, topic: "lookup"))
            }
        }
        // The first bogus answer (the domain's MX when it is one) in full, the others named in one finding.
        if let first = bogus.first, let problem = first.problem {
            report.findings.append(DNSFinding(cause: .dnssecBogus, severity: .critical,
                                              message: problem + ": validating senders cannot use it and defer mail", topic: "dnssec"))
            if bogus.count > 1 {
                let names = bogus.dropFirst().map { "\($0.type) \($0.name)" }.joined(separator: ", ")
                report.findings.append(DNSFinding(cause: .dnssecBogus, severity: .critical,
                                                  message: "\(bogus.count - 1) more answers fail DNSSEC validation: \(names)", topic: "dnssec"))
            }
        }
        report.lookups = ordered.map(LookupSummary.init)
    }

    /// One MX host: its addresses, TLSA, PTR and served certificate, with findings and notes.
    func checkMX(_ host: DNSName, preference: Int, lookup: @escaping @Sendable (DNSName, DNSRecordType) -> DNSLookupResult) -> (MXReport, [DNSFinding], [DNSNote]) {
        let hostText = host.description
        let owner = DNSName("_25._tcp." + hostText)
        let parallel = concurrently(3) { i -> DNSLookupResult? in
            switch i {
            case 0: return lookup(host, .a)
            case 1: return lookup(host, .aaaa)
            default: return owner.map { lookup($0, .tlsa) }
            }
        }
        let (a, aaaa, tlsaLookup) = (parallel[0], parallel[1], parallel[2])
        let addresses = (a?.addresses ?? []) + (aaaa?.addresses ?? [])
        let addressStatus = [a, aaaa].compactMap { $0 }.filter(\.isDefinite).map(\.dnssec).max() ?? .unknown
        var mx = MXReport(host: hostText, preference: preference, addresses: addresses, dnssec: addressStatus,
                          certificate: nil, tlsa: nil, ptr: [], probeError: nil)
        var findings: [DNSFinding] = []
        var notes: [DNSNote] = []
        if addresses.isEmpty, a?.isDefinite == true, aaaa?.isDefinite == true {
            findings.append(DNSFinding(cause: .unclassified, severity: .critical, message: "the MX host \(hostText) has no A or AAAA record", topic: "mx", host: hostText))
        }
        let probeFailure = probeAndCheckPTR(&mx, notes: &notes, lookup: lookup)
        let usableTLSA = checkTLSA(tlsaLookup, mx: &mx, findings: &findings, notes: &notes)

        // DANE senders require STARTTLS where validated TLSA records exist (RFC 7672 §2.2).
        if let error = probeFailure, !usableTLSA.isEmpty, mx.tlsa?.validated == true, error.phase == .ehlo || error.phase == .starttls {
            findings.append(DNSFinding(cause: .starttlsUnavailable, severity: .critical,
                                       message: "\(hostText) publishes validated TLSA records but its STARTTLS fails (\(error.message)): DANE senders defer mail",
                                       topic: "tlsa", host: hostText))
        }
        // The certificate's names.
        if let cert = mx.certificate, !cert.coversHost {
            let strict = usableTLSA.contains { $0.usage == 2 }
            findings.append(DNSFinding(cause: .nameMismatch, severity: strict ? .critical : .warning,
                                       message: "the certificate \(hostText) serves on port \(options.smtpPort) is for \(cert.names.joined(separator: ", ")), not for the MX name \(hostText): senders that verify (MTA-STS, DANE-TA) refuse it",
                                       topic: "mx", host: hostText))
        }
        return (mx, findings, notes)
    }

    /// PTR of the first addresses and the served certificate, in parallel; returns why no certificate was served.
    func probeAndCheckPTR(_ mx: inout MXReport, notes: inout [DNSNote], lookup: @escaping @Sendable (DNSName, DNSRecordType) -> DNSLookupResult) -> ProbeError? {
        let hostText = mx.host
        let probeAddresses = mx.addresses.compactMap { SocketAddress(ip: $0, port: options.smtpPort) }
        let ptrTargets = Array(mx.addresses.prefix(4))
        let work = concurrently(ptrTargets.count + 1) { i -> (any Sendable)? in
            guard i == ptrTargets.count else { return checkPTR(ptrTargets[i], lookup: lookup) }
            // The first address that serves a chain; else the last failure.
            var lastError: ProbeError? = nil
            for address in probeAddresses {
                do throws(ProbeError) { return try certificates.servedChain(host: hostText, address: address, deadline: .after(seconds: options.timeout)) }
                catch { lastError = error }
            }
            return lastError
        }
        mx.ptr = work.prefix(ptrTargets.count).compactMap { $0 as? PTRReport }
        for p in mx.ptr where p.names.isEmpty {
            notes.append(DNSNote(topic: "ptr", message: "\(p.address) (\(hostText)) has no PTR record"))
        }
        for p in mx.ptr where !p.names.isEmpty && !p.forwardConfirmed {
            notes.append(DNSNote(topic: "ptr", message: "\(p.address) (\(hostText)) has PTR \(p.names.joined(separator: ", ")), which does not resolve back to it"))
        }
        if let served = work.last.flatMap({ $0 as? ServedChain }) {
            mx.servedChain = served.chain
            if let leaf = served.chain.first {
                let info = leaf.info
                mx.certificate = MXCertificateReport(sha256: info.sha256, spkiSHA256: info.spkiSHA256, names: info.san.isEmpty ? [info.commonName].compactMap { $0 } : info.san,
                                                     coversHost: leaf.covers(host: hostText), notAfter: info.notAfter, verify: served.verify,
                                                     address: served.address.description)
            }
        } else if let error = work.last.flatMap({ $0 as? ProbeError }) {
            // The phase the dialogue stopped in, as `postls probe` names it.
            let reason = "\(error.phase.rawValue): \(error.message)"
            mx.probeError = reason
            notes.append(DNSNote(topic: "mx", severity: .warning, message: "no certificate from \(hostText) port \(options.smtpPort): \(reason)"))
            return error
        }
        return nil
    }

    /// The TLSA records at `_25._tcp.HOST` against the served chain; returns the records usable for SMTP.
    func checkTLSA(_ tlsaLookup: DNSLookupResult?, mx: inout MXReport, findings: inout [DNSFinding], notes: inout [DNSNote]) -> [TLSARecord] {
        guard let tlsaLookup, tlsaLookup.outcome == .records else { return [] }
        let hostText = mx.host
        let chain = mx.servedChain
        let records = tlsaLookup.records.compactMap { r -> TLSARecord? in if case .tlsa(let t) = r.data { return t }; return nil }
        let usableTLSA = records.filter(DANE.isUsable)
        let validated = tlsaLookup.dnssec == .secure
        var report = TLSAReport(records: records.map(\.description), validated: validated, matches: nil, dnssec: tlsaLookup.dnssec)
        if !chain.isEmpty { report.matches = usableTLSA.contains { DANE.matches($0, chain: chain) } }
        if let key = options.onDiskKeyDER { report.onDiskKeyPinned = usableTLSA.contains { Self.pins($0, key: key) } }
        mx.tlsa = report
        if tlsaLookup.dnssec == .insecure {
            findings.append(DNSFinding(cause: .dnssecInsecure, severity: .warning,
                                       message: "TLSA records at _25._tcp.\(hostText) are not DNSSEC-validated (unsigned zone, broken chain of trust, or a resolver that does not validate), so DANE does not apply",
                                       topic: "tlsa", host: hostText))
        }
        if validated {
            if usableTLSA.isEmpty {
                findings.append(DNSFinding(cause: .daneMismatch, severity: .warning,
                                           message: "no TLSA record at _25._tcp.\(hostText) is usable for SMTP (only usages 2 and 3 with selector 0/1 and matching type 0/1/2 count)",
                                           topic: "tlsa", host: hostText))
            } else if report.matches == false {
                // Records that pin the key on disk wait for a reload; records that pin neither key are stale.
                let state = report.onDiskKeyPinned == true
                    ? "; they pin the key on disk, which Postfix does not serve yet: reload Postfix"
                    : report.onDiskKeyPinned == false ? " nor the key on disk: the records are stale" : ""
                findings.append(DNSFinding(cause: .daneMismatch, severity: .critical,
                                           message: "no TLSA record at _25._tcp.\(hostText) matches the certificate chain it serves (leaf SPKI SHA-256 \(mx.certificate?.spkiSHA256 ?? "?"))\(state): DANE senders defer mail",
                                           topic: "tlsa", host: hostText))
            } else if report.matches == true, let warning = renewalWarning(usableTLSA, chain: chain, host: hostText) {
                findings.append(warning)
            }
        }
        if records.contains(where: { $0.usage == 3 && $0.selector == 0 }) {
            notes.append(DNSNote(topic: "tlsa", message: "_25._tcp.\(hostText) has 3 0 x records: they pin the whole certificate and break at every renewal; 3 1 1 pins only the key"))
        }
        return usableTLSA
    }

    /// Under an MTA-STS policy senders verify each MX certificate (PKIX and the MX name): a name mismatch
    /// becomes as serious as the mode says, and a certificate that does not verify gets its cause.
    func mtaSTSCertificateFindings(policy: MTASTSPolicy, mx: [MXReport], findings: inout [DNSFinding]) -> [DNSFinding] {
        let enforce = policy.mode == .enforce
        var added: [DNSFinding] = []
        for index in findings.indices where findings[index].cause == .nameMismatch && enforce {
            findings[index].severity = .critical
            findings[index].message += "; the MTA-STS policy is in enforce mode, so those senders refuse to deliver"
        }
        for host in mx {
            guard let cert = host.certificate, !cert.verify.isOK, cert.verify.code != VerifyCode.hostnameMismatch else { continue }
            let cause = cert.verify.cause ?? .untrustedCertificate
            added.append(DNSFinding(cause: cause, severity: enforce ? .critical : .warning,
                                    message: "the certificate of \(host.host) does not verify (\(cert.verify.message), code \(cert.verify.code)) and the MTA-STS policy is in \(policy.mode.rawValue) mode: "
                                        + (enforce ? "senders enforcing MTA-STS refuse to deliver" : "senders report the failure"),
                                    topic: "mta_sts", host: host.host))
        }
        return added
    }

    /// A `x 1 y` record whose association is that of the public key `key` (DER SPKI).
    static func pins(_ record: TLSARecord, key: [UInt8]) -> Bool {
        record.selector == 1 && DANE.association(record.matchingType, of: key).map { $0 == record.data } == true
    }

    /// The key or certificate on disk differs from the served one and no record pins it: the next reload breaks DANE.
    func renewalWarning(_ usable: [TLSARecord], chain: [Certificate], host: String) -> DNSFinding? {
        guard let leaf = chain.first else { return nil }
        let servedKey = leaf.publicKeyDER
        let eeRecords = usable.filter { $0.usage == 3 }
        // A DANE-TA record survives a renewal from the same CA; only judge when DANE-EE records are all there is.
        guard !eeRecords.isEmpty, eeRecords.count == usable.count else { return nil }
        if let key = options.onDiskKeyDER, key != servedKey {
            let pinned = eeRecords.contains { Self.pins($0, key: key) }
            if !pinned {
                return DNSFinding(cause: .daneMismatch, severity: .warning,
                                  message: "the key on disk is not the key \(host) serves, and no TLSA record pins it: the next reload or renewal breaks DANE; publish a 3 1 1 record for it first (two TTLs ahead)",
                                  topic: "tlsa", host: host)
            }
        }
        if let cert = options.onDiskCertificate, cert.der != leaf.der {
            if !eeRecords.contains(where: { DANE.matches($0, certificate: cert) }) {
                return DNSFinding(cause: .daneMismatch, severity: .warning,
                                  message: "the certificate on disk is not the one \(host) serves, and no TLSA record matches it: the next reload breaks DANE",
                                  topic: "tlsa", host: host)
            }
        }
        return nil
    }

    func checkPTR(_ address: String, lookup: @Sendable (DNSName, DNSRecordType) -> DNSLookupResult) -> PTRReport {
        guard let reverse = DNSName.reverse(address: address) else { return PTRReport(address: address, names: [], forwardConfirmed: false) }
        let ptr = lookup(reverse, .ptr)
        let names = ptr.records.compactMap { r -> DNSName? in if case .ptr(let n) = r.data { return n }; return nil }
        var confirmed = false
        for name in names.prefix(4) where !confirmed {
            let forward = lookup(name, address.contains(":") ? .aaaa : .a)
            confirmed = forward.addresses.contains { SocketAddress(ip: $0, port: 0)?.ip == SocketAddress(ip: address, port: 0)?.ip }
        }
        return PTRReport(address: address, names: names.map(\.description), forwardConfirmed: confirmed)
    }

    /// Records worth publishing, given what was found.
    func suggestions(for report: DNSReport) -> [RecordSuggestion] {
        var out: [RecordSuggestion] = []
        let hosts = report.mx.map(\.host)
        for mx in report.mx {
            guard let leaf = mx.servedChain.first else { continue }
            let needsTLSA = mx.tlsa == nil ? report.dnssec == .secure : (mx.tlsa?.matches == false || report.findings.contains { $0.cause == .daneMismatch && $0.host == mx.host })
            guard needsTLSA else { continue }
            let next = options.onDiskKeyDER.flatMap { $0 == leaf.publicKeyDER ? nil : $0 }
            out += RecordGenerator.tlsa(mxHosts: [mx.host], currentKeyDER: leaf.publicKeyDER, nextKeyDER: next)
        }
        if !hosts.isEmpty && (report.mtaSTS == nil || report.mtaSTS?.mxCovered == false || report.mtaSTS?.error != nil) {
            let mode = report.mtaSTS?.policy?.mode == .enforce ? MTASTSPolicy.Mode.enforce : .testing
            out += RecordGenerator.mtaSTS(domain: report.domain, mxHosts: hosts, mode: mode, now: options.now)
        }
        if report.tlsRPT == nil && !hosts.isEmpty { out.append(RecordGenerator.tlsRPT(domain: report.domain)) }
        return out
    }
}

/// Runs `body(0..<count)` on separate threads (the work blocks on the network, not the CPU) and returns
/// the results in order.
func concurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    if count == 0 { return [] }
    if count == 1 { return [body(0)] }
    let results = Mutex<[T?]>(Array(repeating: nil, count: count))
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        Thread.detachNewThread {
            let value = body(i)
            results.withLock { $0[i] = value }
            group.leave()
        }
    }
    group.wait()
    return results.withLock { $0.map { $0! } }
}

/// A value computed on its own thread; `value` waits for it.
final class Async<T>: @unchecked Sendable {
    private var result: T?
    private let done = DispatchSemaphore(value: 0)
    init(_ body: @escaping @Sendable () -> T) {
        Thread.detachNewThread { [self] in
            result = body()
            done.signal()
        }
    }
    var value: T {
        done.wait()
        done.signal()
        return result!
    }
}
