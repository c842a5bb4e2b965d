#ifndef POSTLS_CZLIB_SHIM_H
#define POSTLS_CZLIB_SHIM_H
#include <zlib.h>
// inflateInit2 is a macro that passes the library's version and struct size.
static inline int CZlib_inflateInit2(z_streamp strm, int windowBits) { return inflateInit2(strm, windowBits); }
#endif
