// Widgets draw into a ScreenBuffer inside a Rect. They hold no state: everything they show is passed in.

extension ScreenBuffer {
    /// A box with line drawing (or ASCII) and an optional title in its top edge.
    public mutating func drawBox(_ rect: Rect, title: String? = nil, style: Style = Style(.border), glyphs: Glyphs) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let top = rect.y, bottom = rect.maxY - 1, left = rect.x, right = rect.maxX - 1
        for x in (left + 1)..<right {
            put(glyphs.horizontal, x: x, y: top, style: style)
            put(glyphs.horizontal, x: x, y: bottom, style: style)
        }
        if rect.height > 2 {
            for y in (top + 1)..<bottom {
                put(glyphs.vertical, x: left, y: y, style: style)
                put(glyphs.vertical, x: right, y: y, style: style)
            }
        }
        put(glyphs.topLeft, x: left, y: top, style: style)
        put(glyphs.topRight, x: right, y: top, style: style)
        put(glyphs.bottomLeft, x: left, y: bottom, style: style)
        put(glyphs.bottomRight, x: right, y: bottom, style: style)
        if let title, !title.isEmpty, rect.width > 6 {
            write(" \(title) ", x: left + 2, y: top, width: rect.width - 4, style: Style(.heading, [.bold]), ellipsis: glyphs.ellipsis)
        }
    }

    /// A horizontal rule, optionally with a label at its left.
    public mutating func drawRule(y: Int, x: Int = 0, width: Int? = nil, label: String? = nil, glyphs: Glyphs, style: Style = Style(.border)) {
        let w = width ?? (self.width - x)
        for col in x..<(x + max(0, w)) { put(glyphs.horizontal, x: col, y: y, style: style) }
        if let label, !label.isEmpty, w > 6 {
            write(" \(label) ", x: x + 1, y: y, width: w - 2, style: Style(.heading, [.bold]), ellipsis: glyphs.ellipsis)
        }
    }
}

/// A key and what it does, for the status line and the help overlay.
public struct KeyHint: Sendable, Hashable {
    public var keys: String
    public var label: String
    public init(_ keys: String, _ label: String) { self.keys = keys; self.label = label }
}

/// The two top rows: product and host with a summary, then the step tabs with the current one marked.
public struct HeaderBar: Sendable {
    public var title: String
    public var summary: [Span]
    public var tabs: [String]
    public var current: Int

    public init(title: String, summary: [Span], tabs: [String], current: Int) {
        self.title = title; self.summary = summary; self.tabs = tabs; self.current = current
    }

    public func render(into buffer: inout ScreenBuffer, width: Int, glyphs: Glyphs) {
        buffer.fill(Rect(x: 0, y: 0, width: width, height: 1), style: Style(.title))
        let summaryWidth = summary.reduce(0) { $0 + CharacterWidth.of($1.text) }
        let titleRoom = max(0, width - summaryWidth - 2)
        buffer.write(" " + title, x: 0, y: 0, width: titleRoom, style: Style(.title, [.bold]), ellipsis: glyphs.ellipsis)
        if summaryWidth > 0, summaryWidth < width - 1 {
            buffer.write(summary.map { Span($0.text, Style(.title, $0.style.attributes)) }, x: width - summaryWidth - 1, y: 0)
        }
        var x = 1
        let labels = tabs.enumerated().map { " \($0.offset + 1) \($0.element) " }
        // A blank between tabs while they all fit with it (the labels' own padding keeps them apart otherwise).
        let gap = 1 + labels.reduce(0) { $0 + CharacterWidth.of($1) + 1 } <= width ? 1 : 0
        for (i, label) in labels.enumerated() {
            let w = CharacterWidth.of(label)
            if x + w > width { break }
            buffer.write(label, x: x, y: 1, style: i == current ? Style(.tabActive, [.bold]) : Style(.tab))
            x += w + gap
        }
    }
}

/// The bottom row: the keys that work on this screen, or a prompt or message when one is active.
public struct StatusLine: Sendable {
    public var hints: [KeyHint]
    public init(hints: [KeyHint]) { self.hints = hints }

