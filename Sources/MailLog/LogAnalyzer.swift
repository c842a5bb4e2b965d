import ByteSources
import Foundation
import PostlsCore

/// Options of one analysis.
public struct LogAnalyzerOptions: Sendable {
    /// Ignore lines logged before this instant (lines without a timestamp are kept).
    public var since: Date?
    /// Open connections kept at once; beyond it the oldest is closed (and reported if it failed).
    public var maxOpenSessions = 10_000
    /// Raw lines kept per event; more are counted in `omittedLines`.
    public var maxLinesPerEvent = 40
    /// The zone of timestamps that carry none (traditional syslog, postlogd).
    public var timeZone: TimeZone = .current
    public var lineReader = LineReader()
    /// postls's own earlier probes (from the probe record): their failed sessions are counted apart, in
    /// `LogSummary.ownProbes`, not as peers' failures. Nil: every session counts.
    public var ownProbes: OwnProbeMatcher?
    /// Count and deliver own-probe sessions like any other (flagged `ownProbe`), still also in `ownProbes`.
    public var includeOwnProbes = false
    /// Reads the probe record again (`logs --follow`: a probe that starts after the read began). Asked when a
    /// failed session matches no window, at most once per `ownProbesReloadInterval` seconds.
    public var reloadOwnProbes: (@Sendable () -> OwnProbeMatcher?)?
    public var ownProbesReloadInterval: Double = 1

    public init(since: Date? = nil) { self.since = since }
    public init(since: Date? = nil, ownProbes: OwnProbeMatcher?) { self.since = since; self.ownProbes = ownProbes }
}

/// Reads mail logs line by line and turns TLS failures into `TLSEvent`s and a `LogSummary`.
///
/// Memory stays bounded whatever the log size: lines are parsed in place in a chunk buffer, only
/// TLS-related lines become strings, and open connections are capped.
///
///     let analyzer = LogAnalyzer { event in print(event.cause) }
///     try analyzer.read(path: "/var/log/mail.log")
///     let summary = analyzer.finish()
public final class LogAnalyzer {
    public let options: LogAnalyzerOptions
    /// Everything counted so far (successful handshakes included).
    public var summary: LogSummary {
        var s = counts
        handshakes.merge(into: &s)
        outbound.merge(into: &s)
        return s
    }
    // The state touched per line is marked @exclusivity(unchecked): the analyzer is used from one thread and
    // never passes these properties inout to code that reaches them again, and the dynamic checks cost
    // more than counting a handshake.
    @exclusivity(unchecked)
    private var counts = LogSummary()
    /// Successful handshakes per protocol, cipher and peer, counted from bytes.
    @exclusivity(unchecked)
    private var handshakes = HandshakeTally(maxTrackedPeers: LogSummary().maxTrackedPeers)
    /// The smtp client's established lines per next hop, counted from bytes (merged into `summary.outbound`).
    @exclusivity(unchecked)
    private var outbound = OutboundTally()
    private let onEvent: (TLSEvent) -> Void
    /// postls's own probe windows, with what each has claimed so far.
    private var ownProbes: OwnProbeMatcher?
    private var ownProbesLoaded: Deadline?
    @exclusivity(unchecked)
    private var sessions: [UInt64: OpenSession] = [:]
    @exclusivity(unchecked) private var sessionOrder: [(UInt64, Int)] = []   // (key, serial) in opening order, for eviction
    @exclusivity(unchecked) private var sessionOrderHead = 0
    @exclusivity(unchecked) private var serial = 0
    /// Per process: why its TLS set-up failed (from its start-up warnings), so later sessions inherit it.
    @exclusivity(unchecked)
    private var processFailures: [UInt64: (Cause, Confidence, String, [LogLine])] = [:]
    /// Lines read (skipped ones included), and when each open session and process failure was last touched (for idle expiry).
    @exclusivity(unchecked)
    private var linesSeen = 0
    @exclusivity(unchecked) private var lastTouched: [UInt64: Int] = [:]
    /// Sessions idle this many lines are closed; process failures are forgotten after ten times as many.
    private let idleLines = 20_000

    /// `onEvent` receives each event as soon as its connection is complete.
    public init(options: LogAnalyzerOptions = LogAnalyzerOptions(), onEvent: @escaping (TLSEvent) -> Void) {
        self.options = options
        self.onEvent = onEvent
        self.ownProbes = options.ownProbes
    }

    // MARK: Input

