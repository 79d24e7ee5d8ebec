/*
 * frames.h - the open-span stack: ending and popping frames, finding the frame of a span handle.
 * Internal to libweft; not installed.
 */
#ifndef WEFT_FRAMES_H
#define WEFT_FRAMES_H

#include "weft_internal.h"
#include "ring.h"
#include "thread.h"

WEFT_INLINE bool weft_frame_sampled(const weft_abi_span_t *frame) {
    return (frame->ctx.trace_flags & WEFT_TRACE_FLAG_SAMPLED) != 0;
}

/** End frame `index` (the top one, t->top) and pop it. */
WEFT_INLINE void weft_pop_frame(weft_thread_t *t, uint32_t index, uint64_t end_nanos, uint8_t flags) {
    weft_abi_span_t *frame = t->top;
    if (frame->header.type == WEFT_ABI_RECORD_SPAN && weft_frame_sampled(frame)) {
        frame->end_unix_nanos = end_nanos > frame->start_unix_nanos ? end_nanos : frame->start_unix_nanos;
        frame->flags |= flags;
        weft_commit(t, frame);
    }
    /* the frame below: `frame_size` bytes lower (index 0 has none) */
    weft_publish_top(t, index, (weft_abi_span_t *)(void *)((uint8_t *)frame - t->frame_size));
}

/** Pop every frame above `index`, ending their spans with `flags`. */
WEFT_INLINE void weft_unwind_to(weft_thread_t *t, uint32_t index, uint64_t end_nanos, uint8_t flags) {
    while (t->depth > index + 1u) {
        weft_pop_frame(t, t->depth - 1u, end_nanos, flags);
    }
}

/** The frame of an open span handle on this thread, or NULL. */
WEFT_INLINE weft_abi_span_t *weft_open_frame(const weft_thread_t *t, const weft_span_t *span, uint32_t *index) {
    uintptr_t offset = (uintptr_t)span - (uintptr_t)t->frames;
    if (WEFT_UNLIKELY(span == NULL || t->epoch != weft_load_relaxed(&weft_global.epoch) ||
                      (offset & (t->frame_size - 1u)) != 0 || (offset >> t->frame_shift) >= t->depth)) {
        return NULL;
    }
    *index = (uint32_t)(offset >> t->frame_shift);
    weft_abi_span_t *frame = (weft_abi_span_t *)(void *)(t->frames + offset);
    return frame->header.type == WEFT_ABI_RECORD_SPAN ? frame : NULL;
}

/**
 * Whether `span` is the handle of the innermost frame, t->top, in the current binding: the common
 * case (a span's attributes and its end come before its parent's), found with one compare. False
 * does not mean the handle is invalid: the caller then takes weft_open_frame, out of line, so that
 * the common path keeps no state across a call (a leaf, and a tail call for the rest). t->top may
 * be a context record, or weft_no_frame (no type) at depth 0: the caller checks the type as
 * weft_open_frame does. t->top is never NULL (weft_tls's initial value is weft_no_frame too), so
 * the caller may read it without a test.
 */
WEFT_INLINE bool weft_is_top(const weft_thread_t *t, const weft_span_t *span) {
    return WEFT_LIKELY((const void *)span == (const void *)t->top &&
                       t->epoch == weft_load_relaxed(&weft_global.epoch));
}

/** The frame of a span that records, ready for appending. */
WEFT_INLINE weft_abi_span_t *weft_recording_frame(weft_span_t *span) {
    uint32_t index;
    weft_abi_span_t *frame = weft_open_frame(weft_self(), span, &index);
    return frame != NULL && weft_frame_sampled(frame) ? frame : NULL;
}

WEFT_INLINE void weft_context_from_ctx(const weft_abi_thread_ctx_t *ctx, bool remote, weft_context_t *out) {
    memset(out, 0, sizeof *out);
    memcpy(out->trace_id, ctx->trace_id, 16);
    memcpy(out->span_id, ctx->span_id, 8);
    out->trace_flags = ctx->trace_flags;
    out->is_remote = remote ? 1 : 0;
}

#endif /* WEFT_FRAMES_H */
