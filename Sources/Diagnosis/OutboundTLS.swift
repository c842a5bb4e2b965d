import Foundation
import MailLog
import PostfixConfig
import PostlsCore
import TLSKit

/// The smtp_tls_* settings that decide a next hop's outcome: the transport's security level (or the policy
/// map's entry for the hop), the CA the client verifies with, and whether the transport runs chrooted.
public struct OutboundPolicy: Sendable, Equatable {
    /// `smtp` or `lmtp`: the parameter prefix of the transport.
    public var prefix: String
    /// The master.cf transport (`smtp`, `relay`), when the log named one master.cf has.
    public var transport: String?
    /// The effective level for the hop: the policy map's entry when one matched, else `<prefix>_tls_security_level`.
    public var level: String
    /// Where the level comes from: `main.cf:12`, `master.cf relay/unix`, `default`, or the policy map entry.
    public var levelSource: String
    /// `<prefix>_tls_policy_maps` as written (empty when none), and the entry that matched (`[127.0.0.1]:25 verify`).
    public var policyMaps: String
    public var policyEntry: String?
    public var caFile: String
    public var caPath: String
    /// The transport runs chrooted (master.cf chroot column `y`): CApath is looked up inside the queue directory.
    public var chrooted: Bool
    public var queueDirectory: String

    /// Levels at which a certificate that does not verify defers the mail (`dane` only with TLSA trust anchors,
    /// but then it too).
    public static let verifying: Set<String> = ["verify", "secure", "dane", "dane-only", "fingerprint"]
    public var verifies: Bool { Self.verifying.contains(level) }
    public var noCA: Bool { caFile.isEmpty && caPath.isEmpty }

    /// The settings for a next hop logged by `service` (`smtp`, `relay`; nil: the default smtp transport).
    public static func of(nexthop: String, service: String?, configuration: PostfixConfiguration) -> OutboundPolicy {
        let master = configuration.master.services.first {
            $0.type == "unix" && $0.name == (service ?? "smtp") && ($0.command == "smtp" || $0.command == "lmtp")
        }
        let prefix = master?.command == "lmtp" ? "lmtp" : "smtp"
        let levelName = "\(prefix)_tls_security_level"
        var level = configuration.value(levelName, service: master).lowercased()
        var levelSource = configuration.raw(levelName, service: master).map { "\($0.source)" } ?? "default"
        let maps = configuration.value("\(prefix)_tls_policy_maps", service: master)
        var entry: String?
        if !maps.isEmpty, let found = PolicyMapLookup(maps: maps).entry(forNexthop: nexthop) {
            entry = "\(found.key) \(found.value)"
            level = found.value.split(separator: " ").first.map { $0.lowercased() } ?? level
            levelSource = "\(prefix)_tls_policy_maps \(found.table)"
        }
        return OutboundPolicy(prefix: prefix, transport: master?.name, level: level.isEmpty ? "none" : level, levelSource: levelSource,
                              policyMaps: maps, policyEntry: entry,
                              caFile: configuration.value("\(prefix)_tls_CAfile", service: master),
                              caPath: configuration.value("\(prefix)_tls_CApath", service: master),
                              chrooted: master?.chroot == "y", queueDirectory: configuration.value("queue_directory"))
    }

    /// One line for the evidence: the level and where it is set, the CA, the chroot, the policy map.
    public var describe: String {
        var parts = ["\(prefix)_tls_security_level = \(level) (\(levelSource))"]
        if let policyEntry { parts.append("policy entry \(policyEntry)") }
        else if !policyMaps.isEmpty { parts.append("\(prefix)_tls_policy_maps = \(policyMaps) (no entry read for this next hop; a table postls cannot read may still hold one)") }
        if noCA { parts.append("no \(prefix)_tls_CAfile or \(prefix)_tls_CApath: nothing can verify") }
        else {
            if !caFile.isEmpty { parts.append("\(prefix)_tls_CAfile = \(caFile)") }
            if !caPath.isEmpty { parts.append("\(prefix)_tls_CApath = \(caPath)" + (chrooted ? " (read inside the chroot \(queueDirectory))" : "")) }
        }
        return parts.joined(separator: "; ")
    }
}

/// Reads the entry for a next hop from the tables of smtp_tls_policy_maps that postls can read without Postfix:
/// `inline:{ key=value, ... }` and the source text beside `texthash:`, `hash:`, `lmdb:`, `cdb:`, `btree:` tables.
struct PolicyMapLookup {
    var maps: String

