import Foundation
import PostlsCore

/// A remark that is context, not a TLS cause: SPF, DMARC, DKIM, TLS-RPT presence and syntax, PTR records.
public struct DNSNote: Sendable, Equatable, Encodable {
    public var topic: String
    public var severity: Severity
    public var message: String
    public init(topic: String, severity: Severity = .info, message: String) {
        self.topic = topic; self.severity = severity; self.message = message
    }
}

/// Presence and syntax checks of the sender-authentication records. Pure functions over TXT strings.
public enum MailAuthentication {
    static let spfMechanisms: Set<String> = ["all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"]
    static let spfModifiers: Set<String> = ["redirect", "exp"]

    /// The first of the TXT strings that are records of one kind, with a note when there is none, a warning
    /// when there are several (SPF, DMARC and TLS-RPT all want exactly one), and a warning for each problem
    /// `problems` finds in the record.
    static func select(_ txt: [String], topic: String, where isRecord: (String) -> Bool, none: String,
                       several: (Int) -> String, problems: (String) -> [String]) -> (record: String?, notes: [DNSNote]) {
        let records = txt.filter(isRecord)
        guard let record = records.first else { return (nil, [DNSNote(topic: topic, message: none)]) }
        let warnings = (records.count > 1 ? [several(records.count)] : []) + problems(record)
        return (record, warnings.map { DNSNote(topic: topic, severity: .warning, message: $0) })
    }

    /// The SPF record among a domain's TXT records and remarks about it (RFC 7208).
    public static func spf(_ txt: [String], domain: String) -> (record: String?, notes: [DNSNote]) {
        select(txt, topic: "spf", where: { $0.lowercased() == "v=spf1" || $0.lowercased().hasPrefix("v=spf1 ") },
               none: "\(domain) publishes no SPF record (v=spf1)",
               several: { "\(domain) has \($0) SPF records: receivers treat that as a permanent error" }) { record in
            var problems: [String] = []
            var lookups = 0
            for term in record.split(separator: " ").dropFirst() where !term.isEmpty {
                var t = Substring(term.lowercased())
                if let first = t.first, "+-~?".contains(first) { t = t.dropFirst() }
                let name = t.split(separator: ":", maxSplits: 1).first.map { $0.split(separator: "/").first.map(String.init) ?? "" } ?? ""
                if let eq = t.firstIndex(of: "="), !t[..<eq].contains(":") {
                    let modifier = String(t[..<eq])
                    if modifier == "redirect" { lookups += 1 }
                    if !spfModifiers.contains(modifier) && modifier.isEmpty { problems.append("SPF term \"\(term)\" is not valid") }
                    continue
                }
                guard spfMechanisms.contains(name) else {
                    problems.append("SPF term \"\(term)\" is not a known mechanism")
                    continue
                }
                if ["include", "a", "mx", "ptr", "exists"].contains(name) { lookups += 1 }
            }
            if lookups > 10 { problems.append("the SPF record needs \(lookups) DNS lookups; more than 10 is a permanent error") }
            return problems
        }
    }

    /// The DMARC record at `_dmarc.DOMAIN` and remarks (RFC 7489).
    public static func dmarc(_ txt: [String], domain: String) -> (record: String?, notes: [DNSNote]) {
        select(txt, topic: "dmarc", where: { $0.hasPrefix("v=DMARC1") },
               none: "\(domain) publishes no DMARC record at _dmarc.\(domain)",
               several: { "\($0) DMARC records: receivers ignore DMARC for \(domain)" }) { record in
            let tags = tagList(record)
            var problems: [String] = []
            if tags.first?.0 != "v" || tags.first?.1 != "DMARC1" { problems.append("the DMARC record must start with v=DMARC1") }
            if tags.count < 2 || tags[1].0 != "p" { problems.append("the DMARC record needs p= right after v=DMARC1") }
            if let p = tags.first(where: { $0.0 == "p" })?.1, !["none", "quarantine", "reject"].contains(p.lowercased()) {
                problems.append("DMARC policy p=\(p) is not none, quarantine or reject")
            }
            return problems
        }
    }

