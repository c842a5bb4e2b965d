import PostlsCore
import Testing
import TerminalUI
import WizardCore
import WizardFixtures

/// Feeds events through `reduce` the way the runner does, keeping the effects.
struct Driver {
    var state: WizardState
    var effects: [WizardEffect] = []

    init(_ state: WizardState) { self.state = state }

    mutating func send(_ event: WizardEvent) {
        let (next, out) = reduce(state, event)
        state = next
        effects += out
    }

    mutating func press(_ keys: WizardKey...) { for k in keys { send(.key(k)) } }
    mutating func type(_ text: String) { for c in text { send(.key(.character(c))) } }
}

struct NavigationTests {
    @Test("number keys jump to steps, arrows and h/l move one step and stop at the ends")
    func stepNavigation() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("4"))
        #expect(d.state.step == .logs)
        d.press(.right, .character("l"))
        #expect(d.state.step == .apply)
        d.press(.character("l"), .character("l"), .character("l"))
        #expect(d.state.step == .dns)
        d.press(.left, .character("h"), .left)
        #expect(d.state.step == .fixes)
        d.press(.character("1"), .left)
        #expect(d.state.step == .overview)
        #expect(d.effects.isEmpty)
    }

    @Test("Tab switches panes where a step has two, and steps forward where it has one")
    func tabSwitchesPanes() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("2"), .tab)
        #expect(d.state.step == .config)
        #expect(d.state.config.pane == .settings)
        d.press(.down, .down)
        #expect(d.state.config.settingsList.selection == 2)
        #expect(d.state.config.findingsList.selection == 0)
        d.press(.backTab)
        #expect(d.state.config.pane == .findings)
        d.press(.character("3"), .tab)
        #expect(d.state.step == .logs)
    }

    @Test("vi keys move like arrows; the selection stops at the ends and stays visible")
    func listMovement() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("4"), .character("j"), .character("j"), .down, .character("k"))
        #expect(d.state.logs.list.selection == 2)
        d.press(.character("G"))
        #expect(d.state.logs.list.selection == d.state.logs.rowCount - 1)
        let height = WizardLayout.logsListHeight(d.state.size)
        #expect(d.state.logs.list.top == d.state.logs.rowCount - height)
        d.press(.down)
        #expect(d.state.logs.list.selection == d.state.logs.rowCount - 1)
        d.press(.character("g"), .up)
        #expect(d.state.logs.list.selection == 0 && d.state.logs.list.top == 0)
        d.press(.pageDown)
        #expect(d.state.logs.list.selection == height - 1)
    }

    @Test("Enter on an overview problem opens its diagnosis in Fixes")
    func overviewEnterOpensFix() {
        var d = Driver(DemoStates.loaded())
        d.press(.down, .enter)
        #expect(d.state.step == .fixes)
        #expect(d.state.fixes.selectedDiagnosis?.cause == .incompleteChain)
        #expect(d.state.fixes.selectedFix?.id == "use-fullchain")
    }

    @Test("f cycles a diagnosis's fixes; Enter asks before applying and y starts the apply")
    func applyNeedsConfirmation() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("5"), .down, .down)
        #expect(d.state.fixes.selectedFix?.id == "port25-protocols")
        d.press(.character("f"))
        #expect(d.state.fixes.selectedFix?.id == "port25-protocols-default")
        d.press(.enter)
        #expect(d.state.dialog == .confirmApply(fixID: "port25-protocols-default"))
        #expect(d.effects.isEmpty)
        d.press(.character("x"), .down)
        #expect(d.state.dialog != nil, "other keys leave the question open")
        d.press(.character("n"))
        #expect(d.state.dialog == nil && d.effects.isEmpty)
        d.press(.enter, .character("y"))
        #expect(d.effects == [.applyFix(id: "port25-protocols-default")])
        #expect(d.state.step == .apply && d.state.apply.phase == .running)
        #expect(d.state.apply.steps.map(\.id) == ["backup", "write", "check", "reload", "reprobe"])
    }

    @Test("progress and the result of an apply update the Apply step; r asks, then rolls back")
    func applyProgressAndRollback() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("5"), .enter, .character("y"))
        d.send(.applyProgress(ApplyStepRow(id: "backup", label: "Back up the files", status: .done, detail: "ok")))
        #expect(d.state.apply.steps[0].status == .done)
        d.press(.character("r"))
        #expect(d.state.dialog == nil, "no rollback while a step runs")
        d.send(.applyFinished(succeeded: false, before: ["a"], after: ["b"], message: "postfix check failed"))
        #expect(d.state.apply.phase == .failed)
        d.press(.character("r"))
        #expect(d.state.dialog == .confirmRollback)
        d.press(.enter)
        #expect(d.effects.last == .rollback)
        #expect(d.state.apply.phase == .rollingBack)
        d.send(.rollbackFinished(succeeded: true, after: ["a"], message: "restored main.cf"))
        #expect(d.state.apply.phase == .rolledBack)
        #expect(d.state.apply.afterRollback == ["a"])
        #expect(d.state.apply.rollbackDifferences.isEmpty)
        #expect(!d.state.isHalfApplied)
    }

    @Test("the re-probe after a rollback is kept beside before and applied; a listener not as before is flagged")
    func rollbackReprobeIsComparedWithBefore() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("5"), .enter, .character("y"))
        d.send(.applyFinished(succeeded: true, before: ["127.0.0.1:25  TLSv1.3 X, accepts TLSv1.2 TLSv1.3", "127.0.0.1:587  no STARTTLS"],
                              after: ["127.0.0.1:25  TLSv1.3 X, accepts TLSv1 TLSv1.1 TLSv1.2 TLSv1.3", "127.0.0.1:587  no STARTTLS"], message: "applied"))
        d.press(.character("r"), .character("y"))
        #expect(d.effects.last == .rollback)
        d.send(.rollbackFinished(succeeded: true, after: ["127.0.0.1:25  TLSv1.3 X, accepts TLSv1 TLSv1.2 TLSv1.3", "127.0.0.1:587  no STARTTLS",
                                                          "127.0.0.1:465  TLSv1.3 X"], message: "restored"))
        #expect(d.state.apply.before.count == 2 && d.state.apply.after.count == 2, "before and applied stay")
        #expect(d.state.apply.afterRollback.count == 3)
        // 465 was not probed before: nothing to compare it with.
        #expect(d.state.apply.rollbackDifferences == ["127.0.0.1:25  TLSv1.3 X, accepts TLSv1 TLSv1.2 TLSv1.3"])
        // A second rollback starts without the first one's probe.
        d.send(.applyFinished(succeeded: false, before: [], after: [], message: "x"))
        d.press(.character("r"), .character("y"))
        #expect(d.state.apply.afterRollback.isEmpty)
    }

    @Test("a DNS fix is shown but cannot be applied")
    func dnsFixIsNotApplied() {
        var s = DemoStates.loaded()
        s = reduce(s, .diagnosesLoaded(diagnoses: [DiagnosisRow(cause: .daneMismatch, severity: .critical, confidence: .high, summary: "TLSA", evidence: [], fixIDs: ["tlsa"])],
                                       fixes: [FixRow(id: "tlsa", title: "Publish TLSA", kind: .dnsRecord, diff: nil, commands: [], impact: "")])).0
        var d = Driver(s)
        d.press(.character("5"), .enter)
        #expect(d.state.dialog == nil && d.effects.isEmpty)
        #expect(d.state.message?.contains("DNS") == true)
    }

    @Test("a fix of commands for the admin is shown but not run by postls")
    func commandFixIsNotRun() {
        var s = DemoStates.loaded()
        s = reduce(s, .diagnosesLoaded(diagnoses: [DiagnosisRow(cause: .untrustedCertificate, severity: .critical, confidence: .high, summary: "self-signed", evidence: [], fixIDs: ["csr"])],
                                       fixes: [FixRow(id: "csr", title: "Get a certificate from a public CA", kind: .command, diff: nil,
                                                      commands: ["openssl req -new ..."], impact: "", runsItself: false)])).0
        var d = Driver(s)
        d.press(.character("5"), .enter)
        #expect(d.state.dialog == nil && d.effects.isEmpty)
        #expect(d.state.message?.contains("run the commands") == true)
    }

    @Test("the report is written to the edited path with redaction as chosen")
    func reportEffect() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("7"), .character("e"))
        for _ in 0..<30 { d.press(.backspace) }
        d.type("/root/ticket.md")
        d.press(.enter, .character("r"), .enter)
        #expect(d.effects == [.writeReport(path: "/root/ticket.md", redact: true)])
        #expect(d.state.report.status == .writing)
        d.send(.reportWritten(path: "/root/ticket.md"))
        #expect(d.state.report.status == .written(path: "/root/ticket.md"))
    }

    @Test("Enter on a config finding opens its file at the line, read-only; Esc closes it")
    func configOpensFile() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("2"), .down, .enter)
        #expect(d.effects == [.openFile(path: "/etc/postfix/main.cf", line: 34)])
        d.send(.fileLoaded(path: "/etc/postfix/main.cf", lines: DemoStates.mainCF))
        #expect(d.state.config.file?.loading == false)
        d.press(.down)
        #expect(d.state.step == .config && d.state.config.findingsList.selection == 1, "keys scroll the file, not the list")
        d.press(.escape)
        #expect(d.state.config.file == nil && d.state.step == .config)
    }

    @Test("r re-runs the probe once; progress and results arrive as events")
    func reprobe() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("3"), .character("r"), .character("r"))
        #expect(d.effects == [.runProbe])
        #expect(d.state.probe.running)
        d.send(.probeProgress(done: 1, total: 4, current: "smtp 25"))
        #expect(d.state.probe.done == 1 && d.state.probe.current == "smtp 25")
        d.send(.probeFinished(Array(DemoStates.listeners.prefix(2))))
        #expect(!d.state.probe.running && d.state.probe.listeners.count == 2)
    }

    @Test("verdicts judged under the domain's policy replace a finished probe's listeners, never a running probe's")
    func verdictsJudgedOnlyAfterTheProbe() {
        var d = Driver(DemoStates.loaded())
        let judged = Array(DemoStates.listeners.prefix(1))
        d.send(.probeVerdictsJudged(judged))
        #expect(d.state.probe.listeners == judged && !d.state.probe.running)
        // The DNS check can finish while a re-probe runs: the old probe's listeners must not end it.
        d.press(.character("3"), .character("r"))
        #expect(d.state.probe.running)
        d.send(.probeProgress(done: 1, total: 4, current: "smtp 25"))
        d.send(.probeVerdictsJudged(Array(DemoStates.listeners.prefix(3))))
        #expect(d.state.probe.running && d.state.probe.done == 1 && d.state.probe.current == "smtp 25")
        #expect(d.state.probe.listeners == judged)
    }
}

