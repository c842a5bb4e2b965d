import Foundation
import PostlsCore

/// A support bundle: what the wizard holds once it has gathered (the rows of every step, the customer's
/// configuration files as the Config step shows them, the fix actions that were tried), written by
/// `postls report --bundle FILE` and the wizard's Report step, read by `postls open FILE`, which shows the same
/// screens read-only. Its JSON is docs/json/bundle.schema.json; `bundle_version` says which shape it has, and a
/// reader refuses another version rather than guess. Optional fields (`dns`, `sender_reports`) were added within
/// version 1: a bundle without them reads as one whose wizard had none, and a reader of version 1 ignores fields
/// it does not know, so adding an optional field never raises the version.
public struct WizardBundle: Codable, Sendable, Equatable {
    /// The `format` every bundle carries: how a reader tells a bundle from any other JSON.
    public static let formatName = "postls-bundle"
    /// The shape this postls writes and reads. Raised when a field changes meaning or goes away (or a new field is
    /// one a reader must understand); not for a new optional field.
    public static let currentVersion = 1
    /// Log events kept per cause: every group the Logs step shows is there, each up to this many events.
    public static let eventsPerCause = 200
    /// Larger files are refused before they are parsed.
    public static let maximumBytes = 64 << 20

    public var format: String
    public var bundleVersion: Int
    public var postlsVersion: String
    /// ISO 8601, when the bundle was written.
    public var generated: String
    public var redacted: Bool
    public var hostName: String
    public var configDirectory: String
    public var config: Config
    public var probe: Probe
    public var logs: Logs
    public var diagnoses: [DiagnosisRow]
    public var fixes: [FixRow]
    /// main.cf and master.cf (and any file a finding names that could be read), key material removed.
    public var files: [File]
    /// Fixes applied and rolled back: from the wizard session that wrote the bundle, and the fix journal on disk.
    public var actions: [Action]
    /// The DNS step: the mail domains to choose from and the domain checked, if one was (`--domain`, or the one
    /// checked in the wizard session). Nil in a bundle written before the DNS step was carried.
    public var dns: DNS?
    /// The Overview's "Reported by senders" (`--tlsrpt`); nil when no senders' reports were read.
    public var senderReports: SenderReportsRow?

    public struct DNS: Codable, Sendable, Equatable {
        /// The configuration's mail domains (mydomain, mydestination, virtual_mailbox_domains).
        public var candidates: [String]
        /// The checked domain's view; nil when none was checked.
        public var view: DNSView?
        /// Why the check of `domain` gave no view (no resolver); nil when it gave one or none was made.
        public var error: String?
        public var domain: String?
        public init(candidates: [String], view: DNSView?, domain: String? = nil, error: String? = nil) {
            self.candidates = candidates; self.view = view; self.domain = domain ?? view?.domain; self.error = error
        }
    }

    public struct Config: Codable, Sendable, Equatable {
        public var settings: [ConfigSettingRow]
        public var findings: [ConfigFindingRow]
        public init(settings: [ConfigSettingRow], findings: [ConfigFindingRow]) { self.settings = settings; self.findings = findings }
    }

    public struct Probe: Codable, Sendable, Equatable {
        public var listeners: [ListenerStatus]
        /// Why there are no results (not probed, OpenSSL could not be set up); nil when the probe ran.
        public var error: String?
        public init(listeners: [ListenerStatus], error: String?) { self.listeners = listeners; self.error = error }
    }

    public struct Logs: Codable, Sendable, Equatable {
        public var totals: LogTotals?
        /// Up to `eventsPerCause` events of each cause, in the log's order.
        public var events: [LogEventRow]
        /// How many events the log had before the bound.
        public var eventsTotal: Int
        public var error: String?

        enum CodingKeys: String, CodingKey { case totals, events, eventsTotal = "events_total", error }

