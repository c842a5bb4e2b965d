import PostlsCore
import WizardCore

/// Diagnoses with their evidence, and for the selected one its fix: the diff, the commands, the impact.
enum FixesScreen {
    static func render(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, glyphs: Glyphs) {
        let f = s.fixes
        let w = body.width
        var y = body.y
        let listHeight = WizardLayout.fixesListHeight(s.size, count: f.diagnoses.count)
        if f.diagnoses.isEmpty {
            buffer.write("No diagnoses yet: they appear when the config, probe and logs have been read.", x: 1, y: y, width: w - 2, style: Style(.muted))
            return
        }
        let causeWidth = min(24, (f.diagnoses.map { $0.cause.rawValue.count }.max() ?? 10) + 2)
        VirtualList(count: f.diagnoses.count, selection: f.list.selection, top: f.list.top, focused: f.pane == .diagnoses) { i in
            let d = f.diagnoses[i]
            let n = d.fixIDs.count
            return [Label.severity(d.severity), Span("  " + Label.fit(d.cause.rawValue, causeWidth, glyphs)),
                    Span(Label.padded(n == 0 ? "no fix" : (n == 1 ? "1 fix" : "\(n) fixes"), 9), Style(n == 0 ? .muted : .key)),
                    Span(d.summary)]
        }.render(into: &buffer, rect: Rect(x: 1, y: y, width: w - 2, height: listHeight), glyphs: glyphs)
        y += listHeight
        guard let d = f.selectedDiagnosis else { return }
        buffer.drawRule(y: y, x: 0, width: w, label: "\(d.cause.rawValue): \(CauseCatalog.shared.title(d.cause))",
                        glyphs: glyphs, style: Style(.border, f.pane == .detail ? [.bold] : []))
        y += 1
        let lines = detailLines(s, d, width: w - 3, glyphs: glyphs)
        let height = WizardLayout.fixesDetailHeight(s.size, count: f.diagnoses.count)
        ScrolledLines(lines: lines, top: f.detailTop)
            .render(into: &buffer, rect: Rect(x: 1, y: y, width: w - 1, height: height), glyphs: glyphs)
        if lines.count > height, f.pane == .diagnoses {
            let hint = " Tab, then \(glyphs.isUnicode ? "↓" : "Dn") for more "
            buffer.write(hint, x: w - CharacterWidth.of(hint) - 1, y: y - 1, style: Style(.muted))
        }
    }

    static func detailLines(_ s: WizardState, _ d: DiagnosisRow, width: Int, glyphs: Glyphs) -> [[Span]] {
        var lines: [[Span]] = []
        for part in Label.wrap(d.summary, width: width) { lines.append([Span(part, Style(.normal, [.bold]))]) }
        lines.append([Span("Evidence  ", Style(.heading, [.bold])), Label.severity(d.severity), Span(", \(d.confidence.rawValue) confidence", Style(.muted))])
        // Evidence is the why: wrap it rather than cut it.
        for e in d.evidence {
            for (i, part) in Label.wrap(e, width: width - 4).enumerated() { lines.append([Span((i == 0 ? "  " : "    ") + part)]) }
        }
        let all = s.fixes.fixesOf(d)
        guard let fix = s.fixes.selectedFix else {
            lines.append([Span("No automatic fix: the evidence says what to look at.", Style(.muted))])
            return lines
        }
        let index = (all.firstIndex(of: fix) ?? 0) + 1
        let lead = "Fix \(index) of \(all.count): "
        var titleLines = Label.wrap(fix.title + "  (\(fix.kind.rawValue))" + (all.count > 1 ? "  f: next fix" : ""),
                                    width: max(10, width - CharacterWidth.of(lead)))
        if titleLines.isEmpty { titleLines = [""] }
        lines.append([Span(lead, Style(.heading, [.bold])), Span(titleLines[0], Style(.normal, [.bold]))])
        for more in titleLines.dropFirst() {
            lines.append([Span(String(repeating: " ", count: CharacterWidth.of(lead))), Span(more, Style(.normal, [.bold]))])
        }
        if !fix.impact.isEmpty {
            for part in Label.wrap("Impact: " + fix.impact, width: width - 2) { lines.append([Span("  " + part)]) }
        }
        if let diff = fix.diff {
            for raw in diff.split(separator: "\n", omittingEmptySubsequences: false) {
                let text = String(raw)
                lines.append([Span("  "), Span(text, TextViewer.diffStyle(text))])
            }
        }
        if !fix.commands.isEmpty { lines.append([Span("  Then runs: ", Style(.muted)), Span(fix.commands.joined(separator: "; "), Style(.key))]) }
        if !fix.records.isEmpty {
            lines.append([Span("  Publish at your DNS provider (zone-file lines, ready to paste):", Style(.muted))])
            // From the first column: a zone file reads a line that starts with a blank as the previous owner's.
            for record in fix.records { lines.append([Span(record, Style(.key))]) }
        }
        if fix.opensSetup {
            lines.append([Span("Enter runs it here: the Setup step (choose the certificate, read the plan, apply).", Style(.key))])
        } else if !fix.isApplicable {
            let text = fix.kind == .dnsRecord ? "This is a DNS change: publish it at your DNS provider."
                                              : "postls does not run this fix: run the commands yourself."
            lines.append([Span(text, Style(.warning))])
        }
        return lines
    }
}
