import PostlsCore

/// The wizard's only way to change: a pure function of the state and one event.
public func reduce(_ state: WizardState, _ event: WizardEvent) -> (WizardState, [WizardEffect]) {
    var s = state
    let effects = s.handle(event)
    return (s, effects)
}

extension WizardState {
    mutating func handle(_ event: WizardEvent) -> [WizardEffect] {
        switch event {
        case .key(let key):
            return handleKey(key)
        case .resize(let width, let height):
            size = TerminalSize(width: max(0, width), height: max(0, height))
            keepSelectionsVisible()
        case .configLoaded(let settings, let findings):
            config.receive(settings: settings, findings: findings)
        case .fileLoaded(let path, let lines):
            guard var file = config.file, file.path == path else { return [] }
            file.lines = lines
            file.loading = false
            file.top = max(0, file.focusLine - 1 - WizardLayout.overlayTextHeight(size) / 2)
            config.file = file
        case .fileFailed(let path, let why):
            if config.file?.path == path { config.file = nil }
            message = "Cannot open \(path): \(why)"
        case .probeStarted(let total):
            probe.started(total: total)
        case .probeProgress(let done, let total, let current):
            probe.running = true
            (probe.done, probe.total, probe.current) = (done, total, current)
        case .probeResult(let result):
            probe.update(result)
        case .probeFinished(let listeners):
            probe.finished(listeners)
        case .probeVerdictsJudged(let listeners):
            if !probe.running {
                probe.listeners = listeners
                probe.list.clamp(count: listeners.count)
            }
        case .probeFailed(let why):
            probe.running = false
            probe.error = why
        case .logsProgress(let lines, let file):
            logs.loading = true
            (logs.progressLines, logs.progressFile) = (lines, file)
        case .logsLoaded(let source, let summary):
            logs.load(source, summary: summary)
        case .logsFailed(let why):
            logs.loading = false
            logs.loadError = why
        case .diagnosesLoaded(let diagnoses, let fixRows):
            fixes.receive(diagnoses: diagnoses, fixes: fixRows)
        case .senderReportsLoaded(let row):
            senderReports = row
        case .dnsCandidates(let names):
            (dns.candidates, dns.candidatesKnown) = (names, true)
            if let domain = dns.domain, let i = names.firstIndex(of: domain) { dns.list.selection = i }
        case .dnsLoaded(let view):
            (dns.view, dns.status, dns.domain, dns.top) = (view, .checked, view.domain, 0)
        case .dnsFailed(let why):
            dns.status = .failed(why)
        case .setupSources, .setupPlanned, .setupFailed:
            receiveSetup(event)
        case .applyProgress(let row):
            if let i = apply.steps.firstIndex(where: { $0.id == row.id }) { apply.steps[i] = row } else { apply.steps.append(row) }
        case .applyFinished(let succeeded, let before, let after, let text):
            apply.phase = succeeded ? .succeeded : .failed
            (apply.before, apply.after, apply.message) = (before, after, text)
        case .rollbackFinished(let succeeded, let after, let text):
            apply.phase = succeeded ? .rolledBack : .rollbackFailed
            apply.afterRollback = after
            apply.message = text
        case .reportWritten(let path):
            report.status = .written(path: path)
        case .reportFailed(let why):
            report.status = .failed(message: why)
        case .filterContinue(let generation):
            return logs.filterStep(generation: generation) ? [] : [.continueFilter(generation: generation)]
        case .searchContinue(let generation):
            guard let p = logs.searchInProgress, p.generation == generation else { return [] }
            return searchStep(p)
        }
        return []
    }

    // MARK: Keys

