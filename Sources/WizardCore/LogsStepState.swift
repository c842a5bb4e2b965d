import PostlsCore

/// What narrows the Logs list: a cause, and text that the peer or the service must contain.
public struct LogFilter: Sendable, Hashable {
    public var cause: Cause?
    public var peer: String
    public var service: String

    public init(cause: Cause? = nil, peer: String = "", service: String = "") {
        self.cause = cause; self.peer = peer; self.service = service
    }

    public var isEmpty: Bool { cause == nil && peer.isEmpty && service.isEmpty }

    /// "cause=protocol_mismatch peer~gmail" for the filter line.
    public var description: String {
        var parts: [String] = []
        if let cause { parts.append("cause=\(cause.rawValue)") }
        if !peer.isEmpty { parts.append("peer~\(peer)") }
        if !service.isEmpty { parts.append("service~\(service)") }
        return parts.joined(separator: " ")
    }
}

/// The events of one cause, by index into the source, in log order.
public struct LogGroup: Sendable, Hashable {
    public var cause: Cause
    public var indices: [Int]
}

/// A row of the Logs list: a cause heading (collapsible) or an event.
public enum LogDisplayRow: Sendable, Hashable {
    case header(cause: Cause, count: Int, collapsed: Bool)
    case event(index: Int)
}

/// The Logs step: events grouped by cause, filtered, searched; rows are computed on demand.
public struct LogsStepState: Sendable {
    public var source: (any LogEventSource)?
    public var summary: LogTotals?
    public var loading = false
    /// While loading: lines read so far and the file being read.
    public var progressLines = 0
    public var progressFile: String?
    public var loadError: String?
    public private(set) var filter = LogFilter()
    /// Groups after filtering, most events first. Computing them is the only pass over every event,
    /// and it happens when events arrive or a filter changes, never per key press.
    public private(set) var groups: [LogGroup] = []
    /// All groups before filtering, kept so a cause filter is a lookup, not a scan.
    private var allGroups: [LogGroup] = []
    public var collapsed: Set<Cause> = []
    public var list = ListPosition()
    public var search = ""
    /// Row where the current incremental search started.
    public var searchAnchor = 0
    public var searchFailed = false
    /// A search that has not looked at every row yet; it goes on in chunks between key presses.
    public var searchInProgress: SearchProgress?
    public var searchGeneration = 0
    /// A peer/service filter still looking at events; the list shows the old result until it ends.
    public private(set) var filterInProgress: FilterProgress?
    private var filterGeneration = 0
    /// The event whose raw lines are open, and the scroll inside them.
    public var detail: Int?
    public var detailTop = 0

    public init() {}

    public mutating func load(_ source: any LogEventSource, summary: LogTotals?) {
        self.source = source
        self.summary = summary
        loading = false
        // One pass; a bucket per cause by ordinal (no hashing per event in the common case of a
        // cause repeating), since this pass is most of the first frame of a big log.
        let causes = Cause.allCases
        let ordinal = Dictionary(uniqueKeysWithValues: causes.enumerated().map { ($1, $0) })
        var lists = Array(repeating: [Int](), count: causes.count)
        var lastCause: Cause?
        var lastOrdinal = 0
        for i in 0..<source.count {
            let cause = source.cause(at: i)
            if cause != lastCause {
                lastCause = cause
                lastOrdinal = ordinal[cause] ?? 0
            }
            lists[lastOrdinal].append(i)
        }
        var buckets: [Cause: [Int]] = [:]
        for (k, list) in lists.enumerated() where !list.isEmpty { buckets[causes[k]] = list }
        allGroups = LogsStepState.ordered(buckets)
        list = ListPosition()
        detail = nil
        applyFilter(filter)
    }

    private static func ordered(_ buckets: [Cause: [Int]]) -> [LogGroup] {
        buckets.map { LogGroup(cause: $0.key, indices: $0.value) }
            .sorted { $0.indices.count != $1.indices.count ? $0.indices.count > $1.indices.count : $0.cause < $1.cause }
    }

