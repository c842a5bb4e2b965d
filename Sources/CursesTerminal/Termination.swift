import CTerminalRestore
import Foundation
import Glibc
import Synchronization

/// SIGINT, SIGTERM and SIGHUP end postls in a normal thread, never inside a signal handler: the handler
/// (CTerminalRestore) only records the signal and writes its number to a pipe. A watcher thread reads the pipe,
/// lets an open wizard give the terminal back (its loop sees the signal within one poll and closes the session;
/// after 2 s the watcher restores the terminal itself), runs the cleanups the program registered (the demo
/// removes its directory), and ends the process by the signal, so the shell sees 128+N as before.
public enum Termination {
    static let signals = [SIGINT, SIGTERM, SIGHUP]
    private static let cleanups = Mutex<[@Sendable () -> Void]>([])
    private static let watcherStarted = Mutex(false)

    /// Handles the termination signals until the matching `end()`; uses nest (the session inside the demo).
    /// A signal the process was told to ignore (nohup) stays ignored.
    public static func begin() {
        for sig in signals { _ = terminal_restore_termination_install(sig) }
        startWatcher()
    }

    public static func end() {
        for sig in signals { terminal_restore_termination_uninstall(sig) }
    }

    /// Handles the termination signals for the rest of the process and runs `cleanup`, in the watcher's
    /// thread, before the process ends by one.
    public static func onTermination(_ cleanup: @escaping @Sendable () -> Void) {
        cleanups.withLock { $0.append(cleanup) }
        begin()
    }

    /// The termination signal received, if one was.
    public static var pending: Int32? {
        let sig = terminal_restore_termination_pending()
        return sig == 0 ? nil : sig
    }

    /// For a thread that finished its part after a termination signal (the wizard's, once the terminal is
    /// back): it must not run on to a normal exit while the watcher cleans up and ends the process by the signal.
    public static func waitForTheEndIfPending() {
        guard pending != nil else { return }
        while true { sleep(60) }
    }

    private static func startWatcher() {
        let first = watcherStarted.withLock { started in
            defer { started = true }
            return !started
        }
        let fd = terminal_restore_termination_pipe()
        guard first, fd >= 0 else { return }
        Thread.detachNewThread { watch(fd) }
    }

    private static func watch(_ fd: Int32) -> Never {
        var byte: UInt8 = 0
        while read(fd, &byte, 1) != 1 { usleep(10_000) }
        let sig = Int32(byte)
        var waited = 0
        while terminal_restore_is_active() != 0 && waited < 2_000 {
            usleep(10_000)
            waited += 10
        }
        terminal_restore_now()
        for cleanup in cleanups.withLock({ $0 }) { cleanup() }
        signal(sig, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, sig)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(sig)
        _exit(128 + sig)
    }
}
