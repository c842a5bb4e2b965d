import PostlsCore
import WizardCore

/// What is wrong at a glance: listeners, top problems, log counts, and where to go next.
enum OverviewScreen {
    static func render(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, glyphs: Glyphs) {
        var y = body.y
        renderListeners(s, into: &buffer, body: body, y: &y, glyphs: glyphs)
        // The problems end at the same row whatever is selected (the evidence has rows of its own): the sections
        // below stay put, and a move in the list rewrites only the list and the evidence (bytes over a slow SSH link).
        renderProblems(s, into: &buffer, body: body, y: &y, glyphs: glyphs)
        renderSenders(s, into: &buffer, body: body, y: &y, glyphs: glyphs)
        renderLog(s, into: &buffer, body: body, y: &y, glyphs: glyphs)
        renderDNS(s, into: &buffer, body: body, y: &y, glyphs: glyphs)
        renderHint(s, into: &buffer, body: body, y: y, glyphs: glyphs)
    }

    /// Listeners, worst first.
    private static func renderListeners(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, y: inout Int, glyphs: Glyphs) {
        let w = body.width
        let order: [ListenerStatus.Health: Int] = [.failed: 0, .warning: 1, .notProbed: 2, .ok: 3]
        let listeners = s.probe.listeners.enumerated()
            .sorted { (order[$0.element.health] ?? 9, $0.offset) < (order[$1.element.health] ?? 9, $1.offset) }
            .map(\.element)
        let maxListeners = max(2, (body.height - 8) / 2)
        var heading = "Listeners"
        if s.probe.running { heading += "  (probing \(s.probe.done)/\(s.probe.total)\(glyphs.ellipsis))" }
        buffer.write(heading, x: 1, y: y, style: Style(.heading, [.bold]))
        y += 1
        if listeners.isEmpty {
            buffer.write(s.probe.running ? "Probing the listeners\(glyphs.ellipsis)" : (s.probe.error ?? "No listeners probed yet; press r to probe."),
                         x: 3, y: y, width: w - 4, style: Style(.muted), ellipsis: glyphs.ellipsis)
            y += 1
        }
        for l in listeners.prefix(listeners.count > maxListeners ? maxListeners - 1 : maxListeners) {
            buffer.write([Label.health(l.health, glyphs), Span("  " + Label.fit(l.service, 12, glyphs) + Label.leftPadded(String(l.port), 5) + "  "),
                          Span(Label.fit(Label.address(l), 17, glyphs)),
                          Span(Label.listenerResult(l), l.health == .failed ? Style(.critical) : (l.health == .warning ? Style(.warning) : .normal))],
                         x: 3, y: y, width: w - 4, ellipsis: glyphs.ellipsis)
            y += 1
        }
        if listeners.count > maxListeners {
            buffer.write("\(listeners.count - maxListeners + 1) more on the Probe step (3)", x: 3, y: y, style: Style(.muted))
            y += 1
        }
        renderMXSenders(s, into: &buffer, body: body, y: &y, glyphs: glyphs)
        y += 1
    }

    /// One line when a named sender would defer or fall back to plaintext on an MX listener (port 25).
    private static func renderMXSenders(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, y: inout Int, glyphs: Glyphs) {
        let affected = s.probe.listeners.mxSendersWithoutTLS
        guard !affected.isEmpty else { return }
        let arrow = glyphs.isUnicode ? "→" : "->"
        var spans = [Span("Senders: ", Style(.muted, [.bold]))]
        for (i, a) in affected.enumerated() {
            spans.append(Span((i > 0 ? "; " : "") + "\(a.sender) \(arrow) "))
            spans.append(Span(a.outcome.rawValue, Style(a.outcome == .defer ? .critical : .warning, [.bold])))
            spans.append(Span(" on " + a.listeners.joined(separator: ", ")))
        }
        spans.append(Span("  (approximations; 3 shows them)", Style(.muted)))
        buffer.write(spans, x: 3, y: y, width: body.width - 4, ellipsis: glyphs.ellipsis)
        y += 1
    }

