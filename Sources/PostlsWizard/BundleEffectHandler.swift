import Foundation
import Synchronization
import TerminalUI
import WizardCore

/// Answers the wizard's effects from a support bundle (`postls open`): the same events the engines post, with the
/// customer's results, so every screen is drawn by the same code as the live wizard's. Nothing on this machine is
/// read or changed; applying, rolling back and writing a report are refused (the reducer refuses them first).
final class BundleEffectHandler: WizardEffectHandler, Sendable {
    let bundle: WizardBundle
    private let queue = DispatchQueue(label: "postls.bundle-effects")
    /// The steps answered so far: the diagnoses follow once config, probe and logs are in, as after a live join.
    private let answered = Mutex(Set<String>())

    init(bundle: WizardBundle) { self.bundle = bundle }

    func perform(_ effect: WizardEffect, post: @escaping @Sendable (WizardEvent) -> Void) {
        queue.async { self.answer(effect, post) }
    }

    private func answer(_ effect: WizardEffect, _ post: @escaping @Sendable (WizardEvent) -> Void) {
        let b = bundle
        switch effect {
        case .loadConfig:
            post(.configLoaded(settings: b.config.settings, findings: b.config.findings))
            post(.dnsCandidates(b.dns?.candidates ?? []))
            diagnoseIfReady("config", post)
        case .runProbe:
            post(.probeStarted(total: b.probe.listeners.count))
            if let error = b.probe.error { post(.probeFailed(error)) } else { post(.probeFinished(b.probe.listeners)) }
            diagnoseIfReady("probe", post)
        case .loadLogs:
            if let totals = b.logs.totals { post(.logsLoaded(LogEventList(b.logs.events), totals)) } else { post(.logsFailed(b.logs.error ?? "logs not read")) }
            diagnoseIfReady("logs", post)
        case .openFile(let path, _):
            // Paths in the bundle are the customer's (redacted as the rest); a finding's relative name finds its file too.
            if let file = b.files.first(where: { $0.path == path }) ?? b.files.first(where: { ($0.path as NSString).lastPathComponent == (path as NSString).lastPathComponent }) {
                post(.fileLoaded(path: path, lines: file.lines))
            } else {
                post(.fileFailed(path: path, message: "the bundle does not hold this file"))
            }
        case .applyFix:
            post(.applyFinished(succeeded: false, before: [], after: [], message: "read-only bundle: nothing was applied"))
        case .rollback:
            post(.rollbackFinished(succeeded: false, after: [], message: "read-only bundle: nothing was rolled back"))
        case .checkDNS(let domain):
            post(dnsAnswer(domain))
        case .discoverSetup, .planSetup, .applySetup:
            post(.setupFailed("Read-only bundle: setup runs on the customer's server"))
        case .writeReport, .writeBundle:
            post(.reportFailed("read-only bundle: write the report on the customer's server"))
        case .quit, .continueSearch, .continueFilter:
            break
        }
    }

    /// The bundle's view of `domain` when the customer checked it; nothing is looked up from here.
    private func dnsAnswer(_ domain: String) -> WizardEvent {
        let same = { (other: String?) in other.map { $0.lowercased() == domain.lowercased() } ?? false }
        if let view = bundle.dns?.view, same(view.domain) { return .dnsLoaded(view) }
        if let error = bundle.dns?.error, same(bundle.dns?.domain) { return .dnsFailed(error) }
        return .dnsFailed("Read-only bundle: it holds no DNS check of \(domain); run postls dns \(domain) on the customer's server")
    }

    private func diagnoseIfReady(_ step: String, _ post: @escaping @Sendable (WizardEvent) -> Void) {
        let ready = answered.withLock { done -> Bool in
            let first = done.insert(step).inserted
            return first && done.count == 3
        }
        guard ready else { return }
        post(.diagnosesLoaded(diagnoses: bundle.diagnoses, fixes: bundle.fixes))
        if let senders = bundle.senderReports { post(.senderReportsLoaded(senders)) }
    }
}
