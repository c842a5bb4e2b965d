import Foundation
import Glibc

/// A pseudo-terminal the test holds the master side of: it types keys there and reads (and counts) what the
/// program on the slave side writes, as a terminal emulator would receive it.
public final class PseudoTerminal {
    public let master: Int32
    public let slavePath: String
    private var child: Process?

    public init?(width: Int, height: Int) {
        // posix_openpt and friends are hidden from Swift's Glibc module; these are the Linux ioctls
        // they use (the same numbers on x86_64 and arm64).
        let TIOCGPTN: UInt = 0x8004_5430, TIOCSPTLCK: UInt = 0x4004_5431
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0, number: UInt32 = 0
        guard master >= 0, ioctl(master, TIOCSPTLCK, &unlock) == 0, ioctl(master, TIOCGPTN, &number) == 0 else { return nil }
        slavePath = "/dev/pts/\(number)"
        var ws = winsize(ws_row: UInt16(height), ws_col: UInt16(width), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &ws)
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        kill()
        Glibc.close(master)
    }

    /// Starts a program with the slave as its standard input, output, error and controlling terminal
    /// (`setsid -c`: a session of its own, as under a terminal emulator's shell).
    public func spawn(_ command: [String], environment: [String: String]) throws {
        let slave = FileHandle(forUpdatingAtPath: slavePath)
        guard let slave else { throw CocoaError(.fileNoSuchFile) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        p.arguments = ["-w", "-c"] + command
        p.environment = environment
        p.standardInput = slave
        p.standardOutput = slave
        p.standardError = slave
        try p.run()
        try slave.close()
        child = p
    }

    /// Ends the spawned program (SIGTERM, then SIGKILL) and waits for it.
    public func kill() {
        guard let p = child, p.isRunning else { return }
        p.terminate()
        for _ in 0..<100 where p.isRunning { usleep(20_000) }
        if p.isRunning { Glibc.kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        child = nil
    }

    public func type(_ bytes: String) {
        _ = bytes.utf8CString.withUnsafeBufferPointer { write(master, $0.baseAddress, $0.count - 1) }
    }

    /// Reads what the program wrote, so the pty never fills up; the number of bytes.
    @discardableResult
    public func drain() -> Int { read().count }

    /// Everything readable now, without waiting.
    public func read() -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = Glibc.read(master, &buf, buf.count)
            if n <= 0 { return out }
            out += buf[0..<n]
        }
    }

    /// What the program writes until it has been silent for `quiet` seconds (at most `timeout` seconds in all).
    public func readUntilQuiet(quiet: Double = 0.3, timeout: Double = 10) -> [UInt8] {
        var out: [UInt8] = []
        let start = Date()
        var lastByte = Date()
        while Date().timeIntervalSince(start) < timeout {
            var fds = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            let left = quiet - Date().timeIntervalSince(lastByte)
            if left <= 0 { break }
            if poll(&fds, 1, Int32(max(1, left * 1000))) > 0 {
                let got = read()
                if got.isEmpty { break }   // the slave side closed: the program ended
                out += got
                lastByte = Date()
            }
        }
        return out
    }

    /// Reads until `text` appears in what was written (escape sequences may split it: match after quiet).
    public func readUntil(_ text: String, timeout: Double = 30) -> (found: Bool, bytes: [UInt8]) {
        var out: [UInt8] = []
        let needle = Array(text.utf8)
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            out += readUntilQuiet(quiet: 0.2, timeout: 1)
            if out.count >= needle.count, (0...(out.count - needle.count)).contains(where: { out[$0..<($0 + needle.count)].elementsEqual(needle) }) {
                return (true, out)
            }
        }
        return (false, out)
    }
}
