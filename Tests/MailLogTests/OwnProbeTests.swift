import Foundation
import MailLog
import PostlsCore
import Synchronization
import Testing
import TestSupport

/// postls's own probes, told apart from peers by the probe record: window, source address, service/port.
@Suite("Own probes in the log")
struct OwnProbeTests {
    /// 2024-04-03T07:30:47Z, the time `starttlsSession` logs at.
    static let logged = Date(timeIntervalSince1970: 1_712_129_447)
    static let refused = "error:0A000102:SSL routines::unsupported protocol:../ssl/statem/statem_srvr.c:1657:"

    /// A TLS 1.0 handshake refused on `program`, from `peer`.
    static func refusal(program: String = "postfix/smtpd", peer: String = "localhost[127.0.0.1]") -> String {
        starttlsSession(refused, program: program, peer: peer)
    }

    static func window(start: Double = -0.5, end: Double = 0.5, port: Int = 25, sources: [String] = ["127.0.0.1"],
                       sourcePorts: [Int] = [], failures: Int? = nil) -> ProbeWindow {
        ProbeWindow(start: logged.addingTimeInterval(start), end: logged.addingTimeInterval(end), host: "localhost",
                    address: "127.0.0.1", port: port, sources: sources, sourcePorts: sourcePorts, failures: failures, command: "probe")
    }

    func analyze(_ text: String, _ windows: [ProbeWindow], servicePorts: [String: Set<Int>] = OwnProbeMatcher.defaultServicePorts,
                 include: Bool = false) -> LogReport {
        var options = LogAnalyzerOptions(ownProbes: OwnProbeMatcher(windows: windows, servicePorts: servicePorts))
        options.timeZone = utc
        options.includeOwnProbes = include
        return LogReport.analyze(text: text, options: options, reference: referenceDate)
    }

    @Test func aRefusalInsideTheProbeWindowIsCountedApart() {
        let report = analyze(Self.refusal(), [Self.window()])
        #expect(report.events.isEmpty)
        #expect(report.summary.byCause.isEmpty)
        #expect(report.summary.byPeerDomain.isEmpty && report.summary.byService.isEmpty && report.summary.events == 0)
        #expect(report.summary.ownProbes == 1)
        #expect(report.summary.ownProbesByCause == [.protocolMismatch: 1])
    }

    /// The ports come from Postfix's configuration, read only when a failed session from a probe's address needs
    /// them: a log of other peers' failures costs no configuration read.
    @Test func servicePortsAreComputedOnlyWhenASessionFromAProbeAddressNeedsThem() {
        let reads = Mutex(0)
        func analyzeCounting(_ text: String) -> LogReport {
            var options = LogAnalyzerOptions(ownProbes: OwnProbeMatcher(windows: [Self.window()]) {
                reads.withLock { $0 += 1 }
                return OwnProbeMatcher.defaultServicePorts
            })
            options.timeZone = utc
            return LogReport.analyze(text: text, options: options, reference: referenceDate)
        }
        let peers = analyzeCounting(Self.refusal(peer: "mail.example.org[192.0.2.7]") + "\n" + Self.refusal(peer: "unknown[198.51.100.9]"))
        #expect(peers.summary.byCause == [.protocolMismatch: 2])
        #expect(reads.withLock { $0 } == 0)
        let own = analyzeCounting(Self.refusal())
        #expect(own.summary.ownProbes == 1 && own.summary.byCause.isEmpty)
        #expect(reads.withLock { $0 } == 1)
    }

    @Test func withoutARecordTheSameRefusalIsAFailure() {
        let report = analyze(Self.refusal(), [])
        #expect(report.summary.byCause == [.protocolMismatch: 1])
        #expect(report.summary.ownProbes == 0)
    }

    /// Syslog times are whole seconds, cut down: a window counts from the start of its first second, and until
    /// a second (the late slack) after its end; no further.
    @Test(arguments: [
        (-3.0, -0.5, true),   // ended half a second before the logged second
        (-5.0, -1.0, true),   // ended exactly the late slack before
        (-5.0, -1.01, false), // just outside
        (0.999, 4.0, true),   // starts within the logged second: the line may be stamped with that second
        (1.0, 4.0, false),    // starts in the next second
    ])
    func windowEdgesAllowTheSlackOnly(start: Double, end: Double, own: Bool) {
        let report = analyze(Self.refusal(), [Self.window(start: start, end: end)])
        #expect(report.summary.ownProbes == (own ? 1 : 0))
        #expect(report.summary.byCause == (own ? [:] : [.protocolMismatch: 1]))
    }

