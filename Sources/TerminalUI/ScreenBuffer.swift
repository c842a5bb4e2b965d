/// A grid of cells that screens render into; the curses backend draws it and tests dump it.
public struct ScreenBuffer: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        guard x >= 0, y >= 0, x < width, y < height else { return .blank }
        return cells[y * width + x]
    }

    /// Puts one character at (x, y), keeping wide characters whole: a wide character that would
    /// cross `limit` (exclusive right edge) becomes a space, and overwriting half of a wide
    /// character blanks its other half. Returns the columns used.
    @discardableResult
    public mutating func put(_ character: Character, x: Int, y: Int, style: Style, limit: Int? = nil) -> Int {
        let right = min(limit ?? width, width)
        guard y >= 0, y < height, x >= 0, x < right else { return 0 }
        var ch = character
        var columns = CharacterWidth.of(ch)
        if columns == 0 { ch = "?"; columns = 1 }   // control characters from data must not reach the terminal
        if columns == 2 && x + 1 >= right { ch = " "; columns = 1 }
        clearWideNeighbours(x: x, y: y)
        cells[y * width + x] = Cell(ch, style: style)
        if columns == 2 {
            clearWideNeighbours(x: x + 1, y: y)
            cells[y * width + x + 1] = Cell(" ", style: style, isContinuation: true)
        }
        return columns
    }

    private mutating func clearWideNeighbours(x: Int, y: Int) {
        let i = y * width + x
        if cells[i].isContinuation, x > 0 {
            cells[i - 1] = Cell(" ", style: cells[i - 1].style)
        }
        if x + 1 < width, cells[i + 1].isContinuation {
            cells[i + 1] = Cell(" ", style: cells[i + 1].style)
        }
    }

    /// Writes text from (x, y), clipped to `width` columns (default: to the buffer's edge). When the
    /// text does not fit and `ellipsis` is given, its last visible column shows the ellipsis.
    /// Returns the columns written.
    @discardableResult
    public mutating func write(_ text: String, x: Int, y: Int, width maxWidth: Int? = nil, style: Style = .normal,
                               ellipsis: Character? = nil) -> Int {
        let avail = min(maxWidth ?? (width - x), width - x)
        guard avail > 0, y >= 0, y < height else { return 0 }
        let limit = x + avail
        var col = x
        if let ellipsis, CharacterWidth.of(text) > avail {
            // Leave room for the ellipsis, then draw it.
            for ch in text {
                let w = max(1, CharacterWidth.of(ch))
                if col + w > limit - 1 { break }
                col += put(ch, x: col, y: y, style: style, limit: limit - 1)
            }
            col += put(ellipsis, x: col, y: y, style: style, limit: limit)
            return col - x
        }
        for ch in text {
            if col >= limit { break }
            col += put(ch, x: col, y: y, style: style, limit: limit)
        }
        return col - x
    }

    /// Writes styled spans one after another, clipping the whole line at `width`; when something is
    /// cut off and `ellipsis` is given, the last visible column shows it.
    @discardableResult
    public mutating func write(_ spans: [Span], x: Int, y: Int, width maxWidth: Int? = nil, ellipsis: Character? = nil) -> Int {
        let limit = x + min(maxWidth ?? (width - x), width - x)
        var col = x
        for (i, span) in spans.enumerated() {
            let left = limit - col
            if left <= 0 { break }
            let w = CharacterWidth.of(span.text)
            let moreFollows = spans[(i + 1)...].contains { !$0.text.isEmpty }
            if w > left || (w == left && moreFollows && ellipsis != nil) {
                if let ellipsis {
                    col += write(span.text, x: col, y: y, width: left - 1, style: span.style)
                    col += put(ellipsis, x: col, y: y, style: span.style, limit: limit)
                } else {
                    col += write(span.text, x: col, y: y, width: left, style: span.style)
                }
                break
            }
            col += write(span.text, x: col, y: y, width: left, style: span.style)
        }
        return col - x
    }

    /// Fills a rectangle with one character and style (clears it when called with defaults).
    public mutating func fill(_ rect: Rect, character: Character = " ", style: Style = .normal) {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX)
        let y0 = max(0, rect.y), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 {
            if x0 > 0, cells[y * width + x0].isContinuation { cells[y * width + x0 - 1].character = " " }
            if x1 < width, cells[y * width + x1].isContinuation { cells[y * width + x1] = Cell(" ", style: cells[y * width + x1].style) }
            for x in x0..<x1 { cells[y * width + x] = Cell(character, style: style) }
        }
    }

    /// Adds attributes to every cell in a rectangle, keeping characters and roles (e.g. a selected row).
    public mutating func addAttributes(_ attributes: TextAttributes, in rect: Rect) {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX)
        let y0 = max(0, rect.y), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 { for x in x0..<x1 { cells[y * width + x].style.attributes.formUnion(attributes) } }
    }

    /// Replaces the role of every cell in a rectangle.
    public mutating func setRole(_ role: ColorRole, in rect: Rect) {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX)
        let y0 = max(0, rect.y), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 { for x in x0..<x1 { cells[y * width + x].style.role = role } }
    }

    /// Replaces every character outside ASCII, for terminals whose locale is not UTF-8. Data (peer
    /// names, log lines) can hold such characters even when the screens' own glyphs are ASCII.
    public mutating func restrictToASCII() {
        for i in cells.indices {
            let ch = cells[i].character
            if cells[i].isContinuation {
                cells[i] = Cell("?", style: cells[i].style)
            } else if !ch.isASCII {
                let replacement: Character = switch ch {
                case "…": "~"
                case "×": "x"
                case "·", "–", "—", "─": "-"
                case "→": ">"
                case "←": "<"
                case "‘", "’": "'"
                case "“", "”": "\""
                default: "?"
                }
                cells[i] = Cell(replacement, style: cells[i].style)
            }
        }
    }

    // MARK: Dumps

    /// The text as a terminal shows it, one string per row, trailing blanks trimmed.
    public func dump() -> [String] {
        (0..<height).map { y in
            var line = ""
            for x in 0..<width where !self[x, y].isContinuation { line.append(self[x, y].character) }
            return trimTrailing(line, blank: " ")
        }
    }

    /// The role layer: one code per column (see `ColorRole.code`), trailing normal cells trimmed.
    public func dumpRoles() -> [String] {
        (0..<height).map { y in
            trimTrailing(String((0..<width).map { self[$0, y].style.role.code }), blank: ".")
        }
    }

    /// The attribute layer: one hex digit per column (1 bold, 2 reverse, 4 underline, 8 dim; '.' none).
    public func dumpAttributes() -> [String] {
        let digits = Array("0123456789abcdef")
        return (0..<height).map { y in
            let row = (0..<width).map { x -> Character in
                let a = self[x, y].style.attributes.rawValue
                return a == 0 ? "." : digits[Int(a & 0xF)]
            }
            return trimTrailing(String(row), blank: ".")
        }
    }

    /// The golden-file form: the text, then the role and attribute layers, each under a heading.
    public func dumpAnnotated() -> String {
        var out = "# screen \(width)x\(height)\n"
        out += "# roles: " + ColorRole.allCases.map { "\($0.code)=\($0.rawValue)" }.joined(separator: " ") + "\n"
        out += "# attributes: hex digit of 1 bold | 2 reverse | 4 underline | 8 dim, '.' none\n"
        out += "--- text\n" + dump().joined(separator: "\n") + "\n"
        out += "--- roles\n" + dumpRoles().joined(separator: "\n") + "\n"
        out += "--- attributes\n" + dumpAttributes().joined(separator: "\n") + "\n"
        return out
    }

    private func trimTrailing(_ s: String, blank: Character) -> String {
        var s = s
        while s.last == blank { s.removeLast() }
        return s
    }
}
