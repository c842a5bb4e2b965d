import PostlsCore
import WizardCore

/// The mail domain's DNS against this server: the domain (and the choice among main.cf's), each MX with its
/// certificate and TLSA state, MTA-STS and TLS-RPT, the findings, and the records to publish.
enum DNSScreen {
    static func render(_ s: WizardState, into buffer: inout ScreenBuffer, body: Rect, glyphs: Glyphs) {
        let d = s.dns
        let w = body.width
        var y = body.y
        buffer.write([Span("Domain  ", Style(.heading, [.bold])), Span(domainLine(d, glyphs: glyphs))], x: 1, y: y, width: w - 2, ellipsis: glyphs.ellipsis)
        y += 1
        if d.candidates.count > 1 {
            let rows = min(d.candidates.count, WizardLayout.dnsCandidateRows)
            buffer.write("Mail domains in main.cf: choose one, Enter checks it", x: 3, y: y, width: w - 4, style: Style(.muted), ellipsis: glyphs.ellipsis)
            y += 1
            VirtualList(count: d.candidates.count, selection: d.list.selection, top: d.list.top, focused: true) { i in
                [Span(d.candidates[i] + (d.candidates[i] == d.domain && d.view != nil ? "  (shown below)" : ""))]
            }.render(into: &buffer, rect: Rect(x: 3, y: y, width: w - 6, height: rows), glyphs: glyphs)
            y += rows
        }
        y += 1
        let height = WizardLayout.dnsReportHeight(s.size, candidates: d.candidates.count)
        ScrolledLines(lines: reportLines(s, width: w - 3, glyphs: glyphs), top: d.top)
            .render(into: &buffer, rect: Rect(x: 1, y: y, width: w - 1, height: height), glyphs: glyphs)
    }

    static func domainLine(_ d: DNSStepState, glyphs: Glyphs) -> String {
        switch d.status {
        case .checking: return "checking \(d.domain ?? "")\(glyphs.ellipsis)"
        case .failed(let why): return "\(d.domain ?? ""): the check failed: \(why)"
        case .checked:
            guard let v = d.view else { return d.domain ?? "" }
            return "\(v.domain)  (resolver \(v.resolver), DNSSEC \(v.dnssec))"
        case .idle:
            if let domain = d.selectedDomain { return "\(domain): not checked yet, Enter checks it" }
            return d.candidatesKnown ? "none: main.cf names no mail domain; start postls with --domain DOMAIN" : "reading main.cf\(glyphs.ellipsis)"
        }
    }

    static func mark(_ m: DNSView.Mark) -> Span {
        switch m {
        case .ok: Span("OK  ", Style(.ok, [.bold]))
        case .warning: Span("WARN", Style(.warning, [.bold]))
        case .critical: Span("CRIT", Style(.critical, [.bold]))
        case .none: Span("-   ", Style(.muted))
        }
    }

    static func reportLines(_ s: WizardState, width: Int, glyphs: Glyphs) -> [[Span]] {
        guard let v = s.dns.view else { return [] }
        var lines: [[Span]] = []
        lines.append([Span("MX hosts", Style(.heading, [.bold])), Span(v.mx.isEmpty ? "  none: mail goes to the domain's own address" : "", Style(.warning))])
        for mx in v.mx {
            let here = mx.isThisServer ? Span("  \(glyphs.isUnicode ? "◀" : "<-") this server", Style(.ok, [.bold])) : Span("")
            lines.append([Span("  \(mx.preference) ", Style(.muted)), Span(mx.host, Style(.normal, [.bold])),
                          Span("  " + mx.addresses.joined(separator: " "), Style(.muted)), here])
            for line in mx.lines { lines += rows(line, indent: 4, width: width) }
        }
        lines.append([Span("Policies", Style(.heading, [.bold]))])
        for line in v.policies { lines += rows(line, indent: 2, width: width) }
        if !v.findings.isEmpty {
            lines.append([Span("Problems (also on the Overview, with their fixes)", Style(.heading, [.bold]))])
            for f in v.findings {
                let wrapped = Label.wrap(f.message, width: max(20, width - 8))
                lines.append([Span("  "), Label.severity(f.severity), Span("  " + f.cause.rawValue, Style(.normal, [.bold]))])
                for part in wrapped { lines.append([Span("        " + part)]) }
            }
        }
        if !v.records.isEmpty {
            lines.append([Span("Records to publish", Style(.heading, [.bold])), Span("  (zone-file lines, ready to paste)", Style(.muted))])
            // From the first column: a zone file reads a line that starts with a blank as the previous owner's.
            for record in v.records { lines.append([Span(record, Style(.key))]) }
        }
        return lines
    }

    /// A marked line, wrapped under its text rather than cut: the TLSA state is the point of the screen.
    static func rows(_ line: DNSView.Line, indent: Int, width: Int) -> [[Span]] {
        let lead = indent + 4 + 2 + 12
        let parts = Label.wrap(line.text, width: max(20, width - lead))
        var out: [[Span]] = [[Span(String(repeating: " ", count: indent)), mark(line.mark), Span("  " + Label.padded(line.label, 12)), Span(parts.first ?? "")]]
        for part in parts.dropFirst() { out.append([Span(String(repeating: " ", count: lead) + part)]) }
        return out
    }
}
