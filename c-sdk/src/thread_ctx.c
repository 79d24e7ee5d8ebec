/*
 * thread_ctx.c - a runtime's current span in the OpenTelemetry thread context (OTEP 4947): the
 * JVM's current span of a platform thread, published through otel_thread_ctx_v1 while no native
 * span is open on the thread. The record is in this thread's TLS, not in the segment, one per
 * thread, updated in place with the OTEP's valid-flag protocol; native frames are published by
 * switching the pointer (weft_publish_depth), which comes back to this record when the native
 * stack empties.
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "otel_writers.h"
#include "thread.h"

#include <errno.h>

/**
 * The runtime's record of this thread leaves the thread context, safely for a reader that stops
 * the thread at any instant (OTEP 4947): valid = 0 first, so the record is ignored while it is
 * still pointed at, then the pointer cleared if it is this record (a native frame's pointer is
 * left to weft_publish_depth's own withdrawal, the other writer's value is never touched).
 */
static void weft_runtime_ctx_withdraw(weft_thread_t *t) {
    volatile weft_abi_thread_ctx_t *r = &t->runtime_ctx;
    r->valid = 0;
    weft_signal_fence();
    if (otel_thread_ctx_v1 == &t->runtime_ctx) {
        otel_thread_ctx_v1 = NULL;
    }
    weft_signal_fence();
    t->idle_ctx = NULL;
}

void *weft_thread_context_record(void) {
    weft_thread_t *t = weft_self();
    const weft_runtime_t *rt = weft_load_acquire(&weft_global.runtime);
    weft_otel_writers_recheck(); /* slow path: a thread's registration */
    if (!weft_thread_ctx_allowed() || (rt != NULL && !weft_load_relaxed(&rt->otel_thread_ctx))) {
        if (t->idle_ctx == &t->runtime_ctx) {
            weft_runtime_ctx_withdraw(t); /* Weft yielded: the runtime asks once more, to withdraw */
        }
        return NULL;
    }
    if (t->idle_ctx == NULL) {
        t->runtime_ctx.valid = 0; /* nothing yet: readers ignore it */
        weft_signal_fence();
        t->idle_ctx = &t->runtime_ctx;
        weft_signal_fence();
        if (!(t->epoch == weft_load_relaxed(&weft_global.epoch) && t->depth > 0)) {
            otel_thread_ctx_v1 = &t->runtime_ctx;
        }
    }
    return &t->runtime_ctx;
}

void weft_thread_ctx_withdraw(weft_thread_t *t) {
    weft_abi_thread_ctx_t *p = *t->otel_ctx;
    const uint8_t *frames_end = t->frames + (size_t)t->stack_depth * t->frame_size;
    bool ours = p != NULL && (p == t->idle_ctx || ((const uint8_t *)p >= t->frames && (const uint8_t *)p < frames_end));
    if (ours) {
        *t->otel_ctx = NULL;
    }
    t->otel_ctx = NULL;
    t->idle_ctx = NULL;
}

int weft_thread_context_publish(const weft_context_t *ctx) {
    if (ctx != NULL && (weft_is_zero(ctx->trace_id, 16) || weft_is_zero(ctx->span_id, 8))) {
        return -EINVAL;
    }
    weft_abi_thread_ctx_t *record = weft_thread_context_record();
    if (record == NULL) {
        return -ECANCELED;
    }
    volatile weft_abi_thread_ctx_t *r = record;
    r->valid = 0; /* OTEP 4947: a reader that stops the thread now ignores the record */
    weft_signal_fence();
    if (ctx != NULL) {
        memcpy(record->trace_id, ctx->trace_id, 16);
        memcpy(record->span_id, ctx->span_id, 8);
        r->trace_flags = ctx->trace_flags;
        r->attrs_size = 0;
        weft_signal_fence(); /* complete before it is valid again */
        r->valid = 1;
    }
    return 0;
}
