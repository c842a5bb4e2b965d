import PostlsCore
import TLSProbe

// From the probe engine's results to the wizard's rows. The probe knows addresses and ports; which
// master.cf service listens there comes from the config engine, so the caller passes it in.

extension ListenerStatus {
    /// The row for one probed listener. `service` is the master.cf service name on that port
    /// ("smtp", "submission", "smtps"); without one, the port number stands in.
    public init(_ r: ListenerProbeResult, service: String? = nil) {
        let worst = r.findings.filter { $0.cause != nil }.max { $0.severity < $1.severity }
        self.init(service: service ?? "port \(r.port)", port: r.port, address: r.address,
                  family: r.family == "IPv6" || r.address.contains(":") ? .ipv6 : .ipv4,
                  mode: r.mode == .implicit ? .implicit : .starttls,
                  tlsOK: r.negotiated != nil,
                  protocolVersion: r.negotiated?.protocol, cipher: r.negotiated?.cipher,
                  verifyCode: r.verify?.code, verifyMessage: r.verify?.message,
                  daysToExpiry: r.daysToExpiry ?? r.chain.first?.daysToExpiry,
                  errorPhase: r.error?.phase.rawValue, errorMessage: r.error?.message,
                  cause: worst?.cause,
                  protocolSupport: r.protocols.compactMapValues { status in
                      switch status {
                      case .accepted: true
                      case .rejected: false
                      case .untested: nil
                      }
                  },
                  senders: r.profiles.isEmpty ? nil : r.profiles.map(SenderStatus.init))
    }
}

extension SenderStatus {
    /// The row for one named sender's verdict; the label without its parenthesised approximation note.
    public init(_ v: SenderVerdict) {
        let short = v.label.range(of: " (").map { String(v.label[..<$0.lowerBound]) } ?? v.label
        let outcome: Outcome = switch v.outcome {
        case .tls: .tls
        case .plaintext: .plaintext
        case .defer: .defer
        }
        self.init(id: v.id, label: short, outcome: outcome, protocol: v.protocol, cipher: v.cipher, policy: v.policy, reasons: v.reasons)
    }
}

extension WizardEvent {
    /// The wizard's event for a probe engine progress report: a result arrives as `.probeResult`,
    /// a listener being started as progress. `done`/`total` count listeners; `service` names one.
    public static func probe(_ progress: ProbeProgress, done: Int, total: Int, service: (Int) -> String?) -> WizardEvent {
        switch progress {
        case .started(let target), .connection(let target, _):
            let address = target.address.ip.contains(":") ? "[\(target.address.ip)]" : target.address.ip
            let name = service(Int(target.port)).map { "\($0) " } ?? ""
            return .probeProgress(done: done, total: total, current: "\(name)\(target.port) \(address)")
        case .finished(let result):
            return .probeResult(ListenerStatus(result, service: service(result.port)))
        }
    }
}
