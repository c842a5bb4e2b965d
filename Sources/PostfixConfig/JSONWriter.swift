import Foundation

/// A small JSON encoder for `[String: Any]` trees of strings, numbers, booleans, arrays and NSNull,
/// with sorted keys and two-space indentation. Foundation's JSONSerialization takes hundreds of
/// milliseconds for a 5,000-parameter report on Linux; this writes bytes directly and takes a few.
enum JSONWriter {
    static func data(_ value: Any) -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(1 << 16)
        write(value, into: &out, indent: 0)
        out.append(0x0A)
        return Data(out)
    }

    private static func spaces(_ count: Int, into out: inout [UInt8]) {
        out.append(contentsOf: repeatElement(0x20, count: count))
    }

    private static func write(_ value: Any, into out: inout [UInt8], indent: Int) {
        // Containers are tested before NSNull: on Linux, `is NSNull` on a Swift dictionary bridges it first.
        switch value {
        case let string as String:
            escape(string, into: &out)
        case let dictionary as [String: Any]:
            if dictionary.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(contentsOf: "{\n".utf8)
            let keys = dictionary.keys.sorted()
            for (index, key) in keys.enumerated() {
                spaces(indent + 2, into: &out)
                escape(key, into: &out)
                out.append(contentsOf: " : ".utf8)
                write(dictionary[key] ?? NSNull(), into: &out, indent: indent + 2)
                out.append(contentsOf: (index == keys.count - 1 ? "\n" : ",\n").utf8)
            }
            spaces(indent, into: &out)
            out.append(UInt8(ascii: "}"))
        case let array as [Any]:
            if array.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(contentsOf: "[\n".utf8)
            for (index, element) in array.enumerated() {
                spaces(indent + 2, into: &out)
                write(element, into: &out, indent: indent + 2)
                out.append(contentsOf: (index == array.count - 1 ? "\n" : ",\n").utf8)
            }
            spaces(indent, into: &out)
            out.append(UInt8(ascii: "]"))
        case let bool as Bool:
            out.append(contentsOf: (bool ? "true" : "false").utf8)
        case let int as Int:
            out.append(contentsOf: String(int).utf8)
        case let double as Double:
            out.append(contentsOf: String(double).utf8)
        case is NSNull:
            out.append(contentsOf: "null".utf8)
        default:
            escape("\(value)", into: &out)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A JSON string: UTF-8 passes through (String's UTF-8 is always valid), quotes, backslashes and
    /// control characters are escaped.
    private static func escape(_ string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigits[Int(byte >> 4)]); out.append(hexDigits[Int(byte & 0x0F)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
