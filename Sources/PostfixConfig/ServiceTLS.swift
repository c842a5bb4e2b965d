/// Where an smtpd service listens, from its master.cf service name.
public struct ListenAddress: Sendable, Equatable, Codable {
    /// The address part (`127.0.0.1`, `::1`), nil for all interfaces.
    public var host: String?
    /// The port or service name as written (`smtp`, `587`).
    public var service: String
    /// The numeric port, when known.
    public var port: Int?

    /// Well-known service names (as in /etc/services).
    public static let knownPorts: [String: Int] = [
        "smtp": 25, "submission": 587, "submissions": 465, "smtps": 465, "urd": 465, "lmtp": 24,
    ]

    /// Parses `smtp`, `587`, `127.0.0.1:10025`, `[::1]:25`, `host:smtp`.
    public init(serviceName: String) {
        var host: String? = nil
        var service = serviceName
        if serviceName.hasPrefix("["), let close = serviceName.firstIndex(of: "]") {
            host = String(serviceName[serviceName.index(after: serviceName.startIndex)..<close])
            let rest = serviceName[serviceName.index(after: close)...]
            service = rest.hasPrefix(":") ? String(rest.dropFirst()) : String(rest)
        } else if let colon = serviceName.lastIndex(of: ":") {
            host = String(serviceName[..<colon])
            service = String(serviceName[serviceName.index(after: colon)...])
        }
        self.host = host?.isEmpty == true ? nil : host
        self.service = service
        self.port = Int(service) ?? ListenAddress.knownPorts[service]
    }

    /// True for loopback-only listeners (not reachable by other mail servers).
    public var isLoopback: Bool {
        guard let host else { return false }
        return host == "localhost" || host.hasPrefix("127.") || host == "::1"
    }
}

/// The TLS settings one smtpd listener really uses: main.cf plus that service's `-o` overrides, expanded.
public struct ServiceTLS: Sendable, Equatable, Codable {
    /// `none`, `may`, `encrypt` (from smtpd_tls_security_level, or the legacy smtpd_use_tls/smtpd_enforce_tls).
    public var securityLevel: String
    public var wrappermode: Bool
    public var protocols: String
    public var mandatoryProtocols: String
    public var ciphers: String
    public var mandatoryCiphers: String
    public var excludeCiphers: String
    public var mandatoryExcludeCiphers: String
    public var certFiles: [String]
    public var keyFiles: [String]
    /// smtpd_tls_chain_files, which replaces the cert/key parameters when set.
    public var chainFiles: [String]
    public var authOnly: Bool

    /// Encoded under the smtpd_tls_* parameter names without their prefix, as `postls config --json` prints them.
    enum CodingKeys: String, CodingKey {
        case securityLevel = "security_level", wrappermode, protocols, mandatoryProtocols = "mandatory_protocols", ciphers
        case mandatoryCiphers = "mandatory_ciphers", excludeCiphers = "exclude_ciphers"
        case mandatoryExcludeCiphers = "mandatory_exclude_ciphers", certFiles = "cert_files", keyFiles = "key_files"
        case chainFiles = "chain_files", authOnly = "auth_only"
    }
}

/// One smtpd listener (an `inet` smtpd service, or the `pass` smtpd behind postscreen) with its TLS settings.
public struct SMTPDListener: Sendable {
    public var service: MasterCF.Service
    public var listen: ListenAddress
    public var tls: ServiceTLS
    /// Where each TLS parameter's value came from (`main.cf:12`, `master.cf:40`, `default`).
    public var sources: [String: PostfixConfiguration.Source]

    /// The public MX port: port 25 not bound to loopback only.
    public var isPublicSMTP: Bool { listen.port == 25 && !listen.isLoopback }
}

extension PostfixConfiguration {
    private func split(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\r" || $0 == "\n" }).map(String.init)
    }

    /// The effective TLS settings of a service.
    public func tls(for service: MasterCF.Service?) -> (ServiceTLS, [String: Source]) {
        var sources: [String: Source] = [:]
        func get(_ name: String) -> String {
            if let raw = raw(name, service: service) { sources[name] = raw.source }
            return normalizePostconfWhitespace(value(name, service: service))
        }
        func yes(_ name: String) -> Bool { get(name).lowercased() == "yes" }
        var level = get("smtpd_tls_security_level").lowercased()
        if level.isEmpty {
            // Legacy parameters count only when smtpd_tls_security_level is empty.
            level = yes("smtpd_enforce_tls") ? "encrypt" : yes("smtpd_use_tls") ? "may" : "none"
        }
        let chain = split(get("smtpd_tls_chain_files"))
        var certs: [String] = [], keys: [String] = []
        if chain.isEmpty {
            for (cert, key) in [("smtpd_tls_cert_file", "smtpd_tls_key_file"), ("smtpd_tls_eccert_file", "smtpd_tls_eckey_file"),
                                ("smtpd_tls_dcert_file", "smtpd_tls_dkey_file")] {
                let certFile = get(cert)
                if !certFile.isEmpty {
                    certs.append(certFile)
                    let keyFile = get(key)
                    keys.append(keyFile.isEmpty ? certFile : keyFile)
                }
            }
        } else {
            certs = chain; keys = chain
        }
        let tls = ServiceTLS(
            securityLevel: level, wrappermode: yes("smtpd_tls_wrappermode"),
            protocols: get("smtpd_tls_protocols"), mandatoryProtocols: get("smtpd_tls_mandatory_protocols"),
            ciphers: get("smtpd_tls_ciphers"), mandatoryCiphers: get("smtpd_tls_mandatory_ciphers"),
            excludeCiphers: get("smtpd_tls_exclude_ciphers"), mandatoryExcludeCiphers: get("smtpd_tls_mandatory_exclude_ciphers"),
            certFiles: certs, keyFiles: keys, chainFiles: chain, authOnly: yes("smtpd_tls_auth_only"))
        return (tls, sources)
    }

    /// Every smtpd listener in master.cf with its effective TLS settings, in file order.
    /// A `pass` smtpd service behind an inet postscreen takes the postscreen's address.
    public var smtpdListeners: [SMTPDListener] {
        // Several lint rules and the report ask; the configuration is immutable, so compute once.
        listenerCache.value { computeSMTPDListeners() }
    }

    private func computeSMTPDListeners() -> [SMTPDListener] {
        let postscreen = master.services.first { $0.type == "inet" && $0.command.hasSuffix("postscreen") }
        var result: [SMTPDListener] = []
        for service in master.services where service.command == "smtpd" || service.command.hasSuffix("/smtpd") {
            let listen: ListenAddress
            if service.type == "inet" {
                listen = ListenAddress(serviceName: service.name)
            } else if service.type == "pass", let postscreen {
                listen = ListenAddress(serviceName: postscreen.name)
            } else {
                continue
            }
            let (tls, sources) = tls(for: service)
            result.append(SMTPDListener(service: service, listen: listen, tls: tls, sources: sources))
        }
        return result
    }
}
