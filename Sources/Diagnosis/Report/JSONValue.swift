import Foundation
import PostlsCore

/// A JSON document as a typed tree, for the one writer that rewrites every string of a document built from
/// Encodable parts: the support report, whose redaction replaces names in values and object keys alike (peer
/// domains are keys). Codable, so the tree is written through `ContractJSON` like every contract. It lives
/// beside its one user, not in PostlsCore.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// `value` as the contract encoder writes it, read back as a tree.
    public init<Value: Encodable>(encoding value: Value) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: ContractJSON.encode(value))
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// The tree with every string, object keys included, passed through `transform`.
    public func mapStrings(_ transform: (String) -> String) -> JSONValue {
        switch self {
        case .string(let s): return .string(transform(s))
        case .array(let a): return .array(a.map { $0.mapStrings(transform) })
        case .object(let o):
            var out: [String: JSONValue] = [:]
            for (key, item) in o { out[transform(key)] = item.mapStrings(transform) }
            return .object(out)
        default: return self
        }
    }
}
