import Foundation
import PostlsCore
import Testing
import TestSupport

/// `postls check` against real Postfix listeners: the monitoring-plugin codes and parsable perfdata.
/// One Postfix with a listener per situation, shared by the tests (an instance costs about a second).
final class CheckFixture: @unchecked Sendable {
    let dir: TemporaryDirectory
    let factory: CertificateFactory
    let postfix: PostfixInstance

    static let shared = Result { try CheckFixture() }

    init() throws {
        dir = try TemporaryDirectory()
        factory = try CertificateFactory(directory: dir.file("pki"))
        let healthy = try factory.leaf("healthy")
        let expiring = try factory.leaf("expiring", notAfter: Date().addingTimeInterval(10 * 86_400))
        let expired = try factory.leaf("expired", notBefore: Date().addingTimeInterval(-100 * 86_400), notAfter: Date().addingTimeInterval(-2 * 86_400))
        postfix = try PostfixInstance(mainCF: "smtpd_tls_security_level = may\nsmtpd_tls_chain_files = \(healthy.keyAndChainFile)\n", listeners: [
            PostfixListener(name: "smtp"),
            PostfixListener(name: "expiring", overrides: [("smtpd_tls_chain_files", expiring.keyAndChainFile)]),
            PostfixListener(name: "expired", overrides: [("smtpd_tls_chain_files", expired.keyAndChainFile)]),
            PostfixListener(name: "notls", overrides: [("smtpd_tls_security_level", "none")]),
            // TLS 1.3 only: a TLS 1.2 client fails here (a real logged failure), and a probe that tried each
            // version would leave failures here too.
            PostfixListener(name: "tls13", overrides: [("smtpd_tls_protocols", ">=TLSv1.3")]),
            PostfixListener(name: "quiet", overrides: [("smtpd_tls_protocols", ">=TLSv1.3")]),
        ])
        try postfix.start()
    }
}

@Suite("postls check as a monitoring plugin", .enabled(if: Prerequisites.postfix))
struct CheckCommandTests {
    let fixture: CheckFixture
    var postfix: PostfixInstance { fixture.postfix }
    var factory: CertificateFactory { fixture.factory }

    init() throws { fixture = try CheckFixture.shared.get() }

    func check(_ listener: String, _ extra: [String] = []) throws -> ProcessOutput {
        let port = try #require(postfix.listener(named: listener)?.port)
        return try PostlsBinary.run(["check", "--host", "127.0.0.1", "--port", String(port), "--name", "mail.postls.test",
                                     "--ca-file", factory.rootFile] + extra)
    }

    /// Parses `POSTLS STATE - text | 'label'=value[uom];warn;crit;min;max ...` strictly.
    func perfdata(_ output: String) throws -> [String: Double] {
        let firstLine = try #require(output.split(separator: "\n").first.map(String.init))
        let parts = firstLine.components(separatedBy: " | ")
        #expect(parts.count == 2, "no perfdata in \(firstLine)")
        var values: [String: Double] = [:]
        for item in (parts.last ?? "").split(separator: " ") {
            let kv = item.split(separator: "=", maxSplits: 1)
            #expect(kv.count == 2)
            let label = kv[0].trimmingCharacters(in: CharacterSet(charactersIn: "'"))
            let fields = kv[1].split(separator: ";", omittingEmptySubsequences: false)
            #expect(fields.count == 5, "perfdata needs value;warn;crit;min;max: \(item)")
            let number = fields[0].prefix { "0123456789.-".contains($0) }
            values[label] = Double(number)
        }
        return values
    }

    @Test func healthyListenerIsOKWithExpiryAndHandshakePerfdata() throws {
        let out = try check("smtp")
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        #expect(out.stdout.hasPrefix("POSTLS OK - "))
        let perf = try perfdata(out.stdout)
        let port = postfix.listener(named: "smtp")!.port
        #expect((perf["expiry_days_127.0.0.1:\(port)"] ?? 0) >= 88)
        #expect(perf["handshake_127.0.0.1:\(port)"] != nil)
        #expect(perf["tls_127.0.0.1:\(port)"] == 1)
    }

    @Test func expiringCertificateIsWarning() throws {
        let out = try check("expiring")
        #expect(out.status == 1, "\(out.stdout)")
        #expect(out.stdout.hasPrefix("POSTLS WARNING - "))
        #expect(out.stdout.contains("expires in 9 days") || out.stdout.contains("expires in 10 days"))
        _ = try perfdata(out.stdout)
    }

