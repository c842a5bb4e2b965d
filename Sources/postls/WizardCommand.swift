import ArgumentParser
import CursesTerminal
import Diagnosis
import Foundation
import PostlsCore
import PostlsWizard

/// `postls` alone: the wizard on a terminal; without one (a pipe, TERM=dumb) what `postls diagnose` prints.
struct WizardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wizard",
        abstract: "The interactive wizard (what `postls` alone runs): overview, config, probe, logs, fixes, apply, report, DNS (with --domain, or a domain from main.cf).",
        discussion: """
            Keys: arrows or hjkl move, Tab switches panes, Enter opens, Esc goes back, 1-8 jump to a step, \
            / searches the logs, s on the Overview starts first-time TLS setup (postls setup's plan and safe apply), \
            8 shows the DNS (--domain, or a mail domain of main.cf to choose), ? shows help on every screen, q quits (and asks if a change is half applied). \
            Without a terminal (piped, cron, TERM=dumb) it prints what `postls diagnose` prints and exits with its code.
            """)

    @OptionGroup var gather: GatherArguments

    @OptionGroup var color: ColorOption

    // First-time setup's places, as `postls setup` takes them.
    @OptionGroup var places: SetupPlaces

    func run() throws {
        let env = ProcessInfo.processInfo.environment
        if CursesWizard.terminalIsUsable(environment: env) {
            let code = try WizardLauncher.run(options: gather.options, setupOptions: places.options, hostName: WizardLauncher.hostName(configDirectory: gather.configDir),
                                              noColor: color.noColor)
            if code != 0 { throw ArgumentParser.ExitCode(code) }
            return
        }
        let gathered = gather.gather()
        let report = gathered.report
        CommandOutput.write(text: gathered.diagnoseText(color: color.useColor))
        try CommandOutput.exit(report.exitCode)
    }
}