struct HelpAndQuitTests {
    @Test("? opens help on every step, swallows other keys, and ? or Esc closes it", arguments: WizardStep.allCases)
    func helpOnEveryStep(step: WizardStep) {
        var s = DemoStates.loaded()
        s.step = step
        var d = Driver(s)
        d.press(.character("?"))
        #expect(d.state.helpVisible)
        d.press(.down, .character("3"))
        #expect(d.state.step == step && d.effects.isEmpty)
        d.press(.escape)
        #expect(!d.state.helpVisible && d.state.step == step)
        d.press(.character("?"), .character("?"))
        #expect(!d.state.helpVisible)
        #expect(!WizardHelp.help(for: step).sections.isEmpty)
    }

    @Test("q quits at once when nothing is half applied")
    func quitDirectly() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("q"))
        #expect(d.effects == [.quit])
        #expect(d.state.quitting)
    }

    @Test("q asks while a fix is half applied; n stays, y quits")
    func quitAsksWhenHalfApplied() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("5"), .enter, .character("y"))
        #expect(d.state.isHalfApplied)
        d.effects = []
        d.press(.character("q"))
        #expect(d.state.dialog == .confirmQuit && d.effects.isEmpty)
        d.press(.enter)
        #expect(d.state.dialog == .confirmQuit, "Enter alone does not confirm quitting")
        d.press(.escape)
        #expect(d.state.dialog == nil && !d.state.quitting)
        d.press(.character("q"), .character("y"))
        #expect(d.effects == [.quit])
    }

    @Test("q after a verified apply quits without asking")
    func quitAfterSuccess() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("5"), .enter, .character("y"))
        d.send(.applyFinished(succeeded: true, before: [], after: [], message: ""))
        d.effects = []
        d.press(.character("q"))
        #expect(d.effects == [.quit])
    }
}

