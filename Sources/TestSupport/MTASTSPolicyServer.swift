import Foundation
import PostlsCore
import TLSKit

extension LoopbackServer {
    /// A local HTTPS server for `mta-sts.DOMAIN` that serves `policy` with a certificate from the test CA.
    public static func mtaSTSPolicy(_ factory: CertificateFactory, domain: String, policy: String) throws -> LoopbackServer {
        let cert = try factory.leaf("mta-sts-\(UUID().uuidString.prefix(8))", commonName: "mta-sts.\(domain)")
        let context = try TLSContext(role: .server, options: .init(certificateChainFile: cert.fullChainFile, privateKeyFile: cert.keyFile))
        return try LoopbackServer.tls(context: context) { tls in
            let deadline = Deadline.after(seconds: 5)
            while let line = try? tls.readLine(deadline: deadline, stage: "request"), !line.isEmpty {}
            let body = policy.replacingOccurrences(of: "\n", with: "\r\n")
            try? tls.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)",
                           deadline: deadline, stage: "response")
        }
    }
}
