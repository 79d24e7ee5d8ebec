/*
 * span.c - beginning and ending spans: the recording hot path.
 *
 * Cost model: begin = one clock read, three random draws, a few stores into
 * the thread's own frame; end = one clock read, one memcpy into the thread's
 * own ring and one release store of its tail. No lock, no allocation, no
 * system call (the clock is read through the vDSO). The only shared word a
 * producer reads is the consumer's `head`, and only when its cached copy
 * says the ring is full. The helpers it inlines live in one header per
 * concern: thread.h, clock.h, random.h, copy.h, ring.h, frames.h, sampling.h.
 * Internal to libweft.
 */
#define _GNU_SOURCE
#include "clock.h"
#include "copy.h"
#include "frames.h"
#include "random.h"
#include "sampling.h"
#include "thread.h"

#include <errno.h>
#include <string.h>

WEFT_INLINE weft_span_t *weft_begin(weft_tracer_t *tracer, const char *name, size_t name_length,
                                    weft_span_kind_t kind, const weft_abi_thread_ctx_t *parent, bool parent_remote,
                                    bool explicit_parent) {
    weft_thread_t *t = weft_self();
    if (WEFT_UNLIKELY(tracer == NULL || name == NULL)) {
        return NULL;
    }
    if (WEFT_UNLIKELY(t->busy)) {
        if (t->slot != NULL && t->epoch == weft_load_relaxed(&weft_global.epoch)) {
            weft_counter_inc(&t->slot->dropped_reentrant);
        }
        return NULL;
    }
    t->busy = 1;
    weft_signal_fence();
    weft_span_t *result = NULL;
    if (WEFT_UNLIKELY(weft_thread_for_recording(t, true) == NULL)) {
        goto out;
    }
    const uint32_t depth = t->depth;
    if (WEFT_UNLIKELY(depth >= t->stack_depth)) {
        weft_counter_inc(&t->slot->dropped_too_deep);
        goto out;
    }
    if (!explicit_parent) {
        if (depth > 0) {
            const weft_abi_span_t *top = weft_frame(t, depth - 1);
            parent = &top->ctx;
            parent_remote = top->header.type == WEFT_ABI_RECORD_CONTEXT && (top->flags & WEFT_ABI_SPAN_PARENT_REMOTE);
        } else if (t->rt->has_env_parent) {
            parent = &t->rt->env_parent_ctx;
            parent_remote = true;
        }
    }
    weft_abi_span_t *frame = weft_frame(t, depth);
    if (parent != NULL) {
        memcpy(frame->ctx.trace_id, parent->trace_id, 16);
        memcpy(frame->parent_span_id, parent->span_id, 8);
    } else {
        uint64_t high = weft_random(&t->rng), low = weft_random_nonzero(&t->rng);
        memcpy(frame->ctx.trace_id, &high, 8);
        memcpy(frame->ctx.trace_id + 8, &low, 8);
        memset(frame->parent_span_id, 0, 8);
    }
    uint64_t span_id = weft_random_nonzero(&t->rng);
    memcpy(frame->ctx.span_id, &span_id, 8);
    const bool sampled = weft_sample(t->rt, parent, frame->ctx.trace_id);
    frame->ctx.valid = 1;
    frame->ctx.trace_flags = sampled ? WEFT_TRACE_FLAG_SAMPLED : 0;
    frame->ctx.attrs_size = 0;
    frame->header.type = WEFT_ABI_RECORD_SPAN;
    frame->header.fixed_size = WEFT_ABI_SPAN_FIXED_SIZE;
    frame->header.length = WEFT_ABI_SPAN_FIXED_SIZE;
    if (sampled) {
        size_t cut = weft_utf8_cut(name, name_length, WEFT_MAX_NAME_LENGTH);
        frame->kind = (kind >= WEFT_SPAN_KIND_INTERNAL && kind <= WEFT_SPAN_KIND_CONSUMER) ? (uint8_t)kind
                                                                                           : WEFT_ABI_KIND_INTERNAL;
        frame->status_code = WEFT_ABI_STATUS_UNSET;
        frame->flags = (uint8_t)((parent_remote ? WEFT_ABI_SPAN_PARENT_REMOTE : 0) |
                                 (cut < name_length ? WEFT_ABI_SPAN_NAME_TRUNCATED : 0));
        frame->reserved0 = 0;
        frame->start_unix_nanos = weft_now();
        frame->end_unix_nanos = 0;
        frame->tid = t->tid;
        frame->scope_index = tracer->scope_index;
        frame->attr_count = 0;
        frame->event_count = 0;
        frame->dropped_attr_count = 0;
        frame->dropped_event_count = 0;
        frame->truncated_count = cut < name_length ? 1 : 0;
        uint8_t *p = (uint8_t *)frame + WEFT_ABI_SPAN_FIXED_SIZE;
        uint16_t length16 = (uint16_t)cut;
        memcpy(p, &length16, 2);
        weft_copy(p + 2, name, cut);
        frame->header.length = (uint32_t)(WEFT_ABI_SPAN_FIXED_SIZE + 2u + cut);
    }
    weft_publish_depth(t, depth + 1);
    result = (weft_span_t *)(void *)frame;
out:
    weft_signal_fence();
    t->busy = 0;
    return result;
}

