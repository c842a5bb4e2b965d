import Foundation
import PostlsCore
import Testing
import TerminalUI
import WizardCore
import WizardFixtures

/// Answers effects with canned results through `post`, as the real wiring will (there from other
/// threads; here at once, so the tests do not depend on timing).
final class CannedEngines: WizardEffectHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var _performed: [WizardEffect] = []
    var performed: [WizardEffect] { lock.lock(); defer { lock.unlock() }; return _performed }

    func perform(_ effect: WizardEffect, post: @escaping @Sendable (WizardEvent) -> Void) {
        lock.lock(); _performed.append(effect); lock.unlock()
        do {
            switch effect {
            case .loadConfig:
                post(.configLoaded(settings: DemoStates.settings, findings: DemoStates.findings))
            case .runProbe:
                post(.probeStarted(total: 4))
                post(.probeProgress(done: 2, total: 4, current: "submission 587"))
                post(.probeFinished(DemoStates.listeners))
                post(.diagnosesLoaded(diagnoses: DemoStates.diagnoses, fixes: DemoStates.fixes))
            case .loadLogs:
                let events = DemoStates.logEvents()
                post(.logsLoaded(LogEventList(events), DemoStates.logSummary(events)))
            case .applyFix:
                for id in ["backup", "write", "check", "reload", "reprobe"] {
                    post(.applyProgress(ApplyStepRow(id: id, label: id, status: .done)))
                }
                post(.applyFinished(succeeded: true, before: ["smtps 465: no TLS"], after: ["smtps 465: TLSv1.3, verify ok"], message: "smtps has TLS again."))
            case .rollback:
                post(.rollbackFinished(succeeded: true, after: ["smtps 465: no TLS"], message: "restored"))
            case .checkDNS:
                post(.dnsLoaded(DemoStates.dnsView))
            case .discoverSetup:
                post(.setupSources(DemoStates.setupSources))
            case .planSetup:
                post(.setupPlanned(DemoStates.setupPlan))
            case .applySetup:
                post(.applyFinished(succeeded: true, before: [], after: ["smtp 25: TLSv1.3, verify ok"], message: "Set up."))
            case .writeReport(let path, _), .writeBundle(let path, _):
                post(.reportWritten(path: path))
            case .openFile(let path, _):
                post(.fileLoaded(path: path, lines: DemoStates.mainCF))
            case .quit, .continueSearch, .continueFilter:
                break
            }
        }
    }
}

struct WizardRunnerTests {
    @Test("a scripted session loads everything, applies a fix, writes the report and quits")
    func scriptedSession() throws {
        let script = "sleep:200 5 enter y sleep:200 enter enter sleep:100 q"
        let backend = ScriptedBackend(size: TerminalSize(width: 80, height: 24), steps: try ScriptedBackend.parse(script))
        let engines = CannedEngines()
        let runner = WizardRunner(state: WizardState(hostName: "mail.example.org", size: TerminalSize(width: 1, height: 1)),
                                  backend: backend, effects: engines)
        let final = runner.run()
        #expect(final.quitting)
        #expect(final.apply.phase == .succeeded)
        #expect(final.report.status == .written(path: "/tmp/postls-report.md"))
        #expect(engines.performed.contains(.applyFix(id: "smtps-key")))
        #expect(engines.performed.prefix(3) == [.loadConfig, .runProbe, .loadLogs])
        let frame = try #require(backend.frames.last)
        #expect(frame.dump().contains { $0.contains("Written to /tmp/postls-report.md") })
        #expect(runner.framesDrawn == backend.frames.count)
    }

    @Test("the script ending stops the runner with the last screen drawn")
    func endOfScript() throws {
        let backend = ScriptedBackend(size: TerminalSize(width: 80, height: 24), steps: try ScriptedBackend.parse("4 /school"))
        let runner = WizardRunner(state: DemoStates.loaded(), backend: backend, effects: CannedEngines())
        let final = runner.run(startupEffects: [])
        #expect(!final.quitting)
        #expect(final.input?.text == "school")
        #expect(runner.lastFrame.dump()[22] == " /school_")
    }

    @Test("resizing in a script re-lays out the screen at the new size")
    func resizeInScript() throws {
        let backend = ScriptedBackend(size: TerminalSize(width: 80, height: 24), steps: try ScriptedBackend.parse("resize:70x20 resize:132x43"))
        let runner = WizardRunner(state: DemoStates.loaded(), backend: backend, effects: CannedEngines())
        runner.run(startupEffects: [])
        #expect(backend.frames.map(\.width) == [80, 70, 132])
        #expect(backend.frames[1].dump().contains { $0.contains("at least 80x24") })
        #expect(runner.lastFrame.height == 43)
    }

    @Test("key scripts name keys, type words, and reject what they cannot read")
    func scriptParsing() throws {
        #expect(try ScriptedBackend.parse("down /ab enter") == [.key(.down), .key(.character("/")), .key(.character("a")), .key(.character("b")), .key(.enter)])
        #expect(try ScriptedBackend.parse("sleep:5 resize:100x30 space") == [.pause(milliseconds: 5), .resize(width: 100, height: 30), .key(.character(" "))])
        #expect(throws: ScriptedBackend.ScriptError.badWord("resize:big")) { try ScriptedBackend.parse("resize:big") }
        #expect(throws: ScriptedBackend.ScriptError.badWord("sleep:-1")) { try ScriptedBackend.parse("sleep:-1") }
    }
}

struct RunnerSearchTests {
    @Test("the runner feeds long searches back in steps and reads keys between them")
    func longSearchInterleavesWithKeys() throws {
        var state = DemoStates.loaded()
        state = reduce(state, .logsLoaded(SyntheticLogEvents(count: 100_000), LogTotals())).0
        state.step = .logs
        let backend = ScriptedBackend(size: TerminalSize(width: 80, height: 24), steps: try ScriptedBackend.parse("/zz-nowhere esc x"))
        let engines = CannedEngines()
        let runner = WizardRunner(state: state, backend: backend, effects: engines)
        let final = runner.run(startupEffects: [])
        #expect(!engines.performed.contains { if case .continueSearch = $0 { true } else { false } })
        #expect(final.input == nil && final.logs.searchInProgress == nil)
        #expect(final.step == .logs, "Esc closed the search prompt instead of leaving the step")
        let searching = backend.frames.contains { $0.dump()[22].contains("searching") }
        #expect(searching, "a frame showed the search going on")
    }
}

struct HeadlessWizardTests {
    @Test("a headless run on a key script ends on the screen a person would see")
    func headlessDump() throws {
        let (state, screen) = try HeadlessWizard.run(WizardState(hostName: "mail.example.org", size: TerminalSize(width: 80, height: 24)),
                                                     keys: "4 c enter", effects: CannedEngines())
        #expect(state.step == .logs && state.logs.filter.cause == .protocolMismatch)
        let text = screen.dump()
        #expect(text[2].contains("filter: cause=protocol_mismatch (18 shown)"))
        #expect(text[4].contains("▸ protocol_mismatch  18"), "Enter folded the group")
    }
}
