import Foundation
import PostlsCore

/// The host postls probes and names when none is given: Postfix's `myhostname`, else the system's host name.
public enum DefaultHost {
    public static func name(configDirectory: String? = nil, runner: ProcessRunner = SystemProcessRunner()) -> String {
        let arguments = (configDirectory.map { ["-c", $0] } ?? []) + ["-h", "myhostname"]
        if let out = try? runner.run("postconf", arguments, timeout: 10), out.succeeded {
            let name = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if !name.isEmpty { return name }
        }
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
