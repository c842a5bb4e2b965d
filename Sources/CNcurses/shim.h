#ifndef POSTLS_CNCURSES_SHIM_H
#define POSTLS_CNCURSES_SHIM_H
// SwiftPM drops ncursesw's -D flags, so wide-character support is switched on here.
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <ncursesw/ncurses.h>

static inline int CNcurses_lines(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)x; return y; }
static inline int CNcurses_cols(WINDOW *w) { int y, x; getmaxyx(w, y, x); (void)y; return x; }
static inline attr_t CNcurses_A_BOLD(void) { return A_BOLD; }
static inline attr_t CNcurses_A_REVERSE(void) { return A_REVERSE; }
static inline attr_t CNcurses_A_UNDERLINE(void) { return A_UNDERLINE; }
static inline attr_t CNcurses_A_DIM(void) { return A_DIM; }
static inline attr_t CNcurses_A_NORMAL(void) { return A_NORMAL; }
static inline int CNcurses_KEY_F(int n) { return KEY_F(n); }
static inline int CNcurses_COLOR_PAIR(int n) { return COLOR_PAIR(n); }
static inline int CNcurses_ERR(void) { return ERR; }
static inline int CNcurses_OK(void) { return OK; }
static inline const char *CNcurses_version(void) { return curses_version(); }
static inline WINDOW *CNcurses_stdscr(void) { return stdscr; }
static inline int CNcurses_wattr_set(WINDOW *w, attr_t a, short pair) { return wattr_set(w, a, pair, NULL); }
static inline int CNcurses_KEY_CODE_YES(void) { return KEY_CODE_YES; }
static inline int CNcurses_KEY_RESIZE(void) { return KEY_RESIZE; }

// Restoring the terminal when a signal ends the program: the handler leaves curses mode, puts back
// the action that was there before (the default, or Swift's crash backtracer), and lets the signal
// take that course: termination signals are raised again; for faults the handler returns, so the
// faulting instruction runs again and the previous handler sees the real fault.
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#define CNCURSES_MAX_SIGNAL 65
// Storage lives in function-local statics: Swift's importer emits those with the inline functions
// that use them, but not header-level static arrays.
static inline volatile sig_atomic_t *CNcurses_active_flag(void) { static volatile sig_atomic_t active = 0; return &active; }
static inline struct sigaction *CNcurses_previous_actions(void) { static struct sigaction previous[CNCURSES_MAX_SIGNAL]; return previous; }
static inline volatile sig_atomic_t *CNcurses_installed_flags(void) { static volatile sig_atomic_t installed[CNCURSES_MAX_SIGNAL]; return installed; }
#define CNcurses_session_active (*CNcurses_active_flag())
#define CNcurses_previous (CNcurses_previous_actions())
#define CNcurses_installed (CNcurses_installed_flags())

static inline int CNcurses_is_fault(int sig) {
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
}
static inline void CNcurses_restore_and_reraise(int sig, siginfo_t *info, void *context) {
    (void)context;
    if (CNcurses_session_active) {
        CNcurses_session_active = 0;
        endwin();
    }
    if (sig > 0 && sig < CNCURSES_MAX_SIGNAL && CNcurses_installed[sig]) {
        CNcurses_installed[sig] = 0;
        sigaction(sig, &CNcurses_previous[sig], NULL);
    } else {
        signal(sig, SIG_DFL);
    }
    // A real fault (si_code > 0) happens again on return; a fault signal sent with kill() or raise() does not.
    if (!CNcurses_is_fault(sig) || info == NULL || info->si_code <= 0) {
        raise(sig);
        if (CNcurses_is_fault(sig) || sig == SIGABRT) {
            // Hand it to the previous action now (the signal is blocked in its own handler, so unblock it),
            // then die of it: Swift's backtracer returns from a signal it cannot see again, which would
            // leave the program running after its terminal was given back.
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, sig);
            pthread_sigmask(SIG_UNBLOCK, &set, NULL);
            signal(sig, SIG_DFL);
            raise(sig);
        }
    }
}
static inline void CNcurses_set_session_active(int active) { CNcurses_session_active = active; }
static inline int CNcurses_session_is_active(void) { return CNcurses_session_active; }
/// Installs the restoring handler for `sig` (before newterm, so ncurses keeps its hands off it).
/// A termination signal the process was told to ignore (nohup) stays ignored.
static inline int CNcurses_install_restore_handler(int sig) {
    if (sig <= 0 || sig >= CNCURSES_MAX_SIGNAL || CNcurses_installed[sig]) return -1;
    struct sigaction previous;
    if (sigaction(sig, NULL, &previous) != 0) return -1;
    if (!CNcurses_is_fault(sig) && previous.sa_handler == SIG_IGN) return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = CNcurses_restore_and_reraise;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CNcurses_previous[sig] = previous;
    CNcurses_installed[sig] = 1;
    return sigaction(sig, &sa, NULL);
}
/// Puts back the actions that were there before the session (when it closes normally).
static inline void CNcurses_uninstall_restore_handlers(void) {
    for (int sig = 1; sig < CNCURSES_MAX_SIGNAL; sig++) {
        if (CNcurses_installed[sig]) {
            CNcurses_installed[sig] = 0;
            sigaction(sig, &CNcurses_previous[sig], NULL);
        }
    }
}
#endif