    mutating func handleKey(_ key: WizardKey) -> [WizardEffect] {
        if size.isTooSmall {
            // Nothing fits; only leaving works (and asks first only when it is safe to show nothing else).
            if key == .character("q") && !isHalfApplied { quitting = true; return [.quit] }
            return []
        }
        if let dialog { return handleDialog(dialog, key) }
        if input != nil { return handleInput(key) }
        if helpVisible {
            if key == .character("?") || key == .escape || key == .character("q") || key == .enter { helpVisible = false }
            return []
        }
        message = nil
        if key == .character("?") { helpVisible = true; return [] }
        if key == .character("q") {
            if isHalfApplied { dialog = .confirmQuit; return [] }
            quitting = true
            return [.quit]
        }
        // Overlays inside a step take keys first.
        if step == .config, config.file != nil { handleFileView(key); return [] }
        if step == .logs, logs.detail != nil { handleLogDetail(key); return [] }

        if let effects = handleStepKey(key) { return effects }

        switch key {
        case .character(let c) where ("1"..."8").contains(c):
            if let n = c.wholeNumberValue, let target = WizardStep(rawValue: n - 1) { step = target }
        case .left, .character("h"):
            goToStep(offset: -1)
        case .right, .character("l"):
            goToStep(offset: 1)
        case .tab:
            if !switchPane() { goToStep(offset: 1) }
        case .backTab:
            if !switchPane() { goToStep(offset: -1) }
        case .escape:
            goToStep(offset: -1)
        case .character("r") where step == .probe || step == .overview:
            return startProbe()
        default:
            break
        }
        return []
    }

    private mutating func goToStep(offset: Int) {
        // Setup is entered from the Overview and left back to it.
        if step == .setup { step = .overview; return }
        let n = WizardStep.tabs.count
        step = WizardStep(rawValue: max(0, min(n - 1, step.rawValue + offset))) ?? step
    }

    /// Tab inside a step with two panes; false when the step has one.
    private mutating func switchPane() -> Bool {
        switch step {
        case .config:
            config.pane = config.pane == .findings ? .settings : .findings
            return true
        case .fixes:
            fixes.pane = fixes.pane == .diagnoses ? .detail : .diagnoses
            return true
        default:
            return false
        }
    }

    private mutating func startProbe() -> [WizardEffect] {
        if let readOnly { message = readOnly.note + " The probe results are the customer's."; return [] }
        if probe.running { message = "A probe is already running."; return [] }
        probe.running = true
        probe.done = 0
        probe.current = nil
        probe.error = nil
        return [.runProbe]
    }

    /// Vertical movement common to lists: arrows, vi keys, pages, ends. nil when the key is not one.
    func movement(_ key: WizardKey, page: Int) -> Int? {
        switch key {
        case .up, .character("k"): -1
        case .down, .character("j"): 1
        case .pageUp: -max(1, page - 1)
        case .pageDown: max(1, page - 1)
        case .home, .character("g"): Int.min / 2
        case .end, .character("G"): Int.max / 2
        default: nil
        }
    }

    /// Step-specific keys; nil when the key is not the step's, so global keys apply.
    private mutating func handleStepKey(_ key: WizardKey) -> [WizardEffect]? {
        switch step {
        case .overview: handleOverviewKey(key)
        case .config: handleConfigKey(key)
        case .probe: handleProbeKey(key)
        case .logs: handleLogsKey(key)
        case .fixes: handleFixesKey(key)
        case .apply: handleApplyKey(key)
        case .report: handleReportKey(key)
        case .dns: handleDNSKey(key)
        case .setup: handleSetupKey(key)
        }
    }

    /// The Overview: move among the problems, open one in Fixes (Enter), its log events (e), first-time setup (s).
    private mutating func handleOverviewKey(_ key: WizardKey) -> [WizardEffect]? {
        let n = fixes.diagnoses.count
        if let d = movement(key, page: 5) { fixes.list.move(by: d, count: n, height: WizardLayout.fixesListHeight(size, count: fixes.diagnoses.count)); return [] }
        if key == .enter, n > 0 { step = .fixes; fixes.pane = .diagnoses; fixes.fixIndex = 0; fixes.detailTop = 0; return [] }
        if key == .character("e") { return showLogEvents(of: fixes.selectedDiagnosis?.cause) }
        if key == .character("s") { return openSetup() }
        return nil
    }

    /// The Probe step: move among the listeners, probe again (Enter).
    private mutating func handleProbeKey(_ key: WizardKey) -> [WizardEffect]? {
        let h = WizardLayout.probeListHeight(size)
        if let d = movement(key, page: h) { probe.list.move(by: d, count: probe.listeners.count, height: h); return [] }
        if key == .enter { return startProbe() }
        return nil
    }

