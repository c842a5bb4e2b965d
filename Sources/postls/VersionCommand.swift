import ArgumentParser
import CursesTerminal
import Foundation
import PostlsCore
import TLSKit

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the versions of postls, OpenSSL, ncurses and (if installed) Postfix.",
        discussion: "The OpenSSL and ncurses versions are those of the libraries postls runs with, not the ones it was built against.")

    @Flag(name: .long, help: "Print JSON instead of text (schema: docs/json/version.schema.json).")
    var json = false

    func run() throws {
        var postfix: String? = nil
        if let out = try? SystemProcessRunner().run("postconf", ["-h", "mail_version"], timeout: 10), out.succeeded {
            postfix = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if json {
            var object: [String: String?] = [
                "postls": PostlsVersion.string, "openssl": OpenSSLInfo.versionText,
                "ncurses": CursesInfo.version, "postfix": postfix,
            ]
            object = object.filter { _ in true }
            let data = try JSONSerialization.data(withJSONObject: object.mapValues { $0 ?? NSNull() as Any }, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("postls \(PostlsVersion.string)")
            print("OpenSSL: \(OpenSSLInfo.versionText)")
            print("ncurses: \(CursesInfo.version)")
            print("Postfix: \(postfix ?? "not found (postconf mail_version did not answer)")")
        }
    }
}
