/*
 * test_clock.c - the span clock: WEFT_CLOCK parsing, the forced vDSO source, the TSC chosen
 * exactly where the CPU and the kernel allow it, and span durations that never go negative while
 * the TSC mapping is recalibrated under the recording threads or found to disagree with
 * CLOCK_MONOTONIC (and falls back).
 */
#include "weft_test.h"

#include "clock.h"

#include <pthread.h>
#include <time.h>

static uint64_t realtime_nanos(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool close_to_realtime(uint64_t t) {
    /* a correctness bound, not a timing limit: a wrong epoch or unit is off by years or 10^9 */
    uint64_t now = realtime_nanos();
    uint64_t gap = t > now ? t - now : now - t;
    return gap < UINT64_C(60) * 1000000000u;
}

/** Whether this machine should get the TSC: the test's own reading of the same two sources. */
static bool tsc_expected(void) {
#if defined(__x86_64__)
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[8192];
    bool constant = false, nonstop = false;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "flags", 5) == 0) {
            constant = strstr(line, " constant_tsc") != NULL;
            nonstop = strstr(line, " nonstop_tsc") != NULL;
            break;
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    char source[64] = {0};
    f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
    if (f != NULL) {
        if (fgets(source, sizeof source, f) == NULL) {
            source[0] = '\0';
        }
        fclose(f);
    }
    return constant && nonstop && strcmp(source, "tsc\n") == 0;
#else
    return false;
#endif
}

static void before_the_first_init_the_clock_is_the_wall_clock(void) {
    CHECK(strcmp(weft_clock_source(), "realtime") == 0);
    CHECK(close_to_realtime(weft_now_unix_nanos()));
}

static void an_unknown_weft_clock_fails_the_start_and_says_why(void) {
    setenv("WEFT_CLOCK", "sundial", 1);
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = NULL;
    CHECK_EQ(weft_init_with_config(&config, "weft-test", NULL, &tracer), -EINVAL);
    CHECK(strstr(weft_last_error(), "WEFT_CLOCK=sundial") != NULL);
    CHECK(strstr(weft_last_error(), "monotonic") != NULL);
    unsetenv("WEFT_CLOCK");
}

static void weft_clock_monotonic_forces_the_vdso_clock(void) {
    setenv("WEFT_CLOCK", "monotonic", 1);
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    CHECK(strcmp(weft_clock_source(), "monotonic") == 0);
    CHECK(strstr(weft_clock_source_reason(), "WEFT_CLOCK=monotonic") != NULL);
    CHECK(close_to_realtime(weft_now_unix_nanos()));
    weft_reader_t *reader = weft_test_reader();
    weft_span_end(weft_span_begin(tracer, "vdso", WEFT_SPAN_KIND_INTERNAL));
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 1);
    CHECK(spans.count == 1 && close_to_realtime(spans.spans[0].fixed.start_unix_nanos));
    CHECK(spans.count == 1 && spans.spans[0].fixed.end_unix_nanos >= spans.spans[0].fixed.start_unix_nanos);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
    unsetenv("WEFT_CLOCK");
}

static void auto_takes_the_tsc_exactly_where_it_is_usable(void) {
    weft_config_t config = weft_test_config();
    weft_test_start(&config);
    const bool expected = tsc_expected();
    printf("  clock source: %s%s%s\n", weft_clock_source(), expected ? "" : ": ", weft_clock_source_reason());
    CHECK_EQ(strcmp(weft_clock_source(), "tsc") == 0, expected);
    CHECK_EQ(weft_clock_source_reason()[0] == '\0', expected);
    CHECK(close_to_realtime(weft_now_unix_nanos()));
    weft_shutdown();
}

typedef struct recorder {
    weft_tracer_t *tracer;
    int spans;
    long backwards; /* back-to-back reads of the span clock that went back */
} recorder_t;

static void *record(void *arg) {
    recorder_t *r = arg;
    uint64_t previous = weft_now_unix_nanos();
    for (int i = 0; i < r->spans; i++) {
        weft_span_t *parent = weft_span_begin(r->tracer, "parent", WEFT_SPAN_KIND_INTERNAL);
        weft_span_t *child = weft_span_begin(r->tracer, "child", WEFT_SPAN_KIND_INTERNAL);
        weft_span_end(child);
        weft_span_end(parent);
        uint64_t now = weft_now_unix_nanos();
        r->backwards += now < previous;
        previous = now;
    }
    return NULL;
}

typedef struct adjuster {
    _Atomic int stop;
    int64_t skew_nanos; /* applied once, first; then only expiries */
    _Atomic long adjusted;
} adjuster_t;

