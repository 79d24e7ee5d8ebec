/*
 * clock.c - choosing the timestamp source, calibrating the TSC against CLOCK_MONOTONIC, and the
 * out-of-line paths of weft_now (clock.h says how the two sources relate).
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef WEFT_TESTING
/* Only in the build used to generate test vectors: a deterministic clock. */
uint64_t (*weft_testing_clock)(void);
#endif

weft_clock_t weft_clock;

/* Whether weft_clock_start ran once: before it, weft_now_unix_nanos reads CLOCK_REALTIME. */
static _Atomic uint32_t weft_clock_started;

/* The recalibrating thread's state: taken with a compare-and-swap, never waited for. */
static _Atomic uint32_t weft_clock_busy;

/* Why the TSC is not used (for weft_clock_source_reason); written before the mode that it explains. */
static char weft_clock_reason[160];

#define WEFT_NANOS_PER_SECOND UINT64_C(1000000000)

#if defined(__x86_64__)
static uint64_t weft_anchor_tsc;  /* the first pair of this start: the long-run rate is measured from it */
static uint64_t weft_anchor_mono;
static uint64_t weft_interval_ns; /* until the next recalibration: 10 ms, x4 each time, up to 1 s */

#define WEFT_CALIBRATION_NANOS UINT64_C(100000)    /* the start's first rate: two windows of 100 µs */
#define WEFT_FIRST_INTERVAL_NANOS UINT64_C(10000000) /* 10 ms */
#define WEFT_MAX_INTERVAL_NANOS WEFT_NANOS_PER_SECOND
#define WEFT_MAX_DISAGREEMENT_NANOS INT64_C(1000000) /* TSC vs CLOCK_MONOTONIC: beyond 1 ms, stop using it */
#define WEFT_MAX_SLEW_NANOS INT64_C(100000)           /* beyond 100 µs, step rather than slew */
#define WEFT_MAX_PAIR_GAP_NANOS UINT64_C(50000)      /* a pair read across a preemption is not used */

typedef struct weft_clock_params {
    uint64_t base_tsc, base_ns, mult, limit, rate;
} weft_clock_params_t;

/** A consistent copy of the mapping, or false if it is being rewritten. */
static bool weft_clock_read_once(weft_clock_params_t *p) {
    /* acquire: pairs with the release that made the sequence number even again */
    const uint32_t seq = weft_load_acquire(&weft_clock.seq);
    /* acquire, each: the sequence number below is read after them */
    p->base_tsc = weft_load_acquire(&weft_clock.base_tsc);
    p->base_ns = weft_load_acquire(&weft_clock.base_ns);
    p->mult = weft_load_acquire(&weft_clock.mult);
    p->limit = weft_load_acquire(&weft_clock.limit);
    p->rate = weft_load_acquire(&weft_clock.rate);
    return (seq & 1u) == 0 && seq == weft_load_relaxed(&weft_clock.seq);
}

/**
 * As weft_clock_read_once, trying again for a while: the writer's odd window is six stores, so
 * only a writer interrupted by a signal handler on this very thread makes it fail (that caller
 * then takes the vDSO clock, which the mapping follows to within its calibration error).
 */
static bool weft_clock_read(weft_clock_params_t *p) {
    for (int i = 0; i < 1000; i++) {
        if (weft_clock_read_once(p)) {
            return true;
        }
    }
    return false;
}

/** Only with weft_clock_busy held (or at start, under the init lock). */
static void weft_clock_publish(const weft_clock_params_t *p) {
    const uint32_t seq = weft_load_relaxed(&weft_clock.seq);
    weft_store_relaxed(&weft_clock.seq, seq + 1u);
    /* release, each: a reader that sees a word written here also sees the odd sequence number */
    weft_store_release(&weft_clock.base_tsc, p->base_tsc);
    weft_store_release(&weft_clock.base_ns, p->base_ns);
    weft_store_release(&weft_clock.mult, p->mult);
    weft_store_release(&weft_clock.limit, p->limit);
    weft_store_release(&weft_clock.rate, p->rate);
    /* release: the words above are complete before the sequence number is even again */
    weft_store_release(&weft_clock.seq, seq + 2u);
}

