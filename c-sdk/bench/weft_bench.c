/*
 * weft-bench - nanoseconds per span, as a ratio to the floor measured in
 * the same run.
 *
 *   weft-bench [--rounds R] [--batch N]
 *
 * The floor is what any span recorder must at least do: read the clock
 * twice (clock_gettime(CLOCK_REALTIME)) and store 64 bytes. A weft span here
 * is begin, two attributes (a short string and an int64), end.
 *
 * Method: rounds alternate a floor batch and a weft batch of N operations
 * each, so both see the same machine noise; each round gives a ratio, and
 * the report gives medians. Between batches (outside the timing) the main
 * thread drains the rings with the reference reader, so the producer never
 * hits a full ring and the copy into the ring is always paid. The 64-byte
 * floor stores walk a buffer as large as the records a batch writes, so both
 * touch the same amount of memory.
 *
 * Scenarios: 1 thread; 2 threads at once (each its own ring); unsampled spans
 * (the cost under an unsampled parent); 1 thread without publishing the
 * OTEP 4947 thread context (what that publication costs); 1 thread with
 * WEFT_TRACER, the tracer of a library that never calls weft_init; and 1 thread
 * recording the same span with weft_span_record (two weft_now_unix_nanos()
 * reads by the caller and one call), against the floor and against begin/end
 * in the same rounds.
 */
#define _GNU_SOURCE
#include <weft/weft.h>
#include <weft/weft_reader.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_floor.h"

#define MAX_THREADS 2

typedef struct scenario {
    const char *name;
    int threads;
    bool otel_thread_ctx;
    weft_sampler_t sampler;
    bool here; /* WEFT_TRACER (the calling library's tracer, resolved once) instead of the init's */
    bool vs_init_tracer; /* the baseline batch is the same span with the init's tracer, not the floor */
    bool record;         /* the span is recorded with weft_span_record, not begin/end */
} scenario_t;

typedef struct shared {
    pthread_barrier_t start;
    pthread_barrier_t done;
    int threads;
    int batch;
    int rounds;
    volatile int phase; /* 0 floor, 1 weft, 2 exit */
    bool here;
    bool vs_init_tracer;
    bool record;
    weft_tracer_t *tracer;
    uint8_t *floor_buffer[MAX_THREADS];
    double nanos[MAX_THREADS];
} shared_t;

