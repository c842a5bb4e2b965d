import PostlsCore
import WizardCore

/// Renders the wizard: a pure function from state to a buffer. Every screen has the same frame:
/// title and step tabs on top, a message or prompt line and the keys that work at the bottom.
public enum WizardScreen {
    /// A buffer the size of the state's terminal with the screen drawn in it.
    public static func render(_ state: WizardState, glyphs: Glyphs = .unicode) -> ScreenBuffer {
        var buffer = ScreenBuffer(width: state.size.width, height: state.size.height)
        render(state, into: &buffer, glyphs: glyphs)
        return buffer
    }

    public static func render(_ state: WizardState, into buffer: inout ScreenBuffer, glyphs: Glyphs = .unicode) {
        buffer.fill(buffer.bounds)
        if state.size.isTooSmall || buffer.width < TerminalSize.minimum.width || buffer.height < TerminalSize.minimum.height {
            renderTooSmall(state, into: &buffer, glyphs: glyphs)
            if !glyphs.isUnicode { buffer.restrictToASCII() }
            return
        }
        let w = buffer.width, h = buffer.height
        header(state, glyphs: glyphs).render(into: &buffer, width: w, glyphs: glyphs)
        let body = Rect(x: 0, y: WizardLayout.bodyTop(), width: w, height: WizardLayout.bodyHeight(state.size))
        switch state.step {
        case .overview: OverviewScreen.render(state, into: &buffer, body: body, glyphs: glyphs)
        case .config: ConfigScreen.render(state, into: &buffer, body: body, glyphs: glyphs)
        case .probe: ProbeScreen.render(state, into: &buffer, body: body, glyphs: glyphs)
        case .logs: LogsScreen.render(state, into: &buffer, body: body, glyphs: glyphs)
        case .fixes: FixesScreen.render(state, into: &buffer, body: body, glyphs: glyphs)
        case .apply: ApplyScreen.render(state, into: &buffer, body: body, glyphs: glyphs)
        case .report: ReportScreen.render(state, into: &buffer, body: body, glyphs: glyphs)
        case .dns: DNSScreen.render(state, into: &buffer, body: body, glyphs: glyphs)
        case .setup: SetupScreen.render(state, into: &buffer, body: body, glyphs: glyphs)
        }
        messageLine(state, into: &buffer, y: h - 2, glyphs: glyphs)
        StatusLine(hints: WizardHelp.statusKeys(state).map { KeyHint(asciiKeys($0.keys, glyphs), $0.label) })
            .render(into: &buffer, y: h - 1, width: w, glyphs: glyphs)
        if state.helpVisible {
            let help = WizardHelp.help(for: state.step)
            HelpOverlay(title: "Help: \(state.step.title)", intro: help.intro,
                        sections: help.sections.map { ($0.heading, $0.keys.map { KeyHint(asciiKeys($0.keys, glyphs), $0.label) }) })
                .render(into: &buffer, glyphs: glyphs)
        }
        if let dialog = state.dialog { dialogView(dialog, state).render(into: &buffer, glyphs: glyphs) }
        if !glyphs.isUnicode { buffer.restrictToASCII() }
    }

    /// Arrows are not ASCII; name them when the terminal cannot draw them.
    static func asciiKeys(_ keys: String, _ glyphs: Glyphs) -> String {
        guard !glyphs.isUnicode else { return keys }
        return keys.replacingAll("↑↓", with: "Up/Dn").replacingAll("←→", with: "Lt/Rt")
            .replacingAll("↑", with: "Up").replacingAll("↓", with: "Dn").replacingAll("←", with: "Lt").replacingAll("→", with: "Rt")
            .replacingAll("…", with: "...")
    }

    static func header(_ state: WizardState, glyphs: Glyphs) -> HeaderBar {
        var summary: [Span] = []
        let crit = state.criticalCount, warn = state.warningCount
        if crit > 0 { summary.append(Span("\(crit) critical", Style(.title, [.bold]))) }
        if warn > 0 { summary.append(Span((summary.isEmpty ? "" : "  ") + "\(warn) warning" + (warn == 1 ? "" : "s"), Style(.title))) }
        if crit == 0 && warn == 0 && !state.fixes.diagnoses.isEmpty { summary.append(Span("no problems", Style(.title))) }
        if state.readOnly != nil { summary.append(Span((summary.isEmpty ? "" : "  ") + "read-only bundle", Style(.title, [.bold]))) }
        if state.probe.running { summary.append(Span((summary.isEmpty ? "" : "  ") + "probing\(glyphs.ellipsis)", Style(.title))) }
        return HeaderBar(title: "postls \(glyphs.isUnicode ? "·" : "-") \(state.hostName)", summary: summary,
                         tabs: WizardStep.tabs.map(\.title), current: state.step == .setup ? -1 : state.step.rawValue)
    }

