import Foundation
import PostlsCore

/// Writes the `postls logs --json` contract (docs/json/logs.schema.json) incrementally: events as they come,
/// the summary at the end, so memory does not grow with the log.
public final class LogJSONWriter {
    private let write: (String) -> Void
    private let writeBytes: ((UnsafeRawBufferPointer) -> Void)?
    private var count = 0
    /// Written once per event, from one thread, and handed out only for the length of a call.
    private let buffer = JSONBytes()

    public init(write: @escaping (String) -> Void) {
        self.write = write
        writeBytes = nil
        write("{\"events\":[")
    }

    /// Hands out UTF-8 bytes, valid during the call: no String per event.
    public init(writeBytes: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.writeBytes = writeBytes
        write = { text in
            var text = text
            text.withUTF8 { writeBytes(UnsafeRawBufferPointer($0)) }
        }
        write("{\"events\":[")
    }

    public func add(_ event: TLSEvent) {
        if let writeBytes {
            buffer.removeAll()
            if count > 0 { buffer.append(44) }
            buffer.append(10)
            Self.appendJSON(event, to: buffer)
            writeBytes(buffer.bytes)
        } else {
            write((count == 0 ? "\n" : ",\n") + Self.json(event))
        }
        count += 1
    }

    public func finish(_ summary: LogSummary) {
        write((count == 0 ? "" : "\n") + "],\n\"summary\":" + Self.json(summary) + "}\n")
    }

    /// ISO 8601 in UTC (`2024-04-03T07:30:47Z`), without a shared formatter.
    public static func isoString(_ date: Date) -> String { TimeFormat.iso8601(date) }

    /// JSON string escaping (RFC 8259), control characters as \u00XX.
    public static func quote(_ s: String) -> String {
        let out = JSONBytes(capacity: s.utf8.count + 8)
        appendQuoted(s, to: out)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    static func hex8(_ v: UInt32) -> String {
        let out = JSONBytes(capacity: 16)
        hex8(v, to: out)
        return String(decoding: out.bytes[1..<9], as: UTF8.self)
    }

    /// `v` as eight upper-case hex digits in quotes.
    static func hex8(_ v: UInt32, to out: JSONBytes) {
        out.append(34)
        for k in 0..<8 {
            let d = UInt8((v >> UInt32(28 - 4 * k)) & 15)
            out.append(d < 10 ? 48 + d : 55 + d)
        }
        out.append(34)
    }

    /// Appends `s` as a JSON string literal to `out`, escaping on UTF-8 bytes.
    static func appendQuoted(_ s: String, to out: JSONBytes) {
        var s = s
        s.withUTF8 { appendQuoted(bytes: $0, to: out) }
    }

    static func appendQuoted(bytes: UnsafeBufferPointer<UInt8>, to out: JSONBytes) {
        out.append(34)
        // Most texts need no escaping: copy them whole (checked 16 bytes at a time).
        var plain = true
        var i = 0
        if let base = bytes.baseAddress {
            let space = SIMD16<UInt8>(repeating: 32), quote = SIMD16<UInt8>(repeating: 34), backslash = SIMD16<UInt8>(repeating: 92)
            while i + 16 <= bytes.count {
                let v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<UInt8>.self)
                // The lanes as two words (any() on the mask reduces lane by lane).
                let lanes = unsafeBitCast((v .< space) .| (v .== quote) .| (v .== backslash), to: SIMD2<UInt64>.self)
                if lanes[0] | lanes[1] != 0 { plain = false; break }
                i += 16
            }
            // The last 1-15 bytes of a text of 16 or more: the 16 that end it, again (no byte loop).
            if plain && i < bytes.count && bytes.count >= 16 {
                let v = UnsafeRawPointer(base + bytes.count - 16).loadUnaligned(as: SIMD16<UInt8>.self)
                let lanes = unsafeBitCast((v .< space) .| (v .== quote) .| (v .== backslash), to: SIMD2<UInt64>.self)
                if lanes[0] | lanes[1] != 0 { plain = false }
                i = bytes.count
            }
        }
        if plain { for b in bytes[i...] where b < 32 || b == 34 || b == 92 { plain = false; break } }
        if plain {
            if let base = bytes.baseAddress { out.append(base, bytes.count) }
            out.append(34)
            return
        }
        for b in bytes {
            switch b {
            case 34: out.append(92); out.append(34)
            case 92: out.append(92); out.append(92)
            case 10: out.append(92); out.append(110)
            case 13: out.append(92); out.append(114)
            case 9: out.append(92); out.append(116)
            case 0..<32:
                for c in [92, 117, 48, 48, hexDigits[Int(b >> 4)], hexDigits[Int(b & 15)]] { out.append(c) }
            default: out.append(b)
            }
        }
        out.append(34)
    }

