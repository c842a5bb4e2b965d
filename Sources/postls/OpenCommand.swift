import ArgumentParser
import CursesTerminal
import Foundation
import PostlsCore
import PostlsWizard
import WizardCore

/// `postls open FILE`: the wizard on a support bundle, read-only, for the support desk.
struct OpenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Show a support bundle (`postls report --bundle FILE`) in the wizard, read-only: every screen as the customer saw it.",
        discussion: """
            Nothing on this machine is read or changed: the configuration, probe results, log events, diagnoses and \
            fixes (with their diffs) are the bundle's, and Apply, rollback, probing again and writing a report are \
            disabled (the screen says read-only). The Apply step lists the applies and rollbacks the bundle records. \
            A bundle of another version (older or newer than this postls writes), a file that is not a bundle and a \
            damaged one are refused with the reason (exit 66). Without a usable terminal it prints the bundle's diagnoses. \
            The bundle's format: docs/json/bundle.schema.json.
            """)

    @Argument(help: ArgumentHelp("The bundle to show.", valueName: "file"))
    var file: String

    @OptionGroup var color: ColorOption

    func run() throws {
        let bundle: WizardBundle
        do {
            bundle = try WizardBundle.read(OpenCommand.contents(of: file))
        } catch {
            FileHandle.standardError.write(Data("postls open: \(file): \(OpenCommand.describe(error))\n".utf8))
            throw ArgumentParser.ExitCode(PostlsCore.ExitCode.inputUnreadable.rawValue)
        }
        if CursesWizard.terminalIsUsable(environment: ProcessInfo.processInfo.environment) {
            let code = try WizardLauncher.open(bundle, path: file, noColor: color.noColor)
            if code != 0 { throw ArgumentParser.ExitCode(code) }
            return
        }
        CommandOutput.write(text: OpenCommand.text(bundle, path: file))
    }

    struct Unreadable: Error { var reason: String }

    /// The file's bytes; a directory, a missing file and one larger than a bundle can be are refused before reading.
    static func contents(of path: String) throws -> Data {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Unreadable(reason: String(cString: strerror(errno))) }
        if info.st_mode & S_IFMT == S_IFDIR { throw Unreadable(reason: "it is a directory") }
        if info.st_size > WizardBundle.maximumBytes { throw WizardBundle.ReadError.tooLarge(Int(info.st_size)) }
        guard let data = FileManager.default.contents(atPath: path) else { throw Unreadable(reason: "permission denied or not a regular file") }
        return data
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? WizardBundle.ReadError { return e.description }
        if let e = error as? Unreadable { return "cannot read it: \(e.reason)" }
        return "cannot read it: \(error)"
    }

    /// The bundle's diagnoses as text, for a pipe: one line a diagnosis, then its evidence.
    static func text(_ b: WizardBundle, path: String) -> String {
        var out = "postls bundle \(path): \(b.hostName), written \(b.generated)\(b.redacted ? " (redacted)" : "") by postls \(b.postlsVersion)\n"
        out += "\(b.probe.listeners.count) listeners probed, \(b.config.findings.count) config findings, \(b.logs.eventsTotal) log events\n\n"
        for d in b.diagnoses {
            out += "\(d.severity.rawValue.uppercased())  \(d.cause.rawValue): \(d.summary)\n"
            for line in d.evidence { out += "    \(line)\n" }
        }
        if b.diagnoses.isEmpty { out += "No problems found.\n" }
        if let view = b.dns?.view { out += "\nDNS of \(view.domain): \(view.findings.count) problem\(view.findings.count == 1 ? "" : "s")\n" }
        if let senders = b.senderReports { out += "\nReported by senders: \(senders.headline)\n" + senders.lines.map { "    \($0)\n" }.joined() }
        for a in b.actions { out += "\n\(a.line)" }
        return out + (b.actions.isEmpty ? "" : "\n")
    }
}
