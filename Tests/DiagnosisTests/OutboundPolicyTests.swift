import Foundation
import PostlsCore
import Testing
import TestSupport
@testable import Diagnosis

/// The entry of smtp_tls_policy_maps that decides a next hop, read from the tables postls can read itself.
@Suite("Outbound policy map lookups")
struct OutboundPolicyTests {
    @Test func theKeysPostfixTriesForALoggedNextHop() {
        #expect(PolicyMapLookup.keys(forNexthop: "mx.example.net[192.0.2.25]:25")
                == ["[mx.example.net]:25", "[mx.example.net]", "[192.0.2.25]:25", "[192.0.2.25]", "mx.example.net"])
        #expect(PolicyMapLookup.keys(forNexthop: "127.0.0.1[127.0.0.1]:2525") == ["[127.0.0.1]:2525", "[127.0.0.1]"])
    }

    @Test func anInlineTableDecidesTheLevelOfItsNextHop() throws {
        let lookup = PolicyMapLookup(maps: "inline:{ [localhost]:2525=verify, { mx.example.net = secure match=nexthop } }")
        let entry = try #require(lookup.entry(forNexthop: "localhost[127.0.0.1]:2525"))
        #expect(entry.key == "[localhost]:2525" && entry.value == "verify")
        #expect(lookup.entry(forNexthop: "mx.example.net[192.0.2.25]:25")?.value == "secure match=nexthop")
        #expect(lookup.entry(forNexthop: "other.example[192.0.2.26]:25") == nil)
    }

    @Test func aHashTableIsReadFromItsSourceFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("tls_policy")
        try "# comment\n[relay.example]:587\tencrypt\nexample.org  dane\n".write(toFile: path, atomically: true, encoding: .utf8)
        let lookup = PolicyMapLookup(maps: "hash:\(path)")
        #expect(lookup.entry(forNexthop: "relay.example[192.0.2.30]:587")?.value == "encrypt")
        #expect(lookup.entry(forNexthop: "example.org[192.0.2.31]:25")?.value == "dane")
        // A table of a kind postls does not read (ldap:, mysql:) gives no entry rather than a guess.
        #expect(PolicyMapLookup(maps: "ldap:/etc/postfix/ldap-tls.cf").entry(forNexthop: "example.org[192.0.2.31]:25") == nil)
    }

    @Test func aVerifyCodeBecomesTheOutboundCauseThroughTheOneVerifyTable() {
        #expect(VerifyCode.outboundCause(forCode: 10) == .remoteCertificateExpired)
        #expect(VerifyCode.outboundCause(forCode: 9) == .remoteCertificateExpired)
        #expect(VerifyCode.outboundCause(forCode: 62) == .remoteNameMismatch)
        #expect(VerifyCode.outboundCause(forCode: 18) == .remoteCertificateUnverified)
        #expect(VerifyCode.outboundCause(forCode: 20) == .remoteCertificateUnverified)
    }
}
