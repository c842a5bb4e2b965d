import Foundation
import Glibc
import Testing
import TestSupport

/// The wizard must stay light over a slow SSH link: what curses writes to the terminal per key press, counted on
/// a pseudo-terminal the test holds (the real `postls demo`, real engines, real ncurses).
/// Targets: moving the selection ≤ 600 bytes, a page ≤ 8 KB; only a step change (or a resize) repaints it all.
@Suite("The wizard's bytes per key press", .serialized,
       .enabled(if: access("/dev/ptmx", R_OK | W_OK) == 0 && access("/usr/bin/setsid", X_OK) == 0, "needs pseudo-terminals and setsid"))
struct WizardBytesPerKeyTests {
    static let selectionLimit = 600
    static let pageLimit = 8 * 1024

    struct Terminal: CustomTestStringConvertible, Sendable {
        var width: Int, height: Int
        var term: String
        var lang = "C.UTF-8"
        var noColor = false
        var testDescription: String { "\(width)x\(height) TERM=\(term) LANG=\(lang)\(noColor ? " NO_COLOR=1" : "")" }
    }

    static let terminals: [Terminal] = [
        Terminal(width: 132, height: 43, term: "xterm-256color"),
        Terminal(width: 80, height: 24, term: "vt100"),
        Terminal(width: 80, height: 24, term: "xterm"),
        Terminal(width: 80, height: 24, term: "screen"),
        Terminal(width: 80, height: 24, term: "tmux-256color"),
        Terminal(width: 80, height: 24, term: "xterm-256color", noColor: true),
        Terminal(width: 80, height: 24, term: "vt100", lang: "C"),
    ]

    /// The wizard started on a pseudo-terminal of this kind, once its first screen is complete and still.
    func start(_ arguments: [String], on terminal: Terminal) throws -> PseudoTerminal {
        let pty = try #require(PseudoTerminal(width: terminal.width, height: terminal.height))
        var environment = ProcessInfo.processInfo.environment
        for name in ["NO_COLOR", "LC_ALL", "LC_CTYPE", "COLUMNS", "LINES", "TMUX"] { environment[name] = nil }
        environment["TERM"] = terminal.term
        environment["LANG"] = terminal.lang
        if terminal.noColor { environment["NO_COLOR"] = "1" }
        try pty.spawn([PostlsBinary.path] + arguments, environment: environment)
        let (started, first) = pty.readUntil("Problems", timeout: 60)
        #expect(started, "the wizard did not start: \(String(decoding: first.suffix(2000), as: UTF8.self))")
        // The probe, the logs and the diagnosis come in after the first frame: wait until the screen is still.
        _ = pty.readUntilQuiet(quiet: 1.5, timeout: 60)
        return pty
    }

    /// Bytes written for one key, once the screen is still again.
    func press(_ key: String, _ pty: PseudoTerminal, keeping all: inout [UInt8]) -> Int {
        pty.type(key)
        let bytes = pty.readUntilQuiet(quiet: 0.4, timeout: 10)
        all += bytes
        return bytes.count
    }

    func quit(_ pty: PseudoTerminal) {
        pty.type("q")
        _ = pty.readUntilQuiet(quiet: 0.5, timeout: 5)
        pty.type("y")
        _ = pty.readUntilQuiet(quiet: 0.5, timeout: 5)
    }