/**
 * The mapping at `tsc`: the slewed rate up to limit, the measured rate beyond (a late
 * recalibration must not apply the slew for longer than it was meant for), and back from
 * base_tsc for a tick read before a recalibration.
 */
static uint64_t weft_clock_map(const weft_clock_params_t *p, uint64_t tsc) {
    if (tsc >= p->base_tsc) {
        const uint64_t delta = tsc - p->base_tsc;
        const uint64_t slewed = delta < p->limit ? delta : p->limit;
        __extension__ unsigned __int128 scaled = (unsigned __int128)slewed * p->mult;
        __extension__ unsigned __int128 beyond = (unsigned __int128)(delta - slewed) * p->rate;
        return p->base_ns + (uint64_t)(scaled >> 32) + (uint64_t)(beyond >> 32);
    }
    __extension__ unsigned __int128 scaled = (unsigned __int128)(p->base_tsc - tsc) * p->mult;
    return p->base_ns - (uint64_t)(scaled >> 32);
}

/**
 * A (tick, CLOCK_MONOTONIC) pair: the clock read between two ticks, the narrowest of eight
 * brackets kept, so that a preemption between the reads does not skew it.
 */
static void weft_clock_pair(uint64_t *tsc, uint64_t *mono, uint64_t *gap_ticks) {
    uint64_t best = UINT64_MAX;
    *tsc = 0;
    *mono = 0;
    for (int i = 0; i < 8; i++) {
        const uint64_t before = weft_rdtsc();
        const uint64_t m = weft_monotonic_nanos();
        const uint64_t after = weft_rdtsc();
        if (after >= before && after - before < best) {
            best = after - before;
            *tsc = before + (after - before) / 2;
            *mono = m;
        }
    }
    *gap_ticks = best;
}

/** The narrowest of the brackets taken during WEFT_CALIBRATION_NANOS (at start only). */
static void weft_clock_best_pair(uint64_t *tsc, uint64_t *mono) {
    const uint64_t start = weft_monotonic_nanos();
    uint64_t best = UINT64_MAX, t, m, gap;
    do {
        weft_clock_pair(&t, &m, &gap);
        if (gap < best) {
            best = gap;
            *tsc = t;
            *mono = m;
        }
    } while (m - start < WEFT_CALIBRATION_NANOS);
}

/** Nanoseconds of `ticks` at rate `mult`. */
static uint64_t weft_ticks_to_nanos(uint64_t ticks, uint64_t mult) {
    __extension__ unsigned __int128 scaled = (unsigned __int128)ticks * mult;
    return (uint64_t)(scaled >> 32);
}

static uint64_t weft_nanos_to_ticks(uint64_t nanos, uint64_t mult) {
    __extension__ unsigned __int128 shifted = (unsigned __int128)nanos << 32;
    return (uint64_t)(shifted / mult);
}

/** The rate since the anchor, in nanoseconds per tick << 32; 0 if the TSC did not advance. */
static uint64_t weft_rate_since_anchor(uint64_t tsc, uint64_t mono) {
    if (tsc <= weft_anchor_tsc || mono <= weft_anchor_mono) {
        return 0;
    }
    __extension__ unsigned __int128 shifted = (unsigned __int128)(mono - weft_anchor_mono) << 32;
    return (uint64_t)(shifted / (tsc - weft_anchor_tsc));
}

/** prefix, value in decimal, suffix: without snprintf, which a signal handler must not call. */
static void weft_clock_fall_back(const char *prefix, long long value, const char *suffix) {
    char digits[24];
    int n = 0;
    unsigned long long magnitude = value < 0 ? 0ull - (unsigned long long)value : (unsigned long long)value;
    do {
        digits[n++] = (char)('0' + (int)(magnitude % 10u));
        magnitude /= 10u;
    } while (magnitude != 0 && n < (int)sizeof digits);
    size_t at = 0;
    const size_t room = sizeof weft_clock_reason - 1u;
    for (const char *p = prefix; *p != '\0' && at < room; p++) {
        weft_clock_reason[at++] = *p;
    }
    if (value < 0 && at < room) {
        weft_clock_reason[at++] = '-';
    }
    while (n > 0 && at < room) {
        weft_clock_reason[at++] = digits[--n];
    }
    for (const char *p = suffix; *p != '\0' && at < room; p++) {
        weft_clock_reason[at++] = *p;
    }
    weft_clock_reason[at] = '\0';
    /* release: a reader that sees the vDSO mode also sees why */
    weft_store_release(&weft_clock.mode, WEFT_CLOCK_VDSO);
}

