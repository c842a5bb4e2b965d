import Foundation
import PostlsCore
import Testing
import TestSupport

/// The JSON contracts of docs/json/: every command that prints JSON, run as a user runs it against real inputs
/// (a throwaway Postfix with a private CA, its own log and the log fixtures, real DNS servers), and its output
/// validated against its schema with Debian's python3-jsonschema.
final class JSONContractFixture: @unchecked Sendable {
    let dir: TemporaryDirectory
    let factory: CertificateFactory
    let postfix: PostfixInstance
    let dovecotConfig: String
    /// The log fixtures of MailLogTests (Postfix 3.7 maillog_file, Dovecot 2.3 log_path): many causes at once.
    let fixtureLogs: [String]

    static let shared = Result { try JSONContractFixture() }
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    init() throws {
        dir = try TemporaryDirectory(prefix: "postls-json-contract")
        factory = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try factory.leaf("mx", commonName: "mx.contract.example", sans: ["mx.contract.example"])
        let selfSigned = try factory.leaf("self", commonName: "mx.contract.example", issuer: .selfSigned)
        postfix = try PostfixInstance(
            mainCF: """
                smtpd_tls_security_level = may
                smtpd_tls_cert_file = \(leaf.fullChainFile)
                smtpd_tls_key_file = \(leaf.keyFile)
                smtpd_tls_protocols = >=TLSv1.2
                """,
            listeners: [PostfixListener(name: "smtp"),
                        PostfixListener(name: "submission", overrides: [("smtpd_tls_security_level", "encrypt"),
                                                                        ("smtpd_tls_chain_files", selfSigned.keyAndChainFile)])],
            myhostname: "mx.contract.example")
        try postfix.start()
        dovecotConfig = try dir.write("dovecot.conf", "ssl = yes\nssl_cert = <\(leaf.fullChainFile)\nssl_key = <\(leaf.keyFile)\nssl_min_protocol = TLSv1.2\n")
        let fixtures = Self.root.appendingPathComponent("Tests/MailLogTests/Fixtures").path
        fixtureLogs = try FileManager.default.contentsOfDirectory(atPath: fixtures).filter { $0.hasSuffix(".log") }.sorted()
            .map { fixtures + "/" + $0 }
        // Traffic of its own, so the instance's log has TLS lines (established and failed) too.
        _ = try PostlsBinary.run(["probe", "127.0.0.1", "--port", ports, "--ca-file", factory.rootFile, "--timeout", "5"], timeout: 120)
        _ = postfix.waitForLog(containing: "TLS connection established")
    }

    var ports: String { postfix.listeners.map { String($0.port) }.joined(separator: ",") }

    /// Options every gathering command (diagnose, fix list, report) shares.
    var gather: [String] {
        ["--config-dir", postfix.configDirectory, "--log", postfix.logFile] + fixtureLogs.flatMap { ["--log", $0] }
            + ["--ca-file", factory.rootFile, "--name", "mx.contract.example", "--timeout", "5", "--dovecot-config", dovecotConfig]
    }
}

/// Runs postls and validates its stdout against a schema: the exit status is one of the documented ones and
/// the schema finds nothing wrong.
func expectValid(_ arguments: [String], schema: String, statuses: Set<Int32> = [0, 1, 2], layout: JSONSchemaValidator.Layout = .document,
                 sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let out = try PostlsBinary.run(arguments, timeout: 180)
    #expect(statuses.contains(out.status), "postls \(arguments.joined(separator: " ")) exited \(out.status): \(out.stderr)", sourceLocation: sourceLocation)
    #expect(!out.stdout.isEmpty, "postls \(arguments.joined(separator: " ")) printed nothing: \(out.stderr)", sourceLocation: sourceLocation)
    let errors = try JSONSchemaValidator.validate(json: out.stdout, schema: schema, layout: layout)
    #expect(errors.isEmpty, "postls \(arguments.joined(separator: " ")) does not match docs/json/\(schema):\n\(errors.joined(separator: "\n"))",
            sourceLocation: sourceLocation)
    return out.stdout
}