        public init(totals: LogTotals?, events: [LogEventRow], eventsTotal: Int, error: String?) {
            self.totals = totals; self.events = events; self.eventsTotal = eventsTotal; self.error = error
        }

        /// Every event of a cause up to the bound: each group the Logs step shows keeps its first events.
        public static func bounded(_ all: [LogEventRow], perCause: Int = WizardBundle.eventsPerCause) -> [LogEventRow] {
            var kept: [Cause: Int] = [:]
            return all.filter { event in
                kept[event.cause, default: 0] += 1
                return kept[event.cause, default: 0] <= perCause
            }
        }
    }

    public struct File: Codable, Sendable, Equatable {
        public var path: String
        public var lines: [String]
        public init(path: String, lines: [String]) { self.path = path; self.lines = lines }
    }

    /// One thing done to the server: a fix applied (with its steps and the probe before and after) or a rollback.
    public struct Action: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable { case apply, rollback }
        /// Where the record comes from: "wizard" (this session saw it happen) or "journal" (the fix journal on disk).
        public var kind: Kind
        public var source: String
        public var time: String?
        public var fixID: String?
        public var journalID: String?
        public var succeeded: Bool
        public var message: String
        public var steps: [ApplyStepRow]
        public var before: [String]
        public var after: [String]
        /// The files the change wrote (or a rollback restored).
        public var files: [String]

        enum CodingKeys: String, CodingKey {
            case kind, source, time, fixID = "fix_id", journalID = "journal_id", succeeded, message, steps, before, after, files
        }

        public init(kind: Kind, source: String, time: String?, fixID: String?, journalID: String?, succeeded: Bool, message: String,
                    steps: [ApplyStepRow] = [], before: [String] = [], after: [String] = [], files: [String] = []) {
            self.kind = kind; self.source = source; self.time = time; self.fixID = fixID; self.journalID = journalID
            self.succeeded = succeeded; self.message = message; self.steps = steps; self.before = before; self.after = after
            self.files = files
        }