    /// Reads a file (gzip-compressed or not). The file's modification time anchors syslog's missing year.
    /// Throws only when the file cannot be opened; a read error part-way is recorded in `summary.warnings`.
    public func read(path: String) throws(LogReadError) {
        let source = try openLogSource(path: path)
        let mtime = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? Date()
        read(source: source, reference: mtime)
    }

    /// Reads a byte source to its end.
    public func read(source: ByteSource, reference: Date = Date()) {
        currentResolver = LogTimeResolver(reference: reference, timeZone: options.timeZone)
        currentFile = source.name
        let linesBefore = linesSeen
        // While no connection is open and no process is known broken, only lines with a trigger byte can
        // matter: the reader skips the rest in bulk.
        self.linesBefore = linesBefore
        let outcome = options.lineReader.forEachCandidateLine(in: source, sink: self)
        linesSeen = linesBefore + outcome.lines
        counts.linesRead += outcome.lines
        counts.linesSkipped += outcome.overlongLines
        counts.bytesRead += outcome.bytes
        if let error = outcome.error { counts.warnings.append(error.description) }
    }

    /// Lines start counting here in the source being read (the line reader numbers from 1 per source).
    @exclusivity(unchecked) private var linesBefore = 0

    /// Feeds one line of text (tests, pasted fragments).
    public func feed(_ text: String, file: String = "-", lineNumber: Int = 0, resolver: LogTimeResolver = LogTimeResolver()) {
        var copy = text
        counts.linesRead += 1
        counts.bytesRead += copy.utf8.count
        currentResolver = resolver
        currentFile = file
        advance(to: linesSeen + 1)
        copy.withUTF8 { consume(UnsafeRawBufferPointer($0), lineNumber: lineNumber) }
    }

    /// Moves the line clock (lines read so far, over all sources); every 4096 lines, idle state expires.
    @inline(__always)
    private func advance(to line: Int) {
        let crossed = line >> 12 != linesSeen >> 12
        linesSeen = line
        if crossed && (!sessions.isEmpty || !processFailures.isEmpty) { expireIdle() }
    }

    /// Closes every open connection (reporting the failed ones) and returns the summary.
    public func finish() -> LogSummary {
        let keys = sessionOrder[sessionOrderHead...].compactMap { sessions[$0.0]?.serial == $0.1 ? $0.0 : nil }
        for key in keys { close(key) }
        sessionOrder.removeAll(); sessionOrderHead = 0
        return summary
    }

    // MARK: The fast path: decide from bytes whether a line matters

    @inline(__always)
    private static func hasPrefix(_ p: UnsafePointer<UInt8>, _ n: Int, _ s: StaticString) -> Bool {
        let len = s.utf8CodeUnitCount
        return n >= len && memcmp(p, s.utf8Start, len) == 0
    }

    @inline(__always)
    private static func contains(_ p: UnsafePointer<UInt8>, _ n: Int, _ s: StaticString) -> Bool {
        ByteSearch.contains(p, n, s)
    }

    /// True when the bytes contain "tls" or "ssl" in any case: every TLS message does but a few.
    /// Skips three bytes at a time on bytes that occur in neither word.
    @inline(__always)
    static func mentionsTLS(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 2
        while i < n {
            let c = p[i] | 0x20
            if c == 0x6c || c == 0x73 { // 'l' or 's' as the last letter: check the word ending here
                let b = p[i - 1] | 0x20, a = p[i - 2] | 0x20
                if (a == 0x74 && b == 0x6c && c == 0x73) || (a == 0x73 && b == 0x73 && c == 0x6c) { return true }
                i += 1
            } else if c == 0x74 { // 't' can only start "tls": look two ahead
                i += 2
            } else {
                i += 3
            }
        }
        return false
    }

    @inline(__always)
    private static func keyHash(_ p: UnsafePointer<UInt8>, _ h: LineHeader) -> UInt64 {
        var x: UInt64 = 0xcbf29ce484222325
        for k in h.hostStart..<h.hostEnd { x = (x ^ UInt64(p[k])) &* 0x100000001b3 }
        x = (x ^ 0xff) &* 0x100000001b3
        for k in h.programStart..<h.programEnd { x = (x ^ UInt64(p[k])) &* 0x100000001b3 }
        x = (x ^ UInt64(bitPattern: Int64(h.pid))) &* 0x100000001b3
        return x
    }

    /// The source being read: kept here rather than passed per line (a struct of class references
    /// costs retains and releases on every call).
    @exclusivity(unchecked) private var currentResolver = LogTimeResolver()
    @exclusivity(unchecked) private var currentFile = "-"