weft_span_t *weft_span_begin_n(weft_tracer_t *tracer, const char *name, size_t name_length, weft_span_kind_t kind) {
    return weft_begin(tracer, name, name_length, kind, NULL, false, false);
}

weft_span_t *weft_span_begin_with_parent_n(weft_tracer_t *tracer, const char *name, size_t name_length,
                                           weft_span_kind_t kind, const weft_context_t *parent) {
    if (parent != NULL && (weft_is_zero(parent->trace_id, 16) || weft_is_zero(parent->span_id, 8))) {
        parent = NULL; /* an invalid parent is no parent, as in OpenTelemetry */
    }
    weft_abi_thread_ctx_t ctx;
    if (parent != NULL) {
        memcpy(ctx.trace_id, parent->trace_id, 16);
        memcpy(ctx.span_id, parent->span_id, 8);
        ctx.valid = 1;
        ctx.trace_flags = parent->trace_flags;
        ctx.attrs_size = 0;
    }
    return weft_begin(tracer, name, name_length, kind, parent != NULL ? &ctx : NULL,
                      parent != NULL && parent->is_remote, true);
}

WEFT_INLINE void weft_end(weft_span_t *span, uint64_t end_nanos, bool now) {
    weft_thread_t *t = weft_self();
    if (WEFT_UNLIKELY(span == NULL || t->busy)) {
        return;
    }
    t->busy = 1;
    weft_signal_fence();
    uint32_t index;
    if (weft_open_frame(t, span, &index) != NULL) {
        if (now) {
            end_nanos = weft_now();
        }
        weft_unwind_to(t, index, end_nanos, WEFT_ABI_SPAN_ENDED_BY_UNWIND);
        weft_pop_frame(t, index, end_nanos, 0);
    }
    weft_signal_fence();
    t->busy = 0;
}

void weft_span_end(weft_span_t *span) {
    weft_end(span, 0, true);
}

void weft_span_end_at(weft_span_t *span, uint64_t end_unix_nanos) {
    weft_end(span, end_unix_nanos, false);
}

bool weft_span_is_recording(const weft_span_t *span) {
    uint32_t index;
    const weft_abi_span_t *frame = weft_open_frame(weft_self(), span, &index);
    return frame != NULL && weft_frame_sampled(frame);
}

int weft_span_context(const weft_span_t *span, weft_context_t *out) {
    uint32_t index;
    const weft_abi_span_t *frame = weft_open_frame(weft_self(), span, &index);
    if (frame == NULL || out == NULL) {
        return -EINVAL;
    }
    weft_context_from_ctx(&frame->ctx, false, out);
    return 0;
}
