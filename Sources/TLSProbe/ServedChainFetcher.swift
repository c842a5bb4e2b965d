import PostlsCore
import TLSKit

/// The chain one listener served, and how it verified.
public struct ServedChain: Sendable {
    public var address: SocketAddress
    /// As served, leaf first.
    public var chain: [Certificate]
    /// The handshake's verify result against the fetcher's trust anchors (the code `openssl s_client` prints).
    public var verify: VerifyResult

    public init(address: SocketAddress, chain: [Certificate], verify: VerifyResult) {
        self.address = address; self.chain = chain; self.verify = verify
    }
}

/// Fetches the chain a listener serves with one connection of the probe's own dialogue (greeting, EHLO, STARTTLS
/// or implicit TLS, the handshake, EHLO and QUIT), for engines that need the certificates but not the protocol
/// matrix: MailDNS joins them with TLSA records and MTA-STS policies. Postls has this one SMTP client.
public struct ServedChainFetcher: Sendable {
    /// `phaseTimeout`, `ehloName`, the reply limits and `trust` apply; the handshake offers OpenSSL's defaults,
    /// as a sending MTA does, not the probe's every-version context.
    public let options: ProbeOptions

    public init(options: ProbeOptions) { self.options = options }

    /// Fails with the phase the dialogue stopped in (connect, greeting, EHLO, STARTTLS, handshake) and the
    /// probe's explanation. `deadline` bounds the whole connection, each phase also `options.phaseTimeout`.
    public func fetch(_ target: ProbeTarget, deadline: Deadline) throws(ProbeError) -> ServedChain {
        let context: TLSContext
        do { context = try TLSContext(role: .client, options: .init(trust: options.trust)) }
        catch { throw ProbeError(phase: .handshake, message: "\(error)") }
        let outcome = ProbeConnection(target: target, options: options, overall: deadline)
            .run(context: context, serverName: target.serverName, fullDialogue: true)
        guard outcome.handshakeCompleted, let verify = outcome.verify else {
            throw outcome.failure ?? ProbeError(phase: .handshake, message: "the TLS handshake did not complete")
        }
        return ServedChain(address: target.address, chain: outcome.chain, verify: verify)
    }
}