    /// One line. `hint` is where the bulk reader found a trigger byte in it (-1 when it did not look).
    private func consume(_ line: UnsafeRawBufferPointer, lineNumber: Int, hint: Int = -1) {
        guard let base = line.baseAddress?.assumingMemoryBound(to: UInt8.self), line.count > 0 else { return }
        if base[0] == 123, let syslogLine = Self.journalJSONToSyslog(line) { // '{': journalctl -o json
            var copy = syslogLine
            copy.withUTF8 { consume(UnsafeRawBufferPointer($0), lineNumber: lineNumber) }
            return
        }
        // The fast path: with no connection open and no broken process, a line without a trigger
        // word (TLS, SSL, UNKNOWN, DH param, \026, a client namaddr... see TriggerScan) cannot matter.
        // The reader's hit usually is such a word already; else the whole line is scanned.
        if sessions.isEmpty && processFailures.isEmpty
            && !(hint >= 0 && TriggerScan.confirms(base, line.count, hint))
            && !TriggerScan.mayMatter(base, line.count, from: hint >= 0 ? TriggerScan.firstCheck(afterHit: hint) : 0) { return }
        let header = LineHeader.parse(line)
        let m = base + header.messageStart
        let mlen = line.count - header.messageStart
        guard header.hasProgram || header.timeKind != .none || mlen > 0 else { return }
        if !header.hasProgram && header.timeKind == .none && memchr(base, 0, line.count) != nil {
            counts.linesSkipped += 1   // binary garbage
            return
        }
        // The connection's key, hashed only when a connection is open (with none, no lookup can find one).
        var key: UInt64 = 0
        let anyOpen = !sessions.isEmpty
        if anyOpen {
            key = Self.keyHash(base, header)
            // A bare pasted line (`warning: TLS library problem: ...`) continues the connection pasted just before it.
            if !header.hasProgram && header.timeKind == .none, let last = lastSessionKey, sessions[last] != nil { key = last }
        }
        let isOpen = anyOpen && sessions[key] != nil

        if Self.hasPrefix(m, mlen, "connect from ") {
            if isOpen { close(key) }
            return
        }
        var relevant: Bool
        if let established = Self.established(m, mlen, hint: hint - header.messageStart) {
            if let since = options.since, let t = lineTime(line, header), t < since { return }
            let isClient = Self.isClientProgram(base, header)
            handshakes.record(established, m, isClient: isClient)
            if isClient { recordOutbound(established, m, base, header) }
            // Only an open (failing) connection needs the line itself.
            guard isOpen else { return }
            relevant = true
        } else if Self.hasPrefix(m, mlen, "disconnect from ") {
            relevant = isOpen || Self.contains(m, mlen, " starttls=0/")
        } else if case let skip = ByteSearch.sessionTextStart(m, mlen), Self.hasPrefix(m + skip, mlen - skip, "lost connection after ") {
            let s = m + skip, n = mlen - skip   // after Postfix 3.9+'s "NOQUEUE: "
            relevant = isOpen || Self.hasPrefix(s, n, "lost connection after STARTTLS") || Self.hasPrefix(s, n, "lost connection after UNKNOWN")
        } else if Self.mentionsTLS(m, mlen) {
            relevant = true
        } else if Self.hasPrefix(m, mlen, "non-SMTP command") || Self.hasPrefix(m, mlen, "improper command pipelining") {
            relevant = true
        } else if Self.contains(m, mlen, "certificate") || Self.contains(m, mlen, "DH param") {
            relevant = true
        } else if Self.hasPrefix(m, mlen, "warning: ") || Self.hasPrefix(m, mlen, "fatal: ") {
            // Postfix warnings that name neither TLS nor SSL: only those in the message table.
            relevant = LogMessageCatalog.namesEvent(UnsafeBufferPointer(start: m, count: mlen))
        } else {
            relevant = false
            // A delivery's status line ends an open client session even when it says nothing about TLS.
            if Self.contains(m, mlen, " status=") {
                if Self.contains(m, mlen, "]:465, ") && Self.contains(m, mlen, "initial server greeting") { relevant = true }
                else if isOpen { close(key) }
            }
        }
        guard relevant else { return }

        let logLine = LogLine(bytes: line, header: header, file: currentFile, lineNumber: lineNumber, timeResolver: currentResolver)
        if let since = options.since, let t = logLine.time, t < since { return }
        handle(logLine, key: anyOpen ? key : Self.keyHash(base, header))
    }

