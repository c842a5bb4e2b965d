import Foundation

/// The one way postls writes JSON: every `--json` contract (docs/json/) and the files postls keeps (the fix
/// journal) go through this encoder, so key order (sorted), indentation (two spaces, `"key" : value`), dates
/// (ISO 8601) and slashes (left unescaped) are the same everywhere. The only other writer is the log engine's
/// streaming `LogJSONWriter`, which writes events as they are read (docs/DECISIONS.md says why).
///
/// Types write contract fields that may be unknown with `encode(_:forKey:)`, which writes `null`, not
/// `encodeIfPresent`, which leaves the field out: a required field is always present.
public enum ContractJSON {
    /// A new encoder with the contract's settings (JSONEncoder is a class: one per call keeps it Sendable).
    /// `compact`: one line, for JSON Lines files (the probe record).
    public static func encoder(compact: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = compact ? [.sortedKeys, .withoutEscapingSlashes] : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// `value` as the contract's JSON, without a final newline.
    public static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        try encoder().encode(value)
    }

    /// `value` as JSON and a newline, as a command prints it.
    public static func line<Value: Encodable>(_ value: Value) throws -> Data {
        var data = try encode(value)
        data.append(0x0A)
        return data
    }
}

extension KeyedEncodingContainer {
    /// Encodes every field, a nil one as null: a contract (docs/json/) writes each key, never leaves one out
    /// as the synthesized encoders do. One call per type, so the encoders are lists of fields, not code.
    public mutating func encode(fields: KeyValuePairs<Key, any Encodable>) throws {
        for (key, value) in fields { try encode(value, forKey: key) }
    }
}

extension Encoder {
    /// A value whose JSON is one object of `fields`, each written, a nil one as null: the whole encoder of most
    /// contract types (`try encoder.encode(fields: [CodingKeys.id: id, .cause: cause])`).
    public func encode<Key: CodingKey>(fields: KeyValuePairs<Key, any Encodable>) throws {
        var c = container(keyedBy: Key.self)
        try c.encode(fields: fields)
    }
}