        /// One line for the Apply step of an opened bundle.
        public var line: String {
            let what = kind == .apply ? "applied \(fixID ?? journalID ?? "a fix")" : "rolled back \(journalID ?? fixID ?? "the last fix")"
            let outcome = succeeded ? "" : " (failed)"
            return "\(time.map { "\($0)  " } ?? "")\(what)\(outcome)\(message.isEmpty ? "" : ": \(message)")  [\(source)]"
        }
    }

    enum CodingKeys: String, CodingKey {
        case format, bundleVersion = "bundle_version", postlsVersion = "postls_version", generated, redacted
        case hostName = "host_name", configDirectory = "config_directory", config, probe, logs, diagnoses, fixes, files, actions
        case dns, senderReports = "sender_reports"
    }

    public init(generated: String, redacted: Bool = false, hostName: String, configDirectory: String, config: Config, probe: Probe,
                logs: Logs, diagnoses: [DiagnosisRow], fixes: [FixRow], files: [File], actions: [Action], dns: DNS? = nil,
                senderReports: SenderReportsRow? = nil) {
        format = Self.formatName
        bundleVersion = Self.currentVersion
        postlsVersion = PostlsVersion.string
        self.generated = generated; self.redacted = redacted; self.hostName = hostName; self.configDirectory = configDirectory
        self.config = config; self.probe = probe; self.logs = logs; self.diagnoses = diagnoses; self.fixes = fixes
        self.files = files; self.actions = actions; self.dns = dns; self.senderReports = senderReports
    }

    // MARK: Reading and writing

    /// Why a file is not a bundle this postls can open, said so a support person knows what to ask for.
    public enum ReadError: Error, CustomStringConvertible, Equatable {
        case tooLarge(Int)
        case notJSON(String)
        case notABundle
        case older(Int)
        case newer(Int)
        case malformed(String)

        public var description: String {
            switch self {
            case .tooLarge(let n): "\(n) bytes is larger than a bundle can be (\(WizardBundle.maximumBytes) bytes)"
            case .notJSON(let why): "not a postls bundle: the file is not JSON (\(why))"
            case .notABundle: "not a postls bundle: no \"format\": \"\(WizardBundle.formatName)\" field (a `postls report --format json` report is not a bundle; ask for `postls report --bundle FILE`)"
            case .older(let v): "bundle version \(v) is older than this postls reads (version \(WizardBundle.currentVersion)); open it with the postls that wrote it, or ask for a new bundle"
            case .newer(let v): "bundle version \(v) is newer than this postls reads (version \(WizardBundle.currentVersion)); open it with a newer postls"
            case .malformed(let why): "a damaged postls bundle: \(why)"
            }
        }
    }

    /// The header every version shares: read first, so another version is refused by its number, not by a decoding error.
    private struct Header: Decodable {
        var format: String?
        var bundleVersion: Int?
        enum CodingKeys: String, CodingKey { case format, bundleVersion = "bundle_version" }
    }

    public static func read(_ data: Data) throws(ReadError) -> WizardBundle {
        guard data.count <= maximumBytes else { throw .tooLarge(data.count) }
        do { _ = try JSONSerialization.jsonObject(with: data) } catch { throw .notJSON(Self.firstLine(error)) }
        guard let header = try? JSONDecoder().decode(Header.self, from: data), header.format == formatName else { throw .notABundle }
        guard let version = header.bundleVersion else { throw .malformed("no bundle_version") }
        if version < currentVersion { throw .older(version) }
        if version > currentVersion { throw .newer(version) }
        do { return try JSONDecoder().decode(WizardBundle.self, from: data) } catch let error as DecodingError {
            throw .malformed(Self.describe(error))
        } catch {
            throw .malformed(Self.firstLine(error))
        }
    }

    /// The bundle as the contract's JSON (ContractJSON: sorted keys, two-space indentation) and a newline.
    public func encoded() throws -> Data { try ContractJSON.line(self) }

    private static func firstLine(_ error: Error) -> String {
        let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
        return String(text.split(separator: "\n").first ?? "")
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return p.isEmpty ? "the top level" : String(p.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context)): field \(key.stringValue) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

// The log totals as the bundle writes them: causes as their ids.
extension LogTotals: Codable {
    enum CodingKeys: String, CodingKey {
        case linesRead = "lines_read", linesSkipped = "lines_skipped", byCause = "by_cause", tlsEstablished = "tls_established"
        case sources, ownProbes = "own_probes", outboundHops = "outbound_hops", outboundFailingHops = "outbound_failing_hops"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var byCause: [Cause: Int] = [:]
        for (id, count) in try c.decode([String: Int].self, forKey: .byCause) {
            guard let cause = Cause(rawValue: id) else {
                throw DecodingError.dataCorruptedError(forKey: .byCause, in: c, debugDescription: "unknown cause \(id)")
            }
            byCause[cause] = count
        }
        self.init(linesRead: try c.decode(Int.self, forKey: .linesRead), linesSkipped: try c.decode(Int.self, forKey: .linesSkipped),
                  byCause: byCause, tlsEstablished: try c.decode([String: Int].self, forKey: .tlsEstablished),
                  sources: try c.decode([String].self, forKey: .sources), ownProbes: try c.decode(Int.self, forKey: .ownProbes),
                  outboundHops: try c.decode(Int.self, forKey: .outboundHops),
                  outboundFailingHops: try c.decode(Int.self, forKey: .outboundFailingHops))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(fields: [
            .linesRead: linesRead, .linesSkipped: linesSkipped,
            .byCause: Dictionary(uniqueKeysWithValues: byCause.map { ($0.key.rawValue, $0.value) }),
            .tlsEstablished: tlsEstablished, .sources: sources, .ownProbes: ownProbes, .outboundHops: outboundHops,
            .outboundFailingHops: outboundFailingHops,
        ])
    }
}