    /// Decimal digits of `n`, without a String.
    static func appendNumber(_ n: Int, to out: JSONBytes) { out.appendDecimal(n) }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// One event as a JSON object (the contract's fields plus kind, rule and the decoded OpenSSL errors).
    public static func json(_ e: TLSEvent) -> String {
        let o = JSONBytes(capacity: 512 + e.lines.reduce(0) { $0 + $1.text.utf8.count + 40 })
        appendJSON(e, to: o)
        return String(decoding: o.bytes, as: UTF8.self)
    }

    /// Appends one event's JSON object to `o`.
    static func appendJSON(_ e: TLSEvent, to o: JSONBytes) {
        @inline(__always) func raw(_ s: StaticString) { o.append(s.utf8Start, s.utf8CodeUnitCount) }
        @inline(__always) func str(_ s: String) { appendQuoted(s, to: o) }
        @inline(__always) func num(_ n: Int) { appendNumber(n, to: o) }
        raw("{\"time\":")
        if let t = e.time { o.appendISOTime(t) } else { str(e.timeText) }
        raw(",\"host\":"); str(e.host)
        raw(",\"program\":"); str(e.program)
        raw(",\"pid\":"); if let pid = e.pid { num(pid) } else { raw("null") }
        raw(",\"service\":"); if let service = e.service { str(service) } else { raw("null") }
        raw(",\"peer\":")
        if let p = e.peer {
            raw("{\"name\":"); str(p.name)
            raw(",\"address\":"); str(p.address)
            raw(",\"family\":"); str(p.family.rawValue)
            if let port = p.port { raw(",\"port\":"); num(port) }
            raw("}")
        } else { raw("null") }
        raw(",\"cause\":"); str(e.cause.rawValue)
        raw(",\"confidence\":"); str(e.confidence.rawValue)
        raw(",\"kind\":"); str(e.kind.rawValue)
        raw(",\"rule\":"); str(e.rule)
        raw(",\"openssl_errors\":[")
        for (i, err) in e.errors.enumerated() {
            if i > 0 { raw(",") }
            raw("{\"code\":"); hex8(err.code, to: o)
            raw(",\"library\":"); str(err.library)
            raw(",\"function\":"); str(err.function)
            raw(",\"reason\":"); str(err.reason)
            raw(",\"format\":"); str(err.format.rawValue)
            raw("}")
        }
        raw("],\"lines\":[")
        for (i, l) in e.lines.enumerated() {
            if i > 0 { raw(",") }
            raw("{\"file\":"); str(l.file)
            raw(",\"line\":"); num(l.lineNumber)
            raw(",\"text\":"); str(l.text)
            raw("}")
        }
        raw("]")
        if e.omittedLines > 0 { raw(",\"omitted_lines\":"); num(e.omittedLines) }
        if e.ownProbe { raw(",\"own_probe\":true") }
        raw("}")
    }