    /// The DNS step: choose among the configuration's mail domains, check one (Enter), scroll the result.
    private mutating func handleDNSKey(_ key: WizardKey) -> [WizardEffect]? {
        switch key {
        case .up, .down, .character("j"), .character("k"), .home, .end:
            let d = movement(key, page: 1) ?? 0
            dns.list.move(by: d, count: dns.candidates.count, height: max(1, min(dns.candidates.count, WizardLayout.dnsCandidateRows)))
            return []
        case .pageUp, .pageDown:
            let page = WizardLayout.dnsReportHeight(size, candidates: dns.candidates.count)
            dns.top = max(0, min(1_000, dns.top + (key == .pageUp ? -page : page)))
            return []
        case .enter, .character("c"):
            guard let domain = dns.selectedDomain else {
                message = dns.candidatesKnown ? "No mail domain in main.cf: start postls with --domain DOMAIN." : "Reading main.cf first; try again in a moment."
                return []
            }
            if dns.status == .checking { message = "A DNS check is already running."; return [] }
            (dns.domain, dns.status) = (domain, .checking)
            return [.checkDNS(domain: domain)]
        default:
            return nil
        }
    }

    /// The Config step: move in either pane; Enter opens a finding's or a setting's file line.
    private mutating func handleConfigKey(_ key: WizardKey) -> [WizardEffect]? {
        let findingsHeight = WizardLayout.configFindingsHeight(size), settingsHeight = WizardLayout.configSettingsHeight(size)
        if config.pane == .findings, let d = movement(key, page: findingsHeight) {
            config.findingsList.move(by: d, count: config.findings.count, height: findingsHeight); return []
        }
        if config.pane == .settings, let d = movement(key, page: settingsHeight) {
            config.settingsList.move(by: d, count: config.settings.count, height: settingsHeight); return []
        }
        if key == .enter, config.pane == .findings, config.findings.indices.contains(config.findingsList.selection) {
            let f = config.findings[config.findingsList.selection]
            return openConfigFile(f.file, line: f.line ?? 1)
        }
        // A setting's source "main.cf:31" or "master.cf:18 (-o)" opens there too.
        if key == .enter, config.pane == .settings, config.settings.indices.contains(config.settingsList.selection) {
            let source = config.settings[config.settingsList.selection].source
            let location = source.split(separator: " ").first.map(String.init) ?? ""
            let parts = location.split(separator: ":")
            guard parts.count == 2, let line = Int(parts[1]) else {
                message = "\(source == "default" ? "Postfix's built-in default" : source): no file line to open."
                return []
            }
            return openConfigFile(String(parts[0]), line: line)
        }
        return nil
    }

    /// Opens the file overlay at `line`; a relative name is in the configuration directory.
    private mutating func openConfigFile(_ file: String, line: Int) -> [WizardEffect] {
        let path = file.hasPrefix("/") ? file : config.configDirectory + "/" + file
        config.file = FileView(path: path, focusLine: line)
        return [.openFile(path: path, line: line)]
    }

    /// The Apply step: roll back, or go on once applying is over.
    private mutating func handleApplyKey(_ key: WizardKey) -> [WizardEffect]? {
        switch key {
        case .character("r"), .character("u"):
            if let readOnly { message = readOnly.note + " Rollback is disabled."; return [] }
            switch apply.phase {
            case .succeeded, .failed, .rollbackFailed: dialog = .confirmRollback
            case .running, .rollingBack: message = "Wait until the current step finishes."
            default: message = "Nothing has been applied yet, so there is nothing to roll back."
            }
            return []
        case .enter:
            if apply.phase == .idle { step = .fixes } else if apply.phase != .running && apply.phase != .rollingBack { step = .report }
            return []
        default:
            return nil
        }
    }

    /// The Report step: edit the path, toggle redaction, write.
    private mutating func handleReportKey(_ key: WizardKey) -> [WizardEffect]? {
        switch key {
        case .character("e"):
            input = TextInput(purpose: .reportPath, text: report.path)
            return []
        case .character("r"):
            report.redact.toggle()
            return []
        case .character("b"):
            if let readOnly { message = readOnly.note + " Write a bundle on the customer's server."; return [] }
            if report.status == .writing { return [] }
            report.status = .writing
            return [.writeBundle(path: report.bundlePath, redact: report.redact)]
        case .enter, .character("w"):
            if let readOnly { message = readOnly.note + " Write the report on the customer's server."; return [] }
            if report.status == .writing { return [] }
            report.status = .writing
            return [.writeReport(path: report.path, redact: report.redact)]
        default:
            return nil
        }
    }

