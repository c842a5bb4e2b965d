import Foundation
import PostlsCore
import TLSKit

/// A 16-bit DNS code that keeps numbers it has no name for: printed by its mnemonic, else `PREFIX<number>`.
public protocol DNSNumberedCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible where RawValue == UInt16 {
    static var mnemonics: [UInt16: String] { get }
    /// "TYPE" (RFC 3597's form for an unknown type), "RCODE".
    static var unknownPrefix: String { get }
}

extension DNSNumberedCode {
    public var description: String { Self.mnemonics[rawValue] ?? "\(Self.unknownPrefix)\(rawValue)" }
}

/// A resource record type (RFC 1035 and later). Unknown types keep their number.
public struct DNSRecordType: DNSNumberedCode {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = DNSRecordType(rawValue: 1)
    public static let ns = DNSRecordType(rawValue: 2)
    public static let cname = DNSRecordType(rawValue: 5)
    public static let soa = DNSRecordType(rawValue: 6)
    public static let ptr = DNSRecordType(rawValue: 12)
    public static let mx = DNSRecordType(rawValue: 15)
    public static let txt = DNSRecordType(rawValue: 16)
    public static let aaaa = DNSRecordType(rawValue: 28)
    public static let opt = DNSRecordType(rawValue: 41)
    public static let ds = DNSRecordType(rawValue: 43)
    public static let rrsig = DNSRecordType(rawValue: 46)
    public static let nsec = DNSRecordType(rawValue: 47)
    public static let dnskey = DNSRecordType(rawValue: 48)
    public static let tlsa = DNSRecordType(rawValue: 52)

    public static let mnemonics: [UInt16: String] = [
        1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 41: "OPT",
        43: "DS", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 50: "NSEC3", 52: "TLSA",
    ]
    public static let unknownPrefix = "TYPE"
}

/// The response code, with EDNS's extended bits folded in.
public struct DNSResponseCode: DNSNumberedCode {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let noError = DNSResponseCode(rawValue: 0)
    public static let formatError = DNSResponseCode(rawValue: 1)
    public static let serverFailure = DNSResponseCode(rawValue: 2)
    public static let nameError = DNSResponseCode(rawValue: 3)
    public static let notImplemented = DNSResponseCode(rawValue: 4)
    public static let refused = DNSResponseCode(rawValue: 5)
    public static let badVersion = DNSResponseCode(rawValue: 16)

    public static let mnemonics: [UInt16: String] = [0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 16: "BADVERS"]
    public static let unknownPrefix = "RCODE"
}

/// A DANE TLSA record (RFC 6698): usage, selector, matching type and the association data.
public struct TLSARecord: Sendable, Hashable, CustomStringConvertible {
    public var usage: UInt8
    public var selector: UInt8
    public var matchingType: UInt8
    public var data: [UInt8]

    public init(usage: UInt8, selector: UInt8, matchingType: UInt8, data: [UInt8]) {
        self.usage = usage; self.selector = selector; self.matchingType = matchingType; self.data = data
    }

    /// "3 1 1 <hex>": the zone-file form and what `postls dns` prints.
    public var description: String { "\(usage) \(selector) \(matchingType) \(hex(data))" }

    /// Parses "3 1 1 <hex>" (the hex may be split by spaces, as zone files allow).
    public init?(text: String) {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count >= 4, let u = UInt8(parts[0]), let s = UInt8(parts[1]), let m = UInt8(parts[2]),
              let bytes = bytesFromHex(parts[3...].joined()) else { return nil }
        self.init(usage: u, selector: s, matchingType: m, data: bytes)
    }
}

/// The data of a resource record, decoded for the types postls reads; anything else stays raw.
public enum DNSRecordData: Sendable, Hashable {
    case a(String)
    case aaaa(String)
    case cname(DNSName)
    case ptr(DNSName)
    case ns(DNSName)
    case mx(preference: UInt16, exchange: DNSName)
    /// The character-strings of one TXT record, in order (RFC 7208 joins them without spaces).
    case txt([[UInt8]])
    case tlsa(TLSARecord)
    case other([UInt8])

    /// A TXT record's strings joined, as SPF, DMARC, DKIM and MTA-STS read them.
    public var joinedText: String? {
        guard case .txt(let strings) = self else { return nil }
        return String(decoding: strings.joined(), as: UTF8.self)
    }
}

public struct DNSResourceRecord: Sendable, Hashable {
    public var name: DNSName
    public var type: DNSRecordType
    public var recordClass: UInt16
    public var ttl: UInt32
    public var data: DNSRecordData

