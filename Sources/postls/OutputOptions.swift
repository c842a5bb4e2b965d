import ArgumentParser
import Diagnosis
import Foundation
import PostlsCore
import TLSKit

/// `--json`, worded once for every command that prints a JSON contract.
struct JSONOption: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of text, in the shape of the command's JSON Schema (named above; in /usr/share/doc/postls/json/ when installed).")
    var json = false

    /// The sentence each command's description ends with: where the schema of its JSON is.
    static func schema(_ name: String) -> String {
        "With --json the output follows docs/json/\(name).schema.json: fields are added, never renamed."
    }
}

/// `--no-color`, worded once; `useColor` is the one colour rule for text on standard output.
struct ColorOption: ParsableArguments {
    @Flag(name: .customLong("no-color"), help: "Do not color the text output (it is plain anyway when NO_COLOR is set or standard output is not a terminal).")
    var noColor = false

    /// --no-color, NO_COLOR and whether standard output is a terminal (ColorChoice).
    var useColor: Bool {
        ColorChoice.useColor(noColorFlag: noColor, environment: ProcessInfo.processInfo.environment,
                             outputIsColorTerminal: isatty(STDOUT_FILENO) == 1)
    }
}

/// Where first-time setup looks and writes, as `postls setup` and the wizard's Setup step both take them; hidden,
/// for tests (loopback ports, a PKI's directories).
struct SetupPlaces: ParsableArguments {
    @Option(name: .customLong("submission-port"), help: .hidden) var submissionPort = "submission"
    @Option(name: .customLong("submissions-port"), help: .hidden) var submissionsPort = "submissions"
    @Option(name: .customLong("tls-dir"), help: .hidden) var tlsDir: String?
    @Option(name: .customLong("letsencrypt-dir"), help: .hidden) var letsEncryptDir = "/etc/letsencrypt/live"
    @Option(name: .customLong("ssl-dir"), help: .hidden) var sslDir = "/etc/ssl"

    /// Setup's options with these places and the rest at their defaults.
    var options: SetupOptions {
        var o = SetupOptions()
        o.submissionService = submissionPort
        o.submissionsService = submissionsPort
        o.tlsDirectory = tlsDir
        o.letsEncryptDirectory = letsEncryptDir
        o.sslDirectory = sslDir
        return o
    }
}

/// Which listeners to probe and how to verify them: the options `probe` and `check` share.
struct ListenerOptions: ParsableArguments {
    @Option(name: .long, help: "Ports that use implicit TLS (wrapper mode; 465 is implicit by default).")
    var implicit: String?

    @Option(name: .long, help: "The name the certificate must cover, e.g. the MX name (default: each host probed).")
    var name: String?

    @Option(name: .customLong("ca-file"), help: "Verify against these trust anchors instead of the system store.")
    var caFile: String?

    func validate() throws {
        _ = try ProbeCommand.ports(implicit, option: "--implicit")
        try Self.checkReadable(caFile: caFile)
    }

    var implicitPorts: Set<UInt16> { Set((try? ProbeCommand.ports(implicit, option: "--implicit")) ?? []) }
    var trust: TrustAnchors { caFile.map { .file($0) } ?? .system }

    static func checkReadable(caFile: String?) throws {
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ValidationError("--ca-file \(caFile): cannot read the file")
        }
    }
}

/// What every command does with its result: JSON or text on standard output, messages on standard error,
/// and the exit code of the contract.
enum CommandOutput {
    static func write(json value: some Encodable) throws {
        FileHandle.standardOutput.write(try ContractJSON.line(value))
    }

    static func write(text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// A message on standard error, with a newline.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// Ends the command with `code` unless it is 0.
    static func exit(_ code: PostlsCore.ExitCode) throws {
        if code != .ok { throw ArgumentParser.ExitCode(code.rawValue) }
    }
}
