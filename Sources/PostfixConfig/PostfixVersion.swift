import Foundation

/// A Postfix release as `mail_version` gives it (`3.7.11`, `3.10-20250117` for a snapshot): the one parser of
/// Postfix versions, ordered so that `3.4` and `3.4.0` are the same release.
public struct PostfixVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The numbers, major first (a part's leading digits: `10-20250117` is 10).
    public let components: [Int]

    /// Nil when `text` has no major and minor number.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").compactMap { Int($0.prefix { $0.isNumber }) }
        guard parts.count >= 2 else { return nil }
        components = parts
    }

    public init(_ major: Int, _ minor: Int, _ patch: Int = 0) { components = [major, minor, patch] }

    public var major: Int { components[0] }
    public var minor: Int { components[1] }
    public var patch: Int { components.count > 2 ? components[2] : 0 }

    public static func < (a: PostfixVersion, b: PostfixVersion) -> Bool {
        for i in 0..<max(a.components.count, b.components.count) {
            let x = i < a.components.count ? a.components[i] : 0, y = i < b.components.count ? b.components[i] : 0
            if x != y { return x < y }
        }
        return false
    }

    public static func == (a: PostfixVersion, b: PostfixVersion) -> Bool { !(a < b) && !(b < a) }

    public func hash(into hasher: inout Hasher) {
        var trimmed = components
        while trimmed.count > 2, trimmed.last == 0 { trimmed.removeLast() }
        hasher.combine(trimmed)
    }

    public var description: String { components.map(String.init).joined(separator: ".") }
}
