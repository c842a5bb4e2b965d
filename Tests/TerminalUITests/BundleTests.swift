import Diagnosis
import Foundation
import PostlsCore
import Testing
import TerminalUI
import WizardCore
import WizardFixtures

/// A bundle of the customer's server in a real-looking shape: one host name and two addresses that show up on
/// several screens (probe, logs, diagnoses, a fix's diff, main.cf), and one peer that no step learned from.
enum CustomerBundle {
    static let host = "mail.customer-corp.de"
    static let v4 = "81.2.69.142"
    static let v6 = "2a00:1450:4864:20::230"
    static let peer = "smtp.partner-firm.net"
    static let peerAddress = "85.13.150.7"

    static func make() -> WizardBundle {
        let listeners = [
            ListenerStatus(service: "smtp", port: 25, address: v4, tlsOK: true, protocolVersion: "TLSv1.3", verifyCode: 0, daysToExpiry: 40,
                           protocolSupport: ["TLSv1": false, "TLSv1.2": true, "TLSv1.3": true]),
            ListenerStatus(service: "smtp", port: 25, address: v6, family: .ipv6, tlsOK: false, errorPhase: "handshake",
                           errorMessage: "\(host)[\(v6)]: handshake failed", cause: .protocolMismatch),
        ]
        let events = (0..<5).map { i in
            LogEventRow(time: "Dec  7 10:0\(i):00", peerName: peer, peerAddress: peerAddress, service: "smtp", cause: .protocolMismatch,
                        confidence: .high, lines: ["mail.log:\(i + 1): connect from \(peer)[\(peerAddress)] to \(host)"])
        }
        let diagnosis = DiagnosisRow(cause: .protocolMismatch, severity: .critical, confidence: .high,
                                     summary: "\(peer) cannot use TLS with \(host)",
                                     evidence: ["probe smtp 25 [\(v6)]: handshake failed", "log mail.log:1: \(peer)[\(peerAddress)]"],
                                     fixIDs: ["protocols"])
        let fix = FixRow(id: "protocols", title: "Accept TLSv1 on \(host)", kind: .configEdit,
                         diff: "--- main.cf\n+++ main.cf\n-myhostname = \(host)\n+myhostname = \(host)\n", commands: [], impact: "1 peer")
        return WizardBundle(
            generated: "2026-12-07T16:00:00Z", hostName: host, configDirectory: "/etc/postfix",
            config: .init(settings: [ConfigSettingRow(service: "smtp (25)", parameter: "smtpd_tls_cert_file",
                                                      value: "/etc/letsencrypt/live/\(host)/fullchain.pem", source: "main.cf:3")],
                          findings: []),
            probe: .init(listeners: listeners, error: nil),
            logs: .init(totals: LogTotals(linesRead: 10, byCause: [.protocolMismatch: 5], sources: ["/var/log/mail.log"]),
                        events: events, eventsTotal: events.count, error: nil),
            diagnoses: [diagnosis], fixes: [fix],
            files: [.init(path: "/etc/postfix/main.cf", lines: ["myhostname = \(host)", "inet_interfaces = \(v4), [\(v6)]"])],
            actions: [.init(kind: .apply, source: "wizard", time: "2026-12-07T16:01:00Z", fixID: "protocols", journalID: "j1", succeeded: true,
                            message: "applied on \(host)", before: ["\(v4):25  TLSv1.3"], after: ["\(v4):25  TLSv1 TLSv1.3"])])
    }

    /// What the customer's wizard learned: the host and its addresses (the peer is left to the generic pass).
    static func redactor() -> Redactor {
        var r = Redactor()
        r.learn(host: host)
        r.learn(address: v4)
        r.learn(address: v6)
        return r
    }

    static func text(_ bundle: WizardBundle) throws -> String { String(decoding: try bundle.encoded(), as: UTF8.self) }
}

@Suite("Support bundles")
struct BundleTests {
    @Test func aBundleReadsBackAsWritten() throws {
        let bundle = CustomerBundle.make()
        let read = try WizardBundle.read(bundle.encoded())
        #expect(read == bundle)
        #expect(read.format == "postls-bundle" && read.bundleVersion == WizardBundle.currentVersion)
    }

