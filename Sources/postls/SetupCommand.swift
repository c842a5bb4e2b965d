import ArgumentParser
import Diagnosis
import Foundation
import MailDNS
import PostlsCore
import TLSKit

struct SetupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "First-time TLS setup: certificate, main.cf/master.cf settings, submission ports, Dovecot, DNS records.",
        discussion: """
            Finds the host name and a certificate (the configured one, Let's Encrypt's live directories, /etc/ssl, or \
            --cert/--key-file), or generates a key with a self-signed stopgap (--self-signed) or a CSR (--csr-only). \
            Adds only what is missing: smtpd_tls_security_level = may with Postfix's default protocols and ciphers, \
            smtpd_tls_chain_files, outbound smtp_tls_security_level = may with the CA bundle, log level 1, and the \
            submission (587, STARTTLS required) and submissions (465, implicit TLS) services. Shows every change as a \
            diff and asks first (--yes to skip, --dry-run to only show). Writes through the safe apply (backup, \
            atomic replace, postfix check, journal: `postls fix rollback` undoes it), reloads Postfix and probes. \
            Dovecot's ssl settings and the DNS records (TLSA, MTA-STS, TLS-RPT) are shown for the admin to apply. \
            Running it again on a set-up server changes nothing.
            """)

    enum KeyChoice: String, ExpressibleByArgument, CaseIterable {
        case ecdsa, rsa3072, rsa4096
        var spec: KeySpec {
            switch self {
            case .ecdsa: return .ecdsaP256
            case .rsa3072: return .rsa(bits: 3072)
            case .rsa4096: return .rsa(bits: 4096)
            }
        }
    }

    @Option(name: .long, help: "Postfix configuration directory.") var configDir = "/etc/postfix"
    @Option(name: .long, help: "The name the certificate must cover (default: myhostname).") var hostname: String?
    @Option(name: .long, help: "Key type for a generated key: ecdsa (P-256), rsa3072, rsa4096.") var key: KeyChoice = .ecdsa
    @Option(name: .long, help: "Your certificate (leaf or full chain, PEM).") var cert: String?
    @Option(name: .customLong("key-file"), help: "The private key of --cert.") var keyFile: String?
    @Flag(name: .customLong("self-signed"), help: "No certificate yet: generate a key and a self-signed stopgap.") var selfSigned = false
    @Flag(name: .customLong("csr-only"), help: "No certificate yet: generate a key and a CSR for your CA.") var csrOnly = false
    @Option(name: .customLong("san"), help: "Another DNS name (subjectAltName) for a generated certificate or CSR (repeatable).") var names: [String] = []
    @Flag(name: .long, help: "Apply without asking.") var yes = false
    @Flag(name: .customLong("dry-run"), help: "Show what would change; change nothing.") var dryRun = false
    @Flag(name: .customLong("no-reload"), help: "Do not reload Postfix (and so do not probe) after writing.") var noReload = false
    @Option(name: .customLong("dovecot-config"), help: "Dovecot configuration (default: /etc/dovecot/dovecot.conf when present and --config-dir is /etc/postfix).") var dovecotConfig: String?
    @Option(name: .customLong("ca-file"), help: "Verify the probed certificates against these trust anchors.") var caFile: String?
    @Option(name: .long, help: "Seconds allowed for each probe phase.") var timeout: Double = 10
    @OptionGroup var places: SetupPlaces

    func validate() throws {
        if (cert == nil) != (keyFile == nil) { throw ValidationError("--cert and --key-file go together") }
        if [cert != nil, selfSigned, csrOnly].filter({ $0 }).count > 1 {
            throw ValidationError("choose one of --cert/--key-file, --self-signed, --csr-only")
        }
        if timeout <= 0 { throw ValidationError("--timeout must be positive") }
    }

    var options: SetupOptions {
        var o = places.options
        o.configDirectory = configDir
        o.hostname = hostname
        o.key = key.spec
        if let cert, let keyFile { o.certificate = .files(certificate: cert, key: keyFile) }
        else if selfSigned { o.certificate = .selfSigned }
        else if csrOnly { o.certificate = .requestOnly }
        o.dovecotConfig = dovecotConfig
        o.extraNames = names
        return o
    }

    func fail(_ message: String, _ code: PostlsCore.ExitCode) -> ArgumentParser.ExitCode {
        FileHandle.standardError.write(Data("postls setup: \(message)\n".utf8))
        return ArgumentParser.ExitCode(code.rawValue)
    }

    func run() throws {
        var setup = Setup()
        setup.probeRecorder = ProbeRecordWiring.recorder(command: "setup")
        let inputs: SetupInputs
        let plan: SetupPlan
        do {
            inputs = try setup.discover(options)
            plan = try Setup.plan(inputs)
        } catch let error as SetupError {
            if case .configuration = error { throw fail("\(error)", .inputUnreadable) }
            throw fail("\(error)", .usage)
        }
        print(SetupCommand.describe(plan))
        if plan.isEmpty {
            print("Nothing to do: TLS is already set up as postls would set it up.")
            return
        }
        if dryRun {
            print("Dry run: nothing changed.")
            return
        }
        if !yes {
            guard isatty(0) == 1 else {
                throw fail("not a terminal, so no one can confirm; add --yes to apply (nothing changed).", .usage)
            }
            print("Apply these changes? [y/N] ", terminator: "")
            guard let answer = readLine(), answer.lowercased().hasPrefix("y") else {
                print("Nothing changed.")
                return
            }
        }
        let outcome: Setup.Outcome
        do {
            outcome = try setup.apply(plan, inputs: inputs, reload: !noReload, trust: caFile.map { .file($0) } ?? .system, phaseTimeout: timeout) { step in
                FileHandle.standardError.write(Data("  \(step)…\n".utf8))
            }
        } catch {
            throw fail("\(error)", .critical)
        }
        for m in outcome.messages { print(m) }
        if let probe = outcome.probe {
            print("\nProbe after setup:")
            for t in probe.targets {
                let tls = t.negotiated.map { "\($0.protocol) \($0.cipher)" } ?? "no TLS"
                let offer = t.mode == .implicit ? "implicit TLS" : (t.starttlsOffered == true ? "STARTTLS offered" : "STARTTLS not offered")
                print("  \(t.address):\(t.port)  \(offer), \(tls)\(t.verify.map { ", verify \($0.code) \($0.message)" } ?? "")")
            }
        }
        if plan.dnsRecords.isEmpty && !outcome.dnsRecords.isEmpty { print("\n" + SetupCommand.describe(records: outcome.dnsRecords)) }
        if !outcome.failures.isEmpty {
            throw fail("TLS does not work on: \(outcome.failures.joined(separator: "; ")). Undo with: postls fix rollback --config-dir \(configDir)", .critical)
        }
        print("\nDone\(outcome.journalID.map { " (journal \($0))" } ?? ""). Undo with: postls fix rollback\(configDir == "/etc/postfix" ? "" : " --config-dir \(configDir)")")
    }

    static func describe(_ plan: SetupPlan) -> String {
        var out = "Host name: \(plan.hostname)\n"
        for note in plan.notes { out += "  - \(note)\n" }
        out += "\nCertificate: \(plan.certificate.summary)\n"
        for action in plan.fileActions { out += "  - \(action)\n" }
        if !plan.edits.isEmpty {
            out += "\nPostfix changes:\n"
            for edit in plan.edits { out += "  - \(edit.summary)\n" }
            out += "\n" + plan.diff + (plan.diff.hasSuffix("\n") || plan.diff.isEmpty ? "" : "\n")
        }
        if !plan.expectations.isEmpty { out += "\nAfterwards: " + plan.expectations.joined(separator: "; ") + ".\n" }
        if !plan.dovecotChanges.isEmpty {
            out += "\nDovecot (not written; apply it yourself, then `doveadm reload`):\n"
            for change in plan.dovecotChanges { out += "  - \(change)\n" }
            out += "\n" + plan.dovecotDiff
        }
        if !plan.dnsRecords.isEmpty { out += "\n" + describe(records: plan.dnsRecords) }
        return out
    }

    static func describe(records: [RecordSuggestion]) -> String {
        var out = "DNS records to publish (DANE needs DNSSEC; start MTA-STS in testing mode):\n"
        for r in records {
            if let line = r.zoneLine { out += "  \(line)\n" } else { out += "  \(r.name):\n" + r.value.components(separatedBy: .newlines).filter { !$0.isEmpty }.map { "    \($0)\n" }.joined() }
            out += "    ; \(r.reason)\n"
        }
        return out
    }
}