    public mutating func applyFilter(_ newFilter: LogFilter) {
        filter = newFilter
        var base = allGroups
        if let cause = newFilter.cause { base = base.filter { $0.cause == cause } }
        let peer = newFilter.peer.lowercased(), service = newFilter.service.lowercased()
        if let source, !peer.isEmpty || !service.isEmpty {
            base = base.compactMap { group in
                let kept = group.indices.filter { i in
                    if !peer.isEmpty && !source.peer(at: i).utf8.containsIgnoringASCIICase(peer) { return false }
                    if !service.isEmpty && !source.service(at: i).utf8.containsIgnoringASCIICase(service) { return false }
                    return true
                }
                return kept.isEmpty ? nil : LogGroup(cause: group.cause, indices: kept)
            }
            base.sort { $0.indices.count != $1.indices.count ? $0.indices.count > $1.indices.count : $0.cause < $1.cause }
        }
        groups = base
        list.clamp(count: rowCount)
    }

    /// Events one filter step looks at; keys are read between steps.
    public static let filterEventsPerStep = 32_768

    /// Starts applying a filter. A cause alone is a lookup and ends at once; text filters over a big
    /// log go in steps. Returns the generation to continue, or nil when the filter is applied.
    public mutating func beginFilter(_ newFilter: LogFilter) -> Int? {
        filterInProgress = nil
        let base = newFilter.cause.map { c in allGroups.filter { $0.cause == c } } ?? allGroups
        let events = base.reduce(0) { $0 + $1.indices.count }
        if (newFilter.peer.isEmpty && newFilter.service.isEmpty) || events <= LogsStepState.filterEventsPerStep {
            applyFilter(newFilter)
            return nil
        }
        filterGeneration += 1
        filterInProgress = FilterProgress(filter: newFilter, base: base, total: events, generation: filterGeneration)
        return filterStep(generation: filterGeneration) ? nil : filterGeneration
    }

    /// Filters up to one step's events; true when the filter is complete (or the generation is stale).
    public mutating func filterStep(generation: Int) -> Bool {
        guard var p = filterInProgress, p.generation == generation, let source else { return true }
        let peer = p.filter.peer.lowercased(), service = p.filter.service.lowercased()
        var budget = LogsStepState.filterEventsPerStep
        while budget > 0, p.groupIndex < p.base.count {
            let group = p.base[p.groupIndex]
            let end = min(group.indices.count, p.offset + budget)
            for k in p.offset..<end {
                let i = group.indices[k]
                if !peer.isEmpty && !source.peer(at: i).utf8.containsIgnoringASCIICase(peer) { continue }
                if !service.isEmpty && !source.service(at: i).utf8.containsIgnoringASCIICase(service) { continue }
                p.current.append(i)
            }
            budget -= end - p.offset
            p.done += end - p.offset
            p.offset = end
            if p.offset >= group.indices.count {
                if !p.current.isEmpty { p.kept.append(LogGroup(cause: group.cause, indices: p.current)) }
                p.current = []
                p.groupIndex += 1
                p.offset = 0
            }
        }
        if p.groupIndex < p.base.count {
            filterInProgress = p
            return false
        }
        filterInProgress = nil
        filter = p.filter
        groups = p.kept.sorted { $0.indices.count != $1.indices.count ? $0.indices.count > $1.indices.count : $0.cause < $1.cause }
        list = ListPosition()
        return true
    }

    /// Causes present in the log, most frequent first (what `c` cycles through).
    public var causesPresent: [Cause] { allGroups.map(\.cause) }
    public var totalEvents: Int { source?.count ?? 0 }
    public var shownEvents: Int { groups.reduce(0) { $0 + $1.indices.count } }

    public var rowCount: Int {
        groups.reduce(0) { $0 + 1 + (collapsed.contains($1.cause) ? 0 : $1.indices.count) }
    }

    /// The row at a position of the list; O(number of causes), independent of the number of events.
    public func row(at position: Int) -> LogDisplayRow? {
        guard position >= 0 else { return nil }
        var r = position
        for g in groups {
            let isCollapsed = collapsed.contains(g.cause)
            if r == 0 { return .header(cause: g.cause, count: g.indices.count, collapsed: isCollapsed) }
            r -= 1
            if !isCollapsed {
                if r < g.indices.count { return .event(index: g.indices[r]) }
                r -= g.indices.count
            }
        }
        return nil
    }