static void *adjust(void *arg) {
    adjuster_t *a = arg;
    int64_t skew = a->skew_nanos;
    while (!atomic_load(&a->stop)) {
        if (weft_clock_testing_adjust(skew)) {
            atomic_fetch_add(&a->adjusted, 1);
            skew = 0;
        }
        struct timespec ts = {0, 20000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/** Two recording threads (1000 parent/child pairs each) while a third ends the mapping's interval every ~20 µs (and, with a
 * skew, first pushes it far from CLOCK_MONOTONIC): what the drain sees. */
/** @return whether it ran (false: skipped, the TSC is not in use here) */
static bool record_while_adjusting(int64_t skew_nanos, const char *expect_source) {
    weft_config_t config = weft_test_config();
    config.ring_size = 4u << 20;
    weft_tracer_t *tracer = weft_test_start(&config);
    if (strcmp(weft_clock_source(), "tsc") != 0) {
        printf("  skipped: the TSC is not in use here (%s)\n", weft_clock_source_reason());
        weft_shutdown();
        return false;
    }
    weft_reader_t *reader = weft_test_reader();
    /* few spans: the drain keeps a ~9 KB copy of each, and this runs under the sanitizers too */
    recorder_t recorders[2] = {{tracer, 1000, 0}, {tracer, 1000, 0}};
    adjuster_t adjuster = {0};
    adjuster.skew_nanos = skew_nanos;
    pthread_t threads[3];
    pthread_create(&threads[2], NULL, adjust, &adjuster);
    while (atomic_load(&adjuster.stop) == 0 && atomic_load(&adjuster.adjusted) == 0) {
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL); /* the recorders start once the mapping was adjusted at least once */
    }
    const uint64_t before = realtime_nanos();
    for (int i = 0; i < 2; i++) {
        pthread_create(&threads[i], NULL, record, &recorders[i]);
    }
    weft_test_spans_t spans = {0};
    for (int i = 0; i < 2; i++) {
        pthread_join(threads[i], NULL);
    }
    const uint64_t after = realtime_nanos();
    atomic_store(&adjuster.stop, 1);
    pthread_join(threads[2], NULL);
    weft_test_drain(reader, &spans);
    CHECK_EQ(spans.count, 4000);
    CHECK(atomic_load(&adjuster.adjusted) > 0);
    size_t negative = 0, outside = 0;
    for (size_t i = 0; i < spans.count; i++) {
        const weft_abi_span_t *s = &spans.spans[i].fixed;
        negative += s->end_unix_nanos < s->start_unix_nanos;
        /* inside the recording's wall-clock window, give or take the 50 ms skew of the second case */
        outside += s->start_unix_nanos + 100000000u < before || s->end_unix_nanos > after + 100000000u;
    }
    CHECK_EQ(negative, 0);
    CHECK_EQ(outside, 0);
    if (skew_nanos == 0) {
        /* slewed, never stepped: the clock never goes back on a thread */
        CHECK_EQ(recorders[0].backwards + recorders[1].backwards, 0);
    }
    printf("  %zu spans, %ld adjustments, source now %s%s%s\n", spans.count, atomic_load(&adjuster.adjusted),
           weft_clock_source(), weft_clock_source_reason()[0] ? ": " : "", weft_clock_source_reason());
    CHECK(strcmp(weft_clock_source(), expect_source) == 0);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
    return true;
}

static void durations_never_go_negative_while_the_tsc_is_recalibrated(void) {
    record_while_adjusting(0, "tsc");
}

static void a_tsc_that_disagrees_with_clock_monotonic_is_dropped_for_the_vdso(void) {
    /* 50 ms ahead: more than any rate error explains, so the next recalibration falls back */
    if (record_while_adjusting(INT64_C(50000000), "monotonic")) {
        CHECK(strstr(weft_clock_source_reason(), "disagreed") != NULL);
    }
}

int main(void) {
    unsetenv("WEFT_CLOCK");
    static const weft_test_case_t cases[] = {
        TEST_CASE(before_the_first_init_the_clock_is_the_wall_clock),
        TEST_CASE(an_unknown_weft_clock_fails_the_start_and_says_why),
        TEST_CASE(weft_clock_monotonic_forces_the_vdso_clock),
        TEST_CASE(auto_takes_the_tsc_exactly_where_it_is_usable),
        TEST_CASE(durations_never_go_negative_while_the_tsc_is_recalibrated),
        TEST_CASE(a_tsc_that_disagrees_with_clock_monotonic_is_dropped_for_the_vdso),
    };
    return weft_test_run("test_clock", cases, sizeof cases / sizeof cases[0]);
}
