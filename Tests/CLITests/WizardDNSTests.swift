import Foundation
import PostlsCore
import Testing
import TestSupport
import TLSKit

/// The wizard's DNS step on real parts: NSD and a validating Unbound serving a signed zone whose TLSA record pins
/// a key the server no longer has (the state after a renewal that forgot DANE), a real Postfix serving the new
/// certificate, the real binary in tmux.
@Suite("The wizard's DNS step", .enabled(if: Prerequisites.postfix && Prerequisites.dnsServers && (Prerequisites.isCI || Prerequisites.has("tmux"))),
       .serialized)
struct WizardDNSTests {
    /// `3 1 1` data of a public key: SHA-256 of its SubjectPublicKeyInfo.
    static func tlsa311(_ publicKeyDER: [UInt8]) -> String { Digest.sha256.hexHash(publicKeyDER) }

    @Test func staleTLSAAppearsInProblemsWithTheRecordToPublish() throws {
        let dir = try TemporaryDirectory(prefix: "postls-wizard-dns")
        let factory = try CertificateFactory(directory: dir.file("pki"))
        let leaf = try factory.leaf("mx", commonName: "mx.stale.postls.example")
        let served = Self.tlsa311(leaf.certificate.publicKeyDER)
        let old = Self.tlsa311(try PrivateKey.generate(.ecdsaP256).publicKeyDER)
        let dns = try DNSServers(zones: [TestZone("stale.postls.example", signing: .signed, records: [
            "@ IN MX 10 mx.stale.postls.example.", "mx IN A 127.0.0.1",
            "_25._tcp.mx IN TLSA 3 1 1 \(old)",
            "_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tls@stale.postls.example\"",
        ])])
        defer { dns.stop() }
        let mainCF = "smtpd_tls_security_level = may\nsmtpd_tls_chain_files = \(leaf.keyAndChainFile)\n"
        try PostfixInstance.with(mainCF: mainCF, listeners: [PostfixListener(name: "smtp")]) { postfix in
            let port = try #require(postfix.listener(named: "smtp")).port
            let t = try TmuxSession(["/bin/sh"], width: 132, height: 45, environment: ["LANG": "C.UTF-8", "NO_COLOR": "1"])
            defer { t.kill() }
            try t.send("-l", "\(PostlsBinary.path) --config-dir \(postfix.configDirectory) --log \(postfix.logFile) --smtp-port \(port) "
                + "--ca-file \(factory.rootFile) --timeout 5 --domain stale.postls.example --resolver \(dns.resolverArgument) --mx-port \(port)")
            try t.send("Enter")
            // A critical problem on the Overview, with the DNS evidence.
            var (found, screen) = t.waitFor("CRIT  dane_mismatch", timeout: 60)
            #expect(found, "the stale TLSA record must be among the Problems: \(screen)")
            try t.capture("1-overview-dns", restoring: 132, 45)
            #expect(screen.contains("stale.postls.example: 1 problem (dane_mismatch), MX mx.stale.postls.example is this server"), "\(screen)")

            // The Probe step: the named senders under the domain's DANE policy, as `postls diagnose --domain`'s table has
            // them: a DANE sender defers on a TLSA record that pins neither key, where the probe alone says TLS.
            screen = try t.step("3", until: "Postfix 3.x with DANE", timeout: 10)
            let daneRow = screen.split(separator: "\n").first { $0.contains("Postfix 3.x with DANE") } ?? ""
            #expect(daneRow.contains("defer"), "a DANE sender defers on a stale TLSA record: \(daneRow)")
            #expect(screen.contains("under the domain's DANE"), "the heading says the DNS decided: \(screen)")

            // The DNS step: the MX is this server, the record is stale (neither key), the record to publish pins the served key.
            screen = try t.step("8", until: "STALE", timeout: 10)
            #expect(screen.contains("mx.stale.postls.example") && screen.contains("this server"), "\(screen)")
            try t.capture("8-dns-stale-tlsa", restoring: 132, 45)
            #expect(screen.contains("match neither the served key nor the key on disk"), "\(screen)")
            #expect(screen.contains("TLS-RPT") && screen.contains("v=TLSRPTv1; rua=mailto:tls@stale.postls.example"), "\(screen)")
            try t.send("PageDown")
            (found, screen) = t.waitFor(served, timeout: 10)
            #expect(found, "the TLSA record to publish pins the served key \(served): \(screen)")
            #expect(screen.contains("_25._tcp.mx.stale.postls.example. 3600 IN TLSA ("), "\(screen)")
            #expect(!screen.contains(old), "the stale record is never offered: \(screen)")

            // Fixes: the DNS problem's fix is the record, ready to paste.
            try t.send("5")
            #expect(t.waitFor("Evidence  ", timeout: 10).found)
            for _ in 0..<8 where !(t.screen().split(separator: "\n").first { $0.contains("▶") }?.contains("dane_mismatch") ?? false) {
                try t.send("Down")
                usleep(150_000)
            }
            (found, screen) = t.waitFor("Publish TLSA at _25._tcp.mx.stale.postls.example", timeout: 10)
            #expect(found, "\(screen)")
            (found, screen) = t.waitFor(served, timeout: 5)
            if !found {
                try t.send("Tab")
                try t.send("PageDown")
                (found, screen) = t.waitFor(served, timeout: 10)
            }
            #expect(found && screen.contains("Publish at your DNS provider"), "\(screen)")
            try t.capture("5-fixes-dns-record", restoring: 132, 45)
            try t.send("q")
            usleep(300_000)
            if t.screen().contains("Quit") { try t.send("y") }
        }
    }
}
