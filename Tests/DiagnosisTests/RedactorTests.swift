import Foundation
import PostlsCore
import Testing
@testable import Diagnosis

@Suite struct RedactorTests {
    @Test func theSameNameAlwaysGetsTheSamePlaceholder() {
        var r = Redactor()
        r.learn(host: "mx.secret-corp.test")
        let a = r.redact("connect from MX.Secret-Corp.test[81.2.69.142]")
        let b = r.redact("banner: 220 mx.secret-corp.test ESMTP; again 81.2.69.142 and mx.secret-corp.test.")
        #expect(a == "connect from host1.example[192.0.2.1]")
        #expect(b == "banner: 220 host1.example ESMTP; again 192.0.2.1 and host1.example.")
        // The parent domain was learned with the host.
        #expect(r.redact("mydomain = secret-corp.test") == "mydomain = domain1.example")
    }

    @Test func unknownNamesAddressesAndMailAddressesAreCaughtByTheGenericPass() {
        var r = Redactor()
        let text = "from=<bob@partner-firm.test> to=<alice@partner-firm.test> via smtp.partner-firm.test[2a00:1450:4864:20::230]:25 and 10.1.2.3"
        let out = r.redact(text)
        for secret in ["bob", "alice", "partner-firm", "2a00:1450", "10.1.2.3"] { #expect(!out.contains(secret), "\(secret) in \(out)") }
        #expect(out.contains("user1@domain1.example") && out.contains("user2@domain1.example"))
        #expect(out.contains("2001:db8::1"))
        #expect(out.contains("192.0.2.1"))
    }

    @Test func fileNamesVersionsTimesAndLoopbackAreKept() {
        var r = Redactor()
        let text = "main.cf:12 master.cf fullchain.pem ca-certificates.crt TLSv1.2 Postfix 3.7.11 at 04:19:28 on 127.0.0.1 and ::1, e.g. this"
        #expect(r.redact(text) == text)
        // A name with a file extension keeps the extension.
        #expect(r.redact("/etc/ssl/mail.secret-corp.test.pem") == "/etc/ssl/host1.example.pem")
    }

    @Test func placeholdersAreNeverRedactedAgain() {
        var r = Redactor()
        let once = r.redact("relay.secret-corp.test 81.2.69.142")
        #expect(r.redact(once) == once)
    }

    @Test func keyBlocksAreRemovedEvenUnterminatedOrAcrossLogLines() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAbCdEfGhIjKlMnOp\n-----END PRIVATE KEY-----\n"
        #expect(!KeyMaterial.strip("before\n" + pem + "after").contains("PRIVATE KEY"))
        #expect(!KeyMaterial.strip("before\n" + pem + "after").contains("MIGHAgEAMBMG"))
        #expect(KeyMaterial.strip("before\n" + pem + "after").hasSuffix("after"))
        let ec = "x -----BEGIN EC PRIVATE KEY----- MHcCAQEEIB3q7oZk9 -----END EC PRIVATE KEY----- y"
        #expect(KeyMaterial.strip(ec) == "x \(KeyMaterial.removedBlock) y")
        let cut = "warning: pasted -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0"
        #expect(!KeyMaterial.strip(cut).contains("MIIEpAIBAAKCAQEAu1SU1"))
        // A key line logged without its BEGIN line still goes (a long mixed-case base64 run).
        let line = "Nov 29 04:00:03 mx postfix/smtpd[1]: MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
        #expect(!KeyMaterial.strip(line).contains("MIIEvQIBADAN"))
        // Fingerprints (lower-case hex) stay.
        let fingerprint = String(repeating: "ab12", count: 16)
        #expect(KeyMaterial.strip("sha256 \(fingerprint)") == "sha256 \(fingerprint)")
        var r = Redactor()
        #expect(!r.redact("a " + pem).contains("PRIVATE KEY"))
    }

    @Test func jsonKeysAndValuesAreRedacted() throws {
        var r = Redactor()
        r.learn(domain: "google.com")
        let object = r.redact(json: .object(["by_peer_domain": .object(["google.com": .int(3)]),
                                             "peer": .string("mail-wi0.google.com[81.2.69.142]")]))
        let data = try ContractJSON.encode(object)
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains("google"))
        #expect(!text.contains("81.2.69.142"))
    }
}

@Suite struct RedactorLiteralTests {
    @Test func fingerprintsAndOrganizationsBecomePlaceholders() {
        var r = Redactor()
        let fingerprint = String(repeating: "0a1b", count: 16)
        r.learn(literal: fingerprint, kind: "sha256-fingerprint-")
        r.learn(literal: "Secret Corp GmbH", kind: "organization")
        #expect(r.redact("sha256 \(fingerprint.uppercased()) O=Secret Corp GmbH,CN=x") == "sha256 sha256-fingerprint-1 O=organization1,CN=x")
        #expect(SupportReport.attributes(["O", "OU"], of: "CN=mx.example.org,OU=Mail,O=Secret\\, Corp") == ["Mail", "Secret, Corp"])
    }
}
