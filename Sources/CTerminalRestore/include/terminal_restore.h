#ifndef POSTLS_TERMINAL_RESTORE_H
#define POSTLS_TERMINAL_RESTORE_H
#include <stddef.h>

// The signal handlers that give the terminal back, kept async-signal-safe (wrapped by CursesTerminal only).
//
// Faults and signals that dump core (SEGV BUS ILL FPE ABRT TRAP QUIT): the process is dying, so the handler
// restores the terminal itself, with write() and tcsetattr() only (no curses, no stdio, no malloc), puts back
// the action that was there before (the default, or Swift's crash backtracer) and lets the signal take that
// course: a signal sent with kill() or raise() is raised again; a real fault happens again on return.
//
// Termination signals (INT TERM HUP): the handler records the signal and writes its number to a pipe, nothing
// more. Whoever reads the pipe (CursesTerminal's `Termination`) ends the session and the process in a normal thread.

// Saves how the terminal on `fd` is set now: the shell's mode, so call it before newterm changes it.
void terminal_restore_save_mode(int fd);
// The bytes that undo curses's screen changes (attributes, cursor, keypad, alternate screen), from terminfo.
void terminal_restore_set_sequence(const char *sequence, size_t length);
// While active, a fault restores the terminal. 0 after a restore, so it happens once.
void terminal_restore_set_active(int active);
int terminal_restore_is_active(void);
// Restores now when active (write + tcsetattr) and marks the session inactive; safe in a handler and out of one.
void terminal_restore_now(void);

// Installs the fault handler for `sig` (before newterm, so ncurses keeps its hands off it). -1 on error.
int terminal_restore_install_fault_handler(int sig);
// Puts back the actions that were there before (when the session closes normally).
void terminal_restore_uninstall_fault_handlers(void);

// Counts a user of the termination handler for `sig` and installs it for the first. A signal the process was
// told to ignore (nohup) stays ignored: returns 0 and installs nothing. 1 when installed, -1 on error.
int terminal_restore_termination_install(int sig);
// Drops a user; the last one puts back the previous action.
void terminal_restore_termination_uninstall(int sig);
// The pipe's read end: one byte per termination signal, its number. -1 until the first install.
int terminal_restore_termination_pipe(void);
// The first termination signal received, 0 while none came.
int terminal_restore_termination_pending(void);
#endif
