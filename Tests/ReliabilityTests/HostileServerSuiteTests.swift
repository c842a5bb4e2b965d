import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit
import TLSProbe

/// What a probe of one hostile server must end with.
struct HostileExpectation: Sendable {
    /// The phase named in `error.phase`; nil when the probe must succeed.
    var phase: ProbePhase?
    /// Words the error message must contain (the clear message a mail admin reads).
    var message: [String]
    /// True when one phase deadline ends the probe (one connection, no version matrix).
    var endsInOnePhase: Bool
    /// The most bytes the prober may read on its failing connection: memory stays bounded by reading little.
    var maxBytesRead: Int?

    static func of(_ behaviour: HostileBehaviour) -> HostileExpectation {
        switch behaviour {
        case .silent: return .init(phase: .greeting, message: ["no greeting"], endsInOnePhase: true, maxBytesRead: 0)
        case .oneBytePerSecond: return .init(phase: .greeting, message: ["bytes of its greeting reply but no complete line"], endsInOnePhase: true, maxBytesRead: 16)
        case .endlessLine: return .init(phase: .greeting, message: ["without a line end"], endsInOnePhase: true, maxBytesRead: 16 * 1024)
        case .tenMegabyteGreeting: return .init(phase: .greeting, message: ["did not end after"], endsInOnePhase: true, maxBytesRead: 128 * 1024)
        case .malformedMultilineEHLO: return .init(phase: .ehlo, message: ["not an SMTP reply", "25O-STARTTLS"], endsInOnePhase: true, maxBytesRead: 4096)
        case .endlessMultilineEHLO: return .init(phase: .ehlo, message: ["did not end after"], endsInOnePhase: true, maxBytesRead: 128 * 1024)
        case .closeAfterSTARTTLS: return .init(phase: .handshake, message: ["the connection during the TLS handshake, without a TLS alert"], endsInOnePhase: false, maxBytesRead: nil)
        case .garbageInsteadOfServerHello: return .init(phase: .handshake, message: ["after its 220 reply to STARTTLS", "not TLS", "(binary data)"], endsInOnePhase: true, maxBytesRead: nil)
        case .tlsAlert: return .init(phase: .handshake, message: ["handshake failure"], endsInOnePhase: false, maxBytesRead: nil)
        case .fiftyCertificateChain: return .init(phase: nil, message: [], endsInOnePhase: false, maxBytesRead: nil)
        case .megabyteCertificate: return .init(phase: .handshake, message: ["certificate chain", "larger than the 100 KB"], endsInOnePhase: false, maxBytesRead: nil)
        case .resetMidHandshake: return .init(phase: .handshake, message: ["reset the connection during the TLS handshake"], endsInOnePhase: false, maxBytesRead: nil)
        }
    }
}

/// Issue 9, part 1: every hostile server ends the probe within its deadline, with a phase and a clear message,
/// in bounded memory; both in-process (`Prober`) and through the real binary (`postls probe --json`).
/// Serialized so wall times and peak RSS are not inflated by the suite's own parallelism.
@Suite("Hostile servers", .serialized)
struct HostileServerSuiteTests {
    /// The phase timeout (`--timeout`); a listener's deadline is four of them.
    static let phaseTimeout = 2.0
    static var listenerDeadline: Double { phaseTimeout * 4 }
    /// Set by scripts/sanitizers.sh: instrumented code runs several times slower and uses several times the memory.
    static let sanitizer = ProcessInfo.processInfo.environment["POSTLS_SANITIZER"]
    /// Slack for thread start-up and a loaded CI machine (2 shared cores).
    static let margin = sanitizer == nil ? 2.0 : 10.0
    /// Slack for the binary: process start, dynamic loading, OpenSSL initialisation.
    static let binaryMargin = sanitizer == nil ? 4.0 : 20.0
    /// Peak RSS bound for one `postls probe` process (not checked under a sanitizer, whose shadow memory dominates).
    static let peakRSSLimit = sanitizer == nil ? 64 * 1024 * 1024 : Int.max

    static func bound(_ expectation: HostileExpectation) -> Double {
        expectation.endsInOnePhase ? phaseTimeout : listenerDeadline
    }

