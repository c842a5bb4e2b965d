import ArgumentParser
import PostlsDemo

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
        let code = try DemoRun.run(print: print, json: format.json, noColor: color.noColor)
        if code != 0 { throw ArgumentParser.ExitCode(code) }
    }
}
