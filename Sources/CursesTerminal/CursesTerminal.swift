// The only importer of CNcurses: draws a ScreenBuffer, reads keys, handles resize.
import CNcurses
import CTerminalRestore
import Glibc
import TerminalUI
import WizardCore

public enum CursesInfo {
    /// The ncurses library version this binary runs with, e.g. "ncurses 6.4.20221231".
    public static var version: String { String(cString: CNcurses_version()) }
}

public enum CursesError: Error, CustomStringConvertible, Sendable {
    case cannotOpen(String, errno: Int32)
    case unknownTerminal(String)
    case alreadyOpen

    public var description: String {
        switch self {
        case .cannotOpen(let what, let e): "cannot open \(what): \(String(cString: strerror(e)))"
        case .unknownTerminal(let t): "the terminal type \"\(t)\" is unknown to this system's terminfo (set TERM, or use a plain subcommand)"
        case .alreadyOpen: "a curses session is already open in this process"
        }
    }
}

/// Where the session reads keys and writes the screen.
public enum CursesDevice: Sendable {
    /// The process's own terminal (standard input and output).
    case standard
    /// A terminal device or file by path, e.g. a pseudo-terminal's slave, or /dev/null for tests.
    case paths(input: String, output: String)
}

/// One ncurses screen made with newterm: owns it and ends it exactly once (close or deinit).
/// ncurses keeps global state, so there is at most one session per process at a time.
public final class CursesSession {
    private var screen: OpaquePointer?
    private let window: UnsafeMutablePointer<WINDOW>
    private var inputFile: UnsafeMutablePointer<FILE>?
    private var outputFile: UnsafeMutablePointer<FILE>?
    public let isUTF8: Bool
    public let theme: Theme
    private var pairOfRole: [ColorRole: Int16] = [:]
    public private(set) var isClosed = false
    private var lastDrawnSize = (0, 0)
    private let restoresOnSignals: Bool
    nonisolated(unsafe) private static var open = false

    /// Starts curses on a device. `locale` "" follows LANG/LC_*; tests pass "C.UTF-8".
    /// `environment` decides NO_COLOR; `noColor` is the --no-color flag.
    public init(device: CursesDevice = .standard, terminalType: String? = nil, locale: String = "",
                environment: [String: String] = [:], noColor: Bool = false, restoreOnSignals: Bool = true) throws {
        guard !CursesSession.open else { throw CursesError.alreadyOpen }
        setlocale(LC_ALL, locale)
        isUTF8 = CursesSession.localeIsUTF8()
        let (input, output): (UnsafeMutablePointer<FILE>?, UnsafeMutablePointer<FILE>?)
        switch device {
        case .standard:
            input = fdopen(dup(STDIN_FILENO), "r")
            output = fdopen(dup(STDOUT_FILENO), "w")
        case .paths(let inPath, let outPath):
            input = fopen(inPath, "r")
            guard input != nil else { throw CursesError.cannotOpen(inPath, errno: errno) }
            output = fopen(outPath, "w")
        }
        guard let input, let output else {
            if let input { fclose(input) }
            throw CursesError.cannotOpen("the terminal", errno: errno)
        }
        restoresOnSignals = restoreOnSignals
        if restoreOnSignals {
            // Installed before newterm: ncurses only installs its own when the action is the default.
            // SIGINT/SIGTERM/SIGHUP are recorded and acted on outside the handler (`Termination`).
            Termination.begin()
            for sig in [SIGQUIT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] {
                _ = terminal_restore_install_fault_handler(sig)
            }
        }
        // The shell's mode, which newterm changes (it sets cbreak and noecho at once); ncurses uses the output's fd.
        terminal_restore_save_mode(fileno(output))
        let type = terminalType ?? environment["TERM"]
        let made: OpaquePointer? = type.map { t in t.withCString { newterm($0, output, input) } } ?? newterm(nil, output, input)
        guard let made, let win = CNcurses_stdscr() else {
            fclose(input); fclose(output)
            if restoreOnSignals {
                terminal_restore_uninstall_fault_handlers()
                Termination.end()
            }
            throw CursesError.unknownTerminal(type ?? "(TERM not set)")
        }
        screen = made
        window = win
        inputFile = input
        outputFile = output
        CursesSession.open = true
        CursesSession.prepareRestoreSequence()
        terminal_restore_set_active(1)

        cbreak()          // keys arrive at once; Ctrl-C still sends SIGINT, which restores the terminal
        noecho()
        nonl()
        keypad(window, true)   // on the window we read from, or arrows arrive as escape sequences
        _ = set_escdelay(25)   // Esc alone should not wait a second for a sequence that never comes
        // Terminals that ignore keypad-transmit mode (smkx) send the cursor-mode sequences instead;
        // teach ncurses those too, so arrows never arrive as Esc [ A.
        for (sequence, code) in [("\u{1b}[A", KEY_UP), ("\u{1b}[B", KEY_DOWN), ("\u{1b}[C", KEY_RIGHT), ("\u{1b}[D", KEY_LEFT),
                                 ("\u{1b}[H", KEY_HOME), ("\u{1b}[F", KEY_END), ("\u{1b}OH", KEY_HOME), ("\u{1b}OF", KEY_END),
                                 ("\u{1b}[1~", KEY_HOME), ("\u{1b}[4~", KEY_END),
                                 // vt100's terminfo has no page keys, but the emulators that claim to be one send these.
                                 ("\u{1b}[5~", KEY_PPAGE), ("\u{1b}[6~", KEY_NPAGE)] {
            _ = define_key(sequence, code)
        }
        curs_set(0)
        leaveok(window, true)

        let colors = has_colors()
        theme = Theme.choose(environment: environment, noColorFlag: noColor, terminalHasColors: colors)
        if theme.usesColor {
            start_color()
            use_default_colors()   // so the terminal's own background shows through (-1)
            for (i, pair) in theme.colorPairs.enumerated() {
                let n = Int16(i + 1)
                init_pair(n, Int16(pair.foreground.rawValue), Int16(pair.background.rawValue))
                pairOfRole[pair.role] = n
            }
        }
    }

