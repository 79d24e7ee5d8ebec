/*
 * claim_cost.c - what a thread's first span costs (its slot's claim; since the full-/dev/shm fix, the
 * reservation of the slot's pages with fallocate) and what writing its first ringful costs (the first
 * touch of each ring page), for a 256 KiB and a 1 MiB ring. Not a test: a measurement for
 * docs/benchmarks.md, built as weft-claim-cost; it uses only the public API, so the same source can be
 * built against an older libweft for the baseline.
 *
 *   weft-claim-cost [threads]     (default 63: each thread in turn claims a slot never claimed before)
 */
#define _GNU_SOURCE
#include <weft/weft.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static weft_tracer_t *tracer;
static int spans_per_ringful;

typedef struct sample {
    double first_ns;
    double ringful_ns;
} sample_t;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *one_thread(void *arg) {
    sample_t *s = arg;
    double t0 = now_ns();
    weft_span_end(weft_span_begin(tracer, "first", WEFT_SPAN_KIND_INTERNAL));
    double t1 = now_ns();
    for (int i = 0; i < spans_per_ringful; i++) {
        weft_span_t *span = weft_span_begin(tracer, "work", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_int64(span, "i", i);
        weft_span_set_string(span, "k", "a short string value");
        weft_span_end(span);
    }
    double t2 = now_ns();
    s->first_ns = t1 - t0;
    s->ringful_ns = t2 - t1;
    return NULL;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, compare);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 63;
    if (threads < 1 || threads > 1000) {
        fprintf(stderr, "weft-claim-cost: threads must be 1..1000\n");
        return 2;
    }
    const uint32_t rings[] = {256u * 1024u, 1024u * 1024u};
    printf("| ring | threads | first span (claim) median us | max us | first ringful median us | per ring page us |\n");
    printf("|---:|---:|---:|---:|---:|---:|\n");
    for (size_t r = 0; r < sizeof rings / sizeof rings[0]; r++) {
        weft_config_t config;
        if (weft_config_from_env(&config) != 0) {
            fprintf(stderr, "weft-claim-cost: %s\n", weft_last_error());
            return 1;
        }
        config.ring_size = rings[r];
        config.max_threads = (uint32_t)threads + 1;
        if (weft_init_with_config(&config, "weft-claim-cost", "0", &tracer) != 0) {
            fprintf(stderr, "weft-claim-cost: %s\n", weft_last_error());
            return 1;
        }
        spans_per_ringful = (int)(rings[r] / 240u); /* records of about 230 bytes: just under a ringful */
        sample_t *samples = calloc((size_t)threads, sizeof *samples);
        double *first = calloc((size_t)threads, sizeof *first), *ringful = calloc((size_t)threads, sizeof *ringful);
        for (int i = 0; i < threads; i++) { /* one after another: no reader, so each claims a fresh slot */
            pthread_t t;
            pthread_create(&t, NULL, one_thread, &samples[i]);
            pthread_join(t, NULL);
            first[i] = samples[i].first_ns;
            ringful[i] = samples[i].ringful_ns;
        }
        double first_max = 0;
        for (int i = 0; i < threads; i++) {
            first_max = first[i] > first_max ? first[i] : first_max;
        }
        const double ringful_median = median(ringful, threads);
        printf("| %u KiB | %d | %.1f | %.1f | %.1f | %.3f |\n", rings[r] / 1024u, threads, median(first, threads) / 1e3,
               first_max / 1e3, ringful_median / 1e3, ringful_median / 1e3 / (rings[r] / 4096.0));
        weft_stats_t stats;
        weft_get_stats(&stats);
        if (stats.dropped_no_slot != 0) {
            printf("  (%llu spans dropped_no_slot: a thread found no slot)\n", (unsigned long long)stats.dropped_no_slot);
        }
        weft_shutdown();
        free(samples);
        free(first);
        free(ringful);
    }
    return 0;
}
