import Foundation
import TerminalUI
import WizardCore

/// Answers the wizard's effects with DemoStates' canned results, on a background thread and with
/// short delays so progress shows. For trying the screens on a real terminal before the engines are
/// wired; nothing on the system is read or changed.
public final class DemoEffectHandler: WizardEffectHandler, @unchecked Sendable {
    private let stepDelay: Double
    private let queue = DispatchQueue(label: "postls.demo-effects")

    public init(stepDelay: Double = 0.3) { self.stepDelay = stepDelay }

    public func perform(_ effect: WizardEffect, post: @escaping @Sendable (WizardEvent) -> Void) {
        let delay = stepDelay
        queue.async {
            func pause() { if delay > 0 { Thread.sleep(forTimeInterval: delay) } }
            switch effect {
            case .loadConfig:
                post(.configLoaded(settings: DemoStates.settings, findings: DemoStates.findings))
                post(.dnsCandidates(["example.org"]))
            case .checkDNS:
                pause()
                post(.dnsLoaded(DemoStates.dnsView))
            case .discoverSetup:
                post(.setupSources(DemoStates.setupSources))
            case .planSetup:
                pause()
                post(.setupPlanned(DemoStates.setupPlan))
            case .applySetup:
                pause()
                post(.applyFinished(succeeded: true, before: [], after: DemoStates.setupAfter, message: "Set up. Press r to roll back."))
            case .runProbe:
                let listeners = DemoStates.listeners
                post(.probeStarted(total: listeners.count))
                for (i, l) in listeners.enumerated() {
                    post(.probeProgress(done: i, total: listeners.count, current: "\(l.service) \(l.port) \(l.address)"))
                    pause()
                    post(.probeResult(l))
                }
                post(.probeFinished(listeners))
                post(.diagnosesLoaded(diagnoses: DemoStates.diagnoses, fixes: DemoStates.fixes))
            case .loadLogs:
                for n in stride(from: 10_000, through: 48_000, by: 19_000) {
                    post(.logsProgress(linesRead: n, file: "/var/log/mail.log"))
                    pause()
                }
                let events = DemoStates.logEvents()
                post(.logsLoaded(LogEventList(events), DemoStates.logSummary(events)))
            case .applyFix:
                for step in ApplyStepRow.standardSteps {
                    var row = step
                    row.status = .running
                    post(.applyProgress(row))
                    pause()
                    row.status = .done
                    post(.applyProgress(row))
                }
                post(.applyFinished(succeeded: true, before: ["(demo) before"], after: ["(demo) after"], message: "Demo: nothing was changed."))
            case .rollback:
                pause()
                post(.rollbackFinished(succeeded: true, after: ["(demo) before"], message: "Demo: nothing to restore."))
            case .writeReport(let path, _), .writeBundle(let path, _):
                post(.reportFailed("the demo writes no files (would write \(path))"))
            case .openFile(let path, _):
                post(.fileLoaded(path: path, lines: DemoStates.mainCF))
            case .quit, .continueSearch, .continueFilter:
                break
            }
        }
    }
}