    @Test func redactionGivesEachNameOneStandInEverywhere() throws {
        var redactor = CustomerBundle.redactor()
        let redacted = try CustomerBundle.make().redacted(with: &redactor)
        let text = try CustomerBundle.text(redacted)
        for secret in [CustomerBundle.host, CustomerBundle.v4, CustomerBundle.v6, CustomerBundle.peer, CustomerBundle.peerAddress, "customer-corp", "partner-firm"] {
            #expect(!text.contains(secret), "\(secret) is still in the redacted bundle")
        }
        #expect(redacted.redacted)
        let host = redacted.hostName
        let v4 = redacted.probe.listeners[0].address, v6 = redacted.probe.listeners[1].address
        #expect(host.hasSuffix(".example"), "\(host)")
        #expect(v4.hasPrefix("192.0.2.") || v4.hasPrefix("198.51.100.") || v4.hasPrefix("203.0.113."), "\(v4)")
        #expect(v6.hasPrefix("2001:db8::"), "\(v6)")
        // The same host is the same stand-in on every screen: title, a setting's path, evidence, the diff, main.cf, actions.
        #expect(redacted.config.settings[0].value == "/etc/letsencrypt/live/\(host)/fullchain.pem")
        #expect(redacted.probe.listeners[1].errorMessage == "\(host)[\(v6)]: handshake failed")
        #expect(redacted.diagnoses[0].evidence[0] == "probe smtp 25 [\(v6)]: handshake failed")
        #expect(redacted.fixes[0].diff == "--- main.cf\n+++ main.cf\n-myhostname = \(host)\n+myhostname = \(host)\n")
        #expect(redacted.files[0].lines == ["myhostname = \(host)", "inet_interfaces = \(v4), [\(v6)]"])
        #expect(redacted.actions[0].message == "applied on \(host)" && redacted.actions[0].before == ["\(v4):25  TLSv1.3"])
        // A peer nobody learned is caught by the generic pass, and still consistently: every event names the same stand-in.
        let peers = Set(redacted.logs.events.map(\.peer))
        #expect(peers.count == 1, "\(peers)")
        let peer = try #require(redacted.logs.events.first)
        #expect(peer.peerName != host && peer.peerName?.hasSuffix(".example") == true, "\(peer.peer)")
        #expect(redacted.diagnoses[0].summary == "\(peer.peerName!) cannot use TLS with \(host)")
        #expect(redacted.logs.events.allSatisfy { $0.lines[0].hasSuffix("from \(peer.peer) to \(host)") })
        // The header is as written: a version number is not an address.
        #expect(redacted.postlsVersion == PostlsVersion.string && redacted.bundleVersion == 1 && redacted.generated == "2026-12-07T16:00:00Z")
    }

    /// The DNS step and the senders' reports read back as written; a version 1 bundle written before they were
    /// carried (no `dns`, no `sender_reports`) still opens, with neither.
    @Test func theDNSStepAndSendersReportsAreOptionalFieldsOfVersion1() throws {
        var bundle = CustomerBundle.make()
        let mx = DNSView.MX(host: CustomerBundle.host, preference: 10, addresses: [CustomerBundle.v4], isThisServer: true,
                            lines: [.init(.critical, "TLSA", "1 record: STALE, match neither the served key nor the key on disk")])
        bundle.dns = .init(candidates: ["customer-corp.de", "lists.customer-corp.de"],
                           view: DNSView(domain: "customer-corp.de", resolver: "127.0.0.53:53", dnssec: "secure", mx: [mx],
                                         policies: [.init(.ok, "TLS-RPT", "v=TLSRPTv1; rua=mailto:tls@customer-corp.de")],
                                         findings: [.init(severity: .critical, cause: .daneMismatch, message: "stale")], records: ["; publish"]))
        bundle.senderReports = SenderReportsRow(headline: "1 report from Google Inc.: 1200 successful, 7 failed sessions",
                                                lines: ["not seen locally: name_mismatch  5 certificate-host-mismatch from 209.85.128.70 (Google Inc.)"],
                                                notSeenLocally: 1)
        let text = try CustomerBundle.text(bundle)
        #expect(text.contains("\"is_this_server\" : true") && text.contains("\"not_seen_locally\" : 1") && text.contains("\"sender_reports\""), "\(text)")
        #expect(try WizardBundle.read(bundle.encoded()) == bundle)
        #expect(bundle.dns?.domain == "customer-corp.de")
        var object = try #require(try JSONSerialization.jsonObject(with: bundle.encoded()) as? [String: Any])
        object["dns"] = nil
        object["sender_reports"] = nil
        let older = try WizardBundle.read(JSONSerialization.data(withJSONObject: object))
        #expect(older.dns == nil && older.senderReports == nil && older.diagnoses == bundle.diagnoses)
    }

    @Test func twoBundlesOfOneServerRedactedAlikeShareTheirStandIns() throws {
        var first = CustomerBundle.redactor(), second = CustomerBundle.redactor()
        #expect(try CustomerBundle.make().redacted(with: &first) == CustomerBundle.make().redacted(with: &second))
    }

