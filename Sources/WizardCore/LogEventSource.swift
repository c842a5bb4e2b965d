import PostlsCore

/// Log events by index, so the wizard never needs all of them as rows at once: the Logs list asks
/// only for the rows on screen. The log engine's adapter (or a test generator) implements it.
public protocol LogEventSource: Sendable {
    var count: Int { get }
    func event(at index: Int) -> LogEventRow
    /// The cause alone, for grouping without building whole rows.
    func cause(at index: Int) -> Cause
    /// Whether the event contains `lowercasedQuery` (the `/` search).
    func matches(at index: Int, lowercasedQuery: String) -> Bool
    /// The peer as Postfix writes it ("name[address]") and the service, for the filters, so a
    /// filter pass need not build whole rows.
    func peer(at index: Int) -> String
    func service(at index: Int) -> String
}

extension LogEventSource {
    public func cause(at index: Int) -> Cause { event(at: index).cause }
    public func matches(at index: Int, lowercasedQuery: String) -> Bool {
        event(at: index).searchKey.utf8.containsBytes(of: lowercasedQuery)
    }
    public func peer(at index: Int) -> String { event(at: index).peer }
    public func service(at index: Int) -> String { event(at: index).service }
}

/// Events held in memory, with their search keys computed once.
public struct LogEventList: LogEventSource {
    public let events: [LogEventRow]
    private let keys: [String]

    public init(_ events: [LogEventRow]) {
        self.events = events
        keys = events.map(\.searchKey)
    }

    public var count: Int { events.count }
    public func event(at index: Int) -> LogEventRow { events[index] }
    public func cause(at index: Int) -> Cause { events[index].cause }
    public func matches(at index: Int, lowercasedQuery: String) -> Bool { keys[index].utf8.containsBytes(of: lowercasedQuery) }
    public func peer(at index: Int) -> String { events[index].peer }
    public func service(at index: Int) -> String { events[index].service }
}

extension String.UTF8View {
    /// Substring search folding ASCII letters, without allocating a lowercased copy: the filter
    /// pass runs it once per event. `lowercasedNeedle` must already be lowercased.
    func containsIgnoringASCIICase(_ lowercasedNeedle: String) -> Bool {
        let n = Array(lowercasedNeedle.utf8)
        guard !n.isEmpty else { return true }
        @inline(__always) func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }
        let result = withContiguousStorageIfAvailable { hay -> Bool in
            if hay.count < n.count { return false }
            var i = 0
            let last = hay.count - n.count
            while i <= last {
                var j = 0
                while j < n.count && lower(hay[i + j]) == n[j] { j += 1 }
                if j == n.count { return true }
                i += 1
            }
            return false
        }
        return result ?? String(self).lowercased().utf8.containsBytes(of: lowercasedNeedle)
    }

    /// Byte substring search: plain and fast enough for a million short keys.
    func containsBytes(of needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard let first = n.first else { return true }
        return withContiguousStorageIfAvailable { hay -> Bool in
            if hay.count < n.count { return false }
            var i = 0
            let last = hay.count - n.count
            while i <= last {
                if hay[i] == first {
                    var j = 1
                    while j < n.count && hay[i + j] == n[j] { j += 1 }
                    if j == n.count { return true }
                }
                i += 1
            }
            return false
        } ?? String(self).contains(needle)
    }
}
