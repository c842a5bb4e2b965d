import CursesTerminal
import Diagnosis
import Foundation
import PostfixConfig
import PostlsCore
import TerminalUI
import WizardCore

/// Starts the wizard on a terminal with the real engines behind it.
public enum WizardLauncher {
    /// `wrapEffects` puts something in front of the engines; only the crash tests' binary does (a crash on demand).
    public static func run(options: GatherOptions, setupOptions: SetupOptions? = nil, hostName: String, noColor: Bool, fixLoop: FixLoop? = nil,
                           wrapEffects: (WizardEffectHandler) -> WizardEffectHandler = { $0 }) throws -> Int32 {
        let env = ProcessInfo.processInfo.environment
        var state = WizardState(hostName: hostName, configDirectory: options.configDirectory, size: TerminalSize(width: 80, height: 24))
        // `--domain`: the DNS step checks it from the start, as `postls diagnose --domain` does.
        state.dns.domain = options.domain
        let handler = wrapEffects(EngineEffectHandler(options: options, setupOptions: setupOptions, fixLoop: fixLoop))
        // The theme applies the one colour rule (ColorChoice) to the flag, NO_COLOR and the terminal's colours.
        let final = try CursesWizard.run(state, effects: handler, environment: env, noColor: noColor)
        if final.isHalfApplied {
            FileHandle.standardError.write(Data("postls: a change may be half applied; check with `postls fix rollback --config-dir \(options.configDirectory)`\n".utf8))
            return PostlsCore.ExitCode.warnings.rawValue
        }
        return 0
    }

    /// The wizard on a support bundle (`postls open`), read-only: the same screens, answered from the bundle.
    public static func open(_ bundle: WizardBundle, path: String, noColor: Bool) throws -> Int32 {
        var state = WizardState(hostName: bundle.hostName, configDirectory: bundle.configDirectory, size: TerminalSize(width: 80, height: 24))
        // The domain the customer's DNS step checked: checked again from the start, answered from the bundle.
        state.dns.domain = bundle.dns?.domain
        state.readOnly = ReadOnlySource(path: path, generated: bundle.generated, redacted: bundle.redacted, actions: bundle.actions.map(\.line))
        _ = try CursesWizard.run(state, effects: BundleEffectHandler(bundle: bundle), environment: ProcessInfo.processInfo.environment, noColor: noColor)
        return 0
    }

    /// The host name the wizard shows: myhostname from the configuration, else the system's.
    public static func hostName(configDirectory: String) -> String { DefaultHost.name(configDirectory: configDirectory) }
}
