import Foundation
import MailLog
import PostlsCore

// From the log engine's events and summary to the wizard's rows.

extension LogEventRow {
    /// The row for one classified TLS failure. Raw lines keep "file:line: " (the file's base name)
    /// so an admin can find them again with less or grep.
    public init(_ e: TLSEvent) {
        let name = e.peer.flatMap { $0.name.isEmpty || $0.name == "unknown" ? nil : $0.name }
        let address = e.peer.flatMap { $0.address.isEmpty ? nil : $0.address }
        var lines = e.lines.map { line -> String in
            let file = (line.file as NSString).lastPathComponent
            return line.lineNumber > 0 ? "\(file):\(line.lineNumber): \(line.text)" : line.text
        }
        if e.omittedLines > 0 { lines.append("(\(e.omittedLines) more lines of this connection not kept)") }
        self.init(time: e.timeText, peerName: name, peerAddress: address, service: e.service ?? e.program,
                  cause: e.cause, confidence: e.confidence, lines: lines)
    }
}

extension LogTotals {
    /// The totals the wizard shows, from the log engine's summary; `sources` names the files read.
    public init(_ s: MailLog.LogSummary, sources: [String]) {
        self.init(linesRead: s.linesRead, linesSkipped: s.linesSkipped, byCause: s.byCause,
                  tlsEstablished: s.tlsEstablished, sources: sources, ownProbes: s.ownProbesCounted ? 0 : s.ownProbes,
                  outboundHops: s.outbound.count, outboundFailingHops: s.outbound.values.filter { $0.failures > 0 }.count)
    }
}
