import Foundation
import PostlsCore
import TLSKit

/// Debian's real `prometheus-node-exporter` serving only its textfile collector from a folder of this test, on a
/// free loopback port: what a fleet's Prometheus scrapes on a mail server.
public final class NodeExporter: @unchecked Sendable {
    public let textfileDirectory: String
    public let port: UInt16
    private let process: Process
    private let log: String

    /// Starts the exporter with every default collector off but textfile, and waits until it answers.
    public init(textfileDirectory: String, logFile: String, timeout: Double = 15) throws {
        self.textfileDirectory = textfileDirectory
        self.log = logFile
        port = freePort()
        process = try startDaemon("prometheus-node-exporter",
                                  ["--collector.disable-defaults", "--collector.textfile",
                                   "--collector.textfile.directory=\(textfileDirectory)",
                                   "--web.listen-address=127.0.0.1:\(port)"], log: logFile)
        let deadline = Deadline.after(seconds: timeout)
        while !deadline.hasPassed, let address = SocketAddress(ip: "127.0.0.1", port: port) {
            if let socket = try? TCPSocket.connect(to: address, deadline: .after(seconds: 1)) {
                socket.close()
                return
            }
            if !process.isRunning { break }
            usleep(50_000)
        }
        stop()
        throw HarnessError.startFailed("prometheus-node-exporter does not answer on 127.0.0.1:\(port): \(logText())")
    }

    /// The body of GET /metrics (fetched by Debian's python3, as a scraper would).
    public func metrics() throws -> String {
        let script = "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())"
        let out = try SystemProcessRunner().run("/usr/bin/python3", ["-c", script, "http://127.0.0.1:\(port)/metrics"], timeout: 30)
        guard out.succeeded else { throw HarnessError.startFailed("GET /metrics from node_exporter: \(out.stderr)") }
        return out.stdout
    }

    public func logText() -> String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
    }

    deinit { stop() }
}
