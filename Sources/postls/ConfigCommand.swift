import ArgumentParser
import Foundation
import PostfixConfig
import PostlsCore

/// `postls config`: main.cf + master.cf as Postfix reads them, the TLS settings of every smtpd
/// listener, and lint findings (shared/spec/cli.md).
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Read main.cf and master.cf the way Postfix does and check their TLS settings.",
        discussion: "Exit status: 0 nothing wrong, 1 warnings, 2 critical problems, 66 main.cf could not be read.")

    @Option(name: .long, help: "Postfix configuration directory (like postconf -c).")
    var configDir = "/etc/postfix"

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @Flag(name: .long, help: "Also list every TLS-related parameter at its default.")
    var all = false

    @Option(name: .long, help: "Dovecot configuration file (not read yet by this version).")
    var dovecotConfig: String?

    @Flag(name: .long, help: "Do not color the text output (also NO_COLOR).")
    var noColor = false

    func run() throws {
        let runner = SystemProcessRunner()
        let configuration: PostfixConfiguration
        do {
            configuration = try PostfixConfiguration.load(directory: configDir, defaults: ParameterDefaults.load(runner: runner))
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("postls config: \(error)\n".utf8))
            throw ArgumentParser.ExitCode(PostlsCore.ExitCode.inputUnreadable.rawValue)
        }
        let context = LintContext(configuration: configuration, cipherEvaluator: OpenSSLCipherEvaluator(runner: runner))
        let findings = Linter().run(context)
        let report = ConfigReport(configuration: configuration, findings: findings, includeDefaults: all)
        if json {
            FileHandle.standardOutput.write(try report.jsonData())
            FileHandle.standardOutput.write(Data("\n".utf8))
        } else {
            let color = !noColor && ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(STDOUT_FILENO) == 1
            FileHandle.standardOutput.write(Data(report.text(color: color).utf8))
        }
        let code = report.exitCode
        if code != .ok { throw ArgumentParser.ExitCode(code.rawValue) }
    }
}
