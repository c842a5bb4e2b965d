import PostlsCore
import WizardCore

/// Writing the support report.
enum ReportScreen {
    static func render(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, glyphs: Glyphs) {
        let r = s.report
        let w = body.width
        var y = body.y
        buffer.write("Support report", x: 1, y: y, style: Style(.heading, [.bold]))
        y += 2
        for line in Label.wrap("Everything postls found (configuration, probe results, log events, diagnoses and fixes) as one Markdown file for a ticket or a colleague. It never contains private keys. Redaction replaces host names, domains, addresses and mail addresses consistently.", width: w - 4) {
            buffer.write(line, x: 1, y: y, width: w - 2)
            y += 1
        }
        y += 1
        buffer.write([Span("Path      ", Style(.muted)), Span(r.path, Style(.input, [.underline])), Span("   e: edit", Style(.muted))], x: 3, y: y, width: w - 4, ellipsis: glyphs.ellipsis)
        y += 1
        buffer.write([Span("Bundle    ", Style(.muted)), Span(r.bundlePath), Span("   b: write", Style(.muted))], x: 3, y: y, width: w - 4, ellipsis: glyphs.ellipsis)
        y += 1
        buffer.write([Span("Redact    ", Style(.muted)), Span(r.redact ? "yes" : "no", Style(.normal, [.bold])), Span("   r: switch", Style(.muted))], x: 3, y: y, width: w - 4)
        y += 1
        let contents = "\(s.fixes.diagnoses.count) diagnoses, \(s.config.findings.count) config findings, \(s.probe.listeners.count) listeners, \(Label.number(s.logs.totalEvents)) log events"
        buffer.write([Span("Contains  ", Style(.muted)), Span(contents)], x: 3, y: y, width: w - 4, ellipsis: glyphs.ellipsis)
        y += 2
        switch r.status {
        case .idle:
            buffer.write([Span("Enter", Style(.key, [.bold])), Span(" writes the report, "), Span("b", Style(.key, [.bold])),
                          Span(" the bundle for `postls open`.")], x: 1, y: y, width: w - 2, ellipsis: glyphs.ellipsis)
        case .writing:
            buffer.write("Writing\(glyphs.ellipsis)", x: 1, y: y, style: Style(.info, [.bold]))
        case .written(let path):
            buffer.write([Span("\(glyphs.ok) Written to \(path)", Style(.ok, [.bold])), Span(" - attach it to your ticket.")], x: 1, y: y, width: w - 2, ellipsis: glyphs.ellipsis)
        case .failed(let message):
            buffer.write([Span("\(glyphs.failed) Not written: ", Style(.critical, [.bold])), Span(message)], x: 1, y: y, width: w - 2, ellipsis: glyphs.ellipsis)
        }
    }
}