    deinit { close() }

    /// Leaves curses mode and frees the screen; the terminal is as it was before. Safe to call twice.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        endwin()
        // After endwin: the termination watcher waits for this before it ends the process.
        terminal_restore_set_active(0)
        if restoresOnSignals {
            terminal_restore_uninstall_fault_handlers()
            Termination.end()
        }
        if let screen { delscreen(screen) }
        screen = nil
        if let inputFile { fclose(inputFile) }
        if let outputFile { fclose(outputFile) }
        inputFile = nil
        outputFile = nil
        CursesSession.open = false
    }

    /// What endwin sends, for a fault handler that may not call curses: attributes off, cursor shown, keypad
    /// mode off, out of the alternate screen.
    private static func prepareRestoreSequence() {
        var bytes: [CChar] = []
        for capability in ["sgr0", "cnorm", "rmkx", "rmcup"] {
            guard let value = tigetstr(capability), Int(bitPattern: value) != -1 else { continue }
            var p = value
            while p.pointee != 0 { bytes.append(p.pointee); p += 1 }
        }
        terminal_restore_set_sequence(bytes, bytes.count)
    }

    public static func localeIsUTF8() -> Bool {
        guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
        let name = String(cString: codeset).uppercased()
        return name == "UTF-8" || name == "UTF8"
    }

    /// Line drawing when the locale is UTF-8, ASCII otherwise.
    public var glyphs: Glyphs { isUTF8 ? .unicode : .ascii }

    public var size: TerminalSize {
        TerminalSize(width: Int(CNcurses_cols(window)), height: Int(CNcurses_lines(window)))
    }

    // MARK: Drawing

    private func attributes(for style: Style) -> (attr_t, Int16) {
        let resolved = theme.resolve(style)
        var a = CNcurses_A_NORMAL()
        if resolved.attributes.contains(.bold) { a |= CNcurses_A_BOLD() }
        if resolved.attributes.contains(.reverse) { a |= CNcurses_A_REVERSE() }
        if resolved.attributes.contains(.underline) { a |= CNcurses_A_UNDERLINE() }
        if resolved.attributes.contains(.dim) { a |= CNcurses_A_DIM() }
        return (a, theme.usesColor ? (pairOfRole[style.role] ?? 0) : 0)
    }

    /// Draws the whole buffer; ncurses sends only what changed since the last frame.
    public func draw(_ buffer: ScreenBuffer) {
        // Not after a termination signal's watcher gave the terminal back on its own.
        guard !isClosed, terminal_restore_is_active() != 0 else { return }
        // After a resize, cells outside the new frame would keep old text: repaint from scratch once.
        if lastDrawnSize.0 != buffer.width || lastDrawnSize.1 != buffer.height {
            werase(window)
            lastDrawnSize = (buffer.width, buffer.height)
        }
        let rows = min(buffer.height, Int(CNcurses_lines(window)))
        let cols = min(buffer.width, Int(CNcurses_cols(window)))
        var ascii = buffer
        if !isUTF8 { ascii.restrictToASCII() }
        for y in 0..<rows {
            var x = 0
            while x < cols {
                let style = ascii[x, y].style
                let start = x
                var text: [wchar_t] = []
                while x < cols, ascii[x, y].style == style {
                    let cell = ascii[x, y]
                    if !cell.isContinuation {
                        for scalar in cell.character.unicodeScalars { text.append(wchar_t(bitPattern: scalar.value)) }
                    }
                    x += 1
                }
                let (attr, pair) = attributes(for: style)
                _ = CNcurses_wattr_set(window, attr, pair)
                // The bottom-right cell returns ERR (the cursor cannot advance) but is drawn.
                _ = mvwaddnwstr(window, Int32(y), Int32(start), text, Int32(text.count))
            }
        }
        _ = CNcurses_wattr_set(window, CNcurses_A_NORMAL(), 0)
        wnoutrefresh(window)
        doupdate()
    }

    // MARK: Input

    /// The next key or resize, waiting at most `timeoutMilliseconds` (negative: forever); nil on timeout.
    public func nextEvent(timeoutMilliseconds: Int) -> WizardEvent? {
        guard !isClosed else { return nil }
        wtimeout(window, Int32(clamping: timeoutMilliseconds))
        var ch: wint_t = 0
        let rc = wget_wch(window, &ch)
        if rc == CNcurses_ERR() { return nil }
        if rc == CNcurses_KEY_CODE_YES() {
            let code = Int32(ch)
            if code == CNcurses_KEY_RESIZE() {
                let s = size
                return .resize(width: s.width, height: s.height)
            }
            return CursesSession.key(forKeyCode: code).map { .key($0) }
        }
        return CursesSession.key(forCharacter: UInt32(ch)).map { .key($0) }
    }

    static func key(forKeyCode code: Int32) -> WizardKey? {
        switch code {
        case KEY_UP: .up
        case KEY_DOWN: .down
        case KEY_LEFT: .left
        case KEY_RIGHT: .right
        case KEY_PPAGE: .pageUp
        case KEY_NPAGE: .pageDown
        case KEY_HOME, KEY_BEG: .home
        case KEY_END, KEY_LL: .end
        case KEY_BTAB: .backTab
        case KEY_ENTER: .enter
        case KEY_BACKSPACE, KEY_DC: .backspace
        case CNcurses_KEY_F(1): .character("?")
        default: nil
        }
    }

    static func key(forCharacter value: UInt32) -> WizardKey? {
        switch value {
        case 9: .tab
        case 10, 13: .enter
        case 27: .escape
        case 8, 127: .backspace
        case 0..<32: nil
        default: Unicode.Scalar(value).map { .character(Character($0)) }
        }
    }

    // MARK: Reading back (tests, screen dumps)

    /// A row as ncurses holds it (narrow characters; wide ones come back per the locale).
    public func rowText(_ y: Int) -> String {
        let cols = Int(CNcurses_cols(window))
        var buf = [CChar](repeating: 0, count: cols * 4 + 1)
        // ncursesw counts the limit in bytes of the multibyte result, not in columns.
        let n = mvwinnstr(window, Int32(y), 0, &buf, Int32(buf.count - 1))
        guard n != CNcurses_ERR() else { return "" }
        return String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// One cell as ncurses holds it: its character, its attributes and its color pair.
    public func cell(x: Int, y: Int) -> (character: Character?, attributes: TextAttributes, colorPair: Int16) {
        var c = cchar_t()
        guard mvwin_wch(window, Int32(y), Int32(x), &c) != CNcurses_ERR() else { return (nil, [], 0) }
        var wide = [wchar_t](repeating: 0, count: 8)
        var attrs: attr_t = 0
        var pair: Int16 = 0
        _ = getcchar(&c, &wide, &attrs, &pair, nil)
        var s = ""
        for w in wide.prefix(while: { $0 != 0 }) { if let u = Unicode.Scalar(UInt32(bitPattern: w)) { s.unicodeScalars.append(u) } }
        var t: TextAttributes = []
        if attrs & CNcurses_A_BOLD() != 0 { t.insert(.bold) }
        if attrs & CNcurses_A_REVERSE() != 0 { t.insert(.reverse) }
        if attrs & CNcurses_A_UNDERLINE() != 0 { t.insert(.underline) }
        if attrs & CNcurses_A_DIM() != 0 { t.insert(.dim) }
        return (s.first, t, pair)
    }

    /// The color pair the theme gave a role (0: none, as in monochrome).
    public func colorPair(for role: ColorRole) -> Int16 { pairOfRole[role] ?? 0 }

    /// Changes ncurses's idea of the size, as a SIGWINCH would; queues a resize event.
    public func resize(width: Int, height: Int) {
        _ = resizeterm(Int32(height), Int32(width))
    }
}

