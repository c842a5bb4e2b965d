import Foundation
import TLSKit

/// Why a DNS message could not be decoded. The parser never traps and never loops: every read is
/// bounds-checked and compression pointers are limited.
public enum DNSParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The message ends before a field it announces (`at` is the byte offset).
    case truncated(at: Int)
    /// A compression pointer loops or points forward.
    case badPointer(at: Int)
    /// A name longer than 255 bytes on the wire.
    case nameTooLong(at: Int)
    /// A label type other than a plain label or a pointer (the obsolete 0x40/0x80 kinds).
    case badLabel(at: Int)
    /// A record's data does not have the shape its type requires.
    case badRecordData(type: DNSRecordType, at: Int)

    public var description: String {
        switch self {
        case .truncated(let at): return "DNS message truncated at byte \(at)"
        case .badPointer(let at): return "DNS name compression pointer at byte \(at) loops or points forward"
        case .nameTooLong(let at): return "DNS name at byte \(at) is longer than 255 bytes"
        case .badLabel(let at): return "unsupported DNS label type at byte \(at)"
        case .badRecordData(let type, let at): return "malformed \(type) record data at byte \(at)"
        }
    }
}

// MARK: - Decoding

extension DNSMessage {
    /// Decodes a message from the wire. Pure: safe on any input, bounded in time by the input's length.
    public static func decode(_ bytes: [UInt8]) throws(DNSParseError) -> DNSMessage {
        var reader = WireReader(bytes: bytes)
        var message = DNSMessage()
        let id = try reader.u16()
        let flags = try reader.u16()
        message.header = DNSHeader(id: id, flags: flags)
        let qd = Int(try reader.u16()), an = Int(try reader.u16()), ns = Int(try reader.u16()), ar = Int(try reader.u16())
        // Each question takes at least 5 bytes and each record 11: reject impossible counts before looping.
        guard qd * 5 + (an + ns + ar) * 11 <= bytes.count - 12 else { throw .truncated(at: bytes.count) }
        for _ in 0..<qd {
            let name = try reader.name()
            let type = DNSRecordType(rawValue: try reader.u16())
            let cls = try reader.u16()
            message.questions.append(DNSQuestion(name: name, type: type, questionClass: cls))
        }
        for _ in 0..<an { message.answers.append(try reader.record()) }
        for _ in 0..<ns { message.authorities.append(try reader.record()) }
        for _ in 0..<ar {
            let start = reader.position
            let name = try reader.name()
            let type = DNSRecordType(rawValue: try reader.u16())
            if type == .opt {
                let size = try reader.u16()
                let ttl = try reader.u32()
                let length = Int(try reader.u16())
                try reader.skip(length)
                guard name == .root else { throw .badRecordData(type: .opt, at: start) }
                var edns = EDNS(udpPayloadSize: size, dnssecOK: ttl & 0x8000 != 0)
                edns.extendedRcode = UInt8(ttl >> 24)
                edns.version = UInt8((ttl >> 16) & 0xFF)
                message.edns = edns
            } else {
                reader.position = start
                message.additionals.append(try reader.record())
            }
        }
        return message
    }
}

struct WireReader {
    let bytes: [UInt8]
    var position = 0