struct LogsTests {
    @Test("/ searches as you type, ignoring case, from where the search began; Esc goes back")
    func incrementalSearch() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("4"), .character("/"))
        #expect(d.state.input?.purpose == .logSearch)
        d.type("SCHOOL")
        guard case .event(let index)? = d.state.logs.row(at: d.state.logs.list.selection) else {
            Issue.record("selection is not an event"); return
        }
        #expect(d.state.logs.source?.event(at: index).peerName == "mail.school.example")
        let first = d.state.logs.list.selection
        d.press(.enter)
        #expect(d.state.input == nil && d.state.logs.search == "SCHOOL")
        d.press(.character("n"))
        #expect(d.state.logs.list.selection > first)
        d.press(.character("N"))
        #expect(d.state.logs.list.selection == first)
        d.press(.character("/"))
        d.type("zzz-nowhere")
        #expect(d.state.logs.searchFailed)
        d.press(.escape)
        #expect(d.state.logs.list.selection == first && d.state.logs.search == "SCHOOL")
    }

    @Test("backspace widens an incremental search again")
    func searchBackspace() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("4"), .character("/"))
        d.type("partnerx")
        #expect(d.state.logs.searchFailed)
        d.press(.backspace)
        #expect(!d.state.logs.searchFailed)
        guard case .event(let index)? = d.state.logs.row(at: d.state.logs.list.selection) else {
            Issue.record("selection is not an event"); return
        }
        #expect(d.state.logs.source?.event(at: index).cause == .unclassified)
    }

    @Test("events are grouped by cause, most frequent first, and Enter on a heading folds it")
    func grouping() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("4"))
        #expect(d.state.logs.groups.map(\.cause) == [.protocolMismatch, .keyMismatch, .peerAborted, .unclassified])
        #expect(d.state.logs.rowCount == 34 + 4)
        #expect(d.state.logs.row(at: 0) == .header(cause: .protocolMismatch, count: 18, collapsed: false))
        d.press(.enter)
        #expect(d.state.logs.rowCount == 34 + 4 - 18)
        #expect(d.state.logs.row(at: 1) == .header(cause: .keyMismatch, count: 9, collapsed: false))
        d.press(.enter)
        #expect(d.state.logs.rowCount == 38)
    }

    @Test("c cycles the cause filter through the causes present, then back to all")
    func causeFilter() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("4"), .character("c"))
        #expect(d.state.logs.filter.cause == .protocolMismatch && d.state.logs.shownEvents == 18)
        d.press(.character("c"), .character("c"), .character("c"))
        #expect(d.state.logs.filter.cause == .unclassified && d.state.logs.shownEvents == 1)
        d.press(.character("c"))
        #expect(d.state.logs.filter.cause == nil && d.state.logs.shownEvents == 34)
    }

    @Test("p and s filter by peer and service text; x clears every filter")
    func peerAndServiceFilter() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("4"), .character("p"))
        d.type("Bank")
        #expect(d.state.logs.shownEvents == 34, "the filter applies on Enter")
        d.press(.enter)
        #expect(d.state.logs.filter.peer == "Bank")
        #expect(d.state.logs.shownEvents > 0 && d.state.logs.shownEvents < 18)
        d.press(.character("x"), .character("s"))
        d.type("smtps")
        d.press(.enter)
        #expect(d.state.logs.shownEvents == 9)
        #expect(d.state.logs.groups.map(\.cause) == [.keyMismatch])
        d.press(.character("p"))
        d.type("nobody-has-this")
        d.press(.enter)
        #expect(d.state.logs.shownEvents == 0 && d.state.logs.rowCount == 0)
        d.press(.character("x"))
        #expect(d.state.logs.filter.isEmpty && d.state.logs.shownEvents == 34)
    }

    @Test("Enter on an event shows its raw lines; Esc returns to the list at the same row")
    func eventDetail() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("4"), .down, .enter)
        #expect(d.state.logs.detail != nil)
        d.press(.down)
        #expect(d.state.logs.list.selection == 1)
        d.press(.escape)
        #expect(d.state.logs.detail == nil && d.state.logs.list.selection == 1 && d.state.step == .logs)
    }

    @Test("a million events: grouping, row lookup and moving to the end work on an index-based source")
    func millionEvents() {
        var s = DemoStates.loaded()
        let source = SyntheticLogEvents(count: 1_000_000)
        s = reduce(s, .logsLoaded(source, LogTotals(linesRead: 3_000_000))).0
        s.step = .logs
        #expect(s.logs.shownEvents == 1_000_000)
        #expect(s.logs.rowCount == 1_000_000 + s.logs.groups.count)
        var d = Driver(s)
        d.press(.character("G"))
        #expect(d.state.logs.list.selection == d.state.logs.rowCount - 1)
        guard case .event(let last)? = d.state.logs.row(at: d.state.logs.list.selection) else {
            Issue.record("last row is not an event"); return
        }
        #expect(source.cause(at: last) == d.state.logs.groups.last?.cause)
    }
}