    @Test(arguments: [
        ("unknown[::1]", "::1"),
        ("localhost[::1]", "0:0:0:0:0:0:0:1"),
        ("localhost[ipv6:::1]", "::1"),
        ("unknown[2001:DB8::25]", "2001:db8:0::25"),
        ("localhost[127.0.0.1]", "::ffff:127.0.0.1"),
    ])
    func addressesMatchInAnySpelling(peer: String, source: String) {
        let report = analyze(Self.refusal(peer: peer), [Self.window(sources: [source])])
        #expect(report.summary.ownProbes == 1, "\(peer) vs \(source)")
    }

    @Test func aPeerFromAnotherAddressInTheWindowStillCounts() {
        let report = analyze(Self.refusal(peer: "unknown[127.0.0.2]"), [Self.window()])
        #expect(report.summary.byCause == [.protocolMismatch: 1])
        #expect(report.summary.ownProbes == 0)
        let v6 = analyze(Self.refusal(peer: "unknown[::1]"), [Self.window(sources: ["127.0.0.1"])])
        #expect(v6.summary.byCause == [.protocolMismatch: 1])
    }

    /// A probe of port 25 must not hide a local webmail failing on submission (587) at the same moment.
    @Test func aProbeOfAnotherPortDoesNotHideAnotherService() {
        let report = analyze(Self.refusal(program: "postfix/submission/smtpd"), [Self.window(port: 25)])
        #expect(report.summary.byService == ["submission": 1])
        #expect(report.summary.ownProbes == 0)
        let same = analyze(Self.refusal(program: "postfix/submission/smtpd"), [Self.window(port: 587)])
        #expect(same.summary.ownProbes == 1)
    }

    /// Parallel test instances: each maps its `smtp` label to its own port; another instance's probe never matches.
    @Test func anotherInstancesRecordDoesNotMatch() {
        let mine: [String: Set<Int>] = ["smtp": [10025]]
        let other = analyze(Self.refusal(), [Self.window(port: 10026)], servicePorts: mine)
        #expect(other.summary.byCause == [.protocolMismatch: 1])
        let own = analyze(Self.refusal(), [Self.window(port: 10026), Self.window(port: 10025)], servicePorts: mine)
        #expect(own.summary.ownProbes == 1)
    }

    @Test func anUnknownServiceLabelIsNeverAttributed() {
        let report = analyze(Self.refusal(program: "postfix/custom/smtpd"), [Self.window(port: 2525)])
        #expect(report.summary.byCause == [.protocolMismatch: 1])
    }

    /// With `smtpd_client_port_logging = yes` the client port tells a probe from a peer on the same address.
    @Test func loggedClientPortsMustBeTheProbes() {
        let probe = analyze(Self.refusal(peer: "localhost[127.0.0.1]:40001"), [Self.window(sourcePorts: [40000, 40001])])
        #expect(probe.summary.ownProbes == 1)
        let peer = analyze(Self.refusal(peer: "localhost[127.0.0.1]:50000"), [Self.window(sourcePorts: [40000, 40001])])
        #expect(peer.summary.byCause == [.protocolMismatch: 1])
        #expect(peer.summary.ownProbes == 0)
    }

    @Test func outboundDeliveriesAndStartupWarningsAreNeverOwnProbes() {
        let log = deliverySession(Self.refused) + "\n" + startupWarnings("cannot get RSA private key from file \"/x\": disabling TLS support", "error:1E08010C:DECODER routines::unsupported:x.c:1:")
        let windows = [ProbeWindow(start: Date(timeIntervalSince1970: 0), end: Self.logged.addingTimeInterval(3600), host: "x", address: "203.0.113.5",
                                   port: 25, sources: ["203.0.113.5", "127.0.0.1"], command: "probe")]
        let report = analyze(log, windows)
        #expect(report.summary.ownProbes == 0)
        #expect(report.summary.events == 2)
    }