    private func lineTime(_ line: UnsafeRawBufferPointer, _ h: LineHeader) -> Date? {
        let stamp = UnsafeRawBufferPointer(rebasing: line[h.timeStart..<h.timeEnd])
        switch h.timeKind {
        case .none: return nil
        case .syslog: return currentResolver.resolveSyslog(stamp)
        case .iso: return currentResolver.resolveISO(stamp)
        }
    }

    /// `journalctl -o json` record → `ISO-time host program[pid]: message`. Only records that mention
    /// something the engine may need are decoded (JSON decoding costs far more than the byte scan).
    static func journalJSONToSyslog(_ line: UnsafeRawBufferPointer) -> String? {
        guard let p = line.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        let n = line.count
        guard contains(p, n, "\"MESSAGE\""),
              mentionsTLS(p, n) || contains(p, n, "connect") || contains(p, n, "certificate") || contains(p, n, "non-SMTP")
                || contains(p, n, "DH param") || contains(p, n, "improper command"),
              let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
        else { return nil }
        func field(_ k: String) -> String? {
            if let s = object[k] as? String { return s }
            // journald stores non-UTF-8 messages as byte arrays.
            if let a = object[k] as? [Int] { return String(decoding: a.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self) }
            return nil
        }
        guard let message = field("MESSAGE") else { return nil }
        var time = "1970-01-01T00:00:00Z"
        if let us = field("__REALTIME_TIMESTAMP").flatMap(Double.init) {
            time = LogJSONWriter.isoString(Date(timeIntervalSince1970: us / 1e6))
        }
        let host = field("_HOSTNAME") ?? "-"
        let program = field("SYSLOG_IDENTIFIER") ?? field("_COMM") ?? "-"
        let pid = field("SYSLOG_PID") ?? field("_PID")
        return "\(time) \(host) \(program)\(pid.map { "[\($0)]" } ?? ""): \(message)"
    }

    // MARK: Successful handshakes, counted from bytes

    struct EstablishedRanges { var trustEnd: Int; var peerStart: Int; var peerEnd: Int; var nexthopEnd: Int; var protoStart: Int; var protoEnd: Int; var cipherStart: Int; var cipherEnd: Int }

    /// `<Trust> TLS connection established from|to <namaddr>[ to sni]: <proto> with cipher <cipher> ...`
    /// `hint` is where the bulk reader's first hit in the line falls in `m` (or outside it): when that is the L
    /// of " TLS connection ", it is the first one (an earlier one would have been the first hit).
    static func established(_ m: UnsafePointer<UInt8>, _ n: Int, hint: Int = -1) -> EstablishedRanges? {
        var found: Int?
        if hint >= 2 && hint + 14 <= n && memcmp(m + hint - 2, " TLS connection ", 16) == 0 {
            found = hint - 2
        } else {
            // " TLS connection ", searched from its T: memchr on the space would stop at every word.
            var from = 1
            while from < n, let q = ByteSearch.find(m + from, n - from, "TLS connection ", 15) {
                if m[from + q - 1] == 32 { found = from + q - 1; break }
                from += q + 1
            }
        }
        guard let at = found else { return nil }
        var i = at + 16
        let rest = n - i
        if rest > 12 && memcmp(m + i, "established ", 12) == 0 { i += 12 }
        else if rest > 7 && memcmp(m + i, "reused ", 7) == 0 { i += 7 }
        else { return nil }
        // "from " or "to "
        while i < n && m[i] != 32 { i += 1 }
        i += 1
        let peerStart = i
        // The peer ends at the first space, or at the colon right before it.
        if i < n {
            let space = memchr(m + i, 32, n - i).map { UnsafeRawPointer(m).distance(to: UnsafeRawPointer($0)) } ?? n
            i = space < n && space - 1 >= i && m[space - 1] == 58 ? space - 1 : space
        }
        var peerEnd = i
        let nexthopEnd = i
        // Drop a client-side ":port".
        var k = peerEnd - 1
        while k > peerStart && m[k] &- 48 < 10 { k -= 1 }
        if k > peerStart && m[k] == 58 && m[k - 1] == 93 { peerEnd = k }
        // Skip to ": " (after an optional " to <sni>").
        while i + 1 < n && !(m[i] == 58 && m[i + 1] == 32) { i += 1 }
        i += 2
        guard i < n else { return nil }
        let protoStart = i
        while i < n && m[i] != 32 { i += 1 }
        let protoEnd = i
        var cipherStart = protoEnd, cipherEnd = protoEnd
        if i + 13 < n && memcmp(m + i, " with cipher ", 13) == 0 {
            cipherStart = i + 13
            cipherEnd = memchr(m + cipherStart, 32, n - cipherStart).map { UnsafeRawPointer(m).distance(to: UnsafeRawPointer($0)) } ?? n
        }
        return EstablishedRanges(trustEnd: at, peerStart: peerStart, peerEnd: peerEnd, nexthopEnd: nexthopEnd, protoStart: protoStart, protoEnd: protoEnd,
                                 cipherStart: cipherStart, cipherEnd: cipherEnd)
    }