    /// The list position of a cause's heading.
    public func headerPosition(of cause: Cause) -> Int? {
        var r = 0
        for g in groups {
            if g.cause == cause { return r }
            r += 1 + (collapsed.contains(g.cause) ? 0 : g.indices.count)
        }
        return nil
    }

    /// Rows one search step looks at. A million events take a few dozen steps, and keys are read
    /// between steps, so typing never waits for a whole pass.
    public static let searchRowsPerStep = 4_096

    /// The next row (wrapping) whose event matches `query`, case-insensitively, looking at every row.
    public func find(_ query: String, from start: Int, forward: Bool, includeStart: Bool) -> Int? {
        let p = SearchProgress(query: query, start: start, forward: forward, includeStart: includeStart, generation: 0)
        if case .found(let r) = findStep(p, budget: Int.max) { return r }
        return nil
    }

    public enum SearchStepResult: Sendable, Hashable { case found(Int), notFound, unfinished(rowsDone: Int) }

    /// Looks at up to `budget` more rows of a search.
    public func findStep(_ p: SearchProgress, budget: Int) -> SearchStepResult {
        guard let source, !p.query.isEmpty else { return .notFound }
        let n = rowCount
        guard n > 0 else { return .notFound }
        let q = p.query.lowercased()
        let end = budget >= n - p.rowsDone ? n : p.rowsDone + budget
        var step = p.rowsDone
        while step < end {
            let k = p.includeStart ? step : step + 1
            let r = p.forward ? (p.start + k) % n : ((p.start - k) % n + n) % n
            if case .event(let index)? = row(at: r), source.matches(at: index, lowercasedQuery: q) { return .found(r) }
            step += 1
        }
        return end >= n ? .notFound : .unfinished(rowsDone: end)
    }
}

/// Where a filter that runs in steps has got to.
public struct FilterProgress: Sendable {
    public var filter: LogFilter
    var base: [LogGroup]
    var groupIndex = 0
    var offset = 0
    var kept: [LogGroup] = []
    var current: [Int] = []
    public var done = 0
    public var total: Int
    public var generation: Int

    init(filter: LogFilter, base: [LogGroup], total: Int, generation: Int) {
        self.filter = filter; self.base = base; self.total = total; self.generation = generation
    }
}

/// Where a search that runs in steps has got to.
public struct SearchProgress: Sendable, Hashable {
    public var query: String
    public var start: Int
    public var forward: Bool
    public var includeStart: Bool
    public var rowsDone = 0
    /// Which search this is; a continuation of an older one is ignored.
    public var generation: Int

    public init(query: String, start: Int, forward: Bool, includeStart: Bool, generation: Int) {
        self.query = query; self.start = start; self.forward = forward; self.includeStart = includeStart; self.generation = generation
    }
}

/// A selection in a list and the first row shown; kept visible by `ListViewport`-like rules.
public struct ListPosition: Sendable, Hashable {
    public var selection: Int
    public var top: Int

    public init(selection: Int = 0, top: Int = 0) { self.selection = selection; self.top = top }

    public mutating func clamp(count: Int) {
        selection = max(0, min(selection, count - 1))
        top = max(0, min(top, max(0, count - 1)))
    }

    /// Moves the selection by `delta` rows and scrolls so it stays within `height` rows.
    public mutating func move(by delta: Int, count: Int, height: Int) {
        guard count > 0 else { selection = 0; top = 0; return }
        selection = max(0, min(count - 1, selection + delta))
        scrollToSelection(count: count, height: height)
    }

    public mutating func moveTo(_ index: Int, count: Int, height: Int) {
        move(by: index - selection, count: count, height: height)
    }

    public mutating func scrollToSelection(count: Int, height: Int) {
        let h = max(1, height)
        if selection < top { top = selection }
        if selection >= top + h { top = selection - h + 1 }
        top = max(0, min(top, max(0, count - h)))
    }
}
