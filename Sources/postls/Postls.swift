import ArgumentParser
import PostlsCore

@main
struct Postls: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postls",
        abstract: "Find and fix why TLS fails on a Postfix (and Dovecot) mail server.",
        discussion: """
            Run without a subcommand on a terminal to start the wizard. Every step of the \
            wizard is also a plain subcommand with --json for scripts and monitoring.
            """,
        version: PostlsVersion.string,
        subcommands: [
            VersionCommand.self,
            ProbeCommand.self,
        ]
    )
}
