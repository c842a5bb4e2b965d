import Diagnosis
import Foundation
import MailLog
import PostfixConfig
import PostlsCore
import TLSProbe

/// The probe record of this machine, wired for the subcommands: probes write their windows to it, log reads
/// count the failed sessions those probes caused apart from peers' (see `OwnProbeMatcher`).
enum ProbeRecordWiring {
    /// `$POSTLS_PROBE_RECORD`, else /var/lib/postls/probes.jsonl, else the user's state directory.
    static func store() -> SystemProbeRecords { SystemProbeRecords.standard() }

    /// The subcommand this process runs, for the record (`postls` alone is the wizard).
    static var command: String {
        let known: Set<String> = ["probe", "diagnose", "report", "fix", "check", "logs", "setup", "wizard", "config", "dns"]
        return CommandLine.arguments.dropFirst().first { known.contains($0) } ?? "wizard"
    }

    static func recorder(command: String) -> ProbeRecorder { ProbeRecorder(store: store(), command: command) }

    /// The matcher for logs of the Postfix in `configDirectory` (its master.cf maps log services to ports; an
    /// unreadable one leaves Postfix's stock ports); nil when nothing was recorded.
    static func matcher(configDirectory: String?) -> OwnProbeMatcher? {
        OwnProbeMatcher.from(store(), configuration: try? PostfixConfiguration.load(directory: configDirectory ?? "/etc/postfix",
                                                                                   defaults: .catalog()))
    }
}
