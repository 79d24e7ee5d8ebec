/*
 * clock.h - span timestamps: the vDSO monotonic clock plus the Unix-epoch offset sampled at init.
 * Internal to libweft; not installed.
 */
#ifndef WEFT_CLOCK_H
#define WEFT_CLOCK_H

#include "weft_internal.h"

#include <time.h>

WEFT_INLINE uint64_t weft_monotonic_nanos(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

#ifdef WEFT_TESTING
/* Only in the build used to generate test vectors: a deterministic clock and thread identity. */
extern uint64_t (*weft_testing_clock)(void);

WEFT_INLINE uint64_t weft_now(void) {
    return weft_testing_clock();
}
#else
WEFT_INLINE uint64_t weft_now(void) {
    return weft_monotonic_nanos() + (uint64_t)weft_global.clock_offset_nanos;
}
#endif

#endif /* WEFT_CLOCK_H */
