import PostlsCore

/// The eight basic terminal colors (plus the terminal's default), which every color terminal has.
public enum TerminalColor: Int, Sendable, Hashable, CaseIterable {
    case terminalDefault = -1
    case black = 0, red, green, yellow, blue, magenta, cyan, white
}

/// How a style looks on a given terminal.
public struct ResolvedStyle: Sendable, Hashable {
    public var foreground: TerminalColor
    public var background: TerminalColor
    public var attributes: TextAttributes
    public init(foreground: TerminalColor = .terminalDefault, background: TerminalColor = .terminalDefault, attributes: TextAttributes = []) {
        self.foreground = foreground; self.background = background; self.attributes = attributes
    }
}

/// Maps color roles to colors, or (monochrome: NO_COLOR, --no-color, terminals without color)
/// to attributes alone. Meaning never rests on color only: screens also print words and markers.
public struct Theme: Sendable {
    public let usesColor: Bool
    private let table: [ColorRole: ResolvedStyle]

    public init(usesColor: Bool, table: [ColorRole: ResolvedStyle]) {
        self.usesColor = usesColor
        self.table = table
    }

    public func resolve(_ style: Style) -> ResolvedStyle {
        var r = table[style.role] ?? ResolvedStyle()
        r.attributes.formUnion(style.attributes)
        if !usesColor { r.foreground = .terminalDefault; r.background = .terminalDefault }
        return r
    }

    /// The roles that need a color pair, in a stable order (pair numbers are index + 1).
    public var colorPairs: [(role: ColorRole, foreground: TerminalColor, background: TerminalColor)] {
        guard usesColor else { return [] }
        return ColorRole.allCases.map { role in
            let r = table[role] ?? ResolvedStyle()
            return (role, r.foreground, r.background)
        }
    }

    public static let standard = Theme(usesColor: true, table: [
        .title: ResolvedStyle(foreground: .white, background: .blue, attributes: [.bold]),
        .tab: ResolvedStyle(),
        .tabActive: ResolvedStyle(foreground: .black, background: .cyan, attributes: [.bold]),
        .heading: ResolvedStyle(foreground: .cyan, attributes: [.bold]),
        .border: ResolvedStyle(foreground: .blue),
        .muted: ResolvedStyle(attributes: [.dim]),
        .key: ResolvedStyle(foreground: .yellow, attributes: [.bold]),
        .status: ResolvedStyle(),
        .message: ResolvedStyle(foreground: .cyan),
        .critical: ResolvedStyle(foreground: .red, attributes: [.bold]),
        .warning: ResolvedStyle(foreground: .yellow),
        .info: ResolvedStyle(foreground: .cyan),
        .ok: ResolvedStyle(foreground: .green),
        .diffAdd: ResolvedStyle(foreground: .green),
        .diffRemove: ResolvedStyle(foreground: .red),
        .diffHunk: ResolvedStyle(foreground: .cyan),
        .match: ResolvedStyle(foreground: .black, background: .yellow),
        .dialog: ResolvedStyle(foreground: .white, background: .blue),
        .input: ResolvedStyle(attributes: [.underline]),
        .lineNumber: ResolvedStyle(attributes: [.dim]),
    ])

    /// Attributes only: bold for what needs attention, reverse for bars and selection, underline for
    /// matches and input, dim for what matters least.
    public static let monochrome = Theme(usesColor: false, table: [
        .title: ResolvedStyle(attributes: [.reverse, .bold]),
        .tabActive: ResolvedStyle(attributes: [.reverse, .bold]),
        .heading: ResolvedStyle(attributes: [.bold]),
        .muted: ResolvedStyle(attributes: [.dim]),
        .key: ResolvedStyle(attributes: [.bold]),
        .critical: ResolvedStyle(attributes: [.bold]),
        .warning: ResolvedStyle(attributes: [.bold]),
        .diffAdd: ResolvedStyle(attributes: [.bold]),
        .diffRemove: ResolvedStyle(attributes: [.dim]),
        .diffHunk: ResolvedStyle(attributes: [.underline]),
        .match: ResolvedStyle(attributes: [.underline, .bold]),
        .dialog: ResolvedStyle(attributes: []),
        .input: ResolvedStyle(attributes: [.underline]),
        .lineNumber: ResolvedStyle(attributes: [.dim]),
    ])

    /// Monochrome for NO_COLOR, --no-color or a terminal without colors: the rule every command uses (ColorChoice).
    public static func choose(environment: [String: String], noColorFlag: Bool, terminalHasColors: Bool) -> Theme {
        ColorChoice.useColor(noColorFlag: noColorFlag, environment: environment, outputIsColorTerminal: terminalHasColors) ? .standard : .monochrome
    }
}

/// The characters screens draw with: UTF-8 line drawing, or ASCII when the locale is not UTF-8.
public struct Glyphs: Sendable {
    public var horizontal: Character, vertical: Character
    public var topLeft: Character, topRight: Character, bottomLeft: Character, bottomRight: Character
    public var ellipsis: Character, pointer: Character
    public var ok: Character, failed: Character, running: Character, pending: Character, skipped: Character
    public var moreAbove: Character, moreBelow: Character, collapsed: Character, expanded: Character
    public var isUnicode: Bool

    public static let unicode = Glyphs(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        ellipsis: "…", pointer: "▶", ok: "✓", failed: "✗", running: "◌", pending: "·", skipped: "-",
        moreAbove: "▲", moreBelow: "▼", collapsed: "▸", expanded: "▾", isUnicode: true)

    public static let ascii = Glyphs(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        ellipsis: "~", pointer: ">", ok: "+", failed: "x", running: "*", pending: ".", skipped: "-",
        moreAbove: "^", moreBelow: "v", collapsed: "+", expanded: "-", isUnicode: false)
}