    /// A log with many refused legacy senders (each its own peer), so the Logs list is pages long even at 132x43.
    static func longLog(in dir: TemporaryDirectory) throws -> (config: String, log: String) {
        try FileManager.default.createDirectory(atPath: dir.file("postfix"), withIntermediateDirectories: true)
        try "smtpd_tls_security_level = may\nsmtpd_tls_protocols = >=TLSv1.2\n".write(toFile: dir.file("postfix/main.cf"), atomically: true, encoding: .utf8)
        try "smtp      inet  n       -       y       -       -       smtpd\n".write(toFile: dir.file("postfix/master.cf"), atomically: true, encoding: .utf8)
        var log = ""
        for i in 0..<300 {
            let time = "Dec  6 \(10 + i / 60):\(String(format: "%02d", i % 60)):0\(i % 10)"
            let peer = "legacy\(i).example[192.0.2.\(i % 250 + 1)]"
            for line in ["connect from \(peer)", "SSL_accept error from \(peer): -1",
                         "warning: TLS library problem: error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1657:",
                         "lost connection after STARTTLS from \(peer)", "disconnect from \(peer) ehlo=1 starttls=0/1 commands=1/2"] {
                log += "\(time) mail postfix/smtpd[\(3000 + i)]: \(line)\n"
            }
        }
        try log.write(toFile: dir.file("mail.log"), atomically: true, encoding: .utf8)
        return (dir.file("postfix"), dir.file("mail.log"))
    }

    @Test(arguments: terminals)
    func keysWriteLittle(_ terminal: Terminal) throws {
        var all: [UInt8] = []
        var figures: [(String, Int, Int?)] = []
        let down = "\u{1b}[B", pageDown = "\u{1b}[6~"
        do {
            // `postls demo`: the real engines on a broken built-in server.
            let pty = try start(["demo"], on: terminal)
            defer { pty.kill() }
            // The Overview's list drives the evidence glimpse under it: a move rewrites that text too, within the same limit.
            for _ in 0..<4 {
                figures.append(("Overview: Down (list and the selected problem's evidence)", press(down, pty, keeping: &all), Self.selectionLimit))
            }
            figures.append(("Overview: Up", press("\u{1b}[A", pty, keeping: &all), Self.selectionLimit))
            figures.append(("step change to Probe (3)", press("3", pty, keeping: &all), nil))
            figures.append(("Probe: Down", press(down, pty, keeping: &all), Self.selectionLimit))
            // Back onto the MX listener from a submission one: its senders' rows appear (new content, within the limit).
            figures.append(("Probe: Up", press("\u{1b}[A", pty, keeping: &all), Self.selectionLimit))
            figures.append(("help (?)", press("?", pty, keeping: &all), nil))
            figures.append(("help closed (Esc)", press("\u{1b}", pty, keeping: &all), nil))
            quit(pty)
        }
        do {
            // A long log: the Logs list is pages long, so a page really scrolls.
            let dir = try TemporaryDirectory()
            let (config, log) = try Self.longLog(in: dir)
            let pty = try start(["--config-dir", config, "--log", log, "--no-probe"], on: terminal)
            defer { pty.kill() }
            figures.append(("step change to Logs (4)", press("4", pty, keeping: &all), nil))
            figures.append(("Logs: Down", press(down, pty, keeping: &all), Self.selectionLimit))
            figures.append(("Logs: j", press("j", pty, keeping: &all), Self.selectionLimit))
            // The first page key moves the selection to the bottom of the page; the next ones scroll a page.
            figures.append(("Logs: Page Down to the page's end", press(pageDown, pty, keeping: &all), Self.pageLimit))
            figures.append(("Logs: Page Down (scrolls a page)", press(pageDown, pty, keeping: &all), Self.pageLimit))
            figures.append(("Logs: Page Down (scrolls a page)", press(pageDown, pty, keeping: &all), Self.pageLimit))
            quit(pty)
        }

        print("bytes per key, \(terminal.testDescription): " + figures.map { "\($0.0) \($0.1)" }.joined(separator: "; "))
        for (what, bytes, limit) in figures {
            // A key that wrote nothing did not move anything: the measurement would prove nothing.
            #expect(bytes > 0, "\(what) wrote nothing at \(terminal.testDescription)")
            if let limit { #expect(bytes <= limit, "\(what): \(bytes) bytes > \(limit) at \(terminal.testDescription)") }
        }
        if terminal.lang == "C" {
            let high = all.filter { $0 >= 0x80 }
            #expect(high.isEmpty, "LANG=C must write ASCII only; \(high.count) bytes ≥ 0x80")
        }
    }
}