struct ResizeTests {
    @Test("below 80x24 keys other than q do nothing, and q still quits")
    func tooSmall() {
        var d = Driver(DemoStates.loaded())
        d.send(.resize(width: 79, height: 30))
        #expect(d.state.size.isTooSmall)
        d.press(.character("4"), .character("?"))
        #expect(d.state.step == .overview && !d.state.helpVisible)
        #expect(WizardHelp.statusKeys(d.state) == [KeyHelp("q", "quit")])
        d.send(.resize(width: 80, height: 24))
        d.press(.character("4"))
        #expect(d.state.step == .logs)
        d.send(.resize(width: 60, height: 10))
        d.press(.character("q"))
        #expect(d.effects == [.quit])
    }

    @Test("shrinking the terminal scrolls so the selection stays on screen")
    func shrinkKeepsSelectionVisible() {
        var s = DemoStates.loaded(size: TerminalSize(width: 132, height: 43))
        s.step = .logs
        var d = Driver(s)
        for _ in 0..<30 { d.press(.down) }
        #expect(d.state.logs.list.top == 0)
        d.send(.resize(width: 80, height: 24))
        let height = WizardLayout.logsListHeight(d.state.size)
        #expect(d.state.logs.list.selection == 30)
        #expect(d.state.logs.list.top <= 30 && 30 < d.state.logs.list.top + height)
    }
}

