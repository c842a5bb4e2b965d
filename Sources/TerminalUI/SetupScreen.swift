import PostlsCore
import WizardCore

/// First-time setup: the certificate sources to choose from, then `postls setup`'s plan for the chosen one
/// (certificate, files, main.cf/master.cf diff, what the probe should show, Dovecot advice, DNS records).
enum SetupScreen {
    static func render(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, glyphs: Glyphs) {
        let st = s.setup
        let w = body.width
        var y = body.y
        buffer.write([Span("First-time TLS setup", Style(.heading, [.bold])), Span("  where does the certificate come from?", Style(.muted))],
                     x: 1, y: y, width: w - 2, ellipsis: glyphs.ellipsis)
        y += 1
        let rows = WizardLayout.setupSourceRows(s.size, count: st.sources.count)
        if st.sources.isEmpty {
            let text: String
            switch st.phase {
            case .failed(let why): text = "Setup cannot read the system: \(why)"
            default: text = "Looking for certificates (main.cf, /etc/letsencrypt/live, /etc/ssl)\(glyphs.ellipsis)"
            }
            buffer.write(text, x: 3, y: y, width: w - 4, style: Style(.muted), ellipsis: glyphs.ellipsis)
        } else {
            VirtualList(count: st.sources.count, selection: st.list.selection, top: st.list.top, focused: true) { i in
                let source = st.sources[i]
                // A path keeps its end (the name and file), a choice its start.
                let title = source.title.hasPrefix("/") ? Label.fitTail(source.title, 34, glyphs) : Label.fit(source.title, 34, glyphs)
                return [Span(title + "  ", Style(source.usable ? .normal : .muted, source.usable ? [.bold] : [])),
                        Span(source.detail, Style(source.usable ? .muted : .warning))]
            }.render(into: &buffer, rect: Rect(x: 1, y: y, width: w - 2, height: rows), glyphs: glyphs)
        }
        y += rows
        buffer.drawRule(y: y, x: 0, width: w, label: ruleLabel(st), glyphs: glyphs, style: Style(.border))
        y += 1
        let height = WizardLayout.setupPlanHeight(s.size, count: st.sources.count)
        ScrolledLines(lines: planLines(st, width: w - 3, glyphs: glyphs), top: st.top)
            .render(into: &buffer, rect: Rect(x: 1, y: y, width: w - 1, height: height), glyphs: glyphs)
    }

    static func ruleLabel(_ st: SetupStepState) -> String {
        switch st.phase {
        case .planning: "The plan (being made)"
        case .planned where st.plannedSource == st.selectedSource: "The plan: Enter applies it"
        case .planned: "The plan for another source: Enter shows this one's"
        default: "The plan: Enter shows it"
        }
    }

    static func planLines(_ st: SetupStepState, width: Int, glyphs: Glyphs) -> [[Span]] {
        guard let plan = st.plan else {
            if case .failed(let why) = st.phase, !st.sources.isEmpty { return Label.wrap(why, width: width).map { [Span($0, Style(.critical))] } }
            return [[Span(st.phase == .planning ? "Planning\(glyphs.ellipsis)" : "Choose a source and press Enter to see what setup would change.", Style(.muted))]]
        }
        var lines: [[Span]] = []
        func heading(_ text: String) { lines.append([Span(text, Style(.heading, [.bold]))]) }
        func wrapped(_ text: String, _ style: Style = .normal, indent: String = "  ") {
            for (i, part) in Label.wrap(text, width: width - indent.count - 2).enumerated() { lines.append([Span((i == 0 ? indent : indent + "  ") + part, style)]) }
        }
        if plan.isEmpty { lines.append([Span("Nothing to do: TLS is already set up as postls would set it up.", Style(.ok, [.bold]))]) }
        heading("Certificate")
        wrapped(plan.certificate, Style(.normal, [.bold]))
        for action in plan.fileActions { wrapped("- " + action, Style(action.contains("SELF-SIGNED") ? .warning : .normal)) }
        for note in plan.notes { wrapped("- " + note, Style(.muted)) }
        if !plan.diff.isEmpty {
            heading("main.cf and master.cf")
            for raw in plan.diff.split(separator: "\n", omittingEmptySubsequences: false) where !raw.isEmpty {
                lines.append([Span("  "), Span(String(raw), TextViewer.diffStyle(String(raw)))])
            }
        }
        if !plan.expectations.isEmpty {
            heading("Afterwards the probe should show")
            for e in plan.expectations { wrapped("- " + e) }
        }
        if !plan.dovecotChanges.isEmpty {
            heading("Dovecot (advice: postls does not write it; then doveadm reload)")
            for c in plan.dovecotChanges { wrapped("- " + c) }
            for raw in plan.dovecotDiff.split(separator: "\n") { lines.append([Span("  "), Span(String(raw), TextViewer.diffStyle(String(raw)))]) }
        }
        if !plan.records.isEmpty {
            heading("DNS records to publish (zone-file lines, ready to paste)")
            for r in plan.records { lines.append([Span(r, Style(.key))]) }
        }
        return lines
    }
}
