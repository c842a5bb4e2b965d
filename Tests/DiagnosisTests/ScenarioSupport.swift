import Foundation
import PostfixConfig
import PostlsCore
import Testing
import TestSupport
import TLSKit
import TLSProbe
@testable import Diagnosis

/// One scenario's world: a fresh test PKI, a running throwaway Postfix, real peers, and the options
/// `postls diagnose` would be given for it. One instance per scenario: each scenario applies and rolls back
/// a fix (writes master.cf/main.cf and reloads), so scenarios sharing an instance would race each other.
final class Scenario: @unchecked Sendable {
    let dir: TemporaryDirectory
    let pki: CertificateFactory
    /// The good certificate: mail.postls.test from the test intermediate.
    let mail: IssuedCertificate
    private(set) var postfix: PostfixInstance?
    /// Ports given as `--smtp-port` (the harness's MX stand-in listens on a random loopback port).
    var smtpPorts: Set<Int> = []
    /// Whose Postfix the scenario runs; postls (in-process and the binary) runs that generation's postconf/postfix.
    let servers: ServerTools

    init(generation: Generation = .debian12) throws {
        servers = try generation.servers()
        dir = try TemporaryDirectory(prefix: "postls-diag")
        pki = try CertificateFactory(directory: dir.file("pki"))
        mail = try pki.leaf("mail")
    }

    /// A scenario on `generation`, or nil (said on stderr) when that generation cannot run here (not under CI).
    static func orSkip(_ generation: Generation, _ test: String = #function) throws -> Scenario? {
        guard try generation.serversOrSkip(test) != nil else { return nil }
        return try Scenario(generation: generation)
    }

    /// TLS with the good certificate, as most servers have it.
    var tlsMainCF: String {
        """
        smtpd_tls_security_level = may
        smtpd_tls_cert_file = \(mail.fullChainFile)
        smtpd_tls_key_file = \(mail.keyFile)
        smtpd_tls_loglevel = 1
        """
    }

    /// Creates and starts the instance; `prepare` may rewrite its files before it starts.
    @discardableResult
    func start(mainCF: String, listeners: [PostfixListener], masterCFExtra: String = "",
               prepare: ((PostfixInstance) throws -> Void)? = nil) throws -> PostfixInstance {
        let instance = try PostfixInstance(mainCF: mainCF, listeners: listeners, masterCFExtra: masterCFExtra, generation: servers.generation)
        postfix = instance
        try prepare?(instance)
        try instance.start()
        return instance
    }

    func stop() { postfix?.stop() }