    /// A client line's trust and next hop, for the per-next-hop view: counted from bytes (`OutboundTally`).
    @inline(__always)
    private func recordOutbound(_ r: EstablishedRanges, _ m: UnsafePointer<UInt8>, _ base: UnsafePointer<UInt8>, _ h: LineHeader) {
        guard r.nexthopEnd > r.peerStart else { return }
        outbound.record(trust: .of(m, r.trustEnd), nexthop: m, r.peerStart, r.nexthopEnd,
                        program: base, h.programStart, h.programEnd, into: &counts)
    }

    private static func isClientProgram(_ p: UnsafePointer<UInt8>, _ h: LineHeader) -> Bool {
        let n = h.programEnd - h.programStart
        func ends(_ s: StaticString) -> Bool {
            let l = s.utf8CodeUnitCount
            return n >= l && memcmp(p + h.programEnd - l, s.utf8Start, l) == 0
        }
        return ends("/smtp") || ends("/lmtp")
    }

    // MARK: Sessions

    private final class OpenSession {
        let serial: Int
        let kind: TLSEvent.Kind
        let role: Role
        // Touched several times per line of a failing connection, from the analyzer's one thread, never passed
        // inout to code that reaches them again: unchecked, like the analyzer's own per-line state.
        @exclusivity(unchecked) var lines: [LogLine] = []
        @exclusivity(unchecked) var omitted = 0
        @exclusivity(unchecked) var facts = LineFacts()
        @exclusivity(unchecked) var signals: [Signal] = []
        @exclusivity(unchecked) var peer: Peer?
        init(serial: Int, kind: TLSEvent.Kind, role: Role) { self.serial = serial; self.kind = kind; self.role = role }
    }

    /// Dovecot's syslog lines are `dovecot: imap-login: ...`: use the inner program.
    static func normalizeDovecot(_ line: LogLine) -> (program: String, message: String) {
        if line.program == "dovecot", let r = line.message.range(of: ": ") {
            let inner = line.message[..<r.lowerBound]
            if !inner.contains(" ") { return (String(inner), String(line.message[r.upperBound...])) }
        }
        return (line.program, line.message)
    }

    func handle(_ line: LogLine, key: UInt64) {
        let (program, message) = Self.normalizeDovecot(line)
        var role: Role
        if let last = lastRole, last.program == program { role = last.role } else {
            if let known = roles[program] { role = known } else {
                role = Role.of(program: program)
                if roles.count < 1024 { roles[program] = role }
            }
            lastRole = (program, role)
        }
        if role == .other && (message.utf8Contains("-login: ") || program.hasPrefix("doveconf")) { role = .dovecot }
        // The peer is looked up only for a connection that does not know it yet (see `append`).
        var facts = recognized(message, role: role)
        if facts.signals.isEmpty {
            // A message the signals do not name may still be in the message table.
            guard let row = LogMessageCatalog.primary(message)?.row, row.level != .info else { return }
            facts.signals.append(row.level == .config ? .cataloguedConfig : .cataloguedFailure)
        }

        if facts.signals.contains(.established) {
            if let s = sessions[key] { append(line, facts, to: s) }
            return
        }

        if role == .dovecot {
            let s = OpenSession(serial: 0, kind: .dovecot, role: .dovecot)
            append(line, facts, to: s)
            emit(s, program: program)
            return
        }

        if facts.signals == [.disconnect] || facts.signals == [.disconnect, .starttlsSucceeded] || facts.signals == [.connect] {
            if let s = sessions[key] { append(line, facts, to: s); close(key) }
            return
        }

        // A second handshake failure in one client process is a new delivery attempt.
        if role == .client, let s = sessions[key], facts.signals.contains(.sslConnectError),
           s.signals.contains(.sslConnectError) || s.signals.contains(.cannotStartTLS) {
            close(key)
        }
        let session: OpenSession
        if let s = sessions[key] { session = s } else {
            serial += 1
            let kind: TLSEvent.Kind = role == .client ? .delivery : .session
            session = OpenSession(serial: serial, kind: kind, role: role)
            sessions[key] = session
            lastTouched[key] = linesSeen
            sessionOrder.append((key, serial))
            if sessions.count > options.maxOpenSessions { evictOldest() }
        }
        append(line, facts, to: session)
        lastSessionKey = key
        if facts.signals.contains(.disconnect) || (role == .client && message.utf8Contains(" status=")) { close(key) }
    }

