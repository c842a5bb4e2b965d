import PostlsCore
import WizardCore

/// Progress of write/check/reload/re-probe, then before and after, and the way back.
enum ApplyScreen {
    static func render(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, glyphs: Glyphs) {
        let a = s.apply
        let w = body.width
        var y = body.y
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
        case .rolledBack: outcome = [Span("\(glyphs.ok) Rolled back. ", Style(.ok, [.bold])), Span(a.message ?? "")]
        case .rollbackFailed: outcome = [Span("\(glyphs.failed) Rollback failed. ", Style(.critical, [.bold])), Span(a.message ?? "")]
        case .idle: outcome = []
        }
        let outcomeLines = Label.wrap(outcome.map(\.text).joined(), width: w - 2).prefix(4)
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

        guard !a.before.isEmpty || !a.after.isEmpty else { return }
        let bottom = body.maxY
        if w >= 120 {
            let half = (w - 3) / 2
            buffer.write("Before", x: 1, y: y, style: Style(.heading, [.bold]))
            buffer.write("After", x: 2 + half, y: y, style: Style(.heading, [.bold]))
            for (i, line) in a.before.prefix(bottom - y - 1).enumerated() {
                buffer.write(line, x: 1, y: y + 1 + i, width: half, style: Style(.warning), ellipsis: glyphs.ellipsis)
            }
            for (i, line) in a.after.prefix(bottom - y - 1).enumerated() {
                buffer.write(line, x: 2 + half, y: y + 1 + i, width: half, style: Style(.ok), ellipsis: glyphs.ellipsis)
            }
        } else {
            // Stacked; long lines wrap, since the difference is often at their end.
            let room = max(0, (bottom - y - 2) / 2)
            for (title, list, role) in [("Before", a.before, ColorRole.warning), ("After", a.after, ColorRole.ok)] {
                buffer.write(title, x: 1, y: y, style: Style(.heading, [.bold]))
                y += 1
                var rows: [String] = []
                for line in list {
                    for (i, part) in Label.wrap(line, width: w - 6).enumerated() { rows.append((i == 0 ? "  " : "    ") + part) }
                }
                for row in rows.prefix(room) { buffer.write(row, x: 1, y: y, width: w - 2, style: Style(role), ellipsis: glyphs.ellipsis); y += 1 }
            }
        }
    }
}
