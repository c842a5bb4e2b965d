import Foundation
import PostlsCore
import Testing
import TestSupport
@testable import Diagnosis

/// `--smtp-port`: the port that receives mail from the internet (e.g. behind a port forward) gets the MX rules
/// even when its listener is bound to loopback.
@Suite("--smtp-port", .enabled(if: Prerequisites.postconf))
struct SMTPPortOptionTests {
    /// A config directory whose only smtpd listens on loopback port 2525 with encrypt and a TLS 1.2 floor.
    func forwardedMX() throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(prefix: "postls-smtpport")
        try dir.write("main.cf", "compatibility_level = 3.6\nsmtpd_tls_security_level = encrypt\nsmtpd_tls_mandatory_protocols = >=TLSv1.2\n")
        try dir.write("master.cf", "127.0.0.1:2525 inet n - n - - smtpd\n")
        // postconf sleeps on a main.cf younger than a second.
        backdateForPostconf(dir.file("main.cf"))
        return dir
    }

    func causes(_ dir: TemporaryDirectory, smtpPorts: Set<Int>) -> Set<String> {
        var options = GatherOptions()
        options.configDirectory = dir.path
        options.probe = false
        options.logs = false
        options.smtpPorts = smtpPorts
        return Set(Gatherer().gather(options).findings.map(\.id))
    }

    @Test func aLoopbackListenerIsNotTheMXUnlessItsPortIsNamed() throws {
        let dir = try forwardedMX()
        let without = causes(dir, smtpPorts: [])
        #expect(!without.contains("tls_required_on_mx") && !without.contains("protocol_floor_on_mx"), "\(without)")
        let with = causes(dir, smtpPorts: [2525])
        #expect(with.isSuperset(of: ["tls_required_on_mx", "protocol_floor_on_mx"]), "\(with)")
        #expect(causes(dir, smtpPorts: [2526]) == without)
    }

    @Test func theFindingNamesTheForwardedPort() throws {
        let dir = try forwardedMX()
        var options = GatherOptions()
        options.configDirectory = dir.path
        options.probe = false
        options.logs = false
        options.smtpPorts = [2525]
        let finding = try #require(Gatherer().gather(options).findings.first { $0.id == "tls_required_on_mx" })
        #expect(finding.message.hasPrefix("port 2525 "), "\(finding.message)")
        #expect(finding.fix == .setOverride(service: "127.0.0.1:2525", type: "inet", name: "smtpd_tls_security_level", value: "may"))
    }

    @Test func theCommandLineTakesAndChecksTheOption() throws {
        let dir = try forwardedMX()
        let base = ["diagnose", "--json", "--no-probe", "--no-logs", "--config-dir", dir.path]
        let out = try PostlsBinary.run(base + ["--smtp-port", "2525"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any], "\(out.stderr)")
        let causes = ((json["diagnoses"] as? [[String: Any]]) ?? []).compactMap { $0["cause"] as? String }
        #expect(causes.first == "tls_required_on_mx", "\(causes)")
        #expect(out.status == 2)
        let plain = try PostlsBinary.run(base)
        #expect(!plain.stdout.contains("tls_required_on_mx"))
        let bad = try PostlsBinary.run(base + ["--smtp-port", "mx"])
        #expect(bad.status == 64, "\(bad.stderr)")
    }
}