    static func object<K>(_ d: [K: Int], key: (K) -> String) -> String {
        "{" + d.map { (key($0.key), $0.value) }.sorted { $0.0 < $1.0 }.map { "\(quote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    /// One next hop of the smtp/lmtp client (docs/json/logs.schema.json, `outbound`).
    public static func json(_ h: OutboundHop) -> String {
        var o = "{\"nexthop\":\(quote(h.nexthop)),\"service\":" + (h.service.map(quote) ?? "null")
        o += ",\"verified\":\(h.verified),\"trusted\":\(h.trusted),\"untrusted\":\(h.untrusted),\"anonymous\":\(h.anonymous)"
        o += ",\"failures\":\(h.failures),\"deferred\":\(h.deferred),\"failures_by_cause\":" + object(h.failuresByCause) { $0.rawValue }
        o += ",\"last_failure\":"
        if let f = h.lastFailure {
            o += "{\"time\":" + (f.time.map { quote(isoString($0)) } ?? "null") + ",\"cause\":\(quote(f.cause.rawValue)),\"rule\":\(quote(f.rule))"
            o += ",\"verify_code\":" + (f.verifyCode.map { String($0) } ?? "null") + ",\"verify_reason\":" + (f.verifyReason.map(quote) ?? "null")
            o += ",\"deferred\":\(f.deferred),\"location\":\(quote(f.location)),\"text\":\(quote(f.text))}"
        } else {
            o += "null"
        }
        return o + "}"
    }

    public static func json(_ s: LogSummary) -> String {
        var o = "{\"by_cause\":" + object(s.byCause) { $0.rawValue }
        o += ",\"tls_established\":" + object(s.tlsEstablished) { $0 }
        o += ",\"lines_read\":\(s.linesRead),\"lines_skipped\":\(s.linesSkipped),\"bytes_read\":\(s.bytesRead),\"events\":\(s.events)"
        o += ",\"tls_ciphers\":" + object(s.tlsCiphers) { $0 }
        o += ",\"by_peer_domain\":" + object(s.byPeerDomain) { $0 }
        o += ",\"by_address_family\":" + object(s.byAddressFamily) { $0.rawValue }
        o += ",\"by_service\":" + object(s.byService) { $0 }
        o += ",\"first_seen\":" + (s.firstSeen.map { quote(isoString($0)) } ?? "null")
        o += ",\"last_seen\":" + (s.lastSeen.map { quote(isoString($0)) } ?? "null")
        o += ",\"per_hour\":" + object(s.perHour) { isoString($0) }
        o += ",\"outbound_unverified\":\(s.outboundUnverified)"
        o += ",\"outbound\":[" + s.outboundHops.prefix(100).map(json).joined(separator: ",") + "]"
        let below = s.peers(usingProtocolBelow: "TLSv1.2").prefix(100)
        o += ",\"peers_below_tlsv1_2\":[" + below.map { u in
            "{\"peer\":\(quote(u.peer)),\"lowest\":\(quote(u.lowestProtocol)),\"sessions_below\":\(u.sessionsBelow("TLSv1.2"))}"
        }.joined(separator: ",") + "]"
        o += ",\"own_probes\":\(s.ownProbes),\"own_probes_by_cause\":" + object(s.ownProbesByCause) { $0.rawValue }
        o += ",\"own_probes_counted\":\(s.ownProbesCounted)"
        o += ",\"warnings\":[" + s.warnings.map(quote).joined(separator: ",") + "]"
        return o + "}"
    }
}

/// Growing bytes written in place: `Array.append(contentsOf:)` cost more per JSON field than the field
/// itself (uniqueness and capacity checks, a generic copy). One writer, one thread.
final class JSONBytes {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }
    deinit { base.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
    func removeAll() { count = 0 }

    @inline(__always) func append(_ b: UInt8) {
        if count == capacity { grow(count + 1) }
        base[count] = b
        count += 1
    }

    @inline(__always) func append(_ p: UnsafePointer<UInt8>, _ n: Int) {
        if count + n > capacity { grow(count + n) }
        (base + count).update(from: p, count: n)
        count += n
    }

    /// `n` in decimal, written backwards into room made once (no buffer per number).
    func appendDecimal(_ n: Int) {
        var v = n.magnitude
        var digits = 1
        var rest = v / 10
        while rest > 0 { digits += 1; rest /= 10 }
        let length = digits + (n < 0 ? 1 : 0)
        if count + length > capacity { grow(count + length) }
        if n < 0 { base[count] = 45 }
        var at = count + length - 1
        repeat { base[at] = UInt8(truncatingIfNeeded: 48 + v % 10); v /= 10; at -= 1 } while v > 0
        count += length
    }

    /// The UTC day of the last `appendISOTime` (`YYYY-MM-DD`, from `TimeFormat.day`): a log's events share a few days.
    private var lastDay = Int.min
    private var dayText: [UInt8] = []

    /// `date` as a quoted `TimeFormat.iso8601` string, the time of day written here (no String per event).
    func appendISOTime(_ date: Date) {
        let (day, s) = TimeFormat.dayAndSecond(date)
        if day != lastDay {
            lastDay = day
            dayText = Array(TimeFormat.day(date).utf8)
        }
        let length = dayText.count + 13
        if count + length > capacity { grow(count + length) }
        var at = count
        @inline(__always) func put(_ b: UInt8) { base[at] = b; at += 1 }
        @inline(__always) func two(_ v: Int) { put(UInt8(truncatingIfNeeded: 48 + v / 10)); put(UInt8(truncatingIfNeeded: 48 + v % 10)) }
        put(34)
        for b in dayText { put(b) }
        put(84); two(s / 3600); put(58); two(s % 3600 / 60); put(58); two(s % 60); put(90); put(34)
        count = at
    }

    private func grow(_ needed: Int) {
        var c = capacity * 2
        while c < needed { c *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = c
    }
}

/// The text report: the summary first, then the events grouped by cause, a few examples per cause.
public struct LogTextReport {
    public var examplesPerCause: Int
    private var examples: [Cause: [TLSEvent]] = [:]

    public init(examplesPerCause: Int = 3) { self.examplesPerCause = examplesPerCause }

    public mutating func add(_ event: TLSEvent) {
        if examples[event.cause, default: []].count < examplesPerCause { examples[event.cause, default: []].append(event) }
    }

    public func render(_ s: LogSummary, catalog: CauseCatalog = .shared) -> String {
        var out = "Read \(s.linesRead) lines (\(s.linesSkipped) skipped), \(s.events) TLS failure\(s.events == 1 ? "" : "s").\n"
        for w in s.warnings { out += "warning: \(w)\n" }
        if s.ownProbes > 0 {
            let causes = s.ownProbesByCause.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key.rawValue < $1.key.rawValue) }
                .map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
            out += "\(s.ownProbes) failed session\(s.ownProbes == 1 ? " was" : "s were") postls's own probe\(s.ownProbes == 1 ? "" : "s") (\(causes)): "
                + (s.ownProbesCounted ? "counted below as failures, as asked.\n" : "not counted as failures (--include-own-probes counts them).\n")
        }
        if let f = s.firstSeen, let l = s.lastSeen {
            out += "Failures from \(LogJSONWriter.isoString(f)) to \(LogJSONWriter.isoString(l)).\n"
        }
        func list(_ title: String, _ d: [String: Int], limit: Int = 10) {
            guard !d.isEmpty else { return }
            out += "\n\(title):\n"
            for (k, v) in d.sorted(by: { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }).prefix(limit) {
                out += "  \(String(v).leftPad(8))  \(k)\n"
            }
        }
        list("Failures by cause", Dictionary(uniqueKeysWithValues: s.byCause.map { ("\($0.key.rawValue): \(catalog.title($0.key))", $0.value) }), limit: 40)
        list("Failures by service", s.byService)
        list("Failures by peer domain", s.byPeerDomain)
        list("Failures by address family", Dictionary(uniqueKeysWithValues: s.byAddressFamily.map { ($0.key.rawValue, $0.value) }))
        list("Successful TLS sessions by protocol", s.tlsEstablished)
        list("Successful TLS sessions by cipher", s.tlsCiphers, limit: 5)
        let old = s.peers(usingProtocolBelow: "TLSv1.2")
        if !old.isEmpty {
            out += "\n\(old.count) peer\(old.count == 1 ? "" : "s") completed handshakes below TLSv1.2 (raising the floor to TLSv1.2 would break them):\n"
            for u in old.prefix(10) { out += "  \(u.peer): \(u.lowestProtocol), \(u.sessionsBelow("TLSv1.2")) session(s)\n" }
        }
        let hops = s.outboundHops
        if !hops.isEmpty {
            out += "\nOutbound TLS by next hop (smtp/lmtp client):\n"
            for h in hops.prefix(20) {
                var parts: [String] = []
                for (n, label) in [(h.verified, "verified"), (h.trusted, "trusted"), (h.untrusted, "untrusted"), (h.anonymous, "anonymous")] where n > 0 {
                    parts.append("\(n) \(label)")
                }
                if h.failures > 0 { parts.append("\(h.failures) failed (\(h.deferred) deferred)") }
                out += "  \(h.nexthop)\(h.service.map { " via \($0)" } ?? ""): \(parts.joined(separator: ", "))\n"
                if let f = h.lastFailure {
                    let num = f.verifyCode.map { " num=\($0)\(f.verifyReason.map { ":\($0)" } ?? "")" } ?? ""
                    out += "    last failure \(f.timeText.isEmpty ? "-" : f.timeText): \(f.cause.rawValue)\(num)\n      \(f.location): \(f.text)\n"
                }
            }
        }
        // Most frequent first; equal counts by cause id (dictionary order differs from run to run).
        for cause in s.byCause.keys.sorted(by: {
            let (a, b) = (s.byCause[$0, default: 0], s.byCause[$1, default: 0])
            return a > b || (a == b && $0.rawValue < $1.rawValue)
        }) {
            out += "\n== \(cause.rawValue) (\(s.byCause[cause, default: 0])): \(catalog.title(cause))\n"
            let why = catalog.explanation(cause)
            if !why.isEmpty { out += "   \(why)\n" }
            for e in examples[cause] ?? [] {
                let who = e.peer.map { "\($0.name)[\($0.address)]" } ?? "-"
                out += "  \(e.timeText.isEmpty ? "-" : e.timeText)  \(e.service ?? e.program)  \(who)  (\(e.confidence.rawValue), rule \(e.rule))\n"
                for l in e.lines.prefix(6) { out += "    \(l.file):\(l.lineNumber): \(l.text)\n" }
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
