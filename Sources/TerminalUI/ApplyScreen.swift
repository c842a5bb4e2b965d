import PostlsCore
import WizardCore

/// Progress of write/check/reload/re-probe, then before and after, and the way back.
enum ApplyScreen {
    static func render(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, glyphs: Glyphs) {
        let a = s.apply
        let w = body.width
        var y = body.y
        if let readOnly = s.readOnly { return renderReadOnly(readOnly, into: &buffer, body: body, glyphs: glyphs) }
        guard a.phase != .idle else {
            buffer.write("No fix applied yet.", x: 1, y: y, style: Style(.heading, [.bold]))
            buffer.write("Pick a diagnosis in step 5 (Fixes), read its diff, and press Enter to apply it.", x: 1, y: y + 2, width: w - 2, ellipsis: glyphs.ellipsis)
            buffer.write("Every change is backed up first and can be rolled back here.", x: 1, y: y + 3, width: w - 2, style: Style(.muted), ellipsis: glyphs.ellipsis)
            return
        }
        buffer.write([Span("Applying: ", Style(.heading, [.bold])), Span(a.fixTitle ?? a.fixID ?? "?", Style(.normal, [.bold])),
                      Span("  [\(a.fixID ?? "")]", Style(.muted))], x: 1, y: y, width: w - 2, ellipsis: glyphs.ellipsis)
        y += 2
        let items = a.steps.map { step -> ProgressList.Item in
            let status: ProgressList.Status = switch step.status {
            case .pending: .pending
            case .running: .running
            case .done: .done
            case .failed: .failed
            case .skipped: .skipped
            }
            return ProgressList.Item(label: step.label, status: status, detail: step.detail)
        }
        ProgressList(items: items).render(into: &buffer, rect: Rect(x: 3, y: y, width: w - 4, height: items.count), glyphs: glyphs)
        y += items.count + 1

        let outcome: [Span]
        switch a.phase {
        case .running: outcome = [Span("Working\(glyphs.ellipsis) ", Style(.info, [.bold])), Span("keys other than ? and q wait until this finishes.", Style(.muted))]
        case .succeeded: outcome = [Span("\(glyphs.ok) Applied and verified. ", Style(.ok, [.bold])), Span(a.message ?? "")]
        case .failed: outcome = [Span("\(glyphs.failed) Not verified. ", Style(.critical, [.bold])), Span(a.message ?? ""), Span(" Press r to roll back.", Style(.key, [.bold]))]
        case .rollingBack: outcome = [Span("Rolling back\(glyphs.ellipsis)", Style(.info, [.bold]))]
        case .rolledBack where !a.rollbackDifferences.isEmpty:
            let listeners = a.rollbackDifferences.map { String(ApplyStepState.listener(of: $0)) }.joined(separator: ", ")
            outcome = [Span("\(glyphs.failed) Rolled back, but TLS is not as before on \(listeners). ", Style(.critical, [.bold])), Span(a.message ?? "")]
        case .rolledBack: outcome = [Span("\(glyphs.ok) Rolled back\(a.afterRollback.isEmpty ? "" : "; TLS is as before"). ", Style(.ok, [.bold])), Span(a.message ?? "")]
        case .rollbackFailed: outcome = [Span("\(glyphs.failed) Rollback failed. ", Style(.critical, [.bold])), Span(a.message ?? "")]
        case .idle: outcome = []
        }
        // After a rollback the three probe states need the rows more than the list of restored files does.
        let outcomeLines = Label.wrap(outcome.map(\.text).joined(), width: w - 2).prefix(a.afterRollback.isEmpty ? 4 : 2)
        for (i, line) in outcomeLines.enumerated() {
            let style = i == 0 ? (outcome.first?.style ?? .normal) : .normal
            buffer.write(line, x: 1, y: y + i, width: w - 2, style: style, ellipsis: glyphs.ellipsis)
        }
        y += max(2, outcomeLines.count)
        // The failing step's own words, in full: the list above cuts them.
        if let failed = a.steps.first(where: { $0.status == .failed && !$0.detail.isEmpty }) {
            for line in Label.wrap("\(failed.label): \(failed.detail)", width: w - 4).prefix(3) {
                buffer.write(line, x: 3, y: y, width: w - 4, style: Style(.critical), ellipsis: glyphs.ellipsis)
                y += 1
            }
        }
        y += 1

        guard !a.before.isEmpty || !a.after.isEmpty || !a.afterRollback.isEmpty else { return }
        // A rollback that left some listener not as before: those listeners only, so they fit at 80x24.
        let differing = Set(a.rollbackDifferences.map(ApplyStepState.listener(of:)))
        func shown(_ lines: [String]) -> [String] { differing.isEmpty ? lines : lines.filter { differing.contains(ApplyStepState.listener(of: $0)) } }
        var sections: [Section] = [Section(title: "Before", lines: shown(a.before).map { ($0, .warning, false) }),
                                   Section(title: a.afterRollback.isEmpty ? "After" : "Applied", lines: shown(a.after).map { ($0, .ok, false) })]
        if !a.afterRollback.isEmpty {
            // Flagged with a mark, not only a colour: NO_COLOR and vt100 must show it too.
            let title = differing.isEmpty ? "After rollback"
                : "After rollback (\(differing.count) of \(a.afterRollback.count) listeners not as before; only they are shown)"
            sections.append(Section(title: title, lines: shown(a.afterRollback).map { ($0, differing.isEmpty ? .normal : .critical, !differing.isEmpty) }))
        }
        renderComparison(sections, into: &buffer, rect: Rect(x: 1, y: y, width: w - 2, height: body.maxY - y), glyphs: glyphs)
    }

