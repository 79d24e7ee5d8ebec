/*
 * weft-crash - records spans, leaves some open, and dies: the native-crash
 * fault test of crash recovery (issue 10; java-sdk/cli CrashRecoveryIT).
 *
 *   weft-crash --spans N --open K --how segv|abort|kill
 *
 * Prints "segment <path>" once the segment exists, records N finished spans
 * ("crash.done", attribute crash.seq) on one thread and K nested open spans on
 * another ("crash.open.<depth>", the innermost with an event "last.step"),
 * prints "ready" and then dies: by SIGSEGV (a store through a null pointer),
 * abort(), or SIGKILL sent to itself. Nothing drains the segment, so every
 * span is still in it: the N finished ones in the ring, the K open ones in the
 * frames of the thread that was still running them.
 */
#include <weft/weft.h>

#include "tool_args.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct opener {
    weft_tracer_t *tracer;
    long open;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int ready;
} opener_t;

/* Opens `open` nested spans, says so, and waits forever: the process dies with them open. */
static void *open_and_wait(void *arg) {
    opener_t *o = arg;
    char name[32];
    for (long depth = 0; depth < o->open; depth++) {
        snprintf(name, sizeof name, "crash.open.%ld", depth);
        weft_span_t *span = weft_span_begin(o->tracer, name, WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_int64(span, "crash.depth", depth);
        if (depth == o->open - 1) {
            weft_attr_t step = WEFT_ATTR_I64("step", depth);
            weft_span_add_event(span, "last.step", &step, 1);
        }
    }
    pthread_mutex_lock(&o->lock);
    o->ready = 1;
    pthread_cond_signal(&o->cond);
    pthread_mutex_unlock(&o->lock);
    for (;;) {
        pause();
    }
    return NULL;
}

static long parse_long(const char *flag, const char *text, long min, long max) {
    return tool_parse_long("weft-crash", flag, text, min, max);
}

int main(int argc, char **argv) {
    long spans = 1000, open = 4;
    const char *how = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--spans") == 0 && i + 1 < argc) {
            spans = parse_long("--spans", argv[++i], 0, 1000000);
        } else if (strcmp(argv[i], "--open") == 0 && i + 1 < argc) {
            open = parse_long("--open", argv[++i], 0, 16);
        } else if (strcmp(argv[i], "--how") == 0 && i + 1 < argc) {
            how = argv[++i];
        } else {
            how = NULL;
            break;
        }
    }
    if (how == NULL || (strcmp(how, "segv") != 0 && strcmp(how, "abort") != 0 && strcmp(how, "kill") != 0)) {
        fprintf(stderr, "usage: weft-crash --spans N --open K --how segv|abort|kill\n");
        return 2;
    }
    weft_tracer_t *tracer;
    if (weft_init("weft-crash", "0.1.0", &tracer) != 0) {
        fprintf(stderr, "weft-crash: %s\n", weft_last_error());
        return 1;
    }
    char path[4096];
    weft_segment_path(path, sizeof path);
    printf("segment %s\n", path);
    fflush(stdout);

    for (long seq = 0; seq < spans; seq++) {
        weft_span_t *span = weft_span_begin(tracer, "crash.done", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_int64(span, "crash.seq", seq);
        weft_span_end(span);
    }
    opener_t o = {.tracer = tracer, .open = open, .ready = 0};
    pthread_mutex_init(&o.lock, NULL);
    pthread_cond_init(&o.cond, NULL);
    pthread_t thread;
    if (pthread_create(&thread, NULL, open_and_wait, &o) != 0) {
        fprintf(stderr, "weft-crash: cannot start a thread\n");
        return 1;
    }
    pthread_mutex_lock(&o.lock);
    while (!o.ready) {
        pthread_cond_wait(&o.cond, &o.lock);
    }
    pthread_mutex_unlock(&o.lock);
    printf("ready\n");
    fflush(stdout);

    if (strcmp(how, "segv") == 0) {
        volatile int *nowhere = NULL;
        *nowhere = 1;
    } else if (strcmp(how, "abort") == 0) {
        abort();
    }
    raise(SIGKILL);
    return 1;
}