    @Test func includeOwnProbesCountsAndFlagsThem() throws {
        let report = analyze(Self.refusal() + "\n" + Self.refusal(peer: "peer.example[192.0.2.9]"), [Self.window()], include: true)
        #expect(report.summary.byCause == [.protocolMismatch: 2])
        #expect(report.summary.ownProbes == 1 && report.summary.ownProbesCounted)
        #expect(report.events.map(\.ownProbe).sorted { !$0 && $1 } == [false, true])
        let flagged = try #require(report.events.first { $0.ownProbe })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(LogJSONWriter.json(flagged).utf8)) as? [String: Any])
        #expect(object["own_probe"] as? Bool == true)
        let plain = try #require(report.events.first { !$0.ownProbe })
        #expect(LogJSONWriter.json(plain).contains("own_probe") == false)
    }

    @Test func theJSONSummaryAndTextSayHowManyWereOwnProbes() throws {
        let report = analyze(Self.refusal() + "\n" + Self.refusal(peer: "peer.example[192.0.2.9]"), [Self.window()])
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(LogJSONWriter.json(report.summary).utf8)) as? [String: Any])
        #expect(summary["own_probes"] as? Int == 1)
        #expect(summary["own_probes_by_cause"] as? [String: Int] == ["protocol_mismatch": 1])
        #expect(summary["by_cause"] as? [String: Int] == ["protocol_mismatch": 1])
        for key in ["by_cause", "tls_established", "lines_read", "lines_skipped"] { #expect(summary[key] != nil) }
        let text = LogTextReport().render(report.summary)
        #expect(text.contains("1 failed session was postls's own probe (protocol_mismatch 1): not counted as failures"), "\(text)")
    }

    /// A legacy sender on the probe's own address in the same second: the window holds only as many sessions as
    /// the probe saw connections fail, the rest count.
    @Test func aWindowClaimsNoMoreSessionsThanTheProbesFailedConnections() {
        let three = [Self.refusal(), Self.refusal(), Self.refusal()].joined(separator: "\n")
        let report = analyze(three, [Self.window(failures: 2)])
        #expect(report.summary.ownProbes == 2)
        #expect(report.summary.byCause == [.protocolMismatch: 1])
        // Two probes' windows over the same second share the sessions out; an unknown count (an opening record) has no cap.
        #expect(analyze(three, [Self.window(failures: 2), Self.window(failures: 2)]).summary.ownProbes == 3)
        #expect(analyze(three, [Self.window(failures: nil)]).summary.ownProbes == 3)
        #expect(analyze(three, [Self.window(failures: 0)]).summary.byCause == [.protocolMismatch: 3])
    }

    /// A probe still running (or killed) left only its opening record: it has no exact claim limit, so it takes
    /// nothing from the second it started in, where a peer's failure from just before may sit.
    @Test func anOpeningRecordTakesNothingFromTheSecondItStartedIn() {
        var opening = Self.window(start: 0.1, end: 30, failures: 12)
        opening.complete = false
        #expect(analyze(Self.refusal(), [opening]).summary.byCause == [.protocolMismatch: 1])
        opening.start = Self.logged.addingTimeInterval(-0.9)
        #expect(analyze(Self.refusal(), [opening]).summary.ownProbes == 1)
        var closing = Self.window(start: 0.1, end: 0.9, failures: 2)
        closing.complete = true
        #expect(analyze(Self.refusal(), [closing]).summary.ownProbes == 1, "a finished probe's window counts from its first second")
    }

    @Test func manyWindowsFindTheOneThatCovers() {
        // Thousands of old windows (a month of monitoring checks) before the one that matters.
        var windows: [ProbeWindow] = []
        for i in 0..<5000 {
            let start: Double = -100 - 60 * Double(i)
            windows.append(Self.window(start: start, end: start + 5))
        }
        windows.append(Self.window(start: -0.2, end: 0.3, failures: 1))
        let matcher = OwnProbeMatcher(windows: windows.shuffled())
        let report = analyze(Self.refusal(), windows)
        #expect(report.summary.ownProbes == 1)
        #expect(matcher.isEmpty == false)
    }
}