    @Test(arguments: [(0, "older"), (2, "newer"), (99, "newer")])
    func anotherVersionIsRefusedByItsNumber(version: Int, word: String) throws {
        var object = try #require(try JSONSerialization.jsonObject(with: CustomerBundle.make().encoded()) as? [String: Any])
        object["bundle_version"] = version
        // A newer bundle may have changed any field: the version alone decides, before anything else is read.
        object["diagnoses"] = "changed in a later version"
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: version < 1 ? WizardBundle.ReadError.older(version) : .newer(version)) { try WizardBundle.read(data) }
        do { _ = try WizardBundle.read(data) } catch {
            #expect(error.description.contains("bundle version \(version) is \(word) than this postls reads (version 1)"), "\(error)")
        }
    }

    @Test(arguments: [
        ("", "not JSON"),
        ("{\"format\": \"postls-bundle\", \"bundle_version\": 1, ", "not JSON"),
        ("[1, 2]", "no \"format\""),
        ("{\"report_version\": 1, \"diagnoses\": []}", "postls report --bundle"),
        ("{\"format\": \"postls-bundle\"}", "no bundle_version"),
    ])
    func aFileThatIsNoBundleIsRefusedWithTheReason(text: String, reason: String) {
        do {
            _ = try WizardBundle.read(Data(text.utf8))
            Issue.record("\(text) was read as a bundle")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
        }
    }

    @Test(arguments: [
        ("diagnoses", "[{\"cause\": \"no_such_cause\", \"severity\": \"critical\", \"confidence\": \"high\", \"summary\": \"\", \"evidence\": [], \"fix_ids\": []}]", "diagnoses[0].cause"),
        ("probe", "{\"listeners\": [{\"service\": \"smtp\"}]}", "probe.listeners[0]: field port is missing"),
        ("logs", "{\"events\": [], \"events_total\": \"many\"}", "logs.events_total"),
        ("fixes", "null", "fixes"),
    ])
    func aDamagedBundleIsRefusedWithThePlace(field: String, json: String, place: String) throws {
        var object = try #require(try JSONSerialization.jsonObject(with: CustomerBundle.make().encoded()) as? [String: Any])
        object[field] = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        let data = try JSONSerialization.data(withJSONObject: object)
        do {
            _ = try WizardBundle.read(data)
            Issue.record("a bundle with \(field) = \(json) was read")
        } catch {
            #expect(error.description.hasPrefix("a damaged postls bundle: \(place)"), "\(error)")
        }
    }

    @Test func aHugeFileIsRefusedBeforeParsing() {
        #expect(throws: WizardBundle.ReadError.tooLarge(WizardBundle.maximumBytes + 1)) {
            try WizardBundle.read(Data(count: WizardBundle.maximumBytes + 1))
        }
    }

    @Test func logEventsAreKeptUpToABoundPerCause() {
        let many = (0..<(WizardBundle.eventsPerCause + 50)).map { i in
            LogEventRow(time: "\(i)", peerName: nil, peerAddress: nil, service: "smtp", cause: .peerAborted, confidence: .low, lines: [])
        }
        let rare = LogEventRow(time: "rare", peerName: nil, peerAddress: nil, service: "smtp", cause: .keyMismatch, confidence: .high, lines: [])
        let kept = WizardBundle.Logs.bounded(many + [rare])
        #expect(kept.count == WizardBundle.eventsPerCause + 1)
        #expect(kept.last == rare, "a rare cause keeps its events however many another cause has")
        #expect(kept.first?.time == "0")
    }
}

@Suite("The wizard on a bundle is read-only")
struct ReadOnlyWizardTests {
    static func opened() -> WizardState {
        var s = DemoStates.loaded()
        s.readOnly = ReadOnlySource(path: "/tmp/b.json", generated: "2026-12-07T16:00:00Z", redacted: true,
                                    actions: ["2026-12-07T16:01:00Z  applied protocols: done  [wizard]"])
        return s
    }

    @Test func applyRollbackProbeAndWritingAreRefusedWithANote() {
        var d = Driver(Self.opened())
        d.press(.character("5"), .enter)
        #expect(d.state.dialog == nil && d.state.step == .fixes)
        #expect(d.state.message?.contains("Read-only") == true && d.state.message?.contains("Apply is disabled") == true, "\(d.state.message ?? "")")
        d.press(.character("a"))
        #expect(d.state.dialog == nil)
        d.press(.character("6"), .character("r"))
        #expect(d.state.dialog == nil && d.state.message?.contains("Rollback is disabled") == true)
        d.press(.character("1"), .character("r"))
        #expect(d.state.message?.contains("Read-only") == true && !d.state.probe.running)
        d.press(.character("4"), .character("r"))
        #expect(d.state.message?.contains("Read-only") == true && !d.state.logs.loading)
        d.press(.character("7"), .enter)
        d.press(.character("b"))
        #expect(d.state.report.status == .idle && d.state.message?.contains("Read-only") == true)
        #expect(d.effects.isEmpty, "an opened bundle asks the engines for nothing: \(d.effects)")
    }

    @Test func theApplyStepSaysReadOnlyAndListsWhatWasTried() {
        var s = Self.opened()
        s.step = .apply
        let screen = WizardScreen.render(s).dump().joined(separator: "\n")
        #expect(screen.contains("Read-only: Apply and rollback are disabled."), "\(screen)")
        #expect(screen.contains("applied protocols"), "\(screen)")
        #expect(screen.contains("read-only bundle"), "the title bar says it on every screen: \(screen)")
    }

    @Test func theLiveWizardWritesABundleBesideTheReport() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("7"), .character("r"), .character("b"))
        #expect(d.effects == [.writeBundle(path: "/tmp/postls-report.bundle.json", redact: true)])
        #expect(d.state.report.status == .writing)
    }
}
