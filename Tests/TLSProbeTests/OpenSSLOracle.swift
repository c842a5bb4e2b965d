import Foundation
import PostlsCore
import TestSupport
import TLSKit
import TLSProbe

/// `openssl s_client` as the oracle: what a real OpenSSL client negotiates against the same listener. `runner` picks
/// which OpenSSL: the machine's (3.0, Debian 12) by default, Debian 13's 3.5 with `ServerTools.toolRunner`.
enum OpenSSLOracle {
    struct Handshake: Equatable { var protocolVersion: String; var cipher: String }

    /// nil when s_client's handshake fails. `version` pins one version (with SECLEVEL=0 so 1.0/1.1 can be offered).
    static func handshake(_ address: SocketAddress, mode: ProbeMode, version: TLSVersion? = nil, extra: [String] = [],
                          runner: ProcessRunner = SystemProcessRunner()) throws -> Handshake? {
        var args = ["-cipher", "DEFAULT:@SECLEVEL=0"]
        if let version {
            switch version {
            case .tls1: args.append("-tls1")
            case .tls1_1: args.append("-tls1_1")
            case .tls1_2: args.append("-tls1_2")
            case .tls1_3: args.append("-tls1_3")
            }
            // Any cipher counts for "is this version accepted", as in the probe's pinned handshakes.
            args[1] = "ALL:@SECLEVEL=0"
        }
        let out = try Peers.opensslClient(address, starttls: mode == .starttls, arguments: args + extra, timeout: 15, runner: runner)
        // "New, (NONE), Cipher is (NONE)" on failure. The "New, TLSv1.0" field is the cipher's version, not the
        // protocol's: read "Protocol  :" and "Cipher    :" of the SSL-Session block instead.
        let lines = out.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        if lines.contains(where: { $0.hasPrefix("New, (NONE)") }) { return nil }
        func value(_ key: String) -> String? {
            lines.first { $0.hasPrefix(key) }.map { $0.dropFirst(key.count).trimmingCharacters(in: CharacterSet(charactersIn: " :")) }
        }
        guard let proto = value("Protocol"), let cipher = value("Cipher"), cipher != "0000", cipher != "(NONE)" else { return nil }
        return Handshake(protocolVersion: proto, cipher: cipher)
    }

    /// s_client's "Verify return code: N" against the given trust anchors (nil when no handshake completed).
    static func verifyCode(_ address: SocketAddress, mode: ProbeMode, caFile: String, runner: ProcessRunner = SystemProcessRunner()) throws -> Int? {
        let out = try Peers.opensslClient(address, starttls: mode == .starttls, arguments: ["-CAfile", caFile], timeout: 15, runner: runner)
        if out.stdout.contains("Cipher is (NONE)") { return nil }
        guard let range = out.stdout.range(of: #"Verify return code: (\d+)"#, options: .regularExpression) else { return nil }
        return Int(out.stdout[range].split(separator: " ").last ?? "")
    }

    /// The version matrix as s_client sees it.
    static func protocols(_ address: SocketAddress, mode: ProbeMode, runner: ProcessRunner = SystemProcessRunner()) throws -> [String: ProtocolStatus] {
        var out: [String: ProtocolStatus] = [:]
        for version in TLSVersion.allCases {
            let result = try handshake(address, mode: mode, version: version, runner: runner)
            out[version.rawValue] = result?.protocolVersion == version.rawValue ? .accepted : .rejected
        }
        return out
    }
}
