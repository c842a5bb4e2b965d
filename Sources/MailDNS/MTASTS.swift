import Foundation
import PostlsCore
import TLSKit

/// The `_mta-sts` TXT record (RFC 8461 §3.1): `v=STSv1; id=...;`.
public struct MTASTSRecord: Sendable, Equatable {
    public var id: String
    public var text: String

    /// Picks the one STSv1 record among the TXT strings of `_mta-sts.DOMAIN`; throws a reason when there is
    /// none, several, or the one found is malformed (senders then treat the domain as having no policy).
    public static func select(from txt: [String]) throws(MTASTSError) -> MTASTSRecord {
        let candidates = txt.filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("v=STSv1") }
        guard !candidates.isEmpty else { throw .noRecord }
        guard candidates.count == 1 else { throw .multipleRecords(candidates.count) }
        let text = candidates[0]
        let fields = tagList(text)
        guard fields.first?.0 == "v", fields.first?.1 == "STSv1" else { throw .badRecord(text, "it must start with v=STSv1") }
        guard let id = fields.first(where: { $0.0 == "id" })?.1 else { throw .badRecord(text, "the id field is missing") }
        guard (1...32).contains(id.count), id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw .badRecord(text, "id must be 1 to 32 letters and digits")
        }
        return MTASTSRecord(id: id, text: text)
    }
}

/// The policy file served at `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` (RFC 8461 §3.2).
public struct MTASTSPolicy: Sendable, Equatable, Codable {
    public enum Mode: String, Sendable, Codable { case enforce, testing, none }
    public var mode: Mode
    public var mx: [String]
    public var maxAge: Int

    enum CodingKeys: String, CodingKey { case mode, mx, maxAge = "max_age" }

    public init(mode: Mode, mx: [String], maxAge: Int) { self.mode = mode; self.mx = mx; self.maxAge = maxAge }

    /// The longest max_age the RFC allows (one year).
    public static let maxMaxAge = 31_557_600

    /// Parses the policy text: `key: value` lines, CRLF or LF; unknown keys are ignored as the RFC says.
    public static func parse(_ text: String) throws(MTASTSError) -> MTASTSPolicy {
        var version: String?, mode: Mode?, maxAge: Int?
        var mx: [String] = []
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            guard let colon = raw.firstIndex(of: ":") else { continue }
            let key = raw[..<colon].trimmingCharacters(in: .whitespaces)
            let value = raw[raw.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "version": version = value
            case "mode":
                guard let m = Mode(rawValue: value) else { throw .badPolicy("mode \"\(value)\" is not enforce, testing or none") }
                mode = m
            case "max_age":
                guard let n = Int(value), n >= 0, value.allSatisfy(\.isNumber) else { throw .badPolicy("max_age \"\(value)\" is not a number of seconds") }
                maxAge = n
            case "mx": mx.append(value)
            default: continue
            }
        }
        guard version == "STSv1" else { throw .badPolicy("version must be STSv1") }
        guard let mode else { throw .badPolicy("the mode line is missing") }
        guard let maxAge else { throw .badPolicy("the max_age line is missing") }
        guard maxAge <= maxMaxAge else { throw .badPolicy("max_age \(maxAge) exceeds one year (31557600)") }
        if mode != .none && mx.isEmpty { throw .badPolicy("no mx line: the policy covers no MX host") }
        return MTASTSPolicy(mode: mode, mx: mx, maxAge: maxAge)
    }

    /// Whether a pattern covers `host`: exact, or `*.example.org` for exactly one more label (RFC 8461 §4.1).
    public static func pattern(_ pattern: String, covers host: String) -> Bool {
        let p = pattern.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".")), h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        if p.hasPrefix("*.") {
            let suffix = String(p.dropFirst(1))  // ".example.org"
            guard h.hasSuffix(suffix) else { return false }
            let first = h.dropLast(suffix.count)
            return !first.isEmpty && !first.contains(".")
        }
        return p == h
    }

    public func covers(_ host: String) -> Bool { mx.contains { Self.pattern($0, covers: host) } }

    /// The policy file's text as `generate` writes it.
    public var text: String {
        (["version: STSv1", "mode: \(mode.rawValue)"] + mx.map { "mx: \($0)" } + ["max_age: \(maxAge)"]).joined(separator: "\r\n") + "\r\n"
    }
}

public enum MTASTSError: Error, Sendable, Equatable, CustomStringConvertible {
    case noRecord
    case multipleRecords(Int)
    case badRecord(String, String)
    case badPolicy(String)
    case fetch(String)

    public var description: String {
        switch self {
        case .noRecord: return "no v=STSv1 TXT record"
        case .multipleRecords(let n): return "\(n) v=STSv1 TXT records; senders ignore the policy unless there is exactly one"
        case .badRecord(let text, let why): return "the TXT record \"\(text)\" is invalid: \(why)"
        case .badPolicy(let why): return "the policy file is invalid: \(why)"
        case .fetch(let why): return "the policy cannot be fetched: \(why)"
        }
    }
}

/// Splits `k=v; k=v` tag lists (MTA-STS, TLS-RPT, DMARC, DKIM) into trimmed pairs, in order.
func tagList(_ text: String) -> [(String, String)] {
    text.split(separator: ";").compactMap { part in
        let trimmed = part.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        guard let eq = trimmed.firstIndex(of: "=") else { return (trimmed, "") }
        return (trimmed[..<eq].trimmingCharacters(in: .whitespaces), trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces))
    }
}

/// Fetches the MTA-STS policy file: the side effect behind a protocol so the checks can be tested alone.
public protocol MTASTSPolicyFetching: Sendable {
    /// GET https://mta-sts.DOMAIN/.well-known/mta-sts.txt from one of `addresses` (already resolved through
    /// the chosen resolver); the certificate must verify and cover `mta-sts.DOMAIN`.
    func fetchPolicy(host: String, addresses: [SocketAddress], deadline: Deadline) throws(MTASTSError) -> String
}

