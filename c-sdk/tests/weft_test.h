/*
 * weft_test.h - a minimal test harness for the C SDK tests, and helpers to
 * run Weft against a private segment directory and read back what it wrote.
 */
#ifndef WEFT_TEST_H
#define WEFT_TEST_H

#define _GNU_SOURCE
#include <weft/weft.h>
#include <weft/weft_reader.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int weft_test_failures;
static int weft_test_checks;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        weft_test_checks++;                                                           \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            weft_test_failures++;                                                     \
        }                                                                             \
    } while (0)

#define CHECK_EQ(a, b)                                                                                     \
    do {                                                                                                   \
        weft_test_checks++;                                                                                \
        long long _a = (long long)(a), _b = (long long)(b);                                                \
        if (_a != _b) {                                                                                    \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n", __FILE__, __LINE__, #a, _a, \
                    #b, _b);                                                                               \
            weft_test_failures++;                                                                          \
        }                                                                                                  \
    } while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

typedef void (*weft_test_fn)(void);
typedef struct {
    const char *name;
    weft_test_fn fn;
} weft_test_case_t;

/** Runs the cases; prints the closing line ctest and CI read. */
static int weft_test_run(const char *suite, const weft_test_case_t *cases, size_t n) {
    int failed_cases = 0;
    for (size_t i = 0; i < n; i++) {
        int before = weft_test_failures;
        printf("[ RUN  ] %s.%s\n", suite, cases[i].name);
        fflush(stdout);
        cases[i].fn();
        int failed = weft_test_failures != before;
        failed_cases += failed;
        printf("[ %s ] %s.%s\n", failed ? "FAIL" : " OK ", suite, cases[i].name);
    }
    printf("%s: %zu passed, %d failed (%d checks)\n", suite, n - (size_t)failed_cases, failed_cases,
           weft_test_checks);
    return failed_cases == 0 ? 0 : 1;
}

#define TEST_CASE(fn) {#fn, fn}

/* ------------------------------------------------------------ helpers */

static char weft_test_dir[64];

/** Remove the private segment directory and what is left in it. */
static inline void weft_test_remove_dir(void) {
    char command[128];
    if (weft_test_dir[0] != '\0' && strncmp(weft_test_dir, "/dev/shm/weft-test-", 19) == 0) {
        snprintf(command, sizeof command, "rm -rf '%s'", weft_test_dir);
        if (system(command) != 0) {
            fprintf(stderr, "could not remove %s\n", weft_test_dir);
        }
    }
}

/** Defaults plus a private directory for segments, created once per process. */
static inline weft_config_t weft_test_config(void) {
    weft_config_t config;
    if (weft_config_from_env(&config) != 0) {
        fprintf(stderr, "config: %s\n", weft_last_error());
        exit(2);
    }
    if (weft_test_dir[0] == '\0') {
        /* tmpfs, as in production: a disk-backed file would page-fault on writeback */
        snprintf(weft_test_dir, sizeof weft_test_dir, "/dev/shm/weft-test-XXXXXX");
        if (mkdtemp(weft_test_dir) == NULL) {
            perror("mkdtemp");
            exit(2);
        }
        atexit(weft_test_remove_dir); /* forked children leave with _exit and do not run it */
    }
    snprintf(config.shm_dir, sizeof config.shm_dir, "%s", weft_test_dir);
    config.max_threads = 8;
    config.ring_size = 64 * 1024;
    config.frame_size = 1024;
    config.stack_depth = 8;
    return config;
}

static inline weft_tracer_t *weft_test_start(const weft_config_t *config) {
    weft_tracer_t *tracer = NULL;
    int rc = weft_init_with_config(config, "weft-test", "1.0.0", &tracer);
    if (rc != 0) {
        fprintf(stderr, "weft_init_with_config: %d %s\n", rc, weft_last_error());
        exit(2);
    }
    return tracer;
}

/** Open the running segment with the reference reader (heap-allocated: the reader is large). */
static inline weft_reader_t *weft_test_reader(void) {
    char path[4096];
    if (weft_segment_path(path, sizeof path) < 0) {
        fprintf(stderr, "no segment\n");
        exit(2);
    }
    weft_reader_t *reader = malloc(sizeof *reader);
    char error[256];
    if (reader == NULL || weft_reader_open(reader, path, error, sizeof error) != 0) {
        fprintf(stderr, "reader: %s\n", error);
        exit(2);
    }
    return reader;
}

static inline void weft_test_reader_free(weft_reader_t *reader) {
    weft_reader_close(reader);
    free(reader);
}

/** A copy of one decoded span, for assertions after the drain. */
typedef struct weft_test_span {
    weft_abi_span_t fixed;
    char name[300];
    char status_message[1100];
    int has_status_message;
    uint32_t slot;
    int item_count;
    weft_item_view_t items[24];
    char strings[24][300]; /* key (and value for strings) per item: "key=value" */
} weft_test_span_t;

typedef struct weft_test_spans {
    size_t count;
    size_t capacity;
    weft_test_span_t *spans;
} weft_test_spans_t;

static inline void weft_test_collect(const weft_span_view_t *view, void *clientd) {
    weft_test_spans_t *out = clientd;
    if (out->count == out->capacity) {
        out->capacity = out->capacity ? out->capacity * 2 : 16;
        out->spans = realloc(out->spans, out->capacity * sizeof *out->spans);
    }
    weft_test_span_t *s = &out->spans[out->count++];
    memset(s, 0, sizeof *s);
    s->fixed = *view->fixed;
    s->slot = view->slot;
    snprintf(s->name, sizeof s->name, "%.*s", view->name_length, view->name);
    if (view->status_message != NULL) {
        s->has_status_message = 1;
        snprintf(s->status_message, sizeof s->status_message, "%.*s", view->status_message_length,
                 view->status_message);
    }
    weft_item_cursor_t cursor = {0};
    weft_item_view_t item;
    while (s->item_count < 24 && weft_item_next(view, &cursor, &item)) {
        if (item.tag == WEFT_ABI_ITEM_ATTR_STRING) {
            snprintf(s->strings[s->item_count], sizeof s->strings[0], "%.*s=%.*s", item.key_length, item.key,
                     (int)item.string_length, item.string_value);
        } else {
            snprintf(s->strings[s->item_count], sizeof s->strings[0], "%.*s", item.key_length, item.key);
        }
        item.key = NULL; /* points into the reader's buffer: use strings[] */
        item.string_value = NULL;
        s->items[s->item_count++] = item;
    }
}

static inline void weft_test_spans_free(weft_test_spans_t *spans) {
    free(spans->spans);
    memset(spans, 0, sizeof *spans);
}

/** Drain the running segment into `out`. */
static inline size_t weft_test_drain(weft_reader_t *reader, weft_test_spans_t *out) {
    return weft_reader_drain(reader, weft_test_collect, out);
}

#endif /* WEFT_TEST_H */
