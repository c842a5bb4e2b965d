import Foundation
import PostlsCore
import Testing
import TestSupport

/// The real binary end to end: `postls probe` records its window (in the file `POSTLS_PROBE_RECORD` names, so
/// parallel tests never share one), and `postls logs` on the server's log then counts the TLS 1.0/1.1 refusals
/// the probe caused apart from peers' failures, unless `--include-own-probes` asks otherwise.
@Suite("postls logs and postls's own probes", .enabled(if: Prerequisites.postfix && Prerequisites.openssl))
struct OwnProbeCommandTests {
    @Test func logsAfterProbeCountsTheProbesRefusalsApartAndIncludeOwnProbesCountsThem() throws {
        let dir = try TemporaryDirectory()
        let pki = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try pki.leaf("mail")
        let mainCF = "smtpd_tls_security_level = may\nsmtpd_tls_chain_files = \(leaf.keyAndChainFile)\nsmtpd_tls_protocols = >=TLSv1.2\n"
        try PostfixInstance.with(mainCF: mainCF, listeners: [PostfixListener(name: "smtp")]) { postfix in
            let port = String(try #require(postfix.listener(named: "smtp")).port)
            let record = dir.file("state/probes.jsonl")
            var env = ProcessInfo.processInfo.environment
            env["POSTLS_PROBE_RECORD"] = record

            let probe = try PostlsBinary.run(["probe", "127.0.0.1", "--port", port, "--starttls", port, "--name", "mail.postls.test",
                                              "--ca-file", pki.rootFile, "--timeout", "5", "--json"], environment: env)
            #expect(probe.stdout.contains("\"TLSv1\":\"rejected\"") || probe.stdout.contains("\"TLSv1\" : \"rejected\""), "\(probe.stdout)")
            let lines = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 2, "an opening and a closing record: \(lines)")
            let closing = try #require(try JSONSerialization.jsonObject(with: Data((lines.last ?? "").utf8)) as? [String: Any])
            #expect(closing["command"] as? String == "probe" && closing["port"] as? Int == Int(port) && closing["complete"] as? Bool == true)
            #expect(closing["sources"] as? [String] == ["127.0.0.1"])
            // The refusals of TLS 1.0 and 1.1, then every session's disconnect.
            #expect(postfix.waitForLog(containing: "unsupported protocol"))
            let deadline = Deadline.after(seconds: 10)
            while !deadline.hasPassed {
                let text = postfix.logText()
                if text.components(separatedBy: "unsupported protocol").count == 3,
                   text.components(separatedBy: ": connect from").count == text.components(separatedBy: ": disconnect from").count { break }
                usleep(100_000)
            }
            let logArgs = ["logs", "--config-dir", postfix.configDirectory, postfix.logFile]

            let logs = try PostlsBinary.run(logArgs + ["--json"], environment: env)
            #expect(logs.status == 0, "no peer failed: \(logs.stdout)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(logs.stdout.utf8)) as? [String: Any])
            #expect((json["events"] as? [Any])?.isEmpty == true)
            let summary = try #require(json["summary"] as? [String: Any])
            #expect(summary["by_cause"] as? [String: Int] == [:])
            #expect(summary["own_probes"] as? Int == 2)
            #expect(summary["own_probes_by_cause"] as? [String: Int] == ["protocol_mismatch": 2])

            let text = try PostlsBinary.run(logArgs, environment: env).stdout
            #expect(text.contains("2 failed sessions were postls's own probes (protocol_mismatch 2): not counted"), "\(text)")

            let included = try PostlsBinary.run(logArgs + ["--json", "--include-own-probes"], environment: env)
            #expect(included.status == 1)
            let all = try #require(try JSONSerialization.jsonObject(with: Data(included.stdout.utf8)) as? [String: Any])
            let events = try #require(all["events"] as? [[String: Any]])
            #expect(events.count == 2 && events.allSatisfy { $0["own_probe"] as? Bool == true && $0["cause"] as? String == "protocol_mismatch" })
            #expect((all["summary"] as? [String: Any])?["by_cause"] as? [String: Int] == ["protocol_mismatch": 2])

            // Another record (another test's, another machine's state): the refusals are failures again.
            env["POSTLS_PROBE_RECORD"] = dir.file("other/probes.jsonl")
            let blind = try PostlsBinary.run(logArgs + ["--json"], environment: env)
            #expect(blind.status == 1)
            let blindSummary = try #require((try JSONSerialization.jsonObject(with: Data(blind.stdout.utf8)) as? [String: Any])?["summary"] as? [String: Any])
            #expect(blindSummary["by_cause"] as? [String: Int] == ["protocol_mismatch": 2])
        }
    }
}
