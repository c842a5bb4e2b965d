import PostlsCore
import WizardCore

/// Live handshake results per listener and address, with progress while probing.
enum ProbeScreen {
    static func render(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, glyphs: Glyphs) {
        let p = s.probe
        let w = body.width
        var y = body.y
        if p.running {
            let total = max(p.total, 1)
            let barWidth = 20
            let filled = min(barWidth, p.done * barWidth / total)
            let bar = String(repeating: glyphs.isUnicode ? "█" : "#", count: filled) + String(repeating: glyphs.isUnicode ? "░" : ".", count: barWidth - filled)
            buffer.write([Span("Probing ", Style(.heading, [.bold])), Span(bar, Style(.info)), Span(" \(p.done) of \(p.total)"),
                          Span(p.current.map { "  now: \($0)" } ?? "", Style(.muted))], x: 1, y: y, width: w - 2, ellipsis: glyphs.ellipsis)
        } else if let error = p.error {
            buffer.write([Span("Probe failed: ", Style(.critical, [.bold])), Span(error)], x: 1, y: y, width: w - 2, ellipsis: glyphs.ellipsis)
        } else {
            let n = p.listeners.count
            let failed = p.listeners.filter { $0.health == .failed }.count
            let warn = p.listeners.filter { $0.health == .warning }.count
            let ok = p.listeners.filter { $0.health == .ok }.count
            buffer.write([Span("Listeners (\(n))", Style(.heading, [.bold])),
                          Span("  \(ok) ok", Style(.ok)), Span(", \(warn) with warnings", Style(warn > 0 ? .warning : .normal)),
                          Span(", \(failed) failed", Style(failed > 0 ? .critical : .normal, failed > 0 ? [.bold] : []))],
                         x: 1, y: y, width: w - 2, ellipsis: glyphs.ellipsis)
        }
        y += 1
        let cols = columns(width: w)
        buffer.write("  " + Label.padded("STATUS", 8) + Label.padded("SERVICE", cols.service) + Label.leftPadded("PORT", 5) + "  "
                     + Label.padded("ADDRESS", cols.address) + Label.padded("MODE", 10) + "RESULT",
                     x: 1, y: y, width: w - 2, style: Style(.muted, [.bold]))
        y += 1
        let listHeight = WizardLayout.probeListHeight(s.size)
        if p.listeners.isEmpty {
            buffer.write(p.running ? "Waiting for the first results\(glyphs.ellipsis)" : "No listeners yet. Press r to probe.",
                         x: 3, y: y, style: Style(.muted))
        } else {
            // The list drives the pane below it: the bar covers status, service and port (see VirtualList.barWidth).
            VirtualList(count: p.listeners.count, selection: p.list.selection, top: p.list.top, focused: true,
                        barWidth: 6 + 2 + cols.service + 5) { i in
                let l = p.listeners[i]
                return [Label.health(l.health, glyphs), Span("  " + Label.fit(l.service, cols.service, glyphs) + Label.leftPadded(String(l.port), 5) + "  "
                                                             + Label.fit(Label.address(l), cols.address, glyphs)
                                                             + Label.padded(l.mode == .implicit ? "implicit" : "STARTTLS", 10)),
                        Span(Label.listenerResult(l), l.health == .failed ? Style(.critical) : (l.health == .warning ? Style(.warning) : .normal))]
            }.render(into: &buffer, rect: Rect(x: 1, y: y, width: w - 2, height: listHeight), glyphs: glyphs)
        }
        y += listHeight

        guard p.listeners.indices.contains(p.list.selection) else { return }
        renderDetail(p.listeners[p.list.selection], into: &buffer, box: Rect(x: 1, y: y, width: w - 2, height: WizardLayout.probeDetailRows(s.size)),
                     glyphs: glyphs)
    }

