import PostlsCore
import WizardCore

/// The event list, grouped by cause. Only the rows on screen are asked for, so a million events
/// cost what twenty do.
enum LogsScreen {
    static func render(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, glyphs: Glyphs) {
        let logs = s.logs
        let w = body.width
        var y = body.y
        if logs.loading && logs.source == nil {
            var text = "Reading the mail logs\(glyphs.ellipsis)"
            if logs.progressLines > 0 { text += " \(Label.number(logs.progressLines)) lines" }
            if let file = logs.progressFile { text += " (\(file))" }
            buffer.write(text, x: 1, y: y, width: w - 2, style: Style(.muted), ellipsis: glyphs.ellipsis)
            return
        }
        if let error = logs.loadError, logs.source == nil {
            buffer.write([Span("Cannot read the logs: ", Style(.critical, [.bold])), Span(error)], x: 1, y: y, width: w - 2, ellipsis: glyphs.ellipsis)
            return
        }
        var line: [Span] = [Span("\(Label.number(logs.totalEvents)) failed TLS sessions", Style(.heading, [.bold]))]
        // With a filter shown, the line count gives way: the filter matters more.
        if let summary = logs.summary, logs.filter.isEmpty {
            line.append(Span(" in \(Label.number(summary.linesRead)) lines", Style(.muted)))
            if summary.ownProbes > 0 {
                line.append(Span(" (not counted: \(Label.number(summary.ownProbes)) of postls's own probes)", Style(.muted)))
            }
            // The smtp client's side in one span; its causes are on the Problems screen, its next hops in `postls logs`.
            if summary.outboundHops > 0 {
                line.append(Span("  outbound: \(Label.number(summary.outboundHops)) next hops", Style(.muted)))
                if summary.outboundFailingHops > 0 {
                    line.append(Span(", \(Label.number(summary.outboundFailingHops)) failing", Style(.warning)))
                }
            }
        }
        if !logs.filter.isEmpty {
            line.append(Span("  filter: ", Style(.muted)))
            line.append(Span(logs.filter.description, Style(.key, [.bold])))
            line.append(Span(" (\(Label.number(logs.shownEvents)) shown)", Style(.muted)))
        }
        if !logs.search.isEmpty && s.input == nil {
            line.append(Span("  search: ", Style(.muted)))
            line.append(Span(logs.search, Style(.match, [.underline])))
        }
        buffer.write(line, x: 1, y: y, width: w - 2, ellipsis: glyphs.ellipsis)
        y += 1

        let cols = columns(width: w)
        buffer.write("    " + Label.padded("TIME", 17) + Label.padded("PEER", cols.peer) + Label.padded("SERVICE", cols.service) + "CONF.",
                     x: 1, y: y, width: w - 2, style: Style(.muted, [.bold]))
        y += 1
        let height = WizardLayout.logsListHeight(s.size)
        if logs.rowCount == 0 {
            buffer.write(logs.totalEvents == 0 ? "\(glyphs.ok) No failed TLS sessions in the logs read." : "No event matches the filter; x clears it.",
                         x: 3, y: y, style: Style(logs.totalEvents == 0 ? .ok : .muted))
        } else {
            let query = logs.search.lowercased()
            VirtualList(count: logs.rowCount, selection: logs.list.selection, top: logs.list.top, focused: true) { i in
                row(logs, i, cols: cols, query: query, glyphs: glyphs)
            }.render(into: &buffer, rect: Rect(x: 1, y: y, width: w - 2, height: height), glyphs: glyphs)
        }

        if let index = logs.detail, let source = logs.source, index < source.count {
            renderDetail(source.event(at: index), index: index, s, into: &buffer, glyphs: glyphs)
        }
    }

    static func columns(width: Int) -> (peer: Int, service: Int) {
        width >= 120 ? (52, 20) : (38, 12)
    }

