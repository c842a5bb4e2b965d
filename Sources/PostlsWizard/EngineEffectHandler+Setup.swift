import Diagnosis
import Foundation
import MailDNS
import PostfixConfig
import PostlsCore
import Synchronization
import TLSProbe
import WizardCore

/// First-time setup in the wizard: `postls setup`'s engine (`Setup.discover`, `Setup.plan`, `Setup.apply`), the
/// same safe apply (backup, atomic write, postfix check, journal), reload and probe; rollback is the wizard's own.
extension EngineEffectHandler {
    func discoverSetup(_ post: @escaping @Sendable (WizardEvent) -> Void) {
        do {
            let inputs = try setupEngine().discover(setupOptions)
            post(.setupSources(Self.sources(inputs)))
        } catch {
            post(.setupFailed("\(error)"))
        }
    }

    /// The choices: certificates found (usable ones first), then a CSR for a CA, then a self-signed stopgap.
    static func sources(_ inputs: SetupInputs) -> [SetupSource] {
        var candidates = inputs.found
        if let configured = inputs.configured { candidates.insert(configured, at: 0) }
        var seen: Set<String> = []
        var files: [SetupSource] = []
        for c in candidates where seen.insert(c.certificateFile).inserted {
            let until = c.info.map { "until \(TimeFormat.iso8601($0.notAfter).prefix(10))" } ?? ""
            let detail = c.usable ? "\(c.origin): covers \(inputs.hostname), \(until)" : c.problems.joined(separator: "; ")
            files.append(SetupSource(kind: .files(certificate: c.certificateFile, key: c.keyFile), title: c.certificateFile, detail: detail, usable: c.usable))
        }
        files.sort { $0.usable && !$1.usable }
        return files + [
            SetupSource(kind: .csr, title: "A CSR for a certificate authority",
                        detail: "a new key and a request to send; TLS starts once the CA's certificate is installed", usable: true),
            SetupSource(kind: .selfSigned, title: "Self-signed stopgap",
                        detail: "encrypts now, but senders that verify (DANE, MTA-STS) refuse it: replace it soon", usable: true),
        ]
    }

    func planSetup(_ kind: SetupSource.Kind, _ post: @escaping @Sendable (WizardEvent) -> Void) {
        var options = setupOptions
        switch kind {
        case .files(let certificate, let key): options.certificate = .files(certificate: certificate, key: key)
        case .csr: options.certificate = .requestOnly
        case .selfSigned: options.certificate = .selfSigned
        }
        do {
            var inputs = try setupEngine().discover(options)
            // A certificate chosen from the list keeps the origin it was found under (setup calls a given one --cert).
            if let given = inputs.given {
                let found = ([inputs.configured].compactMap { $0 } + inputs.found).first { $0.certificateFile == given.certificateFile }
                inputs.given?.origin = found?.origin ?? "chosen in the wizard"
            }
            let plan = try Setup.plan(inputs)
            setupPlan.withLock { $0 = (inputs, plan) }
            post(.setupPlanned(Self.view(plan)))
        } catch {
            post(.setupFailed("\(error)"))
        }
    }

    static func view(_ plan: SetupPlan) -> SetupPlanView {
        SetupPlanView(certificate: plan.certificate.summary, notes: plan.notes, fileActions: plan.fileActions.map(\.description), diff: plan.diff,
                      dovecotChanges: plan.dovecotChanges, dovecotDiff: plan.dovecotDiff, expectations: plan.expectations,
                      records: plan.dnsRecords.flatMap { $0.pasteLines() }, isEmpty: plan.isEmpty,
                      enablesTLS: plan.certificate.files != nil)
    }

    func applySetup(_ post: @escaping @Sendable (WizardEvent) -> Void) {
        guard let (inputs, plan) = setupPlan.withLock({ $0 }) else {
            post(.applyFinished(succeeded: false, before: [], after: [], message: "No setup plan to apply."))
            return
        }
        let before = gathering.gathered?.probe.map { Self.lines($0.targets) } ?? []
        let mark: @Sendable (String, ApplyStepStatus, String) -> Void = { id, status, detail in
            guard let row = ApplyStepRow.setupSteps.first(where: { $0.id == id }) else { return }
            post(.applyProgress(ApplyStepRow(id: id, label: row.label, status: status, detail: detail)))
        }
        let current = Mutex("files")
        do {
            let outcome = try setupEngine().apply(plan, inputs: inputs, trust: options.trust, phaseTimeout: options.phaseTimeout) { step in
                let (done, next): ([String], String) = switch step {
                case .files: ([], "files")
                case .writing: (["files"], "write")
                case .reloading: (["files", "write"], "reload")
                case .probing: (["files", "write", "reload"], "reprobe")
                }
                for id in done { mark(id, .done, "") }
                mark(next, .running, "")
                current.withLock { $0 = next }
            }
            finishSetup(outcome, plan: plan, inputs: inputs, before: before, mark: mark, post)
        } catch {
            mark(current.withLock { $0 }, .failed, "\(error)")
            post(.applyFinished(succeeded: false, before: before, after: [], message: "\(error)"))
        }
    }

    private func finishSetup(_ outcome: Setup.Outcome, plan: SetupPlan, inputs: SetupInputs, before: [String],
                             mark: @escaping @Sendable (String, ApplyStepStatus, String) -> Void, _ post: @escaping @Sendable (WizardEvent) -> Void) {
        if plan.fileActions.isEmpty { mark("files", .skipped, "the certificate exists") } else { mark("files", .done, outcome.filesWritten.joined(separator: ", ")) }
        mark("write", plan.edits.isEmpty ? .skipped : .done, outcome.journalID.map { "journal \($0)" } ?? "")
        mark("reload", outcome.reloaded ? .done : .skipped, outcome.reloaded ? "" : "Postfix is not running with this configuration")
        let after = outcome.probe.map { Self.lines($0.targets) } ?? []
        mark("reprobe", outcome.probe == nil ? .skipped : (outcome.failures.isEmpty ? .done : .failed), outcome.failures.joined(separator: "; "))
        // A rollback probes these listeners again, as after a fix.
        let configuration = try? PostfixConfiguration.load(directory: inputs.configuration.directory, defaults: inputs.configuration.defaults)
        setAppliedTargets(gathering.gatherer.probeTargets(options, configuration: configuration))
        let succeeded = outcome.failures.isEmpty && (plan.certificate.files == nil || outcome.probe != nil)
        let text = (outcome.messages + [succeeded ? "Set up\(outcome.journalID.map { " (journal \($0))" } ?? ""). Press r to roll back."
                                                  : "TLS does not work on: \(outcome.failures.joined(separator: "; ")). Press r to roll back."])
        post(.applyFinished(succeeded: succeeded, before: before, after: after, message: text.joined(separator: "; ")))
        refreshAfterChange(post)
    }

    func setupEngine() -> Setup {
        var setup = Setup(runner: runner)
        setup.probeRecorder = options.probeRecorder()
        return setup
    }
}