    func instance() throws -> PostfixInstance { try #require(postfix) }

    func address(_ name: String) throws -> SocketAddress { try #require(try instance().listener(named: name)?.socketAddress) }
    func port(_ name: String) throws -> Int { Int(try #require(try instance().listener(named: name)).port) }

    var options: GatherOptions {
        var o = GatherOptions()
        o.configDirectory = postfix?.configDirectory ?? ""
        o.logFiles = postfix.map { [$0.logFile] } ?? []
        o.trust = .file(pki.rootFile)
        o.name = "mail.postls.test"
        o.phaseTimeout = 5
        o.smtpPorts = smtpPorts
        return o
    }

    /// The arguments `postls diagnose`/`fix` get for this scenario.
    var cliArguments: [String] {
        var args = ["--config-dir", postfix?.configDirectory ?? "", "--log", postfix?.logFile ?? "",
                    "--ca-file", pki.rootFile, "--name", "mail.postls.test", "--timeout", "5"]
        if !smtpPorts.isEmpty { args += ["--smtp-port", smtpPorts.sorted().map(String.init).joined(separator: ",")] }
        return args
    }

    /// The engines in-process with this generation's server programs.
    var gatherer: Gatherer { Gatherer(runner: servers.runner) }

    /// Runs the postls binary with this generation's server programs first in PATH.
    func postls(_ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil, timeout: Double = 60) throws -> ProcessOutput {
        try PostlsBinary.run(arguments, stdin: stdin, environment: servers.environment(environment), timeout: timeout)
    }

    /// Gathers in-process and checks the properties every report must have.
    func gather() -> Gathered {
        let gathered = gatherer.gather(options)
        Self.checkInvariants(gathered.report)
        // POSTLS_SCENARIO_DUMP=1 prints every report, to review what else a scenario's diagnosis says.
        if ProcessInfo.processInfo.environment["POSTLS_SCENARIO_DUMP"] != nil {
            print("=== \(postfix?.listeners.map(\.name).joined(separator: ",") ?? "")\n\(Self.describe(gathered.report))")
        }
        return gathered
    }

    /// The wizard's gathering (`StepwiseGathering`: its steps started together, then the join) and
    /// `postls diagnose --json` rank the same causes with the same evidence and fixes.
    ///
    /// The two must see one world. Each probe starts smtpd processes whose start-up warnings and sessions land in
    /// the live log, and writes windows to the probe record that claim sessions of the second they start in; so
    /// both read one copy of the log and one copy of the record, taken before either runs. The probes go to the
    /// running server; afterwards the windows both wrote join the test run's record, so later reads leave them out.
    func expectWizardAgreesWithDiagnose(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let live = try #require(postfix?.logFile, sourceLocation: sourceLocation)
        _ = settledOffset()
        let folder = dir.file("agreement-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let snapshot = folder + "/" + (live as NSString).lastPathComponent
        try FileManager.default.copyItem(atPath: live, toPath: snapshot)
        let sharedRecord = TestIsolation.probeRecord
        let priorRecord = FileManager.default.contents(atPath: sharedRecord) ?? Data()
        let wizardRecord = folder + "/wizard-probes.jsonl", cliRecord = folder + "/diagnose-probes.jsonl"
        for record in [wizardRecord, cliRecord] { try priorRecord.write(to: URL(fileURLWithPath: record)) }
        defer {
            for record in [wizardRecord, cliRecord] {
                let added = (FileManager.default.contents(atPath: record) ?? Data()).dropFirst(priorRecord.count)
                if !added.isEmpty, !FileManager.default.fileExists(atPath: sharedRecord) {
                    _ = FileManager.default.createFile(atPath: sharedRecord, contents: nil)
                }
                if !added.isEmpty, let handle = FileHandle(forWritingAtPath: sharedRecord) {
                    handle.seekToEndOfFile(); handle.write(Data(added)); try? handle.close()
                }
            }
        }

        var wizardOptions = options
        wizardOptions.logFiles = [snapshot]
        wizardOptions.probeRecords = SystemProbeRecords(files: [ProbeRecordFile(path: wizardRecord)])
        wizardOptions.command = "wizard"
        let wizard = try #require(StepwiseGathering(options: wizardOptions, gatherer: gatherer).gatherAll(), sourceLocation: sourceLocation)
        Self.checkInvariants(wizard.report, sourceLocation: sourceLocation)

        var arguments = cliArguments
        let logIndex = try #require(arguments.firstIndex(of: "--log"), sourceLocation: sourceLocation)
        arguments[logIndex + 1] = snapshot
        var environment = ProcessInfo.processInfo.environment
        environment[SystemProbeRecords.environmentVariable] = cliRecord
        let diagnose = try postls(["diagnose", "--json"] + arguments, environment: environment)
        #expect(diagnose.status == wizard.report.exitCode.rawValue, "\(diagnose.stderr)", sourceLocation: sourceLocation)
        let cli = try #require(try JSONSerialization.jsonObject(with: Data(diagnose.stdout.utf8)) as? [String: Any], sourceLocation: sourceLocation)
        func canonical(_ value: Any?) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: value ?? NSNull(), options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
        }
        let wizardJSON = try #require(try JSONSerialization.jsonObject(with: ContractJSON.encode(wizard.report)) as? [String: Any], sourceLocation: sourceLocation)
        #expect(try canonical(wizardJSON["diagnoses"]) == canonical(cli["diagnoses"]),
                "wizard:\n\(Self.describe(wizard.report))\ndiagnose --json:\n\(diagnose.stdout)", sourceLocation: sourceLocation)
        #expect(try canonical(wizardJSON["fixes"]) == canonical(cli["fixes"]), sourceLocation: sourceLocation)
    }

    /// No diagnosis without evidence; every fix a diagnosis names exists; config edits come with their diff.
    static func checkInvariants(_ report: DiagnosisReport, sourceLocation: SourceLocation = #_sourceLocation) {
        for d in report.diagnoses {
            #expect(!d.evidence.isEmpty, "\(d.cause) has no evidence", sourceLocation: sourceLocation)
            #expect(Set(d.evidence.map { "\($0.location)|\($0.text)" }).count == d.evidence.count, "\(d.cause) lists evidence twice", sourceLocation: sourceLocation)
            // A log line cited as evidence tells why, not only that a handshake failed.
            #expect(!d.evidence.contains { $0.source == .log && $0.text.hasSuffix(": -1") }, "\(d.cause): \(d.evidence)", sourceLocation: sourceLocation)
            for id in d.fixes { #expect(report.fix(id: id) != nil, "\(d.cause) names a missing fix \(id)", sourceLocation: sourceLocation) }
        }
        for fix in report.fixes where fix.applicable && !fix.edits.isEmpty {
            #expect(!(fix.diff ?? "").isEmpty, "\(fix.id) edits without a diff", sourceLocation: sourceLocation)
        }
    }

    /// A readable account of a report for failure messages.
    static func describe(_ report: DiagnosisReport) -> String {
        report.diagnoses.map { d in
            "\(d.cause.rawValue) \(d.severity) \(d.confidence) [\(d.sources.map(\.rawValue).sorted().joined(separator: "+"))]: \(d.summary)\n"
                + d.evidence.map { "    \($0.source.rawValue) \($0.location): \($0.text)" }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    // MARK: files

    /// main.cf and master.cf as bytes, to prove a rollback restores them exactly.
    func configFiles() throws -> [String: Data] {
        let p = try instance()
        return ["main.cf": try Data(contentsOf: URL(fileURLWithPath: p.mainCFPath)),
                "master.cf": try Data(contentsOf: URL(fileURLWithPath: p.masterCFPath))]
    }

    // MARK: log

    var logText: String { postfix?.logText() ?? "" }

    /// Where the log ends now (in bytes), to look at new lines only.
    var logOffset: Int { logText.utf8.count }

    func logSince(_ offset: Int) -> String {
        let bytes = Array(logText.utf8)
        return offset < bytes.count ? String(decoding: bytes[offset...], as: UTF8.self) : ""
    }

    /// Waits until the log after `offset` holds `count` lines with `needle` (postlogd writes asynchronously).
    @discardableResult
    func waitFor(_ needle: String, count: Int = 1, after offset: Int = 0, timeout: Double = 15) -> Bool {
        let deadline = Deadline.after(seconds: timeout)
        repeat {
            if logSince(offset).components(separatedBy: needle).count - 1 >= count { return true }
            usleep(50_000)
        } while !deadline.hasPassed
        return false
    }

    /// Waits until every smtpd session has logged its `disconnect` (so earlier probes' lines are in the log), then
    /// returns the offset where new lines start.
    func settledOffset(timeout: Double = 10) -> Int {
        let deadline = Deadline.after(seconds: timeout)
        repeat {
            let text = logText
            let connects = text.components(separatedBy: ": connect from ").count
            let disconnects = text.components(separatedBy: ": disconnect from ").count
            if connects == disconnects { usleep(100_000); if logText == text { return text.utf8.count } }
            usleep(50_000)
        } while !deadline.hasPassed
        return logOffset
    }

    // MARK: peers

    /// A legacy sender: TLS 1.0 only (OpenSSL at security level 0, as an old appliance).
    func legacyPeer(_ address: SocketAddress) throws -> ProcessOutput {
        try Peers.legacySender(address)
    }

    /// A sender that verifies the chain and the MX name (as DANE/MTA-STS senders do) and aborts when they fail.
    func verifyingPeer(_ address: SocketAddress, starttls: Bool = true) throws -> ProcessOutput {
        try Peers.opensslClient(address, starttls: starttls,
                                arguments: ["-verify_return_error", "-CAfile", pki.rootFile, "-verify_hostname", "mail.postls.test"])
    }

    /// s_client exits 0 and names a cipher only when the handshake (and, with -verify_return_error, the
    /// verification) succeeded; its "Verify return code" line is not reliable after an aborted handshake.
    static func handshakeSucceeded(_ out: ProcessOutput) -> Bool {
        out.succeeded && out.stdout.contains(", Cipher is ") && !out.stdout.contains("Cipher is (NONE)")
    }
}

extension Fix {
    /// The same fix carried out with edits the admin makes after following its commands.
    func carriedOut(with edits: [ConfigEdit], ports: [Int]) -> Fix {
        var fix = self
        fix.kind = .configEdit
        fix.edits = edits
        fix.applicable = true
        fix.ports = ports
        return fix
    }
}