/// A minimal HTTP/1.1 client over TLSKit: one GET, no redirects (the RFC forbids following them),
/// the body capped at 64 KiB, the certificate verified against the system store or a CA file.
public struct HTTPSPolicyFetcher: MTASTSPolicyFetching {
    public let trust: TrustAnchors
    public static let maxBody = 64 * 1024

    public init(trust: TrustAnchors = .system) { self.trust = trust }

    public func fetchPolicy(host: String, addresses: [SocketAddress], deadline: Deadline) throws(MTASTSError) -> String {
        guard !addresses.isEmpty else { throw .fetch("\(host) has no address") }
        var lastError = "no address answered"
        for address in addresses {
            do {
                return try fetch(host: host, address: address, deadline: deadline)
            } catch let error as MTASTSError {
                // A reachable server that answers wrongly is the answer; only connection failures try the next address.
                throw error
            } catch {
                lastError = "\(address): \(error)"
            }
        }
        throw .fetch(lastError)
    }

    private func fetch(host: String, address: SocketAddress, deadline: Deadline) throws -> String {
        let socket = try TCPSocket.connect(to: address, deadline: deadline)
        defer { socket.close() }
        let context = try TLSContext(role: .client, options: .init(trust: trust))
        let tls = try TLSConnection(context: context, socket: socket, serverName: host)
        do { try tls.handshake(deadline: deadline) } catch {
            throw MTASTSError.fetch("TLS handshake with \(host) (\(address)) failed: \(error)")
        }
        let chain = tls.peerChain
        guard let leaf = chain.first else { throw MTASTSError.fetch("\(host) sent no certificate") }
        let verify = try ChainVerifier.verify(leaf: leaf, intermediates: Array(chain.dropFirst()), trust: trust, hostname: host)
        guard verify.isOK else {
            throw MTASTSError.fetch("the certificate of \(host) does not verify: \(verify.message) (code \(verify.code))")
        }
        try tls.write("GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: postls\r\nAccept: text/plain\r\nConnection: close\r\n\r\n",
                      deadline: deadline, stage: "HTTP request")
        guard let status = try tls.readLine(deadline: deadline, stage: "HTTP status") else {
            throw MTASTSError.fetch("\(host) closed the connection without an HTTP answer")
        }
        let statusParts = status.split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1.") else {
            throw MTASTSError.fetch("\(host) did not answer HTTP: \"\(status.prefix(80))\"")
        }
        guard statusParts[1] == "200" else {
            throw MTASTSError.fetch("https://\(host)/.well-known/mta-sts.txt answered \"\(status)\" (a policy needs 200; redirects are not followed)")
        }
        var contentLength: Int? = nil
        var chunked = false
        var headerCount = 0
        while let line = try tls.readLine(deadline: deadline, stage: "HTTP headers"), !line.isEmpty {
            headerCount += 1
            if headerCount > 100 { throw MTASTSError.fetch("\(host) sent more than 100 header lines") }
            let lower = line.lowercased()
            if lower.hasPrefix("content-length:") { contentLength = Int(lower.dropFirst(15).trimmingCharacters(in: .whitespaces)) }
            if lower.hasPrefix("transfer-encoding:") && lower.contains("chunked") { chunked = true }
        }
        // The body by bytes: Content-Length, chunked, or until the server closes; never past 64 KiB.
        var raw: [UInt8] = []
        while true {
            if let contentLength, !chunked, raw.count >= contentLength { raw = Array(raw.prefix(contentLength)); break }
            if chunked, case .complete = HTTPChunked.decode(raw) { break }
            let bytes = try tls.read(deadline: deadline, stage: "HTTP body")
            if bytes.isEmpty { break }
            raw += bytes
            guard raw.count <= Self.maxBody + 4096 else { throw MTASTSError.fetch("the policy file is larger than 64 KiB") }
        }
        if chunked {
            switch HTTPChunked.decode(raw) {
            case .complete(let body): raw = body
            case .incomplete, .malformed: throw MTASTSError.fetch("\(host) sent a malformed chunked body")
            }
        }
        guard raw.count <= Self.maxBody else { throw MTASTSError.fetch("the policy file is larger than 64 KiB") }
        let body = String(decoding: raw, as: UTF8.self)
        tls.shutdown()
        return body
    }
}

/// HTTP/1.1 chunked transfer coding (RFC 9112 §7.1), decoded from bytes. Pure.
enum HTTPChunked {
    enum Result: Equatable { case complete([UInt8]), incomplete, malformed }

    static func decode(_ bytes: [UInt8]) -> Result {
        var body: [UInt8] = []
        var i = 0
        while true {
            guard let lineEnd = find(bytes, from: i) else { return .incomplete }
            let sizeText = String(decoding: bytes[i..<lineEnd], as: UTF8.self).split(separator: ";").first?.trimmingCharacters(in: .whitespaces) ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0, size <= 1 << 20 else { return .malformed }
            i = lineEnd + 2
            if size == 0 { return .complete(body) }  // trailers, if any, are not needed
            guard i + size + 2 <= bytes.count else { return .incomplete }
            body += bytes[i..<(i + size)]
            guard bytes[i + size] == 0x0D, bytes[i + size + 1] == 0x0A else { return .malformed }
            i += size + 2
        }
    }

    /// The index of the next CR LF at or after `from`.
    private static func find(_ bytes: [UInt8], from: Int) -> Int? {
        var j = from
        while j + 1 < bytes.count {
            if bytes[j] == 0x0D && bytes[j + 1] == 0x0A { return j }
            j += 1
        }
        return nil
    }
}
