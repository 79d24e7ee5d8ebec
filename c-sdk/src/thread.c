/*
 * thread.c - binding a thread to a slot of the segment (the slow path of its first span in an
 * epoch), giving the slot back when the thread exits, and forgetting it in a fork child.
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "thread.h"

#include "clock.h"
#include "frames.h"

#include <errno.h>
#include <pthread.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((visibility("default"))) __thread weft_abi_thread_ctx_t *otel_thread_ctx_v1 = NULL;

const weft_abi_span_t weft_no_frame;

/* top: never NULL (frames.h, weft_is_top), so the hot path reads the frame it names without a test */
__thread weft_thread_t weft_tls = {.top = (weft_abi_span_t *)&weft_no_frame};

static pthread_key_t weft_exit_key;
static pthread_once_t weft_exit_key_once = PTHREAD_ONCE_INIT;

static void weft_thread_exit(void *arg);

static void weft_exit_key_create(void) {
    (void)pthread_key_create(&weft_exit_key, weft_thread_exit);
}

static void weft_read_thread_name(uint8_t out[16]) {
    char name[16] = {0};
    (void)pthread_getname_np(pthread_self(), name, sizeof name);
    memcpy(out, name, 16);
}

static _Atomic bool weft_reserve_failure_reported;

/** One stderr line per process, at the first slot that could not be reserved. */
static void weft_report_reserve_failure_once(const weft_segment_t *seg, int rc) {
    if (!atomic_exchange_explicit(&weft_reserve_failure_reported, true, memory_order_relaxed)) {
        weft_segment_report_reserve_failure(seg, rc);
    }
}

static bool weft_try_claim(weft_abi_slot_t *slot) {
    uint32_t state = weft_load_acquire(&slot->state);
    if (state == WEFT_ABI_SLOT_RELEASED) {
        /* The reader must have read every record of the previous owner: these records take the
         * slot's thread name when they are read, and the next owner writes its own. Read is
         * enough (1.1: read_position == tail); they need not be acknowledged yet, since the new
         * owner appends after them and a record's space comes back only with its head. A 1.0
         * reader publishes no read_position: then head == tail, as before. Requiring the head
         * (the acknowledgement, which waits for an export) starved short-lived threads of slots:
         * the demo lost 11 % of its worker-thread spans as dropped_no_slot. acquire on both:
         * the reader is done with the bytes before they are reused. */
        const uint64_t tail = weft_load_relaxed(&slot->tail);
        if (weft_load_acquire(&slot->head) != tail && weft_load_acquire(&slot->read_position) != tail) {
            return false;
        }
    } else if (state != WEFT_ABI_SLOT_FREE) {
        return false;
    }
    return atomic_compare_exchange_strong_explicit(&slot->state, &state, WEFT_ABI_SLOT_ACTIVE, memory_order_acq_rel,
                                                   memory_order_relaxed);
}

