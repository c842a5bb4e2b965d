import PostlsCore
import WizardCore

/// A log of any size whose events are made up on demand from their index: the benchmark and the
/// large-log tests use it to show the Logs step's cost depends on the screen, not the log.
public struct SyntheticLogEvents: LogEventSource {
    public let count: Int
    private static let causes: [Cause] = [.protocolMismatch, .protocolMismatch, .protocolMismatch, .peerAborted, .peerAborted,
                                          .noSharedCipher, .untrustedCertificate, .handshakeTimeout, .unclassified, .keyMismatch]
    private static let peers = ["mx1.example.net", "relay.example.com", "smtp.isp.example", "unknown", "mail.school.example",
                                "out.bulk.example", "mta.partner.example"]
    private static let services = ["smtp", "smtp", "smtp", "submission", "smtps"]

    public init(count: Int) { self.count = count }

    public func cause(at index: Int) -> Cause { Self.causes[(index &* 7) % Self.causes.count] }

    public func peer(at index: Int) -> String {
        let peer = Self.peers[(index / 3) % Self.peers.count]
        return "\(peer)[198.51.\(index / 250 % 250).\(index % 250)]"
    }

    public func service(at index: Int) -> String { Self.services[index % Self.services.count] }

    public func event(at index: Int) -> LogEventRow {
        let peer = Self.peers[(index / 3) % Self.peers.count]
        let address = "198.51.\(index / 250 % 250).\(index % 250)"
        let service = Self.services[index % Self.services.count]
        let second = index % 86_400
        let time = String(format2: 1 + (index / 86_400) % 28, second / 3600, second / 60 % 60, second % 60)
        let pid = 1000 + index % 30_000
        let program = service == "smtp" ? "postfix/smtpd" : "postfix/\(service)/smtpd"
        let who = "\(peer)[\(address)]"
        return LogEventRow(time: time, peerName: peer == "unknown" ? nil : peer, peerAddress: address, service: service,
                           cause: cause(at: index), confidence: index % 5 == 0 ? .medium : .high, lines: [
                            "\(time) mail \(program)[\(pid)]: connect from \(who)",
                            "\(time) mail \(program)[\(pid)]: SSL_accept error from \(who): -1",
                            "\(time) mail \(program)[\(pid)]: lost connection after STARTTLS from \(who)",
                           ])
    }
}