@Suite("JSON schemas in docs/json", .enabled(if: Prerequisites.isCI || JSONSchemaValidator.isAvailable))
struct JSONSchemaTests {
    static let schemas = ["common", "config", "probe", "logs", "diagnose", "fix", "dns", "report", "version", "tlsrpt", "bundle"].map { $0 + ".schema.json" }

    @Test func everySchemaIsAValidDraft2020Schema() throws {
        let (checked, errors) = try JSONSchemaValidator.checkSchemas()
        #expect(errors.isEmpty, "\(errors)")
        #expect(Set(checked) == Set(Self.schemas), "docs/json holds \(checked.sorted())")
        for name in Self.schemas {
            let url = URL(fileURLWithPath: JSONSchemaValidator.schemaDirectory).appendingPathComponent(name)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            #expect(object["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema", "\(name)")
            #expect((object["$id"] as? String)?.hasSuffix("/" + name) == true, "\(name): $id")
            for key in ["title", "description"] { #expect((object[key] as? String)?.isEmpty == false, "\(name) has no \(key)") }
            #expect(object["version"] as? Int == 1, "\(name) has no version")
        }
    }

    @Test func theCauseEnumIsExactlyTheCauseVocabulary() throws {
        let url = URL(fileURLWithPath: JSONSchemaValidator.schemaDirectory).appendingPathComponent("common.schema.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let cause = try #require((object["$defs"] as? [String: Any])?["cause"] as? [String: Any])
        let listed = try #require(cause["enum"] as? [String])
        #expect(listed.count == Set(listed).count, "a cause is listed twice")
        #expect(Set(listed) == Set(Cause.allCases.map(\.rawValue)),
                "schema only: \(Set(listed).subtracting(Cause.allCases.map(\.rawValue))), Cause only: \(Set(Cause.allCases.map(\.rawValue)).subtracting(listed))")
        let severity = try #require((object["$defs"] as? [String: Any])?["severity"] as? [String: Any])
        #expect(Set(severity["enum"] as? [String] ?? []) == Set(Severity.allCases.map(\.rawValue)))
        let confidence = try #require((object["$defs"] as? [String: Any])?["confidence"] as? [String: Any])
        #expect(Set(confidence["enum"] as? [String] ?? []) == Set(Confidence.allCases.map(\.rawValue)))
    }

    /// The validator must be able to fail: wrong documents of each kind are rejected, with the place named.
    @Test(arguments: [
        ("diagnose.schema.json", #"{"diagnoses": [{"cause": "no_such_cause", "severity": "critical", "confidence": "high", "summary": "", "evidence": [], "fixes": []}], "fixes": []}"#, "/diagnoses/0/cause"),
        ("diagnose.schema.json", #"{"diagnoses": [], "fixes": [{"id": "x", "title": "t", "kind": "config_edit", "diff": null}]}"#, "/fixes/0"),
        ("config.schema.json", #"{"config_directory": "/etc/postfix", "parameters": {}, "services": [], "dovecot": null, "findings": [{"id": "r", "cause": "key_mismatch", "severity": "fatal", "file": null, "line": null, "parameter": null, "message": "", "fix": null}]}"#, "/findings/0/severity"),
        ("probe.schema.json", #"{"targets": [{"host": "h", "address": "127.0.0.1", "port": 25, "mode": "starttls"}]}"#, "/targets/0"),
        ("logs.schema.json", #"{"events": [], "summary": {"by_cause": {"made_up": 1}, "tls_established": {}, "lines_read": 1, "lines_skipped": 0}}"#, "/summary/by_cause"),
        ("dns.schema.json", #"{"domain": "example.org", "dnssec": "maybe", "mx": [], "mta_sts": null, "tls_rpt": null, "spf": null, "dmarc": null, "dkim": {}, "findings": []}"#, "/dnssec"),
        ("fix.schema.json", #"{"fixes": []}"#, "/"),
        ("version.schema.json", #"{"postls": "0.1.0"}"#, "/"),
        ("bundle.schema.json", #"{"format": "postls-bundle", "bundle_version": 2, "postls_version": "0.1.0", "generated": "2026-12-07T16:00:00Z", "redacted": false, "host_name": "h", "config_directory": "/etc/postfix", "config": {"settings": [], "findings": []}, "probe": {"listeners": []}, "logs": {"events": [], "events_total": 0}, "diagnoses": [], "fixes": [], "files": [], "actions": []}"#, "/bundle_version"),
        ("bundle.schema.json", #"{"format": "postls-bundle", "bundle_version": 1, "postls_version": "0.1.0", "generated": "2026-12-07T16:00:00Z", "redacted": false, "host_name": "h", "config_directory": "/etc/postfix", "config": {"settings": [], "findings": []}, "probe": {"listeners": []}, "logs": {"events": [], "events_total": 0}, "diagnoses": [], "fixes": [], "files": [], "actions": [], "dns": {"candidates": [], "view": {"domain": "d", "resolver": "r", "dnssec": "secure", "mx": [{"host": "m", "preference": 10, "addresses": [], "is_this_server": "yes", "lines": []}], "policies": [], "findings": [], "records": []}}}"#, "/dns/view/mx/0/is_this_server"),
        ("tlsrpt.schema.json", #"{"days": [{"organization": "G", "day": "2026-12-01", "reports": 1, "policy_domains": [], "successful_sessions": 1, "failed_sessions": 1, "blocked_sessions": 0, "failures": [{"result_type": "certificate-expired", "cause": "expired", "failed_sessions": 1}], "failing": []}], "reports": [], "rejected": [], "skipped": [], "unreadable": [], "totals": {"reports": 0, "successful_sessions": 0, "failed_sessions": 0, "rejected": 0, "skipped": 0, "unreadable": 0}}"#, "/days/0/failures/0/cause"),
    ])
    func aWrongDocumentIsRejected(schema: String, document: String, place: String) throws {
        let errors = try JSONSchemaValidator.validate(json: document, schema: schema)
        #expect(!errors.isEmpty, "\(schema) accepted \(document)")
        #expect(errors.contains { $0.hasPrefix(place) }, "\(schema): expected an error at \(place), got \(errors)")
    }

    @Test func aWrongLineOfFollowedEventsIsRejected() throws {
        let good = #"{"time": "Nov 29 03:58:03", "host": "mx", "program": "postfix/smtpd", "pid": 1, "service": "smtp", "peer": null, "cause": "peer_aborted", "confidence": "low", "lines": [{"file": "f", "line": 1, "text": "t"}]}"#
        #expect(try JSONSchemaValidator.validate(json: good + "\n", schema: "logs.schema.json", fragment: "/$defs/event", layout: .lines).isEmpty)
        let errors = try JSONSchemaValidator.validate(json: good + "\n" + #"{"time": 1}"# + "\n", schema: "logs.schema.json",
                                                      fragment: "/$defs/event", layout: .lines)
        #expect(errors.contains { $0.hasPrefix("[1]/time") }, "\(errors)")
        #expect(!errors.contains { $0.hasPrefix("[0]") }, "\(errors)")
    }

    @Test func aDocumentThatIsNotJSONIsAnErrorNotAPass() {
        #expect(throws: JSONSchemaValidator.Failure.self) { try JSONSchemaValidator.validate(json: "not json", schema: "probe.schema.json") }
    }
}

@Suite("Every --json output against its schema", .enabled(if: Prerequisites.postfix && (Prerequisites.isCI || JSONSchemaValidator.isAvailable)),
       .serialized)
struct JSONContractTests {
    let fixture: JSONContractFixture
    init() throws { fixture = try JSONContractFixture.shared.get() }

    @Test func configMatchesItsSchema() throws {
        let base = ["config", "--json", "--config-dir", fixture.postfix.configDirectory, "--dovecot-config", fixture.dovecotConfig]
        let text = try expectValid(base, schema: "config.schema.json")
        #expect(text.contains("\"dovecot\" : {") || text.contains("\"dovecot\": {"), "the Dovecot section is checked too")
        _ = try expectValid(base + ["--all"], schema: "config.schema.json")
    }

    @Test func probeMatchesItsSchema() throws {
        // Both listeners (one with a self-signed certificate and TLS required), and a port where nothing listens.
        let text = try expectValid(["probe", "127.0.0.1", "--port", fixture.ports + ",9", "--ca-file", fixture.factory.rootFile,
                                    "--name", "mx.contract.example", "--timeout", "5", "--json"], schema: "probe.schema.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let targets = try #require(object["targets"] as? [[String: Any]])
        #expect(targets.count == 3)
        #expect(targets.contains { $0["error"] is NSNull } && targets.contains { !($0["error"] is NSNull) }, "a working and a failing listener")
        _ = try expectValid(["probe", "127.0.0.1", "--port", String(fixture.postfix.listeners[0].port), "--ciphers", "--ca-file",
                             fixture.factory.rootFile, "--timeout", "5", "--json"], schema: "probe.schema.json")
    }

    @Test func logsMatchesItsSchema() throws {
        let text = try expectValid(["logs", "--json", fixture.postfix.logFile] + fixture.fixtureLogs, schema: "logs.schema.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect((object["events"] as? [Any])?.count ?? 0 >= 10, "the fixtures hold many failures: \(text.prefix(500))")
        let stdin = try String(contentsOfFile: fixture.fixtureLogs[0], encoding: .utf8)
        let out = try PostlsBinary.run(["logs", "--json", "-"], stdin: stdin)
        #expect(try JSONSchemaValidator.validate(json: out.stdout, schema: "logs.schema.json").isEmpty)
    }

    /// The smtp client's next hops (`summary.outbound`), from lines a real Postfix 3.7 wrote at level verify.
    @Test func logsListsOutboundNextHopsInItsSchema() throws {
        let stdin = """
            Dec  7 14:07:54 mail postfix/smtp[101]: server certificate verification failed for localhost[127.0.0.1]:46181: num=62:hostname mismatch
            Dec  7 14:07:54 mail postfix/smtp[101]: Untrusted TLS connection established to localhost[127.0.0.1]:46181: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ECDSA (prime256v1) server-digest SHA256
            Dec  7 14:07:54 mail postfix/smtp[101]: 6C811F865FD: to=<user@wrongname.test>, relay=localhost[127.0.0.1]:46181, delay=0.14, delays=0.09/0.04/0.01/0, dsn=4.7.5, status=deferred (Server certificate not verified)

            """
        let out = try PostlsBinary.run(["logs", "--json", "-"], stdin: stdin)
        #expect(try JSONSchemaValidator.validate(json: out.stdout, schema: "logs.schema.json").isEmpty)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let hops = try #require((object["summary"] as? [String: Any])?["outbound"] as? [[String: Any]], "\(out.stdout)")
        #expect(hops.count == 1 && hops[0]["nexthop"] as? String == "localhost[127.0.0.1]:46181" && hops[0]["deferred"] as? Int == 1, "\(hops)")
        let text = try PostlsBinary.run(["logs", "-"], stdin: stdin).stdout
        #expect(text.contains("localhost[127.0.0.1]:46181 via smtp: 1 untrusted, 1 failed (1 deferred)"), "\(text)")
    }

    /// `logs --follow --json` prints one event object a line as events happen: each line is a logs event.
    @Test(.enabled(if: Prerequisites.isCI || Prerequisites.has("timeout"))) func followedEventsMatchTheEventSchema() throws {
        // coreutils' timeout stops the follower after the existing lines are read (124: it had to stop it).
        let out = try SystemProcessRunner().run("timeout", ["5", PostlsBinary.path, "logs", "--follow", "--json"] + fixture.fixtureLogs,
                                                stdin: nil, environment: nil, timeout: 60)
        #expect(out.status == 124, "\(out.stderr)")
        let lines = out.stdout.split(separator: "\n")
        #expect(lines.count >= 10, "\(out.stdout.prefix(500))")
        let errors = try JSONSchemaValidator.validate(json: out.stdout, schema: "logs.schema.json", fragment: "/$defs/event", layout: .lines)
        #expect(errors.isEmpty, "postls logs --follow --json does not match docs/json/logs.schema.json#/$defs/event:\n\(errors.joined(separator: "\n"))")
    }

    @Test func diagnoseMatchesItsSchema() throws {
        _ = try expectValid(["diagnose", "--json"] + fixture.gather, schema: "diagnose.schema.json")
        _ = try expectValid(["diagnose", "--json", "--no-probe", "--no-logs", "--config-dir", fixture.postfix.configDirectory],
                            schema: "diagnose.schema.json")
    }

    /// `diagnose --tlsrpt`: `sender_reports` with both providers' shapes, a rejected report, failures unseen locally
    /// (the samples' Google addresses never reached this server), and without logs (nothing matched).
    @Test func diagnoseWithSenderReportsMatchesItsSchema() throws {
        let google = try fixture.dir.write("diagnose-tlsrpt/google.json", TLSReportSamples.google())
        let microsoft = fixture.dir.file("diagnose-tlsrpt/microsoft.json.gz")
        try TLSReportSamples.gzip(TLSReportSamples.microsoft()).write(to: URL(fileURLWithPath: microsoft))
        let broken = try fixture.dir.write("diagnose-tlsrpt/broken.json", TLSReportSamples.malformed)
        let text = try expectValid(["diagnose", "--json", "--tlsrpt", google, "--tlsrpt", microsoft, "--tlsrpt", broken] + fixture.gather,
                                   schema: "diagnose.schema.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let senders = try #require(object["sender_reports"] as? [String: Any], "\(text.prefix(2000))")
        #expect(senders["reports"] as? Int == 2 && (senders["rejected"] as? [Any])?.count == 1, "\(senders)")
        #expect(senders["not_seen_locally"] as? Int == 2, "\(senders)")
        let noLogs = try expectValid(["diagnose", "--json", "--no-probe", "--no-logs", "--tlsrpt", google, "--config-dir", fixture.postfix.configDirectory],
                                     schema: "diagnose.schema.json")
        #expect(noLogs.contains("\"logs_read\" : false") || noLogs.contains("\"logs_read\":false"), "\(noLogs.prefix(2000))")
    }

    @Test func demoMatchesTheDiagnoseSchema() throws {
        let text = try expectValid(["demo", "--print", "--json"], schema: "diagnose.schema.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect((object["diagnoses"] as? [Any])?.count ?? 0 >= 3, "the demo shows several causes")
        #expect((object["fixes"] as? [Any])?.isEmpty == false)
    }

    @Test func fixListMatchesItsSchema() throws {
        let text = try expectValid(["fix", "list", "--json"] + fixture.gather, schema: "fix.schema.json")
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("["))
    }

    @Test(arguments: [false, true])
    func reportMatchesItsSchema(redact: Bool) throws {
        let text = try expectValid(["report", "--format", "json"] + (redact ? ["--redact"] : []) + fixture.gather, schema: "report.schema.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["redacted"] as? Bool == redact)
        #expect(!(object["probe"] is NSNull), "the probe section is validated too")
    }

    /// The support bundle, written to a file as `postls open` reads it, plain and redacted.
    @Test(arguments: [false, true])
    func bundleMatchesItsSchema(redact: Bool) throws {
        let path = fixture.dir.file("bundle-\(redact).json")
        let out = try PostlsBinary.run(["report", "--bundle", path] + (redact ? ["--redact"] : []) + fixture.gather, timeout: 180)
        #expect([0, 1, 2].contains(out.status), "\(out.stderr)")
        #expect(out.stdout.isEmpty, "the bundle goes to its file only: \(out.stdout.prefix(500))")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let errors = try JSONSchemaValidator.validate(json: text, schema: "bundle.schema.json")
        #expect(errors.isEmpty, "the bundle does not match docs/json/bundle.schema.json:\n\(errors.joined(separator: "\n"))")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["redacted"] as? Bool == redact)
        // Every part the wizard shows is there: not an empty shell that passes the schema.
        #expect(((object["probe"] as? [String: Any])?["listeners"] as? [Any])?.count == fixture.postfix.listeners.count)
        #expect(((object["logs"] as? [String: Any])?["events"] as? [Any])?.isEmpty == false)
        #expect((object["diagnoses"] as? [Any])?.isEmpty == false)
        // The fixes are `postls fix list`'s, diffs included, for the same gathering.
        let listed = try PostlsBinary.run(["fix", "list", "--json"] + fixture.gather, timeout: 180)
        let expected = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]
        let fixes = try #require(object["fixes"] as? [[String: Any]])
        #expect(!fixes.isEmpty)
        #expect(fixes.map { $0["id"] as? String } == (expected ?? []).map { $0["id"] as? String })
        if !redact { #expect(fixes.map { $0["diff"] as? String } == (expected ?? []).map { $0["diff"] as? String }) }
        let files = (object["files"] as? [[String: Any]] ?? []).map { ($0["path"] as? String ?? "").split(separator: "/").last.map(String.init) ?? "" }
        #expect(Array(files.prefix(2)) == ["main.cf", "master.cf"], "\(files)")
    }

    /// Reports of both shapes (gzip in a message, bare gzip), a malformed one, and mail that is no report.
    @Test func tlsrptMatchesItsSchema() throws {
        let google = try fixture.dir.write("tlsrpt/google.eml", TLSReportSamples.googleMessage(
            gz: try TLSReportSamples.gzip(TLSReportSamples.google()), to: ReportMailbox.maildirAddress))
        let microsoft = fixture.dir.file("tlsrpt/microsoft.json.gz")
        try TLSReportSamples.gzip(TLSReportSamples.microsoft()).write(to: URL(fileURLWithPath: microsoft))
        let broken = try fixture.dir.write("tlsrpt/broken.json", TLSReportSamples.malformed)
        let plain = try fixture.dir.write("tlsrpt/lunch.eml", TLSReportSamples.plainMessage(to: ReportMailbox.maildirAddress))
        let text = try expectValid(["tlsrpt", "--json", google, microsoft, broken, plain], schema: "tlsrpt.schema.json", statuses: [2])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect((object["days"] as? [Any])?.count == 2)
        #expect((object["rejected"] as? [Any])?.count == 1 && (object["skipped"] as? [Any])?.count == 1)
    }

    @Test func versionMatchesItsSchema() throws {
        _ = try expectValid(["version", "--json"], schema: "version.schema.json", statuses: [0])
    }

    /// `dns` (and `diagnose --domain`) against real DNS servers: a signed zone whose TLSA matches what the MX serves,
    /// with SPF, DMARC, TLS-RPT and DKIM, and one whose TLSA is stale and whose MTA-STS policy cannot be fetched.
    @Test(.enabled(if: Prerequisites.dnsServers)) func dnsMatchesItsSchema() throws {
        let smtp = fixture.postfix.listeners[0].port
        let leafFile = try #require(try String(contentsOfFile: fixture.postfix.mainCFPath, encoding: .utf8).split(separator: "\n")
            .first { $0.hasPrefix("smtpd_tls_cert_file") }.map { String($0.split(separator: "=")[1]).trimmingCharacters(in: .whitespaces) })
        let digest = try SystemProcessRunner().run("openssl", ["x509", "-in", leafFile, "-noout", "-fingerprint", "-sha256"], timeout: 30)
        let fingerprint = String(digest.stdout.split(separator: "=").last ?? "").replacingOccurrences(of: ":", with: "")
            .trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        #expect(fingerprint.count == 64)
        let stale = String(repeating: "ab", count: 32)
        let dns = try DNSServers(zones: [
            TestZone("contract.example", signing: .signed, records: [
                "@ IN MX 10 mx.contract.example.", "mx IN A 127.0.0.1",
                "_25._tcp.mx IN TLSA 3 0 1 \(fingerprint)",
                "@ IN TXT \"v=spf1 mx -all\"",
                "_dmarc IN TXT \"v=DMARC1; p=reject\"",
                "_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tls@contract.example\"",
                "s1._domainkey IN TXT \"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"",
            ]),
            TestZone("stale.example", signing: .signed, records: [
                "@ IN MX 10 mx.stale.example.", "mx IN A 127.0.0.1",
                "_25._tcp.mx IN TLSA 3 0 1 \(stale)",
                "_mta-sts IN TXT \"v=STSv1; id=20260101\"",
            ]),
        ])
        defer { dns.stop() }
        let common = ["--resolver", dns.resolverArgument, "--port", String(smtp), "--ca-file", fixture.factory.rootFile, "--timeout", "3", "--json"]
        let good = try expectValid(["dns", "contract.example", "--dkim-selector", "s1", "--dkim-selector", "missing"] + common,
                                   schema: "dns.schema.json")
        #expect(good.contains("\"matches\" : true"), "the TLSA record matches the served certificate: \(good.prefix(2000))")
        let bad = try expectValid(["dns", "stale.example"] + common, schema: "dns.schema.json")
        #expect(bad.contains("dane_mismatch"), "\(bad.prefix(2000))")
        _ = try expectValid(["dns", "nothing-here.example"] + common, schema: "dns.schema.json")
        _ = try expectValid(["diagnose", "--json", "--domain", "stale.example", "--resolver", dns.resolverArgument] + fixture.gather,
                            schema: "diagnose.schema.json")
        // A bundle with the DNS step and senders' reports: both are in it and both are validated, plain and redacted.
        let google = try fixture.dir.write("bundle-dns/google.json", TLSReportSamples.google(domain: "stale.example"))
        for redact in [false, true] {
            let path = fixture.dir.file("bundle-dns-\(redact).json")
            let out = try PostlsBinary.run(["report", "--bundle", path, "--domain", "stale.example", "--resolver", dns.resolverArgument,
                                            "--mx-port", String(smtp), "--tlsrpt", google] + (redact ? ["--redact"] : []) + fixture.gather, timeout: 180)
            #expect([0, 1, 2].contains(out.status), "\(out.stderr)")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let errors = try JSONSchemaValidator.validate(json: text, schema: "bundle.schema.json")
            #expect(errors.isEmpty, "the bundle does not match docs/json/bundle.schema.json:\n\(errors.joined(separator: "\n"))")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            let view = try #require((object["dns"] as? [String: Any])?["view"] as? [String: Any], "\(text.prefix(3000))")
            #expect((view["mx"] as? [[String: Any]])?.first?["is_this_server"] as? Bool == true, "\(view)")
            #expect((view["findings"] as? [[String: Any]])?.contains { $0["cause"] as? String == "dane_mismatch" } == true, "\(view)")
            let senders = try #require(object["sender_reports"] as? [String: Any], "\(text.prefix(3000))")
            #expect((senders["headline"] as? String)?.hasPrefix("1 report from Google Inc.") == true && (senders["lines"] as? [String])?.count == 2, "\(senders)")
            // (Names under .example are documentation names the redactor keeps; the sender's address is not.)
            #expect(text.contains("209.85.128.70") == !redact, "\(text.prefix(3000))")
        }
    }

    /// Each command that prints JSON says in its --help where its schema is.
    @Test(arguments: [(["config"], "config"), (["probe"], "probe"), (["logs"], "logs"), (["diagnose"], "diagnose"),
                      (["fix", "list"], "fix"), (["dns"], "dns"), (["report"], "report"), (["report"], "bundle"), (["open"], "bundle"), (["version"], "version"), (["tlsrpt"], "tlsrpt"),
                      (["demo"], "diagnose")])
    func helpNamesTheSchema(command: [String], schema: String) throws {
        let out = try PostlsBinary.run(command + ["--help"])
        #expect(out.status == 0)
        let help = out.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
        #expect(help.contains("docs/json/\(schema).schema.json"), "postls \(command.joined(separator: " ")) --help does not name its schema:\n\(out.stdout)")
    }
}