    /// Problems: the diagnoses, most important first; the selection leads to Fixes.
    private static func renderProblems(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, y: inout Int, glyphs: Glyphs) {
        let w = body.width
        let bottom = body.maxY
        let diagnoses = s.fixes.diagnoses
        var counts: [String] = []
        for sev in [Severity.critical, .warning, .info] {
            let n = diagnoses.filter { $0.severity == sev }.count
            if n > 0 { counts.append("\(n) \(sev.rawValue)") }
        }
        buffer.write("Problems" + (counts.isEmpty ? "" : " (" + counts.joined(separator: ", ") + ")"), x: 1, y: y, style: Style(.heading, [.bold]))
        y += 1
        let logsRows = 4 + sendersRows(s), hintRows = 2
        let problemRows = max(1, bottom - y - logsRows - hintRows)
        if diagnoses.isEmpty {
            buffer.write("No problems diagnosed yet.", x: 3, y: y, style: Style(.muted))
            y += 1
        } else {
            let causeWidth = min(24, (diagnoses.map { $0.cause.rawValue.count }.max() ?? 10) + 2)
            let shown = min(problemRows, diagnoses.count)
            // The bar covers severity and cause: the row's summary stays as it is when the selection moves.
            let list = VirtualList(count: diagnoses.count, selection: s.fixes.list.selection, top: s.fixes.list.top, focused: true,
                                   barWidth: 4 + 2 + causeWidth) { i in
                let d = diagnoses[i]
                return [Label.severity(d.severity), Span("  " + Label.fit(d.cause.rawValue, causeWidth, glyphs)), Span(d.summary)]
            }
            list.render(into: &buffer, rect: Rect(x: 1, y: y, width: w - 2, height: shown), glyphs: glyphs)
            y += shown
            // Why the selected problem is believed: a line of each kind of evidence, while there is room. Its rows
            // (a heading and two lines) are kept whether the selected problem has evidence or not.
            let room = bottom - y - logsRows - hintRows
            let evidenceRows = room >= 2 ? min(3, room) : 0
            let evidenceEnd = y + evidenceRows
            if let d = s.fixes.selectedDiagnosis, evidenceRows >= 2, !d.evidence.isEmpty {
                // Two lines and a heading that names no cause: a move rewrites little (≤ 600 bytes over SSH at 132x43).
                let preview = d.evidencePreview(limit: evidenceRows - 1)
                let more = d.evidence.count > preview.count ? "; \(preview.count) of \(d.evidence.count) lines, Enter shows all" : ""
                buffer.write("Evidence (\(d.confidence.rawValue) confidence\(more))", x: 3, y: y, width: w - 4,
                             style: Style(.muted, [.bold]), ellipsis: glyphs.ellipsis)
                y += 1
                for e in preview {
                    buffer.write("  " + e, x: 3, y: y, width: w - 4, ellipsis: glyphs.ellipsis)
                    y += 1
                }
            }
            y = evidenceEnd
        }
        y += 1
    }

    /// Rows the "Reported by senders" section takes: heading and headline, up to three failure lines, a gap.
    static func sendersRows(_ s: WizardState) -> Int {
        guard let r = s.senderReports else { return 0 }
        return 2 + min(3, r.lines.count)
    }

    /// Senders' TLS reports (`--tlsrpt`): what they reported, joined to the logs; the unseen failures said plainly.
    private static func renderSenders(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, y: inout Int, glyphs: Glyphs) {
        guard let r = s.senderReports else { return }
        let w = body.width
        buffer.write([Span("Reported by senders", Style(.heading, [.bold])), Span("  " + r.headline, Style(.muted))],
                     x: 1, y: y, width: w - 2, ellipsis: glyphs.ellipsis)
        y += 1
        let shown = min(3, r.lines.count)
        for (i, line) in r.lines.prefix(shown).enumerated() {
            let text = i == shown - 1 && r.lines.count > shown ? line + "  (+\(r.lines.count - shown) more)" : line
            let unseen = line.hasPrefix("not seen locally")
            buffer.write(text, x: 3, y: y, width: w - 4, style: unseen ? Style(.warning) : .normal, ellipsis: glyphs.ellipsis)
            y += 1
        }
        y += 1
    }

