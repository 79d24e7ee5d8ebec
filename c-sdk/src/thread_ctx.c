/*
 * thread_ctx.c - a runtime's current span in the OpenTelemetry thread context (OTEP 4947): the
 * JVM's current span of a platform thread, published through otel_thread_ctx_v1 while no native
 * span is open on the thread. The record is in this thread's TLS, not in the segment.
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "otel_writers.h"
#include "thread.h"

#include <errno.h>

int weft_thread_context_publish(const weft_context_t *ctx) {
    weft_thread_t *t = weft_self();
    if (ctx != NULL && (weft_is_zero(ctx->trace_id, 16) || weft_is_zero(ctx->span_id, 8))) {
        return -EINVAL;
    }
    const weft_runtime_t *rt = weft_load_acquire(&weft_global.runtime);
    if (!weft_thread_ctx_allowed() || (rt != NULL && !rt->otel_thread_ctx)) {
        return -ECANCELED;
    }
    weft_abi_thread_ctx_t *record = NULL;
    if (ctx != NULL) {
        /* the record not published now: a reader that stops the thread mid-write sees the other */
        record = &t->runtime_ctx[t->runtime_ctx_next & 1u];
        t->runtime_ctx_next ^= 1u;
        memcpy(record->trace_id, ctx->trace_id, 16);
        memcpy(record->span_id, ctx->span_id, 8);
        record->trace_flags = ctx->trace_flags;
        record->attrs_size = 0;
        record->valid = 1;
    }
    weft_signal_fence(); /* OTEP 4947: the record is complete before the pointer is seen */
    t->idle_ctx = record;
    weft_signal_fence(); /* a signal handler's span that ends now publishes the new record */
    bool frame_open = t->epoch == weft_load_relaxed(&weft_global.epoch) && t->depth > 0;
    if (!frame_open) {
        otel_thread_ctx_v1 = record;
    }
    return 0;
}