    public func render(into buffer: inout ScreenBuffer, y: Int, width: Int, glyphs: Glyphs) {
        buffer.fill(Rect(x: 0, y: y, width: width, height: 1), style: Style(.status, [.reverse]))
        // The last two hints (help, quit) must always show: drop the ones before them until it fits.
        var hints = self.hints
        func total(_ h: [KeyHint]) -> Int { 1 + h.reduce(0) { $0 + CharacterWidth.of($1.keys) + 1 + CharacterWidth.of($1.label) } + 2 * max(0, h.count - 1) }
        while total(hints) > width, hints.count > 2 { hints.remove(at: hints.count - 3) }
        var spans: [Span] = [Span(" ", Style(.status, [.reverse]))]
        for (i, hint) in hints.enumerated() {
            if i > 0 { spans.append(Span("  ", Style(.status, [.reverse]))) }
            spans.append(Span(hint.keys, Style(.key, [.bold, .reverse])))
            spans.append(Span(" " + hint.label, Style(.status, [.reverse])))
        }
        buffer.write(spans, x: 0, y: y, width: width, ellipsis: glyphs.ellipsis)
    }
}

/// Keeps a selection visible: the first row to show, given the previous first row.
public enum ListViewport {
    public static func top(selection: Int, previousTop: Int, count: Int, height: Int) -> Int {
        guard height > 0, count > 0 else { return 0 }
        var top = min(max(0, previousTop), max(0, count - height))
        if selection < top { top = selection }
        if selection >= top + height { top = selection - height + 1 }
        return max(0, min(top, max(0, count - height)))
    }
}

/// A list that asks for rows by index and only for the rows it shows, so its cost does not depend on
/// how many rows there are. The selected row is marked with a pointer and, when focused, reversed.
public struct VirtualList {
    public var count: Int
    public var selection: Int?
    public var top: Int
    public var focused: Bool
    public var row: (Int) -> [Span]
    /// Columns of the row's text the selection bar covers; nil: the whole row. A list that drives a pane beside it
    /// bars only its key columns, so a move rewrites little of the row over a slow link.
    public var barWidth: Int?

    public init(count: Int, selection: Int?, top: Int, focused: Bool, barWidth: Int? = nil, row: @escaping (Int) -> [Span]) {
        self.count = count; self.selection = selection; self.top = top; self.focused = focused; self.barWidth = barWidth; self.row = row
    }

    /// Draws the rows and returns the first row index shown (after keeping the selection visible).
    @discardableResult
    public func render(into buffer: inout ScreenBuffer, rect: Rect, glyphs: Glyphs) -> Int {
        guard !rect.isEmpty else { return 0 }
        let first = ListViewport.top(selection: selection ?? top, previousTop: top, count: count, height: rect.height)
        let textWidth = rect.width - 3   // pointer column + space, scroll indicator column
        for dy in 0..<rect.height {
            let index = first + dy
            guard index < count else { break }
            let y = rect.y + dy
            let selected = index == selection
            if selected { buffer.put(glyphs.pointer, x: rect.x, y: y, style: Style(.key, [.bold])) }
            buffer.write(row(index), x: rect.x + 2, y: y, width: textWidth, ellipsis: glyphs.ellipsis)
            if selected {
                let width = barWidth.map { min($0 + 1, rect.width - 2) } ?? rect.width - 2
                buffer.addAttributes(focused ? [.reverse] : [.bold], in: Rect(x: rect.x + 1, y: y, width: width, height: 1))
            }
        }
        buffer.drawScrollMarks(rect, first: first, count: count, glyphs: glyphs)
        return first
    }
}

extension ScreenBuffer {
    /// The more-above and more-below marks in the last column of a scrolled area showing `count` rows from `first`.
    public mutating func drawScrollMarks(_ rect: Rect, first: Int, count: Int, glyphs: Glyphs) {
        if first > 0 { put(glyphs.moreAbove, x: rect.maxX - 1, y: rect.y, style: Style(.muted)) }
        if first + rect.height < count { put(glyphs.moreBelow, x: rect.maxX - 1, y: rect.maxY - 1, style: Style(.muted)) }
    }
}

/// A pane of styled lines scrolled to `top` (kept so the last page stays full), with more-above/below marks in its
/// last column; the lines get the width up to one column before the marks.
public struct ScrolledLines {
    public var lines: [[Span]]
    public var top: Int