    /// `LineFacts.recognize` (without the peer), once per message shape and role (`MessageShape`): the same few
    /// messages repeat for every peer, and recognising one is most of what a failing connection's line costs.
    private func recognized(_ message: String, role: Role) -> LineFacts {
        shapeFacts.value(for: MessageShape.hash(message) ^ role.hashBits) { LineFacts.recognize(message, role: role, findPeer: false) }
    }
    @exclusivity(unchecked) private var shapeFacts = ShapeMemo<LineFacts>()

    /// The message table's rows of one line, as `LogMessageCatalog.rowIndices(of:)` matches it, once per message shape.
    private func messageRows(_ line: LogLine) -> [Int] {
        var message = Self.normalizeDovecot(line).message
        return message.withUTF8 { u -> [Int] in
            guard let p = u.baseAddress else { return LogMessageCatalog.matchIndices(u) }
            return shapeRows.value(for: MessageShape.hash(p, u.count)) { LogMessageCatalog.matchIndices(u) }
        }
    }
    @exclusivity(unchecked) private var shapeRows = ShapeMemo<[Int]>()

    /// Closes sessions nobody logged to for `idleLines` lines (a lost disconnect line must not keep
    /// the slow path on), and forgets process failures much older than that.
    private func expireIdle() {
        for (key, touched) in lastTouched where linesSeen - touched > idleLines {
            if sessions[key] != nil { close(key) }
            if linesSeen - touched > idleLines * 10 { processFailures[key] = nil }
            if sessions[key] == nil && processFailures[key] == nil { lastTouched[key] = nil }
        }
    }

    /// The connection that got the latest line, for bare fragments.
    @exclusivity(unchecked) private var lastSessionKey: UInt64?

    private func append(_ line: LogLine, _ facts: LineFacts, to s: OpenSession) {
        if s.lines.count < options.maxLinesPerEvent { s.lines.append(line) } else { s.omitted += 1 }
        for sig in facts.signals where !s.signals.contains(sig) { s.signals.append(sig) }
        s.facts.errors.append(contentsOf: facts.errors)
        if s.peer == nil { s.peer = facts.peer ?? Peer.find(in: Self.normalizeDovecot(line).message) }
        // Postfix 3.10 logs "TLS is required, but was not offered by host x[ip]" (no port) before the delivery's
        // status line; the status line's relay=x[ip]:port names the next hop's port.
        else if s.role == .client, s.peer?.port == nil, line.text.utf8Contains(" relay="),
                let relay = Peer.find(in: Self.normalizeDovecot(line).message), relay.address == s.peer?.address, relay.port != nil {
            s.peer = relay
        }
    }

    private func evictOldest() {
        while sessionOrderHead < sessionOrder.count {
            let (key, serial) = sessionOrder[sessionOrderHead]
            sessionOrderHead += 1
            if let s = sessions[key], s.serial == serial { close(key); break }
        }
        if sessionOrderHead > 4096 && sessionOrderHead * 2 > sessionOrder.count {
            sessionOrder.removeFirst(sessionOrderHead)
            sessionOrderHead = 0
        }
    }

    private static let configSignals: Set<Signal> = [
        .tlsDisabled, .certificateLoadFailed, .privateKeyLoadFailed, .keyDoesNotMatch, .caLoadFailed, .dhProblem,
        .sniProblem, .invalidProtocolList, .invalidCipherGrade, .invalidTLSLevel, .cataloguedConfig,
    ]
    private static let sessionFailureSignals: Set<Signal> = [
        .starttlsFailed, .timeoutAfterSTARTTLS, .tlsBytesOnPlaintext, .lostAfterUnknown, .sslAcceptError,
        .libraryProblem, .wrapperModeDropped, .tlsNotAvailable, .tlsproxyFailed, .sslConnectError, .cannotStartTLS,
        .serverCertNotVerified, .certVerificationFailed, .tlsRequiredNotOffered, .tlsRequiredRefused, .tlsRequiredUnavailable,
        .smtpsWrappermode, .greetingTimeoutOn465, .lostDuringSTARTTLS, .clientTLSConfig, .otherTLSWarning,
        .dovecotHandshake, .dovecotContextFailed, .dovecotCertificate, .dovecotKeyMismatch, .dovecotDH,
        .dovecotUnknownSetting, .dovecotCipherList, .cataloguedFailure, .cataloguedConfig,
    ]

