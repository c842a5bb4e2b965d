import ArgumentParser
import Diagnosis
import Foundation
import PostfixConfig
import PostlsCore

/// `postls config`: main.cf + master.cf as Postfix reads them, the TLS settings of every smtpd
/// listener, and lint findings (docs/json/config.schema.json).
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Read main.cf and master.cf the way Postfix does and check their TLS settings.",
        discussion: "Exit status: 0 nothing wrong, 1 warnings, 2 critical problems, 66 main.cf could not be read. " + JSONOption.schema("config"))

    @Option(name: .long, help: "Postfix configuration directory (like postconf -c).")
    var configDir = "/etc/postfix"

    @OptionGroup var format: JSONOption

    @Flag(name: .long, help: "Also list every TLS-related parameter at its default.")
    var all = false

    @Option(name: .long, help: "Dovecot configuration file (default: /etc/dovecot/dovecot.conf when present and --config-dir is /etc/postfix).")
    var dovecotConfig: String?

    @OptionGroup var color: ColorOption

    @Flag(name: .long, help: .hidden)
    var timing = false

    func run() throws {
        let runner = SystemProcessRunner()
        let configuration: PostfixConfiguration
        var clock = PhaseClock(enabled: timing)
        do {
            let defaults = ParameterDefaults.load(runner: runner, cache: .standard())
            clock.mark("postconf -d")
            configuration = try PostfixConfiguration.load(directory: configDir, defaults: defaults)
            clock.mark("read + parse")
        } catch let error as ConfigError {
            CommandOutput.error("postls config: \(error)\(Privileges.hint(error, "reading it needs root"))")
            throw ArgumentParser.ExitCode(PostlsCore.ExitCode.inputUnreadable.rawValue)
        }
        var dovecot: DovecotConfig? = nil
        let dovecotPath = DovecotDefault.configFile(explicit: dovecotConfig, postfixDirectory: configDir)
        if let dovecotPath {
            do { dovecot = try DovecotConfig(path: dovecotPath) } catch {
                CommandOutput.error("postls config: \(error)\(Privileges.hint(error, "reading it needs root"))")
                // Only a file named on the command line is an unreadable input; the default is optional.
                if dovecotConfig != nil { throw ArgumentParser.ExitCode(PostlsCore.ExitCode.inputUnreadable.rawValue) }
            }
        }
        var context = LintContext(configuration: configuration, cipherEvaluator: OpenSSLCipherEvaluator(runner: runner), dovecot: dovecot)
        context.dovecotValidation = dovecot?.validate(runner: runner, cache: .standard())
        if dovecot != nil { context.dovecotVersion = DovecotConfig.installedVersion(runner: runner, cache: .standard()) }
        // Cipher lists are evaluated by the openssl command; time it apart from the in-process rules.
        var findings = Linter(rules: Linter.standardRules.filter { !($0 is CipherRule) }).run(context)
        clock.mark("lint")
        findings = (findings + Linter(rules: [CipherRule()]).run(context)).sortedForReport()
        clock.mark("cipher lists (openssl ciphers)")
        let report = ConfigReport(configuration: configuration, findings: findings, includeDefaults: all, dovecot: dovecot)
        clock.mark("expand (report)")
        if format.json {
            try CommandOutput.write(json: report)
            clock.mark("JSON")
        } else {
            CommandOutput.write(text: report.text(color: color.useColor))
        }
        clock.report()
        try CommandOutput.exit(report.exitCode)
    }
}

/// `--timing`: phase durations on stderr, for scripts/bench-config.sh.
struct PhaseClock {
    let enabled: Bool
    var last = DispatchTime.now().uptimeNanoseconds
    var lines: [String] = []
    init(enabled: Bool) { self.enabled = enabled }
    mutating func mark(_ phase: String) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        lines.append(String(format: "%@: %.2f ms", phase, Double(now - last) / 1e6))
        last = now
    }
    func report() {
        guard enabled else { return }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
