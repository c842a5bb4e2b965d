import PostlsCore
import TLSKit
import TLSProbe

/// Fetches the certificate chain an MX serves: the side effect behind a protocol. A failure is TLSProbe's
/// `ProbeError`, naming the phase the dialogue stopped in.
public protocol MXCertificateFetching: Sendable {
    func servedChain(host: String, address: SocketAddress, deadline: Deadline) throws(ProbeError) -> ServedChain
}

/// STARTTLS with SNI = the MX name, through TLSProbe's SMTP dialogue (`ServedChainFetcher`).
public struct STARTTLSCertificateFetcher: MXCertificateFetching {
    let fetcher: ServedChainFetcher

    /// `timeout`: seconds for each phase of the dialogue (the deadline given per call bounds the whole connection).
    public init(trust: TrustAnchors = .system, heloName: String = "postls.invalid", timeout: Double = 5) {
        fetcher = ServedChainFetcher(options: ProbeOptions(phaseTimeout: timeout, listenerTimeout: timeout, ehloName: heloName, trust: trust))
    }

    public func servedChain(host: String, address: SocketAddress, deadline: Deadline) throws(ProbeError) -> ServedChain {
        try fetcher.fetch(ProbeTarget(host: host, address: address, mode: .starttls, expectedName: nil), deadline: deadline)
    }
}
