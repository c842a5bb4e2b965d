/// One change to main.cf or master.cf. Applying it to a document yields a new document in which
/// every byte outside the change is kept.
public enum ConfigEdit: Sendable, Equatable, Hashable {
    /// Set `name = value` in main.cf: rewrites the effective setting in place, or appends one.
    case setMain(name: String, value: String)
    /// Delete every setting of `name` from main.cf (so no earlier duplicate takes over).
    case removeMain(name: String)
    /// Turn every setting of `name` into a comment (`#`), keeping it visible for the admin.
    case commentOutMain(name: String)
    /// Set `-o name=value` on a master.cf service (replacing the effective override or adding one).
    case setOverride(service: String, type: String, name: String, value: String)
    /// Delete every `-o name=...` of a master.cf service.
    case removeOverride(service: String, type: String, name: String)
    /// Append a new master.cf service (refused when one with that name and type exists).
    case addService(MasterCF.ServiceDefinition)

    /// `main.cf` or `master.cf`.
    public var file: String {
        switch self {
        case .setMain, .removeMain, .commentOutMain: return "main.cf"
        case .setOverride, .removeOverride, .addService: return "master.cf"
        }
    }

    /// The parameter the edit changes.
    public var parameter: String {
        switch self {
        case .setMain(let name, _), .removeMain(let name), .commentOutMain(let name),
             .setOverride(_, _, let name, _), .removeOverride(_, _, let name): return name
        case .addService(let definition): return definition.qualifiedName
        }
    }

    /// A one-line description, e.g. `main.cf: set smtpd_tls_security_level = may`.
    public var summary: String {
        switch self {
        case .setMain(let name, let value): return "main.cf: set \(name) = \(value)"
        case .removeMain(let name): return "main.cf: remove \(name)"
        case .commentOutMain(let name): return "main.cf: comment out \(name)"
        case .setOverride(let service, let type, let name, let value): return "master.cf \(service)/\(type): set -o \(name)=\(value)"
        case .removeOverride(let service, let type, let name): return "master.cf \(service)/\(type): remove -o \(name)"
        case .addService(let definition): return "master.cf: add service \(definition.qualifiedName)"
        }
    }
}

extension ConfigEdit: Codable {
    private enum Keys: String, CodingKey { case action, file, parameter, value, service, type, definition }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(file, forKey: .file)
        try container.encode(parameter, forKey: .parameter)
        switch self {
        case .setMain(_, let value):
            try container.encode("set", forKey: .action); try container.encode(value, forKey: .value)
        case .removeMain:
            try container.encode("remove", forKey: .action)
        case .commentOutMain:
            try container.encode("comment_out", forKey: .action)
        case .setOverride(let service, let type, _, let value):
            try container.encode("set", forKey: .action); try container.encode(value, forKey: .value)
            try container.encode(service, forKey: .service); try container.encode(type, forKey: .type)
        case .removeOverride(let service, let type, _):
            try container.encode("remove", forKey: .action)
            try container.encode(service, forKey: .service); try container.encode(type, forKey: .type)
        case .addService(let definition):
            try container.encode("add_service", forKey: .action)
            try container.encode(definition.name, forKey: .service); try container.encode(definition.type, forKey: .type)
            try container.encode(definition, forKey: .definition)
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let action = try container.decode(String.self, forKey: .action)
        let file = try container.decode(String.self, forKey: .file)
        let name = try container.decode(String.self, forKey: .parameter)
        switch (file, action) {
        case ("main.cf", "set"): self = .setMain(name: name, value: try container.decode(String.self, forKey: .value))
        case ("main.cf", "remove"): self = .removeMain(name: name)
        case ("main.cf", "comment_out"): self = .commentOutMain(name: name)
        case ("master.cf", "set"):
            self = .setOverride(service: try container.decode(String.self, forKey: .service), type: try container.decode(String.self, forKey: .type),
                                name: name, value: try container.decode(String.self, forKey: .value))
        case ("master.cf", "remove"):
            self = .removeOverride(service: try container.decode(String.self, forKey: .service), type: try container.decode(String.self, forKey: .type), name: name)
        case ("master.cf", "add_service"):
            self = .addService(try container.decode(MasterCF.ServiceDefinition.self, forKey: .definition))
        default:
            throw DecodingError.dataCorruptedError(forKey: .action, in: container, debugDescription: "unknown edit \(action) on \(file)")
        }
    }
}

/// The outcome of an edit: both versions and a unified diff.
public struct EditedFile: Sendable, Equatable {
    /// `main.cf` or `master.cf`.
    public var file: String
    public var original: [UInt8]
    public var edited: [UInt8]
    /// Unified diff (`--- a/main.cf` / `+++ b/main.cf`), empty when nothing changed.
    public var diff: String { UnifiedDiff.make(original, edited, name: file) }
}