    private mutating func handleFixesKey(_ key: WizardKey) -> [WizardEffect]? {
        let listHeight = WizardLayout.fixesListHeight(size, count: fixes.diagnoses.count), detailHeight = WizardLayout.fixesDetailHeight(size, count: fixes.diagnoses.count)
        if let d = movement(key, page: fixes.pane == .diagnoses ? listHeight : detailHeight) {
            if fixes.pane == .diagnoses {
                let before = fixes.list.selection
                fixes.list.move(by: d, count: fixes.diagnoses.count, height: listHeight)
                if fixes.list.selection != before { fixes.fixIndex = 0; fixes.detailTop = 0 }
            } else {
                let limit = max(0, fixesDetailLineEstimate() - detailHeight)
                fixes.detailTop = max(0, min(limit, fixes.detailTop + d))
            }
            return []
        }
        switch key {
        case .character("e"):
            return showLogEvents(of: fixes.selectedDiagnosis?.cause)
        case .character("f"):
            if let d = fixes.selectedDiagnosis {
                let count = fixes.fixesOf(d).count
                if count > 1 { fixes.fixIndex = (fixes.fixIndex + 1) % count; fixes.detailTop = 0 }
            }
            return []
        case .enter, .character("a"):
            if let readOnly { message = readOnly.note + " Apply is disabled."; return [] }
            guard let fix = fixes.selectedFix else {
                message = "This diagnosis has no automatic fix; the evidence above says what to change."
                return []
            }
            if fix.opensSetup { return openSetup() }
            if !fix.isApplicable {
                message = fix.kind == .dnsRecord
                    ? "This fix is a DNS change: publish the record at your DNS provider; postls cannot apply it."
                    : "postls does not run this fix: run the commands shown yourself, then press r on Probe to check."
                return []
            }
            if apply.phase == .running || apply.phase == .rollingBack {
                message = "Another fix is being applied; wait until it finishes."
                return []
            }
            dialog = .confirmApply(fixID: fix.id)
            return []
        default:
            return nil
        }
    }

    /// Opens the Logs step filtered to one cause: the log evidence behind a diagnosis.
    private mutating func showLogEvents(of cause: Cause?) -> [WizardEffect] {
        guard let cause else { return [] }
        guard logs.causesPresent.contains(cause) else {
            message = "The log has no events of \(cause.rawValue)."
            return []
        }
        step = .logs
        logs.detail = nil
        logs.list = ListPosition()
        return filterEffects(LogFilter(cause: cause))
    }

    /// Lines of the Fixes detail (summary, evidence, fix, commands, diff), to bound its scrolling.
    func fixesDetailLineEstimate() -> Int {
        guard let d = fixes.selectedDiagnosis else { return 0 }
        let fix = fixes.selectedFix
        let diffLines = fix?.diff.map { $0.split(separator: "\n", omittingEmptySubsequences: false).count } ?? 0
        // Long lines wrap on screen; count them generously (the renderer clamps the scroll anyway).
        func wrapped(_ text: String) -> Int { text.count / 40 + 1 }
        let evidence = d.evidence.reduce(0) { $0 + wrapped($1) }
        let fixText = wrapped(fix?.title ?? "") + wrapped(fix?.impact ?? "") + (fix?.records.count ?? 0) + 1
        return 4 + wrapped(d.summary) + evidence + fixText + (fix?.commands.count ?? 0) + diffLines
    }

    private mutating func handleLogsKey(_ key: WizardKey) -> [WizardEffect]? {
        let h = WizardLayout.logsListHeight(size)
        let count = logs.rowCount
        if let d = movement(key, page: h) {
            logs.list.move(by: d, count: count, height: h)
            return []
        }
        switch key {
        case .enter:
            switch logs.row(at: logs.list.selection) {
            case .header(let cause, _, let isCollapsed)?:
                if isCollapsed { logs.collapsed.remove(cause) } else { logs.collapsed.insert(cause) }
                if let p = logs.headerPosition(of: cause) { logs.list.moveTo(p, count: logs.rowCount, height: h) }
            case .event(let index)?:
                logs.detail = index
                logs.detailTop = 0
            case nil:
                break
            }
            return []
        case .character("/"):
            logs.searchAnchor = logs.list.selection
            logs.searchFailed = false
            // A new search starts empty, but Esc must bring the previous one back.
            var field = TextInput(purpose: .logSearch, text: "")
            field.original = logs.search
            input = field
            return []
        case .character("n"), .character("N"):
            guard !logs.search.isEmpty else { message = "No search yet: press / and type."; return [] }
            return startSearch(logs.search, from: logs.list.selection, forward: key == .character("n"), includeStart: false)
        case .character("c"):
            let causes = logs.causesPresent
            guard !causes.isEmpty else { return [] }
            var filter = logs.filter
            if let current = filter.cause, let i = causes.firstIndex(of: current) {
                filter.cause = i + 1 < causes.count ? causes[i + 1] : nil
            } else {
                filter.cause = causes[0]
            }
            logs.list = ListPosition()
            return filterEffects(filter)
        case .character("p"):
            input = TextInput(purpose: .logPeerFilter, text: logs.filter.peer)
            return []
        case .character("s"):
            input = TextInput(purpose: .logServiceFilter, text: logs.filter.service)
            return []
        case .character("x"):
            _ = logs.beginFilter(LogFilter())
            logs.search = ""
            logs.list = ListPosition()
            return []
        case .character("r"):
            if let readOnly { message = readOnly.note + " The log is the customer's."; return [] }
            logs.loading = true
            logs.loadError = nil
            return [.loadLogs]
        default:
            return nil
        }
    }

