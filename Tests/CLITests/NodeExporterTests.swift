import Foundation
import PostlsCore
import Testing
import TestSupport

/// The fleet-monitoring path end to end: the command line of the shipped postls-check.service, run against a real
/// Postfix, writes a file that Debian's real prometheus-node-exporter serves on /metrics without a parse error.
@Suite("postls-check.service feeds node_exporter", .enabled(if: Prerequisites.postfix && Prerequisites.nodeExporter))
struct NodeExporterTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let collectorFile = "/var/lib/prometheus/node-exporter/postls.prom"

    /// ExecStart= of the shipped unit, split into its arguments (the unit uses no quoting, so no shell rules apply).
    static func unitCommand() throws -> [String] {
        let unit = try String(contentsOf: root.appendingPathComponent("Resources/systemd/postls-check.service"), encoding: .utf8)
        let lines = unit.split(separator: "\n").filter { $0.hasPrefix("ExecStart=") }
        #expect(lines.count == 1, "one ExecStart= line")
        let command = try #require(lines.first).dropFirst("ExecStart=".count)
        #expect(!command.contains("\"") && !command.contains("'") && !command.contains("$"), "ExecStart needs no quoting or expansion")
        return command.split(separator: " ").map(String.init)
    }

    @Test func theShippedServiceWritesMetricsThatNodeExporterServes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try factory.leaf("monitored")
        let postfix = try PostfixInstance(mainCF: "smtpd_tls_security_level = may\nsmtpd_tls_chain_files = \(leaf.keyAndChainFile)\n",
                                          listeners: [PostfixListener(name: "smtp")])
        try postfix.start()
        defer { postfix.stop() }
        let port = try #require(postfix.listener(named: "smtp")?.port)

        var command = try Self.unitCommand()
        #expect(command.first == "/usr/bin/postls")
        #expect(command.contains("--format") && command.contains("prometheus"))
        let outputIndex = try #require(command.firstIndex(of: "--output"))
        #expect(command[outputIndex + 1] == Self.collectorFile, "the unit writes into Debian's textfile-collector folder")
        let textfiles = dir.file("textfile")
        try FileManager.default.createDirectory(atPath: textfiles, withIntermediateDirectories: true)
        command[0] = PostlsBinary.path
        command[outputIndex + 1] = textfiles + "/postls.prom"
        // What an admin adds in a drop-in for a listener that is not this machine's port 25.
        command += ["--host", "127.0.0.1", "--port", String(port), "--name", "mail.postls.test", "--ca-file", factory.rootFile]

        let run = try SystemProcessRunner().run(command[0], Array(command.dropFirst()), stdin: nil, environment: nil, timeout: 60)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.isEmpty, "with --output nothing goes to standard output: \(run.stdout)")
        let written = try FileManager.default.attributesOfItem(atPath: textfiles + "/postls.prom")
        #expect((written[.posixPermissions] as? Int) == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: textfiles) == ["postls.prom"], "no temporary file left behind")

        let exporter = try NodeExporter(textfileDirectory: textfiles, logFile: dir.file("node-exporter.log"))
        defer { exporter.stop() }
        let metrics = try exporter.metrics()
        let lines = metrics.split(separator: "\n").map(String.init)
        #expect(lines.contains("node_textfile_scrape_error 0"), "node_exporter could not parse postls.prom: \(exporter.logText())")
        #expect(lines.contains("postls_check_status 0"), "\(metrics.prefix(3000))")
        let listener = "address=\"127.0.0.1\",host=\"127.0.0.1\",port=\"\(port)\""
        #expect(lines.contains("postls_tls_ok{\(listener)} 1"), "\(lines.filter { $0.hasPrefix("postls_") })")
        #expect(lines.contains { $0.hasPrefix("postls_certificate_expiry_days{\(listener)} ") })
        #expect(lines.contains { $0.hasPrefix("postls_handshake_milliseconds{\(listener)} ") })
        #expect(lines.contains { $0.hasPrefix("node_textfile_mtime_seconds{file=") && $0.contains("postls.prom") })
    }

    @Test func anOutputFileThatCannotBeWrittenIsUnknown() throws {
        let out = try PostlsBinary.run(["check", "--host", "127.0.0.1", "--port", "1", "--timeout", "5",
                                        "--output", "/nonexistent-folder/postls.prom"])
        #expect(out.status == 3, "\(out.stdout)\(out.stderr)")
        #expect(out.stderr.contains("cannot write --output /nonexistent-folder/postls.prom"))
    }

    @Test func theTimerIsInstalledNotEnabledAndTheUnitsParse() throws {
        let timer = try String(contentsOf: Self.root.appendingPathComponent("Resources/systemd/postls-check.timer"), encoding: .utf8)
        #expect(timer.contains("OnCalendar=") && timer.contains("RandomizedDelaySec="))
        #expect(timer.contains("WantedBy=timers.target"))
        guard Prerequisites.has("systemd-analyze") else { return }
        let systemd = Self.root.appendingPathComponent("Resources/systemd").path
        let out = try SystemProcessRunner().run("systemd-analyze", ["verify", systemd + "/postls-check.service", systemd + "/postls-check.timer"], timeout: 60)
        // verify also checks that /usr/bin/postls and the man page exist on this machine: only syntax errors count.
        let problems = out.stderr.split(separator: "\n").filter { !$0.contains("is not executable") && !$0.contains("man postls(1)") && !$0.contains("/usr/bin/postls") }
        #expect(problems.isEmpty, "\(out.stderr)")
    }

    /// The example alert rules parse and use only metrics postls writes (promtool is in Debian's prometheus package).
    @Test(.enabled(if: Prerequisites.has("promtool")))
    func theExampleAlertRulesParseAndNameRealMetrics() throws {
        let rules = Self.root.appendingPathComponent("docs/prometheus/postls-alerts.yml").path
        let out = try SystemProcessRunner().run("promtool", ["check", "rules", rules], timeout: 60)
        #expect(out.status == 0, "\(out.stdout)\(out.stderr)")
        let text = try String(contentsOfFile: rules, encoding: .utf8)
        let known = ["postls_check_status", "postls_tls_ok", "postls_certificate_expiry_days", "postls_handshake_milliseconds", "postls_tls_failures_last_hour"]
        let named = Set(text.split(whereSeparator: { !($0.isLetter || $0 == "_") }).map(String.init).filter { $0.hasPrefix("postls_") })
        #expect(named.isSubset(of: Set(known)), "\(named.subtracting(known))")
    }
}