    static func messageLine(_ state: WizardState, into buffer: inout ScreenBuffer, y: Int, glyphs: Glyphs) {
        if let input = state.input {
            var spans = [Span(input.prompt, Style(.key, [.bold])), Span(input.text + "_", Style(.input, [.underline]))]
            if input.purpose == .logSearch, let p = state.logs.searchInProgress {
                spans.append(Span("   searching \(percent(p, state))", Style(.info)))
            } else if input.purpose == .logSearch && state.logs.searchFailed && !input.text.isEmpty {
                spans.append(Span("   not found", Style(.warning, [.bold])))
            }
            buffer.write([Span(" ")] + spans, x: 0, y: y, width: buffer.width, ellipsis: glyphs.ellipsis)
        } else if let p = state.logs.filterInProgress, state.step == .logs {
            buffer.write(" Filtering \(p.filter.description)\(glyphs.ellipsis) \(min(99, p.done * 100 / max(1, p.total)))%", x: 0, y: y,
                         width: buffer.width, style: Style(.info), ellipsis: glyphs.ellipsis)
        } else if let p = state.logs.searchInProgress, state.step == .logs {
            buffer.write(" Searching for \"\(p.query)\"\(glyphs.ellipsis) \(percent(p, state))", x: 0, y: y, width: buffer.width,
                         style: Style(.info), ellipsis: glyphs.ellipsis)
        } else if let message = state.message {
            buffer.write(" " + message, x: 0, y: y, width: buffer.width, style: Style(.message, [.bold]), ellipsis: glyphs.ellipsis)
        }
    }

    static func percent(_ p: SearchProgress, _ state: WizardState) -> String {
        "\(min(99, p.rowsDone * 100 / max(1, state.logs.rowCount)))%"
    }

    static func dialogView(_ dialog: Dialog, _ state: WizardState) -> ConfirmDialog {
        switch dialog {
        case .confirmQuit:
            let step = state.apply.steps.first { $0.status == .running || $0.status == .failed }?.label ?? "verification"
            return ConfirmDialog(title: "Quit with a fix half applied?", lines: [
                state.apply.fixTitle ?? "A fix",
                "is written but not yet verified (now at: \(step)).",
                "Quitting leaves the files as they are; `postls fix rollback`",
                "restores the backup later.",
            ], choices: [KeyHint("y", "quit anyway"), KeyHint("n", "stay")])
        case .confirmApply(let fixID):
            let fix = state.fixes.fixes.first { $0.id == fixID }
            var lines = Label.wrap(fix?.title ?? fixID, width: 60)
            if let diff = fix?.diff {
                // "+++ b/master.cf" (git style) or "+++ master.cf": the file name is what matters.
                let files = diff.split(separator: "\n").filter { $0.hasPrefix("+++ ") }.map { line -> String in
                    let name = String(line.dropFirst(4))
                    return name.hasPrefix("b/") ? String(name.dropFirst(2)) : name
                }
                let diffLines = diff.split(separator: "\n")
                let removed = diffLines.filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }.count
                let added = diffLines.filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }.count
                lines.append("Changes \(files.joined(separator: ", ")) (\(removed) line\(removed == 1 ? "" : "s") out, \(added) in); a backup is kept.")
            }
            if let commands = fix?.commands, !commands.isEmpty { lines.append("Then runs: " + commands.joined(separator: ", ") + ", probes again.") }
            if let impact = fix?.impact, !impact.isEmpty { lines += Label.wrap("Impact: " + impact, width: 60) }
            return ConfirmDialog(title: "Apply this fix?", lines: lines, choices: [KeyHint("y", "apply"), KeyHint("n", "cancel")])
        case .confirmSetup:
            let plan = state.setup.plan
            var lines = Label.wrap("Certificate: " + (plan?.certificate ?? "?"), width: 60)
            if let files = plan?.fileActions, !files.isEmpty { lines.append("Creates \(files.count) file\(files.count == 1 ? "" : "s") (a key stays mode 0600).") }
            lines.append("Changes main.cf and master.cf; backups are kept and")
            lines.append("postfix check runs before the reload; r on Apply rolls back.")
            return ConfirmDialog(title: "Apply first-time setup?", lines: lines, choices: [KeyHint("y", "apply"), KeyHint("n", "cancel")])
        case .confirmRollback:
            return ConfirmDialog(title: "Roll back?", lines: [
                "Restores the backup taken before \(state.apply.fixTitle ?? "the fix"),",
                "then runs postfix check and postfix reload and probes again.",
            ], choices: [KeyHint("y", "roll back"), KeyHint("n", "cancel")])
        }
    }

    static func renderTooSmall(_ state: WizardState, into buffer: inout ScreenBuffer, glyphs: Glyphs) {
        let lines = [
            "postls needs a terminal of at least \(TerminalSize.minimum.width)x\(TerminalSize.minimum.height).",
            "This one is \(state.size.width)x\(state.size.height).",
            "Enlarge the window to continue; q quits.",
        ]
        let top = max(0, (buffer.height - lines.count) / 2)
        for (i, line) in lines.enumerated() {
            let x = max(0, (buffer.width - CharacterWidth.of(line)) / 2)
            buffer.write(line, x: x, y: top + i, width: buffer.width - x, style: i == 0 ? Style(.warning, [.bold]) : .normal, ellipsis: glyphs.ellipsis)
        }
    }
}

