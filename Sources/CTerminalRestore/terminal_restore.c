#define _GNU_SOURCE 1  // pipe2
#include "terminal_restore.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define MAX_SIGNAL 65
#define MAX_SEQUENCE 256

static volatile sig_atomic_t session_active = 0;
static int terminal_fd = -1;
static int has_termios = 0;
static struct termios saved_termios;
static char sequence_bytes[MAX_SEQUENCE];
static size_t sequence_length = 0;

static struct sigaction fault_previous[MAX_SIGNAL];
static volatile sig_atomic_t fault_installed[MAX_SIGNAL];

static struct sigaction termination_previous[MAX_SIGNAL];
static int termination_users[MAX_SIGNAL];
static volatile sig_atomic_t termination_received = 0;
static int termination_pipe[2] = {-1, -1};

void terminal_restore_save_mode(int fd) {
    terminal_fd = fd;
    has_termios = fd >= 0 && tcgetattr(fd, &saved_termios) == 0;
}

void terminal_restore_set_sequence(const char *sequence, size_t length) {
    if (length > MAX_SEQUENCE) length = MAX_SEQUENCE;
    if (sequence != NULL && length > 0) memcpy(sequence_bytes, sequence, length);
    sequence_length = sequence == NULL ? 0 : length;
}

void terminal_restore_set_active(int active) { session_active = active; }
int terminal_restore_is_active(void) { return session_active; }

void terminal_restore_now(void) {
    if (!session_active) return;
    session_active = 0;
    if (terminal_fd < 0) return;
    size_t done = 0;
    while (done < sequence_length) {
        ssize_t n = write(terminal_fd, sequence_bytes + done, sequence_length - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
    // TCSADRAIN, as ncurses's own reset_shell_mode: the bytes above reach the terminal first.
    if (has_termios) tcsetattr(terminal_fd, TCSADRAIN, &saved_termios);
}

static int is_fault(int sig) {
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
}

static void restore_and_reraise(int sig, siginfo_t *info, void *context) {
    (void)context;
    int saved_errno = errno;
    terminal_restore_now();
    if (sig > 0 && sig < MAX_SIGNAL && fault_installed[sig]) {
        fault_installed[sig] = 0;
        sigaction(sig, &fault_previous[sig], NULL);
    } else {
        signal(sig, SIG_DFL);
    }
    // A real fault (si_code > 0) happens again on return; a fault signal sent with kill() or raise() does not.
    if (!is_fault(sig) || info == NULL || info->si_code <= 0) {
        raise(sig);
        if (is_fault(sig) || sig == SIGABRT) {
            // Hand it to the previous action now (the signal is blocked in its own handler, so unblock it), then
            // die of it: Swift's backtracer returns from a signal it cannot see again, which would leave the
            // program running after its terminal was given back. (pthread_sigmask is a bare system call in glibc.)
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, sig);
            pthread_sigmask(SIG_UNBLOCK, &set, NULL);
            signal(sig, SIG_DFL);
            raise(sig);
        }
    }
    errno = saved_errno;
}

int terminal_restore_install_fault_handler(int sig) {
    if (sig <= 0 || sig >= MAX_SIGNAL || fault_installed[sig]) return -1;
    struct sigaction previous;
    if (sigaction(sig, NULL, &previous) != 0) return -1;
    // SIGQUIT is a termination signal too: one the process was told to ignore stays ignored.
    if (!is_fault(sig) && sig != SIGABRT && previous.sa_handler == SIG_IGN) return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = restore_and_reraise;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    fault_previous[sig] = previous;
    fault_installed[sig] = 1;
    return sigaction(sig, &sa, NULL);
}

void terminal_restore_uninstall_fault_handlers(void) {
    for (int sig = 1; sig < MAX_SIGNAL; sig++) {
        if (fault_installed[sig]) {
            fault_installed[sig] = 0;
            sigaction(sig, &fault_previous[sig], NULL);
        }
    }
}

static void record_termination(int sig, siginfo_t *info, void *context) {
    (void)info;
    (void)context;
    int saved_errno = errno;
    if (termination_received == 0) termination_received = sig;
    unsigned char byte = (unsigned char)sig;
    // Non-blocking: a full pipe already holds enough wake-ups.
    if (termination_pipe[1] >= 0) (void)!write(termination_pipe[1], &byte, 1);
    errno = saved_errno;
}

int terminal_restore_termination_install(int sig) {
    if (sig <= 0 || sig >= MAX_SIGNAL) return -1;
    if (termination_pipe[0] < 0) {
        if (pipe2(termination_pipe, O_CLOEXEC) != 0) return -1;
        fcntl(termination_pipe[1], F_SETFL, O_NONBLOCK);
    }
    if (termination_users[sig] > 0) {
        termination_users[sig]++;
        return 1;
    }
    struct sigaction previous;
    if (sigaction(sig, NULL, &previous) != 0) return -1;
    if (previous.sa_handler == SIG_IGN) return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = record_termination;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0) return -1;
    termination_previous[sig] = previous;
    termination_users[sig] = 1;
    return 1;
}

void terminal_restore_termination_uninstall(int sig) {
    if (sig <= 0 || sig >= MAX_SIGNAL || termination_users[sig] == 0) return;
    if (--termination_users[sig] == 0) sigaction(sig, &termination_previous[sig], NULL);
}

int terminal_restore_termination_pipe(void) { return termination_pipe[0]; }
int terminal_restore_termination_pending(void) { return termination_received; }
