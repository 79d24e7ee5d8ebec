/*
 * weft-clock-drift - how far libweft's span clock drifts from CLOCK_REALTIME over time.
 *
 *   weft-clock-drift [--seconds S] [--interval-ms M]
 *
 * Starts Weft (a private segment), then every M ms compares weft_now_unix_nanos() with
 * CLOCK_REALTIME read just before and just after it (the narrowest of 8 brackets). In the same
 * samples it reports how far CLOCK_MONOTONIC moved against CLOCK_REALTIME since the start: that is
 * what the vDSO source (CLOCK_MONOTONIC + the offset measured at init) drifts by, so the two
 * columns compare the sources in one run. Between samples it spins 1 ms reading the span clock
 * back to back and counts any step backwards. Run with WEFT_CLOCK=monotonic to see the vDSO source
 * in the first column too. Prints one line per sample and a summary.
 */
#define _GNU_SOURCE
#include <weft/weft.h>

#include "tool_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t clock_nanos(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* weft - realtime and monotonic - realtime, each from the narrowest of 8 brackets. */
static void sample(int64_t *weft_minus_real, int64_t *mono_minus_real) {
    int64_t best = INT64_MAX;
    for (int i = 0; i < 8; i++) {
        int64_t before = clock_nanos(CLOCK_REALTIME);
        int64_t weft = (int64_t)weft_now_unix_nanos();
        int64_t mono = clock_nanos(CLOCK_MONOTONIC);
        int64_t after = clock_nanos(CLOCK_REALTIME);
        if (after - before < best) {
            best = after - before;
            *weft_minus_real = weft - (before + (after - before) / 2);
            *mono_minus_real = mono - (before + (after - before) / 2);
        }
    }
}

int main(int argc, char **argv) {
    long seconds = 600, interval_ms = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--seconds") == 0) {
            seconds = tool_parse_long("weft-clock-drift", "--seconds", argv[i + 1], 1, 31536000);
        } else if (strcmp(argv[i], "--interval-ms") == 0) {
            interval_ms = tool_parse_long("weft-clock-drift", "--interval-ms", argv[i + 1], 1, 86400000);
        } else {
            fprintf(stderr, "usage: weft-clock-drift [--seconds S] [--interval-ms M]\n");
            return 2;
        }
    }
    weft_config_t config;
    if (weft_config_from_env(&config) != 0) {
        fprintf(stderr, "%s\n", weft_last_error());
        return 1;
    }
    snprintf(config.shm_name, sizeof config.shm_name, "weft-clock-drift-%d", (int)getpid());
    config.max_threads = 1;
    weft_tracer_t *tracer;
    if (weft_init_with_config(&config, "weft-clock-drift", NULL, &tracer) != 0) {
        fprintf(stderr, "%s\n", weft_last_error());
        return 1;
    }
    const char *reason = weft_clock_source_reason();
    printf("# source %s%s%s; %ld s, a sample every %ld ms\n", weft_clock_source(), reason[0] ? ": " : "", reason,
           seconds, interval_ms);
    printf("# seconds  weft-realtime_ns  (monotonic-realtime)-at_start_ns  backward_steps\n");
    int64_t weft0, mono0;
    sample(&weft0, &mono0);
    int64_t max_abs = 0, mono_max_abs = 0, last = 0, mono_last = 0;
    long backwards = 0;
    const int64_t start = clock_nanos(CLOCK_MONOTONIC);
    const long samples = seconds * 1000 / interval_ms;
    for (long n = 1; n <= samples; n++) {
        const int64_t due = start + (int64_t)n * interval_ms * 1000000;
        /* 1 ms of back-to-back reads: the clock must never step back */
        uint64_t previous = weft_now_unix_nanos();
        const int64_t spin_end = clock_nanos(CLOCK_MONOTONIC) + 1000000;
        while (clock_nanos(CLOCK_MONOTONIC) < spin_end) {
            uint64_t now = weft_now_unix_nanos();
            backwards += now < previous;
            previous = now;
        }
        int64_t left = due - clock_nanos(CLOCK_MONOTONIC);
        if (left > 0) {
            struct timespec ts = {.tv_sec = left / 1000000000, .tv_nsec = left % 1000000000};
            nanosleep(&ts, NULL);
        }
        int64_t weft, mono;
        sample(&weft, &mono);
        last = weft;
        mono_last = mono - mono0;
        max_abs = llabs(last) > max_abs ? llabs(last) : max_abs;
        mono_max_abs = llabs(mono_last) > mono_max_abs ? llabs(mono_last) : mono_max_abs;
        printf("%8.1f %12lld %12lld %ld\n", (double)(n * interval_ms) / 1000.0, (long long)last,
               (long long)mono_last, backwards);
        fflush(stdout);
    }
    printf("# summary: source %s, %ld s: weft-realtime first %lld ns, last %lld ns, max |.| %lld ns;"
           " monotonic-realtime moved by %lld ns (max |.| %lld ns); backward steps %ld\n",
           weft_clock_source(), seconds, (long long)weft0, (long long)last, (long long)max_abs,
           (long long)mono_last, (long long)mono_max_abs, backwards);
    weft_shutdown();
    return backwards == 0 ? 0 : 1;
}
