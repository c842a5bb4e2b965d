import Foundation

/// Removes key material from text. Applied to every report, redacted or not: a report is pasted into
/// tickets, and a private key must never travel with it.
public enum KeyMaterial {
    // A PEM private key block (any kind: RSA, EC, ENCRYPTED...), or from its BEGIN line to the end when it is cut off.
    private static let pemBlock = try? NSRegularExpression(
        pattern: "-----BEGIN[^-\\n]*PRIVATE KEY-----[\\s\\S]*?(?:-----END[^-\\n]*PRIVATE KEY-----|\\z)")
    // A long base64 run (a line of a pasted key without its BEGIN line); hex fingerprints are not base64 runs
    // in this sense because they never mix upper and lower case.
    private static let base64Run = try? NSRegularExpression(pattern: "[A-Za-z0-9+/]{48,}={0,2}")

    public static let removedBlock = "[private key material removed]"
    public static let removedRun = "[base64 data removed]"

    public static func strip(_ text: String) -> String {
        guard text.contains("PRIVATE KEY") || text.utf8.count >= 48 else { return text }
        var out = text
        if let pemBlock {
            out = pemBlock.stringByReplacingMatches(in: out, range: NSRange(out.startIndex..., in: out), withTemplate: removedBlock)
        }
        if let base64Run {
            let ns = out as NSString
            var result = ""
            var last = 0
            for match in base64Run.matches(in: out, range: NSRange(location: 0, length: ns.length)) {
                let token = ns.substring(with: match.range)
                let mixed = token.contains(where: \.isUppercase) && token.contains(where: \.isLowercase) && token.contains(where: \.isNumber)
                guard mixed else { continue }
                result += ns.substring(with: NSRange(location: last, length: match.range.location - last)) + removedRun
                last = match.range.location + match.range.length
            }
            if last > 0 { out = result + ns.substring(from: last) }
        }
        // Whatever is left that names a key block (a lone END line, a quoted header) loses its marker too.
        return out.replacingOccurrences(of: "PRIVATE KEY", with: "private key")
    }
}

/// Replaces host names, domains, IP addresses and mail addresses with placeholders, consistently: the same
/// name always gets the same placeholder (`host1.example`, `domain1.example`, `192.0.2.1`, `2001:db8::1`,
/// `user1@domain1.example`). Names learned from the configuration, certificates, probes and logs are replaced
/// wherever they occur; a generic pass catches anything else that looks like an address, a domain or a mail address.
/// Loopback and documentation addresses are kept: they identify nobody and help reading the report.
public struct Redactor: Sendable {
    private var names: [String: String] = [:]
    private var addresses: [String: String] = [:]
    private var users: [String: String] = [:]
    private var counts = (host: 0, domain: 0, v4: 0, v6: 0, user: 0)
    private var literalCounts: [String: Int] = [:]
    private var pattern: NSRegularExpression?

    public init() {}

    /// The placeholder table (original, lower-cased → placeholder), for tests and for the admin's own reference.
    public var table: [String: String] { names.merging(addresses) { a, _ in a } }

    // MARK: Learning

    public mutating func learn(host: String) { _ = placeholder(forName: host, isDomain: false) }
    public mutating func learn(domain: String) { _ = placeholder(forName: domain, isDomain: true) }
    public mutating func learn(address: String) { _ = placeholder(forAddress: address) }

    /// Learns an identifying string that is not a name (a certificate fingerprint, an organization): replaced by `<kind>N`.
    /// A fingerprint finds the certificate, and so the host names, in Certificate Transparency logs.
    public mutating func learn(literal raw: String, kind: String) {
        let value = raw.trimmingCharacters(in: .whitespaces).lowercased()
        guard value.count >= 3, names[value] == nil else { return }
        literalCounts[kind, default: 0] += 1
        names[value] = "\(kind)\(literalCounts[kind] ?? 0)"
        pattern = nil
    }

