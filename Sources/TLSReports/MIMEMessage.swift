import Foundation

/// Just enough of RFC 5322/2045/2046 to find report attachments: unfolded headers, Content-Type parameters,
/// multipart bodies (nested to any depth, message/rfc822 included), base64 and quoted-printable.
struct MIMEPart {
    /// Header names in lower case, values unfolded, in order.
    var headers: [(name: String, value: String)]
    var body: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) {
        var headers: [(String, String)] = []
        var i = bytes.startIndex
        var current: (String, String)?
        var bodyStart = bytes.endIndex
        while i < bytes.endIndex {
            var end = i
            while end < bytes.endIndex && bytes[end] != 10 { end += 1 }
            var lineEnd = end
            if lineEnd > i && bytes[lineEnd - 1] == 13 { lineEnd -= 1 }
            let next = end < bytes.endIndex ? end + 1 : end
            if lineEnd == i {  // the empty line ends the header
                bodyStart = next
                break
            }
            let line = String(decoding: bytes[i..<lineEnd], as: UTF8.self)
            if bytes[i] == 32 || bytes[i] == 9 {
                if current != nil { current!.1 += " " + line.trimmingCharacters(in: .whitespaces) }
            } else if let colon = line.firstIndex(of: ":") {
                if let current { headers.append(current) }
                current = (line[..<colon].trimmingCharacters(in: .whitespaces).lowercased(),
                           line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            } else {
                // Not a header line: the header ended without its empty line; the body starts here.
                bodyStart = i
                break
            }
            i = next
            bodyStart = i
        }
        if let current { headers.append(current) }
        self.headers = headers
        self.body = bytes[min(bodyStart, bytes.endIndex)...]
    }

    func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }

    /// `type/subtype` in lower case (text/plain when absent, as RFC 2045 says) and the parameters.
    var contentType: (type: String, parameters: [String: String]) {
        guard let value = header("content-type") else { return ("text/plain", [:]) }
        let fields = Self.splitParameters(value)
        let type = fields.first?.trimmingCharacters(in: .whitespaces).lowercased() ?? "text/plain"
        var parameters: [String: String] = [:]
        for field in fields.dropFirst() {
            guard let eq = field.firstIndex(of: "=") else { continue }
            let key = field[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            parameters[key] = Self.unquote(field[field.index(after: eq)...].trimmingCharacters(in: .whitespaces))
        }
        return (type, parameters)
    }

    /// The attachment's file name: Content-Disposition filename, else Content-Type name.
    var fileName: String? {
        if let disposition = header("content-disposition") {
            for field in Self.splitParameters(disposition).dropFirst() {
                guard let eq = field.firstIndex(of: "=") else { continue }
                let key = field[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
                if key == "filename" || key == "filename*" {
                    return Self.unquote(field[field.index(after: eq)...].trimmingCharacters(in: .whitespaces))
                        .replacingOccurrences(of: "utf-8''", with: "", options: .caseInsensitive)
                }
            }
        }
        return contentType.parameters["name"]
    }

    /// The body with its Content-Transfer-Encoding undone; nil with a reason when it cannot be.
    func decodedBody() -> Result<[UInt8], TLSReportRejection> {
        let encoding = header("content-transfer-encoding")?.lowercased().trimmingCharacters(in: .whitespaces) ?? "7bit"
        switch encoding {
        case "base64":
            var clean: [UInt8] = []
            clean.reserveCapacity(body.count)
            for b in body where b != 10 && b != 13 && b != 32 && b != 9 { clean.append(b) }
            guard let data = Data(base64Encoded: Data(clean)) else {
                return .failure(TLSReportRejection(source: "", reason: "the attachment is not valid base64"))
            }
            return .success([UInt8](data))
        case "quoted-printable":
            return .success(Self.quotedPrintable(body))
        default:
            return .success(Array(body))
        }
    }

    /// The parts of a multipart body, split at the boundary lines.
    func parts() -> [MIMEPart] {
        guard let boundary = contentType.parameters["boundary"], !boundary.isEmpty else { return [] }
        let marker = Array(("--" + boundary).utf8)
        var parts: [MIMEPart] = []
        var partStart: Int?
        var i = body.startIndex
        while i < body.endIndex {
            var end = i
            while end < body.endIndex && body[end] != 10 { end += 1 }
            let next = end < body.endIndex ? end + 1 : end
            // A boundary line is the marker, "--" when it closes, then only white space ("--b" is no boundary of "--bx").
            if end - i >= marker.count && body[i..<(i + marker.count)].elementsEqual(marker),
               case let rest = body[(i + marker.count)..<end], case let closing = rest.starts(with: [45, 45]),
               rest.dropFirst(closing ? 2 : 0).allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) {
                if let start = partStart {
                    // The line break before the boundary belongs to the boundary.
                    var stop = i
                    if stop > start && body[stop - 1] == 10 { stop -= 1 }
                    if stop > start && body[stop - 1] == 13 { stop -= 1 }
                    parts.append(MIMEPart(body[start..<stop]))
                }
                if closing { return parts }
                partStart = next
            }
            i = next
        }
        // No closing boundary (a cut-off message): keep what the last part had.
        if let start = partStart, start < body.endIndex { parts.append(MIMEPart(body[start...])) }
        return parts
    }

    static func splitParameters(_ value: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for c in value {
            if escaped { current.append(c); escaped = false; continue }
            if c == "\\" && quoted { current.append(c); escaped = true; continue }
            if c == "\"" { quoted.toggle() }
            if c == ";" && !quoted { fields.append(current); current = ""; continue }
            current.append(c)
        }
        fields.append(current)
        return fields
    }

    static func unquote(_ s: String) -> String {
        guard s.count >= 2, s.hasPrefix("\""), s.hasSuffix("\"") else { return s }
        var out = ""
        var escaped = false
        for c in s.dropFirst().dropLast() {
            if escaped { out.append(c); escaped = false } else if c == "\\" { escaped = true } else { out.append(c) }
        }
        return out
    }

    static func quotedPrintable(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 48...57: return b - 48
            case 65...70: return b - 55
            case 97...102: return b - 87
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == 61 {  // '='
                if i + 1 < bytes.endIndex && bytes[i + 1] == 10 { i += 2; continue }
                if i + 2 < bytes.endIndex && bytes[i + 1] == 13 && bytes[i + 2] == 10 { i += 3; continue }
                if i + 2 < bytes.endIndex, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) { out.append(h << 4 | l); i += 3; continue }
            }
            out.append(b)
            i += 1
        }
        return out
    }
}