    /// A DKIM key record at `SELECTOR._domainkey.DOMAIN` and remarks (RFC 6376 §3.6.1).
    public static func dkim(_ txt: [String], selector: String, domain: String) -> (record: String?, notes: [DNSNote]) {
        let owner = "\(selector)._domainkey.\(domain)"
        guard let record = txt.first(where: { $0.contains("p=") || $0.hasPrefix("v=DKIM1") }) else {
            return (nil, [DNSNote(topic: "dkim", severity: .warning, message: "no DKIM key at \(owner)")])
        }
        var notes: [DNSNote] = []
        let tags = tagList(record)
        if let v = tags.firstIndex(where: { $0.0 == "v" }), v != 0 || tags[v].1 != "DKIM1" {
            notes.append(DNSNote(topic: "dkim", severity: .warning, message: "\(owner): v=DKIM1 must be the first tag"))
        }
        if let p = tags.first(where: { $0.0 == "p" })?.1 {
            if p.isEmpty { notes.append(DNSNote(topic: "dkim", severity: .warning, message: "\(owner): the key is revoked (empty p=)")) }
            else if Data(base64Encoded: p.filter { !$0.isWhitespace }) == nil {
                notes.append(DNSNote(topic: "dkim", severity: .warning, message: "\(owner): p= is not valid base64"))
            }
        } else {
            notes.append(DNSNote(topic: "dkim", severity: .warning, message: "\(owner): the p= tag (the public key) is missing"))
        }
        if let k = tags.first(where: { $0.0 == "k" })?.1, !["rsa", "ed25519"].contains(k.lowercased()) {
            notes.append(DNSNote(topic: "dkim", severity: .warning, message: "\(owner): key type k=\(k) is not rsa or ed25519"))
        }
        return (record, notes)
    }

    /// The TLS-RPT record at `_smtp._tls.DOMAIN` (RFC 8460).
    public static func tlsRPT(_ txt: [String], domain: String) -> (record: String?, notes: [DNSNote]) {
        select(txt, topic: "tls_rpt", where: { $0.hasPrefix("v=TLSRPTv1") },
               none: "no TLS-RPT record at _smtp._tls.\(domain): senders cannot report TLS failures to you",
               several: { "\($0) TLS-RPT records: senders ignore them all" }) { record in
            let rua = tagList(record).first(where: { $0.0 == "rua" })?.1 ?? ""
            let uris = rua.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if rua.isEmpty || !uris.allSatisfy({ $0.hasPrefix("mailto:") || $0.hasPrefix("https:") }) {
                return ["the TLS-RPT record needs rua=mailto:... or rua=https://..."]
            }
            return []
        }
    }
}

/// DKIM selectors configured for a signer on this machine: OpenDKIM (`Selector`, KeyTable) and rspamd
/// (`selector = "..."` in dkim_signing.conf). Pure functions over file contents; `discover` reads the files.
public enum DKIMSelectors {
    /// `Selector s` in opendkim.conf and the selectors in a KeyTable (`name domain:selector:/path`).
    public static func fromOpenDKIM(conf: String, keyTable: String? = nil) -> [String] {
        var out: [String] = []
        for line in conf.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, fields[0].lowercased() == "selector", !fields[1].hasPrefix("#") { out.append(String(fields[1])) }
        }
        for line in (keyTable ?? "").split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2 else { continue }
            let parts = fields[1].split(separator: ":")
            if parts.count >= 2 { out.append(String(parts[1])) }
        }
        return unique(out)
    }

    /// `KeyTable` path named in opendkim.conf (`KeyTable file:/etc/opendkim/key.table` or a bare path).
    public static func keyTablePath(inOpenDKIM conf: String) -> String? {
        for line in conf.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, fields[0].lowercased() == "keytable" {
                let value = String(fields[1])
                if value.hasPrefix("refile:") { return String(value.dropFirst(7)) }
                if value.hasPrefix("file:") { return String(value.dropFirst(5)) }
                if value.hasPrefix("/") { return value }
            }
        }
        return nil
    }

    /// `selector = "s";` anywhere in rspamd's dkim_signing.conf (global and per-domain).
    public static func fromRspamd(_ text: String) -> [String] {
        var out: [String] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), trimmed.hasPrefix("selector") else { continue }
            let rest = trimmed.dropFirst("selector".count).trimmingCharacters(in: .whitespaces)
            guard rest.hasPrefix("=") || rest.hasPrefix(":") else { continue }
            let value = rest.dropFirst().trimmingCharacters(in: CharacterSet(charactersIn: " \t\";,"))
            if !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) { out.append(value) }
        }
        return unique(out)
    }

    /// Reads OpenDKIM's and rspamd's configuration from the usual places (missing files are skipped).
    public static func discover(read: (String) -> String? = { try? String(contentsOfFile: $0, encoding: .utf8) }) -> [String] {
        var out: [String] = []
        if let conf = read("/etc/opendkim.conf") {
            out += fromOpenDKIM(conf: conf, keyTable: keyTablePath(inOpenDKIM: conf).flatMap(read))
        }
        for path in ["/etc/rspamd/local.d/dkim_signing.conf", "/etc/rspamd/override.d/dkim_signing.conf"] {
            if let text = read(path) { out += fromRspamd(text) }
        }
        return unique(out)
    }

    static func unique(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }
}
