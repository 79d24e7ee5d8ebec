/*
 * weft_cpu_spans - the workload of ebpf-profiler-check.sh: records Weft spans that burn CPU, so
 * that a sampling profiler's samples land inside known spans.
 *
 *   weft_cpu_spans SECONDS THREADS
 *
 * Each thread loops for SECONDS: opens a span "ebpf.check.busy", spins on the CPU for 50 ms,
 * ends it, then spins 10 ms outside any span. Before each span ends it prints
 *   span <tid> <trace_id hex> <span_id hex>
 * (one line per span, written with a single fputs on a line-buffered stdout), so the
 * check can match every sample's trace/span ids and thread id against spans that really ran on
 * that thread. Prints "ready <pid>" once libweft is initialised and "done" at the end.
 */
#define _GNU_SOURCE
#include <weft/weft.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static weft_tracer_t *tracer;
static double seconds;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Spins for ms milliseconds; the result keeps the loop from being optimised away. */
static __attribute__((noinline)) unsigned long spin(double ms) {
    volatile unsigned long acc = 0;
    const double until = now_s() + ms / 1e3;
    while (now_s() < until) {
        for (int i = 0; i < 10000; i++) {
            acc = acc * 6364136223846793005UL + 1442695040888963407UL;
        }
    }
    return acc;
}

static void hex(const uint8_t *b, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static void *worker(void *arg) {
    (void)arg;
    const long tid = (long)syscall(SYS_gettid);
    const double end = now_s() + seconds;
    while (now_s() < end) {
        weft_span_t *span = weft_span_begin(tracer, "ebpf.check.busy", WEFT_SPAN_KIND_INTERNAL);
        weft_context_t ctx;
        if (weft_span_context(span, &ctx) != 0) {
            fprintf(stderr, "weft_cpu_spans: weft_span_context failed: %s\n", weft_last_error());
            exit(1);
        }
        char trace[33], sid[17], line[96];
        hex(ctx.trace_id, 16, trace);
        hex(ctx.span_id, 8, sid);
        snprintf(line, sizeof line, "span %ld %s %s\n", tid, trace, sid);
        pthread_mutex_lock(&out_lock);
        fputs(line, stdout);
        pthread_mutex_unlock(&out_lock);
        spin(50);
        weft_span_end(span);
        spin(10);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3 || (seconds = atof(argv[1])) <= 0 || atoi(argv[2]) < 1 || atoi(argv[2]) > 64) {
        fprintf(stderr, "usage: weft_cpu_spans SECONDS THREADS (THREADS 1..64)\n");
        return 2;
    }
    const int threads = atoi(argv[2]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (weft_init("weft-ebpf-check", "0.1.0", &tracer) != 0) {
        fprintf(stderr, "weft_cpu_spans: weft_init: %s\n", weft_last_error());
        return 1;
    }
    weft_otel_status_t st;
    if (weft_otel_get_status(&st) != 0 || !st.thread_ctx || st.process_ctx_address == 0) {
        fprintf(stderr, "weft_cpu_spans: libweft publishes no OpenTelemetry context here (thread_ctx=%u, process_ctx=0x%llx)\n",
                st.thread_ctx, (unsigned long long)st.process_ctx_address);
        return 1;
    }
    printf("ready %ld\n", (long)getpid());
    pthread_t t[64];
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&t[i], NULL, worker, NULL) != 0) {
            fprintf(stderr, "weft_cpu_spans: pthread_create failed\n");
            return 1;
        }
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
    }
    weft_shutdown();
    printf("done\n");
    return 0;
}