    /// The selected listener in full: its TLS, then its named senders.
    private static func renderDetail(_ l: ListenerStatus, into buffer: inout ScreenBuffer, box: Rect, glyphs: Glyphs) {
        // A titled rule over the pane, as the Fixes step has, not a box: a row that gets shorter ends with a clear to
        // the end of the line, which a right border would turn into a run of spaces (bytes over a slow SSH link).
        buffer.drawRule(y: box.y, x: box.x - 1, width: box.width + 2,
                        label: "\(l.service) \(l.port) \(Label.address(l)) \(l.mode == .implicit ? "implicit TLS" : "STARTTLS")", glyphs: glyphs)
        let inner = Rect(x: box.x, y: box.y + 1, width: box.width, height: box.height - 1)
        var rows: [[Span]] = []
        switch l.health {
        case .notProbed: rows.append([Span("Not probed yet.", Style(.muted))])
        case .failed: rows.append([Span("Result    ", Style(.muted)), Span("no TLS session: failed in \(l.errorPhase ?? "the handshake")", Style(.critical, [.bold]))])
        case .warning:
            // MTAs deliver to an MX listener; mail clients use the others.
            let who = l.isMX ? "sender" : "mail client"
            rows.append([Span("Result    ", Style(.muted)), Span("TLS works, but not every \(who) will accept it", Style(.warning, [.bold]))])
        case .ok: rows.append([Span("Result    ", Style(.muted)), Span("TLS works and the certificate verifies", Style(.ok, [.bold]))])
        }
        if let e = l.errorMessage { rows.append([Span("Error     ", Style(.muted)), Span(e)]) }
        if l.tlsOK == true {
            rows.append([Span("Session   ", Style(.muted)), Span("\(l.protocolVersion ?? "?")  \(l.cipher ?? "?")")])
            var cert = l.verifyCode.map { $0 == 0 ? "verifies (0 ok)" : "verify \($0): \(l.verifyMessage ?? "")" } ?? "not checked"
            if let d = l.daysToExpiry { cert += d < 0 ? ", expired \(-d) days ago" : ", expires in \(d) days" }
            rows.append([Span("Cert      ", Style(.muted)), Span(cert)])
        }
        if !l.protocolSupport.isEmpty {
            var spans = [Span("Versions  ", Style(.muted))]
            for version in ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] {
                guard let accepted = l.protocolSupport[version] else { continue }
                spans.append(Span(version + " "))
                spans.append(accepted ? Span("\(glyphs.ok) yes  ", Style(.ok)) : Span("\(glyphs.failed) no   ", Style(.muted)))
            }
            rows.append(spans)
        }
        if let cause = l.cause {
            rows.append([Span("Cause     ", Style(.muted)), Span(cause.rawValue, Style(.key)), Span(": " + CauseCatalog.shared.title(cause))])
        }
        rows += senderRows(l, width: inner.width - 2)
        for (i, row) in rows.prefix(inner.height).enumerated() {
            buffer.write(row, x: inner.x + 1, y: inner.y + i, width: inner.width - 2, ellipsis: glyphs.ellipsis)
        }
    }

    /// The named senders' verdicts: a note that they are approximations, then one row per outcome and what it
    /// rests on (the version the TLS senders got, or the reason the others fall back or defer), naming the senders
    /// that share it. Few rows: a glance says who is affected, and a move onto this listener writes little.
    static func senderRows(_ l: ListenerStatus, width: Int) -> [[Span]] {
        guard let senders = l.senders, !senders.isEmpty else {
            // Not run here on purpose: say why, so an empty block does not read as "none would deliver".
            return l.isMX || l.health == .notProbed ? []
                : [[Span("Senders   ", Style(.muted)), Span("none: mail clients use this port; MTAs deliver to smtp", Style(.muted))]]
        }
        // Say when the domain's DNS decided a verdict: the rows change once the DNS step has checked it.
        let policies = Set(senders.map(\.policy)).subtracting(["none"]).sorted().map { $0 == "dane" ? "DANE" : "MTA-STS" }
        var rows: [[Span]] = [[Span("Senders   ", Style(.muted)),
                               Span("approximated; see docs/SENDERS.md" + (policies.isEmpty ? "" : "; under the domain's \(policies.joined(separator: " and "))"),
                                    Style(.muted))]]
        var groups: [(outcome: SenderStatus.Outcome, basis: String, labels: [String])] = []
        for outcome in [SenderStatus.Outcome.defer, .plaintext, .tls] {
            for v in senders where v.outcome == outcome {
                let basis = outcome == .tls ? (v.protocol ?? "") : (v.reasons.first ?? "")
                if let i = groups.firstIndex(where: { $0.outcome == outcome && $0.basis == basis }) { groups[i].labels.append(v.label) }
                else { groups.append((outcome, basis, [v.label])) }
            }
        }
        for g in groups {
            let style: Style = switch g.outcome {
            case .tls: Style(.ok, [.bold])
            case .plaintext: Style(.warning, [.bold])
            case .defer: Style(.critical, [.bold])
            }
            let names = g.labels.joined(separator: ", ")
            let text = g.outcome == .tls ? (g.basis.isEmpty ? names : "\(g.basis)  \(names)") : (g.basis.isEmpty ? names : "\(names): \(g.basis)")
            // Names wrap under themselves rather than being cut at 80 columns.
            for (i, part) in Label.wrap(text, width: max(20, width - 13)).enumerated() {
                rows.append([Span("  " + Label.padded(i == 0 ? (g.outcome == .tls ? "TLS" : g.outcome.rawValue) : "", 11), i == 0 ? style : .normal),
                             Span(part)])
            }
        }
        return rows
    }

    static func columns(width: Int) -> (service: Int, address: Int) {
        width >= 120 ? (14, 26) : (12, 17)
    }
}