    @Test(arguments: HostileBehaviour.allCases)
    func probeEndsWithinItsDeadlineWithAPhaseAndBoundedMemory(_ behaviour: HostileBehaviour) throws {
        let directory = try TemporaryDirectory(prefix: "postls-hostile")
        let hostile = try HostileServer(behaviour, directory: directory.path)
        defer { hostile.stop() }
        let expectation = HostileExpectation.of(behaviour)

        // In-process.
        let prober = try Prober(options: ProbeOptions(phaseTimeout: Self.phaseTimeout, backoffAfter421: 0.1))
        let start = Deadline.now()
        let report = prober.probe([ProbeTarget(host: "127.0.0.1", address: hostile.address, mode: .starttls, expectedName: nil)])
        let seconds = Double(Deadline.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let result = try #require(report.targets.first)
        #expect(result.error?.phase == expectation.phase, "\(behaviour): \(String(describing: result.error))")
        for word in expectation.message {
            #expect(result.error?.message.contains(word) == true, "\(behaviour): message lacks \"\(word)\": \(result.error?.message ?? "none")")
        }
        #expect(seconds < Self.bound(expectation) + Self.margin, "\(behaviour): in-process probe took \(seconds) s")
        if let limit = expectation.maxBytesRead {
            let read = result.error?.bytesReceived ?? Int.max
            #expect(read <= limit, "\(behaviour): the prober read \(read) bytes (limit \(limit))")
        }
        if expectation.endsInOnePhase { #expect(result.connections == 1, "\(behaviour): \(result.connections) connections") }
        if behaviour == .fiftyCertificateChain {
            #expect(result.chain.count == 50)
            #expect(result.negotiated != nil)
            #expect(result.verify?.code != 0, "a chain to an unknown root must not verify")
        }

        // The real binary, measured as its own child.
        let run = try MeasuredProcess.run(PostlsBinary.path, ["probe", "127.0.0.1", "--port", "\(hostile.port)", "--json",
                                                             "--timeout", "\(Int(Self.phaseTimeout))"], timeout: 60)
        #expect([0, 1, 2].contains(run.status), "\(behaviour): exit \(run.status); stderr: \(run.stderr.suffix(500))")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(behaviour): \(run.stdout.prefix(300))")
        let target = try #require((object["targets"] as? [[String: Any]])?.first)
        let error = target["error"] as? [String: Any]
        #expect(error?["phase"] as? String == expectation.phase?.rawValue, "\(behaviour): \(String(describing: error))")
        for word in expectation.message {
            #expect((error?["message"] as? String)?.contains(word) == true,
                    "\(behaviour): JSON message lacks \"\(word)\": \(error?["message"] as? String ?? "none")")
        }
        #expect(run.seconds < Self.bound(expectation) + Self.binaryMargin, "\(behaviour): postls probe took \(run.seconds) s")
        #expect(run.peakRSSBytes < Self.peakRSSLimit, "\(behaviour): peak RSS \(run.peakRSSMegabytes) MB")

        let figure = String(format: "| %@ | %@ | %.2f | %.2f | %.1f | %d |", behaviour.rawValue, expectation.phase?.rawValue ?? "none",
                            seconds, run.seconds, run.peakRSSMegabytes, result.connections)
        Self.record(figure)
    }

    /// Prints a row of docs/RELIABILITY.md's table and appends it to POSTLS_RELIABILITY_FIGURES when set.
    static func record(_ figure: String) {
        print("hostile-figure " + figure)
        if let path = ProcessInfo.processInfo.environment["POSTLS_RELIABILITY_FIGURES"],
           let handle = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) {
            handle.seekToEndOfFile()
            handle.write(Data((figure + "\n").utf8))
            try? handle.close()
        }
    }

    /// The yardstick for the figures: the same binary against a server that refuses the connection at once.
    @Test func baselinePeakRSSOfAProbeThatEndsAtOnce() throws {
        let port = freePort()
        let run = try MeasuredProcess.run(PostlsBinary.path, ["probe", "127.0.0.1", "--port", "\(port)", "--json", "--timeout", "2"], timeout: 60)
        #expect(run.stdout.contains("\"phase\" : \"connect\""), "\(run.stdout.prefix(300))")
        #expect(run.peakRSSBytes < Self.peakRSSLimit)
        Self.record(String(format: "| baseline (connection refused) | connect | - | %.2f | %.1f | 1 |", run.seconds, run.peakRSSMegabytes))
    }
}
