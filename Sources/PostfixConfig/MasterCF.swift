/// A master.cf file, parsed the way `postconf -M/-P` reads it and kept byte for byte.
public struct MasterCF: LosslessDocument {
    /// A `-o name=value` override of one service.
    public struct Override: PostfixSettingValue, Sendable, Equatable {
        public var name: String
        /// The value as Postfix stores it (from `-o name=value` or `-o { name = value }`).
        public var rawValue: String
        /// 1-based physical line of the `-o`.
        public var line: Int
        /// File byte range from the `-o` through the end of its value.
        public var byteRange: Range<Int>
    }

    /// The eight columns of a service entry, as master.cf writes them (`-` for the default).
    public struct Columns: Sendable, Equatable, Hashable, Codable {
        /// Service name field, e.g. `smtp`, `submission`, `127.0.0.1:10025`.
        public var name: String
        /// `inet`, `unix`, `unix-dgram`, `fifo` or `pass`.
        public var type: String
        public var privateField: String
        public var unprivileged: String
        public var chroot: String
        public var wakeup: String
        public var maxproc: String
        /// The command, e.g. `smtpd`.
        public var command: String

        /// The columns in file order.
        public var all: [String] { [name, type, privateField, unprivileged, chroot, wakeup, maxproc, command] }
        /// `service/type`, Postfix's name for the entry.
        public var qualifiedName: String { "\(name)/\(type)" }
    }

    /// One service (one logical line).
    @dynamicMemberLookup
    public struct Service: Sendable, Equatable {
        public var columns: Columns
        /// Command arguments after option normalisation, `{}` extracted.
        public var arguments: [String]
        /// Every `-o` override with a valid `name=value`, in file order (duplicates included).
        public var overrides: [Override]
        public var line: Int
        public var lastLine: Int
        public var lineIndices: [Int]
        /// File offset just past the last option (or the command) where a new `-o` can be inserted.
        public var optionInsertOffset: Int

        /// Effective `-o` settings (last wins), as Postfix builds its per-service name space.
        public var parameters: [String: String] {
            var result: [String: String] = [:]
            for override in overrides { result[override.name] = override.rawValue }
            return result
        }

        public subscript<Value>(dynamicMember column: WritableKeyPath<Columns, Value>) -> Value {
            get { columns[keyPath: column] }
            set { columns[keyPath: column] = newValue }
        }
        public subscript<Value>(dynamicMember column: KeyPath<Columns, Value>) -> Value { columns[keyPath: column] }
    }

    public struct Problem: Error, Sendable, Equatable {
        public var line: Int
        public var message: String
        /// True when Postfix refuses the whole file (postconf and master stop with a fatal error).
        public var fatal: Bool
    }

