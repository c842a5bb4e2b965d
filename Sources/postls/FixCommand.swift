import ArgumentParser
import Diagnosis
import Foundation
import MailDNS
import PostfixConfig
import PostlsCore

struct FixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fix",
        abstract: "List, show, apply and roll back the fixes `postls diagnose` proposes.",
        discussion: """
            apply shows the diff, asks (unless --yes), backs up, writes atomically, validates with postconf and \
            postfix check (restoring the original if Postfix rejects it), reloads Postfix, probes the affected \
            listeners again and shows before and after; it rolls back by itself if TLS got worse. rollback \
            restores the files of the last applied fix byte for byte, removes the files it created (when unchanged) \
            and reloads. Fixes for Dovecot are advice: a diff of Dovecot's file and commands, never applied.
            """,
        subcommands: [List.self, Show.self, Apply.self, Rollback.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the fixes for the current diagnoses.",
                                                        discussion: JSONOption.schema("fix"))
        @OptionGroup var gather: GatherArguments
        @OptionGroup var format: JSONOption

        func run() throws {
            let report = gather.gather().report
            if format.json {
                try CommandOutput.write(json: report.fixes)
                return
            }
            if report.fixes.isEmpty { print("No fixes: no problem with a fix was found."); return }
            for fix in report.fixes {
                print("\(fix.id)  [\(fix.kind.rawValue)\(fix.applicable ? ", applicable" : "")\(fix.server == .dovecot ? ", Dovecot: advice only" : "")]  \(fix.title)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one fix: its diff, commands and impact.")
        @Argument(help: "The fix id (from `postls diagnose` or `postls fix list`).") var id: String
        @OptionGroup var gather: GatherArguments

        func run() throws {
            let report = gather.gather().report
            guard let fix = report.fix(id: id) else {
                FileHandle.standardError.write(Data("postls fix: no fix \(id) in the current diagnosis (it may be fixed already); see `postls fix list`\n".utf8))
                throw ArgumentParser.ExitCode(PostlsCore.ExitCode.usage.rawValue)
            }
            print(FixCommand.describe(fix))
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "apply", abstract: "Apply a fix safely, reload Postfix, probe again, and compare.")
        @Argument(help: "The fix id.") var id: String
        @Flag(name: .long, help: "Apply without asking.") var yes = false
        @Flag(name: .customLong("no-reload"), help: "Do not reload Postfix after writing.") var noReload = false
        @OptionGroup var gather: GatherArguments

        func run() throws {
            let gathered = gather.gather()
            if gathered.report.fix(id: id) == nil, let configError = gathered.configError {
                // No configuration, no fix: say why rather than "no fix".
                FileHandle.standardError.write(Data("postls fix: \(configError)\(Privileges.hint(configError, "reading it needs root")); nothing was changed\n".utf8))
                throw ArgumentParser.ExitCode(PostlsCore.ExitCode.inputUnreadable.rawValue)
            }
            guard let fix = gathered.report.fix(id: id) else {
                FileHandle.standardError.write(Data("postls fix: no fix \(id) in the current diagnosis (it may be fixed already); see `postls fix list`\n".utf8))
                throw ArgumentParser.ExitCode(PostlsCore.ExitCode.usage.rawValue)
            }
            print(FixCommand.describe(fix))
            guard fix.applicable, fix.server == .postfix else {
                let why = fix.kind == .dnsRecord ? "is a DNS change: publish the records above at your DNS provider"
                    : fix.server == .dovecot ? "is advice for Dovecot (postls does not edit Dovecot's files): review the diff and run the commands above yourself"
                                                 : "is not applied automatically: run the commands above yourself"
                FileHandle.standardError.write(Data("postls fix: \(fix.id) \(why).\n".utf8))
                throw ArgumentParser.ExitCode(PostlsCore.ExitCode.usage.rawValue)
            }
            if !yes {
                guard isatty(0) == 1 else {
                    FileHandle.standardError.write(Data("postls fix: not a terminal, so no one can confirm; add --yes to apply.\n".utf8))
                    throw ArgumentParser.ExitCode(PostlsCore.ExitCode.usage.rawValue)
                }
                print("Apply this change? [y/N] ", terminator: "")
                guard let answer = readLine(), answer.lowercased().hasPrefix("y") else {
                    print("Nothing changed.")
                    return
                }
            }
            let outcome: FixOutcome
            do {
                outcome = try FixLoop().apply(fix, gathered: gathered, options: gather.options, reload: !noReload) { step in
                    FileHandle.standardError.write(Data("  \(step)…\n".utf8))
                }
            } catch {
                FileHandle.standardError.write(Data("postls fix: \(error)\(Privileges.hint(error, "writing the Postfix configuration needs root"))\n".utf8))
                throw ArgumentParser.ExitCode(PostlsCore.ExitCode.critical.rawValue)
            }
            for m in outcome.messages { print(m) }
            if !outcome.comparison.isEmpty {
                print("\nBefore and after:")
                for line in outcome.comparison { print("  " + line) }
            }
            switch outcome.state {
            case .applied:
                print("\nApplied\(outcome.journalID.map { " (journal \($0))" } ?? ""). Undo with: postls fix rollback\(gather.configDir == "/etc/postfix" ? "" : " --config-dir \(gather.configDir)")")
            case .rolledBackAutomatically, .validationFailed:
                throw ArgumentParser.ExitCode(PostlsCore.ExitCode.critical.rawValue)
            }
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rollback",
            abstract: "Restore the files of the last applied fix (or journal entry ID) byte for byte, remove the files it created, and reload.",
            discussion: """
                A file the fix created (a full chain, a key, a CSR) is removed only while it holds what postls wrote and no \
                configuration names it (main.cf, master.cf, Dovecot's); otherwise it is kept and named.
                """)
        @Argument(help: "Journal id (default: the newest applied fix).") var id: String?
        @Option(name: .long, help: "Postfix configuration directory.") var configDir = "/etc/postfix"
        @Option(name: .customLong("dovecot-config"),
                help: "Dovecot configuration whose files may name a created file (default: /etc/dovecot/dovecot.conf when present and --config-dir is /etc/postfix).")
        var dovecotConfig: String?
        @Flag(name: .customLong("no-reload"), help: "Do not reload Postfix.") var noReload = false

        func run() throws {
            do {
                let (entry, messages) = try FixLoop().rollback(id: id, configDirectory: configDir, reload: !noReload, dovecotConfig: dovecotConfig)
                for m in messages { print(m) }
                print("Rolled back \(entry.id): \(entry.edits.map(\.summary).joined(separator: "; "))")
            } catch {
                FileHandle.standardError.write(Data("postls fix rollback: \(error)\(Privileges.hint(error, "writing the Postfix configuration needs root"))\n".utf8))
                throw ArgumentParser.ExitCode(PostlsCore.ExitCode.critical.rawValue)
            }
        }
    }

    static func describe(_ fix: Fix) -> String {
        var out = "Fix \(fix.id): \(fix.title)\n  kind: \(fix.kind.rawValue), cause: \(fix.cause.rawValue)\n"
        if fix.server == .dovecot { out += "  for Dovecot: advice only, postls does not edit Dovecot's files; review the diff, then run the commands\n" }
        if let impact = fix.impact { out += "  impact: \(impact)\n" }
        for file in fix.files { out += "  creates \(file.path): \(file.explanation)\n" }
        if let diff = fix.diff, !diff.isEmpty { out += "\n" + diff + (diff.hasSuffix("\n") ? "" : "\n") }
        if !fix.commands.isEmpty { out += "\n" + fix.commands.map { "  $ \($0)" }.joined(separator: "\n") + "\n" }
        if !fix.records.isEmpty { out += "\nPublish at your DNS provider:\n" + fix.records.flatMap { $0.pasteLines() }.joined(separator: "\n") + "\n" }
        return out
    }
}
