import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit
@testable import MailDNS

/// The MTA-STS policy fetch over real TLS from a local HTTPS server (certificates from the test CA).
@Suite(.serialized)
struct PolicyFetchTests {
    static let policy = "version: STSv1\r\nmode: enforce\r\nmx: mx.postls.example\r\nmax_age: 86400\r\n"

    /// Serves `response` after reading the request; `holdOpen` keeps the connection open afterwards (keep-alive).
    func withServer(host: String = "mta-sts.postls.example", response: String, holdOpen: Bool = false,
                    _ body: (SocketAddress, CertificateFactory) throws -> Void) throws {
        let dir = try TemporaryDirectory(prefix: "postls-sts")
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let cert = try factory.leaf("sts", commonName: host)
        let context = try TLSContext(role: .server, options: .init(certificateChainFile: cert.fullChainFile, privateKeyFile: cert.keyFile))
        let server = try LoopbackServer.tls(context: context) { tls in
            let deadline = Deadline.after(seconds: 5)
            while let line = try? tls.readLine(deadline: deadline, stage: "request"), !line.isEmpty {}
            try? tls.write(response, deadline: deadline, stage: "response")
            if holdOpen { _ = try? tls.readLine(deadline: .after(seconds: 4), stage: "hold") }
        }
        defer { server.stop() }
        try body(server.address, factory)
    }

    func fetch(_ address: SocketAddress, _ factory: CertificateFactory, host: String = "mta-sts.postls.example") throws -> String {
        try HTTPSPolicyFetcher(trust: .file(factory.rootFile)).fetchPolicy(host: host, addresses: [address], deadline: .after(seconds: 3))
    }

    @Test func contentLengthBodyIsReadWithoutWaitingForClose() throws {
        let response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(Self.policy.utf8.count)\r\n\r\n" + Self.policy
        try withServer(response: response, holdOpen: true) { address, factory in
            let start = Date()
            let text = try fetch(address, factory)
            #expect(text == Self.policy)
            #expect(Date().timeIntervalSince(start) < 2.5)
        }
    }

    @Test func chunkedBodyIsDecoded() throws {
        let half = Self.policy.utf8.count / 2
        let first = String(Self.policy.prefix(half)), second = String(Self.policy.dropFirst(half))
        let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + String(first.utf8.count, radix: 16) + "\r\n" + first + "\r\n"
            + String(second.utf8.count, radix: 16) + ";ext=1\r\n" + second + "\r\n0\r\n\r\n"
        try withServer(response: response, holdOpen: true) { address, factory in
            let text = try fetch(address, factory)
            #expect(text == Self.policy)
        }
    }

    @Test func redirectsAreNotFollowed() throws {
        try withServer(response: "HTTP/1.1 301 Moved\r\nLocation: https://elsewhere/\r\nContent-Length: 0\r\n\r\n") { address, factory in
            #expect { try fetch(address, factory) } throws: { "\($0)".contains("301") && "\($0)".contains("redirects are not followed") }
        }
    }

    @Test func aCertificateForAnotherNameIsRefused() throws {
        try withServer(host: "www.postls.example", response: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") { address, factory in
            #expect { try fetch(address, factory) } throws: { "\($0)".contains("does not verify") && "\($0)".contains("hostname mismatch") }
        }
    }

    @Test func aSilentServerTimesOut() throws {
        let listener = try TCPListener(ip: "127.0.0.1")  // accepts into the backlog, never answers
        defer { listener.close() }
        let start = Date()
        #expect(throws: MTASTSError.self) {
            try HTTPSPolicyFetcher(trust: .system).fetchPolicy(host: "mta-sts.postls.example", addresses: [listener.address], deadline: .after(seconds: 1))
        }
        #expect(Date().timeIntervalSince(start) < 2.5)
    }

    @Test func chunkedDecoderHandlesPartialAndBrokenInput() {
        #expect(HTTPChunked.decode(Array("3\r\nabc\r\n0\r\n\r\n".utf8)) == .complete(Array("abc".utf8)))
        #expect(HTTPChunked.decode(Array("3\r\nab".utf8)) == .incomplete)
        #expect(HTTPChunked.decode(Array("zz\r\nabc\r\n".utf8)) == .malformed)
        #expect(HTTPChunked.decode(Array("3\r\nabcXY0\r\n\r\n".utf8)) == .malformed)
        #expect(HTTPChunked.decode([]) == .incomplete)
    }
}
