import Foundation
import PostlsCore
import Synchronization
import TLSKit

extension ProbeOptions {
    /// The connections one listener's probe may make, step by step as `Prober.probeListener` makes them: the
    /// default handshake; one per TLS version when the version matrix is on (all of them when the default one
    /// failed); one without SNI; one per named sender. Retries after a 421 not counted. Nil with the cipher
    /// enumeration, whose count depends on the server.
    public var plannedConnectionsPerListener: Int? {
        guard !enumerateCiphers else { return nil }
        return 1 + (versionMatrix ? TLSVersion.allCases.count : 0) + (checkWithoutSNI ? 1 : 0) + senders.count
    }
}

/// Progress of a probe run, for a progress line on stderr.
public enum ProbeProgress: Sendable {
    case started(ProbeTarget)
    case connection(ProbeTarget, String)
    case finished(ListenerProbeResult)
}

/// The probe engine: probes listeners with the system OpenSSL, a bounded number at a time.
///
/// Per listener the default probe uses at most 6 connections: a default handshake with SNI (chain,
/// negotiated parameters, capabilities before/after TLS, and its own version proven accepted), one
/// handshake pinned to each other TLS version, and one default handshake without SNI; then one handshake per
/// named sender profile (`options.senders`, 5 by default) unless the version matrix already rejected all its versions,
/// on listeners other mail servers deliver to (`ProbeTarget.isMX`) only.
public final class Prober: Sendable {
    public let options: ProbeOptions
    private let clock: WallClock
    private let contexts: ContextSet
    /// Notes when and from where each listener was probed, so the log engine can tell these connections from peers'.
    public let recorder: ProbeRecorder?

    public init(options: ProbeOptions = ProbeOptions(), clock: WallClock = SystemClock(), recorder: ProbeRecorder? = nil) throws {
        self.options = options
        self.clock = clock
        self.contexts = try ContextSet()
        self.recorder = recorder
    }