    /// The keys Postfix tries for a next hop `name[address]:port` written by the log. The transport's own
    /// next hop (`[relay.example]:587`, a domain) is not in the log; these are the forms a bracketed one takes.
    static func keys(forNexthop nexthop: String) -> [String] {
        guard let open = nexthop.firstIndex(of: "["), let close = nexthop.lastIndex(of: "]") else { return [nexthop] }
        let name = String(nexthop[..<open]), address = String(nexthop[nexthop.index(after: open)..<close])
        let rest = nexthop[nexthop.index(after: close)...]
        let port = rest.hasPrefix(":") ? String(rest.dropFirst()) : nil
        var keys: [String] = []
        for host in [name, address] where !host.isEmpty {
            if let port { keys.append("[\(host)]:\(port)") }
            keys.append("[\(host)]")
        }
        if !name.isEmpty && name != address { keys.append(name) }
        var unique: [String] = []
        for k in keys where !unique.contains(k) { unique.append(k) }
        return unique
    }

    func entry(forNexthop nexthop: String) -> (table: String, key: String, value: String)? {
        let keys = Self.keys(forNexthop: nexthop).map { $0.lowercased() }
        for table in maps.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init) where !table.isEmpty {
            let entries = Self.entries(of: table, whole: maps)
            for key in keys { if let value = entries[key] { return (table, key, value) } }
        }
        return nil
    }

    /// The entries of one table, lower-cased keys; empty when the table is of a kind postls does not read.
    static func entries(of table: String, whole: String) -> [String: String] {
        var out: [String: String] = [:]
        if table.hasPrefix("inline:") {
            // inline:{ k1=v1, { k2 = v 2 } }: the table runs to its closing brace in the whole setting.
            guard let start = whole.range(of: "inline:{") else { return [:] }
            let body = whole[start.upperBound...].prefix { $0 != "}" }
            for item in body.split(separator: ",") {
                let text = item.trimmingCharacters(in: CharacterSet(charactersIn: " {}"))
                guard let eq = text.firstIndex(of: "=") else { continue }
                out[text[..<eq].trimmingCharacters(in: .whitespaces).lowercased()] = text[text.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            }
            return out
        }
        guard let colon = table.firstIndex(of: ":"),
              ["texthash", "hash", "lmdb", "cdb", "btree"].contains(String(table[..<colon])) else { return [:] }
        let path = String(table[table.index(after: colon)...])
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        for line in text.split(separator: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            guard !t.isEmpty, !t.hasPrefix("#"), let space = t.firstIndex(where: { $0 == " " || $0 == "\t" }) else { continue }
            out[String(t[..<space]).lowercased()] = t[space...].trimmingCharacters(in: .whitespaces)
        }
        return out
    }
}

extension Builder {
    /// The delivery events of the outbound causes, by next hop (`host[address]:port`).
    static func outboundEvents(_ events: [TLSEvent]) -> [String: [TLSEvent]] {
        var out: [String: [TLSEvent]] = [:]
        for e in events where e.kind == .delivery && outboundCauses.contains(e.cause) {
            guard let peer = e.peer else { continue }
            out[OutboundHop.nexthop(of: peer), default: []].append(e)
        }
        return out
    }

    /// The delivery's status line in the same lines says it was deferred or bounced.
    static func wasDeferred(_ e: TLSEvent) -> Bool {
        e.lines.contains { $0.message.contains("status=deferred") || $0.message.contains("status=bounced") }
    }

    static let outboundCauses: Set<Cause> = [.remoteCertificateUnverified, .remoteCertificateExpired, .remoteNameMismatch, .remoteTLSUnavailable]