    static func row(_ logs: LogsStepState, _ i: Int, cols: (peer: Int, service: Int), query: String, glyphs: Glyphs) -> [Span] {
        switch logs.row(at: i) {
        case .header(let cause, let count, let collapsed)?:
            return [Span("\(collapsed ? glyphs.collapsed : glyphs.expanded) ", Style(.heading, [.bold])),
                    Span(cause.rawValue, Style(.heading, [.bold])), Span("  \(Label.number(count))  ", Style(.normal, [.bold])),
                    Span(CauseCatalog.shared.title(cause), Style(.muted))]
        case .event(let index)?:
            guard let source = logs.source else { return [] }
            let e = source.event(at: index)
            let peer = Label.fit(e.peer, cols.peer, glyphs)
            var spans = [Span("  " + Label.padded(e.time, 17))]
            // Mark the peer when it holds the search text, so a match is visible without color too.
            if !query.isEmpty, let r = peer.lowercased().firstRange(of: query), peer.count == peer.lowercased().count {
                let lower = peer.lowercased()
                let lo = lower.distance(from: lower.startIndex, to: r.lowerBound)
                let hi = lo + query.count
                let chars = Array(peer)
                spans.append(Span(String(chars[..<lo])))
                spans.append(Span(String(chars[lo..<hi]), Style(.match, [.underline])))
                spans.append(Span(String(chars[hi...])))
            } else {
                spans.append(Span(peer))
            }
            spans.append(Span(Label.fit(e.service, cols.service, glyphs)))
            spans.append(Span(e.confidence.rawValue, Style(e.confidence == .low ? .muted : .normal)))
            return spans
        case nil:
            return []
        }
    }

    static func renderDetail(_ e: LogEventRow, index: Int, _ s: WizardState, into buffer: inout ScreenBuffer, glyphs: Glyphs) {
        let rect = Overlay.centered(width: buffer.width - 4, height: WizardLayout.overlayTextHeight(s.size) + 2, in: buffer.bounds)
        buffer.fill(rect, style: Style(.dialog))
        buffer.drawBox(rect, title: "\(e.cause.rawValue) \(glyphs.isUnicode ? "·" : "-") \(e.confidence.rawValue) confidence", glyphs: glyphs)
        let inner = rect.inset(1)
        let x = inner.x + 1, width = inner.width - 2
        var y = inner.y
        buffer.write([Span("Peer ", Style(.muted)), Span(e.peer, Style(.normal, [.bold])), Span("   service ", Style(.muted)), Span(e.service),
                      Span("   at ", Style(.muted)), Span(e.time)], x: x, y: y, width: width, ellipsis: glyphs.ellipsis)
        y += 1
        buffer.write(CauseCatalog.shared.title(e.cause), x: x, y: y, width: width, style: Style(.heading, [.bold]), ellipsis: glyphs.ellipsis)
        y += 1
        // The explanation, cut to what leaves room for the raw lines (which are the point here).
        let explanation = Label.wrap(CauseCatalog.shared.explanation(e.cause), width: width)
        let room = s.size.height >= 40 ? 5 : 2
        for (i, line) in explanation.prefix(room).enumerated() {
            let cut = i == room - 1 && explanation.count > room
            var text = line
            if cut {
                if CharacterWidth.of(text) >= width { text = String(text.dropLast()) }
                text.append(glyphs.ellipsis)
            }
            buffer.write(text, x: x, y: y, width: width, style: Style(.normal), ellipsis: glyphs.ellipsis)
            y += 1
        }
        buffer.drawRule(y: y, x: inner.x, width: inner.width, label: "raw log lines (\(e.lines.count))", glyphs: glyphs)
        y += 1
        // Log lines are long: wrap them, indenting continuations, instead of cutting off the error text.
        var wrapped: [String] = []
        for raw in e.lines {
            let parts = Label.wrap(raw, width: width - 2)
            for (i, p) in parts.enumerated() { wrapped.append(i == 0 ? p : "  " + p) }
        }
        TextViewer(lines: wrapped, top: s.logs.detailTop).render(into: &buffer, rect: Rect(x: x, y: y, width: width + 1, height: inner.maxY - y), glyphs: glyphs)
    }
}
