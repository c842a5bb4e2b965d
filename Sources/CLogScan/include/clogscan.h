#ifndef POSTLS_CLOGSCAN_H
#define POSTLS_CLOGSCAN_H
#include <stddef.h>
#include <stdint.h>

// The bulk trigger scan of MailLog (TriggerScan.nextCandidate) with 32-byte AVX2 vectors, chosen at run
// time: Swift's portable SIMD types compile to 16-byte SSE2 here. Same contract as the Swift kernel.
typedef struct {
    size_t position;   // first byte that may start a trigger word, or the first byte not scanned
    size_t newlines;   // newlines in [from, position)
    int found;         // position is a hit
    int long_run;      // some group of group_bytes bytes held no newline
} clogscan_candidate;

// 1 when this CPU runs the AVX2 kernel; 0 elsewhere (other CPUs, other architectures): use the Swift kernel.
int clogscan_available(void);

// Scans p[from..<n] in 32-byte blocks, reading 7 bytes past each block (stops 39 bytes before n).
clogscan_candidate clogscan_next(const uint8_t *p, size_t from, size_t n, size_t group_bytes);

#endif
