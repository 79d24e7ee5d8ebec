/*
 * clock.c - the clock entry points that are not inlined into the hot path.
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "clock.h"

#ifdef WEFT_TESTING
/* Only in the build used to generate test vectors: a deterministic clock. */
uint64_t (*weft_testing_clock)(void);
#endif

uint64_t weft_now_unix_nanos(void) {
    return weft_now();
}
