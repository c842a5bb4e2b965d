import CursesTerminal
import Glibc
import Testing
import TestSupport
import TerminalUI
import WizardCore
import WizardFixtures

/// ncurses has global state: these tests run one at a time.
@Suite(.serialized)
struct CursesSessionTests {
    func headless(environment: [String: String] = [:], noColor: Bool = false) throws -> CursesSession {
        try CursesSession(device: .paths(input: "/dev/null", output: "/dev/null"), terminalType: "xterm-256color",
                          locale: "C.UTF-8", environment: environment, noColor: noColor, restoreOnSignals: false)
    }

    @Test("a headless session draws a screen that reads back as rendered")
    func drawsAndReadsBack() throws {
        let session = try headless()
        defer { session.close() }
        session.resize(width: 80, height: 24)
        #expect(session.size == TerminalSize(width: 80, height: 24))
        #expect(session.isUTF8)
        let buffer = WizardScreen.render(DemoStates.loaded(), glyphs: session.glyphs)
        session.draw(buffer)
        let expected = buffer.dump()
        for y in 0..<24 {
            var row = session.rowText(y)
            while row.last == " " { row.removeLast() }
            #expect(row == expected[y], "row \(y)")
        }
    }

    @Test("wide characters take two columns in curses as in the buffer")
    func wideCharacters() throws {
        let session = try headless()
        defer { session.close() }
        session.resize(width: 80, height: 24)
        var buffer = ScreenBuffer(width: 80, height: 24)
        buffer.write("日本語 mail.例え.jp", x: 2, y: 3)
        session.draw(buffer)
        #expect(session.cell(x: 2, y: 3).character == "日")
        #expect(session.cell(x: 4, y: 3).character == "本")
        #expect(session.cell(x: 6, y: 3).character == "語")
        #expect(session.cell(x: 9, y: 3).character == "m")
        #expect(session.cell(x: 14, y: 3).character == "例")
        var row = session.rowText(3)
        while row.last == " " { row.removeLast() }
        #expect(row == "  日本語 mail.例え.jp")
    }

    @Test("roles become color pairs and attributes; NO_COLOR keeps the attributes and drops the colors")
    func colorsAndMonochrome() throws {
        var buffer = ScreenBuffer(width: 80, height: 24)
        buffer.write("CRIT", x: 0, y: 0, style: Style(.critical, [.bold]))
        buffer.write("ok", x: 6, y: 0, style: Style(.ok))
        buffer.write("sel", x: 0, y: 1, style: Style(.normal, [.reverse, .underline]))
        do {
            let session = try headless()
            defer { session.close() }
            session.resize(width: 80, height: 24)
            #expect(session.theme.usesColor)
            session.draw(buffer)
            let crit = session.cell(x: 0, y: 0)
            #expect(crit.character == "C" && crit.attributes.contains(.bold))
            #expect(crit.colorPair != 0 && crit.colorPair == session.colorPair(for: .critical))
            #expect(session.cell(x: 6, y: 0).colorPair == session.colorPair(for: .ok))
            #expect(session.colorPair(for: .ok) != session.colorPair(for: .critical))
            #expect(session.cell(x: 0, y: 1).attributes == [.reverse, .underline])
        }
        let mono = try headless(environment: ["NO_COLOR": "1"])
        defer { mono.close() }
        mono.resize(width: 80, height: 24)
        #expect(!mono.theme.usesColor)
        mono.draw(buffer)
        #expect(mono.cell(x: 0, y: 0).colorPair == 0)
        #expect(mono.cell(x: 0, y: 0).attributes.contains(.bold))
        #expect(mono.cell(x: 6, y: 0).colorPair == 0)
    }

    @Test("a resize changes the size and arrives as a resize event; the next frame fits")
    func resize() throws {
        let session = try headless()
        defer { session.close() }
        session.resize(width: 80, height: 24)
        _ = session.nextEvent(timeoutMilliseconds: 0)
        session.resize(width: 100, height: 30)
        #expect(session.size == TerminalSize(width: 100, height: 30))
        var resized: WizardEvent?
        for _ in 0..<3 where resized == nil {
            if case .resize? = session.nextEvent(timeoutMilliseconds: 10) { resized = .resize(width: 0, height: 0) }
        }
        #expect(resized != nil, "KEY_RESIZE was queued")
        var state = DemoStates.loaded()
        state = reduce(state, .resize(width: 100, height: 30)).0
        let buffer = WizardScreen.render(state, glyphs: session.glyphs)
        session.draw(buffer)
        var last = session.rowText(29)
        while last.last == " " { last.removeLast() }
        #expect(last == buffer.dump()[29])
    }

