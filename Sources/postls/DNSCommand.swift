import ArgumentParser
import Foundation
import MailDNS
import PostlsCore
import TLSKit

struct DNSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Check a mail domain's DNS the way senders see it: MX, DANE/TLSA, MTA-STS, TLS-RPT, SPF, DMARC, DKIM.",
        discussion: """
            Looks up the MX hosts (with DNSSEC status), probes the certificate each one serves with STARTTLS, \
            and checks that the MX names, the TLSA records and the MTA-STS policy agree with it. Every name, the \
            MX hosts and mta-sts.DOMAIN included, resolves through --resolver (default: the first nameserver \
            in /etc/resolv.conf). Exit codes: 0 nothing found, 1 warnings, 2 critical problems, 64 bad usage.
            """ + " " + JSONOption.schema("dns"))

    @Argument(help: "The mail domain (the part after @).")
    var domain: String

    @Option(name: .long, help: ArgumentHelp("DNS resolver to ask (a validating one reports DNSSEC status).", valueName: "ADDR[:PORT]"))
    var resolver: String?

    @Option(name: .long, help: ArgumentHelp("SMTP port to probe on each MX (TLSA is always looked up at _25._tcp).", valueName: "SMTP-PORT"))
    var port: UInt16 = 25

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("Verify certificates against these trust anchors instead of the system store.", valueName: "FILE"))
    var caFile: String?

    @Option(name: .customLong("dkim-selector"), help: ArgumentHelp("DKIM selector to check (repeatable; default: from OpenDKIM or rspamd configuration).", valueName: "S"))
    var dkimSelectors: [String] = []

    @Option(name: .customLong("key-file"), help: ArgumentHelp("The private key on disk: warn when the TLSA records do not pin it (a renewal would break DANE).", valueName: "FILE"))
    var keyFile: String?

    @Option(name: .customLong("cert-file"), help: ArgumentHelp("The certificate on disk, for the same renewal check.", valueName: "FILE"))
    var certFile: String?

    @Option(name: .long, help: ArgumentHelp("Seconds for each lookup, probe and fetch.", valueName: "S"))
    var timeout: Double = 5

    @Option(name: .customLong("mta-sts-port"), help: .hidden)
    var mtaSTSPort: UInt16 = 443

    @OptionGroup var format: JSONOption

    // The DNS report is plain text today; --no-color is accepted like everywhere else.
    @OptionGroup var color: ColorOption

    func validate() throws {
        guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be between 0 and 600 seconds") }
        if let resolver, parseResolverAddress(resolver) == nil {
            throw ValidationError("--resolver \(resolver): expected an IP address with an optional port, e.g. 127.0.0.1:53 or [::1]:53")
        }
    }

    /// --resolver, else the first nameserver of /etc/resolv.conf, else 127.0.0.1:53 (`probe --domain` asks the same).
    static func resolverAddress(_ resolver: String?) -> SocketAddress {
        if let resolver, let parsed = parseResolverAddress(resolver) { return parsed }
        if let text = try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8), let first = firstNameserver(inResolvConf: text) {
            return first
        }
        CommandOutput.error("postls: no nameserver in /etc/resolv.conf; asking 127.0.0.1:53")
        return SocketAddress(ip: "127.0.0.1", port: 53)!
    }

    func run() throws {
        let server = Self.resolverAddress(resolver)
        var options = DNSCheckOptions(smtpPort: port, mtaSTSPort: mtaSTSPort, timeout: timeout)
        options.dkimSelectors = dkimSelectors.isEmpty ? DKIMSelectors.discover() : dkimSelectors
        do {
            if let keyFile { options.onDiskKeyDER = try PrivateKey.load(pemFile: keyFile).publicKeyDER }
            if let certFile { options.onDiskCertificate = try Certificate.load(pemFile: certFile).first }
            if let caFile, !FileManager.default.isReadableFile(atPath: caFile) { throw TLSKitError.file(path: caFile, errno: ENOENT) }
        } catch {
            CommandOutput.error("postls: \(error)")
            throw ArgumentParser.ExitCode(PostlsCore.ExitCode.inputUnreadable.rawValue)
        }
        let trust: TrustAnchors = caFile.map { .file($0) } ?? .system
        let report = MailDomainInspector.standard(server: server, trust: trust, options: options).inspect(domain: domain)
        if format.json {
            try CommandOutput.write(json: report)
        } else {
            CommandOutput.write(text: DNSTextReport.render(report))
        }
        try CommandOutput.exit(PostlsCore.ExitCode(worst: report.worstSeverity))
    }
}