static uint64_t now_nanos(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static __attribute__((noinline)) void weft_batch(weft_tracer_t *tracer, int n) {
    for (int i = 0; i < n; i++) {
        weft_span_t *span = weft_span_begin(tracer, "bench.decode", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_string(span, "codec", "h264");
        weft_span_set_int64(span, "frame", i);
        weft_span_end(span);
    }
}

/* The same span recorded in one call once finished: the caller reads the clock twice. */
static __attribute__((noinline)) void weft_record_batch(weft_tracer_t *tracer, int n) {
    for (int i = 0; i < n; i++) {
        uint64_t start = weft_now_unix_nanos();
        uint64_t end = weft_now_unix_nanos();
        const weft_attr_n_t attrs[2] = {WEFT_ATTR_N_STR("codec", "h264"), WEFT_ATTR_N_I64("frame", i)};
        weft_span_record(tracer, "bench.decode", WEFT_SPAN_KIND_INTERNAL, start, end, attrs, 2);
    }
}

/* The same span with WEFT_TRACER: what a library that never calls weft_init writes. */
static __attribute__((noinline)) void weft_here_batch(int n) {
    for (int i = 0; i < n; i++) {
        weft_span_t *span = weft_span_begin(WEFT_TRACER, "bench.decode", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_string(span, "codec", "h264");
        weft_span_set_int64(span, "frame", i);
        weft_span_end(span);
    }
}

typedef struct worker {
    shared_t *shared;
    int index;
} worker_t;

static void *worker_main(void *arg) {
    worker_t *w = arg;
    shared_t *s = w->shared;
    for (;;) {
        pthread_barrier_wait(&s->start);
        int phase = s->phase;
        if (phase == 2) {
            return NULL;
        }
        uint64_t t0 = now_nanos();
        if (phase == 0 && s->vs_init_tracer) {
            weft_batch(s->tracer, s->batch);
        } else if (phase == 0) {
            bench_floor(s->floor_buffer[w->index], s->batch);
        } else if (s->record) {
            weft_record_batch(s->tracer, s->batch);
        } else if (s->here) {
            weft_here_batch(s->batch);
        } else {
            weft_batch(s->tracer, s->batch);
        }
        s->nanos[w->index] = (double)(now_nanos() - t0) / s->batch;
        pthread_barrier_wait(&s->done);
    }
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, compare_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct result {
    double floor_ns;
    double weft_ns;
    double ratio;
    uint64_t dropped;
} result_t;

static result_t run(const scenario_t *sc, int rounds, int batch) {
    weft_config_t config;
    weft_config_from_env(&config);
    snprintf(config.shm_name, sizeof config.shm_name, "weft-bench-%d", (int)getpid());
    config.ring_size = 8u << 20; /* holds a whole batch: the producer never waits for the drain */
    config.max_threads = 4;
    config.otel_thread_ctx = sc->otel_thread_ctx;
    config.sampler = sc->sampler;
    shared_t s = {.threads = sc->threads, .batch = batch, .rounds = rounds, .here = sc->here,
                 .vs_init_tracer = sc->vs_init_tracer, .record = sc->record};
    if (weft_init_with_config(&config, "weft-bench", "0", &s.tracer) != 0) {
        fprintf(stderr, "weft-bench: %s\n", weft_last_error());
        exit(1);
    }
    char path[4096];
    weft_segment_path(path, sizeof path);
    static weft_reader_t reader;
    char error[256];
    if (weft_reader_open(&reader, path, error, sizeof error) != 0) {
        fprintf(stderr, "weft-bench: %s\n", error);
        exit(1);
    }
    pthread_barrier_init(&s.start, NULL, (unsigned)sc->threads + 1);
    pthread_barrier_init(&s.done, NULL, (unsigned)sc->threads + 1);
    pthread_t threads[MAX_THREADS];
    worker_t workers[MAX_THREADS];
    for (int i = 0; i < sc->threads; i++) {
        s.floor_buffer[i] = aligned_alloc(64, (size_t)batch * 64);
        memset(s.floor_buffer[i], 0, (size_t)batch * 64);
        workers[i] = (worker_t){.shared = &s, .index = i};
        pthread_create(&threads[i], NULL, worker_main, &workers[i]);
    }
    double *floor_ns = calloc((size_t)rounds, sizeof(double));
    double *weft_ns = calloc((size_t)rounds, sizeof(double));
    double *ratio = calloc((size_t)rounds, sizeof(double));
    for (int r = -2; r < rounds; r++) { /* two warm-up rounds */
        double f = 0, w = 0;
        for (int phase = 0; phase < 2; phase++) {
            s.phase = phase;
            pthread_barrier_wait(&s.start);
            pthread_barrier_wait(&s.done);
            double sum = 0;
            for (int i = 0; i < sc->threads; i++) {
                sum += s.nanos[i];
            }
            *(phase == 0 ? &f : &w) = sum / sc->threads;
            weft_reader_drain(&reader, NULL, NULL); /* outside the timing */
        }
        if (r >= 0) {
            floor_ns[r] = f;
            weft_ns[r] = w;
            ratio[r] = w / f;
        }
    }
    s.phase = 2;
    pthread_barrier_wait(&s.start);
    for (int i = 0; i < sc->threads; i++) {
        pthread_join(threads[i], NULL);
        free(s.floor_buffer[i]);
    }
    weft_stats_t stats;
    weft_get_stats(&stats);
    result_t result = {.floor_ns = median(floor_ns, rounds),
                       .weft_ns = median(weft_ns, rounds),
                       .ratio = median(ratio, rounds),
                       .dropped = stats.dropped_ring_full + stats.dropped_no_slot + stats.dropped_too_deep};
    free(floor_ns);
    free(weft_ns);
    free(ratio);
    weft_reader_close(&reader);
    weft_shutdown();
    return result;
}

int main(int argc, char **argv) {
    int rounds = 41, batch = 20000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            rounds = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
            batch = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: weft-bench [--rounds R] [--batch N]\n");
            return 2;
        }
    }
    if (rounds < 1 || batch < 1 || batch > 40000) {
        fprintf(stderr, "weft-bench: need rounds >= 1 and 1 <= batch <= 40000 (a batch must fit the ring)\n");
        return 2;
    }
    const scenario_t scenarios[] = {
        {"1 thread", 1, true, WEFT_SAMPLER_PARENTBASED_ALWAYS_ON, false, false, false},
        {"2 threads at once", 2, true, WEFT_SAMPLER_PARENTBASED_ALWAYS_ON, false, false, false},
        {"1 thread, unsampled", 1, true, WEFT_SAMPLER_PARENTBASED_ALWAYS_OFF, false, false, false},
        {"1 thread, no OTEP 4947 ctx", 1, false, WEFT_SAMPLER_PARENTBASED_ALWAYS_ON, false, false, false},
        {"1 thread, WEFT_TRACER (no init call)", 1, true, WEFT_SAMPLER_PARENTBASED_ALWAYS_ON, true, false, false},
        /* "floor" column: the init's tracer; ratio: WEFT_TRACER's cost over it, in the same rounds */
        {"WEFT_TRACER / weft_init's tracer, same rounds", 1, true, WEFT_SAMPLER_PARENTBASED_ALWAYS_ON, true, true, false},
        {"1 thread, weft_span_record (2 clock reads by the caller + 1 call)", 1, true,
         WEFT_SAMPLER_PARENTBASED_ALWAYS_ON, false, false, true},
        /* "floor" column: begin + 2 attributes + end; ratio: weft_span_record's cost over it, same rounds */
        {"weft_span_record / begin + 2 attributes + end, same rounds", 1, true, WEFT_SAMPLER_PARENTBASED_ALWAYS_ON,
         false, true, true},
    };
    printf("weft-bench: %d rounds of %d spans per thread; span = begin + 2 attributes + end\n", rounds, batch);
    printf("floor = 2 x clock_gettime(CLOCK_REALTIME) + 64-byte store, measured in the same rounds\n\n");
    printf("| scenario | floor ns/op | weft ns/span | ratio to floor (median of rounds) | dropped |\n");
    printf("|---|---:|---:|---:|---:|\n");
    double one_thread = 0;
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        result_t r = run(&scenarios[i], rounds, batch);
        if (i == 0) {
            one_thread = r.weft_ns;
        }
        printf("| %s | %.1f | %.1f | %.2fx | %llu |\n", scenarios[i].name, r.floor_ns, r.weft_ns, r.ratio,
               (unsigned long long)r.dropped);
        if (i == 1) {
            printf("| (2 threads / 1 thread, per span) | | | %.2fx | |\n", r.weft_ns / one_thread);
        }
        fflush(stdout);
    }
    return 0;
}