/**
 * With weft_clock_busy held: a new pair; the rate measured since the anchor; the mapping's error
 * against CLOCK_MONOTONIC slewed out over the next interval, starting from where the current
 * mapping is now, so that time stays continuous and never steps back.
 */
static void weft_clock_recalibrate(void) {
    weft_clock_params_t p;
    if (!weft_clock_read(&p)) {
        return; /* only a fork in the middle of a rewrite leaves it odd; clock_on_fork_child handled it */
    }
    uint64_t tsc, mono, gap;
    weft_clock_pair(&tsc, &mono, &gap);
    if (weft_ticks_to_nanos(gap, p.mult) > WEFT_MAX_PAIR_GAP_NANOS) {
        /* preempted between the reads every time: keep the mapping 1 ms longer and try again then */
        p.limit += weft_nanos_to_ticks(WEFT_NANOS_PER_SECOND / 1000u, p.mult);
        weft_clock_publish(&p);
        return;
    }
    const uint64_t rate = weft_rate_since_anchor(tsc, mono);
    if (rate == 0) {
        weft_clock_fall_back("weft: the TSC did not advance with CLOCK_MONOTONIC (rate ", 0,
                             "): using CLOCK_MONOTONIC");
        return;
    }
    const uint64_t mapped = weft_clock_map(&p, tsc);
    const uint64_t real = mono + (uint64_t)weft_global.clock_offset_nanos;
    const int64_t error = (int64_t)(real - mapped);
    /* What the previous rate can explain: 1000 ppm of the time since the last base, at least 1 ms.
     * More than that, and the TSC does not keep time with CLOCK_MONOTONIC here (kernel changed the
     * clocksource, VM migrated without TSC scaling): stop using it. */
    const uint64_t since = weft_ticks_to_nanos(tsc >= p.base_tsc ? tsc - p.base_tsc : 0, p.rate);
    const int64_t explainable = since / 1000u > (uint64_t)WEFT_MAX_DISAGREEMENT_NANOS ? (int64_t)(since / 1000u)
                                                                                       : WEFT_MAX_DISAGREEMENT_NANOS;
    if (error > explainable || error < -explainable) {
        weft_clock_fall_back("weft: the TSC and CLOCK_MONOTONIC disagreed by ", (long long)error,
                             " ns: using CLOCK_MONOTONIC");
        return;
    }
    weft_interval_ns = weft_interval_ns * 4u < WEFT_MAX_INTERVAL_NANOS ? weft_interval_ns * 4u : WEFT_MAX_INTERVAL_NANOS;
    const uint64_t interval_ticks = weft_nanos_to_ticks(weft_interval_ns, rate);
    p.base_tsc = tsc;
    p.mult = rate;
    p.rate = rate;
    p.limit = interval_ticks;
    if (error > WEFT_MAX_SLEW_NANOS || error < -WEFT_MAX_SLEW_NANOS) {
        /* too far to slew out soon (a long idle time on a first rate measured over 200 µs): step;
         * a span open across a step back ends no earlier than it began (frames.h) */
        p.base_ns = real;
    } else {
        /* error / interval, in the rate's units (|error| <= 100 µs: no overflow); bounded (1/64)
         * so that the mapping always moves forward */
        int64_t correction = error * (INT64_C(1) << 32) / (int64_t)interval_ticks;
        const int64_t bound = (int64_t)(rate / 64u);
        correction = correction > bound ? bound : correction < -bound ? -bound : correction;
        p.base_ns = mapped;
        p.mult = (uint64_t)((int64_t)rate + correction);
    }
    weft_clock_publish(&p);
}