    public init(name: DNSName, type: DNSRecordType, recordClass: UInt16 = 1, ttl: UInt32 = 300, data: DNSRecordData) {
        self.name = name; self.type = type; self.recordClass = recordClass; self.ttl = ttl; self.data = data
    }
}

public struct DNSQuestion: Sendable, Hashable {
    public var name: DNSName
    public var type: DNSRecordType
    public var questionClass: UInt16 = 1
    public init(name: DNSName, type: DNSRecordType, questionClass: UInt16 = 1) {
        self.name = name; self.type = type; self.questionClass = questionClass
    }
}

/// The header bits postls reasons about.
public struct DNSHeader: Sendable, Hashable {
    public var id: UInt16 = 0
    public var isResponse = false
    public var opcode: UInt8 = 0
    public var authoritative = false
    public var truncated = false
    public var recursionDesired = true
    public var recursionAvailable = false
    /// AD: the resolver validated the answer with DNSSEC (only meaningful from a validating resolver we trust).
    public var authenticData = false
    /// CD: checking disabled; the resolver returns data even when validation fails.
    public var checkingDisabled = false
    /// The low four bits of the response code (the rest is in the OPT record).
    public var rcode: UInt8 = 0
    public init() {}

    var flags: UInt16 {
        var f: UInt16 = 0
        if isResponse { f |= 0x8000 }
        f |= UInt16(opcode & 0xF) << 11
        if authoritative { f |= 0x0400 }
        if truncated { f |= 0x0200 }
        if recursionDesired { f |= 0x0100 }
        if recursionAvailable { f |= 0x0080 }
        if authenticData { f |= 0x0020 }
        if checkingDisabled { f |= 0x0010 }
        f |= UInt16(rcode & 0xF)
        return f
    }

    init(id: UInt16, flags f: UInt16) {
        self.id = id
        isResponse = f & 0x8000 != 0
        opcode = UInt8((f >> 11) & 0xF)
        authoritative = f & 0x0400 != 0
        truncated = f & 0x0200 != 0
        recursionDesired = f & 0x0100 != 0
        recursionAvailable = f & 0x0080 != 0
        authenticData = f & 0x0020 != 0
        checkingDisabled = f & 0x0010 != 0
        rcode = UInt8(f & 0xF)
    }
}

/// EDNS(0) as carried in the OPT pseudo-record (RFC 6891).
public struct EDNS: Sendable, Hashable {
    public var udpPayloadSize: UInt16
    public var extendedRcode: UInt8 = 0
    public var version: UInt8 = 0
    /// DO: the sender wants DNSSEC records (and a validating resolver then reports AD).
    public var dnssecOK: Bool
    public init(udpPayloadSize: UInt16 = 1232, dnssecOK: Bool = true) {
        self.udpPayloadSize = udpPayloadSize; self.dnssecOK = dnssecOK
    }
}

/// A whole DNS message.
public struct DNSMessage: Sendable, Hashable {
    public var header = DNSHeader()
    public var questions: [DNSQuestion] = []
    public var answers: [DNSResourceRecord] = []
    public var authorities: [DNSResourceRecord] = []
    /// Additional records other than OPT.
    public var additionals: [DNSResourceRecord] = []
    public var edns: EDNS?
    public init() {}

    public var responseCode: DNSResponseCode {
        DNSResponseCode(rawValue: UInt16(edns?.extendedRcode ?? 0) << 4 | UInt16(header.rcode))
    }

    /// A recursive query for `name`/`type` with EDNS0 and the DO bit, so a validating resolver sets AD.
    /// AD is set in the query too (RFC 6840 §5.7: ask for AD without needing DNSSEC records).
    public static func query(id: UInt16, name: DNSName, type: DNSRecordType, checkingDisabled: Bool = false,
                             dnssecOK: Bool = true, udpPayloadSize: UInt16 = 1232) -> DNSMessage {
        var m = DNSMessage()
        m.header.id = id
        m.header.recursionDesired = true
        m.header.authenticData = true
        m.header.checkingDisabled = checkingDisabled
        m.questions = [DNSQuestion(name: name, type: type)]
        m.edns = EDNS(udpPayloadSize: udpPayloadSize, dnssecOK: dnssecOK)
        return m
    }
}


func bytesFromHex(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
    var out: [UInt8] = []
    out.reserveCapacity(chars.count / 2)
    var i = 0
    while i < chars.count {
        guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}
