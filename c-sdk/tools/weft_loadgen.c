/*
 * weft-loadgen - records a known set of spans on several threads, for the
 * Java end-to-end tests and for trying a collector by hand.
 *
 *   weft-loadgen --threads T --spans N [--ring-size BYTES] [--rate R] [--start-delay MS] [--wait]
 *
 * Prints "segment <path>" once the segment exists, records N spans on each
 * of T threads (content below), prints "done <spans ended>", then with
 * --wait keeps the segment until standard input reaches end of file.
 * --rate R paces each thread at R/T spans per second (the capacity
 * benchmark: a fixed offered load, not a burst), in 1 ms steps against
 * CLOCK_MONOTONIC, catching up after a stall as a real producer would.
 * --start-delay MS waits that long after the segment exists before
 * recording (time for a collector to attach).
 *
 * Each span: name "loadgen.span", kind CLIENT; attributes loadgen.thread
 * (int64, thread index), loadgen.seq (int64, sequence within the thread),
 * loadgen.text (string "value-<seq>"), loadgen.ratio (double seq/2.0),
 * loadgen.even (bool seq%2==0); an event "tick" with int64 "n"=seq when
 * seq%10==0; status ERROR "seq divisible by 7" when seq%7==0.
 */
#define _POSIX_C_SOURCE 200809L
#include <weft/weft.h>

#include "tool_args.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct worker {
    pthread_t thread;
    weft_tracer_t *tracer;
    long index;
    long spans;
    double rate; /* spans per second for this thread; 0: as fast as possible */
} worker_t;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t deadline_ns) {
    struct timespec ts = {.tv_sec = deadline_ns / 1000000000, .tv_nsec = deadline_ns % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

static void *record(void *arg) {
    worker_t *w = arg;
    char text[32];
    const int64_t start = now_ns();
    long allowed = w->rate > 0 ? 0 : w->spans; /* spans the pacing lets through so far */
    for (long seq = 0; seq < w->spans; seq++) {
        if (w->rate > 0 && seq >= allowed) {
            /* the next 1 ms step: as many spans as the rate allows since the start */
            int64_t t = now_ns();
            long due = (long)((double)(t - start) * w->rate / 1e9);
            if (due <= seq) {
                int64_t next = start + (int64_t)((double)(seq + 1) * 1e9 / w->rate);
                int64_t step = t + 1000000;
                sleep_until(next > step ? next : step);
                t = now_ns();
                due = (long)((double)(t - start) * w->rate / 1e9);
            }
            allowed = due > seq ? due : seq + 1;
        }
        weft_span_t *span = weft_span_begin(w->tracer, "loadgen.span", WEFT_SPAN_KIND_CLIENT);
        weft_span_set_int64(span, "loadgen.thread", w->index);
        weft_span_set_int64(span, "loadgen.seq", seq);
        snprintf(text, sizeof text, "value-%ld", seq);
        weft_span_set_string(span, "loadgen.text", text);
        weft_span_set_double(span, "loadgen.ratio", (double)seq / 2.0);
        weft_span_set_bool(span, "loadgen.even", seq % 2 == 0);
        if (seq % 10 == 0) {
            weft_attr_t n = WEFT_ATTR_I64("n", seq);
            weft_span_add_event(span, "tick", &n, 1);
        }
        if (seq % 7 == 0) {
            weft_span_set_status(span, WEFT_STATUS_ERROR, "seq divisible by 7");
        }
        weft_span_end(span);
    }
    return NULL;
}

static long parse_long(const char *flag, const char *text, long min, long max) {
    return tool_parse_long("weft-loadgen", flag, text, min, max);
}

int main(int argc, char **argv) {
    long threads = 1, spans = 1000, ring_size = 0, rate = 0, start_delay_ms = 0;
    int wait = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            threads = parse_long("--threads", argv[++i], 1, 1024);
        } else if (strcmp(argv[i], "--spans") == 0 && i + 1 < argc) {
            spans = parse_long("--spans", argv[++i], 0, LONG_MAX);
        } else if (strcmp(argv[i], "--ring-size") == 0 && i + 1 < argc) {
            ring_size = parse_long("--ring-size", argv[++i], 1024, 1L << 30);
        } else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc) {
            rate = parse_long("--rate", argv[++i], 1, 1L << 40);
        } else if (strcmp(argv[i], "--start-delay") == 0 && i + 1 < argc) {
            start_delay_ms = parse_long("--start-delay", argv[++i], 0, 3600000);
        } else if (strcmp(argv[i], "--wait") == 0) {
            wait = 1;
        } else {
            fprintf(stderr, "usage: weft-loadgen --threads T --spans N [--ring-size BYTES] [--rate R] [--start-delay MS] [--wait]\n");
            return 2;
        }
    }
    weft_config_t config;
    if (weft_config_from_env(&config) != 0) {
        fprintf(stderr, "weft-loadgen: %s\n", weft_last_error());
        return 1;
    }
    if (ring_size > 0) {
        config.ring_size = (uint32_t)ring_size;
        if (config.frame_size * 2 > config.ring_size) {
            config.frame_size = config.ring_size / 2 < 512 ? 512 : (uint32_t)config.ring_size / 2;
        }
    }
    if ((long)config.max_threads < threads + 1) {
        config.max_threads = (uint32_t)threads + 1;
    }
    weft_tracer_t *tracer;
    int rc = weft_init_with_config(&config, "weft-loadgen", "0.1.0", &tracer);
    if (rc != 0) {
        fprintf(stderr, "weft-loadgen: %s\n", weft_last_error());
        return 1;
    }
    char path[4096];
    weft_segment_path(path, sizeof path);
    printf("segment %s\n", path);
    fflush(stdout);

    if (start_delay_ms > 0) {
        sleep_until(now_ns() + start_delay_ms * 1000000);
    }
    int64_t started = now_ns();
    worker_t *workers = calloc((size_t)threads, sizeof *workers);
    for (long i = 0; i < threads; i++) {
        workers[i] = (worker_t){.tracer = tracer, .index = i, .spans = spans,
                                .rate = (double)rate / (double)threads};
        pthread_create(&workers[i].thread, NULL, record, &workers[i]);
    }
    for (long i = 0; i < threads; i++) {
        pthread_join(workers[i].thread, NULL);
    }
    free(workers);
    fprintf(stderr, "weft-loadgen: %ld spans in %.3f s\n", threads * spans, (double)(now_ns() - started) / 1e9);
    printf("done %ld\n", threads * spans);
    fflush(stdout);
    if (wait) {
        char buffer[256];
        while (fread(buffer, 1, sizeof buffer, stdin) > 0) {
        }
    }
    weft_shutdown();
    return 0;
}