    /// The log in one or two lines.
    private static func renderLog(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, y: inout Int, glyphs: Glyphs) {
        let w = body.width
        buffer.write("Mail log", x: 1, y: y, style: Style(.heading, [.bold]))
        if s.logs.loading {
            buffer.write("reading\(glyphs.ellipsis)" + (s.logs.progressLines > 0 ? " \(Label.number(s.logs.progressLines)) lines" : ""),
                         x: 11, y: y, style: Style(.muted))
        } else if let error = s.logs.loadError {
            buffer.write(error, x: 11, y: y, width: w - 12, style: Style(.warning), ellipsis: glyphs.ellipsis)
        } else if let summary = s.logs.summary {
            let ok = summary.tlsEstablished.values.reduce(0, +)
            buffer.write([Span("\(Label.number(summary.failures)) failed TLS sessions", Style(summary.failures > 0 ? .warning : .ok, [.bold])),
                          Span(", \(Label.number(ok)) succeeded, \(Label.number(summary.linesRead)) lines read")],
                         x: 11, y: y, width: w - 12, ellipsis: glyphs.ellipsis)
            let byCause = summary.byCause.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            let text = byCause.map { "\(Label.number($0.value)) \($0.key.rawValue)" }.joined(separator: "  ")
            buffer.write(text, x: 11, y: y + 1, width: w - 12, style: Style(.muted), ellipsis: glyphs.ellipsis)
        } else {
            buffer.write("not read yet", x: 11, y: y, style: Style(.muted))
        }
        y += 2
    }

    /// The mail domain's DNS in one line; the DNS step (8) has the detail.
    private static func renderDNS(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, y: inout Int, glyphs: Glyphs) {
        let d = s.dns
        buffer.write("DNS", x: 1, y: y, style: Style(.heading, [.bold]))
        let spans: [Span]
        switch d.status {
        case .checking: spans = [Span("checking \(d.domain ?? "")\(glyphs.ellipsis)", Style(.muted))]
        case .failed(let why): spans = [Span("\(d.domain ?? ""): \(why)", Style(.warning))]
        case .checked:
            let findings = d.view?.findings ?? []
            let causes = Set(findings.map(\.cause.rawValue)).sorted().joined(separator: ", ")
            let mine = d.view?.mx.first { $0.isThisServer }.map { "MX \($0.host) is this server" } ?? "no MX is this server"
            spans = [Span("\(d.domain ?? ""): ", Style(.normal, [.bold])),
                     findings.isEmpty ? Span("no problems", Style(.ok, [.bold])) : Span("\(findings.count) problem\(findings.count == 1 ? "" : "s") (\(causes))", Style(.warning, [.bold])),
                     Span(", \(mine); 8 shows it", Style(.muted))]
        case .idle:
            if let domain = d.selectedDomain {
                spans = [Span("not checked: 8, then Enter checks \(domain)" + (d.candidates.count > 1 ? " (or another of \(d.candidates.count))" : ""), Style(.muted))]
            } else {
                spans = [Span(d.candidatesKnown ? "no mail domain in main.cf; --domain DOMAIN checks one" : "not checked", Style(.muted))]
            }
        }
        buffer.write(spans, x: 11, y: y, width: body.width - 12, ellipsis: glyphs.ellipsis)
        y += 1
    }

    /// Where to go next, in words.
    private static func renderHint(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, y: Int, glyphs: Glyphs) {
        let w = body.width
        let bottom = body.maxY
        let hint: String
        if s.needsSetup {
            hint = "Next: no listener offers TLS. s sets it up (certificate, STARTTLS, ports 587 and 465)."
        } else if let d = s.fixes.selectedDiagnosis {
            hint = "Next: Enter shows the evidence and the fix for \(d.cause.rawValue)."
        } else if s.probe.running || s.logs.loading || !s.config.loaded {
            hint = "Working: reading main.cf, master.cf and the mail log, probing the listeners."
        } else {
            hint = "Nothing to fix was found. 7 writes a report for your records."
        }
        buffer.write(hint, x: 1, y: min(y + 1, bottom - 1), width: w - 2, style: Style(.message), ellipsis: glyphs.ellipsis)
    }
}