    mutating func u8() throws(DNSParseError) -> UInt8 {
        guard position < bytes.count else { throw .truncated(at: position) }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() throws(DNSParseError) -> UInt16 {
        guard position + 2 <= bytes.count else { throw .truncated(at: position) }
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    mutating func u32() throws(DNSParseError) -> UInt32 {
        UInt32(try u16()) << 16 | UInt32(try u16())
    }

    mutating func skip(_ n: Int) throws(DNSParseError) {
        guard n >= 0, position + n <= bytes.count else { throw .truncated(at: position) }
        position += n
    }

    mutating func take(_ n: Int) throws(DNSParseError) -> [UInt8] {
        guard n >= 0, position + n <= bytes.count else { throw .truncated(at: position) }
        defer { position += n }
        return Array(bytes[position..<(position + n)])
    }

    /// Reads a possibly compressed name at `position` and moves past it (past the first pointer, if any).
    mutating func name() throws(DNSParseError) -> DNSName {
        let (name, next) = try Self.name(in: bytes, at: position)
        position = next
        return name
    }

    /// A name starting at `start`: its labels and the offset just after its encoding at `start`.
    /// A pointer must point before itself; together with the 255-byte limit on the name, this ends every loop
    /// (a cycle of pointers alone would need a forward pointer; a cycle through labels outgrows 255 bytes).
    static func name(in bytes: [UInt8], at start: Int) throws(DNSParseError) -> (DNSName, Int) {
        var labels: [[UInt8]] = []
        var position = start
        var next: Int? = nil
        var wireLength = 1
        var jumps = 0
        while true {
            guard position < bytes.count else { throw .truncated(at: position) }
            let length = Int(bytes[position])
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    return (DNSName(labels: labels), next ?? position + 1)
                }
                guard position + 1 + length <= bytes.count else { throw .truncated(at: position) }
                wireLength += length + 1
                guard wireLength <= DNSName.maxWireLength else { throw .nameTooLong(at: start) }
                labels.append(Array(bytes[(position + 1)..<(position + 1 + length)]))
                position += 1 + length
            case 0xC0:
                guard position + 1 < bytes.count else { throw .truncated(at: position) }
                let target = (length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < position, jumps < 128 else { throw .badPointer(at: position) }
                jumps += 1
                if next == nil { next = position + 2 }
                position = target
            default:
                throw .badLabel(at: position)
            }
        }
    }

    mutating func record() throws(DNSParseError) -> DNSResourceRecord {
        let name = try self.name()
        let type = DNSRecordType(rawValue: try u16())
        let cls = try u16()
        let ttl = try u32()
        let length = Int(try u16())
        let start = position
        guard start + length <= bytes.count else { throw .truncated(at: start) }
        let end = start + length
        let data: DNSRecordData
        // A name inside RDATA must end inside RDATA.
        func embeddedName(at offset: Int) throws(DNSParseError) -> (DNSName, Int) {
            let (n, after) = try Self.name(in: bytes, at: offset)
            guard after <= end else { throw .badRecordData(type: type, at: offset) }
            return (n, after)
        }
        switch type {
        case .a:
            guard length == 4 else { throw .badRecordData(type: type, at: start) }
            data = .a(ipAddressText(Array(bytes[start..<end])))
        case .aaaa:
            guard length == 16 else { throw .badRecordData(type: type, at: start) }
            data = .aaaa(ipAddressText(Array(bytes[start..<end])))
        case .cname, .ptr, .ns:
            let (target, after) = try embeddedName(at: start)
            guard after == end else { throw .badRecordData(type: type, at: start) }
            data = type == .cname ? .cname(target) : type == .ptr ? .ptr(target) : .ns(target)
        case .mx:
            guard length >= 3 else { throw .badRecordData(type: type, at: start) }
            let preference = UInt16(bytes[start]) << 8 | UInt16(bytes[start + 1])
            let (exchange, after) = try embeddedName(at: start + 2)
            guard after == end else { throw .badRecordData(type: type, at: start) }
            data = .mx(preference: preference, exchange: exchange)
        case .txt:
            var strings: [[UInt8]] = []
            var p = start
            while p < end {
                let n = Int(bytes[p])
                guard p + 1 + n <= end else { throw .badRecordData(type: type, at: p) }
                strings.append(Array(bytes[(p + 1)..<(p + 1 + n)]))
                p += 1 + n
            }
            guard !strings.isEmpty else { throw .badRecordData(type: type, at: start) }
            data = .txt(strings)
        case .tlsa:
            guard length >= 3 else { throw .badRecordData(type: type, at: start) }
            data = .tlsa(TLSARecord(usage: bytes[start], selector: bytes[start + 1], matchingType: bytes[start + 2],
                                    data: Array(bytes[(start + 3)..<end])))
        default:
            data = .other(Array(bytes[start..<end]))
        }
        position = end
        return DNSResourceRecord(name: name, type: type, recordClass: cls, ttl: ttl, data: data)
    }

}

// MARK: - Encoding

/// Why a message could not be encoded.
public enum DNSEncodeError: Error, Sendable, Equatable, CustomStringConvertible {
    case badAddress(String)
    case stringTooLong(Int)
    case messageTooLarge(Int)

    public var description: String {
        switch self {
        case .badAddress(let a): return "\(a) is not an IP address"
        case .stringTooLong(let n): return "a TXT character-string of \(n) bytes exceeds 255"
        case .messageTooLarge(let n): return "a DNS message of \(n) bytes exceeds 65535"
        }
    }
}

extension DNSMessage {
    /// Encodes without name compression (queries are small; test servers do not need it).
    public func encode() throws(DNSEncodeError) -> [UInt8] {
        var out: [UInt8] = []
        func put16(_ v: UInt16) { out.append(UInt8(v >> 8)); out.append(UInt8(v & 0xFF)) }
        func put32(_ v: UInt32) { put16(UInt16(v >> 16)); put16(UInt16(v & 0xFFFF)) }
        let header = self.header
        put16(header.id)
        put16(header.flags)
        put16(UInt16(questions.count))
        put16(UInt16(answers.count))
        put16(UInt16(authorities.count))
        put16(UInt16(additionals.count + (edns == nil ? 0 : 1)))
        for q in questions { out += q.name.wire; put16(q.type.rawValue); put16(q.questionClass) }
        for r in answers + authorities + additionals {
            out += r.name.wire
            put16(r.type.rawValue)
            put16(r.recordClass)
            put32(r.ttl)
            let data = try Self.encodeData(r.data)
            put16(UInt16(clamping: data.count))
            out += data
        }
        if let edns {
            out.append(0)
            put16(DNSRecordType.opt.rawValue)
            put16(edns.udpPayloadSize)
            put32(UInt32(edns.extendedRcode) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0))
            put16(0)
        }
        guard out.count <= 65_535 else { throw .messageTooLarge(out.count) }
        return out
    }

    static func encodeData(_ data: DNSRecordData) throws(DNSEncodeError) -> [UInt8] {
        switch data {
        case .a(let text):
            var v4 = in_addr()
            guard inet_pton(AF_INET, text, &v4) == 1 else { throw .badAddress(text) }
            return withUnsafeBytes(of: &v4) { Array($0) }
        case .aaaa(let text):
            var v6 = in6_addr()
            guard inet_pton(AF_INET6, text, &v6) == 1 else { throw .badAddress(text) }
            return withUnsafeBytes(of: &v6) { Array($0) }
        case .cname(let n), .ptr(let n), .ns(let n):
            return n.wire
        case .mx(let preference, let exchange):
            return [UInt8(preference >> 8), UInt8(preference & 0xFF)] + exchange.wire
        case .txt(let strings):
            var out: [UInt8] = []
            for s in strings {
                guard s.count <= 255 else { throw .stringTooLong(s.count) }
                out.append(UInt8(s.count)); out += s
            }
            return out
        case .tlsa(let t):
            return [t.usage, t.selector, t.matchingType] + t.data
        case .other(let bytes):
            return bytes
        }
    }
}
