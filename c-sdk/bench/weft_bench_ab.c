/*
 * weft-bench-ab - two builds of libweft in one process, same rounds: nanoseconds per span of
 * build B as a ratio to build A (e.g. before and after a change).
 *
 *   weft-bench-ab LIB_A LIB_B [--rounds R] [--batch N] [--b-record]
 *
 * Each library is loaded into its own link-map namespace (dlmopen LM_ID_NEWLM), so the two have
 * their own globals and thread-local state, and each records into its own segment. Rounds
 * alternate an A batch and a B batch of N spans on the same thread (the order flips every
 * round), so both see the same machine noise; each round gives a ratio B/A and the report gives
 * the median. A span is begin + a string and an int64 attribute + end, as in weft-bench, called
 * through function pointers in both cases. With --b-record, B records the same span in one call
 * once it is finished (two weft_now_unix_nanos() reads and weft_span_record_n) instead. Rings
 * are drained between batches, outside the timing.
 */
#define _GNU_SOURCE
#include <weft/weft.h>
#include <weft/weft_reader.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct lib {
    const char *path;
    int (*config_from_env)(weft_config_t *);
    int (*init_with_config)(const weft_config_t *, const char *, const char *, weft_tracer_t **);
    int (*segment_path)(char *, size_t);
    weft_span_t *(*begin)(weft_tracer_t *, const char *, size_t, weft_span_kind_t);
    void (*set_string)(weft_span_t *, const char *, size_t, const char *, size_t);
    void (*set_int64)(weft_span_t *, const char *, size_t, int64_t);
    void (*end)(weft_span_t *);
    uint64_t (*now)(void);
    void (*record)(weft_tracer_t *, const char *, size_t, weft_span_kind_t, uint64_t, uint64_t, const weft_attr_n_t *,
                   size_t);
    int (*reader_open)(weft_reader_t *, const char *, char *, size_t);
    size_t (*reader_drain)(weft_reader_t *, weft_span_handler_t, void *);
    weft_tracer_t *tracer;
    weft_reader_t *reader;
} lib_t;

static void *need(void *handle, const char *path, const char *name) {
    void *f = dlsym(handle, name);
    if (f == NULL) {
        fprintf(stderr, "weft-bench-ab: %s has no %s\n", path, name);
        exit(1);
    }
    return f;
}

static void open_lib(lib_t *lib, const char *path, const char *shm_name, bool record) {
    void *h = dlmopen(LM_ID_NEWLM, path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        fprintf(stderr, "weft-bench-ab: %s\n", dlerror());
        exit(1);
    }
    lib->path = path;
    *(void **)&lib->config_from_env = need(h, path, "weft_config_from_env");
    *(void **)&lib->init_with_config = need(h, path, "weft_init_with_config");
    *(void **)&lib->segment_path = need(h, path, "weft_segment_path");
    *(void **)&lib->begin = need(h, path, "weft_span_begin_n");
    *(void **)&lib->set_string = need(h, path, "weft_span_set_string_n");
    *(void **)&lib->set_int64 = need(h, path, "weft_span_set_int64_n");
    *(void **)&lib->end = need(h, path, "weft_span_end");
    if (record) {
        *(void **)&lib->now = need(h, path, "weft_now_unix_nanos");
        *(void **)&lib->record = need(h, path, "weft_span_record_n");
    }
    *(void **)&lib->reader_open = need(h, path, "weft_reader_open");
    *(void **)&lib->reader_drain = need(h, path, "weft_reader_drain");
    weft_config_t config;
    lib->config_from_env(&config);
    snprintf(config.shm_name, sizeof config.shm_name, "%s-%d", shm_name, (int)getpid());
    config.ring_size = 8u << 20;
    config.max_threads = 2;
    if (lib->init_with_config(&config, "weft-bench-ab", "0", &lib->tracer) != 0) {
        fprintf(stderr, "weft-bench-ab: init of %s failed\n", path);
        exit(1);
    }
    char segment[4096], error[256];
    lib->segment_path(segment, sizeof segment);
    lib->reader = malloc(sizeof *lib->reader);
    if (lib->reader == NULL || lib->reader_open(lib->reader, segment, error, sizeof error) != 0) {
        fprintf(stderr, "weft-bench-ab: %s\n", error);
        exit(1);
    }
}

static uint64_t now_nanos(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static __attribute__((noinline)) double batch(const lib_t *lib, weft_tracer_t *tracer, int n) {
    uint64_t t0 = now_nanos();
    for (int i = 0; i < n; i++) {
        weft_span_t *span = lib->begin(tracer, "bench.decode", 12, WEFT_SPAN_KIND_INTERNAL);
        lib->set_string(span, "codec", 5, "h264", 4);
        lib->set_int64(span, "frame", 5, i);
        lib->end(span);
    }
    double ns = (double)(now_nanos() - t0) / n;
    lib->reader_drain(lib->reader, NULL, NULL);
    return ns;
}

static __attribute__((noinline)) double record_batch(const lib_t *lib, weft_tracer_t *tracer, int n) {
    uint64_t t0 = now_nanos();
    for (int i = 0; i < n; i++) {
        uint64_t start = lib->now();
        uint64_t end = lib->now();
        const weft_attr_n_t attrs[2] = {WEFT_ATTR_N_STR("codec", "h264"), WEFT_ATTR_N_I64("frame", i)};
        lib->record(tracer, "bench.decode", 12, WEFT_SPAN_KIND_INTERNAL, start, end, attrs, 2);
    }
    double ns = (double)(now_nanos() - t0) / n;
    lib->reader_drain(lib->reader, NULL, NULL);
    return ns;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, compare_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
    int rounds = 101, n = 20000;
    bool b_record = false;
    if (argc < 3) {
        fprintf(stderr, "usage: weft-bench-ab LIB_A LIB_B [--rounds R] [--batch N]\n");
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            rounds = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
            n = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--b-record") == 0) {
            b_record = true;
        } else {
            fprintf(stderr, "weft-bench-ab: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    if (rounds < 1 || n < 1 || n > 40000) {
        fprintf(stderr, "weft-bench-ab: need rounds >= 1 and 1 <= batch <= 40000\n");
        return 2;
    }
    static lib_t a, b;
    open_lib(&a, argv[1], "weft-bench-a", false);
    open_lib(&b, argv[2], "weft-bench-b", b_record);
    double (*const b_batch)(const lib_t *, weft_tracer_t *, int) = b_record ? record_batch : batch;
    double *na = calloc((size_t)rounds, sizeof(double)), *nb = calloc((size_t)rounds, sizeof(double));
    double *ratio = calloc((size_t)rounds, sizeof(double));
    for (int r = -2; r < rounds; r++) { /* two warm-up rounds */
        double x, y;
        if (r & 1) {
            x = batch(&a, a.tracer, n);
            y = b_batch(&b, b.tracer, n);
        } else {
            y = b_batch(&b, b.tracer, n);
            x = batch(&a, a.tracer, n);
        }
        if (r >= 0) {
            na[r] = x;
            nb[r] = y;
            ratio[r] = y / x;
        }
    }
    printf("weft-bench-ab: %d rounds of %d spans; span = begin + 2 attributes + end%s\n", rounds, n,
           b_record ? " (B: 2 clock reads + weft_span_record_n)" : "");
    printf("A = %s\nB = %s\n\n", a.path, b.path);
    printf("| A ns/span | B ns/span | B / A (median of rounds) |\n|---:|---:|---:|\n");
    printf("| %.1f | %.1f | %.3fx |\n", median(na, rounds), median(nb, rounds), median(ratio, rounds));
    return 0;
}