    /// Probes every target, at most `options.maxConnections` at once, and returns results in target order.
    /// Blocking: the socket calls wait in poll(2), so this runs on its own threads, not the cooperative pool.
    public func probe(_ targets: [ProbeTarget], progress: (@Sendable (ProbeProgress) -> Void)? = nil) -> ProbeReport {
        let results = ResultBox(count: targets.count)
        let next = Counter()
        let group = DispatchGroup()
        let workers = min(options.maxConnections, max(1, targets.count))
        // Opening records for the whole run before the first connection: a log read while this runs (the wizard
        // reads logs and probes at once) or after a crash half-way still knows these connections.
        let rounds = (targets.count + workers - 1) / workers
        let ids = recorder?.open(targets, upTo: Double(rounds) * (options.listenerTimeout + options.backoffAfter421 + 1) + 5,
                                 failures: maxConnectionsPerListener) ?? []
        for _ in 0..<workers {
            group.enter()
            let thread = Thread { [self] in
                blockSIGPIPEOnThisThread()
                while let index = next.take(below: targets.count) {
                    progress?(.started(targets[index]))
                    let result = self.probe(targets[index], recordID: index < ids.count ? ids[index] : nil, progress: progress)
                    results.set(index, result)
                    progress?(.finished(result))
                }
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        var report = ProbeReport(targets: results.all)
        Self.addAddressFamilyFindings(&report)
        return report
    }

    /// Async form of `probe(_:)` for Swift concurrency callers (the wizard); the work runs on dedicated threads.
    public func report(for targets: [ProbeTarget], progress: (@Sendable (ProbeProgress) -> Void)? = nil) async -> ProbeReport {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.probe(targets, progress: progress)) }.start()
        }
    }

    /// Probes one listener (blocking). Call it from a thread that blocks or ignores SIGPIPE (see
    /// `blockSIGPIPEOnThisThread()`); `probe(_: [ProbeTarget])` runs its work on such threads.
    public func probe(_ target: ProbeTarget, progress: (@Sendable (ProbeProgress) -> Void)? = nil) -> ListenerProbeResult {
        let ids = recorder?.open([target], upTo: options.listenerTimeout + options.backoffAfter421 + 6, failures: maxConnectionsPerListener) ?? []
        return probe(target, recordID: ids.first, progress: progress)
    }

    /// The failures an opening record may claim: every connection `probeListener` plans, each retried once after a 421.
    private var maxConnectionsPerListener: Int? { options.plannedConnectionsPerListener.map { 2 * $0 } }

    /// Probes one listener and, with a recorder, closes its record with the real window and source addresses.
    private func probe(_ target: ProbeTarget, recordID: String?, progress: (@Sendable (ProbeProgress) -> Void)?) -> ListenerProbeResult {
        let started = recorder?.clock.now()
        let locals = LocalAddresses()
        let result = probeListener(target, locals: locals, progress: progress)
        if let recorder, let recordID, let started {
            recorder.close(id: recordID, target: target, start: started, sources: locals.all, failures: locals.failures)
        }
        return result
    }

    private func probeListener(_ target: ProbeTarget, locals: LocalAddresses, progress: (@Sendable (ProbeProgress) -> Void)?) -> ListenerProbeResult {
        let start = Deadline.now()
        let overall = Deadline.after(seconds: options.listenerTimeout)
        var result = ListenerProbeResult(target: target)
        let connection = ProbeConnection(target: target, options: options, overall: overall)
        var connections = 0
        var rateLimited = false
        var refusedAgain = false

        // Runs one connection, backing off once when the server answers 421 on a later connection.
        func run(_ context: TLSContext, sni: String?, full: Bool, label: String) -> ConnectionOutcome {
            progress?(.connection(target, label))
            connections += 1
            var outcome = connection.run(context: context, serverName: sni, fullDialogue: full)
            locals.add(outcome)
            if outcome.serviceUnavailable && connections > 1 && !overall.hasPassed {
                rateLimited = true
                let pause = min(options.backoffAfter421, Double(overall.remainingMilliseconds) / 1000)
                if pause > 0 { usleep(UInt32(pause * 1_000_000)) }
                connections += 1
                outcome = connection.run(context: context, serverName: sni, fullDialogue: full)
                locals.add(outcome)
                // Still refused after the pause: stop asking; the rest stays untested.
                if outcome.serviceUnavailable { refusedAgain = true }
            }
            return outcome
        }

        // 1. The default handshake, with SNI: everything but the version matrix.
        let first = run(contexts.default, sni: target.serverName, full: true, label: "default handshake")
        Self.record(first, of: target, into: &result)
        var chain = first.chain
        // Stop when there is no handshake to vary: no TLS at all, a stall, or plaintext on an implicit port.
        let canVary = first.handshakeCompleted || [.protocolVersion, .handshakeFailure, .closed, .other].contains(first.handshakeFailure)
        var failureKinds: [HandshakeFailureKind] = first.handshakeFailure.map { [$0] } ?? []
        if canVary {
            // 2. One handshake per version not yet known.
            for version in TLSVersion.allCases where options.versionMatrix && result.status(version) == .untested && !overall.hasPassed && !refusedAgain {
                guard let context = contexts.pinned[version] else { continue }
                let outcome = run(context, sni: target.serverName, full: false, label: version.rawValue)
                if outcome.handshakeCompleted {
                    result.protocols[version.rawValue] = .accepted
                    if chain.isEmpty { chain = outcome.chain }
                } else if let kind = outcome.handshakeFailure, kind != .timeout {
                    result.protocols[version.rawValue] = .rejected
                    failureKinds.append(kind)
                }
            }
            // 3. Without SNI: does the server fall back to another certificate?
            if options.checkWithoutSNI, first.handshakeCompleted, target.serverName != nil, !overall.hasPassed, !refusedAgain {
                let outcome = run(contexts.default, sni: nil, full: false, label: "without SNI")
                if outcome.handshakeCompleted {
                    result.negotiatedWithoutSNI = outcome.negotiated
                    result.sameChainWithoutSNI = outcome.chain.first?.sha256Fingerprint == first.chain.first?.sha256Fingerprint
                }
            }
            // 4. Optional: every accepted cipher suite per version.
            if options.enumerateCiphers {
                var ciphers: [String: [String]] = [:]
                for version in TLSVersion.allCases where result.status(version) == .accepted && !overall.hasPassed && !refusedAgain {
                    ciphers[version.rawValue] = enumerateCiphers(version, target: target, connection: connection, connections: &connections,
                                                                  overall: overall, locals: locals)
                }
                result.ciphers = ciphers
            }
        }

        checkChain(chain, of: target, into: &result)
        if result.error?.phase == .handshake, result.negotiated == nil, failureKinds.allSatisfy({ $0 == .protocolVersion }), !failureKinds.isEmpty {
            result.error?.message += " — the server accepts none of TLS 1.0–1.3 as offered (protocol_mismatch)"
        }
        // 5. Named senders: one handshake each, where the version matrix leaves the answer open.
        if target.isMX {
            result.profiles = senderVerdicts(result, target: target, mayConnect: { canVary && !refusedAgain && !overall.hasPassed }, run: run)
        }
        result.connections = connections
        result.elapsedMs = Int((Deadline.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1_000_000)
        result.findings = ProbeAnalysis.findings(for: result, handshakeFailures: failureKinds, rateLimited: rateLimited)
        return result
    }

    /// Each named sender's verdict, with its own handshake unless the version matrix already rules it out.
    private func senderVerdicts(_ result: ListenerProbeResult, target: ProbeTarget, mayConnect: () -> Bool,
                                run: (TLSContext, String?, Bool, String) -> ConnectionOutcome) -> [SenderVerdict] {
        options.senders.map { profile in
            var handshake: SenderHandshake?
            if mayConnect(), SenderVerdicts.matrixRules(out: profile, result) == nil,
               let context = contexts.senders[profile.id] {
                let outcome = run(context, profile.sendsSNI ? target.serverName : nil, false, "as \(profile.id)")
                handshake = SenderHandshake(negotiated: outcome.handshakeCompleted ? outcome.negotiated : nil,
                                            failure: outcome.handshakeCompleted ? nil : outcome.failure?.message ?? outcome.handshakeFailure.map { "\($0)" })
            }
            return SenderVerdicts.verdict(profile, result: result, handshake: handshake)
        }
    }

    /// What the first, full dialogue showed: greeting, STARTTLS, EHLO before and after, and the handshake.
    private static func record(_ first: ConnectionOutcome, of target: ProbeTarget, into result: inout ListenerProbeResult) {
        result.greeting = first.greeting?.firstLine
        result.starttlsOffered = target.mode == .starttls ? first.starttlsOffered : nil
        result.starttlsReply = first.starttlsReply?.firstLine
        result.capabilitiesBeforeTLS = first.ehloBefore.map { Self.keywords($0) }
        result.capabilitiesAfterTLS = first.ehloAfter.map { Self.keywords($0) }
        result.error = first.failure
        if let negotiated = first.negotiated, first.handshakeCompleted {
            result.negotiated = negotiated
            result.handshakeMs = first.handshakeMs
            if let version = TLSVersion(rawValue: negotiated.protocol) { result.protocols[version.rawValue] = .accepted }
        }
    }

    /// The served chain: described, verified, its expiry, the name it covers and its order.
    private func checkChain(_ chain: [Certificate], of target: ProbeTarget, into result: inout ListenerProbeResult) {
        let now = clock.now()
        result.chain = chain.map { ServedCertificate($0.info, now: now) }
        guard let leaf = chain.first else { return }
        // Verified as a TLS client verifies, so the code is the one `openssl s_client` prints against the
        // same server (21, where `openssl verify` on the leaf file says 20, for a leaf served alone).
        result.verify = (try? ChainVerifier.verify(leaf: leaf, intermediates: Array(chain.dropFirst()), trust: options.trust, mode: .tlsClient))
        result.daysToExpiry = leaf.info.daysUntilExpiry(from: now)
        if let name = target.expectedName { result.nameMatch = leaf.covers(host: name) }
        result.chainOrderProblems = Self.chainOrderProblems(chain)
    }

    /// Offers every cipher suite of one version, removing each accepted one, until the server refuses:
    /// what remains accepted, in the order the server chose them.
    private func enumerateCiphers(_ version: TLSVersion, target: ProbeTarget, connection: ProbeConnection,
                                  connections: inout Int, overall: Deadline, locals: LocalAddresses) -> [String] {
        var accepted: [String] = []
        var remaining = version == .tls1_3 ? ContextSet.tls13Suites : contexts.allLegacyCiphers
        while !remaining.isEmpty && !overall.hasPassed && accepted.count < 64 {
            let list = remaining.joined(separator: version == .tls1_3 ? ":" : ":")
            let options = TLSContext.Options(minVersion: version, maxVersion: version, securityLevel: 0,
                                             cipherList: version == .tls1_3 ? "ALL:@SECLEVEL=0" : list + ":@SECLEVEL=0",
                                             cipherSuites: version == .tls1_3 ? list : nil)
            guard let context = try? TLSContext(role: .client, options: options) else { break }
            connections += 1
            let outcome = connection.run(context: context, serverName: target.serverName, fullDialogue: false)
            locals.add(outcome)
            guard outcome.handshakeCompleted, let cipher = outcome.negotiated?.cipher, remaining.contains(cipher) else { break }
            accepted.append(cipher)
            remaining.removeAll { $0 == cipher }
        }
        return accepted
    }

    static func keywords(_ reply: SMTPReply) -> [String] {
        reply.lines.dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Each certificate should be issued by the one after it (RFC 8446 §4.4.2 relaxes this, but many clients don't).
    static func chainOrderProblems(_ chain: [Certificate]) -> [String] {
        guard chain.count > 1 else { return [] }
        var problems: [String] = []
        for i in 0..<(chain.count - 1) where !chain[i].isIssued(by: chain[i + 1]) {
            let issuedByLater = chain[(i + 1)...].contains { chain[i].isIssued(by: $0) }
            problems.append("certificate \(i + 1) (\(chain[i].subject)) is not issued by certificate \(i + 2) (\(chain[i + 1].subject))"
                            + (issuedByLater ? ": the chain is out of order" : ": its issuer is not next in the served chain"))
        }
        return problems
    }

    /// A listener that fails only over IPv6 while the same host and port work over IPv4 is a finding of its own.
    static func addAddressFamilyFindings(_ report: inout ProbeReport) {
        for i in report.targets.indices where report.targets[i].family == SocketAddress.Family.ipv6.rawValue && report.targets[i].error != nil {
            let t = report.targets[i]
            let v4OK = report.targets.contains { $0.host == t.host && $0.port == t.port && $0.family == SocketAddress.Family.ipv4.rawValue && $0.error == nil }
            guard v4OK, let error = t.error else { continue }
            let cause: Cause = error.phase == .handshake && (error.message.contains("stalled")) ? .handshakeTimeout : .unclassified
            report.targets[i].findings.append(ProbeFinding(
                id: "ipv6_only_failure", cause: cause, severity: .critical,
                message: "\(t.host) port \(t.port) works over IPv4 but fails over IPv6 (\(error.phase.rawValue): \(error.message)); "
                    + "senders that prefer IPv6 see this failure" + (cause == .handshakeTimeout ? "; a stall after the ClientHello only over IPv6 suggests filtered ICMPv6 packet-too-big (path MTU)" : "")))
        }
    }
}

/// Blocks SIGPIPE for the calling thread. OpenSSL writes to the socket with write(2), not send(MSG_NOSIGNAL):
/// a close_notify or QUIT to a peer that already closed raises SIGPIPE, which would kill the process. Blocked,
/// the signal stays pending on this thread and the write fails with EPIPE instead; the process's disposition
/// is left alone.
public func blockSIGPIPEOnThisThread() {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGPIPE)
    pthread_sigmask(SIG_BLOCK, &set, nil)
}

/// The client contexts a probe run shares across threads (SSL_CTX is safe to share for SSL_new).
final class ContextSet: Sendable {
    /// Offers TLS 1.0–1.3 at security level 0, so the server's choice is what decides.
    let `default`: TLSContext
    /// min = max = one version; nil when the local OpenSSL cannot offer it.
    let pinned: [TLSVersion: TLSContext]
    let allLegacyCiphers: [String]
    /// One context per named sender profile, by id.
    let senders: [String: TLSContext]
    static let tls13Suites = ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256", "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"]

    init() throws {
        self.default = try TLSContext(role: .client, options: .init(minVersion: .tls1, maxVersion: .tls1_3, securityLevel: 0,
                                                                   cipherList: "DEFAULT:@SECLEVEL=0"))
        var pinned: [TLSVersion: TLSContext] = [:]
        for version in TLSVersion.allCases {
            // ALL for the pinned probes: a version counts as accepted if any cipher at all works with it.
            pinned[version] = try? TLSContext(role: .client, options: .init(minVersion: version, maxVersion: version, securityLevel: 0,
                                                                            cipherList: "ALL:@SECLEVEL=0"))
        }
        self.pinned = pinned
        var senders: [String: TLSContext] = [:]
        for profile in SenderProfile.all { senders[profile.id] = try? TLSContext(role: .client, options: profile.contextOptions()) }
        self.senders = senders
        let all = (try? TLSContext(role: .client, options: .init(maxVersion: .tls1_2, securityLevel: 0, cipherList: "ALL:COMPLEMENTOFALL:@SECLEVEL=0")))?.offeredCipherNames ?? []
        allLegacyCiphers = all.filter { !$0.hasPrefix("TLS_") }
    }
}

/// The local ends of one listener's connections, and how many of them failed (the cipher enumeration runs
/// connections from a nested function, so this is a reference).
final class LocalAddresses: Sendable {
    private let state = Mutex<(addresses: [SocketAddress], failed: Int)>(([], 0))
    func add(_ outcome: ConnectionOutcome) {
        guard let address = outcome.local else { return }
        // A connection the server saw end in failure: the only kind it can log as a failed session.
        let failed = outcome.failure != nil || outcome.handshakeFailure != nil
        state.withLock { $0.addresses.append(address); if failed { $0.failed += 1 } }
    }
    var all: [SocketAddress] { state.withLock { $0.addresses } }
    var failures: Int { state.withLock { $0.failed } }
}

private final class ResultBox: Sendable {
    private let results: Mutex<[ListenerProbeResult?]>
    init(count: Int) { results = Mutex(Array(repeating: nil, count: count)) }
    func set(_ i: Int, _ r: ListenerProbeResult) { results.withLock { $0[i] = r } }
    var all: [ListenerProbeResult] { results.withLock { $0.compactMap { $0 } } }
}

private final class Counter: Sendable {
    private let value = Mutex(0)
    func take(below limit: Int) -> Int? {
        value.withLock { value in
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }
}
