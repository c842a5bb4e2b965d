import ArgumentParser
import Diagnosis
import Foundation
import PostlsCore
import PostlsWizard
import WizardCore

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a support-ticket report: versions, listeners, findings, probe, log summary, diagnoses and fixes.",
        discussion: """
            Gathers like `postls diagnose` and writes Markdown (or JSON with --format json) to stdout or --output FILE \
            (created with mode 0600). --redact replaces host names, domains, IP addresses and mail addresses with \
            consistent placeholders (host1.example, domain1.example, 192.0.2.1, 2001:db8::1, user1@domain1.example). \
            Private key material is never included, with or without --redact. \
            --bundle FILE writes a support bundle instead (schema: docs/json/bundle.schema.json): everything the wizard \
            shows (findings, settings, probe results, log totals and events, up to 200 a cause, diagnoses, fixes with \
            diffs, main.cf and master.cf, the DNS step with --domain, senders' reports with --tlsrpt) and the fix journal's \
            applies and rollbacks; `postls open FILE` shows it in the \
            wizard, read-only. With --redact the same placeholders as the report's.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case markdown, json }

    @OptionGroup var gather: GatherArguments

    @Option(name: .long, help: "markdown or json (schema: docs/json/report.schema.json).")
    var format: Format = .markdown

    @Flag(name: .long, help: "Replace host names, domains, addresses and mail addresses with placeholders.")
    var redact = false

    @Option(name: .long, help: "Write the report to this file (mode 0600) instead of stdout.")
    var output: String?

    @Option(name: .long, help: ArgumentHelp("Write a support bundle for `postls open` to this file (mode 0600) instead of a report.", valueName: "file"))
    var bundle: String?

    func run() throws {
        let gathered = gather.gather()
        if let bundle {
            try writeBundle(gathered, to: bundle)
            let code = gathered.report.exitCode
            if code != .ok { throw ArgumentParser.ExitCode(code.rawValue) }
            return
        }
        let data: Data
        // The same Dovecot the diagnosis read (DovecotDefault): not the machine's for another --config-dir.
        let dovecot = gather.effectiveDovecotConfig
        switch format {
        case .markdown: data = Data(SupportReport.markdown(gathered: gathered, redact: redact, dovecotConfig: dovecot).utf8)
        case .json: data = try SupportReport.json(gathered: gathered, redact: redact, dovecotConfig: dovecot) + Data("\n".utf8)
        }
        if let output {
            do { try ReportCommand.write(data, to: output) } catch {
                FileHandle.standardError.write(Data("postls report: cannot write \(output): \(error)\n".utf8))
                throw ArgumentParser.ExitCode(PostlsCore.ExitCode.internalError.rawValue)
            }
            FileHandle.standardError.write(Data("postls report: wrote \(output)\n".utf8))
        } else {
            FileHandle.standardOutput.write(data)
        }
        let code = gathered.report.exitCode
        if code != .ok { throw ArgumentParser.ExitCode(code.rawValue) }
    }

    private func writeBundle(_ gathered: Gathered, to path: String) throws {
        do {
            let made = try BundleWriter.bundle(gathered, options: gather.options, hostName: WizardLauncher.hostName(configDirectory: gather.configDir),
                                               redact: redact)
            try ReportCommand.write(made.encoded(), to: path)
        } catch {
            FileHandle.standardError.write(Data("postls report: cannot write the bundle \(path): \(error)\n".utf8))
            throw ArgumentParser.ExitCode(PostlsCore.ExitCode.internalError.rawValue)
        }
        FileHandle.standardError.write(Data("postls report: wrote \(path)\(redact ? " (redacted)" : ""); open it with `postls open \(path)`\n".utf8))
    }

    /// A new file beside the target, mode 0600, renamed over it: a report may still name internal paths.
    static func write(_ data: Data, to path: String) throws {
        let temporary = path + ".postls-tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var ok = true
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, base + offset, raw.count - offset)
                if n <= 0 { if errno == EINTR { continue }; ok = false; break }
                offset += n
            }
        }
        if fsync(fd) != 0 { ok = false }
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            let e = errno
            unlink(temporary)
            throw POSIXError(POSIXErrorCode(rawValue: e) ?? .EIO)
        }
    }
}