    public let bytes: [UInt8]
    public let lines: [PhysicalLine]
    public let services: [Service]
    public let problems: [Problem]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
        let physical = LineSplitter.physicalLines(bytes)
        lines = physical
        var services: [Service] = []
        var problems: [Problem] = []
        for logical in LineSplitter.logicalLines(bytes, physical, wantOffsets: true) {
            let lineNumber = logical.firstLineNumber
            if logical.isOrphan {
                problems.append(Problem(line: lineNumber, message: "logical line must not start with whitespace; Postfix ignores it", fatal: false))
                continue
            }
            switch MasterCF.parseService(logical, physical: physical) {
            case .success(let service): services.append(service)
            case .failure(let problem): problems.append(problem)
            }
        }
        self.services = services
        self.problems = problems
    }

    /// Services whose name and type match, e.g. `service(named: "submission", type: "inet")`.
    public func service(named name: String, type: String = "inet") -> Service? {
        services.first { $0.name == name && $0.type == type }
    }

    // MARK: - Parsing

    private struct Token {
        var text: [UInt8]
        var start: Int   // index into the logical text
        var end: Int
    }

    /// mystrtokq(): split on blanks, but not inside balanced `{}`.
    private static func tokenize(_ text: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        var cursor = 0
        let end = text.count
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}")
        func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
        while cursor < end {
            while cursor < end && isBlank(text[cursor]) { cursor += 1 }
            if cursor == end { break }
            let start = cursor
            var level = 0
            while cursor < end {
                let byte = text[cursor]
                if byte == open { level += 1 }
                else if level > 0 && byte == close { level -= 1 }
                else if level == 0 && isBlank(byte) { break }
                cursor += 1
            }
            tokens.append(Token(text: Array(text[start..<cursor]), start: start, end: cursor))
        }
        return tokens
    }

    /// extpar() with EXTPAR_FLAG_STRIP: the text inside the outer `{}`, trimmed.
    static func extractBraces(_ text: [UInt8]) -> [UInt8] {
        guard text.first == UInt8(ascii: "{") else { return text }
        var level = 0
        var closeIndex: Int? = nil
        for (index, byte) in text.enumerated() {
            if byte == UInt8(ascii: "{") { level += 1 }
            else if byte == UInt8(ascii: "}") {
                level -= 1
                if level == 0 { closeIndex = index; break }
            }
        }
        // Unbalanced: Postfix keeps everything after the `{`; text after a balanced `}` is dropped.
        var inner = Array(text[1..<(closeIndex ?? text.count)])
        while let last = inner.last, isPostfixSpace(last) { inner.removeLast() }
        var first = 0
        while first < inner.count && isPostfixSpace(inner[first]) { first += 1 }
        inner.removeFirst(first)
        return inner
    }

    private static let validTypes: Set<String> = ["inet", "unix", "unix-dgram", "fifo", "pass"]

    /// The eight columns, decoded, when there are eight and type, private, unprivileged and chroot are valid.
    private static func serviceFields(_ tokens: [Token], line lineNumber: Int) -> Result<[String], Problem> {
        guard tokens.count >= 8 else {
            return .failure(Problem(line: lineNumber, message: "bad field count: a service needs 8 columns, found \(tokens.count)", fatal: true))
        }
        let fields = tokens.prefix(8).map { decodeText($0.text) }
        if !validTypes.contains(fields[1]) {
            return .failure(Problem(line: lineNumber, message: "invalid type field \"\(fields[1])\"", fatal: true))
        }
        for (index, label) in [(2, "private"), (3, "unprivileged"), (4, "chroot")] where !(fields[index].count == 1 && "yn-".contains(fields[index])) {
            return .failure(Problem(line: lineNumber, message: "invalid \(label) field \"\(fields[index])\"", fatal: true))
        }
        return .success(fields)
    }

    private static func parseService(_ logical: LogicalLine, physical: [PhysicalLine]) -> Result<Service, Problem> {
        let lineNumber = logical.firstLineNumber
        let tokens = tokenize(logical.text)
        let fields: [String]
        switch serviceFields(tokens, line: lineNumber) {
        case .success(let valid): fields = valid
        case .failure(let problem): return .failure(problem)
        }
        func offset(_ textIndex: Int) -> Int {
            if textIndex < logical.offsets.count { return logical.offsets[textIndex] }
            return (logical.offsets.last ?? 0) + 1
        }
        func endOffset(_ token: Token) -> Int { token.end > token.start ? offset(token.end - 1) + 1 : offset(token.start) }
        func physicalLineNumber(_ fileOffset: Int) -> Int {
            for index in logical.lineIndices where physical[index].start <= fileOffset && fileOffset <= physical[index].end {
                return index + 1
            }
            return lineNumber
        }

        // Normalise daemon options like pcf_normalize_daemon_args(): "-stuffozz" splits at an
        // inner 'o' into "-stuff" "-ozz"; "-oname=value" becomes "-o" "name=value"; "{...}" is extracted.
        struct Arg { var text: [UInt8]; var token: Int }
        var args: [Arg] = tokens.enumerated().dropFirst(8).map { Arg(text: $0.element.text, token: $0.offset) }
        var overrides: [Override] = []
        var insertAfterToken = 7
        var field = 0
        while field < args.count {
            let arg = args[field].text
            if arg.first != UInt8(ascii: "-") || arg == Array("--".utf8) { break }
            if arg.count > 2, let inner = arg.indices.dropFirst(2).first(where: { arg[$0] == UInt8(ascii: "o") }) {
                args.insert(Arg(text: [UInt8(ascii: "-")] + arg[inner...], token: args[field].token), at: field + 1)
                args[field].text = Array(arg[..<inner])
            }
            let option = args[field].text
            insertAfterToken = args[field].token
            guard option.count >= 2, option[1] == UInt8(ascii: "o") else { field += 1; continue }
            var valueIndex: Int? = nil
            if option.count > 2 {
                args.insert(Arg(text: Array(option[2...]), token: args[field].token), at: field + 1)
                args[field].text = Array(option[..<2])
                valueIndex = field + 1
            } else if field + 1 < args.count {
                valueIndex = field + 1
            }
            if let valueIndex {
                var value = args[valueIndex].text
                if value.first == UInt8(ascii: "{") {
                    value = extractBraces(value)
                    if case .success(let ranges) = splitNameValue(value) {
                        value = Array(value[ranges.name]) + [UInt8(ascii: "=")] + Array(value[ranges.value])
                    }
                    args[valueIndex].text = value
                }
                if case .success(let ranges) = splitNameValue(value) {
                    let first = tokens[args[field].token], last = tokens[args[valueIndex].token]
                    let start = offset(first.start)
                    overrides.append(Override(name: decodeText(value[ranges.name]), rawValue: decodeText(value[ranges.value]),
                                              line: physicalLineNumber(start), byteRange: start..<endOffset(last)))
                }
                insertAfterToken = args[valueIndex].token
                field = valueIndex + 1
            } else {
                field += 1
            }
        }
        for index in field..<args.count where args[index].text.first == UInt8(ascii: "{") {
            args[index].text = extractBraces(args[index].text)
        }
        let columns = Columns(name: fields[0], type: fields[1], privateField: fields[2], unprivileged: fields[3], chroot: fields[4],
                              wakeup: fields[5], maxproc: fields[6], command: fields[7])
        let service = Service(
            columns: columns, arguments: args.map { decodeText($0.text) }, overrides: overrides,
            line: lineNumber, lastLine: logical.lastLineNumber, lineIndices: logical.lineIndices,
            optionInsertOffset: endOffset(tokens[insertAfterToken]))
        return .success(service)
    }
}