/** Why the TSC cannot be used here, or NULL if it can. */
static const char *weft_tsc_unusable(char *buffer, size_t size) {
    char text[4096];
    int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
    if (fd >= 0) {
        close(fd);
    }
    if (n <= 0) {
        return "/proc/cpuinfo is not readable";
    }
    text[n] = '\0';
    const char *flags = strstr(text, "\nflags");
    const char *end = flags != NULL ? strchr(flags + 1, '\n') : NULL;
    if (flags == NULL || end == NULL) {
        return "/proc/cpuinfo has no flags line";
    }
    bool constant = false, nonstop = false;
    for (const char *p = flags; p < end;) {
        while (p < end && *p == ' ') {
            p++;
        }
        const char *word = p;
        while (p < end && *p != ' ' && *p != '\t') {
            p++;
        }
        size_t length = (size_t)(p - word);
        constant |= length == 12 && memcmp(word, "constant_tsc", 12) == 0;
        nonstop |= length == 11 && memcmp(word, "nonstop_tsc", 11) == 0;
        if (p < end) {
            p++;
        }
    }
    if (!constant || !nonstop) {
        return "the CPU's TSC is not invariant (no constant_tsc/nonstop_tsc in /proc/cpuinfo)";
    }
    char source[64] = {0};
    fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource", O_RDONLY | O_CLOEXEC);
    n = fd >= 0 ? read(fd, source, sizeof source - 1) : -1;
    if (fd >= 0) {
        close(fd);
    }
    if (n <= 0) {
        return "the kernel's clocksource is not readable";
    }
    source[strcspn(source, "\n")] = '\0';
    if (strcmp(source, "tsc") != 0) {
        snprintf(buffer, size, "the kernel keeps time with %s, not the TSC (a VM without a stable TSC?)", source);
        return buffer;
    }
    return NULL;
}
#endif

int weft_clock_start(char *error, size_t error_size) {
    const char *choice = getenv("WEFT_CLOCK");
    bool want_tsc = true, insist = false;
    if (choice == NULL || choice[0] == '\0' || strcmp(choice, "auto") == 0) {
        want_tsc = true;
    } else if (strcmp(choice, "tsc") == 0) {
        insist = true;
    } else if (strcmp(choice, "monotonic") == 0) {
        want_tsc = false;
    } else {
        snprintf(error, error_size, "weft: WEFT_CLOCK=%s is not one of auto, tsc, monotonic", choice);
        return -EINVAL;
    }
    /* Exclude a recalibration by a thread still recording in the previous start (it never waits). */
    uint32_t expected = 0;
    while (!atomic_compare_exchange_weak_explicit(&weft_clock_busy, &expected, 1u, memory_order_acquire,
                                                  memory_order_relaxed)) {
        expected = 0;
    }
    weft_store_relaxed(&weft_clock.mode, WEFT_CLOCK_VDSO);
    snprintf(weft_clock_reason, sizeof weft_clock_reason, "WEFT_CLOCK=monotonic");
#if defined(__x86_64__)
    char buffer[160];
    const char *why = want_tsc ? weft_tsc_unusable(buffer, sizeof buffer) : NULL;
    if (want_tsc && why == NULL) {
        /* the narrowest bracket in each of two 100 µs windows: a preempted pair would skew the rate */
        uint64_t tsc0, mono0, tsc1, mono1;
        weft_clock_best_pair(&tsc0, &mono0);
        weft_clock_best_pair(&tsc1, &mono1);
        weft_anchor_tsc = tsc0;
        weft_anchor_mono = mono0;
        const uint64_t rate = weft_rate_since_anchor(tsc1, mono1);
        /* 10 MHz .. 100 GHz: anything else is not a TSC to trust */
        if (rate > (UINT64_C(100) << 32) || rate < (UINT64_C(1) << 32) / 100u) {
            why = "the TSC's measured rate is implausible";
        } else {
            weft_interval_ns = WEFT_FIRST_INTERVAL_NANOS;
            const weft_clock_params_t p = {.base_tsc = tsc1,
                                           .base_ns = mono1 + (uint64_t)weft_global.clock_offset_nanos,
                                           .mult = rate,
                                           .rate = rate,
                                           .limit = weft_nanos_to_ticks(WEFT_FIRST_INTERVAL_NANOS, rate)};
            weft_clock_publish(&p);
            weft_clock_reason[0] = '\0';
            /* release: a reader that sees the TSC mode sees its mapping */
            weft_store_release(&weft_clock.mode, WEFT_CLOCK_TSC);
        }
    }
    if (want_tsc && why != NULL) {
        snprintf(weft_clock_reason, sizeof weft_clock_reason, "%s", why);
        if (insist) {
            fprintf(stderr, "weft: WEFT_CLOCK=tsc, but %s: timestamps come from CLOCK_MONOTONIC\n", why);
        }
    }
#else
    if (want_tsc) {
        snprintf(weft_clock_reason, sizeof weft_clock_reason, "no TSC support on this architecture");
        if (insist) {
            fprintf(stderr, "weft: WEFT_CLOCK=tsc is only supported on x86_64: timestamps come from CLOCK_MONOTONIC\n");
        }
    }
#endif
    weft_store_release(&weft_clock_started, 1u);
    weft_store_release(&weft_clock_busy, 0u);
    return 0;
}