    public init(lines: [[Span]], top: Int) { self.lines = lines; self.top = top }

    public func render(into buffer: inout ScreenBuffer, rect: Rect, glyphs: Glyphs) {
        let first = max(0, min(top, max(0, lines.count - rect.height)))
        for (i, line) in lines.dropFirst(first).prefix(rect.height).enumerated() {
            buffer.write(line, x: rect.x, y: rect.y + i, width: rect.width - 2, ellipsis: glyphs.ellipsis)
        }
        buffer.drawScrollMarks(rect, first: first, count: lines.count, glyphs: glyphs)
    }
}

/// Read-only text: a file around a line, raw log lines, or a diff with +/- coloring.
public struct TextViewer: Sendable {
    public enum Mode: Sendable { case plain, diff }
    public var lines: [String]
    public var top: Int
    public var mode: Mode
    /// When set, lines are numbered from this number.
    public var firstLineNumber: Int?
    /// Index into `lines` to highlight (e.g. the line a finding points at).
    public var highlight: Int?

    public init(lines: [String], top: Int = 0, mode: Mode = .plain, firstLineNumber: Int? = nil, highlight: Int? = nil) {
        self.lines = lines; self.top = top; self.mode = mode; self.firstLineNumber = firstLineNumber; self.highlight = highlight
    }

    public static func diffStyle(_ line: String) -> Style {
        if line.hasPrefix("+++") || line.hasPrefix("---") { return Style(.heading, [.bold]) }
        if line.hasPrefix("@@") { return Style(.diffHunk) }
        if line.hasPrefix("+") { return Style(.diffAdd, [.bold]) }
        if line.hasPrefix("-") { return Style(.diffRemove) }
        return .normal
    }

    public func render(into buffer: inout ScreenBuffer, rect: Rect, glyphs: Glyphs) {
        guard !rect.isEmpty else { return }
        let start = max(0, min(top, max(0, lines.count - rect.height)))
        let numberWidth = firstLineNumber.map { String($0 + lines.count).count + 1 } ?? 0
        for dy in 0..<rect.height {
            let i = start + dy
            guard i < lines.count else { break }
            let y = rect.y + dy
            var x = rect.x
            if let first = firstLineNumber {
                let n = String(first + i)
                buffer.write(String(repeating: " ", count: max(0, numberWidth - 1 - n.count)) + n, x: x, y: y, style: Style(.lineNumber))
                x += numberWidth
            }
            let style = mode == .diff ? TextViewer.diffStyle(lines[i]) : .normal
            buffer.write(expandTabs(lines[i]), x: x, y: y, width: rect.maxX - x - 1, style: style, ellipsis: glyphs.ellipsis)
            if i == highlight { buffer.addAttributes([.reverse], in: Rect(x: rect.x, y: y, width: rect.width - 1, height: 1)) }
        }
        buffer.drawScrollMarks(rect, first: start, count: lines.count, glyphs: glyphs)
    }

    private func expandTabs(_ s: String) -> String {
        guard s.contains("\t") else { return s }
        var out = ""
        for ch in s {
            if ch == "\t" { out += String(repeating: " ", count: 8 - out.count % 8) } else { out.append(ch) }
        }
        return out
    }
}

/// A centered box over the screen: help, confirmations, raw lines.
public enum Overlay {
    /// The rect of a centered box of at most the given size, leaving a margin.
    public static func centered(width: Int, height: Int, in bounds: Rect) -> Rect {
        let w = min(width, bounds.width - 2), h = min(height, bounds.height - 2)
        return Rect(x: bounds.x + (bounds.width - w) / 2, y: bounds.y + (bounds.height - h) / 2, width: w, height: h)
    }
}

/// Keys of the current screen grouped under headings, in a box over the screen.
public struct HelpOverlay: Sendable {
    public var title: String
    public var intro: [String]
    public var sections: [(heading: String, keys: [KeyHint])]

    public init(title: String, intro: [String], sections: [(heading: String, keys: [KeyHint])]) {
        self.title = title; self.intro = intro; self.sections = sections
    }

