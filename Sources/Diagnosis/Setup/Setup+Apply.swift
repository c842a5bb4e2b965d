import Foundation
import MailDNS
import PostfixConfig
import PostlsCore
import TLSKit
import TLSProbe

extension Setup {
    /// What applying did.
    public struct Outcome: Sendable {
        public var filesWritten: [String]
        public var journalID: String?
        public var diff: String
        public var reloaded: Bool
        public var probe: ProbeReport?
        public var dnsRecords: [RecordSuggestion]
        public var messages: [String]
        /// A listener that did not negotiate TLS after setup.
        public var failures: [String]
    }

    public enum Progress: Sendable { case files, writing, reloading, probing }

    /// Creates the files, applies the edits safely (backup, atomic, `postfix check`, journal: `postls fix rollback`
    /// undoes them), reloads Postfix and probes every smtpd listener.
    public func apply(_ plan: SetupPlan, inputs: SetupInputs, reload: Bool = true, trust: TrustAnchors = .system, phaseTimeout: Double = 10,
                      progress: (@Sendable (Progress) -> Void)? = nil) throws -> Outcome {
        var messages: [String] = []
        var records = plan.dnsRecords
        progress?(.files)
        let (written, created) = try createFiles(plan, inputs: inputs, records: &records, messages: &messages)
        var journalID: String? = nil
        var diff = ""
        if !plan.edits.isEmpty {
            progress?(.writing)
            (journalID, diff) = try applyEdits(plan, inputs: inputs, created: created, messages: &messages)
        }
        var reloaded = false
        if reload {
            progress?(.reloading)
            reloaded = (try? FixLoop(runner: runner).reloadPostfix(inputs.configuration.directory, messages: &messages)) ?? false
        }
        var probe: ProbeReport? = nil
        var failures: [String] = []
        if reloaded {
            progress?(.probing)
            (probe, failures) = probeAfterSetup(plan, inputs: inputs, trust: trust, phaseTimeout: phaseTimeout)
        }
        return Outcome(filesWritten: written, journalID: journalID, diff: diff, reloaded: reloaded, probe: probe, dnsRecords: records,
                       messages: messages, failures: failures)
    }

    /// Writes the plan's keys, certificates and CSRs; a generated certificate's key gives the DNS records.
    func createFiles(_ plan: SetupPlan, inputs: SetupInputs, records: inout [RecordSuggestion],
                     messages: inout [String]) throws -> (written: [String], created: [JournalEntry.CreatedFile]) {
        var written: [String] = []
        var created: [JournalEntry.CreatedFile] = []
        var keys: [String: PrivateKey] = [:]
        for action in plan.fileActions {
            let directory = (action.path as NSString).deletingLastPathComponent
            if !FileManager.default.fileExists(atPath: directory) {
                do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755]) }
                catch { throw SetupError.io("cannot create \(directory): \(error)") }
            }
            do {
                switch action {
                case .generateKey(let path, let spec):
                    let key = try PrivateKey.generate(spec)
                    try key.writePEM(toNewFile: path)
                    keys[path] = key
                case .selfSignedCertificate(let path, let keyPath, let names, let days):
                    guard let key = keys[keyPath] else { throw SetupError.io("no key generated for \(path)") }
                    let spec = CertificateSpec(commonName: names.first ?? plan.hostname, organization: "postls self-signed stopgap, replace with a CA-issued certificate",
                                               subjectAltNames: names, notBefore: clock.now().addingTimeInterval(-3600),
                                               notAfter: clock.now().addingTimeInterval(Double(days) * 86_400))
                    let cert = try Certificate.issue(spec, for: key)
                    try Setup.createPublicFile(path, cert.pem)
                    records = Setup.dnsRecords(hostname: plan.hostname, configuration: inputs.configuration, publicKeyDER: cert.publicKeyDER, now: clock.now())
                case .certificateRequest(let path, let keyPath, let names):
                    guard let key = keys[keyPath] else { throw SetupError.io("no key generated for \(path)") }
                    try Setup.createPublicFile(path, try CertificateRequest.make(key: key, commonName: names.first ?? plan.hostname, subjectAltNames: names))
                    messages.append("send \(path) to your CA; when the certificate arrives: postls setup --cert FILE --key-file \(keyPath)")
                }
            } catch let error as SetupError { throw error } catch {
                throw SetupError.io("\(action.path): \(error)")
            }
            written.append(action.path)
            messages.append("wrote \(action.path)")
            // Journaled with the edits so `postls fix rollback` removes it again (read back here; a key is never printed).
            if let bytes = try? LocalFileSystem().read(action.path) { created.append(JournalEntry.CreatedFile(path: action.path, bytes: bytes)) }
        }
        return (written, created)
    }

    /// The main.cf/master.cf edits through the config engine's safe apply, journaled with the files just created.
    func applyEdits(_ plan: SetupPlan, inputs: SetupInputs, created: [JournalEntry.CreatedFile],
                    messages: inout [String]) throws -> (journalID: String?, diff: String) {
        let applier = ConfigApplier(validator: PostfixValidator(runner: runner), clock: clock)
        let result: ApplyResult
        do { result = try applier.apply(plan.edits, to: inputs.configuration, created: created) } catch {
            // Nothing was applied: the files made for it go too (each only while untouched).
            for file in created.reversed() { _ = applier.removeCreated(file, unlessNamedIn: nil) }
            throw error
        }
        messages.append("changed \(result.entry.files.map(\.path).joined(separator: ", ")) (backups beside them; undo with postls fix rollback)")
        return (result.entry.id, result.diff)
    }

    /// Probes every smtpd listener of the reloaded configuration; a listener without TLS is a failure once
    /// there is a certificate.
    func probeAfterSetup(_ plan: SetupPlan, inputs: SetupInputs, trust: TrustAnchors, phaseTimeout: Double) -> (ProbeReport?, [String]) {
        guard let configuration = try? PostfixConfiguration.load(directory: inputs.configuration.directory, defaults: inputs.configuration.defaults) else {
            return (nil, [])
        }
        var options = GatherOptions()
        options.configDirectory = configuration.directory
        options.name = plan.hostname
        options.trust = trust
        let targets = Gatherer(runner: runner, clock: clock).probeTargets(options, configuration: configuration)
        guard let prober = try? Prober(options: ProbeOptions(phaseTimeout: phaseTimeout, trust: trust), recorder: probeRecorder) else { return (nil, []) }
        let report = prober.probe(targets)
        var failures: [String] = []
        // Without a certificate (CSR only) inbound TLS is not expected yet.
        for t in report.targets where t.negotiated == nil && plan.certificate.files != nil {
            failures.append("\(t.address):\(t.port) (\(t.mode.rawValue)): \(t.error.map { "\($0.phase.rawValue): \($0.message)" } ?? "no TLS")")
        }
        return (report, failures)
    }

    /// A new public file (certificate, CSR): O_EXCL, never following a link, mode 0644.
    static func createPublicFile(_ path: String, _ contents: String) throws {
        do { try createExclusiveFile(path, bytes: Array(contents.utf8), mode: 0o644) } catch { throw SetupError.io("\(error)") }
    }
}
