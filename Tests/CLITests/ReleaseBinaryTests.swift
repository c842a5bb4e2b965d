import Foundation
import PostlsCore
import Testing
import TestSupport

/// The release binary of scripts/build-release.sh, copied alone to an empty folder: it needs no build folder,
/// no resource bundle and no Swift runtime. Runs when that binary exists (`POSTLS_RELEASE_BINARY`, or the
/// script's default .build-release), so a plain `swift test` does not need a release build.
@Suite("Release binary moved alone")
struct ReleaseBinaryTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var built: String? {
        let candidates: [String?] = [ProcessInfo.processInfo.environment["POSTLS_RELEASE_BINARY"],
                          root.appendingPathComponent(".build-release/release/postls").path]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A copy of the release binary in a fresh folder, and that folder.
    static func copied() throws -> (binary: String, folder: TemporaryDirectory) {
        let folder = try TemporaryDirectory(prefix: "postls-moved")
        let binary = folder.path + "/postls"
        // Copied by `cp`, not in this process: a child another test thread forks meanwhile would inherit the
        // open, writable copy and the exec would fail with "Text file busy".
        let copy = try SystemProcessRunner().run("cp", [try #require(built), binary], timeout: 60)
        try #require(copy.status == 0, "\(copy.stderr)")
        return (binary, folder)
    }

    @Test(.enabled(if: built != nil && Prerequisites.has("ldd")))
    func linksOnlyLibrariesFromDebianPackages() throws {
        let (binary, folder) = try Self.copied()
        let out = try withExtendedLifetime(folder) { try SystemProcessRunner().run("ldd", [binary], timeout: 30) }
        #expect(out.status == 0, "\(out.stderr)")
        #expect(!out.stdout.contains("swift"), "\(out.stdout)")
        #expect(!out.stdout.contains("Foundation"), "\(out.stdout)")
        #expect(!out.stdout.contains("not found"), "\(out.stdout)")
    }

    @Test(.enabled(if: built != nil))
    func configAndDemoRunFromAnEmptyFolder() throws {
        let (binary, folder) = try Self.copied()
        let runner = SystemProcessRunner()
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["POSTLS_NO_CACHE"] = "1"
        let version = try runner.run(binary, ["version"], stdin: nil, environment: environment, timeout: 30)
        #expect(version.status == 0, "\(version.stderr)")
        // A config directory of its own: the compiled-in catalogue and cause titles are used either way.
        let etc = folder.path + "/etc"
        try FileManager.default.createDirectory(atPath: etc, withIntermediateDirectories: true)
        try Data("smtpd_banner = $myhostname ESMTP $mail_name\nsmtpd_tls_security_level = encrypt\n".utf8)
            .write(to: URL(fileURLWithPath: etc + "/main.cf"))
        try Data("smtp inet n - y - - smtpd\n".utf8).write(to: URL(fileURLWithPath: etc + "/master.cf"))
        let config = try runner.run(binary, ["config", "--json", "--all", "--config-dir", etc], stdin: nil, environment: environment, timeout: 60)
        #expect([0, 1, 2].contains(config.status), "\(config.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(config.stdout.utf8)) as? [String: Any])
        let parameters = try #require(object["parameters"] as? [String: Any])
        #expect(parameters["smtpd_tls_cert_file"] != nil, "TLS defaults come from the compiled-in catalogue")
        #expect(!config.stdout.contains("set nowhere"))
        let demo = try runner.run(binary, ["demo", "--print", "--json"], stdin: nil, environment: environment, timeout: 120)
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(!demo.stdout.contains("set nowhere"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["etc", "postls"])
    }
}