    /// Learns a shortened form of a learned literal (a key hash cut to 16 digits on a screen) as the same placeholder.
    public mutating func learn(prefix: String, of raw: String) {
        let full = raw.trimmingCharacters(in: .whitespaces).lowercased(), short = prefix.lowercased()
        guard short.count >= 8, let placeholder = names[full], names[short] == nil else { return }
        names[short] = placeholder
        pattern = nil
    }

    /// Learns every name and address in a free-form value (a parameter like `mydestination` or `relayhost`).
    public mutating func learn(namesIn value: String, asDomains: Bool) {
        for token in value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }) {
            var t = String(token)
            if t.hasPrefix("[") , let close = t.firstIndex(of: "]") { t = String(t[t.index(after: t.startIndex)..<close]) }
            else if let colon = t.lastIndex(of: ":"), !t.contains("::"), t.filter({ $0 == ":" }).count == 1 { t = String(t[..<colon]) }
            if Self.isIPv4(t) || Self.isIPv6(t) { learn(address: t) }
            else if asDomains { learn(domain: t) } else { learn(host: t) }
        }
    }

    static func normalize(_ name: String) -> String? {
        var n = name.trimmingCharacters(in: .whitespaces).lowercased()
        if n.hasPrefix("*.") { n.removeFirst(2) }
        while n.hasSuffix(".") { n.removeLast() }
        // Single labels (localhost, a bare host name) would replace ordinary words; only dotted names are learned.
        guard n.contains("."), n != "localhost", !n.hasSuffix(".example"), !n.contains("$"),
              n.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_" }) else { return nil }
        return n
    }

    private mutating func placeholder(forName raw: String, isDomain: Bool) -> String? {
        guard let name = Self.normalize(raw) else { return nil }
        if let known = names[name] { return known }
        let labels = name.split(separator: ".")
        // A host's parent domain is learned too, so the bare domain is redacted wherever it shows up.
        if !isDomain, labels.count >= 3 { learn(domain: labels.dropFirst().joined(separator: ".")) }
        let placeholder: String
        if isDomain { counts.domain += 1; placeholder = "domain\(counts.domain).example" }
        else { counts.host += 1; placeholder = "host\(counts.host).example" }
        names[name] = placeholder
        pattern = nil
        return placeholder
    }

    private mutating func placeholder(forAddress raw: String) -> String {
        var address = raw.lowercased()
        if address.hasPrefix("ipv6:") { address.removeFirst(5) }
        if Self.isKept(address) { return address }
        if let known = addresses[address] { return known }
        let placeholder: String
        if Self.isIPv6(address) {
            counts.v6 += 1; placeholder = "2001:db8::" + String(counts.v6, radix: 16)
        } else {
            counts.v4 += 1
            let ranges = ["192.0.2", "198.51.100", "203.0.113"]
            let index = (counts.v4 - 1) / 254
            placeholder = "\(ranges[min(index, 2)]).\((counts.v4 - 1) % 254 + 1)"
        }
        addresses[address] = placeholder
        pattern = nil
        return placeholder
    }

    private mutating func placeholder(forMail mail: String) -> String {
        guard let at = mail.lastIndex(of: "@") else { return mail }
        let local = mail[..<at].lowercased()
        let domain = String(mail[mail.index(after: at)...])
        let user: String
        if let known = users[local] { user = known } else { counts.user += 1; user = "user\(counts.user)"; users[local] = user }
        let mapped = names[domain.lowercased()] ?? placeholder(forName: domain, isDomain: true) ?? "domain.example"
        return "\(user)@\(mapped)"
    }

    static func isIPv4(_ s: String) -> Bool { var a = in_addr(); return inet_pton(AF_INET, s, &a) == 1 }
    static func isIPv6(_ s: String) -> Bool { var a = in6_addr(); return inet_pton(AF_INET6, s, &a) == 1 }

    /// Loopback, unspecified and documentation addresses identify nobody.
    static func isKept(_ address: String) -> Bool {
        if address.hasPrefix("127.") || address == "0.0.0.0" || address == "::1" || address == "::" { return true }
        if address.hasPrefix("::ffff:127.") { return true }
        for prefix in ["192.0.2.", "198.51.100.", "203.0.113."] where address.hasPrefix(prefix) { return true }
        return address.hasPrefix("2001:db8:")
    }

    // MARK: Redacting

    private static let fileExtensions: Set<String> = [
        "pem", "crt", "cer", "key", "csr", "der", "p12", "cf", "conf", "cnf", "log", "gz", "xz", "bz2", "json", "txt", "db",
        "lmdb", "cdb", "so", "md", "sh", "py", "swift", "pid", "lock", "proto", "dist", "tls", "debian", "orig", "bak", "tmp",
    ]

    private mutating func compiledPattern() -> NSRegularExpression? {
        if let pattern { return pattern }
        let known = names.keys.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }.map(NSRegularExpression.escapedPattern(for:))
        let label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
        let domain = "(?:\(label)\\.)+[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9]"
        var alternatives: [String] = []
        if !known.isEmpty { alternatives.append("(?<k>(?<![A-Za-z0-9-])(?:\(known.joined(separator: "|")))(?![A-Za-z0-9-]))") }
        alternatives += [
            "(?<m>[A-Za-z0-9._%+=-]+@\(domain))",
            "(?<v6>(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\\d{1,3}\\.){3}\\d{1,3})?(?![0-9A-Za-z:]))",
            "(?<v4>(?<![0-9.])(?:\\d{1,3}\\.){3}\\d{1,3}(?![0-9]|\\.[0-9]))",
            "(?<d>(?<![A-Za-z0-9_-])\(domain)(?![A-Za-z0-9_-]))",
        ]
        pattern = try? NSRegularExpression(pattern: alternatives.joined(separator: "|"), options: [.caseInsensitive])
        return pattern
    }

    /// The text with every name and address replaced, and key material removed.
    public mutating func redact(_ text: String) -> String {
        let stripped = KeyMaterial.strip(text)
        guard let regex = compiledPattern() else { return stripped }
        let ns = stripped as NSString
        var out = ""
        var last = 0
        for match in regex.matches(in: stripped, range: NSRange(location: 0, length: ns.length)) {
            let token = ns.substring(with: match.range)
            out += ns.substring(with: NSRange(location: last, length: match.range.location - last))
            last = match.range.location + match.range.length
            out += replacement(for: token, match: match)
        }
        out += ns.substring(from: last)
        return out
    }

    private mutating func replacement(for token: String, match: NSTextCheckingResult) -> String {
        func matched(_ group: String) -> Bool { match.range(withName: group).location != NSNotFound }
        if matched("k") { return names[token.lowercased()] ?? token }
        if matched("m") { return placeholder(forMail: token) }
        if matched("v6") { return Self.isIPv6(token) ? placeholder(forAddress: token) : token }
        if matched("v4") { return Self.isIPv4(token) ? placeholder(forAddress: token) : token }
        // A domain-looking token: a file name (`main.cf`, `fullchain.pem`) stays; `host.example.org.pem` keeps its extension.
        var labels = token.split(separator: ".").map(String.init)
        var suffix = ""
        while let last = labels.last, Self.fileExtensions.contains(last.lowercased()) {
            suffix = "." + last + suffix
            labels.removeLast()
        }
        let name = labels.joined(separator: ".")
        guard labels.count >= 2, let tld = labels.last, tld.count >= 2, tld.allSatisfy(\.isLetter),
              !name.lowercased().hasSuffix(".example") else { return token }
        if let known = names[name.lowercased()] { return known + suffix }
        return (placeholder(forName: name, isDomain: labels.count == 2) ?? name) + suffix
    }

    /// Redacts every string (keys included) of a JSON tree.
    public mutating func redact(json value: JSONValue) -> JSONValue {
        var copy = self
        let out = value.mapStrings { copy.redact($0) }
        self = copy
        return out
    }
}
