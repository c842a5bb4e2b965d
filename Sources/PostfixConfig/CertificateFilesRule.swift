import PostlsCore

/// Certificate and key files named by the configuration (missing, unreadable, not PEM, mismatched,
/// expired, self-signed, incomplete chain, weak, wrong names). Filled in once TLSKit's certificate API lands.
public struct CertificateFilesRule: LintRule {
    public init() {}
    public var ids: [String] { ["certificate_missing"] }

    public func check(_ context: LintContext) -> [Finding] {
        var out: [Finding] = []
        var seen = Set<String>()
        for listener in context.configuration.smtpdListeners where listener.tls.security_level != "none" || listener.tls.wrappermode {
            for file in listener.tls.cert_files + listener.tls.key_files where seen.insert(file).inserted {
                if !context.fileSystem.exists(file) {
                    let parameter = listener.tls.chain_files.isEmpty ? (listener.tls.cert_files.contains(file) ? "smtpd_tls_cert_file" : "smtpd_tls_key_file") : "smtpd_tls_chain_files"
                    let source = context.configuration.raw(parameter, service: listener.service)?.source
                    out.append(finding("certificate_missing", .certificateUnreadable, .critical, source: source, parameter: parameter,
                                       "\(file) (\(parameter)) does not exist: smtpd logs \"cannot get certificate\" and disables TLS."))
                }
            }
        }
        return out
    }
}
