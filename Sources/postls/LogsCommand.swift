import ArgumentParser
import ByteSources
import Foundation
import MailLog
import PostlsCore

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Read mail logs and classify TLS failures by cause.",
        discussion: """
            Without FILE, reads the system's mail logs (/var/log/mail.log, /var/log/maillog, Postfix's \
            maillog_file), rotated and gzip-compressed ones included, oldest first. '-' reads standard input. \
            Pasted fragments (lines without timestamp or host) work too. Failed sessions that were postls's own \
            earlier probes (TLS versions a probe tried on purpose; known from the probe record, \
            /var/lib/postls/probes.jsonl or $POSTLS_PROBE_RECORD) are not counted as failures but reported apart \
            (own_probes); --include-own-probes counts them. With --follow, --json prints one event object a line \
            and no summary.
            """ + " " + JSONOption.schema("logs"))

    @Argument(help: "Log files (plain or .gz); '-' for standard input.")
    var files: [String] = []

    @Flag(name: .long, help: "Read the systemd journal (journalctl) instead of files.")
    var journal = false

    @Option(name: .long, help: "Only lines logged since TIME: 2024-04-03, 2024-04-03T07:00:00Z, or an age like 12h, 7d.")
    var since: String?

    @Flag(name: .long, help: "Keep reading as the log grows (follows rotation); prints events as they happen.")
    var follow = false

    @Option(name: .long, help: "Postfix configuration directory, for finding maillog_file.")
    var configDir: String?

    @Flag(name: .customLong("include-own-probes"),
          help: "Count failed sessions that were postls's own earlier probes (from the probe record) as failures too.")
    var includeOwnProbes = false

    @OptionGroup var format: JSONOption

    func run() throws {
        var options = LogAnalyzerOptions()
        // postls's own probes (TLS 1.0/1.1 tried on purpose and refused...) are logged like peers' failures.
        options.ownProbes = ProbeRecordWiring.matcher(configDirectory: configDir)
        options.includeOwnProbes = includeOwnProbes
        if follow {
            // A diagnosis run while this follows the log writes its windows after this read began.
            let directory = configDir
            options.reloadOwnProbes = { ProbeRecordWiring.matcher(configDirectory: directory) }
        }
        if let since {
            guard let date = SinceParser.parse(since) else {
                throw ValidationError("--since \(since): not a date (2024-04-03, 2024-04-03T07:00:00Z) or an age (12h, 7d)")
            }
            options.since = date
        }
        let out = StandardOutput()
        var text = LogTextReport()
        let json = format.json
        let writer: LogJSONWriter? = json && !follow ? LogJSONWriter(writeBytes: { out.write(bytes: $0) }) : nil
        let analyzer = LogAnalyzer(options: options) { event in
            if follow {
                if json { out.write(LogJSONWriter.json(event) + "\n") }
                else { out.write("\(event.timeText)  \(event.cause.rawValue)  \(event.service ?? event.program)  \(event.peer.map { "\($0.name)[\($0.address)]" } ?? "-")\n") }
                out.flush()
            } else if let writer { writer.add(event) }
            else { text.add(event) }
        }

        var paths = files
        if journal {
            try readJournal(into: analyzer, since: options.since)
        } else {
            if paths.isEmpty {
                paths = LogDiscovery().discover(configDirectory: configDir)
                if paths.isEmpty {
                    FileHandle.standardError.write(Data("postls: no mail log found (/var/log/mail.log, /var/log/maillog, maillog_file); name a file, '-' for standard input, or use --journal\n".utf8))
                    throw ExitCode(PostlsCore.ExitCode.inputUnreadable.rawValue)
                }
            }
            var unreadable = false
            for (index, path) in paths.enumerated() {
                if path == "-" {
                    analyzer.read(source: FileByteSource(borrowing: 0, name: "-"))
                    continue
                }
                do {
                    if follow && index == paths.count - 1 {
                        try analyzer.read(path: path)
                        let source = try FollowingFileSource(path: path)
                        analyzer.read(source: source)
                    } else {
                        try analyzer.read(path: path)
                    }
                } catch {
                    FileHandle.standardError.write(Data("postls: \(error)\(Privileges.hint(error, "reading mail logs needs root or group adm"))\n".utf8))
                    unreadable = true
                }
            }
            if unreadable && paths.count == files.count && !files.isEmpty {
                finishOutput(analyzer: analyzer, writer: writer, text: text, out: out)
                throw ExitCode(PostlsCore.ExitCode.inputUnreadable.rawValue)
            }
        }
        let summary = finishOutput(analyzer: analyzer, writer: writer, text: text, out: out)
        for w in summary.warnings { FileHandle.standardError.write(Data("postls: warning: \(w)\n".utf8)) }
        let code = Self.exitCode(summary)
        if code != .ok { throw ExitCode(code.rawValue) }
    }

    /// Postfix's messages from the journal (mail facility), followed with `--follow`.
    private func readJournal(into analyzer: LogAnalyzer, since: Date?) throws {
        var args = ["--no-pager", "-o", "short-iso", "SYSLOG_FACILITY=2"]
        if follow { args.append("-f") }
        if let date = since {
            // journalctl takes "YYYY-MM-DD HH:MM:SS UTC"; our ISO form with the T and Z replaced.
            let iso = LogJSONWriter.isoString(date)
            args += ["--since", iso.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")]
        }
        if !Privileges.canReadSystemJournal {
            // journalctl does not fail for an ordinary user: it quietly shows only that user's own messages.
            FileHandle.standardError.write(Data("postls: note: as user \(Privileges.userName), journalctl shows only that user's own messages, not Postfix's; reading the mail log from the journal needs root or membership in \(Privileges.journalGroups.joined(separator: ", ")) (run postls as root, e.g. with sudo)\n".utf8))
        }
        do {
            let source = try CommandByteSource(executable: "journalctl", arguments: args)
            analyzer.read(source: source)
        } catch {
            FileHandle.standardError.write(Data("postls: \(error)\n".utf8))
            throw ExitCode(PostlsCore.ExitCode.inputUnreadable.rawValue)
        }
    }

    @discardableResult
    private func finishOutput(analyzer: LogAnalyzer, writer: LogJSONWriter?, text: LogTextReport, out: StandardOutput) -> LogSummary {
        let summary = analyzer.finish()
        if let writer { writer.finish(summary) }
        else if !follow { out.write(text.render(summary)) }
        out.flush()
        return summary
    }

    /// 2 when TLS is broken outright (a process or Dovecot could not set TLS up), 1 for other failures, 0 for none.
    static func exitCode(_ s: LogSummary) -> PostlsCore.ExitCode {
        let critical: Set<Cause> = [.certificateUnreadable, .keyMismatch, .starttlsUnavailable, .unsupportedSetting]
        if s.byCause.keys.contains(where: critical.contains) { return .critical }
        return s.events > 0 ? .warnings : .ok
    }
}

/// Buffered standard output: one write(2) per 64 KB instead of per event.
final class StandardOutput {
    private var buffer: [UInt8] = []
    init() { buffer.reserveCapacity(1 << 16) }
    func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }
    func write(bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { flush() }
    }
    func flush() {
        buffer.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Foundation.write(1, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { if errno == EINTR { continue }; break }
                off += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
    deinit { flush() }
}