struct LongSearchTests {
    /// 100,000 events: many search steps, so the search must go on in steps.
    func bigLog() -> WizardState {
        var s = DemoStates.loaded()
        s = reduce(s, .logsLoaded(SyntheticLogEvents(count: 100_000), LogTotals())).0
        s.step = .logs
        return s
    }

    @Test("a search through more rows than one step continues in steps and finds the match")
    func searchContinuesInSteps() {
        var d = Driver(bigLog())
        d.press(.character("/"))
        // Only event 99,999 was logged at this time; its cause (peer_aborted) is the second group, so
        // its row lies beyond the 30,000 rows of the first group, past the first steps.
        d.type("NOV 02 03:46:39")
        var steps = 0
        while case .continueSearch(let g)? = d.effects.last, steps < 100 {
            d.effects.removeLast()
            d.send(.searchContinue(generation: g))
            steps += 1
        }
        #expect(steps >= 2, "the search took more than one step")
        #expect(d.state.logs.searchInProgress == nil && !d.state.logs.searchFailed)
        guard case .event(let index)? = d.state.logs.row(at: d.state.logs.list.selection) else {
            Issue.record("no event selected"); return
        }
        #expect(index == 99_999)
    }

    @Test("typing during a long search starts a new one; the old one's continuation is ignored")
    func newKeySupersedesSearch() {
        var d = Driver(bigLog())
        d.press(.character("/"))
        d.type("zz-nowhere")
        guard case .continueSearch(let old)? = d.effects.last else { Issue.record("no continuation"); return }
        d.press(.backspace)
        guard case .continueSearch(let new)? = d.effects.last else { Issue.record("no continuation"); return }
        #expect(new != old)
        let before = d.state.logs.searchInProgress
        d.send(.searchContinue(generation: old))
        #expect(d.state.logs.searchInProgress == before, "a stale continuation does nothing")
        d.press(.escape)
        #expect(d.state.logs.searchInProgress == nil)
        d.send(.searchContinue(generation: new))
        #expect(d.state.logs.searchInProgress == nil && d.state.logs.list.selection == 0)
    }

    @Test("a search that finds nothing ends as not found after one pass")
    func searchMissEnds() {
        var d = Driver(bigLog())
        d.press(.character("/"))
        d.type("#")
        var steps = 0
        while case .continueSearch(let g)? = d.effects.last, steps < 100 {
            d.effects.removeLast()
            d.send(.searchContinue(generation: g))
            steps += 1
        }
        #expect(steps == (d.state.logs.rowCount - 1) / LogsStepState.searchRowsPerStep)
        #expect(d.state.logs.searchFailed && d.state.logs.searchInProgress == nil)
        d.type("#")
        #expect(d.effects.last == nil || d.effects.last != .continueSearch(generation: d.state.logs.searchGeneration + 1))
        #expect(d.state.logs.searchInProgress == nil, "typing more after a miss does not search again")
    }
}