@Suite("Probe record file")
struct ProbeRecordFileTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func record(_ id: String, age: TimeInterval, complete: Bool = true) -> ProbeWindow {
        ProbeWindow(id: id, start: now.addingTimeInterval(-age - 2), end: now.addingTimeInterval(-age), host: "mail.example",
                    address: "192.0.2.1", port: 25, sources: ["192.0.2.1"], sourcePorts: [40000], command: "diagnose", complete: complete)
    }

    @Test func recordsRoundTripAndAClosingRecordReplacesItsOpening() throws {
        let dir = try TemporaryDirectory()
        let file = ProbeRecordFile(path: dir.file("state/postls/probes.jsonl"), clock: FixedClock(now))
        var opening = record("a", age: 10, complete: false)
        opening.end = now.addingTimeInterval(60)
        try file.write([opening, record("b", age: 5)])
        try file.write([record("a", age: 8)])
        let windows = file.windows()
        #expect(windows.map(\.id) == ["a", "b"])
        #expect(windows[0] == record("a", age: 8))
        #expect(windows[0].start.timeIntervalSince1970 == record("a", age: 8).start.timeIntervalSince1970, "milliseconds survive")
        var st = stat()
        #expect(stat(file.path, &st) == 0 && st.st_mode & 0o777 == 0o644)
    }

    @Test func oldRecordsArePrunedAndTheFileStaysBounded() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("probes.jsonl")
        let file = ProbeRecordFile(path: path, maxAge: 30 * 86400, maxBytes: 8 * 1024, clock: FixedClock(now))
        try file.write([record("old", age: 31 * 86400)])
        try file.write([record("new", age: 1)])
        #expect(file.windows().map(\.id) == ["new"])
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("\"old\"") == false, "pruned from the file, not just skipped")
        for i in 0..<200 { try file.write([record("r\(i)", age: Double(200 - i))]) }
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? .max
        #expect(size <= 8 * 1024)
        #expect(file.windows().last?.id == "r199", "the newest records are kept")
    }

    /// A monitoring check probing every few minutes with no failed connection leaves records that explain nothing.
    @Test func pruningDropsFinishedProbesWithoutFailures() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("probes.jsonl")
        let file = ProbeRecordFile(path: path, maxBytes: 4 * 1024, clock: FixedClock(now))
        var quiet = record("quiet", age: 5)
        quiet.failures = 0
        var failing = record("failing", age: 4)
        failing.failures = 2
        try file.write([quiet, failing])
        for i in 0..<30 { var r = record("check\(i)", age: 3); r.failures = 0; try file.write([r]) }
        let ids = file.windows().map(\.id)
        #expect(ids.contains("failing") && !ids.contains("quiet"), "\(ids)")
    }

    @Test func concurrentAppendsNeverTearALine() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("probes.jsonl")
        let file = ProbeRecordFile(path: path, maxBytes: 1 << 30, clock: FixedClock(now))
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for i in 0..<50 { file.append([record("t\(t)-\(i)", age: 1)]) }
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 400)
        #expect(ProbeRecordFile.parse(Array(text.utf8)).count == 400)
    }

    @Test func garbageLinesAreSkipped() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("probes.jsonl")
        try (String(decoding: record("a", age: 1).jsonLine(), as: UTF8.self) + "{not json\n\n{\"id\":\"x\"}\n").write(toFile: path, atomically: false, encoding: .utf8)
        #expect(ProbeRecordFile(path: path, clock: FixedClock(now)).windows().map(\.id) == ["a"])
    }

    @Test func theRecordLivesWherePostfixLikeToolsKeepState() throws {
        #expect(SystemProbeRecords.paths(environment: ["HOME": "/home/ann"], isRoot: false) == ["/var/lib/postls/probes.jsonl", "/home/ann/.local/state/postls/probes.jsonl"])
        #expect(SystemProbeRecords.paths(environment: ["HOME": "/home/ann", "XDG_STATE_HOME": "/srv/state"], isRoot: false) == ["/var/lib/postls/probes.jsonl", "/srv/state/postls/probes.jsonl"])
        // Root falls back to its own home only, never to a home sudo kept that belongs to someone else.
        let dir = try TemporaryDirectory()
        chown(dir.path, 4242, 4242)
        #expect(SystemProbeRecords.paths(environment: ["HOME": dir.path], isRoot: true) == ["/var/lib/postls/probes.jsonl"])
        chown(dir.path, 0, 0)
        #expect(SystemProbeRecords.paths(environment: ["HOME": dir.path], isRoot: true).count == (geteuid() == 0 ? 2 : 1))
        #expect(SystemProbeRecords.paths(environment: ["POSTLS_PROBE_RECORD": "/tmp/x.jsonl", "HOME": "/root"]) == ["/tmp/x.jsonl"])
        #expect(SystemProbeRecords.paths(environment: ["POSTLS_PROBE_RECORD": "off"]).isEmpty)
    }

    @Test func anUnwritableLocationFallsBackToTheNextAndMemoryKeepsTheRest() throws {
        let dir = try TemporaryDirectory()
        try "not a folder".write(toFile: dir.file("blocked"), atomically: false, encoding: .utf8)
        let records = SystemProbeRecords(files: [ProbeRecordFile(path: dir.file("blocked/probes.jsonl"), clock: FixedClock(now)),
                                                 ProbeRecordFile(path: dir.file("user/probes.jsonl"), clock: FixedClock(now))])
        records.append([record("a", age: 1)])
        #expect(FileManager.default.fileExists(atPath: dir.file("user/probes.jsonl")))
        #expect(records.windows().map(\.id) == ["a"])
        let nowhere = SystemProbeRecords(files: [ProbeRecordFile(path: dir.file("blocked/x.jsonl"), clock: FixedClock(now))])
        nowhere.append([record("b", age: 1)])
        #expect(nowhere.windows().map(\.id) == ["b"], "this process's own probes are still known")
    }
}