private func validateValue(_ value: String, name: String) throws {
    if value.contains(where: { $0 == "\n" || $0 == "\r" }) {
        throw ConfigError.editNotApplicable("the new value of \(name) contains a line break")
    }
    if name.isEmpty || name.contains(where: { $0 == "=" || $0.isWhitespace || $0 == "#" }) {
        throw ConfigError.editNotApplicable("\"\(name)\" is not a valid parameter name")
    }
}

extension MainCF {
    /// Applies a main.cf edit. Throws `ConfigError.editNotApplicable` for a master.cf edit or an invalid value.
    public func applying(_ edit: ConfigEdit) throws -> MainCF {
        // Replacement bytes per physical line; nil deletes the line with its newline.
        var replacements: [Int: [UInt8]?] = [:]
        var append: [UInt8] = []
        switch edit {
        case .setMain(let name, let value):
            try validateValue(value, name: name)
            let trimmed = value.trimmingCharacters(in: .whitespaces)
            if let entry = entry(name) {
                let first = lines[entry.lineIndices[0]]
                var prefix: [UInt8]
                if let valueStart = entry.valueStartOffset, valueStart <= first.end {
                    prefix = Array(bytes[first.start..<valueStart])
                    // "name =" with nothing after it: add the customary space.
                    if prefix.last == UInt8(ascii: "=") && !trimmed.isEmpty { prefix.append(0x20) }
                } else {
                    prefix = Array("\(name) = ".utf8)
                }
                replacements[entry.lineIndices[0]] = prefix + Array(trimmed.utf8)
                for index in entry.lineIndices.dropFirst() { replacements[index] = .some(nil) }
            } else {
                if let last = bytes.last, last != 0x0A { append.append(0x0A) }
                append += Array("\(name) = \(trimmed)\n".utf8)
            }
        case .removeMain(let name):
            let all = allEntries(name)
            guard !all.isEmpty else { throw ConfigError.editNotApplicable("main.cf does not set \(name)") }
            for entry in all { for index in entry.lineIndices { replacements[index] = .some(nil) } }
        case .commentOutMain(let name):
            let all = allEntries(name)
            guard !all.isEmpty else { throw ConfigError.editNotApplicable("main.cf does not set \(name)") }
            for entry in all {
                for index in entry.lineIndices { replacements[index] = [UInt8(ascii: "#")] + Array(lineBytes(index)) }
            }
        case .setOverride, .removeOverride, .addService:
            throw ConfigError.editNotApplicable("\(edit.summary) is a master.cf edit")
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + append.count + 64)
        for (index, line) in lines.enumerated() {
            if let replacement = replacements[index] {
                guard let replacement else { continue }
                out += replacement
                if line.hasNewline { out.append(0x0A) }
            } else {
                out += bytes[line.start..<line.fullEnd]
            }
        }
        out += append
        return MainCF(bytes: out)
    }
}

extension MasterCF {
    /// `-o name=value`, or `-o { name = value }` when the value needs braces.
    static func overrideText(name: String, value: String) -> String {
        let needsBraces = value.contains(where: { $0 == " " || $0 == "\t" }) || value.hasPrefix("{") || value.isEmpty
        return needsBraces ? "-o { \(name) = \(value) }" : "-o \(name)=\(value)"
    }

