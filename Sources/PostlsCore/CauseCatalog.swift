import Foundation

/// Titles and explanations of the causes, loaded from Resources/causes.json.
public struct CauseCatalog: Sendable {
    public struct Entry: Codable, Sendable {
        public let title: String
        public let explanation: String
    }

    public let entries: [Cause: Entry]

    public static let shared: CauseCatalog = {
        guard let url = Bundle.module.url(forResource: "causes", withExtension: "json"),
              let data = try? Data(contentsOf: url),
              let raw = try? JSONDecoder().decode([String: Entry].self, from: data)
        else { return CauseCatalog(entries: [:]) }
        var map: [Cause: Entry] = [:]
        for (key, value) in raw { if let cause = Cause(rawValue: key) { map[cause] = value } }
        return CauseCatalog(entries: map)
    }()

    public func title(_ cause: Cause) -> String { entries[cause]?.title ?? cause.rawValue }
    public func explanation(_ cause: Cause) -> String { entries[cause]?.explanation ?? "" }
}