    private static let configMask = Signal.mask(configSignals)
    private static let failureMask = Signal.mask(sessionFailureSignals)

    private func close(_ key: UInt64) {
        guard let s = sessions.removeValue(forKey: key) else { return }
        let signals = Signal.mask(s.signals)
        func has(_ signal: Signal) -> Bool { signals & signal.bit != 0 }
        // Start-up warnings of a process: lines before its first connection, only configuration messages.
        let isStartup = s.kind == .session && signals & Self.configMask != 0
            && !has(.sslAcceptError) && !has(.disconnect) && !has(.lostAfterSTARTTLS)
            && !has(.starttlsFailed) && !has(.wrapperModeDropped)
        let failed = signals & Self.failureMask != 0 || signals & Self.configMask != 0
            || (has(.lostAfterSTARTTLS) && !has(.established) && !has(.starttlsSucceeded))
        guard failed, let first = s.lines.first else { return }
        if isStartup {
            let event = makeEvent(s, kind: .startup, program: first.program, inherited: nil)
            processFailures[key] = (event.cause, event.confidence, event.rule, Array(s.lines.prefix(3)))
            lastTouched[key] = linesSeen
            if processFailures.count > options.maxOpenSessions { processFailures.removeAll(keepingCapacity: true) }
            deliver(event)
            return
        }
        deliver(makeEvent(s, kind: s.kind, program: first.program, inherited: processFailures[key]))
    }

    private func emit(_ s: OpenSession, program: String) {
        guard s.lines.first != nil, Signal.mask(s.signals) & Self.failureMask != 0 else { return }
        deliver(makeEvent(s, kind: s.kind, program: program, inherited: nil))
    }

    /// What the rules look at, as a key: events repeat (same signals, reasons, role, service), so the rule
    /// table is walked once per distinct combination, not once per event.
    private struct ClassificationKey: Hashable {
        var signals: UInt64
        var reasons: [String]
        var role: Role
        var service: String?
        var loopback: Bool
        var port: Int?
    }
    @exclusivity(unchecked) private var classified: [ClassificationKey: (Cause, Confidence, String)] = [:]
    /// `TLSEvent.service(ofProgram:)` and `Role.of(program:)` per program name: a log has a handful.
    @exclusivity(unchecked) private var services: [String: String?] = [:]
    @exclusivity(unchecked) private var roles: [String: Role] = [:]
    /// The latest program's of each: consecutive lines and events mostly share one, and comparing two short
    /// strings costs less than hashing one.
    @exclusivity(unchecked) private var lastRole: (program: String, role: Role)?
    @exclusivity(unchecked) private var lastService: (program: String, service: String?)?

    private func makeEvent(_ s: OpenSession, kind: TLSEvent.Kind, program: String,
                           inherited: (Cause, Confidence, String, [LogLine])?) -> TLSEvent {
        let first = s.lines[0]
        var reasons = s.facts.errors.map { $0.normalizedReason }
        for l in s.lines where l.message.hasPrefix("SSL_accept error") || l.message.hasPrefix("SSL_connect error") {
            if let tail = l.message.utf8Suffix(afterLast: 58, followedBySpace: true) {
                let detail = tail.lowercased()
                if detail != "-1" && !detail.allSatisfy({ $0.isNumber || $0 == "-" }) { reasons.append(detail) }
            }
        }
        let service: String?
        if let last = lastService, last.program == program { service = last.service } else {
            if let known = services[program] { service = known } else {
                service = TLSEvent.service(ofProgram: program)
                if services.count < 1024 { services[program] = service }
            }
            lastService = (program, service)
        }
        let key = ClassificationKey(signals: Signal.mask(s.signals), reasons: reasons, role: s.role, service: service,
                                    loopback: s.peer?.isLoopback ?? false, port: s.peer?.port)
        var (cause, confidence, rule): (Cause, Confidence, String)
        if let known = classified[key] {
            (cause, confidence, rule) = known
        } else {
            let facts = EventFacts(signals: Set(s.signals), reasons: reasons, role: s.role, service: service, peer: s.peer)
            (cause, confidence, rule) = classifyByRules(facts)
            if classified.count < 4096 { classified[key] = (cause, confidence, rule) }
        }
        // The message-table rows of the lines only when the rules are not sure (matching every line of every
        // event cost as much as the rest of the event), and only up to the first row that names a cause.
        if needsMessages((cause, confidence, rule)) {
            (cause, confidence, rule) = refine((cause, confidence, rule),
                                               messages: s.lines.lazy.flatMap { self.messageRows($0) }.map { LogMessageCatalog.all[$0] })
        }
        // A next hop's certificate that failed verification for a reason with a cause of its own (expired, wrong
        // name): the verify code in the lines says which, as `postls diagnose` and the hop's counts read it.
        if kind == .delivery && cause == .remoteCertificateUnverified, let code = OutboundHop.verifyCode(of: s.lines) {
            cause = VerifyCode.outboundCause(forCode: code)
        }
        var lines = s.lines
        // A session that failed only because the process had no working TLS inherits the start-up cause.
        if let (pc, pconf, prule, plines) = inherited, s.facts.errors.isEmpty,
           rule == "tls-unavailable" || rule == "starttls-abandoned" || rule == "unclassified" {
            cause = pc; confidence = pconf; rule = "process-" + prule
            lines = plines + lines
        }
        var event = TLSEvent(kind: kind, time: first.time, timeText: first.timeText, host: first.host, program: program,
                             pid: first.pid, service: service, peer: s.peer, signals: s.signals, errors: s.facts.errors,
                             cause: cause, confidence: confidence, rule: rule, lines: lines, omittedLines: s.omitted)
        event.inheritedLines = lines.count - s.lines.count
        return event
    }

