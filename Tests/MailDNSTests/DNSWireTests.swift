import Foundation
import Testing
@testable import MailDNS

/// The wire codec on hand-built packets, including hostile ones: it must decode what is valid and
/// throw (never trap, never loop) on everything else.
struct DNSWireTests {
    /// Header + one question "example.org MX" at offset 12; the name "example.org" starts at 12, "org" at 20.
    static func header(id: UInt16 = 0x1234, flags: UInt16 = 0x8180, qd: UInt16 = 1, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0) -> [UInt8] {
        [id, flags, qd, an, ns, ar].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
    static let question: [UInt8] = [7] + Array("example".utf8) + [3] + Array("org".utf8) + [0, 0, 15, 0, 1]

    @Test func queryCarriesEDNSWithTheDOBitAndRoundTrips() throws {
        let name = try #require(DNSName("_25._tcp.mx.example.org"))
        let bytes = try DNSMessage.query(id: 77, name: name, type: .tlsa, checkingDisabled: true).encode()
        let decoded = try DNSMessage.decode(bytes)
        #expect(decoded.header.id == 77)
        #expect(decoded.header.recursionDesired)
        #expect(decoded.header.checkingDisabled)
        #expect(decoded.questions == [DNSQuestion(name: name, type: .tlsa)])
        #expect(decoded.edns?.dnssecOK == true)
        #expect(decoded.edns?.udpPayloadSize == 1232)
        // The OPT record's TTL field carries DO as bit 15.
        #expect(Array(bytes.suffix(11)) == [0, 0, 41, 0x04, 0xD0, 0, 0, 0x80, 0, 0, 0])
    }

    @Test func compressedMXAnswerDecodesWithPreferenceAndExchange() throws {
        // answer: name = pointer to 12 (example.org), MX 10 "mx" + pointer to 12
        var packet = Self.header(an: 1) + Self.question
        packet += [0xC0, 12, 0, 15, 0, 1, 0, 0, 0x0E, 0x10, 0, 7, 0, 10, 2] + Array("mx".utf8) + [0xC0, 12]
        let m = try DNSMessage.decode(packet)
        #expect(m.answers.count == 1)
        #expect(m.answers[0].name == DNSName("EXAMPLE.org"))
        #expect(m.answers[0].ttl == 3600)
        #expect(m.answers[0].data == .mx(preference: 10, exchange: try #require(DNSName("mx.example.org"))))
        #expect(m.responseCode == .noError)
        #expect(m.header.recursionAvailable)
    }

    @Test func pointerToItselfIsRejected() {
        let packet = Self.header(qd: 1) + [0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSParseError.badPointer(at: 12)) { try DNSMessage.decode(packet) }
    }

    @Test func forwardPointerIsRejected() {
        let packet = Self.header(qd: 1) + [0xC0, 14, 0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSParseError.badPointer(at: 12)) { try DNSMessage.decode(packet) }
    }

    @Test func loopThroughALabelEndsAtTheNameLengthLimit() {
        // 12: label "a", 14: pointer back to 12 -> a.a.a.a... until 255 bytes.
        let packet = Self.header(qd: 1) + [1, 0x61, 0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSParseError.nameTooLong(at: 12)) { try DNSMessage.decode(packet) }
    }

    @Test func obsoleteLabelTypesAreRejected() {
        let packet = Self.header(qd: 1) + [0x41, 0, 0, 1, 0, 1]
        #expect(throws: DNSParseError.badLabel(at: 12)) { try DNSMessage.decode(packet) }
    }

    @Test func everyPrefixOfAValidAnswerThrowsInsteadOfTrapping() throws {
        var packet = Self.header(an: 2) + Self.question
        packet += [0xC0, 12, 0, 15, 0, 1, 0, 0, 0x0E, 0x10, 0, 7, 0, 10, 2] + Array("mx".utf8) + [0xC0, 12]
        packet += [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 6, 2, 0x68, 0x69, 2, 0x68, 0x6F]
        #expect(try DNSMessage.decode(packet).answers.count == 2)
        for cut in 0..<packet.count {
            #expect(throws: DNSParseError.self) { try DNSMessage.decode(Array(packet.prefix(cut))) }
        }
    }

    @Test func impossibleRecordCountsAreRejectedBeforeLooping() {
        let packet = Self.header(qd: 0, an: 0xFFFF, ns: 0xFFFF, ar: 0xFFFF)
        #expect(throws: DNSParseError.truncated(at: 12)) { try DNSMessage.decode(packet) }
    }

    @Test func rdataNameRunningPastItsRecordIsRejected() {
        // CNAME whose RDLENGTH says 2 but whose name is 4 bytes.
        let packet = Self.header(an: 1) + Self.question + [0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 1, 0, 2, 2, 0x61, 0x62, 0]
        #expect(throws: DNSParseError.self) { try DNSMessage.decode(packet) }
    }

    @Test func wrongAddressLengthIsRejected() {
        let packet = Self.header(an: 1) + Self.question + [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 3, 127, 0, 0]
        #expect(throws: DNSParseError.badRecordData(type: .a, at: 41)) { try DNSMessage.decode(packet) }
    }

    @Test func enormousMultiStringTXTDecodesAndJoins() throws {
        // 250 strings of 255 bytes: a 64000-byte TXT record, the most a TCP answer can carry.
        var m = DNSMessage()
        m.header.isResponse = true
        let name = try #require(DNSName("big.example.org"))
        m.questions = [DNSQuestion(name: name, type: .txt)]
        let strings = (0..<250).map { i in [UInt8](repeating: UInt8(0x41 + i % 26), count: 255) }
        m.answers = [DNSResourceRecord(name: name, type: .txt, data: .txt(strings))]
        let bytes = try m.encode()
        #expect(bytes.count > 64_000)
        let decoded = try DNSMessage.decode(bytes)
        #expect(decoded.answers[0].data.joinedText?.utf8.count == 250 * 255)
    }

    @Test func randomBytesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let count = Int.random(in: 0..<300, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if bytes.count > 12 { bytes[4] = 0; bytes[5] = UInt8.random(in: 0...3) }  // plausible counts reach deeper
            _ = try? DNSMessage.decode(bytes)
        }
    }

