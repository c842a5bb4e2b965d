/// Titles and explanations of the causes, compiled in from Resources/causes/causes.json by
/// scripts/generate-resources.py (CauseCatalog+Table.swift).
public struct CauseCatalog: Sendable {
    public struct Entry: Codable, Sendable {
        public let title: String
        public let explanation: String
    }

    public let entries: [Cause: Entry]

    public static let shared: CauseCatalog = {
        var map: [Cause: Entry] = [:]
        for row in table { if let cause = Cause(rawValue: row.id) { map[cause] = Entry(title: row.title, explanation: row.explanation) } }
        return CauseCatalog(entries: map)
    }()

    /// Cause ids in the compiled-in table that no `Cause` case has (a test keeps this empty).
    public static var unknownIDs: [String] { table.map(\.id).filter { Cause(rawValue: $0) == nil } }

    public func title(_ cause: Cause) -> String { entries[cause]?.title ?? cause.rawValue }
    public func explanation(_ cause: Cause) -> String { entries[cause]?.explanation ?? "" }
}