    public func render(into buffer: inout ScreenBuffer, glyphs: Glyphs) {
        var lines: [[Span]] = intro.map { [Span($0)] }
        let keyWidth = min(16, sections.flatMap(\.keys).map { CharacterWidth.of($0.keys) }.max() ?? 4)
        for (i, section) in sections.enumerated() {
            if i > 0 { lines.append([]) }
            lines.append([Span(section.heading, Style(.heading, [.bold]))])
            for hint in section.keys {
                let pad = String(repeating: " ", count: max(0, keyWidth - CharacterWidth.of(hint.keys)))
                lines.append([Span("  " + hint.keys + pad, Style(.key, [.bold])), Span("  " + hint.label)])
            }
        }
        lines.append([Span("Press ? or Esc to close this help.", Style(.muted))])
        let rect = Overlay.centered(width: 72, height: lines.count + 2, in: buffer.bounds)
        buffer.fill(rect, style: Style(.dialog))
        buffer.drawBox(rect, title: title, glyphs: glyphs)
        for (dy, line) in lines.prefix(rect.height - 2).enumerated() {
            buffer.write(line, x: rect.x + 2, y: rect.y + 1 + dy, width: rect.width - 4, ellipsis: glyphs.ellipsis)
        }
    }
}

/// A question with its consequences and the keys that answer it.
public struct ConfirmDialog: Sendable {
    public var title: String
    public var lines: [String]
    public var choices: [KeyHint]

    public init(title: String, lines: [String], choices: [KeyHint]) {
        self.title = title; self.lines = lines; self.choices = choices
    }

    public func render(into buffer: inout ScreenBuffer, glyphs: Glyphs) {
        let rect = Overlay.centered(width: 64, height: lines.count + 5, in: buffer.bounds)
        buffer.fill(rect, style: Style(.dialog))
        buffer.drawBox(rect, title: title, style: Style(.border, [.bold]), glyphs: glyphs)
        for (dy, line) in lines.prefix(max(0, rect.height - 4)).enumerated() {
            buffer.write(line, x: rect.x + 2, y: rect.y + 1 + dy, width: rect.width - 4, style: Style(.dialog), ellipsis: glyphs.ellipsis)
        }
        var spans: [Span] = []
        for (i, c) in choices.enumerated() {
            if i > 0 { spans.append(Span("   ", Style(.dialog))) }
            spans.append(Span("[\(c.keys)]", Style(.key, [.bold])))
            spans.append(Span(" " + c.label, Style(.dialog)))
        }
        buffer.write(spans, x: rect.x + 2, y: rect.maxY - 2, width: rect.width - 4, ellipsis: glyphs.ellipsis)
    }
}

/// Steps of long work with their state: done, running, failed, pending, skipped.
public struct ProgressList: Sendable {
    public enum Status: Sendable { case pending, running, done, failed, skipped }
    public struct Item: Sendable {
        public var label: String
        public var status: Status
        public var detail: String
        public init(label: String, status: Status, detail: String = "") {
            self.label = label; self.status = status; self.detail = detail
        }
    }

    public var items: [Item]
    public init(items: [Item]) { self.items = items }

    public static func marker(_ status: Status, glyphs: Glyphs) -> Span {
        switch status {
        case .pending: Span("\(glyphs.pending) wait", Style(.muted))
        case .running: Span("\(glyphs.running) now ", Style(.info, [.bold]))
        case .done: Span("\(glyphs.ok) ok  ", Style(.ok, [.bold]))
        case .failed: Span("\(glyphs.failed) FAIL", Style(.critical, [.bold]))
        case .skipped: Span("\(glyphs.skipped) skip", Style(.muted))
        }
    }

    public func render(into buffer: inout ScreenBuffer, rect: Rect, glyphs: Glyphs) {
        let labelWidth = min(28, (items.map { CharacterWidth.of($0.label) }.max() ?? 0) + 2)
        for (dy, item) in items.prefix(rect.height).enumerated() {
            let pad = String(repeating: " ", count: max(0, labelWidth - CharacterWidth.of(item.label)))
            buffer.write([ProgressList.marker(item.status, glyphs: glyphs), Span("  " + item.label + pad),
                          Span(item.detail, item.status == .failed ? Style(.critical) : Style(.muted))],
                         x: rect.x, y: rect.y + dy, width: rect.width, ellipsis: glyphs.ellipsis)
        }
    }
}
