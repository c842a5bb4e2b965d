import Foundation
import PostlsCore

/// Every parameter of Postfix with its built-in default, compiled in from Resources/postfix/ (the full
/// `postconf -d` of a Postfix release, and the list of TLS-related parameters with their side) by
/// scripts/generate-resources.py. Nothing is read from disk: the binary works wherever it is copied.
public struct ParameterCatalog: Sendable {
    public struct Parameter: Sendable, Codable, Equatable {
        public var name: String
        /// Built-in default, which may reference other parameters (`$smtpd_tls_cert_file`); nil when computed at run time.
        public var `default`: String?
        /// `server`, `client` or `common` for the TLS-related parameters; nil for the others.
        public var side: String?
        /// True for defaults Postfix computes on the machine (myhostname, mydomain, mynetworks).
        public var computed: Bool

        public init(name: String, default: String?, side: String? = nil, computed: Bool = false) {
            self.name = name; self.default = `default`; self.side = side; self.computed = computed
        }

        /// Listed by `postconf --all` and treated as TLS-related by the lint.
        public var isTLSRelated: Bool { side != nil }
    }

    /// The Postfix version the defaults were taken from.
    public let postfixVersion: String
    /// Every parameter, in `postconf -d` order.
    public let parameters: [Parameter]
    /// The TLS-related parameters, in the order of Resources/postfix/tls-parameters.txt.
    public let tlsParameters: [Parameter]
    private let byName: [String: Parameter]

    /// `tlsOrder` orders `tlsParameters` (the TLS list's order); without it they keep `parameters`' order.
    public init(postfixVersion: String, parameters: [Parameter], tlsOrder: [String]? = nil) {
        self.postfixVersion = postfixVersion
        self.parameters = parameters
        var map: [String: Parameter] = [:]
        for parameter in parameters { map[parameter.name] = parameter }
        byName = map
        tlsParameters = tlsOrder.map { order in order.compactMap { map[$0] }.filter(\.isTLSRelated) } ?? parameters.filter(\.isTLSRelated)
    }

    /// Parses a `postconf -d` capture (`name = value` lines; `@computed` marks a host-dependent default) and
    /// the TLS list (`NAME SIDE` lines), keeping the TLS list's order for the TLS-related parameters.
    public init(postfixVersion: String, postconfOutput: String, tlsParameterLines: String) {
        var sides: [String: String] = [:]
        var tlsOrder: [String] = []
        for line in tlsParameterLines.utf8.split(separator: UInt8(ascii: "\n")) {  // bytes: Characters cost milliseconds here
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count == 2 else { continue }
            let name = String(decoding: fields[0], as: UTF8.self)
            sides[name] = String(decoding: fields[1], as: UTF8.self); tlsOrder.append(name)
        }
        var parameters: [Parameter] = []
        for (name, value) in ParameterDefaults.parsePostconf(postconfOutput) {
            let computed = value == Self.computedMarker
            parameters.append(Parameter(name: name, default: computed ? nil : value, side: sides[name], computed: computed))
        }
        self.init(postfixVersion: postfixVersion, parameters: parameters, tlsOrder: tlsOrder)
    }

    /// `postconf -d` captures, oldest Postfix first: the version and the capture's `name = value` lines
    /// (host-dependent values are `@computed`), each later one rebuilt from the one before and its changes,
    /// its `lmtp_X = @smtp` lines read from their `smtp_X` twins (scripts/generate-resources.py checks that
    /// this gives the capture back).
    static let capturedDefaults: [(version: String, text: String)] = {
        // On bytes: rebuilding the captures with Substrings (Character indexing, hashing, `replacing`) was a
        // third of `postls config`'s whole run (perf record, 2026-12-07).
        typealias Line = ArraySlice<UInt8>
        func lines(_ text: String) -> [Line] { Array(text.utf8).split(separator: UInt8(ascii: "\n")) }
        func name(_ line: Line) -> Line { line.prefix { $0 != UInt8(ascii: " ") } }
        var current = lines(capturedBase.text)
        var out = [(capturedBase.version, unmirrorLMTP(current))]
        for change in capturedChanges {
            let removed = Set(lines(change.removed))
            var byName: [Line: Line] = [:]
            for line in current where !removed.contains(name(line)) { byName[name(line)] = line }
            for line in lines(change.changed) { byName[name(line)] = line }
            current = byName.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { byName[$0]! }
            out.append((change.version, unmirrorLMTP(current)))
        }
        return out
    }()

