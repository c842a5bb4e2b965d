/// Postfix's TLS protocol list syntax: `>=TLSv1.2`, `<=TLSv1.2`, `!SSLv2, !SSLv3`, or `TLSv1.2, TLSv1.3`.
public struct TLSProtocolSet: Sendable, Equatable {
    /// Protocol names, oldest first.
    public static let all = ["SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]

    /// Enabled protocols, oldest first.
    public var enabled: [String]
    /// Names in the list Postfix does not know (Postfix logs "Invalid TLS protocol list").
    public var unknown: [String]
    /// True when the list names SSLv2/SSLv3 positively (`SSLv3`, `>=SSLv3`).
    public var explicitlyEnablesSSL: Bool

    public init(_ list: String) {
        let items = list.split(whereSeparator: { $0 == " " || $0 == "," || $0 == ":" || $0 == "\t" }).map(String.init)
        var unknown: [String] = []
        var positive: [String] = [], negative: Set<String> = []
        var lower: Int? = nil, upper: Int? = nil
        var explicitSSL = false
        func index(_ name: String) -> Int? { TLSProtocolSet.all.firstIndex { $0.lowercased() == name.lowercased() } }
        for item in items {
            if item.hasPrefix(">=") {
                if let i = index(String(item.dropFirst(2))) { lower = i; if i <= 1 { explicitSSL = true } } else { unknown.append(item) }
            } else if item.hasPrefix("<=") {
                if let i = index(String(item.dropFirst(2))) { upper = i } else { unknown.append(item) }
            } else if item.hasPrefix("!") {
                if let i = index(String(item.dropFirst())) { negative.insert(TLSProtocolSet.all[i]) } else { unknown.append(item) }
            } else if let i = index(item) {
                positive.append(TLSProtocolSet.all[i]); if i <= 1 { explicitSSL = true }
            } else {
                unknown.append(item)
            }
        }
        var enabled = positive.isEmpty ? TLSProtocolSet.all : TLSProtocolSet.all.filter { positive.contains($0) }
        enabled.removeAll { negative.contains($0) }
        if let lower { enabled = enabled.filter { (index($0) ?? 0) >= lower } }
        if let upper { enabled = enabled.filter { (index($0) ?? 0) <= upper } }
        self.enabled = enabled
        self.unknown = unknown
        self.explicitlyEnablesSSL = explicitSSL
    }

    /// The oldest TLS (not SSL) version enabled; OpenSSL 3 has no SSLv2/SSLv3 at all.
    public var floor: String? { enabled.first { $0.hasPrefix("TLS") } }
}
