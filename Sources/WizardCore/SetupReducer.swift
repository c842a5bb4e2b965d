import PostlsCore

/// The Setup step's part of `reduce`: discover the certificate sources, plan with the chosen one, confirm, apply
/// (shown on the Apply step, with the same rollback).
extension WizardState {
    mutating func receiveSetup(_ event: WizardEvent) {
        switch event {
        case .setupSources(let sources):
            setup.sources = sources
            setup.phase = .choosing
            // Files that can be used come first in the list; preselect the first of them, else the CSR.
            let first = sources.firstIndex { $0.usable } ?? 0
            setup.list.moveTo(first, count: sources.count, height: WizardLayout.setupSourceRows(size, count: sources.count))
        case .setupPlanned(let plan):
            (setup.plan, setup.phase, setup.top) = (plan, .planned, 0)
        case .setupFailed(let why):
            setup.phase = .failed(why)
        default:
            break
        }
    }

    /// From the Overview: the Setup step, discovering the sources the first time.
    mutating func openSetup() -> [WizardEffect] {
        step = .setup
        guard setup.phase == .idle || { if case .failed = setup.phase { return true } else { return false } }() else { return [] }
        setup.phase = .discovering
        return [.discoverSetup]
    }

    mutating func handleSetupKey(_ key: WizardKey) -> [WizardEffect]? {
        let rows = WizardLayout.setupSourceRows(size, count: setup.sources.count)
        switch key {
        case .up, .down, .character("j"), .character("k"), .home, .end:
            setup.list.move(by: movement(key, page: rows) ?? 0, count: setup.sources.count, height: rows)
            return []
        case .pageUp, .pageDown:
            let page = WizardLayout.setupPlanHeight(size, count: setup.sources.count)
            setup.top = max(0, min(2_000, setup.top + (key == .pageUp ? -page : page)))
            return []
        case .enter:
            guard let source = setup.selectedSource else { return [] }
            if setup.phase == .planned, setup.plannedSource == source { return confirmSetup() }
            if setup.phase == .planning || setup.phase == .discovering { message = "Wait: setup is still reading the system."; return [] }
            guard source.usable else { message = "This certificate cannot be used here: \(source.detail)"; return [] }
            (setup.phase, setup.plannedSource, setup.plan) = (.planning, source, nil)
            return [.planSetup(source.kind)]
        case .character("a"):
            return setup.phase == .planned ? confirmSetup() : []
        default:
            return nil
        }
    }

    private mutating func confirmSetup() -> [WizardEffect] {
        guard let plan = setup.plan else { return [] }
        if plan.isEmpty { message = "Nothing to do: TLS is already set up as postls would set it up."; return [] }
        if apply.phase == .running || apply.phase == .rollingBack { message = "Another change is being applied; wait until it finishes."; return [] }
        dialog = .confirmSetup
        return []
    }

    mutating func startSetupApply() -> [WizardEffect] {
        apply = ApplyStepState()
        apply.fixID = "setup"
        apply.fixTitle = "First-time TLS setup: " + (setup.plan?.certificate ?? "")
        apply.phase = .running
        apply.steps = ApplyStepRow.setupSteps
        step = .apply
        return [.applySetup]
    }
}
