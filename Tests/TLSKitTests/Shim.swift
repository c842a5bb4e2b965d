import Foundation
import PostlsCore

/// Runs a tool for an oracle comparison and returns its stdout (and stderr for runAll).
enum SystemProcessRunnerShim {
    static func run(_ tool: String, _ args: [String]) throws -> String {
        try SystemProcessRunner().run(tool, args, timeout: 30).stdout
    }
    static func runAll(_ tool: String, _ args: [String]) throws -> String {
        let out = try SystemProcessRunner().run(tool, args, timeout: 30)
        return out.stdout + out.stderr
    }
}
