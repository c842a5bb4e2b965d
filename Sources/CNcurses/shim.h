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
#endif