@Suite("Own probes while following a log")
struct OwnProbeFollowTests {
    /// `logs --follow`: a probe that starts after the read began is in the record by the time its refusals are
    /// logged (opening records come first); a session no window claims makes the analyzer read the record again.
    @Test func aProbeRecordedAfterTheReadBeganIsStillRecognised() {
        let store = MemoryProbeRecordStore()
        var options = LogAnalyzerOptions()
        options.timeZone = utc
        options.ownProbesReloadInterval = 0
        options.reloadOwnProbes = { OwnProbeMatcher(windows: store.windows()) }
        var events: [TLSEvent] = []
        let analyzer = LogAnalyzer(options: options) { events.append($0) }
        let resolver = LogTimeResolver(reference: referenceDate, timeZone: utc)
        func feed(_ text: String) { for line in text.split(separator: "\n") { analyzer.feed(String(line), resolver: resolver) } }

        feed(OwnProbeTests.refusal())   // nothing recorded yet: a failure
        store.append([OwnProbeTests.window(failures: 1)])
        feed(OwnProbeTests.refusal())   // now the probe's
        feed(OwnProbeTests.refusal())   // the window is full: a failure again, though the record is read anew
        let summary = analyzer.finish()
        #expect(summary.ownProbes == 1)
        #expect(summary.byCause == [.protocolMismatch: 2])
        #expect(events.count == 2)
    }
}

@Suite("Probe record times")
struct ProbeRecordTimeTests {
    @Test(arguments: [0.0, 1_800_000_000.123, 1_712_129_447.999, 951_782_400.5])
    func timesRoundTripToTheMillisecond(seconds: Double) throws {
        let w = ProbeWindow(id: "x", start: Date(timeIntervalSince1970: seconds), end: Date(timeIntervalSince1970: seconds + 1.25),
                            host: "h", address: "a", port: 25, command: "probe")
        let line = w.jsonLine()
        let back = try #require(ProbeRecordFile.parse(line).first)
        #expect(abs(back.start.timeIntervalSince1970 - seconds) < 0.001)
        #expect(abs(back.end.timeIntervalSince1970 - seconds - 1.25) < 0.001)
    }

    @Test func theTextIsISO8601InUTC() {
        let w = ProbeWindow(id: "x", start: Date(timeIntervalSince1970: 951_782_400.5), end: Date(timeIntervalSince1970: 951_782_401),
                            host: "h", address: "a", port: 25, command: "probe")
        let text = String(decoding: w.jsonLine(), as: UTF8.self)
        #expect(text.contains("\"start\":\"2000-02-29T00:00:00.500Z\""), "\(text)")
        #expect(text.contains("\"end\":\"2000-02-29T00:00:01.000Z\""))
        // Seconds without a fraction, as another writer might put them, still read.
        let bare = text.replacingOccurrences(of: "00:00:00.500Z", with: "00:00:00Z")
        #expect(ProbeRecordFile.parse(Array(bare.utf8)).first?.start == Date(timeIntervalSince1970: 951_782_400))
    }
}