    /// Reads the record again for a failed session no window claimed, keeping what the old windows claimed.
    private func claimAfterReload(_ event: TLSEvent) -> Bool {
        guard let reload = options.reloadOwnProbes, event.kind == .session, event.peer != nil else { return false }
        if let loaded = ownProbesLoaded,
           Deadline.now().uptimeNanoseconds < loaded.uptimeNanoseconds &+ UInt64(options.ownProbesReloadInterval * 1e9) { return false }
        ownProbesLoaded = Deadline.now()
        guard var fresh = reload() else { return false }
        if let old = ownProbes { fresh.keepClaims(of: old) }
        ownProbes = fresh
        return ownProbes?.claim(event) != nil
    }

    /// Once per failed connection (not per line): the place to tell postls's own probes from peers.
    private func deliver(_ event: TLSEvent) {
        // The next hop's established lines so far name its service before the failure does.
        if event.kind == .delivery, let peer = event.peer { outbound.flush(nexthop: OutboundHop.nexthop(of: peer), into: &counts) }
        if ownProbes?.claim(event) != nil || claimAfterReload(event) {
            counts.ownProbes += 1
            counts.ownProbesByCause[event.cause, default: 0] += 1
            guard options.includeOwnProbes else { return }
            counts.ownProbesCounted = true
            var flagged = event
            flagged.ownProbe = true
            counts.record(flagged)
            onEvent(flagged)
            return
        }
        counts.record(event)
        onEvent(event)
    }
}

/// Everything one analysis found, with the events kept in memory (for the diagnosis engine and tests).
public struct LogReport: Sendable {
    public var events: [TLSEvent]
    public var summary: LogSummary

    /// Reads the given files (oldest first as given) and returns all events. `maxEvents` bounds memory;
    /// the summary still counts every event.
    public static func analyze(paths: [String], options: LogAnalyzerOptions = LogAnalyzerOptions(),
                               maxEvents: Int = 100_000) throws(LogReadError) -> LogReport {
        var events: [TLSEvent] = []
        let analyzer = LogAnalyzer(options: options) { if events.count < maxEvents { events.append($0) } }
        for path in paths { try analyzer.read(path: path) }
        let summary = analyzer.finish()
        return LogReport(events: events, summary: summary)
    }

    /// Analyses lines of text (a pasted fragment, a test).
    public static func analyze(text: String, options: LogAnalyzerOptions = LogAnalyzerOptions(),
                               reference: Date = Date()) -> LogReport {
        var events: [TLSEvent] = []
        let analyzer = LogAnalyzer(options: options) { events.append($0) }
        let source = MemoryByteSource(Array(text.utf8), name: "-")
        analyzer.read(source: source, reference: reference)
        let summary = analyzer.finish()
        return LogReport(events: events, summary: summary)
    }
}

/// The analyzer receives the line reader's lines itself: a generic call on it is direct, with no closure
/// context (whose retain and release per line cost as much as the rest of a skipped line's work).
extension LogAnalyzer: CandidateLineSink {
    var deliverAll: Bool { !sessions.isEmpty || !processFailures.isEmpty }
    func line(_ bytes: UnsafeRawBufferPointer, number: Int, hit: Int) {
        advance(to: linesBefore + number)
        consume(bytes, lineNumber: number, hint: hit)
    }
}