    /// The smtp client's outcomes per next hop, joined to the settings that decide them. A failure that deferred
    /// mail is critical; `Untrusted` sessions without one (level `may`) are information, and say so.
    mutating func addOutboundHops() {
        guard let summary = input.logSummary else { return }
        var deferredCauses: Set<Cause> = []
        var loggedCauses: Set<Cause> = []
        let byHop = Self.outboundEvents(logEvents)
        // A busy server has thousands of next hops: the first few per cause are evidence, the rest a count.
        var shown: [Cause: Int] = [:], more: [Cause: Int] = [:]
        let perCause = 10
        for hop in summary.outboundHops {
            let events = byHop[hop.nexthop] ?? []
            let causes = Set(events.map(\.cause))
            let untrustedOnly = hop.untrusted > 0 && events.isEmpty
            guard !causes.isEmpty || untrustedOnly else { continue }
            if causes.union(untrustedOnly ? [.remoteCertificateUnverified] : []).allSatisfy({ shown[$0, default: 0] >= perCause }) {
                for cause in causes.union(untrustedOnly ? [.remoteCertificateUnverified] : []) { more[cause, default: 0] += 1 }
                if events.contains(where: Self.wasDeferred) { deferredCauses.formUnion(events.filter(Self.wasDeferred).map(\.cause)) }
                continue
            }
            for cause in causes.union(untrustedOnly ? [.remoteCertificateUnverified] : []) { shown[cause, default: 0] += 1 }
            let policy = input.configuration.map { OutboundPolicy.of(nexthop: hop.nexthop, service: hop.service, configuration: $0) }
            let settings = policy?.describe ?? "main.cf not read: the level that applies is unknown"
            let level = policy?.level
            for (cause, group) in Dictionary(grouping: events, by: \.cause) {
                let deferred = group.filter(Self.wasDeferred).count
                let code = group.lazy.compactMap { OutboundHop.verifyCode(of: $0.lines) }.first
                let reason = group.lazy.compactMap { OutboundHop.verifyReason(of: $0.lines) }.first
                let last = group.last.flatMap { e in
                    e.lines.first { LogMessageCatalog.primary($0.message)?.fields["num"] != nil || OutboundHop.verificationDetail($0.message) != nil } ?? e.lines.last
                }
                let why = Self.outboundWhy(cause, code: code, reason: reason)
                let summaryText: String
                if deferred > 0 {
                    deferredCauses.insert(cause)
                    summaryText = "mail to \(hop.nexthop) is deferred: \(why)" + (level.map { " and the level there is \($0), which requires \(cause == .remoteTLSUnavailable ? "TLS" : "a verified certificate")" } ?? "")
                } else {
                    loggedCauses.insert(cause)
                    summaryText = "\(hop.nexthop): \(why); logged, no delivery was deferred for it" + (level.map { " (level \($0))" } ?? "")
                }
                add(cause, deferred > 0 ? .critical : .info,
                    Evidence(source: .log, location: "next hop \(hop.nexthop)",
                             text: "\(group.count) failed attempt\(group.count == 1 ? "" : "s"), \(deferred) deferred\(code.map { ", num=\($0)" } ?? ""); \(settings)"),
                    summary: summaryText)
                if let last { add(cause, deferred > 0 ? .critical : .info, Evidence(source: .log, location: "\(Self.basename(last.file)):\(last.lineNumber)", text: last.message)) }
                if let policy, policy.noCA, cause == .remoteCertificateUnverified {
                    summaries[cause, default: []].insert("no CA is configured for the smtp client (\(policy.prefix)_tls_CAfile, \(policy.prefix)_tls_CApath): no server certificate can verify, whatever the next hop serves", at: 0)
                }
            }
            // Untrusted sessions that were not failures: at `may` information; at a verifying level they would have failed.
            if hop.untrusted > 0 && events.isEmpty {
                let verifying = policy?.verifies ?? false
                let text = "\(hop.untrusted) Untrusted TLS session\(hop.untrusted == 1 ? "" : "s") to \(hop.nexthop)"
                let meaning = verifying
                    ? "the level is \(level ?? "?"), which requires verification: look for deferred mail to it"
                    : "at level \(level ?? "may") this is information, not an error: mail went out encrypted without checking the certificate"
                add(.remoteCertificateUnverified, verifying ? .warning : .info,
                    Evidence(source: .log, location: "next hop \(hop.nexthop)", text: "\(text); \(settings)"),
                    summary: "\(text): \(meaning)")
                loggedCauses.insert(.remoteCertificateUnverified)
            }
        }
        for (cause, n) in more where n > 0 {
            summaries[cause, default: []].append("and \(n) more next hop\(n == 1 ? "" : "s") (`postls logs` lists them all)")
        }
        // The severity is the hops': a deferral is critical, an unverified session at `may` is information (the
        // generic log severity, by event count, does not know whether mail waited).
        for cause in loggedCauses.union(deferredCauses) {
            if deferredCauses.contains(cause) {
                severities[cause] = .critical
                if let i = summaries[cause]?.firstIndex(where: { $0.hasPrefix("mail to ") }), i > 0 {
                    let s = summaries[cause]!.remove(at: i); summaries[cause]!.insert(s, at: 0)
                }
            } else if !(evidence[cause] ?? []).contains(where: { $0.source != .log }) {
                severities[cause] = (evidence[cause] ?? []).contains { $0.text.contains("which requires verification") } ? .warning : .info
            }
        }
    }

