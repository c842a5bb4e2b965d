import ByteSources
import Foundation
@testable import MailLog
import Testing

/// Random logs made of real fragments, trigger words, long runs and CRs, for comparing the bulk reader with the line reader.
func randomLog(seed: UInt64, lines: Int) -> [UInt8] {
    var rng = SplitMix(seed: seed)
    let pieces = [
        "Apr  3 07:30:47 mx postfix/smtpd[7282]: ", "2024-04-03T07:30:47.123456+02:00 mx postfix/smtp[8100]: ",
        "connect from mail.example.org[192.0.2.7]", "disconnect from x[2001:db8::1] ehlo=1 starttls=0/1 commands=1/2",
        "4F2A31C0B3: to=<a@example.com>, relay=mx.example.com[203.0.113.5]:25, delay=1, status=sent (250 OK)",
        "NOQUEUE: reject: RCPT from unknown[198.51.100.9]: 554 5.7.1 Service unavailable; proto=ESMTP",
        "TLS", "SSL", "non-SMTP", "Server certificate", "SMTPS wrappermode", "DH param", "UNKNOWN", "Unknown setting",
        "Unknown ssl", "]:25: ", "]:465, ", "\\026\\003", "Fatal: ", "\u{0}", "\r", "S", "H", "F", "]", "]:", "]: 2", "x",
        "Sender certainly", "DH p", "Fa", "cipher TLS_AES_256_GCM_SHA384 (256/256 bits)", "{\"MESSAGE\":\"x\"}",
    ]
    var out: [UInt8] = []
    for _ in 0..<lines {
        let parts = Int(rng.next() % 6)
        for _ in 0..<parts { out += Array(pieces[Int(rng.next() % UInt64(pieces.count))].utf8) }
        switch rng.next() % 40 {
        case 0: out += [UInt8](repeating: UInt8(ascii: "a"), count: Int(rng.next() % 9000))   // long, maybe over the cap
        case 1: out += [UInt8](repeating: UInt8(ascii: "b"), count: Int(rng.next() % 300))
        default: break
        }
        out.append(10)
    }
    if rng.next() % 2 == 0 { out += Array("last line without newline TLS".utf8) }
    return out
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// How the bulk reader reads: which scan kernel, and whether a second thread reads ahead and finds the
/// candidate lines (`CandidateIndex`) or the analysing thread scans inline.
struct ScanMode: Sendable, CustomStringConvertible {
    var native: Bool
    var ahead: Bool
    var description: String { (native ? "native" : "portable") + (ahead ? ", indexed ahead" : ", inline") }
    static let all = [ScanMode(native: true, ahead: false), ScanMode(native: false, ahead: false),
                      ScanMode(native: true, ahead: true), ScanMode(native: false, ahead: true)]
}

@Test("the bulk reader delivers every line the trigger scan wants, with the line reader's numbers, bytes and counts",
      arguments: [(4096, 4096), (4096, 256), (65536, 1024), (1 << 20, 64 * 1024)], ScanMode.all)
func candidateReaderMatchesLineReader(sizes: (chunkSize: Int, maxLineLength: Int), mode: ScanMode) {
    var reader = LineReader(chunkSize: sizes.chunkSize, maxLineLength: sizes.maxLineLength)
    // The AVX2 kernel where this CPU has one, and the portable Swift kernel.
    reader.nativeScan = mode.native && TriggerScan.nativeKernelAvailable
    reader.readAhead = mode.ahead
    for seed in 0..<25 as Range<UInt64> {
        let log = randomLog(seed: seed, lines: 1500)
        var all: [Int: [UInt8]] = [:]
        var wanted: Set<Int> = []
        let expected = reader.forEachLine(in: MemoryByteSource(log, name: "-")) { line, n in
            all[n] = Array(line)
            if let p = line.baseAddress?.assumingMemoryBound(to: UInt8.self), TriggerScan.mayMatter(p, line.count) { wanted.insert(n) }
        }
        // A line with "SSL" opens a stretch in which every line must be delivered, until one with "TLS".
        var open = false
        var delivered: Set<Int> = []
        var mismatches = 0, missedWhileOpen = 0, falseConfirms = 0, lateChecks = 0
        var last = 0
        // Read ahead, the source is read in full chunks, as a regular file is.
        let source: ByteSource = mode.ahead ? PiecewiseSource(log, seed: seed, shortReads: false) : MemoryByteSource(log, name: "-")
        let got = reader.forEachCandidateLine(in: source, deliverAll: { open }) { line, n, hint in
            if hint >= 0, let p = line.baseAddress?.assumingMemoryBound(to: UInt8.self),
               TriggerScan.confirms(p, line.count, hint), !TriggerScan.mayMatter(p, line.count) { falseConfirms += 1 }
            if hint >= 0, let p = line.baseAddress?.assumingMemoryBound(to: UInt8.self),
               TriggerScan.mayMatter(p, line.count) != TriggerScan.mayMatter(p, line.count, from: TriggerScan.firstCheck(afterHit: hint)) {
                lateChecks += 1
            }
            // Overlong lines are never delivered; any other line skipped while open is a miss.
            if open { missedWhileOpen += (last + 1..<n).filter { all[$0] != nil }.count }
            last = n
            delivered.insert(n)
            if all[n] != Array(line) { mismatches += 1 }
            let text = String(decoding: line, as: UTF8.self)
            if text.contains("SSL") { open = true } else if text.contains("TLS") { open = false }
        }
        #expect(got.lines == expected.lines, "seed \(seed)")
        #expect(got.overlongLines == expected.overlongLines, "seed \(seed)")
        #expect(got.bytes == expected.bytes, "seed \(seed)")
        #expect(mismatches == 0, "seed \(seed)")
        #expect(falseConfirms == 0, "seed \(seed): a hit confirmed a line the trigger scan rejects")
        #expect(lateChecks == 0, "seed \(seed): a trigger word sat more than two bytes before the first hit")
        #expect(missedWhileOpen == 0, "seed \(seed)")
        let missed = wanted.subtracting(delivered).sorted()
        #expect(missed.isEmpty, "seed \(seed): lines \(missed.prefix(5)) have a trigger word but were not delivered")
    }
}

@Test("the bulk reader skips plain lines: on a log without trigger bytes it delivers only the last few lines")
func candidateReaderSkipsPlainLines() {
    var log: [UInt8] = []
    for i in 0..<10_000 { log += Array("Apr  3 07:30:47 mx postfix/qmgr[812]: 4F2A31C0B\(i % 10): removed\n".utf8) }
    var delivered = 0
    let outcome = LineReader().forEachCandidateLine(in: MemoryByteSource(log, name: "-"), deliverAll: { false }) { _, _, _ in delivered += 1 }
    #expect(outcome.lines == 10_000)
    // Only the line the SIMD pass cannot look past the end of is read one by one.
    #expect(delivered <= 2)
}

@Test("the byte parser of a namaddr agrees with the text parser on random tokens")
func namaddrByteParserMatchesTextParser() {
    var rng = SplitMix(seed: 7)
    let alphabet = Array("ab.-_:[]0123456789Iipv6PV:unknown ]:[".utf8)
    var compared = 0
    for _ in 0..<20_000 {
        var token: [UInt8] = []
        for _ in 0..<Int(rng.next() % 24) { token.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
        if rng.next() % 3 == 0 { token = Array("mail.example.org[IPv6:2001:db8::1]:25".utf8) + token }
        let text = String(decoding: token, as: UTF8.self)
        let fast = token.withUnsafeBufferPointer { Peer.parseASCII($0) }
        guard let fast else { continue }
        compared += 1
        #expect(fast == Peer.parseText(text[...]), "\(text)")
    }
    #expect(compared > 10_000)
    // Non-ASCII and CR go to the text parser.
    #expect(Array("caf\u{e9}[192.0.2.7]".utf8).withUnsafeBufferPointer { Peer.parseASCII($0) } == nil)
}

@Test("a TLS connection line parses the same whether the reader's hit points at its TLS or not", arguments: [
    "Apr  3 00:01:26 mx postfix/smtpd[3393]: Anonymous TLS connection established from mail-c3-x408.mailchimp.com[2a00:1450:400c:c01::c4]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519",
    "Apr  3 00:01:26 mx postfix/smtp[3393]: Trusted TLS connection established to mx.example.com[192.0.2.5]:25: TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
    "Apr  3 00:01:26 mx postfix/smtpd[3393]: Untrusted TLS connection reused from unknown[192.0.2.9] to mail.example.org: TLSv1 with cipher AES256-SHA (256/256 bits)",
    "2024-04-03T07:30:47.123+02:00 mx postfix/smtps/smtpd[12]: Anonymous TLS connection established from x[192.0.2.1]: TLSv1.3",
    "Apr  3 00:01:26 mx postfix/smtpd[3393]: MULTI TLS SSL Anonymous TLS connection established from a[192.0.2.1]: TLSv1.2 with cipher X",
])
func establishedWithHint(line: String) {
    let bytes = Array(line.utf8)
    bytes.withUnsafeBufferPointer { b in
        let p = b.baseAddress!
        let c = TriggerScan.nextCandidate(p, from: 0, to: b.count, groupBlocks: 255)
        let header = LineHeader.parse(UnsafeRawBufferPointer(b))
        let m = p + header.messageStart
        let n = b.count - header.messageStart
        let plain = LogAnalyzer.established(m, n)
        let hinted = LogAnalyzer.established(m, n, hint: c.found ? c.position - header.messageStart : -1)
        #expect(plain != nil)
        #expect(plain.map { [$0.trustEnd, $0.peerStart, $0.peerEnd, $0.protoStart, $0.protoEnd, $0.cipherStart, $0.cipherEnd] }
                == hinted.map { [$0.trustEnd, $0.peerStart, $0.peerEnd, $0.protoStart, $0.protoEnd, $0.cipherStart, $0.cipherEnd] })
    }
}