    /// An opened bundle: nothing can be applied here; what the customer applied and rolled back, as recorded.
    static func renderReadOnly(_ r: ReadOnlySource, into buffer: inout ScreenBuffer, body: Rect, glyphs: Glyphs) {
        let w = body.width
        var y = body.y
        buffer.write("Read-only: Apply and rollback are disabled.", x: 1, y: y, width: w - 2, style: Style(.heading, [.bold]), ellipsis: glyphs.ellipsis)
        y += 1
        for line in Label.wrap(r.note + (r.redacted ? " Names and addresses are placeholders." : ""), width: w - 2).prefix(3) {
            buffer.write(line, x: 1, y: y, width: w - 2, style: Style(.muted), ellipsis: glyphs.ellipsis)
            y += 1
        }
        y += 1
        buffer.write(r.actions.isEmpty ? "No applies or rollbacks recorded in the bundle." : "Applies and rollbacks recorded in the bundle:",
                     x: 1, y: y, width: w - 2, style: Style(.normal, [.bold]), ellipsis: glyphs.ellipsis)
        y += 1
        for line in r.actions.flatMap({ Label.wrap($0, width: w - 4) }) where y < body.maxY {
            buffer.write(line, x: 3, y: y, width: w - 4, ellipsis: glyphs.ellipsis)
            y += 1
        }
    }

    struct Section {
        var title: String
        /// `flagged`: marked "!" in the margin.
        var lines: [(text: String, role: ColorRole, flagged: Bool)]
    }

    /// The probe lines of each state side by side when wide (two up to 119 columns would cut them), else one
    /// under the other. Long lines wrap, since the difference is often at their end.
    static func renderComparison(_ sections: [Section], into buffer: inout ScreenBuffer, rect: Rect, glyphs: Glyphs) {
        guard rect.height > 0 else { return }
        let sideBySide = rect.width >= 59 * sections.count
        func rows(_ section: Section, width: Int) -> [(String, ColorRole)] {
            section.lines.flatMap { line in
                Label.wrap(line.text, width: max(1, width - 4)).enumerated().map {
                    (($0.offset > 0 ? "    " : line.flagged ? "! " : "  ") + $0.element, line.role)
                }
            }
        }
        if sideBySide {
            let gap = 1
            let width = (rect.width - gap * (sections.count - 1)) / sections.count
            // Line i of every section starts on the same row: one listener, read across.
            let wrapped = sections.map { section in section.lines.map { rows(Section(title: "", lines: [$0]), width: width) } }
            let count = wrapped.map(\.count).max() ?? 0
            var top = [Int](), y = rect.y + 1
            for i in 0..<count { top.append(y); y += wrapped.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0 }
            for (i, section) in sections.enumerated() {
                let x = rect.x + i * (width + gap)
                buffer.write(section.title, x: x, y: rect.y, width: width, style: Style(.heading, [.bold]), ellipsis: glyphs.ellipsis)
                for (j, lineRows) in wrapped[i].enumerated() {
                    for (k, row) in lineRows.enumerated() where top[j] + k < rect.maxY {
                        buffer.write(row.0, x: x, y: top[j] + k, width: width, style: Style(row.1), ellipsis: glyphs.ellipsis)
                    }
                }
            }
        } else {
            let room = max(0, (rect.height - sections.count) / sections.count)
            var y = rect.y
            for section in sections {
                buffer.write(section.title, x: rect.x, y: y, style: Style(.heading, [.bold]))
                y += 1
                for row in rows(section, width: rect.width).prefix(room) {
                    buffer.write(row.0, x: rect.x, y: y, width: rect.width, style: Style(row.1), ellipsis: glyphs.ellipsis)
                    y += 1
                }
            }
        }
    }
}