    /// Applies a master.cf edit. Throws `ConfigError.editNotApplicable` when the service does not exist.
    public func applying(_ edit: ConfigEdit) throws -> MasterCF {
        switch edit {
        case .setOverride(let serviceName, let type, let name, let value):
            try validateValue(value, name: name)
            guard let service = service(named: serviceName, type: type) else {
                throw ConfigError.editNotApplicable("master.cf has no \(serviceName)/\(type) service")
            }
            let text = Array(MasterCF.overrideText(name: name, value: value.trimmingCharacters(in: .whitespaces)).utf8)
            if let existing = service.overrides.last(where: { $0.name == name }) {
                return MasterCF(bytes: Array(bytes[..<existing.byteRange.lowerBound]) + text + Array(bytes[existing.byteRange.upperBound...]))
            }
            // Insert after the last option; on a line of its own when the option ends its line (Debian style).
            let offset = service.optionInsertOffset
            guard let lineIndex = lines.firstIndex(where: { $0.start <= offset && offset <= $0.end }) else {
                throw ConfigError.editNotApplicable("cannot locate \(serviceName)/\(type) in master.cf")
            }
            let line = lines[lineIndex]
            let rest = bytes[offset..<line.end]
            if rest.allSatisfy(isPostfixSpace) {
                let indent: [UInt8] = Array("  ".utf8)
                return MasterCF(bytes: Array(bytes[..<line.end]) + [0x0A] + indent + text
                                + (line.hasNewline ? Array(bytes[line.end...]) : []))
            }
            return MasterCF(bytes: Array(bytes[..<offset]) + [0x20] + text + Array(bytes[offset...]))
        case .removeOverride(let serviceName, let type, let name):
            guard let service = service(named: serviceName, type: type) else {
                throw ConfigError.editNotApplicable("master.cf has no \(serviceName)/\(type) service")
            }
            let targets = service.overrides.filter { $0.name == name }
            guard !targets.isEmpty else {
                throw ConfigError.editNotApplicable("\(serviceName)/\(type) in master.cf has no -o \(name)")
            }
            var out = bytes
            // Remove from the end so earlier ranges stay valid.
            for target in targets.sorted(by: { $0.byteRange.lowerBound > $1.byteRange.lowerBound }) {
                var range = target.byteRange
                guard let line = lines.first(where: { $0.start <= range.lowerBound && range.lowerBound <= $0.end }) else { continue }
                if range.upperBound <= line.end {
                    let before = out[line.start..<range.lowerBound], after = out[range.upperBound..<line.end]
                    if before.allSatisfy(isPostfixSpace) && after.allSatisfy(isPostfixSpace) {
                        // The override was alone on its line: drop the line.
                        range = line.start..<line.fullEnd
                    } else {
                        // Also drop the blanks before it, keeping the rest of the line tidy.
                        var start = range.lowerBound
                        while start > line.start && (out[start - 1] == 0x20 || out[start - 1] == 0x09) { start -= 1 }
                        if start > line.start { range = start..<range.upperBound }
                    }
                }
                out.removeSubrange(range)
            }
            return MasterCF(bytes: out)
        case .addService(let definition):
            try definition.validate()
            if service(named: definition.name, type: definition.type) != nil {
                throw ConfigError.editNotApplicable("master.cf already has a \(definition.qualifiedName) service")
            }
            // Appended as a new logical line: every existing byte stays where it was.
            var out = bytes
            if let last = out.last, last != 0x0A { out.append(0x0A) }
            out += Array(definition.text.utf8)
            return MasterCF(bytes: out)
        case .setMain, .removeMain, .commentOutMain:
            throw ConfigError.editNotApplicable("\(edit.summary) is a main.cf edit")
        }
    }
}

import Foundation

extension MasterCF {
    /// A master.cf service entry to add: the eight columns and its `-o` overrides. Its JSON (the fix journal)
    /// keeps the columns beside `overrides`, as when they were fields of their own.
    @dynamicMemberLookup
    public struct ServiceDefinition: Sendable, Equatable, Hashable, Codable {
        public struct Setting: Sendable, Equatable, Hashable, Codable {
            public var name: String
            public var value: String
            public init(name: String, value: String) { self.name = name; self.value = value }
        }
        public var columns: Columns
        public var overrides: [Setting]

        public init(name: String, type: String = "inet", privateField: String = "n", unprivileged: String = "-", chroot: String = "-",
                    wakeup: String = "-", maxproc: String = "-", command: String, overrides: [Setting] = []) {
            columns = Columns(name: name, type: type, privateField: privateField, unprivileged: unprivileged, chroot: chroot,
                              wakeup: wakeup, maxproc: maxproc, command: command)
            self.overrides = overrides
        }

        public subscript<Value>(dynamicMember column: WritableKeyPath<Columns, Value>) -> Value {
            get { columns[keyPath: column] }
            set { columns[keyPath: column] = newValue }
        }
        public subscript<Value>(dynamicMember column: KeyPath<Columns, Value>) -> Value { columns[keyPath: column] }

        enum CodingKeys: String, CodingKey { case overrides }
        public init(from decoder: Decoder) throws {
            columns = try Columns(from: decoder)
            overrides = try decoder.container(keyedBy: CodingKeys.self).decode([Setting].self, forKey: .overrides)
        }
        public func encode(to encoder: Encoder) throws {
            try columns.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(overrides, forKey: .overrides)
        }

        func validate() throws {
            let fields = columns.all
            if fields.contains(where: { $0.isEmpty || $0.contains(where: { $0.isWhitespace || $0 == "#" }) }) {
                throw ConfigError.editNotApplicable("a master.cf service field is empty or contains blanks: \(fields.joined(separator: " "))")
            }
            for setting in overrides { try validateValue(setting.value, name: setting.name) }
        }

        /// The entry as master.cf lines, aligned like Postfix's own master.cf, one `-o` per line.
        public var text: String {
            func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }
            let c = columns
            var line = pad(c.name, 10) + pad(c.type, 6) + [c.privateField, c.unprivileged, c.chroot, c.wakeup, c.maxproc].map { pad($0, 8) }.joined() + c.command
            for setting in overrides {
                line += "\n  " + MasterCF.overrideText(name: setting.name, value: setting.value.trimmingCharacters(in: .whitespaces))
            }
            return line + "\n"
        }
    }
}