    @Test func extendedRcodeAndADBitAreRead() throws {
        var m = DNSMessage()
        m.header.isResponse = true
        m.header.authenticData = true
        m.header.rcode = 0
        m.edns = EDNS(udpPayloadSize: 4096, dnssecOK: true)
        m.edns?.extendedRcode = 1  // BADVERS = 16
        let decoded = try DNSMessage.decode(try m.encode())
        #expect(decoded.header.authenticData)
        #expect(decoded.responseCode == .badVersion)
    }

    @Test(arguments: [
        ("mx.example.org", "mx.example.org"),
        ("mx.example.org.", "mx.example.org"),
        ("a\\.b.example", "a\\.b.example"),
        ("caf\\233.example", "caf\\233.example"),
    ])
    func namesParseAndPrintBack(input: String, printed: String) throws {
        let name = try #require(DNSName(input))
        #expect(name.description == printed)
        #expect(DNSName(name.description) == name)
    }

    @Test func invalidNamesAreRefused() {
        #expect(DNSName("a..b") == nil)
        #expect(DNSName(String(repeating: "x", count: 64) + ".example") == nil)
        #expect(DNSName(Array(repeating: String(repeating: "x", count: 60), count: 5).joined(separator: ".")) == nil)
        #expect(DNSName("bad\\25") == nil)
    }

    @Test func namesCompareCaseInsensitively() {
        #expect(DNSName("MX.Example.ORG") == DNSName("mx.example.org"))
        #expect(Set([DNSName("A.b")!, DNSName("a.B")!]).count == 1)
    }

    @Test func reverseNamesForBothFamilies() {
        #expect(DNSName.reverse(address: "192.0.2.1")?.description == "1.2.0.192.in-addr.arpa")
        #expect(DNSName.reverse(address: "2001:db8::1")?.description ==
                "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")
        #expect(DNSName.reverse(address: "mx.example.org") == nil)
    }

    @Test func resolvConfFirstUsableNameserver() {
        let text = """
            # generated
            search example.org
            nameserver fe80::1%eth0
            nameserver 10.0.0.53
            """
        #expect(firstNameserver(inResolvConf: text)?.description == "[fe80::1]:53")
        #expect(firstNameserver(inResolvConf: "options ndots:2\n") == nil)
    }

    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1:53"), ("127.0.0.1:5353", "127.0.0.1:5353"),
        ("::1", "[::1]:53"), ("[::1]:5353", "[::1]:5353"),
    ])
    func resolverAddressesParse(text: String, expected: String) {
        #expect(parseResolverAddress(text)?.description == expected)
    }

    @Test func badResolverAddressesAreRefused() {
        #expect(parseResolverAddress("dns.example") == nil)
        #expect(parseResolverAddress("127.0.0.1:99999") == nil)
        #expect(parseResolverAddress("[::1") == nil)
    }

    @Test func tlsaTextParsesAndPrints() throws {
        let record = try #require(TLSARecord(text: "3 1 1 AB cd"))
        #expect(record == TLSARecord(usage: 3, selector: 1, matchingType: 1, data: [0xAB, 0xCD]))
        #expect(record.description == "3 1 1 abcd")
        #expect(TLSARecord(text: "3 1 1 xyz") == nil)
    }
}
