/*
 * clock.h - span timestamps in Unix-epoch nanoseconds.
 *
 * Two sources, chosen once per start (clock.c, weft_clock_start):
 *
 * - TSC: on x86_64 when the CPU has an invariant TSC (constant_tsc and nonstop_tsc) and the
 *   kernel itself keeps time with it (clocksource "tsc": the kernel checked that the TSCs of
 *   all CPUs agree, and a VM's hypervisor declared it stable). One rdtsc, a 64x64 multiply and a
 *   shift, converted here, in the writer, to the same timeline as the vDSO source (CLOCK_MONOTONIC
 *   + the epoch offset measured at start), so records keep Unix-epoch nanoseconds (no ABI change).
 *   The conversion (base, rate) is recalibrated against CLOCK_MONOTONIC off the hot path: by the
 *   first call that finds its interval (10 ms growing to 1 s) elapsed, through the vDSO, never a
 *   system call. Corrections are slewed (the mapping stays continuous), so time never steps back.
 * - vDSO: clock_gettime(CLOCK_MONOTONIC) + that offset. Elsewhere, with WEFT_CLOCK=monotonic, and
 *   for good if the TSC ever disagrees with CLOCK_MONOTONIC by more than 1 ms.
 *
 * Internal to libweft; not installed.
 */
#ifndef WEFT_CLOCK_H
#define WEFT_CLOCK_H

#include "weft_internal.h"

#include <time.h>

#define WEFT_CLOCK_VDSO 0u
#define WEFT_CLOCK_TSC 1u

/**
 * The TSC-to-epoch mapping, read by every span begin and end: a sequence lock (even = stable)
 * around four words, all written by one recalibrating thread at a time (clock.c). Readers never
 * wait: a torn or stale read takes the out-of-line path.
 */
typedef struct weft_clock {
    _Atomic uint32_t mode;     /* WEFT_CLOCK_VDSO or WEFT_CLOCK_TSC */
    _Atomic uint32_t seq;      /* odd while the four words below are being rewritten */
    _Atomic uint64_t base_tsc; /* TSC value at which ... */
    _Atomic uint64_t base_ns;  /* ... the mapping gives this Unix-epoch time */
    _Atomic uint64_t mult;     /* nanoseconds per tick, << 32 */
    _Atomic uint64_t limit;    /* ticks after base_tsc within which the mapping is current */
    _Atomic uint64_t rate;     /* beyond limit (read out of line only): the measured rate, without the slew */
} weft_clock_t;

extern WEFT_HIDDEN weft_clock_t weft_clock;

WEFT_INLINE uint64_t weft_monotonic_nanos(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/** The vDSO source: CLOCK_MONOTONIC on the epoch of the last start. */
WEFT_INLINE uint64_t weft_vdso_now(void) {
    return weft_monotonic_nanos() + (uint64_t)weft_global.clock_offset_nanos;
}

#if defined(__x86_64__)
WEFT_INLINE uint64_t weft_rdtsc(void) {
    return __builtin_ia32_rdtsc();
}
#endif

/**
 * Out of line: a mapping that is being rewritten or whose interval elapsed (recalibrates if no
 * other thread is), or a tick before base_tsc. Async-signal-safe.
 */
WEFT_HIDDEN uint64_t weft_clock_slow(uint64_t tsc);

/**
 * Sets the clock up for a start: chooses the source (WEFT_CLOCK: auto (default), tsc, monotonic)
 * and, for the TSC, anchors and calibrates it (about 200 µs). Called under the init lock after
 * clock_offset_nanos is set. @return 0, or -EINVAL for a WEFT_CLOCK value it does not know (the
 * reason in error).
 */
WEFT_HIDDEN int weft_clock_start(char *error, size_t error_size);

/** For tests only: ends the TSC mapping's interval now (the next read recalibrates) after moving
 * it by skew_nanos. @return false if the TSC is not in use or a recalibration is in progress. */
WEFT_HIDDEN bool weft_clock_testing_adjust(int64_t skew_nanos);

/** In a fork child: a recalibration the parent had in progress on another thread is abandoned. */
WEFT_HIDDEN void weft_clock_on_fork_child(void);

#ifdef WEFT_TESTING
/* Only in the build used to generate test vectors: a deterministic clock and thread identity. */
extern uint64_t (*weft_testing_clock)(void);

WEFT_INLINE uint64_t weft_now(void) {
    return weft_testing_clock();
}
#else
WEFT_INLINE uint64_t weft_now(void) {
#if defined(__x86_64__)
    if (WEFT_LIKELY(weft_load_relaxed(&weft_clock.mode) == WEFT_CLOCK_TSC)) {
        const uint64_t tsc = weft_rdtsc();
        /* acquire, each: the words are at least as new as this sequence number, and the sequence
         * number is read again after them (x86: plain loads; no fence, which TSan cannot model) */
        const uint32_t seq = weft_load_acquire(&weft_clock.seq);
        const uint64_t base_tsc = weft_load_acquire(&weft_clock.base_tsc);
        const uint64_t base_ns = weft_load_acquire(&weft_clock.base_ns);
        const uint64_t mult = weft_load_acquire(&weft_clock.mult);
        const uint64_t limit = weft_load_acquire(&weft_clock.limit);
        const uint64_t delta = tsc - base_tsc; /* a tick before base_tsc wraps above limit */
        if (WEFT_LIKELY(delta < limit && (seq & 1u) == 0 && seq == weft_load_relaxed(&weft_clock.seq))) {
            __extension__ const unsigned __int128 scaled = (unsigned __int128)delta * mult;
            return base_ns + (uint64_t)(scaled >> 32);
        }
        return weft_clock_slow(tsc);
    }
#endif
    return weft_vdso_now();
}
#endif

#endif /* WEFT_CLOCK_H */
