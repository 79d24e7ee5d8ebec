/*
 * weft-bench-count - a fixed number of spans of weft-bench's shape, for counting instructions
 * per span with callgrind (deterministic on a loaded machine, unlike nanoseconds).
 *
 *   valgrind --tool=callgrind --toggle-collect=span_loop_any weft-bench-count [--spans N] [--record | --floor]
 *
 * Instructions per span = the Ir callgrind reports (collected inside span_loop_any only, inclusive
 * of the calls into libweft and libc) / N. Without an option a span is weft_span_begin + a string
 * and an int64 attribute + weft_span_end; with --record it is two weft_now_unix_nanos() by the
 * caller and one weft_span_record with the same two attributes; with --floor it is weft-bench's
 * floor (two clock_gettime(CLOCK_REALTIME) through the vDSO and a 64-byte store), the same loop
 * as there. The rings are drained between batches of 20,000, outside span_loop_any.
 */
#define _GNU_SOURCE
#include <weft/weft.h>
#include <weft/weft_reader.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_floor.h"

#define BATCH 20000

static uint8_t floor_buffer[(size_t)BATCH * 64] __attribute__((aligned(64)));

static __attribute__((noinline)) void span_loop(weft_tracer_t *tracer, int n, int first) {
    for (int i = first; i < first + n; i++) {
        weft_span_t *span = weft_span_begin(tracer, "bench.decode", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_string(span, "codec", "h264");
        weft_span_set_int64(span, "frame", i);
        weft_span_end(span);
    }
}

static __attribute__((noinline)) void record_loop(weft_tracer_t *tracer, int n, int first) {
    for (int i = first; i < first + n; i++) {
        uint64_t start = weft_now_unix_nanos();
        /* ... the work being timed ... */
        uint64_t end = weft_now_unix_nanos();
        const weft_attr_n_t attrs[2] = {WEFT_ATTR_N_STR("codec", "h264"), WEFT_ATTR_N_I64("frame", i)};
        weft_span_record(tracer, "bench.decode", WEFT_SPAN_KIND_INTERNAL, start, end, attrs, 2);
    }
}

/* one function for callgrind's --toggle-collect whichever loop runs */
static __attribute__((noinline)) void span_loop_any(weft_tracer_t *tracer, int n, int first, int record) {
    if (record == 2) {
        bench_floor(floor_buffer, n);
    } else if (record) {
        record_loop(tracer, n, first);
    } else {
        span_loop(tracer, n, first);
    }
}

int main(int argc, char **argv) {
    int spans = 100000, record = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--spans") == 0 && i + 1 < argc) {
            spans = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--record") == 0) {
            record = 1;
        } else if (strcmp(argv[i], "--floor") == 0) {
            record = 2;
        } else {
            fprintf(stderr, "usage: weft-bench-count [--spans N] [--record | --floor]\n");
            return 2;
        }
    }
    if (spans < 1) {
        fprintf(stderr, "weft-bench-count: need --spans >= 1\n");
        return 2;
    }
    weft_config_t config;
    weft_config_from_env(&config);
    snprintf(config.shm_name, sizeof config.shm_name, "weft-bench-count-%d", (int)getpid());
    config.ring_size = 8u << 20; /* holds a whole batch */
    weft_tracer_t *tracer;
    if (weft_init_with_config(&config, "weft-bench-count", "0", &tracer) != 0) {
        fprintf(stderr, "weft-bench-count: %s\n", weft_last_error());
        return 1;
    }
    char path[4096], error[256];
    weft_segment_path(path, sizeof path);
    static weft_reader_t reader;
    if (weft_reader_open(&reader, path, error, sizeof error) != 0) {
        fprintf(stderr, "weft-bench-count: %s\n", error);
        return 1;
    }
    uint64_t decoded = 0;
    for (int done = 0; done < spans; done += BATCH) {
        int n = spans - done < BATCH ? spans - done : BATCH;
        span_loop_any(tracer, n, done, record);
        decoded += weft_reader_drain(&reader, NULL, NULL);
    }
    weft_stats_t stats;
    weft_get_stats(&stats);
    if (record == 2) {
        printf("weft-bench-count: %d floor operations (2 x clock_gettime(CLOCK_REALTIME) + 64-byte store)\n", spans);
        weft_reader_close(&reader);
        weft_shutdown();
        return 0;
    }
    printf("weft-bench-count: %d spans (%s), %llu decoded, %llu dropped, clock %s\n", spans,
           record ? "weft_span_record" : "begin + 2 attributes + end", (unsigned long long)decoded,
           (unsigned long long)(stats.dropped_ring_full + stats.dropped_no_slot + stats.dropped_too_deep),
           weft_clock_source());
    weft_reader_close(&reader);
    weft_shutdown();
    return decoded == (uint64_t)spans ? 0 : 1;
}
