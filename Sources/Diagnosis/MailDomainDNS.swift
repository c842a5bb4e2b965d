import Foundation
import MailDNS
import PostfixConfig
import TLSKit

/// The mail domains a configuration receives mail for, to check in DNS when no `--domain` names one: mydomain, then
/// mydestination's and virtual_mailbox_domains' names (their `$mydomain`-style references expanded), without
/// localhost, the host's own name, lookup tables and names without a dot. The wizard offers a choice when there
/// are several.
public enum MailDomains {
    public static func candidates(_ configuration: PostfixConfiguration) -> [String] {
        let host = configuration.value("myhostname").lowercased()
        var out: [String] = []
        func add(_ raw: String) {
            let name = raw.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ". "))
            guard name.contains("."), !name.contains(":"), !name.contains("/"), !name.contains("$"),
                  name != host, name != "localdomain", !name.hasSuffix(".localdomain"),
                  name != "localhost", !name.hasPrefix("localhost."), !out.contains(name) else { return }
            out.append(name)
        }
        add(configuration.value("mydomain"))
        for parameter in ["mydestination", "virtual_mailbox_domains"] {
            let value = configuration.value(parameter)
            for item in value.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\n" }) { add(String(item)) }
        }
        return out
    }
}

/// The key and certificate the MX service (port 25, or an `--smtp-port`, else the first smtpd listener) is configured
/// with, as far as TLSA needs them: the public key and the leaf. The private key is read only to derive its public half.
public struct OnDiskCredentials: Sendable {
    public var publicKeyDER: [UInt8]?
    public var certificate: Certificate?

    public init(configuration: PostfixConfiguration, smtpPorts: Set<Int> = []) {
        let listeners = configuration.smtpdListeners
        let mx = listeners.first { $0.listen.port == 25 } ?? listeners.first { $0.listen.port.map(smtpPorts.contains) == true } ?? listeners.first
        guard let tls = mx?.tls else { return }
        // smtpd_tls_chain_files: each file holds a key and its chain; otherwise the cert/key parameters.
        let keyFile = tls.chainFiles.first ?? tls.keyFiles.first ?? tls.certFiles.first
        let certFile = tls.chainFiles.first ?? tls.certFiles.first
        if let keyFile, let key = try? PrivateKey.load(pemFile: keyFile) { publicKeyDER = key.publicKeyDER }
        if let certFile { certificate = (try? Certificate.load(pemFile: certFile))?.first }
        // Without a readable key (not root), the certificate's key stands in: it is the key the next reload serves.
        if publicKeyDER == nil { publicKeyDER = certificate?.publicKeyDER }
    }
}
