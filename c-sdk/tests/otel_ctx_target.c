/*
 * otel_ctx_target.c - the process otel_ctx_reader samples: four threads that, in a loop, publish a
 * runtime's current span (weft_thread_context_publish, as the JVM's wrapper does), begin a native
 * span and a child, end them, attach and detach a context (as the JVM's enterNative does), and
 * clear the runtime's span; each step is told to the truth file (otel_ctx_truth.h) with stores
 * ordered around the call by compiler fences (the reader stops the thread, so no CPU fence is
 * needed: OTEP 4947's signal-handler semantics). Runs until killed.
 */
#define _GNU_SOURCE
#include "otel_ctx_truth.h"

#include <weft/weft.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4

static uint8_t *truth;
static _Atomic unsigned ready;

typedef struct worker {
    volatile weft_truth_slot_t *slot;
    unsigned seed;
} worker_t;

static void fence(void) {
    atomic_signal_fence(memory_order_seq_cst);
}

static void ids_of(const weft_context_t *c, uint8_t out[24]) {
    memcpy(out, c->trace_id, 16);
    memcpy(out + 16, c->span_id, 8);
}

static void set_ids(volatile uint8_t *dst, const uint8_t *src) {
    for (int i = 0; i < 24; i++) {
        dst[i] = src != NULL ? src[i] : 0;
    }
}

static void copy_ids(volatile uint8_t *dst, const volatile uint8_t *src) {
    for (int i = 0; i < 24; i++) {
        dst[i] = src[i];
    }
}

static void state(worker_t *w, uint32_t s) {
    fence();
    w->slot->state = s;
    fence();
}

/* MOVING from cur to `next` (NULL: none): alt = old cur, cur = next. */
static void moving(worker_t *w, const uint8_t *next) {
    state(w, WEFT_TRUTH_MOVING);
    copy_ids(w->slot->alt, w->slot->cur);
    set_ids(w->slot->cur, next);
    fence();
}

/* Stay in the current state a while: running (a short spin) or off the CPU (a short sleep), so that
 * samples land in both without four spinning threads starving a small machine. */
static void spin(worker_t *w) {
    unsigned r = (unsigned)rand_r(&w->seed);
    if (r & 1u) {
        for (volatile unsigned i = 0; i < (r >> 1) % 5000u; i++) {
        }
    } else {
        struct timespec pause = {0, (long)((r >> 1) % 50000u)};
        nanosleep(&pause, NULL);
    }
}

static void random_context(worker_t *w, weft_context_t *c) {
    memset(c, 0, sizeof *c);
    for (int i = 0; i < 16; i++) c->trace_id[i] = (uint8_t)rand_r(&w->seed);
    for (int i = 0; i < 8; i++) c->span_id[i] = (uint8_t)rand_r(&w->seed);
    c->trace_id[0] |= 1;
    c->span_id[0] |= 1;
    c->trace_flags = 1;
}

static weft_span_t *begin(worker_t *w, const char *name) {
    state(w, WEFT_TRUTH_BEGINNING);
    copy_ids(w->slot->alt, w->slot->cur);
    fence();
    weft_span_t *span = weft_span_begin(WEFT_TRACER, name, WEFT_SPAN_KIND_INTERNAL);
    weft_context_t c;
    if (weft_span_context(span, &c) != 0) {
        fprintf(stderr, "otel_ctx_target: weft_span_context failed\n");
        exit(1);
    }
    uint8_t ids[24];
    ids_of(&c, ids);
    set_ids(w->slot->cur, ids);
    state(w, WEFT_TRUTH_OPEN);
    return span;
}

static void end(worker_t *w, weft_span_t *span, const uint8_t *parent) {
    moving(w, parent);
    weft_span_end(span);
    state(w, parent != NULL ? WEFT_TRUTH_OPEN : WEFT_TRUTH_IDLE);
}

static void *run(void *arg) {
    worker_t *w = arg;
    w->slot->tid = (uint32_t)syscall(SYS_gettid);
    state(w, WEFT_TRUTH_IDLE);
    atomic_fetch_add(&ready, 1);
    for (;;) {
        /* the runtime's current span (a JVM span on a platform thread) */
        weft_context_t runtime;
        uint8_t runtime_ids[24];
        random_context(w, &runtime);
        ids_of(&runtime, runtime_ids);
        moving(w, runtime_ids);
        weft_thread_context_publish(&runtime);
        state(w, WEFT_TRUTH_OPEN);
        spin(w);
        /* a native span and its child: they win while open */
        weft_span_t *a = begin(w, "a");
        uint8_t a_ids[24];
        copy_ids((volatile uint8_t *)a_ids, w->slot->cur);
        spin(w);
        weft_span_t *b = begin(w, "b");
        spin(w);
        end(w, b, a_ids);
        spin(w);
        end(w, a, runtime_ids);
        spin(w);
        /* the runtime attaches its span for a native call (enterNative) */
        weft_context_t attached;
        uint8_t attached_ids[24];
        random_context(w, &attached);
        ids_of(&attached, attached_ids);
        moving(w, attached_ids);
        int token = weft_context_attach(&attached);
        state(w, WEFT_TRUTH_OPEN);
        spin(w);
        moving(w, runtime_ids);
        weft_context_detach(token);
        state(w, WEFT_TRUTH_OPEN);
        spin(w);
        /* no runtime span any more */
        moving(w, NULL);
        weft_thread_context_publish(NULL);
        state(w, WEFT_TRUTH_IDLE);
        spin(w);
    }
    return NULL;
}

int main(void) {
    const char *path = getenv("WEFT_TRUTH_FILE");
    int fd = path != NULL ? open(path, O_RDWR | O_CLOEXEC) : -1;
    if (fd < 0) {
        fprintf(stderr, "otel_ctx_target: WEFT_TRUTH_FILE is not a file (run it under otel_ctx_reader)\n");
        return 2;
    }
    size_t size = WEFT_TRUTH_HEADER + WEFT_TRUTH_MAX_THREADS * WEFT_TRUTH_SLOT;
    truth = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (truth == MAP_FAILED) {
        perror("mmap");
        return 2;
    }
    weft_tracer_t *tracer;
    int rc = weft_init("otel-ctx-target", "1", &tracer);
    if (rc != 0) {
        fprintf(stderr, "otel_ctx_target: weft_init: %d\n", rc);
        return 2;
    }
    static worker_t workers[THREADS];
    pthread_t threads[THREADS];
    for (unsigned i = 0; i < THREADS; i++) {
        workers[i].slot = (volatile weft_truth_slot_t *)(void *)(truth + WEFT_TRUTH_HEADER + i * WEFT_TRUTH_SLOT);
        workers[i].seed = 0x9e3779b9u * (i + 1) ^ (unsigned)getpid();
        pthread_create(&threads[i], NULL, run, &workers[i]);
    }
    while (atomic_load(&ready) < THREADS) {
        usleep(1000);
    }
    ((volatile uint32_t *)(void *)truth)[1] = THREADS;
    atomic_thread_fence(memory_order_seq_cst);
    ((volatile uint32_t *)(void *)truth)[0] = WEFT_TRUTH_MAGIC;
    for (;;) {
        pause();
    }
}
