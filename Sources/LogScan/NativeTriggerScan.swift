import CLogScan

/// CLogScan's AVX2 trigger scan (MailLog's `TriggerScan.nextCandidate` in 32-byte steps), without C types.
///
/// `next` runs in the log reader's hot loop: it is inlinable so MailLog compiles it into a direct call of
/// the C kernel, as when MailLog imported CLogScan itself.
public enum NativeTriggerScan {
    /// True when this CPU runs the AVX2 kernel; elsewhere the caller runs its portable Swift kernel. Checked once.
    public static let isAvailable = clogscan_available() != 0

    /// Where `next` stopped: at the first byte that may start a trigger word (`found`), or at the end of
    /// the part it could scan; `newlines` counts the line ends before `position`.
    public struct Stop {
        public var position: Int
        public var newlines: Int
        public var found: Bool
        /// Some group of `groupBytes` bytes held no newline.
        public var longRun: Bool

        @inlinable
        init(position: Int, newlines: Int, found: Bool, longRun: Bool) {
            self.position = position; self.newlines = newlines; self.found = found; self.longRun = longRun
        }
    }

    /// Scans `p[from..<n]` for the next candidate, reading 7 bytes past each 32-byte block (it stops 39 bytes
    /// before `n`). Only when `isAvailable`.
    @inlinable @inline(__always)
    public static func next(_ p: UnsafePointer<UInt8>, from: Int, to n: Int, groupBytes: Int) -> Stop {
        let r = clogscan_next(p, from, n, groupBytes)
        return Stop(position: r.position, newlines: r.newlines, found: r.found != 0, longRun: r.long_run != 0)
    }
}
