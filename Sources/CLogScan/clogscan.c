#include "clogscan.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

int clogscan_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 1 : 0;
}

// The trigger bytes of TriggerScan.nextCandidate: L and M (TLS, SSL, non-SMTP, SMTPS) as one compare,
// U, backslash, NUL; S with c seven on (Server c), H with p two on (DH param), F with a (Fatal),
// ] with : and a byte above '/' (a client namaddr's port).
__attribute__((target("avx2,popcnt,bmi")))
clogscan_candidate clogscan_next(const uint8_t *p, size_t from, size_t n, size_t group_bytes) {
    const __m256i lm = _mm256_set1_epi8(0x4C), fe = _mm256_set1_epi8((char)0xFE);
    const __m256i u = _mm256_set1_epi8(0x55), bs = _mm256_set1_epi8(0x5C), zero = _mm256_setzero_si256();
    const __m256i s = _mm256_set1_epi8(0x53), h = _mm256_set1_epi8(0x48), f = _mm256_set1_epi8(0x46);
    const __m256i rb = _mm256_set1_epi8(0x5D), c = _mm256_set1_epi8(0x63), pp = _mm256_set1_epi8(0x70);
    const __m256i a = _mm256_set1_epi8(0x61), colon = _mm256_set1_epi8(0x3A), slash = _mm256_set1_epi8(0x2F);
    const __m256i nl = _mm256_set1_epi8(10), space = _mm256_set1_epi8(0x20);
    const __m256i w = _mm256_set1_epi8(0x77), fl = _mm256_set1_epi8(0x66);
    size_t group_blocks = group_bytes / 32 ? group_bytes / 32 : 1;
    clogscan_candidate r = { from, 0, 0, 0 };
    size_t i = from;
    for (;;) {
        size_t in_group = 0;
        for (size_t k = 0; k < group_blocks; k++) {
            if (i + 39 > n) { r.position = i; r.newlines += in_group; return r; }
            __m256i v0 = _mm256_loadu_si256((const __m256i *)(p + i));
            __m256i v1 = _mm256_loadu_si256((const __m256i *)(p + i + 1));
            __m256i v2 = _mm256_loadu_si256((const __m256i *)(p + i + 2));
            __m256i v3 = _mm256_loadu_si256((const __m256i *)(p + i + 3));
            __m256i v7 = _mm256_loadu_si256((const __m256i *)(p + i + 7));
            __m256i hit = _mm256_cmpeq_epi8(_mm256_and_si256(v0, fe), lm);
            hit = _mm256_or_si256(hit, _mm256_cmpeq_epi8(v0, u));
            hit = _mm256_or_si256(hit, _mm256_cmpeq_epi8(v0, bs));
            hit = _mm256_or_si256(hit, _mm256_cmpeq_epi8(v0, zero));
            hit = _mm256_or_si256(hit, _mm256_and_si256(_mm256_cmpeq_epi8(v0, s), _mm256_cmpeq_epi8(v7, c)));
            hit = _mm256_or_si256(hit, _mm256_and_si256(_mm256_cmpeq_epi8(v0, h), _mm256_cmpeq_epi8(v2, pp)));
            hit = _mm256_or_si256(hit, _mm256_and_si256(_mm256_cmpeq_epi8(v0, f), _mm256_cmpeq_epi8(v1, a)));
            hit = _mm256_or_si256(hit, _mm256_and_si256(_mm256_and_si256(_mm256_cmpeq_epi8(v0, rb), _mm256_cmpeq_epi8(v1, colon)),
                                                        _mm256_cmpgt_epi8(v2, slash)));
            /* ": wa", ": fa": Postfix's "warning: " and "fatal: " (messages of the message table with no other trigger);
               the "a" keeps out qmgr's ": from=" on every message. */
            hit = _mm256_or_si256(hit, _mm256_and_si256(_mm256_and_si256(_mm256_cmpeq_epi8(v0, colon), _mm256_cmpeq_epi8(v1, space)),
                                                        _mm256_and_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v2, w), _mm256_cmpeq_epi8(v2, fl)),
                                                                         _mm256_cmpeq_epi8(v3, a))));
            uint32_t ends = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, nl));
            uint32_t hits = (uint32_t)_mm256_movemask_epi8(hit);
            if (hits) {
                unsigned lane = (unsigned)__builtin_ctz(hits);
                uint32_t before = lane ? ends & ((1u << lane) - 1u) : 0;
                r.position = i + lane;
                r.newlines += in_group + (size_t)__builtin_popcount(before);
                r.found = 1;
                return r;
            }
            in_group += (size_t)__builtin_popcount(ends);
            i += 32;
        }
        if (in_group == 0) r.long_run = 1;
        r.newlines += in_group;
    }
}

#else

int clogscan_available(void) { return 0; }

clogscan_candidate clogscan_next(const uint8_t *p, size_t from, size_t n, size_t group_bytes) {
    (void)p; (void)n; (void)group_bytes;
    clogscan_candidate r = { from, 0, 0, 0 };
    return r;
}

#endif