bool weft_thread_bind(weft_thread_t *t) {
    /* Epoch first: if init or shutdown races with us, the binding carries the older epoch and is
     * simply redone on the next call. acquire: pairs with the release of `runtime` in weft_start. */
    uint32_t epoch = weft_load_acquire(&weft_global.epoch);
    const weft_runtime_t *rt = weft_load_acquire(&weft_global.runtime);
    t->epoch = 0;
    t->slot = NULL;
    if (rt == NULL) {
        /* Not running: in a process where weft_init was never called, the first span starts Weft
         * (lazy_init.c; a relaxed load and a return once it was tried). */
        if (!weft_lazy_start()) {
            return false;
        }
        epoch = weft_load_acquire(&weft_global.epoch);
        rt = weft_load_acquire(&weft_global.runtime);
        if (rt == NULL) {
            return false;
        }
    }
    if (t->slot_retry > 0 && t->rt == rt) {
        t->slot_retry--; /* every slot was taken a moment ago: don't rescan the table for each span */
        return false;
    }
    t->rt = rt;
    const weft_segment_t *seg = &rt->segment;
    if (t->tid == 0) {
        t->tid = (uint32_t)syscall(SYS_gettid);
    }
    uint32_t start = t->tid % seg->slot_count;
    bool reserve_failed = false;
    for (uint32_t k = 0; k < seg->slot_count; k++) {
        uint32_t index = (start + k) % seg->slot_count;
        weft_abi_slot_t *slot = (weft_abi_slot_t *)(void *)(seg->base + seg->header->slots_offset +
                                                             (uint64_t)index * seg->slot_stride);
        /* A slot never claimed in this process has its pages reserved first (a syscall, once per slot): on
         * a full tmpfs the claim fails here instead of a SIGBUS at the first write. After one failure, only
         * slots already reserved are tried in this scan. */
        if (atomic_load_explicit(&seg->reserved[index], memory_order_acquire) != WEFT_SLOT_RESERVED) {
            if (reserve_failed) {
                continue;
            }
            const int rc = weft_segment_reserve_slot(rt, index);
            if (rc != 0) {
                if (rc != -EBUSY && rc != -ESHUTDOWN) {
                    reserve_failed = true;
                    weft_report_reserve_failure_once(seg, rc);
                }
                continue;
            }
        }
        if (!weft_try_claim(slot)) {
            continue;
        }
        slot->generation++;
        slot->tid = t->tid;
        weft_read_thread_name(slot->thread_name);
        t->slot = slot;
        t->fence = &seg->header->fence;
        t->frame_size = seg->frame_size;
        t->frame_shift = (uint32_t)__builtin_ctz(seg->frame_size);
        t->stack_depth = seg->stack_depth;
        t->frames = (uint8_t *)slot + WEFT_ABI_SLOT_HEADER_SIZE;
        t->ring = t->frames + (size_t)seg->stack_depth * seg->frame_size;
        t->ring_mask = seg->ring_capacity - 1u;
        t->tail = weft_load_relaxed(&slot->tail); /* we are its only writer now */
        t->head_cache = weft_load_acquire(&slot->head);
        t->ring_limit = 0; /* the first commit takes weft_commit_slow, which sets it */
        if (t->rng == 0 && getrandom(&t->rng, sizeof t->rng, GRND_NONBLOCK) != (ssize_t)sizeof t->rng) {
            t->rng = weft_monotonic_nanos() ^ ((uint64_t)t->tid << 32) ^ (uint64_t)(uintptr_t)t;
        }
        t->otel_ctx = weft_load_relaxed(&rt->otel_thread_ctx) ? &otel_thread_ctx_v1 : NULL;
        t->epoch = epoch;
        weft_publish_depth(t, 0);
        /* a new binding holds no context from the JVM's cell: an open scope is attached afresh */
        t->cell_attached = 0;
        t->cell_seen = ~*(volatile const uint32_t *)&t->jvm_cell.gen;
        (void)pthread_once(&weft_exit_key_once, weft_exit_key_create);
        (void)pthread_setspecific(weft_exit_key, t);
        return true;
    }
    t->slot_retry = 255; /* every slot is taken: try again after this many more spans */
    return false;
}

/** pthread key destructor: end what the exiting thread left open, then give its slot back. */
static void weft_thread_exit(void *arg) {
    weft_thread_t *t = arg;
    if (t == NULL || t->slot == NULL || t->epoch != weft_load_relaxed(&weft_global.epoch)) {
        return;
    }
    t->busy = 1;
    weft_signal_fence();
    if (t->depth > 0) {
        uint64_t now = weft_now();
        weft_unwind_to(t, 0, now, WEFT_ABI_SPAN_ENDED_BY_THREAD_EXIT);
        weft_pop_frame(t, 0, now, WEFT_ABI_SPAN_ENDED_BY_THREAD_EXIT);
    }
    /* release: the records and counters above are visible before the slot can be reclaimed */
    weft_store_release(&t->slot->state, WEFT_ABI_SLOT_RELEASED);
    t->slot = NULL;
    t->epoch = 0;
    t->busy = 0;
}

#ifdef WEFT_TESTING
void weft_testing_set_thread(uint32_t tid, uint64_t seed);
void weft_testing_set_thread(uint32_t tid, uint64_t seed) {
    weft_tls.tid = tid;
    weft_tls.rng = seed;
}
#endif

void weft_threads_on_fork_child(void) {
    /* The child's only thread must not touch the parent's rings: forget the binding. */
    weft_thread_t *t = weft_self();
    t->slot = NULL;
    t->epoch = 0;
    t->depth = 0;
    t->top = (weft_abi_span_t *)&weft_no_frame;
    t->busy = 0;
    t->rt = NULL;
    t->slot_retry = 0;
    t->tid = 0;
    t->rng = 0;
    if (t->otel_ctx != NULL || t->idle_ctx != NULL) {
        otel_thread_ctx_v1 = NULL; /* only if Weft wrote it: it may be another writer's (otel_writers.c) */
    }
    t->otel_ctx = NULL;
    t->idle_ctx = NULL;
    t->cell_attached = 0;
    t->cell_seen = ~*(volatile const uint32_t *)&t->jvm_cell.gen;
}
