/*
 * thread.h - the per-thread recording state: its binding to a slot of the segment, its open-span
 * frames, and the OTEP 4947 pointer that publishes the innermost one.
 * Internal to libweft; not installed.
 */
#ifndef WEFT_THREAD_H
#define WEFT_THREAD_H

#include "weft_internal.h"

/**
 * OpenTelemetry Thread Context (OTEP 4947): points at the OTEP record inside
 * the thread's innermost frame, or NULL. Exported in .dynsym for external
 * readers such as the OpenTelemetry eBPF profiler; built with the TLSDESC
 * dialect as the OTEP recommends.
 */
extern __thread weft_abi_thread_ctx_t *otel_thread_ctx_v1;

/**
 * A JVM scope's context waiting to be attached (jvm_cell.c): `Weft.enterNative` writes it through a
 * direct buffer with plain stores, no JNI call, and libweft attaches it, on the same thread, at the
 * first operation that needs the thread's current context (a begin, a record, an attach, a look at
 * the current context). Layout shared with dev.weft.internal.jni.AttachCell (native byte order).
 */
typedef struct weft_jvm_cell {
    uint64_t trace_id_high; /* JVM: the ids as SpanContext's longs */
    uint64_t trace_id_low;
    uint64_t span_id;
    uint32_t trace_flags;
    uint32_t gen;      /* JVM: incremented at each enter and each close; odd while a scope is open,
                        * stored last (release) after the ids */
    uint32_t done_gen; /* libweft: the open gen it attached, or tried to; stored after result */
    int32_t result;    /* libweft: that attach's token (for the JVM's detach), or -errno */
} weft_jvm_cell_t;
_Static_assert(offsetof(weft_jvm_cell_t, trace_id_low) == 8, "JVM cell layout (AttachCell)");
_Static_assert(offsetof(weft_jvm_cell_t, span_id) == 16, "JVM cell layout (AttachCell)");
_Static_assert(offsetof(weft_jvm_cell_t, trace_flags) == 24, "JVM cell layout (AttachCell)");
_Static_assert(offsetof(weft_jvm_cell_t, gen) == 28, "JVM cell layout (AttachCell)");
_Static_assert(offsetof(weft_jvm_cell_t, done_gen) == 32, "JVM cell layout (AttachCell)");
_Static_assert(offsetof(weft_jvm_cell_t, result) == 36, "JVM cell layout (AttachCell)");
_Static_assert(sizeof(weft_jvm_cell_t) == 40, "JVM cell layout (AttachCell)");

typedef struct weft_thread {
    uint32_t epoch;      /* weft_global.epoch this binding belongs to; 0 = unbound */
    uint32_t depth;      /* frames in use (mirrors slot->depth) */
    uint8_t busy;        /* inside begin/end/attach/detach: a signal handler must not record */
    uint8_t slot_retry;  /* countdown before the next attempt to claim a slot after none was free */
    uint8_t in_init;     /* inside weft_init/shutdown/lazy start: a signal handler must not start Weft */
    uint32_t tid;
    uint32_t frame_size;
    uint32_t frame_shift; /* frame_size == 1 << frame_shift */
    uint32_t stack_depth;
    uint64_t ring_mask;
    uint64_t tail;       /* producer's own copy of slot->tail */
    uint64_t head_cache; /* last value read from slot->head */
    uint64_t ring_limit; /* tail may reach this without a wrap or a new look at head: min(head_cache + capacity,
                          * the end of the ring's current lap); 0 until the first commit (ring.h) */
    uint64_t rng;
    const weft_runtime_t *rt;
    weft_abi_thread_ctx_t **otel_ctx; /* &otel_thread_ctx_v1 of this thread, taken once at bind */
    weft_abi_thread_ctx_t *idle_ctx;  /* published while no frame is open: a runtime's record, or NULL */
    weft_abi_slot_t *slot;
    const _Atomic uint32_t *fence; /* the segment header's fence (1.1), read at every span end */
    uint8_t *frames;
    weft_abi_span_t *top; /* the innermost open frame (frames + (depth - 1) * frame_size); weft_no_frame at depth 0 */
    uint8_t *ring;
    /* a runtime's record (thread_ctx.c): fixed per thread, updated in place with OTEP 4947's
     * valid-flag protocol (valid = 0, the ids, valid = 1), by weft_thread_context_publish or by the
     * JVM directly through the direct ByteBuffer weft_thread_context_record gives it */
    _Alignas(8) weft_abi_thread_ctx_t runtime_ctx;
    /* the JVM's pending attach (jvm_cell.c) and libweft's own view of it */
    uint32_t cell_seen;      /* the cell's gen when libweft last looked at it */
    int32_t cell_token;      /* the token of the context attached from the cell, while cell_attached */
    uint32_t cell_token_gen; /* the gen that context was attached for */
    uint8_t cell_attached;
    _Alignas(8) weft_jvm_cell_t jvm_cell;
} weft_thread_t;