struct FilterMatchingTests {
    @Test("peer and service filters ignore case and match anywhere in name or address")
    func filterCaseAndPosition() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("4"), .character("p"))
        d.type("SCHOOL.Example[192")
        d.press(.enter)
        #expect(d.state.logs.shownEvents == 4, "4 of the 18 protocol_mismatch events come from the school")
        d.press(.character("p"))
        for _ in 0..<30 { d.press(.backspace) }
        d.type("203.0.113.14")
        d.press(.enter)
        #expect(d.state.logs.shownEvents == 9, "addresses match too")
    }
}

struct LongFilterTests {
    @Test("a text filter over many events goes in steps, keeps the old list meanwhile, then shows the result")
    func filterInSteps() {
        var s = DemoStates.loaded()
        s = reduce(s, .logsLoaded(SyntheticLogEvents(count: 300_000), LogTotals())).0
        s.step = .logs
        var d = Driver(s)
        d.press(.character("s"))
        d.type("SUBMISSION")
        d.press(.enter)
        guard case .continueFilter(let g)? = d.effects.last else { Issue.record("the filter did not go in steps"); return }
        #expect(d.state.logs.filterInProgress != nil)
        #expect(d.state.logs.shownEvents == 300_000, "the old result stays until the filter ends")
        d.press(.down)
        #expect(d.state.logs.list.selection == 1, "keys still work while filtering")
        var steps = 0
        var generation = g
        while true {
            d.send(.filterContinue(generation: generation))
            steps += 1
            guard case .continueFilter(let next)? = d.effects.last, steps < 100 else { break }
            d.effects.removeLast()
            generation = next
        }
        #expect(steps >= 3)
        #expect(d.state.logs.filterInProgress == nil)
        #expect(d.state.logs.filter.service == "SUBMISSION")
        #expect(d.state.logs.shownEvents == 60_000, "every fifth synthetic event is on submission")
        #expect(d.state.logs.list.selection == 0)
    }

    @Test("a newer filter makes the older one's continuation do nothing")
    func staleFilterContinuation() {
        var s = DemoStates.loaded()
        s = reduce(s, .logsLoaded(SyntheticLogEvents(count: 300_000), LogTotals())).0
        s.step = .logs
        var d = Driver(s)
        d.press(.character("p"))
        d.type("school")
        d.press(.enter)
        guard case .continueFilter(let old)? = d.effects.last else { Issue.record("no continuation"); return }
        d.press(.character("x"))
        #expect(d.state.logs.filterInProgress == nil && d.state.logs.filter.isEmpty)
        d.send(.filterContinue(generation: old))
        #expect(d.state.logs.filter.isEmpty && d.state.logs.shownEvents == 300_000)
    }
}

struct ConfigSettingsTests {
    @Test("Enter on a setting opens its source line; a default has no line to open")
    func settingOpensSource() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("2"), .tab, .down)
        d.press(.enter)
        #expect(d.effects == [.openFile(path: "/etc/postfix/main.cf", line: 34)])
        d.press(.escape)
        d.press(.down, .down, .down, .enter)
        #expect(d.state.config.settings[d.state.config.settingsList.selection].source == "default")
        #expect(d.effects.count == 1 && d.state.message?.contains("default") == true)
        d.press(.down, .down, .enter)
        #expect(d.effects.last == .openFile(path: "/etc/postfix/master.cf", line: 18))
    }
}

struct EvidenceJumpTests {
    @Test("e on a problem opens the Logs step filtered to its cause; a cause without events says so")
    func jumpToLogEvents() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("e"))
        #expect(d.state.step == .logs && d.state.logs.filter.cause == .keyMismatch && d.state.logs.shownEvents == 9)
        d.press(.character("5"), .down, .character("e"))
        #expect(d.state.step == .fixes, "incomplete_chain shows in the probe, not in the log")
        #expect(d.state.message == "The log has no events of incomplete_chain.")
    }
}

struct FixesDetailScrollTests {
    @Test("the Fixes detail scrolls far enough to show its last line at 80x24")
    func detailScrollsToTheEnd() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("5"), .down, .down, .tab)
        for _ in 0..<60 { d.press(.down) }
        let last = WizardScreen.render(d.state).dump()[21]
        #expect(last.contains("Then runs: postfix reload"), "last detail row: \(last)")
    }
}