    private mutating func handleLogDetail(_ key: WizardKey) {
        let lines = logs.detail.flatMap { i in logs.source.map { $0.event(at: i).lines.count } } ?? 0
        let h = WizardLayout.overlayTextHeight(size) - 6
        if let d = movement(key, page: h) {
            let limit = max(0, lines - h)
            logs.detailTop = max(0, min(limit, d == Int.max / 2 ? limit : (d == Int.min / 2 ? 0 : logs.detailTop + d)))
            return
        }
        if key == .escape || key == .enter || key == .character("h") || key == .left { logs.detail = nil }
    }

    private mutating func handleFileView(_ key: WizardKey) {
        guard var file = config.file else { return }
        let h = WizardLayout.overlayTextHeight(size)
        if let d = movement(key, page: h) {
            let limit = max(0, file.lines.count - h)
            file.top = max(0, min(limit, d == Int.max / 2 ? limit : (d == Int.min / 2 ? 0 : file.top + d)))
            config.file = file
            return
        }
        if key == .escape || key == .enter || key == .character("h") || key == .left { config.file = nil }
    }

    // MARK: Dialogs and text input

    private mutating func handleDialog(_ dialog: Dialog, _ key: WizardKey) -> [WizardEffect] {
        let yes = key == .character("y") || key == .character("Y")
        let no = key == .character("n") || key == .character("N") || key == .escape
        if no { self.dialog = nil; return [] }
        guard yes || (key == .enter && dialog != .confirmQuit) else { return [] }
        self.dialog = nil
        switch dialog {
        case .confirmQuit:
            quitting = true
            return [.quit]
        case .confirmApply(let fixID):
            apply = ApplyStepState()
            apply.fixID = fixID
            apply.fixTitle = fixes.fixes.first { $0.id == fixID }?.title
            apply.phase = .running
            apply.steps = ApplyStepRow.standardSteps
            step = .apply
            return [.applyFix(id: fixID)]
        case .confirmRollback:
            apply.phase = .rollingBack
            apply.afterRollback = []
            apply.message = nil
            return [.rollback]
        case .confirmSetup:
            return startSetupApply()
        }
    }

    private mutating func handleInput(_ key: WizardKey) -> [WizardEffect] {
        guard var field = input else { return [] }
        switch key {
        case .escape:
            input = nil
            if field.purpose == .logSearch {
                logs.searchInProgress = nil
                logs.searchFailed = false
                logs.search = field.original
                logs.list.moveTo(logs.searchAnchor, count: logs.rowCount, height: WizardLayout.logsListHeight(size))
            }
            return []
        case .enter:
            input = nil
            return commit(field)
        case .backspace:
            if !field.text.isEmpty { field.text.removeLast() }
        case .character(let c):
            field.text.append(c)
        default:
            return []
        }
        input = field
        if field.purpose == .logSearch { return incrementalSearch(field.text) }
        return []
    }

    private mutating func startSearch(_ query: String, from start: Int, forward: Bool, includeStart: Bool) -> [WizardEffect] {
        logs.searchGeneration += 1
        return searchStep(SearchProgress(query: query, start: start, forward: forward, includeStart: includeStart,
                                         generation: logs.searchGeneration))
    }

