import Foundation
import PostlsCore
import TLSKit

/// A DNS record (or MTA-STS policy file) postls suggests publishing: what a fix of kind `dns_record` offers.
public struct RecordSuggestion: Sendable, Equatable, Encodable {
    public enum Kind: String, Sendable, Encodable { case tlsa, mtaSTSRecord = "mta_sts_txt", mtaSTSPolicy = "mta_sts_policy", tlsRPT = "tls_rpt" }
    public var kind: Kind
    /// Owner name (absolute, no trailing dot) or, for a policy file, the URL it must be served at.
    public var name: String
    /// "TLSA", "TXT", or "file" for the policy.
    public var type: String
    public var value: String
    public var reason: String

    /// The line to paste into a zone file (nil for the policy file).
    public var zoneLine: String? {
        switch type {
        case "TXT": return "\(name). 3600 IN TXT \(Self.quotedTXT(value))"
        case "file": return nil
        default: return "\(name). 3600 IN \(type) \(value)"
        }
    }

    /// The record as lines to paste into a zone file, none wider than `width` where the zone-file syntax allows:
    /// a long record continues inside parentheses and TLSA data splits at whitespace (RFC 6698 allows it). A policy
    /// file is its URL as a comment, then its lines.
    public func pasteLines(width: Int = 76) -> [String] {
        // The policy's lines end in CRLF (RFC 8461), one Character in Swift: split at any line end.
        guard let line = zoneLine else { return ["; serve at \(name)"] + value.split(whereSeparator: \.isNewline).map(String.init) }
        if line.count <= width { return [line] }
        var lines = ["\(name). 3600 IN \(type) ("]
        var data = type == "TXT" ? Self.quotedTXT(value) : value
        let room = max(16, width - 8)
        if type == "TLSA" {
            // "3 1 1 hex": the fields, then the hex in pieces.
            let parts = value.split(separator: " ", maxSplits: 3).map(String.init)
            if parts.count == 4 {
                lines.append("        " + parts[0..<3].joined(separator: " "))
                data = parts[3]
            }
        }
        while data.count > room && type != "TXT" {
            lines.append("        " + data.prefix(room))
            data = String(data.dropFirst(room))
        }
        // The closing parenthesis on the last data line when it fits, else on a line of its own.
        if 8 + data.count + 2 <= width { lines.append("        " + data + " )") } else { lines += ["        " + data, "        )"] }
        return lines
    }

    enum CodingKeys: String, CodingKey { case kind, name, type, value, reason, zoneLine = "zone_line" }
    public func encode(to encoder: Encoder) throws {
        try encoder.encode(fields: [CodingKeys.kind: kind, .name: name, .type: type, .value: value, .reason: reason, .zoneLine: zoneLine])
    }

    /// TXT data as zone-file strings of at most 255 bytes each.
    static func quotedTXT(_ text: String) -> String {
        var parts: [String] = []
        var bytes = Array(text.utf8)
        while !bytes.isEmpty {
            let chunk = bytes.prefix(255)
            bytes.removeFirst(chunk.count)
            let escaped = String(decoding: chunk, as: UTF8.self).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            parts.append("\"\(escaped)\"")
        }
        return parts.joined(separator: " ")
    }
}

/// Generates the records a domain needs for DANE, MTA-STS and TLS-RPT.
public enum RecordGenerator {
    /// `3 1 1` records for every MX: the current key and, for a rollover, the next one (publish both, wait two
    /// TTLs, then switch the key; remove the old record after).
    public static func tlsa(mxHosts: [String], currentKeyDER: [UInt8], nextKeyDER: [UInt8]? = nil) -> [RecordSuggestion] {
        var out: [RecordSuggestion] = []
        for host in mxHosts {
            out.append(RecordSuggestion(kind: .tlsa, name: DANE.ownerName(mxHost: host), type: "TLSA",
                                        value: DANE.record311(publicKeyDER: currentKeyDER).description,
                                        reason: "pins the key \(host) serves now (DANE-EE, SPKI, SHA-256)"))
            if let nextKeyDER {
                out.append(RecordSuggestion(kind: .tlsa, name: DANE.ownerName(mxHost: host), type: "TLSA",
                                            value: DANE.record311(publicKeyDER: nextKeyDER).description,
                                            reason: "pins the next key, so a renewal with it does not break DANE"))
            }
        }
        return out
    }

    /// An MTA-STS policy covering every MX, its TXT record (the id changes with every policy change), served at
    /// `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`.
    public static func mtaSTS(domain: String, mxHosts: [String], mode: MTASTSPolicy.Mode = .testing,
                              maxAge: Int = 604_800, now: Date) -> [RecordSuggestion] {
        let policy = MTASTSPolicy(mode: mode, mx: mxHosts.map { $0.lowercased() }, maxAge: maxAge)
        let id = TimeFormat.digits(now)
        return [
            RecordSuggestion(kind: .mtaSTSPolicy, name: "https://mta-sts.\(domain)/.well-known/mta-sts.txt", type: "file",
                             value: policy.text,
                             reason: mode == .enforce
                                ? "the policy senders fetch over HTTPS, listing every MX host"
                                : "the policy senders fetch over HTTPS; start in testing mode, switch to enforce once TLS-RPT reports are clean"),
            RecordSuggestion(kind: .mtaSTSRecord, name: "_mta-sts.\(domain)", type: "TXT", value: "v=STSv1; id=\(id)",
                             reason: "announces the policy; change the id whenever the policy file changes"),
        ]
    }

    /// A TLS-RPT record sending reports to `tls-reports@DOMAIN` unless another address is given.
    public static func tlsRPT(domain: String, reportAddress: String? = nil) -> RecordSuggestion {
        RecordSuggestion(kind: .tlsRPT, name: "_smtp._tls.\(domain)", type: "TXT",
                         value: "v=TLSRPTv1; rua=mailto:\(reportAddress ?? "tls-reports@\(domain)")",
                         reason: "senders report TLS failures toward your MX hosts (RFC 8460)")
    }
}