    /// Why a hop failed, in words: the verify code's meaning and who must act.
    static func outboundWhy(_ cause: Cause, code: Int?, reason: String? = nil) -> String {
        switch cause {
        case .remoteCertificateExpired:
            return "its certificate has expired or is not yet valid (num=\(code ?? 10)): the remote must renew it"
        case .remoteNameMismatch:
            return "its certificate does not name the host Postfix connects to (num=\(code ?? 62))"
        case .remoteTLSUnavailable:
            return "it does not offer STARTTLS (or refuses it) where TLS is required"
        default:
            switch code {
            case 18?, 19?: return "its certificate is self-signed (num=\(code!)): no CA vouches for it"
            case 20?, 21?, 2?: return "its certificate's issuer is not among the CAs the client trusts (num=\(code!))"
            case let c?: return "its certificate does not verify (num=\(c))"
            default:
                if let reason, reason.contains("self-signed") { return "its certificate is self-signed (\(reason)): no CA vouches for it" }
                return "its certificate was not verified" + (reason.map { " (\($0))" } ?? "")
            }
        }
    }
}

extension FixPlanner {
    /// Fixes for the smtp client's side: a CA bundle when none is configured, else a per-destination policy entry
    /// for the next hops that failed (the remote's certificate is the remote's to fix).
    func outboundFixes(cause: Cause) -> [Fix] {
        guard let configuration = input.configuration, let summary = input.logSummary else { return [] }
        var out: [Fix] = []
        let byHop = Builder.outboundEvents(input.logEvents)
        let hops = summary.outboundHops.filter { hop in byHop[hop.nexthop] != nil || (cause == .remoteCertificateUnverified && hop.untrusted > 0) }
        var seenCA = false
        for hop in hops where out.count < 10 {
            let policy = OutboundPolicy.of(nexthop: hop.nexthop, service: hop.service, configuration: configuration)
            let failed = byHop[hop.nexthop] ?? []
            let causes = Set(failed.map(\.cause))
            guard causes.contains(cause) || (cause == .remoteCertificateUnverified && failed.isEmpty) else { continue }
            if cause == .remoteCertificateUnverified && policy.noCA && !seenCA {
                seenCA = true
                let edit = ConfigEdit.setMain(name: "\(policy.prefix)_tls_CAfile", value: "/etc/ssl/certs/ca-certificates.crt")
                if let fix = configFix(cause: cause, title: edit.summary + " (the system CA bundle, read before the chroot)", edits: [edit]) { out.append(fix) }
                continue
            }
            // Only a hop whose mail waits needs a policy entry; an unverified session at `may` needs nothing.
            guard !failed.isEmpty, policy.verifies || cause == .remoteTLSUnavailable else { continue }
            let key = PolicyMapLookup.keys(forNexthop: hop.nexthop).first ?? hop.nexthop
            let entry = cause == .remoteTLSUnavailable ? "\(key) may" : "\(key) encrypt"
            let table = policy.policyMaps.isEmpty ? "texthash:\(configuration.directory)/tls_policy" : policy.policyMaps
            let why = Builder.outboundWhy(cause, code: failed.lazy.compactMap { OutboundHop.verifyCode(of: $0.lines) }.first,
                                          reason: failed.lazy.compactMap { OutboundHop.verifyReason(of: $0.lines) }.first)
            var commands = ["# the remote must fix its side (\(why));",
                            "# meanwhile, let mail to it flow \(cause == .remoteTLSUnavailable ? "without requiring TLS" : "encrypted without verification"), for this next hop only:"]
            if policy.policyMaps.isEmpty {
                commands += ["echo '\(entry)' >> \(configuration.directory)/tls_policy",
                             "postconf -c \(configuration.directory) -e '\(policy.prefix)_tls_policy_maps = \(table)'"]
            } else {
                commands += ["# add to the table of \(policy.prefix)_tls_policy_maps = \(policy.policyMaps) (then postmap it if it is hash:, lmdb: or cdb:):",
                             "#   \(entry)"]
            }
            commands.append(reloadCommand)
            out.append(makeFix(cause: cause, title: "Per-destination TLS policy for \(hop.nexthop): \(entry)", kind: .command,
                               commands: commands, applicable: false))
        }
        return out
    }
}
