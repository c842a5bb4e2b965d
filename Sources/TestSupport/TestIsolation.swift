import Foundation
import PostlsCore

/// What the test process changes about its own environment, once, so that the postls processes the tests start
/// leave the machine alone.
public enum TestIsolation {
    /// The probe record the postls processes of this test run write their probe windows to (see
    /// `SystemProbeRecords`): a file in a folder of this run, unless `POSTLS_PROBE_RECORD` is already set (as
    /// scripts/test.sh does). Without it, every `postls probe`/`diagnose`/`check` a test runs as root would append
    /// to the machine's /var/lib/postls/probes.jsonl. Set before the first child starts: the first setenv copies
    /// the environment rather than freeing it, so threads reading it meanwhile are safe.
    public static let probeRecord: String = {
        isolateCache()
        if let set = ProcessInfo.processInfo.environment[SystemProbeRecords.environmentVariable] { return set }
        let folder = ownFolder()
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/probes.jsonl"
        setenv(SystemProbeRecords.environmentVariable, path, 0)
        // Removed when the test process ends (the folder's name is all the handler needs).
        atexit { try? FileManager.default.removeItem(atPath: TestIsolation.ownFolder()) }
        return path
    }()

    static func ownFolder() -> String { NSTemporaryDirectory() + "postls-test-probes-\(getpid())" }

    /// The postls processes of this run keep their `postconf -d`/`doveconf -n` cache (`CommandOutputCache`) in a
    /// folder of this run, not in /var/cache/postls or ~/.cache/postls, unless `POSTLS_CACHE_DIR` is already set.
    private static func isolateCache() {
        guard ProcessInfo.processInfo.environment[CommandOutputCache.directoryVariable] == nil else { return }
        setenv(CommandOutputCache.directoryVariable, cacheFolder(), 0)
        atexit { try? FileManager.default.removeItem(atPath: TestIsolation.cacheFolder()) }
    }

    static func cacheFolder() -> String { NSTemporaryDirectory() + "postls-test-cache-\(getpid())" }
}
