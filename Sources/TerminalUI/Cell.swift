/// Text attributes a terminal can show without color; the monochrome theme relies on them alone.
public struct TextAttributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bold = TextAttributes(rawValue: 1)
    public static let reverse = TextAttributes(rawValue: 2)
    public static let underline = TextAttributes(rawValue: 4)
    public static let dim = TextAttributes(rawValue: 8)
}

/// What a cell means, not how it looks: the Theme maps roles to colors (or, in monochrome, to attributes).
public enum ColorRole: String, CaseIterable, Sendable, Hashable {
    case normal, title, tab, tabActive, heading, border, muted, key, status, message
    case critical, warning, info, ok, diffAdd, diffRemove, diffHunk, match, dialog, input, lineNumber

    /// One character per role for the golden files' role layer.
    public var code: Character {
        switch self {
        case .normal: "."
        case .title: "T"
        case .tab: "t"
        case .tabActive: "A"
        case .heading: "H"
        case .border: "b"
        case .muted: "m"
        case .key: "k"
        case .status: "s"
        case .message: "g"
        case .critical: "C"
        case .warning: "W"
        case .info: "I"
        case .ok: "O"
        case .diffAdd: "+"
        case .diffRemove: "-"
        case .diffHunk: "@"
        case .match: "M"
        case .dialog: "D"
        case .input: "i"
        case .lineNumber: "n"
        }
    }
}

/// A role plus attributes; the unit widgets draw with.
public struct Style: Sendable, Hashable {
    public var role: ColorRole
    public var attributes: TextAttributes

    public init(_ role: ColorRole = .normal, _ attributes: TextAttributes = []) {
        self.role = role
        self.attributes = attributes
    }

    public static let normal = Style()

    public func adding(_ extra: TextAttributes) -> Style { Style(role, attributes.union(extra)) }
}

/// One terminal column. A wide (East Asian) character sits in its lead cell; the cell to its right
/// is a continuation that the terminal fills, so it holds no character of its own.
public struct Cell: Sendable, Hashable {
    public var character: Character
    public var style: Style
    public var isContinuation: Bool

    public init(_ character: Character = " ", style: Style = .normal, isContinuation: Bool = false) {
        self.character = character
        self.style = style
        self.isContinuation = isContinuation
    }

    public static let blank = Cell()
}

/// A run of text in one style: the unit of a line that mixes styles.
public struct Span: Sendable, Hashable {
    public var text: String
    public var style: Style
    public init(_ text: String, _ style: Style = .normal) {
        self.text = text
        self.style = style
    }
}

public struct Rect: Sendable, Hashable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = max(0, width); self.height = max(0, height)
    }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    /// The rect shrunk by `by` cells on each side (a box's interior).
    public func inset(_ by: Int) -> Rect { Rect(x: x + by, y: y + by, width: width - 2 * by, height: height - 2 * by) }
    public func row(_ dy: Int) -> Rect { Rect(x: x, y: y + dy, width: width, height: 1) }
}
