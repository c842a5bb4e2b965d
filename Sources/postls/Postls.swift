import ArgumentParser
import CursesTerminal
import Foundation
import PostlsCore

struct Postls: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postls",
        abstract: "Find and fix why TLS fails on a Postfix (and Dovecot) mail server.",
        discussion: """
            Run without a subcommand on a terminal to start the wizard. Every step of the \
            wizard is also a plain subcommand with --json for scripts and monitoring.

            The JSON each command prints is a contract described by a JSON Schema (draft 2020-12): \
            docs/json/<command>.schema.json in the postls sources; the Debian package installs them in \
            /usr/share/doc/postls/json/. Fields are added, never renamed. The cause ids in that JSON \
            (protocol_mismatch, untrusted_certificate, ...) are listed with their meaning and evidence in \
            docs/CAUSES.md (/usr/share/doc/postls/CAUSES.md).
            """,
        version: PostlsVersion.string,
        subcommands: [
            WizardCommand.self,
            VersionCommand.self,
            ConfigCommand.self,
            ProbeCommand.self,
            LogsCommand.self,
            DiagnoseCommand.self,
            FixCommand.self,
            CheckCommand.self,
            DNSCommand.self,
            TLSRPTCommand.self,
            DemoCommand.self,
            ReportCommand.self,
            OpenCommand.self,
            SetupCommand.self,
        ],
        defaultSubcommand: WizardCommand.self
    )
}

@main
enum Main {
    static func main() {
        // `check` is a monitoring plugin: even a usage error must exit 3 (UNKNOWN), not 64.
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "check" {
            do {
                var command = try Postls.parseAsRoot(arguments)
                try command.run()
            } catch {
                // Help, and the plugin's own status codes 1-3, pass through; anything else is UNKNOWN.
                if Postls.exitCode(for: error).rawValue <= 3 { Postls.exit(withError: error) }
                print("POSTLS UNKNOWN - " + Postls.message(for: error).replacingOccurrences(of: "\n", with: " "))
                Foundation.exit(3)
            }
            Foundation.exit(0)
        }
        Postls.main()
    }
}
