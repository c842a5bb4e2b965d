import Foundation
import PostfixConfig
import PostlsCore
import Testing
import TestSupport
import TLSKit
import TLSProbe
@testable import Diagnosis

/// Broken inbound configurations on real Postfix instances, with the real traffic that makes each show in
/// the logs; the diagnosis must rank the right cause first with its evidence, the fix must make a new
/// probe and the same peer succeed, and the rollback must restore the files byte for byte.
@Suite("Inbound scenarios on a real Postfix", .enabled(if: Prerequisites.postfix && Prerequisites.openssl))
struct InboundScenarioTests {
    @Test(arguments: Generation.all) func legacyPeerAgainstATLS12FloorOnTheMXIsAProtocolMismatchThatTheRealBinaryFixesAndRollsBack(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        try s.start(mainCF: s.tlsMainCF + "\nsmtpd_tls_protocols = >=TLSv1.2", listeners: [PostfixListener(name: "smtp")])
        let mx = try s.address("smtp")
        s.smtpPorts = [try s.port("smtp")]
        for _ in 0..<3 { #expect(!Scenario.handshakeSucceeded(try s.legacyPeer(mx))) }
        #expect(s.waitFor("unsupported protocol", count: 3), "\(s.logText)")
        let original = try s.configFiles()

        try s.expectWizardAgreesWithDiagnose()
        let diagnose = try s.postls(["diagnose", "--json"] + s.cliArguments)
        #expect(diagnose.status == 2, "\(diagnose.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(diagnose.stdout.utf8)) as? [String: Any])
        let diagnoses = try #require(json["diagnoses"] as? [[String: Any]])
        let first = try #require(diagnoses.first)
        #expect(first["cause"] as? String == "protocol_mismatch", "\(diagnose.stdout)")
        #expect(Set(first["sources"] as? [String] ?? []).isSuperset(of: ["config", "probe", "log"]), "\(first)")
        for d in diagnoses { #expect(!((d["evidence"] as? [Any]) ?? []).isEmpty, "\(d)") }
        let fixID = try #require((first["fixes"] as? [String])?.first)
        let fixes = try #require(json["fixes"] as? [[String: Any]])
        let fix = try #require(fixes.first { $0["id"] as? String == fixID })
        // The impact line of loosening: the failed sessions of real peers that would now get TLS.
        let impact = try #require(fix["impact"] as? String)
        #expect(impact.contains("3 failed sessions") && impact.contains("would get TLS"),
                "\(impact)\n\(s.logText)\n\(String(decoding: FileManager.default.contents(atPath: TestIsolation.probeRecord) ?? Data(), as: UTF8.self))")
        #expect((fix["diff"] as? String)?.contains(">=TLSv1") == true)
        // The text form says the same, most important first, with the impact and how to apply.
        let text = try s.postls(["diagnose"] + s.cliArguments).stdout
        #expect(text.contains("1. CRITICAL protocol_mismatch"), "\(text)")
        #expect(text.contains("Impact: ") && text.contains("Apply: postls fix apply \(fixID)"), "\(text)")

        let apply = try s.postls(["fix", "apply", fixID, "--yes"] + s.cliArguments, timeout: 120)
        #expect(apply.succeeded, "\(apply.stdout)\(apply.stderr)")
        let after = apply.stdout.split(separator: "\n").first { $0.contains("  after: ") }.map(String.init) ?? ""
        #expect(after.contains("accepts TLSv1 TLSv1.1"), "\(apply.stdout)")

        // The same legacy peer now gets TLS 1.0, and no new refusal is logged.
        let offset = s.settledOffset()
        #expect(Scenario.handshakeSucceeded(try s.legacyPeer(mx)))
        #expect(s.waitFor("TLSv1 with cipher", after: offset), "\(s.logSince(offset))")
        #expect(!s.logSince(offset).contains("unsupported protocol"))
        // Diagnosed again: only old log lines remain, which the probe no longer reproduces.
        let again = s.gather().report
        #expect(again.diagnoses.filter { $0.cause == .protocolMismatch }.allSatisfy { $0.status == .possiblyFixed }, "\(Scenario.describe(again))")

        let rollback = try s.postls(["fix", "rollback", "--config-dir", try s.instance().configDirectory])
        #expect(rollback.succeeded, "\(rollback.stderr)")
        #expect(try s.configFiles() == original)
    }

    @Test(arguments: Generation.all) func tls12ClientsAgainstATLS13OnlySubmissionPortAreAProtocolMismatchFixedByAFloorOfTLS12NotLower(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        try s.start(mainCF: s.tlsMainCF, listeners: [
            PostfixListener(name: "submission", overrides: [("smtpd_tls_security_level", "encrypt"), ("smtpd_tls_mandatory_protocols", ">=TLSv1.3")]),
        ])
        let submission = try s.address("submission")
        for _ in 0..<3 { #expect(!Scenario.handshakeSucceeded(try Peers.opensslClient(submission, starttls: true, arguments: ["-tls1_2"]))) }
        #expect(s.waitFor("unsupported protocol", count: 3), "\(s.logText)")
        let original = try s.configFiles()

        let gathered = s.gather()
        try s.expectWizardAgreesWithDiagnose()
        let first = try #require(gathered.report.diagnoses.first)
        #expect(first.cause == .protocolMismatch, "\(Scenario.describe(gathered.report))")
        #expect(first.sources.isSuperset(of: [.config, .probe, .log]), "\(Scenario.describe(gathered.report))")
        #expect(first.summary.contains("submission"), "\(first.summary)")
        let fix = try #require(first.fixes.compactMap(gathered.report.fix(id:)).first { $0.applicable })
        let service = try #require(try s.instance().listener(named: "submission")).serviceName
        // Not a port-25 MX: the floor comes down to what the failing clients need, TLS 1.2, not to TLS 1.0.
        #expect(fix.edits == [.setOverride(service: service, type: "inet", name: "smtpd_tls_mandatory_protocols", value: ">=TLSv1.2")])
        #expect(fix.impact?.contains("3 failed sessions") == true, "\(fix.impact ?? "no impact")")

        let outcome = try FixLoop(runner: s.servers.runner).apply(fix, gathered: gathered, options: s.options)
        #expect(outcome.state == .applied, "\(outcome.messages)")
        let after = try #require(outcome.after.first)
        #expect(after.protocols["TLSv1.2"] == .accepted && after.protocols["TLSv1.1"] == .rejected, "\(outcome.comparison)")
        let offset = s.settledOffset()
        #expect(Scenario.handshakeSucceeded(try Peers.opensslClient(submission, starttls: true, arguments: ["-tls1_2"])))
        #expect(s.waitFor("TLSv1.2 with cipher", after: offset), "\(s.logSince(offset))")
        #expect(!s.logSince(offset).contains("unsupported protocol"))

        _ = try FixLoop(runner: s.servers.runner).rollback(configDirectory: try s.instance().configDirectory)
        #expect(try s.configFiles() == original)
    }

    @Test(.enabled(if: Prerequisites.swaks), arguments: Generation.all) func plaintextClientsOnTheImplicitTLSPortGetAdviceNotAnEdit(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        try s.start(mainCF: s.tlsMainCF, listeners: [
            PostfixListener(name: "smtps", overrides: [("smtpd_tls_wrappermode", "yes"), ("smtpd_tls_security_level", "encrypt")]),
        ])
        let smtps = try s.address("smtps")
        for _ in 0..<2 {
            _ = try Peers.swaks(["--server", "127.0.0.1", "--port", "\(smtps.port)", "--quit-after", "EHLO", "--timeout", "5"])
        }
        #expect(s.waitFor("wrong version number", count: 2), "\(s.logText)")
        let original = try s.configFiles()

        let gathered = s.gather()
        try s.expectWizardAgreesWithDiagnose()
        let first = try #require(gathered.report.diagnoses.first)
        #expect(first.cause == .plaintextOnTLSPort, "\(Scenario.describe(gathered.report))")
        #expect(first.sources.contains(.log))
        #expect(first.logEvents == 2)
        // The server is right: the fix is advice for the clients, nothing to write.
        let fix = try #require(first.fixes.first.flatMap(gathered.report.fix(id:)))
        #expect(fix.kind == .command && !fix.applicable && fix.edits.isEmpty && fix.diff == nil)
        #expect(fix.title.contains("\(smtps.port)"), "\(fix.title)")
        #expect(throws: FixError.self) { try FixLoop(runner: s.servers.runner).apply(fix, gathered: gathered, options: s.options) }
        #expect(try s.configFiles() == original)
        // The probe of the listener passes, and a client following the advice gets TLS.
        #expect(gathered.probe?.targets.first { $0.port == Int(smtps.port) }?.negotiated != nil)
        let offset = s.settledOffset()
        let advised = try Peers.swaks(["--server", "127.0.0.1", "--port", "\(smtps.port)", "--tls-on-connect", "--quit-after", "EHLO", "--timeout", "5"])
        #expect(advised.succeeded, "\(advised.stdout)\(advised.stderr)")
        #expect(s.waitFor("TLS connection established from", after: offset), "\(s.logSince(offset))")
        #expect(!s.logSince(offset).contains("wrong version number"))
    }

    @Test(arguments: Generation.all) func aNarrowCipherListIsNoSharedCipherFixedByRestoringTheDefaultList(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        try s.start(mainCF: s.tlsMainCF, listeners: [
            PostfixListener(name: "narrow", overrides: [("smtpd_tls_ciphers", "high"), ("tls_high_cipherlist", "ECDHE-ECDSA-CHACHA20-POLY1305")]),
        ])
        let narrow = try s.address("narrow")
        let peerArguments = ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"]
        for _ in 0..<3 { #expect(!Scenario.handshakeSucceeded(try Peers.opensslClient(narrow, starttls: true, arguments: peerArguments))) }
        #expect(s.waitFor("no shared cipher", count: 3), "\(s.logText)")
        let original = try s.configFiles()

        let gathered = s.gather()
        try s.expectWizardAgreesWithDiagnose()
        let first = try #require(gathered.report.diagnoses.first)
        #expect(first.cause == .noSharedCipher, "\(Scenario.describe(gathered.report))")
        #expect(first.sources.isSuperset(of: [.config, .log]))
        #expect(first.evidence.contains { $0.source == .config && $0.text.contains("tls_high_cipherlist") })
        #expect(first.evidence.contains { $0.source == .log && $0.text.contains("no shared cipher") }, "\(first.evidence)")
        let fix = try #require(first.fixes.compactMap(gathered.report.fix(id:)).first { $0.applicable })
        #expect(fix.edits == [.removeOverride(service: try s.instance().listener(named: "narrow")!.serviceName, type: "inet", name: "tls_high_cipherlist")])

        let outcome = try FixLoop(runner: s.servers.runner).apply(fix, gathered: gathered, options: s.options)
        #expect(outcome.state == .applied, "\(outcome.messages)")
        #expect(outcome.after.first?.negotiated != nil)
        let offset = s.settledOffset()
        #expect(Scenario.handshakeSucceeded(try Peers.opensslClient(narrow, starttls: true, arguments: peerArguments)))
        #expect(s.waitFor("TLS connection established from", after: offset), "\(s.logSince(offset))")
        #expect(!s.logSince(offset).contains("no shared cipher"))

        _ = try FixLoop(runner: s.servers.runner).rollback(configDirectory: try s.instance().configDirectory)
        #expect(try s.configFiles() == original)
    }

    /// The certificate problems whose fix is a new certificate from a CA (here the test CA stands in for the public one).
    enum CertificateProblem: String, CaseIterable, Sendable {
        case selfSigned, expired, wrongName

        var cause: Cause {
            switch self {
            case .selfSigned: .untrustedCertificate
            case .expired: .expiredCertificate
            case .wrongName: .nameMismatch
            }
        }
    }

    @Test(arguments: Generation.all, CertificateProblem.allCases)
    func aCertificateVerifyingPeersRejectIsNamedAndANewCertificateFixesIt(_ generation: Generation, _ problem: CertificateProblem) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        let bad: IssuedCertificate
        let day: TimeInterval = 86_400
        switch problem {
        case .selfSigned: bad = try s.pki.leaf("bad", issuer: .selfSigned)
        case .expired: bad = try s.pki.leaf("bad", notBefore: Date().addingTimeInterval(-30 * day), notAfter: Date().addingTimeInterval(-day))
        case .wrongName: bad = try s.pki.leaf("bad", commonName: "other.postls.test")
        }
        try s.start(mainCF: s.tlsMainCF, listeners: [
            PostfixListener(name: "cert", overrides: [("smtpd_tls_cert_file", bad.fullChainFile), ("smtpd_tls_key_file", bad.keyFile)]),
        ])
        let cert = try s.address("cert")
        for _ in 0..<3 {
            let out = try s.verifyingPeer(cert)
            #expect(!Scenario.handshakeSucceeded(out), "\(out.status) \(out.stdout) \(out.stderr)")
        }
        #expect(s.waitFor("SSL_accept error", count: 3), "\(s.logText)")
        let original = try s.configFiles()

        let gathered = s.gather()
        try s.expectWizardAgreesWithDiagnose()
        let first = try #require(gathered.report.diagnoses.first)
        #expect(first.cause == problem.cause, "\(Scenario.describe(gathered.report))")
        #expect(first.sources.isSuperset(of: [.config, .probe, .log]), "\(Scenario.describe(gathered.report))")
        #expect(first.logEvents == 3)
        let fix = try #require(first.fixes.compactMap(gathered.report.fix(id:)).first)
        #expect(fix.kind == .command && !fix.applicable)

        // Carry the fix out: its key + CSR command, the CA signs, then the edit its last line names.
        let configDirectory = try s.instance().configDirectory
        let request = try #require(fix.commands.first).split(separator: " ").map(String.init)
        #expect(request.first == "openssl" && request.contains("subjectAltName=DNS:mail.postls.test"))
        let made = try SystemProcessRunner().run("openssl", Array(request.dropFirst()), timeout: 30)
        #expect(made.succeeded, "\(made.stderr)")
        let key = configDirectory + "/mail.postls.test.key", csr = configDirectory + "/mail.postls.test.csr"
        let caKey = s.dir.file("intermediate.key")
        try s.pki.intermediateKey.writePEM(toNewFile: caKey)
        let issued = s.dir.file("issued.crt")
        let signed = try SystemProcessRunner().run("openssl", ["x509", "-req", "-in", csr, "-CA", s.pki.intermediateFile, "-CAkey", caKey,
                                                               "-set_serial", "4242", "-days", "30", "-copy_extensions", "copy", "-out", issued], timeout: 30)
        #expect(signed.succeeded, "\(signed.stderr)")
        let fullChain = s.dir.file("issued.fullchain.pem")
        try (try String(contentsOfFile: issued, encoding: .utf8) + String(contentsOfFile: s.pki.intermediateFile, encoding: .utf8))
            .write(toFile: fullChain, atomically: true, encoding: .utf8)
        let service = try #require(try s.instance().listener(named: "cert")).serviceName
        let carried = fix.carriedOut(with: [.setOverride(service: service, type: "inet", name: "smtpd_tls_chain_files", value: "\(key),\(fullChain)")],
                                     ports: [Int(cert.port)])
        let outcome = try FixLoop(runner: s.servers.runner).apply(carried, gathered: gathered, options: s.options)
        #expect(outcome.state == .applied, "\(outcome.messages)")
        let after = try #require(outcome.after.first)
        #expect(after.verify?.code == 0 && after.nameMatch == true, "\(outcome.comparison)")

        let offset = s.settledOffset()
        let again = try s.verifyingPeer(cert)
        #expect(Scenario.handshakeSucceeded(again), "\(again.stdout)\(again.stderr)")
        #expect(s.waitFor("TLS connection established from", after: offset), "\(s.logSince(offset))")
        #expect(!s.logSince(offset).contains("SSL_accept error"))

        _ = try FixLoop(runner: s.servers.runner).rollback(configDirectory: configDirectory)
        #expect(try s.configFiles() == original)
    }

    @Test(arguments: Generation.all) func aLeafWithoutItsIntermediateIsAnIncompleteChainAndTheBuiltFullChainFixesIt(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        // The leaf alone; the intermediate sits beside it in the same directory.
        try s.start(mainCF: s.tlsMainCF, listeners: [
            PostfixListener(name: "leafonly", overrides: [("smtpd_tls_cert_file", s.mail.certFile), ("smtpd_tls_key_file", s.mail.keyFile)]),
        ])
        let listener = try s.address("leafonly")
        for _ in 0..<3 { #expect(!Scenario.handshakeSucceeded(try s.verifyingPeer(listener))) }
        #expect(s.waitFor("SSL_accept error", count: 3), "\(s.logText)")
        let original = try s.configFiles()

        let gathered = s.gather()
        try s.expectWizardAgreesWithDiagnose()
        let first = try #require(gathered.report.diagnoses.first)
        #expect(first.cause == .incompleteChain, "\(Scenario.describe(gathered.report))")
        // The peers' "unknown ca" alerts are joined to the probe's verify code 20.
        #expect(first.sources.isSuperset(of: [.config, .probe, .log]), "\(Scenario.describe(gathered.report))")
        #expect(!gathered.report.diagnoses.contains { $0.cause == .untrustedCertificate })
        let fix = try #require(first.fixes.compactMap(gathered.report.fix(id:)).first { $0.kind == .file })
        #expect(fix.applicable && fix.files.count == 1)
        let chainFile = try #require(fix.files.first)
        let chain = try Certificate.load(pem: Data(chainFile.contents.utf8))
        #expect(chain.map(\.sha256Fingerprint) == [s.mail.certificate.sha256Fingerprint, s.pki.intermediate.sha256Fingerprint])

        let outcome = try FixLoop(runner: s.servers.runner).apply(fix, gathered: gathered, options: s.options)
        #expect(outcome.state == .applied, "\(outcome.messages)")
        #expect(outcome.after.first?.verify?.code == 0, "\(outcome.comparison)")
        #expect(outcome.before.first?.verify?.code == VerifyCode.unableToVerifyLeafSignature, "s_client's code for a leaf served alone")
        let offset = s.settledOffset()
        let again = try s.verifyingPeer(listener)
        #expect(Scenario.handshakeSucceeded(again), "\(again.stdout)\(again.stderr)")
        #expect(s.waitFor("TLS connection established from", after: offset), "\(s.logSince(offset))")
        #expect(!s.logSince(offset).contains("SSL_accept error"))

        let (_, messages) = try FixLoop(runner: s.servers.runner).rollback(configDirectory: try s.instance().configDirectory)
        #expect(try s.configFiles() == original)
        // The chain file the fix built goes with the change.
        #expect(!FileManager.default.fileExists(atPath: chainFile.path), "\(messages)")
    }

    /// Another certificate's key; a key file that does not exist; one that holds no PEM key (a truncated copy).
    enum KeyProblem: String, CaseIterable, Sendable { case mismatch, missing, notPEM }

    @Test(arguments: Generation.all, KeyProblem.allCases)
    func aKeyThatDisablesTLSIsNamedAsTheRootCauseOfThe454AndTheMatchingKeyFixesIt(_ generation: Generation, _ problem: KeyProblem) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        let other = try s.pki.leaf("other")
        let keyFile: String
        switch problem {
        case .mismatch: keyFile = other.keyFile
        case .missing: keyFile = s.pki.directory + "/mail-old.key"
        case .notPEM:
            keyFile = s.pki.directory + "/mail-copy.key"
            try "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n".write(toFile: keyFile, atomically: true, encoding: .utf8)
        }
        try s.start(mainCF: s.tlsMainCF, listeners: [
            PostfixListener(name: "badkey", overrides: [("smtpd_tls_cert_file", s.mail.fullChainFile), ("smtpd_tls_key_file", keyFile)]),
        ])
        let listener = try s.address("badkey")
        for _ in 0..<2 {
            let out = try Peers.opensslClient(listener, starttls: true)
            #expect(!Scenario.handshakeSucceeded(out))
        }
        #expect(s.waitFor("disabling TLS support", count: 1), "\(s.logText)")
        #expect(s.waitFor(": disconnect from", count: 2))
        let original = try s.configFiles()

        let gathered = s.gather()
        try s.expectWizardAgreesWithDiagnose()
        let first = try #require(gathered.report.diagnoses.first)
        #expect(first.cause == (problem == .mismatch ? .keyMismatch : .certificateUnreadable), "\(Scenario.describe(gathered.report))")
        #expect(first.sources.isSuperset(of: [.config, .probe, .log]), "\(Scenario.describe(gathered.report))")
        // The 454 is the symptom, merged into the root cause.
        #expect(first.evidence.filter { $0.source == .probe && $0.text.contains("454") }.count == 1, "\(first.evidence)")
        #expect(!gathered.report.diagnoses.contains { $0.cause == .starttlsUnavailable })
        let fix = try #require(first.fixes.compactMap(gathered.report.fix(id:)).first { $0.applicable })
        let service = try #require(try s.instance().listener(named: "badkey")).serviceName
        #expect(fix.edits == [.setOverride(service: service, type: "inet", name: "smtpd_tls_key_file", value: s.mail.keyFile)])

        let outcome = try FixLoop(runner: s.servers.runner).apply(fix, gathered: gathered, options: s.options)
        #expect(outcome.state == .applied, "\(outcome.messages)")
        #expect(outcome.before.first?.negotiated == nil && outcome.after.first?.negotiated != nil, "\(outcome.comparison)")
        let offset = s.settledOffset()
        #expect(Scenario.handshakeSucceeded(try Peers.opensslClient(listener, starttls: true)))
        #expect(s.waitFor("TLS connection established from", after: offset), "\(s.logSince(offset))")
        #expect(!s.logSince(offset).contains("disabling TLS support"))

        _ = try FixLoop(runner: s.servers.runner).rollback(configDirectory: try s.instance().configDirectory)
        #expect(try s.configFiles() == original)
    }

    @Test(.enabled(if: Prerequisites.swaks), arguments: Generation.all) func encryptOnTheMXIsTLSRequiredOnMXAndMayLetsPlaintextSendersDeliver(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        try s.start(mainCF: s.tlsMainCF, listeners: [PostfixListener(name: "smtp", overrides: [("smtpd_tls_security_level", "encrypt")])])
        let mx = try s.address("smtp")
        s.smtpPorts = [Int(mx.port)]
        let swaks = ["--server", "127.0.0.1", "--port", "\(mx.port)", "--from", "a@example.test", "--to", "b@example.test",
                     "--quit-after", "MAIL", "--timeout", "5"]
        let refused = try Peers.swaks(swaks)
        #expect(refused.stdout.contains("530"), "\(refused.stdout)")
        #expect(s.waitFor("mail=0/1"), "\(s.logText)")
        let original = try s.configFiles()

        let gathered = s.gather()
        try s.expectWizardAgreesWithDiagnose()
        let first = try #require(gathered.report.diagnoses.first)
        #expect(first.cause == .tlsRequiredOnMX, "\(Scenario.describe(gathered.report))")
        // The refused sender is in the log only as mail=0/1 on its disconnect line.
        #expect(first.sources == [.config, .log], "\(Scenario.describe(gathered.report))")
        #expect(first.logEvents == 1)
        #expect(first.evidence.contains { $0.source == .log && $0.text.contains("mail=0/1") })
        let fix = try #require(first.fixes.compactMap(gathered.report.fix(id:)).first { $0.applicable })
        let outcome = try FixLoop(runner: s.servers.runner).apply(fix, gathered: gathered, options: s.options)
        #expect(outcome.state == .applied, "\(outcome.messages)")
        #expect(outcome.after.first?.negotiated != nil)
        let offset = s.settledOffset()
        let accepted = try Peers.swaks(swaks)
        #expect(accepted.succeeded, "\(accepted.stdout)")
        #expect(s.waitFor(" mail=1 ", after: offset), "\(s.logSince(offset))")
        #expect(!s.logSince(offset).contains("mail=0/1"))

        _ = try FixLoop(runner: s.servers.runner).rollback(configDirectory: try s.instance().configDirectory)
        #expect(try s.configFiles() == original)
    }

    @Test(arguments: Generation.all) func aRenewedCertificateTheRunningSmtpdHasNotLoadedIsStaleAndAReloadServesIt(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        // One smtpd process at most: the running one keeps the certificate it loaded while new connections wait for it.
        try s.start(mainCF: s.tlsMainCF, listeners: [PostfixListener(name: "stale")]) { postfix in
            let master = try String(contentsOfFile: postfix.masterCFPath, encoding: .utf8)
            let service = try #require(postfix.listener(named: "stale")).serviceName
            try postfix.write(postfix.masterCFPath, master.replacingOccurrences(of: "\(service) inet n - n - - smtpd", with: "\(service) inet n - n - 1 smtpd"))
        }
        let listener = try s.address("stale")
        #expect(Scenario.handshakeSucceeded(try s.verifyingPeer(listener)))
        // Renew on disk: a new key and certificate for the same name, written over the configured files.
        let renewed = try s.pki.leaf("renewed")
        try String(contentsOfFile: renewed.fullChainFile, encoding: .utf8).write(toFile: s.mail.fullChainFile, atomically: false, encoding: .utf8)
        try String(contentsOfFile: renewed.keyFile, encoding: .utf8).write(toFile: s.mail.keyFile, atomically: false, encoding: .utf8)
        let original = try s.configFiles()

        let gathered = s.gather()
        try s.expectWizardAgreesWithDiagnose()
        let served = gathered.probe?.targets.first?.chain.first?.sha256
        #expect(served == s.mail.certificate.sha256Fingerprint, "the running smtpd should still serve the old certificate")
        let first = try #require(gathered.report.diagnoses.first)
        #expect(first.cause == .staleCertificate, "\(Scenario.describe(gathered.report))")
        #expect(first.sources == [.config, .probe])
        #expect(first.evidence.contains { $0.source == .config && $0.location.hasPrefix("main.cf:") }, "\(first.evidence)")
        #expect(first.evidence.contains { $0.source == .probe && $0.location == "\(listener.ip):\(listener.port) (IPv4, starttls)" }, "\(first.evidence)")
        let fix = try #require(first.fixes.compactMap(gathered.report.fix(id:)).first { $0.applicable })
        #expect(fix.edits.isEmpty && fix.commands.contains { $0.contains("reload") })

        let outcome = try FixLoop(runner: s.servers.runner).apply(fix, gathered: gathered, options: s.options)
        #expect(outcome.state == .applied && outcome.reloaded, "\(outcome.messages)")
        #expect(outcome.after.first?.chain.first?.sha256 == renewed.certificate.sha256Fingerprint, "\(outcome.comparison)")
        let again = s.gather().report
        #expect(!again.diagnoses.contains { $0.cause == .staleCertificate }, "\(Scenario.describe(again))")
        // A reload edits nothing: there is nothing to roll back and the files are as they were.
        #expect(outcome.journalID == nil)
        #expect(try s.configFiles() == original)
    }

    @Test(arguments: Generation.all) func aFixThatPostfixRejectsIsRestoredByteForByte(_ generation: Generation) throws {
        guard let s = try Scenario.orSkip(generation) else { return }
        defer { s.stop() }
        try s.start(mainCF: s.tlsMainCF, listeners: [PostfixListener(name: "smtp")])
        let original = try s.configFiles()
        let gathered = s.gather()
        try s.expectWizardAgreesWithDiagnose()
        // A value with an unterminated ${...}: postconf stops with "macro processing error".
        let bogus = Fix(id: "protocol_mismatch-bogus", title: "bogus", kind: .configEdit, cause: .protocolMismatch, diff: nil, commands: [],
                        edits: [.setMain(name: "smtpd_tls_protocols", value: "${TLSv1")], impact: nil, applicable: true, ports: [], files: [])
        let outcome = try FixLoop(runner: s.servers.runner).apply(bogus, gathered: gathered, options: s.options)
        #expect(outcome.state == .validationFailed)
        #expect(outcome.messages.contains { $0.contains("macro processing error") }, "\(outcome.messages)")
        #expect(outcome.messages.contains { $0.contains("restored byte for byte") })
        #expect(try s.configFiles() == original)
        #expect(throws: (any Error).self) { try FixLoop(runner: s.servers.runner).rollback(configDirectory: try s.instance().configDirectory) }
        // Postfix still serves TLS with the original configuration.
        #expect(Scenario.handshakeSucceeded(try s.verifyingPeer(try s.address("smtp"))))
    }
}
