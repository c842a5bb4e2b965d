import PostlsCore
import WizardCore

/// Findings at file:line and the effective TLS settings per service.
enum ConfigScreen {
    static func render(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, glyphs: Glyphs) {
        let c = s.config
        let w = body.width
        var y = body.y
        let fh = WizardLayout.configFindingsHeight(s.size), sh = WizardLayout.configSettingsHeight(s.size)

        let focusMark = { (pane: ConfigStepState.Pane) in c.pane == pane ? Style(.heading, [.bold, .underline]) : Style(.heading, [.bold]) }
        buffer.write([Span("Findings (\(c.findings.count))", focusMark(.findings)), Span("  in \(c.configDirectory)", Style(.muted))],
                     x: 1, y: y, width: w - 2, ellipsis: glyphs.ellipsis)
        y += 1
        if !c.loaded {
            buffer.write("Reading main.cf and master.cf\(glyphs.ellipsis)", x: 3, y: y, style: Style(.muted))
        } else if c.findings.isEmpty {
            buffer.write("\(glyphs.ok) No problems found in the TLS settings.", x: 3, y: y, style: Style(.ok))
        } else {
            let locWidth = min(16, (c.findings.map { $0.location.count }.max() ?? 8) + 2)
            let paramWidth = w >= 120 ? 32 : 0
            VirtualList(count: c.findings.count, selection: c.findingsList.selection, top: c.findingsList.top, focused: c.pane == .findings) { i in
                let f = c.findings[i]
                var spans = [Label.severity(f.severity), Span("  " + Label.padded(f.location, locWidth), Style(.key))]
                if paramWidth > 0 { spans.append(Span(Label.padded(f.parameter ?? "-", paramWidth))) }
                spans.append(Span(f.message))
                return spans
            }.render(into: &buffer, rect: Rect(x: 1, y: y, width: w - 2, height: fh), glyphs: glyphs)
        }
        y += fh

        buffer.write("Effective TLS settings (\(c.settings.count))", x: 1, y: y, style: focusMark(.settings))
        y += 1
        let serviceWidth = min(15, (c.settings.map { $0.service.count }.max() ?? 6) + 2)
        let paramWidth = min(34, (c.settings.map { $0.parameter.count }.max() ?? 10) + 2)
        let sourceWidth = 18
        let valueWidth = max(10, w - 4 - serviceWidth - paramWidth - sourceWidth - 1)
        VirtualList(count: c.settings.count, selection: c.pane == .settings ? c.settingsList.selection : nil,
                    top: c.settingsList.top, focused: c.pane == .settings) { i in
            let r = c.settings[i]
            // The tail keeps the port of "127.0.0.1:10025"-style service names.
            return [Span(Label.fitTail(r.service, serviceWidth, glyphs)), Span(Label.fit(r.parameter, paramWidth, glyphs), Style(.key)),
                    Span(Label.fitTail(r.value, valueWidth + 1, glyphs)), Span(r.source, Style(r.source == "default" ? .muted : .normal))]
        }.render(into: &buffer, rect: Rect(x: 1, y: y, width: w - 2, height: sh), glyphs: glyphs)
        y += sh

        // The selected row in full, since the columns cut it.
        var detail: [Span] = []
        if c.pane == .findings, c.findings.indices.contains(c.findingsList.selection) {
            let f = c.findings[c.findingsList.selection]
            detail = [Span(f.location + (f.parameter.map { " " + $0 } ?? "") + ": ", Style(.key, [.bold])), Span(f.message)]
        } else if c.pane == .settings, c.settings.indices.contains(c.settingsList.selection) {
            let r = c.settings[c.settingsList.selection]
            detail = [Span("\(r.service): \(r.parameter) = ", Style(.key, [.bold])), Span(r.value), Span("  (\(r.source))", Style(.muted))]
        }
        let text = detail.map(\.text).joined()
        let wrapped = Label.wrap(text, width: w - 2)
        for (i, line) in wrapped.prefix(WizardLayout.configDetailRows).enumerated() {
            buffer.write(line, x: 1, y: y + i, width: w - 2, style: i == 0 ? Style(.normal, [.bold]) : .normal, ellipsis: glyphs.ellipsis)
        }

        if let file = c.file { renderFile(file, s, into: &buffer, glyphs: glyphs) }
    }

    static func renderFile(_ file: FileView, _ s: WizardState, into buffer: inout ScreenBuffer, glyphs: Glyphs) {
        let height = WizardLayout.overlayTextHeight(s.size) + 2
        let rect = Overlay.centered(width: buffer.width - 4, height: height, in: buffer.bounds)
        buffer.fill(rect, style: Style(.dialog))
        buffer.drawBox(rect, title: "\(file.path) line \(file.focusLine) (read-only)", glyphs: glyphs)
        let inner = rect.inset(1)
        if file.loading {
            buffer.write("Reading\(glyphs.ellipsis)", x: inner.x + 1, y: inner.y, style: Style(.muted))
            return
        }
        TextViewer(lines: file.lines, top: file.top, firstLineNumber: 1, highlight: file.focusLine - 1)
            .render(into: &buffer, rect: Rect(x: inner.x + 1, y: inner.y, width: inner.width - 1, height: inner.height), glyphs: glyphs)
    }
}