    /// One step of a search; asks to be continued while rows remain.
    private mutating func searchStep(_ p: SearchProgress) -> [WizardEffect] {
        switch logs.findStep(p, budget: LogsStepState.searchRowsPerStep) {
        case .found(let r):
            logs.searchInProgress = nil
            logs.searchFailed = false
            logs.list.moveTo(r, count: logs.rowCount, height: WizardLayout.logsListHeight(size))
            return []
        case .notFound:
            logs.searchInProgress = nil
            logs.searchFailed = true
            if input == nil { message = "No event contains \"\(p.query)\"." }
            return []
        case .unfinished(let done):
            var next = p
            next.rowsDone = done
            logs.searchInProgress = next
            return [.continueSearch(generation: p.generation)]
        }
    }

    /// Search as the admin types, from where the search began, like less(1).
    private mutating func incrementalSearch(_ text: String) -> [WizardEffect] {
        let previous = logs.search
        logs.search = text
        // Typing more after a miss cannot find anything: skip the pass over every event.
        if logs.searchFailed, logs.searchInProgress == nil, !previous.isEmpty, text.lowercased().hasPrefix(previous.lowercased()) { return [] }
        guard !text.isEmpty else {
            logs.searchInProgress = nil
            logs.searchFailed = false
            logs.list.moveTo(logs.searchAnchor, count: logs.rowCount, height: WizardLayout.logsListHeight(size))
            return []
        }
        return startSearch(text, from: logs.searchAnchor, forward: true, includeStart: true)
    }

    private mutating func filterEffects(_ f: LogFilter) -> [WizardEffect] {
        logs.beginFilter(f).map { [.continueFilter(generation: $0)] } ?? []
    }

    private mutating func commit(_ field: TextInput) -> [WizardEffect] {
        let text = field.text.trimmingCharacters(in: .whitespaces)
        switch field.purpose {
        case .logSearch:
            logs.search = field.text
            if logs.searchFailed && !field.text.isEmpty && logs.searchInProgress == nil { message = "No event contains \"\(field.text)\"." }
            return []
        case .logPeerFilter:
            var f = logs.filter
            f.peer = text
            logs.list = ListPosition()
            return filterEffects(f)
        case .logServiceFilter:
            var f = logs.filter
            f.service = text
            logs.list = ListPosition()
            return filterEffects(f)
        case .reportPath:
            if !text.isEmpty { report.path = text; report.status = .idle }
            return []
        }
    }

    private mutating func keepSelectionsVisible() {
        guard !size.isTooSmall else { return }
        logs.list.scrollToSelection(count: logs.rowCount, height: WizardLayout.logsListHeight(size))
        probe.list.scrollToSelection(count: probe.listeners.count, height: WizardLayout.probeListHeight(size))
        config.findingsList.scrollToSelection(count: config.findings.count, height: WizardLayout.configFindingsHeight(size))
        config.settingsList.scrollToSelection(count: config.settings.count, height: WizardLayout.configSettingsHeight(size))
        fixes.list.scrollToSelection(count: fixes.diagnoses.count, height: WizardLayout.fixesListHeight(size, count: fixes.diagnoses.count))
    }
}

extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

extension Set where Element == Character {
    static let whitespaces: Set<Character> = [" ", "\t"]
}

// What each step's state does with an engine's answer.

extension ConfigStepState {
    mutating func receive(settings: [ConfigSettingRow], findings: [ConfigFindingRow]) {
        self.settings = settings
        self.findings = findings.sorted { $0.severity > $1.severity }
        loaded = true
        findingsList.clamp(count: self.findings.count)
        settingsList.clamp(count: settings.count)
    }
}

extension ProbeStepState {
    mutating func started(total: Int) {
        running = true
        done = 0
        self.total = total
        current = nil
        error = nil
    }

    /// A listener's result replaces the earlier one for the same service, port and address.
    mutating func update(_ result: ListenerStatus) {
        if let i = listeners.firstIndex(where: { $0.service == result.service && $0.port == result.port && $0.address == result.address }) {
            listeners[i] = result
        } else {
            listeners.append(result)
        }
    }

    mutating func finished(_ listeners: [ListenerStatus]) {
        self.listeners = listeners
        running = false
        current = nil
        done = total
        list.clamp(count: listeners.count)
    }
}

extension FixesStepState {
    mutating func receive(diagnoses: [DiagnosisRow], fixes: [FixRow]) {
        self.diagnoses = diagnoses
        self.fixes = fixes
        list.clamp(count: diagnoses.count)
        fixIndex = 0
    }
}