    @Test("keys typed on a terminal arrive as wizard keys (arrows, vi letters, Tab, Shift-Tab, Enter, Esc, Backspace)",
          .enabled(if: access("/dev/ptmx", R_OK | W_OK) == 0, "needs pseudo-terminals (/dev/ptmx)"))
    func keysFromAPseudoTerminal() throws {
        guard let pty = PseudoTerminal(width: 80, height: 24) else {
            Issue.record("no pseudo-terminal available"); return
        }
        let session = try CursesSession(device: .paths(input: pty.slavePath, output: pty.slavePath), terminalType: "xterm-256color",
                                        locale: "C.UTF-8", restoreOnSignals: false)
        defer { session.close() }
        #expect(session.size == TerminalSize(width: 80, height: 24))
        session.draw(WizardScreen.render(DemoStates.loaded(), glyphs: session.glyphs))
        #expect(pty.drain() > 0, "curses wrote the screen to the terminal")

        func next() -> WizardKey? {
            for _ in 0..<50 {
                if case .key(let k)? = session.nextEvent(timeoutMilliseconds: 20) { return k }
            }
            return nil
        }
        let cases: [(String, WizardKey)] = [
            ("\u{1b}OA", .up), ("\u{1b}OB", .down), ("\u{1b}OC", .right), ("\u{1b}OD", .left),
            ("\u{1b}[A", .up), ("\u{1b}[B", .down), ("\u{1b}[H", .home), ("\u{1b}[F", .end),
            ("\u{1b}[5~", .pageUp), ("\u{1b}[6~", .pageDown), ("\u{1b}[Z", .backTab),
            ("j", .character("j")), ("?", .character("?")), ("\t", .tab), ("\r", .enter),
            ("\u{7f}", .backspace), ("é", .character("é")),
        ]
        for (bytes, expected) in cases {
            pty.type(bytes)
            #expect(next() == expected, "\(bytes.debugDescription)")
        }
        pty.type("\u{1b}")
        #expect(next() == .escape, "a lone Esc arrives after the escape delay")
        pty.drain()
    }

    @Test("on TERM=vt100 (no page keys in its terminfo) the page keys emulators send still page",
          .enabled(if: access("/dev/ptmx", R_OK | W_OK) == 0, "needs pseudo-terminals (/dev/ptmx)"))
    func pageKeysOnVT100() throws {
        let pty = try #require(PseudoTerminal(width: 80, height: 24))
        let session = try CursesSession(device: .paths(input: pty.slavePath, output: pty.slavePath), terminalType: "vt100",
                                        locale: "C", restoreOnSignals: false)
        defer { session.close() }
        pty.drain()
        for (bytes, expected) in [("\u{1b}[6~", WizardKey.pageDown), ("\u{1b}[5~", .pageUp)] {
            pty.type(bytes)
            var got: WizardKey?
            for _ in 0..<50 where got == nil {
                if case .key(let k)? = session.nextEvent(timeoutMilliseconds: 20) { got = k }
            }
            #expect(got == expected, "\(bytes.debugDescription)")
        }
        pty.drain()
    }

    @Test("close ends curses once; a second close does nothing and a new session can start")
    func closeIsIdempotent() throws {
        let session = try headless()
        session.close()
        #expect(session.isClosed)
        session.close()
        #expect(throws: CursesError.self) { _ = try CursesSession(device: .paths(input: "/nonexistent/tty", output: "/dev/null")) }
        let again = try headless()
        #expect(!again.isClosed)
        #expect(throws: CursesError.self) { _ = try self.headless() }
        again.close()
    }

    @Test("an unknown terminal type is a clear error, not a crash")
    func unknownTerminal() {
        #expect(throws: CursesError.self) {
            _ = try CursesSession(device: .paths(input: "/dev/null", output: "/dev/null"), terminalType: "no-such-terminal-xyz",
                                  locale: "C.UTF-8", restoreOnSignals: true)
        }
        #expect(!Self.hasSessionHandler(SIGTERM), "a failed start leaves the signal actions as they were")
    }
}

extension CursesSessionTests {
    @Test("a smaller frame after a bigger one leaves no old text behind")
    func noLeftoversAfterShrink() throws {
        let session = try headless()
        defer { session.close() }
        session.resize(width: 100, height: 30)
        var big = ScreenBuffer(width: 100, height: 30)
        big.write("OLD TEXT AT THE EDGE", x: 80, y: 28)
        session.draw(big)
        #expect(session.rowText(28).contains("OLD TEXT"))
        session.draw(ScreenBuffer(width: 80, height: 24))
        #expect(!session.rowText(28).contains("OLD TEXT"))
    }
}

extension CursesSessionTests {
    /// Whether a signal's action is the one the session installs (a SA_SIGINFO handler).
    static func hasSessionHandler(_ sig: Int32) -> Bool {
        var action = sigaction()
        sigaction(sig, nil, &action)
        return action.sa_flags & Int32(SA_SIGINFO) != 0 && action.__sigaction_handler.sa_sigaction != nil
    }

    @Test("the session restores the terminal on SIGTERM/SIGHUP/SIGINT only while it is open, then puts the old actions back")
    func signalHandlersLiveAsLongAsTheSession() throws {
        let signals = [SIGTERM, SIGHUP, SIGINT]
        #expect(signals.allSatisfy { !Self.hasSessionHandler($0) })
        let session = try CursesSession(device: .paths(input: "/dev/null", output: "/dev/null"), terminalType: "xterm-256color",
                                        locale: "C.UTF-8", restoreOnSignals: true)
        #expect(signals.allSatisfy { Self.hasSessionHandler($0) })
        session.close()
        #expect(signals.allSatisfy { !Self.hasSessionHandler($0) })
    }

    @Test("a termination signal the process ignores (nohup) stays ignored")
    func ignoredSignalsStayIgnored() throws {
        let previous = signal(SIGHUP, SIG_IGN)
        defer { signal(SIGHUP, previous) }
        let session = try CursesSession(device: .paths(input: "/dev/null", output: "/dev/null"), terminalType: "xterm-256color",
                                        locale: "C.UTF-8", restoreOnSignals: true)
        defer { session.close() }
        #expect(!Self.hasSessionHandler(SIGHUP))
        #expect(Self.hasSessionHandler(SIGTERM))
    }
}