uint64_t weft_clock_slow(uint64_t tsc) {
#if defined(__x86_64__)
    weft_clock_params_t p;
    if (weft_load_acquire(&weft_clock.mode) != WEFT_CLOCK_TSC || !weft_clock_read(&p)) {
        return weft_vdso_now(); /* being rewritten (or fell back): the reference it is calibrated to */
    }
    if (tsc >= p.base_tsc && tsc - p.base_tsc >= p.limit) {
        uint32_t expected = 0;
        /* acquire: this thread sees what the previous recalibration wrote */
        if (atomic_compare_exchange_strong_explicit(&weft_clock_busy, &expected, 1u, memory_order_acquire,
                                                    memory_order_relaxed)) {
            if (weft_load_relaxed(&weft_clock.mode) == WEFT_CLOCK_TSC) {
                weft_clock_recalibrate();
            }
            /* release: the next recalibrating thread sees this one's interval and anchor */
            weft_store_release(&weft_clock_busy, 0u);
        }
        if (weft_load_acquire(&weft_clock.mode) != WEFT_CLOCK_TSC || !weft_clock_read(&p)) {
            return weft_vdso_now();
        }
    }
    /* Another thread recalibrates, or this tick was read before its new base: extrapolate. */
    return weft_clock_map(&p, tsc);
#else
    (void)tsc;
    return weft_vdso_now();
#endif
}

/** The test hooks (test_clock.c): expire the mapping now, or move it by `skew_nanos`. */
bool weft_clock_testing_adjust(int64_t skew_nanos) {
#if defined(__x86_64__)
    uint32_t expected = 0;
    if (!atomic_compare_exchange_strong_explicit(&weft_clock_busy, &expected, 1u, memory_order_acquire,
                                                 memory_order_relaxed)) {
        return false;
    }
    weft_clock_params_t p;
    const bool ok = weft_clock_read(&p);
    if (ok) {
        p.limit = 1;
        p.base_ns += (uint64_t)skew_nanos;
        weft_clock_publish(&p);
    }
    weft_store_release(&weft_clock_busy, 0u);
    return ok;
#else
    (void)skew_nanos;
    return false;
#endif
}

void weft_clock_on_fork_child(void) {
    if ((weft_load_relaxed(&weft_clock.seq) & 1u) != 0) {
        /* the parent's other thread was rewriting the mapping: it is torn; use the vDSO */
        weft_store_relaxed(&weft_clock.mode, WEFT_CLOCK_VDSO);
        weft_store_relaxed(&weft_clock.seq, weft_load_relaxed(&weft_clock.seq) + 1u);
        snprintf(weft_clock_reason, sizeof weft_clock_reason, "forked during a TSC recalibration");
    }
    weft_store_relaxed(&weft_clock_busy, 0u);
}

uint64_t weft_now_unix_nanos(void) {
#ifndef WEFT_TESTING
    if (WEFT_UNLIKELY(weft_load_acquire(&weft_clock_started) == 0)) {
        /* never started: no epoch offset measured yet, so the wall clock itself */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * WEFT_NANOS_PER_SECOND + (uint64_t)ts.tv_nsec;
    }
#endif
    return weft_now();
}

const char *weft_clock_source(void) {
    if (weft_load_acquire(&weft_clock_started) == 0) {
        return "realtime";
    }
    return weft_load_acquire(&weft_clock.mode) == WEFT_CLOCK_TSC ? "tsc" : "monotonic";
}

const char *weft_clock_source_reason(void) {
    return weft_load_acquire(&weft_clock.mode) == WEFT_CLOCK_TSC ? "" : weft_clock_reason;
}
