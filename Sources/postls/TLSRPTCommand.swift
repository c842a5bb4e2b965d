import ArgumentParser
import Foundation
import PostlsCore
import TLSReports

struct TLSRPTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tlsrpt",
        abstract: "Summarise SMTP TLS reports (RFC 8460): how senders saw TLS to your MX hosts.",
        discussion: """
            Reads the daily TLS reports that senders such as Google and Microsoft mail to the address in your \
            _smtp._tls TXT record: JSON, gzip-compressed JSON, single messages (.eml), mbox files and Maildir \
            folders (the application/tlsrpt+gzip or +json attachments, however deeply nested). '-' reads standard \
            input; without PATH, standard input is read when it is not a terminal. Prints per reporting \
            organisation and day the successful and failed sessions, failures by result type with the postls \
            cause each means, and the failing MX hosts and addresses. A report that cannot be read is listed \
            with its reason; messages without a report are listed as skipped. Exit codes: 0 no failed session, \
            1 failed sessions (delivered anyway) or a rejected report, 2 mail not delivered (failures under DANE \
            or an enforced MTA-STS policy), 64 bad usage, 66 a PATH could not be read.
            """ + " " + JSONOption.schema("tlsrpt"))

    @Argument(help: ArgumentHelp("Report files (.json, .json.gz), messages (.eml), mbox files or Maildir folders; '-' for standard input.", valueName: "PATH"))
    var paths: [String] = []

    @OptionGroup var format: JSONOption

    @OptionGroup var color: ColorOption

    func run() throws {
        var inputs = paths
        if inputs.isEmpty {
            guard isatty(0) == 0 else {
                throw ValidationError("name report files, messages, an mbox or a Maildir, or '-' for standard input")
            }
            inputs = ["-"]
        }
        let reader = TLSReportReader()
        if inputs.contains("-") {
            reader.read(bytes: [UInt8](FileHandle.standardInput.readDataToEndOfFile()), source: "-")
        }
        reader.read(paths: inputs.filter { $0 != "-" })
        let summary = TLSReportSummary(reader.set)
        if format.json {
            try CommandOutput.write(json: summary)
        } else {
            print(TLSReportTextReport.render(summary), terminator: "")
        }
        for r in summary.set.unreadable {
            FileHandle.standardError.write(Data("postls: \(r.source): cannot read: \(r.reason)\n".utf8))
        }
        if !summary.set.unreadable.isEmpty { throw ArgumentParser.ExitCode(PostlsCore.ExitCode.inputUnreadable.rawValue) }
        let code = PostlsCore.ExitCode(worst: summary.worstSeverity)
        if code != .ok { throw ArgumentParser.ExitCode(code.rawValue) }
    }
}