// MARK: Shared pieces

enum Label {
    static func severity(_ s: Severity) -> Span {
        switch s {
        case .critical: Span("CRIT", Style(.critical, [.bold]))
        case .warning: Span("WARN", Style(.warning, [.bold]))
        case .info: Span("INFO", Style(.info))
        }
    }

    static func health(_ h: ListenerStatus.Health, _ glyphs: Glyphs) -> Span {
        switch h {
        case .ok: Span("\(glyphs.ok) OK  ", Style(.ok, [.bold]))
        case .warning: Span("! WARN", Style(.warning, [.bold]))
        case .failed: Span("\(glyphs.failed) FAIL", Style(.critical, [.bold]))
        case .notProbed: Span("\(glyphs.pending) ----", Style(.muted))
        }
    }

    /// One line on a listener's TLS result, most important first.
    static func listenerResult(_ l: ListenerStatus) -> String {
        guard let ok = l.tlsOK else { return "not probed yet" }
        if !ok { return "\(l.errorPhase ?? "TLS") failed: \(l.errorMessage ?? "no details")" }
        var parts = [l.protocolVersion ?? "TLS"]
        if let code = l.verifyCode { parts.append(code == 0 ? "verify ok" : "verify \(code): \(l.verifyMessage ?? "")") }
        if let days = l.daysToExpiry { parts.append(days < 0 ? "EXPIRED \(-days) days ago" : "expires in \(days) days") }
        return parts.joined(separator: ", ")
    }

    static func address(_ l: ListenerStatus) -> String { l.family == .ipv6 ? "[\(l.address)]" : l.address }

    static func padded(_ s: String, _ width: Int) -> String {
        let w = CharacterWidth.of(s)
        if w >= width { return s }
        return s + String(repeating: " ", count: width - w)
    }

    /// Exactly `width` columns: padded, or cut with an ellipsis and one space to keep columns apart.
    static func fit(_ s: String, _ width: Int, _ glyphs: Glyphs) -> String {
        let w = CharacterWidth.of(s)
        if w < width { return padded(s, width) }
        var out = "", used = 0
        for ch in s {
            let cw = max(1, CharacterWidth.of(ch))
            if used + cw > width - 2 { break }
            out.append(ch); used += cw
        }
        return padded(out + String(glyphs.ellipsis), width)
    }

    /// Keeps the end of a value (the file name of a path), cutting at the front.
    static func fitTail(_ s: String, _ width: Int, _ glyphs: Glyphs) -> String {
        let w = CharacterWidth.of(s)
        if w < width { return padded(s, width) }
        var out = "", used = 0
        for ch in s.reversed() {
            let cw = max(1, CharacterWidth.of(ch))
            if used + cw > width - 2 { break }
            out.insert(ch, at: out.startIndex); used += cw
        }
        return padded(String(glyphs.ellipsis) + out, width)
    }

    static func leftPadded(_ s: String, _ width: Int) -> String {
        let w = CharacterWidth.of(s)
        if w >= width { return s }
        return String(repeating: " ", count: width - w) + s
    }

    static func number(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, ch) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && ch != "-" { out.append(",") }
            out.append(ch)
        }
        return String(out.reversed())
    }

    /// Word-wraps text to a width; words longer than the width are cut.
    static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let candidate = line.isEmpty ? String(word) : line + " " + word
            if CharacterWidth.of(candidate) <= width { line = candidate; continue }
            if !line.isEmpty { lines.append(line) }
            var rest = String(word)
            while CharacterWidth.of(rest) > width {
                var head = "", used = 0
                for ch in rest { let cw = max(1, CharacterWidth.of(ch)); if used + cw > width { break }; head.append(ch); used += cw }
                lines.append(head)
                rest = String(rest.dropFirst(head.count))
            }
            line = rest
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = "", rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[rest.startIndex..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        guard let first = target.first else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i] == first, self[i...].hasPrefix(target) {
                return i..<(index(i, offsetBy: target.count))
            }
            i = index(after: i)
        }
        return nil
    }
}
