/*
 * context.c - the current context and adopting one on another thread (attach/detach).
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "clock.h"
#include "frames.h"
#include "thread.h"

#include <errno.h>
#include <string.h>

int weft_current_context(weft_context_t *out) {
    weft_thread_t *t = weft_self();
    if (out == NULL) {
        return -EINVAL;
    }
    if (t->epoch == weft_load_relaxed(&weft_global.epoch) && t->depth > 0) {
        const weft_abi_span_t *top = weft_frame(t, t->depth - 1);
        weft_context_from_ctx(&top->ctx,
                              top->header.type == WEFT_ABI_RECORD_CONTEXT && (top->flags & WEFT_ABI_SPAN_PARENT_REMOTE),
                              out);
        return 0;
    }
    const weft_runtime_t *rt = weft_load_acquire(&weft_global.runtime);
    if (rt != NULL && rt->has_env_parent) {
        *out = rt->env_parent;
        return 0;
    }
    return -ENOENT;
}

int weft_context_attach(const weft_context_t *ctx) {
    weft_thread_t *t = weft_self();
    if (ctx == NULL || weft_is_zero(ctx->trace_id, 16) || weft_is_zero(ctx->span_id, 8)) {
        return -EINVAL;
    }
    if (t->busy) {
        return -EAGAIN;
    }
    t->busy = 1;
    weft_signal_fence();
    int result;
    if (weft_thread_for_recording(t, false) == NULL) {
        /* binding starts Weft lazily if it never ran; still no runtime: it is not running */
        result = weft_load_relaxed(&weft_global.runtime) == NULL ? -ECANCELED : -EAGAIN;
    } else if (t->depth >= t->stack_depth) {
        result = -ENOSPC;
    } else {
        weft_abi_span_t *frame = weft_frame(t, t->depth);
        memset(frame, 0, WEFT_ABI_CONTEXT_FIXED_SIZE);
        frame->header.length = WEFT_ABI_CONTEXT_FIXED_SIZE;
        frame->header.type = WEFT_ABI_RECORD_CONTEXT;
        frame->header.fixed_size = WEFT_ABI_CONTEXT_FIXED_SIZE;
        memcpy(frame->ctx.trace_id, ctx->trace_id, 16);
        memcpy(frame->ctx.span_id, ctx->span_id, 8);
        frame->ctx.valid = 1;
        frame->ctx.trace_flags = ctx->trace_flags;
        frame->flags = ctx->is_remote ? WEFT_ABI_SPAN_PARENT_REMOTE : 0;
        result = (int)t->depth;
        weft_publish_depth(t, t->depth + 1);
    }
    weft_signal_fence();
    t->busy = 0;
    return result;
}

int weft_context_detach(int token) {
    weft_thread_t *t = weft_self();
    if (token < 0 || t->busy || t->epoch != weft_load_relaxed(&weft_global.epoch) || (uint32_t)token >= t->depth ||
        weft_frame(t, (uint32_t)token)->header.type != WEFT_ABI_RECORD_CONTEXT) {
        return -EINVAL;
    }
    t->busy = 1;
    weft_signal_fence();
    if (WEFT_UNLIKELY(t->depth > (uint32_t)token + 1u)) {
        /* spans left open above the context (an exception skipped their ends): end them now */
        weft_unwind_to(t, (uint32_t)token, weft_now(), WEFT_ABI_SPAN_ENDED_BY_UNWIND);
    }
    weft_pop_frame(t, (uint32_t)token, 0, 0);
    weft_signal_fence();
    t->busy = 0;
    return 0;
}