struct DNSStepTests {
    @Test("the DNS step offers main.cf's domains, checks the chosen one with Enter, and shows the result")
    func chooseAndCheck() {
        var d = Driver(DemoStates.loaded())
        d.send(.dnsCandidates(["example.org", "example.net"]))
        d.press(.character("8"))
        #expect(d.state.step == .dns)
        #expect(d.state.dns.status == .idle && d.effects.isEmpty, "nothing is looked up before the admin asks")
        d.press(.down, .enter)
        #expect(d.effects == [.checkDNS(domain: "example.net")])
        #expect(d.state.dns.status == .checking)
        d.press(.enter)
        #expect(d.effects.count == 1, "a second Enter while checking starts nothing")
        d.send(.dnsLoaded(DemoStates.dnsView))
        #expect(d.state.dns.status == .checked && d.state.dns.domain == "example.org")
        let screen = WizardScreen.render(d.state).dump().joined(separator: "\n")
        #expect(screen.contains("STALE") && screen.contains("this server"), "\(screen)")
    }

    @Test("--domain checks DNS from the start; without a domain Enter says how to give one")
    func startupAndNoDomain() {
        var s = WizardState(hostName: "mail.example.org", size: TerminalSize(width: 80, height: 24))
        s.dns.domain = "example.org"
        #expect(s.beginStartup().contains(.checkDNS(domain: "example.org")))
        var d = Driver(DemoStates.loaded())
        d.send(.dnsCandidates([]))
        d.press(.character("8"), .enter)
        #expect(d.effects.isEmpty)
        #expect(d.state.message?.contains("--domain") == true)
    }
}

struct SetupStepTests {
    @Test("s on the Overview opens Setup: discover, plan with the chosen source, confirm, apply on the Apply step")
    func setupFlow() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("s"))
        #expect(d.state.step == .setup && d.effects == [.discoverSetup])
        d.send(.setupSources(DemoStates.setupSources))
        #expect(d.state.setup.selectedSource == DemoStates.setupSources[0])
        d.press(.down, .enter)
        #expect(d.state.message?.contains("cannot be used") == true, "an unusable certificate is not planned")
        #expect(d.effects == [.discoverSetup])
        d.press(.up, .enter)
        #expect(d.effects.last == .planSetup(DemoStates.setupSources[0].kind))
        d.send(.setupPlanned(DemoStates.setupPlan))
        d.press(.enter)
        #expect(d.state.dialog == .confirmSetup)
        d.press(.character("y"))
        #expect(d.effects.last == .applySetup)
        #expect(d.state.step == .apply && d.state.apply.phase == .running && d.state.apply.steps == ApplyStepRow.setupSteps)
        #expect(d.state.isHalfApplied, "quitting mid-setup asks first, as mid-fix")
    }

    @Test("Setup is not a tab: Esc and arrows lead back to the Overview; the number keys stay 1-8")
    func setupIsNotATab() {
        var d = Driver(DemoStates.loaded())
        d.press(.character("s"), .escape)
        #expect(d.state.step == .overview)
        d.press(.character("s"), .right)
        #expect(d.state.step == .overview)
        d.press(.character("9"))
        #expect(d.state.step == .overview)
        #expect(WizardStep.tabs.count == 8 && !WizardStep.tabs.contains(.setup))
    }

    @Test("the diagnosis's `postls setup` fix opens the Setup step instead of listing commands, and the Overview offers s")
    func setupFixOpensSetup() {
        var fix = FixRow(id: "starttls_unavailable-1", title: "Set up TLS with postls setup", kind: .command, diff: nil,
                         commands: ["postls setup --config-dir /etc/postfix --dry-run"], impact: "", runsItself: false)
        fix.opensSetup = true
        var d = Driver(DemoStates.loaded())
        d.send(.diagnosesLoaded(diagnoses: [DiagnosisRow(cause: .starttlsUnavailable, severity: .critical, confidence: .high, summary: "no STARTTLS",
                                                         evidence: [], fixIDs: [fix.id])], fixes: [fix]))
        #expect(d.state.needsSetup)
        d.press(.enter, .enter)
        #expect(d.state.step == .setup && d.effects == [.discoverSetup])
    }
}