    @Test func thresholdsAreTheAdminsToSet() throws {
        let out = try check("expiring", ["--warning-days", "5", "--critical-days", "2"])
        #expect(out.status == 0, "\(out.stdout)")
        let crit = try check("expiring", ["--warning-days", "30", "--critical-days", "14"])
        #expect(crit.status == 2)
    }

    @Test func failuresInTheLogOverTheLastHourAreCountedAndJudged() throws {
        // A real failure: a TLS 1.2-only client against the TLS 1.3-only listener.
        let address = try #require(postfix.listener(named: "tls13")?.socketAddress)
        _ = try Peers.opensslClient(address, starttls: true, arguments: ["-tls1_2"])
        #expect(postfix.waitForLog(containing: "postfix/tls13/smtpd"))
        #expect(postfix.waitForLog(containing: "SSL_accept error"))
        let out = try check("smtp", ["--log", postfix.logFile, "--failures-warning", "1", "--failures-critical", "100000"])
        #expect(out.status == 1, "\(out.stdout)")
        #expect(out.stdout.contains("TLS failures in the last hour"), "\(out.stdout)")
        #expect((try perfdata(out.stdout)["failures_protocol_mismatch"] ?? 0) >= 1, "\(out.stdout)")
        // Without thresholds the counts are perfdata only.
        #expect(try check("smtp", ["--log", postfix.logFile]).status == 0)
        // A log that cannot be read is UNKNOWN, not OK.
        #expect(try check("smtp", ["--log", "/nonexistent/mail.log"]).status == 3)
        // Thresholds without a log are a usage error.
        #expect(try check("smtp", ["--failures-warning", "1"]).status == 3)
    }

    @Test func theCheckLeavesNoFailuresOfItsOwnInTheLog() throws {
        // Run from cron with --log, a check that tried TLS 1.0-1.2 here would count its own refused handshakes.
        _ = try check("quiet")
        _ = try check("quiet")
        #expect(postfix.waitForLog(containing: "postfix/quiet/smtpd"))
        usleep(500_000)  // postlogd writes asynchronously
        let own = postfix.logText().split(separator: "\n").filter { $0.contains("postfix/quiet/smtpd") && ($0.contains("SSL_accept error") || $0.contains("TLS library problem")) }
        #expect(own.isEmpty, "\(own)")
        #expect(postfix.logText().contains("postfix/quiet/smtpd"))
    }

    @Test func expiredCertificateIsCritical() throws {
        let out = try check("expired")
        #expect(out.status == 2, "\(out.stdout)")
        #expect(out.stdout.contains("expired"))
    }

    @Test func listenerWithoutTLSIsCritical() throws {
        let out = try check("notls")
        #expect(out.status == 2, "\(out.stdout)")
        #expect(out.stdout.contains("STARTTLS not offered") || out.stdout.contains("no TLS"))
    }

    @Test func aCheckThatCannotRunIsUnknown() throws {
        let bad = try PostlsBinary.run(["check", "--port", "not-a-port"])
        #expect(bad.status == 3)
        #expect(bad.stdout.hasPrefix("POSTLS UNKNOWN - "))
        let noHost = try PostlsBinary.run(["check", "--host", "no-such-host.invalid", "--port", "25"])
        #expect(noHost.status == 2 || noHost.status == 3, "\(noHost.stdout)")
    }

    @Test func runtimeIsBoundedByTimeout() throws {
        // A listener that accepts and never speaks: the check must end by --timeout, not hang.
        let silent = try LoopbackServer { _ in usleep(10_000_000) }
        defer { silent.stop() }
        let start = Date()
        let out = try PostlsBinary.run(["check", "--host", "127.0.0.1", "--port", String(silent.address.port), "--timeout", "2"])
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(out.status == 2 || out.status == 3, "\(out.stdout)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func prometheusOutputParsesWithTheReferenceParser() throws {
        let out = try check("expiring", ["--format", "prometheus"])
        #expect(out.status == 1)
        let script = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            names = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                for sample in family.samples:
                    names[sample.name] = sample.value
            print(sorted(names))
            assert names["postls_check_status"] == 1, names
            assert 8 <= names["postls_certificate_expiry_days"] <= 10, names
            """
        let parsed = try SystemProcessRunner().run("/usr/bin/python3", ["-c", script], stdin: Data(out.stdout.utf8), environment: nil, timeout: 30)
        #expect(parsed.status == 0, "\(parsed.stderr)\n\(out.stdout)")
    }
}