    /// The capture's text with each `lmtp_X = @smtp` line written out: Postfix's LMTP client is its SMTP
    /// client, so the default is `smtp_X`'s with `smtp_` read as `lmtp_` (`$smtp_tls_dcert_file` becomes
    /// `$lmtp_tls_dcert_file`).
    private static func unmirrorLMTP(_ lines: [ArraySlice<UInt8>]) -> String {
        let smtp = Array("smtp_".utf8), lmtp = Array("lmtp_".utf8), mirror = Array(" = @smtp".utf8)
        // The smtp_ lines by what follows "smtp_" in their name.
        var twins: [ArraySlice<UInt8>: ArraySlice<UInt8>] = [:]
        for line in lines where line.starts(with: smtp) {
            twins[line.dropFirst(smtp.count).prefix { $0 != UInt8(ascii: " ") }] = line
        }
        var out: [UInt8] = []
        out.reserveCapacity(lines.reduce(0) { $0 + $1.count + 1 } + 8192)
        for (i, line) in lines.enumerated() {
            if i > 0 { out.append(UInt8(ascii: "\n")) }
            let suffix = line.dropFirst(lmtp.count).prefix { $0 != UInt8(ascii: " ") }
            guard line.starts(with: lmtp), line.dropFirst(lmtp.count + suffix.count).elementsEqual(mirror),
                  let twin = twins[suffix] else { out += line; continue }
            // "lmtp_" + the twin after its "smtp_", every "smtp_" in it read as "lmtp_".
            out += lmtp
            var rest = twin.dropFirst(smtp.count)
            while !rest.isEmpty {
                if rest.starts(with: smtp) { out += lmtp; rest = rest.dropFirst(smtp.count) } else { out.append(rest.first!); rest = rest.dropFirst() }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// What a capture holds instead of a value Postfix computes on the host.
    static let computedMarker = "@computed"

    /// The compiled-in catalogue: the newest Postfix release captured in Resources/postfix/.
    public static let bundled: ParameterCatalog = {
        let newest = capturedDefaults[capturedDefaults.count - 1]
        return ParameterCatalog(postfixVersion: newest.version, postconfOutput: newest.text, tlsParameterLines: tlsParameterLines)
    }()

    /// The Postfix releases captured in Resources/postfix/, oldest first.
    public static var capturedVersions: [String] { capturedDefaults.map(\.version) }

    /// Every captured catalogue, oldest first (parsed on first use: only `bundled` is needed at start-up).
    public static let captured: [ParameterCatalog] = capturedDefaults.map {
        $0.version == bundled.postfixVersion ? bundled
            : ParameterCatalog(postfixVersion: $0.version, postconfOutput: $0.text, tlsParameterLines: tlsParameterLines)
    }

    /// The defaults of the Postfix release `version`, for when its `postconf -d` cannot be run: the newest
    /// capture not newer than it (3.8 gets 3.7's), or the oldest capture for a release older than all.
    public static func forVersion(_ version: PostfixVersion) -> ParameterCatalog {
        captured.last { PostfixVersion($0.postfixVersion).map { $0 <= version } ?? false } ?? captured[0]
    }

    public func parameter(_ name: String) -> Parameter? { byName[name] }
    public func contains(_ name: String) -> Bool { byName[name] != nil }
    /// True when `name` is listed as TLS-related (Resources/postfix/tls-parameters.txt).
    public func isTLSRelated(_ name: String) -> Bool { byName[name]?.isTLSRelated ?? false }
}

/// Built-in defaults of every parameter Postfix knows. With a real `postconf`, `postconf -d` is the
/// ground truth; otherwise the compiled-in catalogue stands in.
public struct ParameterDefaults: Sendable {
    /// Raw default values (before `$name` expansion).
    public var values: [String: String]
    /// Where the values came from, e.g. "postconf -d (Postfix 3.7.11)" or "built-in catalog (Postfix 3.7.11)".
    public var origin: String
    /// This machine's host name, for Postfix's computed myhostname default.
    public var hostName: String?
    /// This machine's interface addresses, for Postfix's computed mynetworks default (which depends on
    /// mynetworks_style, hence on compatibility_level); nil keeps the `mynetworks` of `values`.
    public var interfaces: [InterfaceAddress]?

    public init(values: [String: String], origin: String, hostName: String? = nil, interfaces: [InterfaceAddress]? = nil) {
        self.values = values; self.origin = origin; self.hostName = hostName; self.interfaces = interfaces
    }

    /// Defaults from the bundled catalog only.
    public static func catalog(_ catalog: ParameterCatalog = .bundled, hostName: String? = nil,
                               interfaces: [InterfaceAddress]? = nil) -> ParameterDefaults {
        var values: [String: String] = [:]
        for parameter in catalog.parameters { if let value = parameter.default { values[parameter.name] = value } }
        if let hostName {
            values["myhostname"] = hostName.contains(".") ? hostName : hostName + ".localdomain"
        }
        return ParameterDefaults(values: values, origin: "built-in catalog (Postfix \(catalog.postfixVersion))", hostName: hostName,
                                 interfaces: interfaces)
    }

    /// Runs `postconf -d` and parses its output. Throws when postconf is missing or fails.
    /// With a `cache`, the output of an earlier run is used while postconf, its configuration files and the
    /// host (name, addresses) are unchanged.
    public static func fromPostconf(runner: ProcessRunner, executable: String = "postconf",
                                    cache: CommandOutputCache = .disabled) throws -> ParameterDefaults {
        let run = {
            let output = try runner.run(executable, ["-d"], timeout: 30)
            guard output.succeeded else { throw ConfigError.postconfFailed(arguments: ["-d"], message: output.stderr) }
            return output.stdout
        }
        let stdout: String
        if cache.directory != nil, let key = postconfDefaultsKey(executable: executable) {
            stdout = try cache.output(name: "postconf-d", key: key, compute: run)
        } else {
            stdout = try run()
        }
        var values: [String: String] = [:]
        for (name, value) in parsePostconf(stdout) { values[name] = value }
        // TLS parameters postconf does not know (older Postfix) still get a default.
        for parameter in ParameterCatalog.bundled.tlsParameters where values[parameter.name] == nil {
            if let value = parameter.default { values[parameter.name] = value }
        }
        let version = values["mail_version"] ?? "?"
        return ParameterDefaults(values: values, origin: "postconf -d (Postfix \(version))", hostName: ProcessInfo.processInfo.hostName,
                                 interfaces: InterfaceAddress.current())
    }

    /// The `name = value` lines of `postconf` output (`name =` for an empty value), in order; other lines are
    /// skipped. Works on the UTF-8 bytes: Character-wise splitting and Foundation's `range(of:)` made parsing
    /// postconf -d's thousand lines take milliseconds.
    public static func parsePostconf(_ text: String) -> [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            if end > start && bytes[start] != UInt8(ascii: "#") {
                // The first " = ", or a line ending in " =".
                var i = start
                while i + 2 < end && !(bytes[i] == 0x20 && bytes[i + 1] == UInt8(ascii: "=") && bytes[i + 2] == 0x20) { i += 1 }
                if i + 2 < end {
                    pairs.append((String(decoding: bytes[start..<i], as: UTF8.self), String(decoding: bytes[(i + 3)..<end], as: UTF8.self)))
                } else if end - start >= 2 && bytes[end - 2] == 0x20 && bytes[end - 1] == UInt8(ascii: "=") {
                    pairs.append((String(decoding: bytes[start..<(end - 2)], as: UTF8.self), ""))
                }
            }
            start = end + 1
        }
        return pairs
    }

    /// `postconf -d` when it works, the bundled catalog otherwise.
    public static func load(runner: ProcessRunner, cache: CommandOutputCache = .disabled) -> ParameterDefaults {
        (try? fromPostconf(runner: runner, cache: cache)) ?? catalog(hostName: ProcessInfo.processInfo.hostName, interfaces: InterfaceAddress.current())
    }

    /// Everything `postconf -d`'s output depends on: the program, the configuration directory it reads
    /// (master.cf names services whose parameters it lists; MAIL_CONFIG moves it), and the host. Nil when
    /// the program cannot be found (then postconf is run, and fails, as without a cache).
    static func postconfDefaultsKey(executable: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let path = findExecutable(executable) else { return nil }
        let directory = environment["MAIL_CONFIG"] ?? "/etc/postfix"
        var lines = ["postconf -d", "program " + CommandOutputCache.identity(of: path), "MAIL_CONFIG=\(environment["MAIL_CONFIG"] ?? "")"]
        for file in ["main.cf", "master.cf", "dynamicmaps.cf", "dynamicmaps.cf.d", "postfix-files", "postfix-files.d"] {
            lines.append("config " + CommandOutputCache.identity(of: directory + "/" + file))
        }
        lines.append(CommandOutputCache.hostFacts())
        return lines.joined(separator: "\n")
    }
}