/// Postfix 3.9 and later log the queue ID before "lost connection after" (`NOQUEUE: lost connection after STARTTLS
/// from ...`). Read as an unknown message, every connection that completed TLS and then hung up (the probe's
/// handshake-only connections) was a failed session; the probe's record counts only the connections it saw fail,
/// so these took the claims of the windows they fell in, and a later window's own refused versions were left to
/// count as peers' (InboundScenarioTests' TLS 1.2 floor on Debian 13: 5 failed sessions for 3 legacy peers).
@Suite("Postfix 3.10's queue-ID session lines")
struct QueueIDSessionLineTests {
    @Test func aHandshakeThatSucceededAndThenHungUpIsNoFailureOnPostfix310() {
        let lines = [
            "Dec 07 16:17:48 mail postfix/smtpd[25126]: connect from localhost[127.0.0.1]",
            "Dec 07 16:17:48 mail postfix/smtpd[25126]: Anonymous TLS connection established from localhost[127.0.0.1]: TLSv1.2 with cipher ECDHE-ECDSA-AES256-GCM-SHA384 (256/256 bits)",
            "Dec 07 16:17:48 mail postfix/smtpd[25126]: NOQUEUE: lost connection after STARTTLS from localhost[127.0.0.1]",
            "Dec 07 16:17:48 mail postfix/smtpd[25126]: disconnect from localhost[127.0.0.1] ehlo=1 starttls=1 commands=2",
        ]
        #expect(analyze(lines.joined(separator: "\n")).events.isEmpty)
        // Without the disconnect line (a log cut there), the session still ended after TLS was lost, not refused.
        let cut = analyze(lines.prefix(3).joined(separator: "\n"))
        #expect(cut.events.allSatisfy { $0.cause != .unclassified }, "\(cut.events.map(\.rule))")
    }

    @Test func theQueueIDIsSkippedOnlyBeforeSessionLines() {
        let facts = LineFacts.recognize("NOQUEUE: lost connection after STARTTLS from localhost[127.0.0.1]", role: .server)
        #expect(facts.signals == [.lostAfterSTARTTLS])
        #expect(LineFacts.recognize("4F2A81C2B3: timeout after STARTTLS from x[192.0.2.1]", role: .server).signals == [.timeoutAfterSTARTTLS])
        #expect(LineFacts.recognize("NOQUEUE: lost connection after UNKNOWN from x[192.0.2.1]", role: .server).signals == [.lostAfterUnknown])
        #expect(!LineFacts.recognize("warning: lost connection after STARTTLS", role: .server).signals.contains(.lostAfterSTARTTLS))
    }

    /// The real Debian 13 log of that failure: three legacy peers, then two probe runs in the same second (a
    /// wizard's and a diagnose's, two refused versions each), read with the record the diagnose read it with.
    @Test func twoProbeRunsInOneSecondClaimTheirOwnRefusalsAndOnlyThePeersCount() throws {
        let log = try String(contentsOfFile: fixturePath("postfix-3.10-two-probe-windows.log"), encoding: .utf8)
        let records = ProbeRecordFile.parse(Array(try Data(contentsOf: URL(fileURLWithPath: fixturePath("postfix-3.10-two-probe-windows.probes.jsonl")))))
        let windows = ProbeWindow.latest(records)
        #expect(windows.map(\.failures) == [2, 2])
        var options = LogAnalyzerOptions(ownProbes: OwnProbeMatcher(windows: windows, servicePorts: ["smtp": [23273]]))
        options.timeZone = utc
        let report = LogReport.analyze(text: log, options: options, reference: Date(timeIntervalSince1970: 1_796_662_000))
        #expect(report.summary.byCause == [.protocolMismatch: 3], "\(report.events.map { "\($0.timeText) \($0.rule)" })")
        #expect(report.summary.ownProbes == 4)
        #expect(report.summary.ownProbesByCause == [.protocolMismatch: 4])
    }
}