/**
 * What `top` points at while no frame is open, and before a thread's first binding (weft_tls's
 * initial value): a frame of no type, which no span handle equals (it is not in a segment) and no
 * check takes for a span. Read only: it is never written (weft_pop_frame and the setters write only
 * a frame whose type is a span).
 */
extern WEFT_HIDDEN const weft_abi_span_t weft_no_frame;

/** Defined in thread.c; hidden, so every access stays inside libweft. */
extern WEFT_HIDDEN __thread weft_thread_t weft_tls;

/**
 * This thread's state. The empty asm makes the address opaque so that GCC
 * keeps it in a register: otherwise it rematerialises it, a TLSDESC call,
 * at every use (8 calls per begin and per end, measured).
 */
WEFT_INLINE weft_thread_t *weft_self(void) {
    weft_thread_t *t = &weft_tls;
    __asm__("" : "+r"(t));
    return t;
}

WEFT_INLINE weft_abi_span_t *weft_frame(const weft_thread_t *t, uint32_t index) {
    return (weft_abi_span_t *)(void *)(t->frames + ((size_t)index << t->frame_shift));
}

/**
 * Weft has yielded the thread context to another writer loaded after it started (otel_writers.c):
 * clears this thread's otel_thread_ctx_v1 if it still points at one of Weft's records (else it is
 * the other writer's value), and stops publishing on this thread. Cold; once per thread.
 */
WEFT_HIDDEN void weft_thread_ctx_withdraw(weft_thread_t *t) __attribute__((cold, noinline));

/**
 * Publish the depth after a push or a pop: `top` is the new innermost frame (weft_frame(t, depth - 1)),
 * which the caller usually has at hand; ignored at depth 0.
 */
WEFT_INLINE void weft_publish_top(weft_thread_t *t, uint32_t depth, weft_abi_span_t *top) {
    const bool open = depth > 0;
    t->depth = depth;
    t->top = open ? top : (weft_abi_span_t *)(uintptr_t)&weft_no_frame;
    /* release: a post-mortem reader that acquires depth sees the frames below it complete */
    weft_store_release(&t->slot->depth, depth);
    if (__builtin_expect(weft_load_relaxed(&t->rt->otel_thread_ctx), 1)) {
        weft_signal_fence(); /* OTEP 4947: the record is complete before the pointer is seen */
        *t->otel_ctx = open ? &top->ctx : t->idle_ctx;
    } else if (__builtin_expect(t->otel_ctx != NULL, 0)) {
        weft_thread_ctx_withdraw(t); /* Weft yielded to a writer loaded later: once per thread */
    }
}

/** After a push: `top`, the frame just filled, is at depth - 1, and depth > 0 (no test for depth 0). */
WEFT_INLINE void weft_publish_push(weft_thread_t *t, uint32_t depth, weft_abi_span_t *top) {
    if (depth == 0) {
        __builtin_unreachable(); /* depth counts the frame just pushed */
    }
    weft_publish_top(t, depth, top);
}

WEFT_INLINE void weft_publish_depth(weft_thread_t *t, uint32_t depth) {
    weft_publish_top(t, depth, depth > 0 ? weft_frame(t, depth - 1) : NULL);
}

/**
 * Slow path, taken on a thread's first call in an epoch: claim a slot of the
 * running segment. Not async-signal-safe (pthread_setspecific, getrandom).
 */
WEFT_HIDDEN bool weft_thread_bind(weft_thread_t *t);

/**
 * The bound thread state, or NULL if this thread cannot record now. With
 * `count_drop`, a failure for want of a free slot counts one dropped span.
 */
WEFT_INLINE weft_thread_t *weft_thread_for_recording(weft_thread_t *t, bool count_drop) {
    if (WEFT_LIKELY(t->epoch == weft_load_relaxed(&weft_global.epoch))) {
        return t;
    }
    if (weft_thread_bind(t)) {
        return t;
    }
    if (count_drop && t->rt != NULL && t->rt == weft_load_relaxed(&weft_global.runtime)) {
        atomic_fetch_add_explicit(&t->rt->segment.header->dropped_no_slot, 1, memory_order_relaxed);
    }
    return NULL;
}

#endif /* WEFT_THREAD_H */
