import Foundation
import PostfixConfig
import Testing
@testable import Diagnosis

/// Setup's Dovecot advice and the support report read dovecot.conf as Dovecot does (DovecotConfig): 2.4 names,
/// filters, includes inside sections. The reader they used before saw only top-level 2.3 names.
@Suite struct DovecotSetupAndReportTests {
    /// A temporary folder with these files; removed by the caller.
    func folder(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "postls-dovecot-\(UUID().uuidString)"
        for (name, text) in files {
            try FileManager.default.createDirectory(atPath: (dir + "/" + name as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
        return dir
    }

    func setupPlan(_ dovecot: DovecotConfig) throws -> SetupPlan {
        let tests = SetupPlanTests()
        let found = tests.candidate("/etc/tls/full.pem", "/etc/tls/key.pem")
        return try Setup.plan(tests.inputs(main: "myhostname = mx.example.net\n", master: tests.master, found: [found], dovecot: dovecot))
    }

    func reports(_ dovecotConfig: String) throws -> (markdown: String, json: [String: Any]) {
        let gathered = Gathered(configuration: nil, configError: "not read", findings: [], probe: nil, probeTargets: [], logReport: nil,
                                logFiles: [], logError: nil, postfixVersion: nil, report: DiagnosisReport(diagnoses: [], fixes: [], limitations: []))
        let versions = SupportReport.Versions(postfix: nil, dovecot: nil)
        let markdown = SupportReport.markdown(gathered: gathered, redact: false, versions: versions, dovecotConfig: dovecotConfig)
        let data = try SupportReport.json(gathered: gathered, redact: false, versions: versions, dovecotConfig: dovecotConfig)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (markdown, try #require(object["dovecot"] as? [String: Any]))
    }

    @Test func a24ConfigurationIsAdvisedAndReportedIn24Names() throws {
        let dir = try folder(["dovecot.conf": "dovecot_config_version = 2.4.0\nssl = yes\nssl_server_cert_file = /etc/old.pem\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plan = try setupPlan(try DovecotConfig(path: dir + "/dovecot.conf"))
        #expect(plan.dovecotChanges == ["ssl = required (now yes)", "ssl_server_cert_file = /etc/tls/full.pem (now /etc/old.pem)",
                                        "ssl_server_key_file = /etc/tls/key.pem (now unset)", "ssl_min_protocol = TLSv1.2 (now unset)"])
        #expect(plan.dovecotDiff.contains("-ssl_server_cert_file = /etc/old.pem\n"))
        #expect(plan.dovecotDiff.contains("+ssl_server_cert_file = /etc/tls/full.pem\n+ssl_server_key_file = /etc/tls/key.pem\n"))
        #expect(!plan.dovecotDiff.contains("ssl_cert") && !plan.dovecotDiff.contains("ssl_key "))

        let (markdown, json) = try reports(dir + "/dovecot.conf")
        #expect(markdown.contains("`ssl = yes`, `ssl_server_cert_file = /etc/old.pem`, `ssl_server_key_file = (default)`, `ssl_min_protocol = (default)`"))
        #expect(json["ssl_server_cert_file"] as? String == "/etc/old.pem")
        #expect(json["ssl_server_key_file"] is NSNull)
        #expect(json["ssl_cert"] == nil)
    }

    @Test func a24SSLServerBlockIsChangedWhereItIsWritten() throws {
        let dir = try folder(["dovecot.conf": "dovecot_config_version = 2.4.0\nssl = required\nssl_server {\n  cert_file = /etc/old.pem\n}\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plan = try setupPlan(try DovecotConfig(path: dir + "/dovecot.conf"))
        #expect(plan.dovecotChanges.first == "ssl_server_cert_file = /etc/tls/full.pem (now /etc/old.pem)")
        #expect(plan.dovecotDiff.contains("-  cert_file = /etc/old.pem\n+  cert_file = /etc/tls/full.pem\n"))
    }

    @Test func settingsInProtocolAndLocalFiltersAreAdvisedAndReported() throws {
        let conf = """
            ssl = required
            ssl_cert = </etc/tls/full.pem
            ssl_key = </etc/tls/key.pem
            ssl_min_protocol = TLSv1.2
            protocol imap {
              ssl_cert = </etc/old-imap.pem
            }
            local 127.0.0.1 {
              ssl_min_protocol = TLSv1
            }
            local_name other.example.org {
              ssl_cert = </etc/other.pem
            }

            """
        let dir = try folder(["dovecot.conf": conf])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plan = try setupPlan(try DovecotConfig(path: dir + "/dovecot.conf"))
        // The global settings are already right; the filters would keep the old certificate and protocol floor.
        #expect(plan.dovecotChanges == ["ssl_cert = </etc/tls/full.pem in protocol imap (now </etc/old-imap.pem)",
                                        "ssl_min_protocol = TLSv1.2 in local 127.0.0.1 (now TLSv1)"])
        #expect(plan.dovecotDiff.contains("-  ssl_cert = </etc/old-imap.pem\n+  ssl_cert = </etc/tls/full.pem\n"))
        #expect(plan.dovecotDiff.contains("-  ssl_min_protocol = TLSv1\n+  ssl_min_protocol = TLSv1.2\n"))
        // A local_name filter serves another name: left as it is.
        #expect(plan.dovecotDiff.contains("\n   ssl_cert = </etc/other.pem\n"))
        #expect(!plan.dovecotDiff.contains("-  ssl_cert = </etc/other.pem"))

        let (markdown, json) = try reports(dir + "/dovecot.conf")
        #expect(markdown.contains("- in `protocol imap` (`\(dir)/dovecot.conf` line 6): `ssl_cert = </etc/old-imap.pem`\n"))
        #expect(markdown.contains("- in `local 127.0.0.1` (`\(dir)/dovecot.conf` line 9): `ssl_min_protocol = TLSv1`\n"))
        #expect(json["ssl_cert"] as? String == "</etc/tls/full.pem")
        #expect(json["ssl_cert (protocol imap)"] as? String == "</etc/old-imap.pem")
        #expect(json["ssl_min_protocol (local 127.0.0.1)"] as? String == "TLSv1")
        #expect(json["ssl_cert (local_name other.example.org)"] as? String == "</etc/other.pem")
    }

    @Test func settingsIncludedInsideAFilterAreAdvisedAndReported() throws {
        let dir = try folder(["dovecot.conf": "ssl = yes\nprotocol imap {\n  !include conf.d/imap-ssl.conf\n}\n",
                              "conf.d/imap-ssl.conf": "ssl_cert = </etc/old-imap.pem\nssl_key = </etc/old-imap.key\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plan = try setupPlan(try DovecotConfig(path: dir + "/dovecot.conf"))
        #expect(plan.dovecotChanges.contains("ssl_cert = </etc/tls/full.pem in protocol imap (now </etc/old-imap.pem)"))
        #expect(plan.dovecotChanges.contains("ssl_key = </etc/tls/key.pem in protocol imap (now </etc/old-imap.key)"))
        #expect(plan.dovecotDiff.contains("+++ b/" + String(dir.dropFirst()) + "/conf.d/imap-ssl.conf"))
        #expect(plan.dovecotDiff.contains("+ssl_cert = </etc/tls/full.pem\n+ssl_key = </etc/tls/key.pem\n"))

        let (markdown, json) = try reports(dir + "/dovecot.conf")
        #expect(markdown.contains("- in `protocol imap` (`\(dir)/conf.d/imap-ssl.conf` line 1): `ssl_cert = </etc/old-imap.pem`, `ssl_key = </etc/old-imap.key`\n"))
        #expect(json["ssl_key (protocol imap)"] as? String == "</etc/old-imap.key")
        #expect(json["ssl_cert"] is NSNull)
    }
}
