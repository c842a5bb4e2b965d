import Foundation

/// A small JSON encoder for `[String: Any]` trees of strings, numbers, booleans, arrays and NSNull,
/// with sorted keys and two-space indentation. Foundation's JSONSerialization takes hundreds of
/// milliseconds for a 5,000-parameter report on Linux; this takes a few.
enum JSONWriter {
    static func data(_ value: Any) -> Data {
        var out = ""
        out.reserveCapacity(1 << 16)
        write(value, into: &out, indent: 0)
        out.append("\n")
        return Data(out.utf8)
    }

    private static func write(_ value: Any, into out: inout String, indent: Int) {
        switch value {
        case let string as String:
            escape(string, into: &out)
        case let bool as Bool:
            out.append(bool ? "true" : "false")
        case let int as Int:
            out.append(String(int))
        case let double as Double:
            out.append(String(double))
        case is NSNull:
            out.append("null")
        case let dictionary as [String: Any]:
            if dictionary.isEmpty { out.append("{}"); return }
            out.append("{\n")
            let keys = dictionary.keys.sorted()
            for (index, key) in keys.enumerated() {
                out.append(String(repeating: " ", count: indent + 2))
                escape(key, into: &out)
                out.append(" : ")
                write(dictionary[key] ?? NSNull(), into: &out, indent: indent + 2)
                out.append(index == keys.count - 1 ? "\n" : ",\n")
            }
            out.append(String(repeating: " ", count: indent) + "}")
        case let array as [Any]:
            if array.isEmpty { out.append("[]"); return }
            out.append("[\n")
            for (index, element) in array.enumerated() {
                out.append(String(repeating: " ", count: indent + 2))
                write(element, into: &out, indent: indent + 2)
                out.append(index == array.count - 1 ? "\n" : ",\n")
            }
            out.append(String(repeating: " ", count: indent) + "]")
        default:
            escape("\(value)", into: &out)
        }
    }

    private static func escape(_ string: String, into out: inout String) {
        out.append("\"")
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            default:
                if scalar.value < 0x20 {
                    out.append(String(format: "\\u%04x", scalar.value))
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }
}
