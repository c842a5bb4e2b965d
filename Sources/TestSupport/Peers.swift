import Foundation
import PostlsCore
import TLSKit

/// Real TLS/SMTP peers run against test servers: the oracles and the traffic generators.
public enum Peers {
    /// `openssl s_client` against `address`. `starttls` adds `-starttls smtp`; `input` is sent after the handshake.
    public static func opensslClient(_ address: SocketAddress, starttls: Bool, arguments: [String] = [],
                                     input: String = "QUIT\n", timeout: Double = 15,
                                     runner: ProcessRunner = SystemProcessRunner()) throws -> ProcessOutput {
        var args = ["s_client", "-connect", address.description, "-servername", "mail.postls.test"]
        if starttls { args += ["-starttls", "smtp"] }
        // Wait for the server to close after QUIT, so replies after the handshake are captured.
        args.append("-ign_eof")
        args += arguments
        return try runner.run("openssl", args, stdin: Data(input.utf8), environment: nil, timeout: timeout)
    }

    /// A legacy sender: STARTTLS offering TLS 1.0 only (OpenSSL at security level 0, as an old appliance).
    public static func legacySender(_ address: SocketAddress, input: String = "QUIT\n") throws -> ProcessOutput {
        try opensslClient(address, starttls: true, arguments: ["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"], input: input)
    }

    /// `swaks` (a real SMTP client) with the given arguments.
    public static func swaks(_ arguments: [String], timeout: Double = 30, runner: ProcessRunner = SystemProcessRunner()) throws -> ProcessOutput {
        try runner.run("swaks", arguments, stdin: nil, environment: nil, timeout: timeout)
    }

    /// `posttls-finger` (Postfix's own TLS probe).
    public static func posttlsFinger(_ arguments: [String], timeout: Double = 30, runner: ProcessRunner = SystemProcessRunner()) throws -> ProcessOutput {
        try runner.run("posttls-finger", arguments, stdin: nil, environment: nil, timeout: timeout)
    }

    /// Sends raw bytes to a port and reads what comes back until the peer closes or `timeout`.
    public static func raw(_ address: SocketAddress, send: [UInt8], readFor timeout: Double = 2) throws -> String {
        let socket = try TCPSocket.connect(to: address, deadline: .after(seconds: 5))
        defer { socket.close() }
        let deadline = Deadline.after(seconds: timeout)
        var lines: [String] = []
        // Read the greeting first when the server talks first (STARTTLS ports); ignore a timeout.
        if !send.isEmpty { try socket.write(send, deadline: deadline, stage: "send") }
        while let line = try? socket.readLine(deadline: deadline, stage: "read") { lines.append(line) }
        return lines.joined(separator: "\n")
    }
}
