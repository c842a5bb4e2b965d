import CursesTerminal
import Diagnosis
import Foundation
import PostlsCore
import PostlsWizard
import TerminalUI
import WizardCore

/// `postls demo`: builds the demo server, runs the wizard on it (or prints the diagnosis without a terminal),
/// and removes it all at the end, also when SIGINT, SIGTERM or SIGHUP ends the process (`Termination` runs
/// the removal in a normal thread, not in the signal handler).
public enum DemoRun {
    /// The exit status. `wrapEffects`: see `WizardLauncher.run`.
    public static func run(print: Bool, json: Bool, noColor: Bool,
                           wrapEffects: (WizardEffectHandler) -> WizardEffectHandler = { $0 }) throws -> Int32 {
        Termination.onTermination { DemoEnvironment.removeAllBeforeExit() }
        defer { Termination.waitForTheEndIfPending() }
        let demo: DemoEnvironment
        do { demo = try DemoEnvironment() } catch {
            FileHandle.standardError.write(Data("postls demo: \(error)\n".utf8))
            return PostlsCore.ExitCode.internalError.rawValue
        }
        defer { demo.remove() }
        if !print && !json && CursesWizard.terminalIsUsable(environment: ProcessInfo.processInfo.environment) {
            return try WizardLauncher.run(options: demo.gatherOptions, hostName: demo.hostName, noColor: noColor,
                                          fixLoop: demo.fixLoop, wrapEffects: wrapEffects)
        }
        let gathered = Gatherer().gather(demo.gatherOptions)
        if json {
            FileHandle.standardOutput.write(try ContractJSON.line(gathered.report))
        } else {
            let color = ColorChoice.useColor(noColorFlag: noColor, environment: ProcessInfo.processInfo.environment,
                                             outputIsColorTerminal: isatty(STDOUT_FILENO) == 1)
            FileHandle.standardOutput.write(Data("postls demo: a broken demo server in \(demo.root) (removed when this ends)\n\n".utf8))
            FileHandle.standardOutput.write(Data(gathered.report.text(color: color).utf8))
        }
        return 0
    }
}
