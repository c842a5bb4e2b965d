import ArgumentParser
import CursesTerminal
import Foundation
import PostlsCore
import TLSKit

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the versions of postls, OpenSSL, ncurses and (if installed) Postfix.",
        discussion: "The OpenSSL and ncurses versions are those of the libraries postls runs with, not the ones it was built against. "
            + JSONOption.schema("version"))

    @OptionGroup var format: JSONOption

    /// docs/json/version.schema.json; `postfix` is null when postconf does not answer.
    struct Versions: Encodable {
        var postls: String, openssl: String, ncurses: String, postfix: String?

        enum CodingKeys: String, CodingKey { case postls, openssl, ncurses, postfix }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(postls, forKey: .postls); try c.encode(openssl, forKey: .openssl)
            try c.encode(ncurses, forKey: .ncurses); try c.encode(postfix, forKey: .postfix)
        }
    }

    func run() throws {
        var postfix: String? = nil
        if let out = try? SystemProcessRunner().run("postconf", ["-h", "mail_version"], timeout: 10), out.succeeded {
            postfix = out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if format.json {
            try CommandOutput.write(json: Versions(postls: PostlsVersion.string, openssl: OpenSSLInfo.versionText,
                                                  ncurses: CursesInfo.version, postfix: postfix))
        } else {
            print("postls \(PostlsVersion.string)")
            print("OpenSSL: \(OpenSSLInfo.versionText)")
            print("ncurses: \(CursesInfo.version)")
            print("Postfix: \(postfix ?? "not found (postconf mail_version did not answer)")")
        }
    }
}
