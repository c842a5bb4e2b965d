import ByteSources
import Foundation
import MailLog
import PostlsCore

/// A fixed reference date and zone so syslog timestamps resolve the same everywhere.
let referenceDate = Date(timeIntervalSince1970: 1_712_150_000) // 2024-04-03T13:13:20Z
let utc = TimeZone(identifier: "UTC")!

func analyze(_ text: String, reference: Date = referenceDate) -> LogReport {
    var options = LogAnalyzerOptions()
    options.timeZone = utc
    return LogReport.analyze(text: text, options: options, reference: reference)
}

func fixturePath(_ name: String) -> String {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name).path
}

/// A STARTTLS session on the submission service whose handshake failed with `error`.
func starttlsSession(_ errorLine: String, program: String = "postfix/submission/smtpd", pid: Int = 7282,
                     peer: String = "mail.example.org[192.0.2.7]") -> String {
    """
    Apr  3 07:30:47 mx \(program)[\(pid)]: connect from \(peer)
    Apr  3 07:30:47 mx \(program)[\(pid)]: SSL_accept error from \(peer): -1
    Apr  3 07:30:47 mx \(program)[\(pid)]: warning: TLS library problem: \(errorLine)
    Apr  3 07:30:47 mx \(program)[\(pid)]: lost connection after STARTTLS from \(peer)
    Apr  3 07:30:47 mx \(program)[\(pid)]: disconnect from \(peer) ehlo=1 starttls=0/1 commands=1/2
    """
}

/// An implicit-TLS (smtps) session whose handshake failed with `error`.
func wrapperSession(_ errorLine: String, peer: String = "scanner.example.net[198.51.100.9]") -> String {
    """
    Apr  3 07:31:00 mx postfix/smtps/smtpd[7300]: connect from \(peer)
    Apr  3 07:31:00 mx postfix/smtps/smtpd[7300]: SSL_accept error from \(peer): -1
    Apr  3 07:31:00 mx postfix/smtps/smtpd[7300]: warning: TLS library problem: \(errorLine)
    Apr  3 07:31:00 mx postfix/smtps/smtpd[7300]: lost connection after CONNECT from \(peer)
    Apr  3 07:31:00 mx postfix/smtps/smtpd[7300]: disconnect from \(peer) commands=0/0
    """
}

/// An outbound delivery whose handshake failed with `error`.
func deliverySession(_ errorLine: String) -> String {
    """
    Apr  3 07:32:00 mx postfix/smtp[8100]: SSL_connect error to mx.example.com[203.0.113.5]:25: -1
    Apr  3 07:32:00 mx postfix/smtp[8100]: warning: TLS library problem: \(errorLine)
    Apr  3 07:32:00 mx postfix/smtp[8100]: 4F2A31C0B3: to=<a@example.com>, relay=mx.example.com[203.0.113.5]:25, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)
    """
}

/// Start-up warnings of an smtpd process.
func startupWarnings(_ first: String, _ errorLine: String) -> String {
    """
    Apr  3 07:29:00 mx postfix/smtpd[7000]: warning: \(first)
    Apr  3 07:29:00 mx postfix/smtpd[7000]: warning: TLS library problem: \(errorLine)
    """
}

/// Bytes served in pieces of random size, read-ahead allowed like a regular file; it notes the threads that
/// read it and can fail after a given number of bytes.
final class PiecewiseSource: ByteSource, @unchecked Sendable {
    let name = "piecewise"
    let allowsReadAhead = true
    private let bytes: [UInt8]
    private var offset = 0
    private var rng: SplitMix
    private let failAfter: Int?
    private let shortReads: Bool
    private let lock = NSLock()
    private var readers: Set<UInt> = []

    /// With `shortReads` false, every read fills the buffer as a regular file does.
    init(_ bytes: [UInt8], seed: UInt64, shortReads: Bool = true, failAfter: Int? = nil) {
        self.bytes = bytes; rng = SplitMix(seed: seed); self.failAfter = failAfter; self.shortReads = shortReads
    }

    /// The threads (pthread ids) that called `read`.
    var readingThreads: Set<UInt> { lock.lock(); defer { lock.unlock() }; return readers }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogReadError) -> Int {
        lock.lock(); readers.insert(UInt(pthread_self())); lock.unlock()
        let limit = failAfter ?? bytes.count
        if offset >= limit && failAfter != nil { throw .readFailed(path: name, reason: "Input/output error") }
        // Short reads of any size, as a pipe or a file being written gives them.
        let want = shortReads ? 1 + Int(rng.next() % UInt64(max(1, buffer.count))) : buffer.count
        let n = min(want, limit - offset)
        guard n > 0, let dst = buffer.baseAddress else { return 0 }
        bytes.withUnsafeBytes { src in
            if let s = src.baseAddress { dst.copyMemory(from: s + offset, byteCount: n) }
        }
        offset += n
        return n
    }
}
