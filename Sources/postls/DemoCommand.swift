import ArgumentParser
import CursesTerminal
import Diagnosis
import Foundation
import PostlsCore

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Try postls without a mail server: a broken demo configuration, its logs, and live TLS endpoints.",
        discussion: """
            Builds a demo server in a temporary directory (a Debian-style main.cf and master.cf with real TLS \
            mistakes, a day of mail-log lines, a private CA, and SMTP endpoints on loopback that serve what the \
            configuration says), runs postls on it, and removes it all at the end. Nothing outside the temporary \
            directory is touched. Fixes applied in the demo change the demo's files, and the next probe shows it. \
            --json prints the diagnosis without starting the wizard.
            """ + " " + JSONOption.schema("diagnose"))

    @Flag(name: .long, help: "Print the diagnosis instead of starting the wizard (the default without a terminal).")
    var print = false

    @OptionGroup var format: JSONOption

    @OptionGroup var color: ColorOption

    func run() throws {
        let demo: DemoEnvironment
        do { demo = try DemoEnvironment() } catch {
            FileHandle.standardError.write(Data("postls demo: \(error)\n".utf8))
            throw ArgumentParser.ExitCode(PostlsCore.ExitCode.internalError.rawValue)
        }
        defer { demo.remove() }
        // Installed before the wizard: its signal handlers restore the terminal, then hand the signal to
        // this one, which removes the demo directory.
        InterruptCleanup.install { DemoEnvironment.removeAll() }
        if !print && !format.json && CursesWizard.terminalIsUsable(environment: ProcessInfo.processInfo.environment) {
            let code = try WizardLauncher.run(options: demo.gatherOptions, hostName: demo.hostName, noColor: color.noColor,
                                              fixLoop: demo.fixLoop)
            if code != 0 { throw ArgumentParser.ExitCode(code) }
            return
        }
        let gathered = Gatherer().gather(demo.gatherOptions)
        if format.json {
            try CommandOutput.write(json: gathered.report)
        } else {
            CommandOutput.write(text: "postls demo: a broken demo server in \(demo.root) (removed when this ends)\n\n"
                                + gathered.report.text(color: color.useColor))
        }
    }
}

/// Removes a temporary tree when the user presses Ctrl-C or the session drops (SIGHUP), then exits
/// with the signal's conventional status.
enum InterruptCleanup {
    nonisolated(unsafe) private static var action: (() -> Void)?

    static func install(_ cleanup: @escaping () -> Void) {
        action = cleanup
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { received in
                InterruptCleanup.action?()
                _exit(128 + received)
            }
        }
    }
}
