import Diagnosis
import Foundation
import PostlsCore
import WizardCore

/// Writes the support report from the wizard until the full report engine lands: the diagnosis text,
/// with key material impossible by construction (no file contents are included).
enum ReportWriter {
    static func markdown(_ gathered: Gathered, redact: Bool, dovecotConfig: String?) -> String {
        SupportReport.markdown(gathered: gathered, redact: redact, dovecotConfig: dovecotConfig)
    }

    /// Creates a new file (never overwrites, never follows a link), mode 0600: reports describe a server.
    static func writeNew(path: String, contents: String) throws {
        try createExclusiveFile(path, bytes: Array(contents.utf8), mode: 0o600)
    }
}

/// The support bundle of a gathering (`postls report --bundle`, the wizard's Report step): the wizard's rows, the
/// configuration files, the fix journal's entries and the actions `session` saw, redacted with the support report's
/// redactor when asked. One function for both, so a bundle is the same whoever writes it.
public enum BundleWriter {
    public static func bundle(_ gathered: Gathered, options: GatherOptions, hostName: String, redact: Bool,
                              session: [WizardBundle.Action] = [], now: Date = Date()) throws -> WizardBundle {
        let seen = Set(session.compactMap(\.journalID))
        let journal = WizardBundle.journalActions(configDirectory: options.configDirectory).filter { $0.journalID.map { !seen.contains($0) } ?? true }
        let probeError = options.probe ? "OpenSSL could not be set up for probing" : "not probed (--no-probe)"
        var bundle = WizardBundle.make(gathered: gathered, hostName: hostName, configDirectory: options.configDirectory,
                                       probeError: probeError, actions: journal + session, dnsDomain: options.domain,
                                       certificateName: options.name, now: now)
        if redact {
            var redactor = SupportReport.redactor(for: gathered)
            redactor.learn(host: hostName)
            bundle = try bundle.redacted(with: &redactor)
        } else {
            bundle = try bundle.strippingKeyMaterial()
        }
        return bundle
    }
}