extension CursesSession: TerminalBackend {
    public func nextInput(timeoutMilliseconds: Int) -> BackendInput {
        // A termination signal ends the input: the runner returns and the session closes in this thread.
        if Termination.pending != nil { return .endOfInput }
        return nextEvent(timeoutMilliseconds: timeoutMilliseconds).map { .event($0) } ?? .timeout
    }
}

/// The wizard on the process's terminal: opens curses, runs the loop, and restores the terminal
/// however the loop ends (return; a termination signal ends the loop; a fault's handler restores it).
public enum CursesWizard {
    /// Whether the wizard can run here: both standard input and output are terminals and TERM names
    /// one that can address the cursor. Otherwise postls prints what `postls diagnose` prints.
    public static func terminalIsUsable(environment: [String: String]) -> Bool {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { return false }
        guard let term = environment["TERM"], !term.isEmpty, term != "dumb", term != "unknown" else { return false }
        return true
    }

    public static func run(_ state: WizardState, effects: WizardEffectHandler, environment: [String: String],
                           noColor: Bool = false, startupEffects: [WizardEffect]? = nil) throws -> WizardState {
        let session = try CursesSession(device: .standard, environment: environment, noColor: noColor)
        let runner = WizardRunner(state: state, backend: session, effects: effects)
        let final = runner.run(startupEffects: startupEffects)
        session.close()
        // After a termination signal the process ends by it, once its cleanups ran (see `Termination`).
        Termination.waitForTheEndIfPending()
        return final
    }
}
