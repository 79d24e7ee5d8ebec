/*
 * context.c - the current context and adopting one on another thread (attach/detach).
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "clock.h"
#include "context.h"
#include "frames.h"
#include "thread.h"

#include <errno.h>
#include <string.h>

int weft_current_context(weft_context_t *out) {
    weft_thread_t *t = weft_self();
    if (out == NULL) {
        return -EINVAL;
    }
    const bool bound = t->epoch == weft_load_relaxed(&weft_global.epoch);
    if (bound && !t->busy) {
        t->busy = 1;
        weft_signal_fence();
        weft_jvm_cell_check(t); /* a JVM scope entered since the last look is the current context */
        weft_signal_fence();
        t->busy = 0;
    } else if (!bound && (*(volatile const uint32_t *)&t->jvm_cell.gen & 1u) != 0 &&
               (t->jvm_cell.trace_id_high | t->jvm_cell.trace_id_low) != 0 && t->jvm_cell.span_id != 0) {
        /* not bound to a slot (Weft not running yet): the JVM scope's context as it was written */
        uint8_t ids[24];
        const uint64_t words[3] = {__builtin_bswap64(t->jvm_cell.trace_id_high),
                                   __builtin_bswap64(t->jvm_cell.trace_id_low), __builtin_bswap64(t->jvm_cell.span_id)};
        memcpy(ids, words, sizeof ids);
        memset(out, 0, sizeof *out);
        memcpy(out->trace_id, ids, 16);
        memcpy(out->span_id, ids + 16, 8);
        out->trace_flags = (uint8_t)t->jvm_cell.trace_flags;
        return 0;
    }
    if (bound && t->depth > 0) {
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

/** Token bit: the context was already the innermost one (same ids): nothing was pushed. */
#define WEFT_TOKEN_SHARED 0x40000000

int weft_attach_locked(weft_thread_t *t, const uint8_t trace_id[16], const uint8_t span_id[8],
                       uint8_t trace_flags, bool remote) {
    weft_jvm_cell_check(t); /* a JVM scope entered before this attach is below it */
    if (t->depth > 0 && t->top->header.type == WEFT_ABI_RECORD_CONTEXT &&
        memcmp(t->top->ctx.trace_id, trace_id, 16) == 0 && memcmp(t->top->ctx.span_id, span_id, 8) == 0 &&
        t->top->ctx.trace_flags == trace_flags &&
        (t->top->flags & WEFT_ABI_SPAN_PARENT_REMOTE) == (remote ? WEFT_ABI_SPAN_PARENT_REMOTE : 0)) {
        /* The same context is already attached and innermost (a stitched native method called
         * inside an enterNative scope of the same span): share it instead of pushing a copy. */
        return (int)(t->depth - 1u) | WEFT_TOKEN_SHARED;
    }
    if (t->depth >= t->stack_depth) {
        return -ENOSPC;
    }
    weft_abi_span_t *frame = weft_frame(t, t->depth);
    memset(frame, 0, WEFT_ABI_CONTEXT_FIXED_SIZE);
    frame->header.length = WEFT_ABI_CONTEXT_FIXED_SIZE;
    frame->header.type = WEFT_ABI_RECORD_CONTEXT;
    frame->header.fixed_size = WEFT_ABI_CONTEXT_FIXED_SIZE;
    memcpy(frame->ctx.trace_id, trace_id, 16);
    memcpy(frame->ctx.span_id, span_id, 8);
    frame->ctx.valid = 1;
    frame->ctx.trace_flags = trace_flags;
    frame->flags = remote ? WEFT_ABI_SPAN_PARENT_REMOTE : 0;
    const int result = (int)t->depth;
    weft_publish_push(t, t->depth + 1, frame);
    return result;
}

/** ids in the frame layout (trace id big-endian as in the ABI); ids already checked non-zero. */
WEFT_INLINE int weft_attach(const uint8_t trace_id[16], const uint8_t span_id[8], uint8_t trace_flags,
                            bool remote) {
    weft_thread_t *t = weft_self();
    if (t->busy) {
        return -EAGAIN;
    }
    t->busy = 1;
    weft_signal_fence();
    int result;
    if (weft_thread_for_recording(t, false) == NULL) {
        /* binding starts Weft lazily if it never ran; still no runtime: it is not running */
        result = weft_load_relaxed(&weft_global.runtime) == NULL ? -ECANCELED : -EAGAIN;
    } else {
        result = weft_attach_locked(t, trace_id, span_id, trace_flags, remote);
    }
    weft_signal_fence();
    t->busy = 0;
    return result;
}

int weft_context_attach(const weft_context_t *ctx) {
    if (ctx == NULL || weft_is_zero(ctx->trace_id, 16) || weft_is_zero(ctx->span_id, 8)) {
        return -EINVAL;
    }
    return weft_attach(ctx->trace_id, ctx->span_id, ctx->trace_flags, ctx->is_remote != 0);
}

int weft_context_attach_ids(uint64_t trace_id_high, uint64_t trace_id_low, uint64_t span_id, uint32_t trace_flags) {
    if ((trace_id_high | trace_id_low) == 0 || span_id == 0) {
        return -EINVAL;
    }
    uint8_t trace[16], span[8];
    const uint64_t high = __builtin_bswap64(trace_id_high), low = __builtin_bswap64(trace_id_low),
                   id = __builtin_bswap64(span_id); /* the ABI's byte order: big-endian, as the hex form */
    memcpy(trace, &high, 8);
    memcpy(trace + 8, &low, 8);
    memcpy(span, &id, 8);
    return weft_attach(trace, span, (uint8_t)trace_flags, false);
}

int weft_detach_locked(weft_thread_t *t, int token) {
    const bool shared = token >= 0 && (token & WEFT_TOKEN_SHARED) != 0;
    const int index = token & ~WEFT_TOKEN_SHARED;
    if (token < 0 || t->epoch != weft_load_relaxed(&weft_global.epoch) || (uint32_t)index >= t->depth ||
        weft_frame(t, (uint32_t)index)->header.type != WEFT_ABI_RECORD_CONTEXT) {
        return -EINVAL;
    }
    if (WEFT_UNLIKELY(t->depth > (uint32_t)index + 1u)) {
        /* spans left open above the context (an exception skipped their ends): end them now */
        weft_unwind_to(t, (uint32_t)index, weft_now(), WEFT_ABI_SPAN_ENDED_BY_UNWIND);
    }
    if (!shared) {
        weft_pop_frame(t, (uint32_t)index, 0, 0); /* a shared token's context stays for its owner */
    }
    if (t->cell_attached && t->cell_token == token) {
        /* the JVM's detach of the context attached from its cell: nothing left for the next look */
        t->cell_attached = 0;
        t->cell_seen = *(volatile const uint32_t *)&t->jvm_cell.gen;
    }
    return 0;
}

int weft_context_detach(int token) {
    weft_thread_t *t = weft_self();
    if (t->busy) {
        return -EINVAL;
    }
    t->busy = 1;
    weft_signal_fence();
    const int result = weft_detach_locked(t, token);
    weft_signal_fence();
    t->busy = 0;
    return result;
}
