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
#include "context.h"
#include "copy.h"
#include "frames.h"
#include "attr.h"
#include "random.h"
#include "sampling.h"
#include "thread.h"

#include <errno.h>
#include <string.h>

void weft_commit_slow(weft_thread_t *t, const weft_abi_span_t *record) {
    const uint32_t length = record->header.length;
    const uint64_t aligned = weft_align8(length);
    const uint64_t capacity = t->ring_mask + 1u;
    uint64_t index = t->tail & t->ring_mask;
    const uint64_t to_end = capacity - index;
    const uint64_t needed = aligned <= to_end ? aligned : to_end + aligned;
    if (t->tail + needed - t->head_cache > capacity) {
        /* acquire: the consumer has copied out everything before head, so that space is ours */
        t->head_cache = weft_load_acquire(&t->slot->head);
        if (t->tail + needed - t->head_cache > capacity) {
            weft_counter_inc(&t->slot->dropped_ring_full);
            return;
        }
    }
    if (aligned > to_end) {
        weft_abi_record_header_t padding = {
            .length = (uint32_t)to_end, .type = WEFT_ABI_RECORD_PADDING, .fixed_size = sizeof padding};
        memcpy(t->ring + index, &padding, sizeof padding);
        t->tail += to_end;
        index = 0;
    }
    const uint64_t zero = 0;
    memcpy(t->ring + index + aligned - 8, &zero, 8);
    memcpy(t->ring + index, record, length);
    weft_counter_inc(&t->slot->spans_committed);
    weft_store_relaxed(&t->slot->last_end_unix_nanos, record->end_unix_nanos);
    t->tail += aligned;
    /* the next records go inline up to the ring's end or the head as just read, whichever comes first */
    const uint64_t lap_end = (t->tail & ~t->ring_mask) + capacity;
    const uint64_t head_limit = t->head_cache + capacity;
    t->ring_limit = head_limit < lap_end ? head_limit : lap_end;
    /* release: publishes the record bytes (and the padding, the counter and last_end) written above */
    weft_store_release(&t->slot->tail, t->tail);
}

/** The parent a span begun now on this thread gets: its innermost frame, else TRACEPARENT, else none. */
WEFT_INLINE const weft_abi_thread_ctx_t *weft_implicit_parent(const weft_thread_t *t, uint32_t depth, bool *remote) {
    if (depth > 0) {
        const weft_abi_span_t *top = weft_frame(t, depth - 1);
        *remote = top->header.type == WEFT_ABI_RECORD_CONTEXT && (top->flags & WEFT_ABI_SPAN_PARENT_REMOTE);
        return &top->ctx;
    }
    if (t->rt->has_env_parent) {
        *remote = true;
        return &t->rt->env_parent_ctx;
    }
    *remote = false;
    return NULL;
}

/** The ids and trace flags of a new span under `parent` (NULL: a root), into `record`. @return whether it is sampled. */
WEFT_INLINE bool weft_new_ids(weft_thread_t *t, weft_abi_span_t *record, const weft_abi_thread_ctx_t *parent) {
    uint64_t span_id;
    bool sampled;
    if (parent != NULL) {
        memcpy(record->ctx.trace_id, parent->trace_id, 16);
        memcpy(record->parent_span_id, parent->span_id, 8);
        span_id = weft_random_nonzero(&t->rng);
        sampled = weft_sample_child(t->rt, parent, record->ctx.trace_id);
    } else {
        uint64_t high, low;
        weft_root_ids(&t->rng, &high, &low, &span_id);
        memcpy(record->ctx.trace_id, &high, 8);
        memcpy(record->ctx.trace_id + 8, &low, 8);
        memset(record->parent_span_id, 0, 8);
        sampled = weft_sample_root(t->rt, record->ctx.trace_id);
    }
    memcpy(record->ctx.span_id, &span_id, 8);
    /* valid = 1, trace_flags, attrs_size = 0: one little-endian word */
    const uint32_t ctx_word = 1u | (uint32_t)(sampled ? WEFT_TRACE_FLAG_SAMPLED : 0) << 8;
    memcpy(&record->ctx.valid, &ctx_word, 4);
    return sampled;
}

/* weft_fill_span writes the fixed part in words, in the ABI's one byte order (little-endian, weft_abi.h) */
_Static_assert(offsetof(weft_abi_thread_ctx_t, valid) == 24 && offsetof(weft_abi_thread_ctx_t, trace_flags) == 25 &&
                   offsetof(weft_abi_thread_ctx_t, attrs_size) == 26, "weft_new_ids writes valid..attrs_size as one word");
_Static_assert(offsetof(weft_abi_span_t, header) == 0 && offsetof(weft_abi_span_t, kind) == 36 &&
                   offsetof(weft_abi_span_t, status_code) == 37 && offsetof(weft_abi_span_t, flags) == 38 &&
                   offsetof(weft_abi_span_t, reserved0) == 39 && offsetof(weft_abi_span_t, tid) == 64 &&
                   offsetof(weft_abi_span_t, scope_index) == 68 && offsetof(weft_abi_span_t, attr_count) == 70 &&
                   offsetof(weft_abi_span_t, event_count) == 72 &&
                   offsetof(weft_abi_span_t, dropped_attr_count) == 74 &&
                   offsetof(weft_abi_span_t, dropped_event_count) == 76 &&
                   offsetof(weft_abi_span_t, truncated_count) == 78,
               "the word stores of weft_fill_span follow the ABI's span layout");

/** A record header (length, type, fixed size) as one little-endian word. */
WEFT_INLINE uint64_t weft_header_word(uint32_t length, uint16_t type, uint16_t fixed_size) {
    return (uint64_t)length | (uint64_t)type << 32 | (uint64_t)fixed_size << 48;
}

/** The fixed part and the name of a sampled span record, after its ids (which it leaves alone). */
WEFT_INLINE void weft_fill_span(const weft_thread_t *t, weft_abi_span_t *record, const weft_tracer_t *tracer,
                                const char *name, size_t name_length, weft_span_kind_t kind, bool parent_remote,
                                uint64_t start, uint64_t end) {
    const size_t cut = weft_utf8_cut(name, name_length, WEFT_MAX_NAME_LENGTH);
    const bool name_cut = cut < name_length;
    uint8_t *r = (uint8_t *)record;
    const uint64_t header = weft_header_word((uint32_t)(WEFT_ABI_SPAN_FIXED_SIZE + 2u + cut), WEFT_ABI_RECORD_SPAN,
                                             WEFT_ABI_SPAN_FIXED_SIZE);
    /* kind, status_code (unset), flags, reserved0 */
    const uint32_t kind_word =
        (uint32_t)((kind >= WEFT_SPAN_KIND_INTERNAL && kind <= WEFT_SPAN_KIND_CONSUMER) ? (uint8_t)kind
                                                                                        : WEFT_ABI_KIND_INTERNAL) |
        (uint32_t)WEFT_ABI_STATUS_UNSET << 8 |
        (uint32_t)((parent_remote ? WEFT_ABI_SPAN_PARENT_REMOTE : 0) | (name_cut ? WEFT_ABI_SPAN_NAME_TRUNCATED : 0))
            << 16;
    /* tid, scope_index, attr_count (0); then event_count, dropped_attr_count, dropped_event_count (0), truncated_count */
    const uint64_t tid_word = (uint64_t)t->tid | (uint64_t)tracer->scope_index << 32;
    const uint64_t counts_word = (uint64_t)(name_cut ? 1u : 0u) << 48;
    const uint16_t length16 = (uint16_t)cut;
    memcpy(r, &header, 8);
    memcpy(r + 36, &kind_word, 4);
    record->start_unix_nanos = start;
    record->end_unix_nanos = end;
    memcpy(r + 64, &tid_word, 8);
    memcpy(r + 72, &counts_word, 8);
    memcpy(r + WEFT_ABI_SPAN_FIXED_SIZE, &length16, 2);
    weft_copy(r + WEFT_ABI_SPAN_FIXED_SIZE + 2, name, cut);
}

WEFT_INLINE weft_span_t *weft_begin(weft_tracer_t *tracer, const char *name, size_t name_length,
                                    weft_span_kind_t kind, const weft_abi_thread_ctx_t *parent, bool parent_remote,
                                    bool explicit_parent) {
    weft_thread_t *t = weft_self();
    if (WEFT_UNLIKELY(tracer == NULL) || WEFT_UNLIKELY(name == NULL)) {
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
    weft_jvm_cell_check(t); /* a JVM scope entered since the last look is this span's parent */
    const uint32_t depth = t->depth;
    if (WEFT_UNLIKELY(depth >= t->stack_depth)) {
        weft_counter_inc(&t->slot->dropped_too_deep);
        goto out;
    }
    if (!explicit_parent) {
        parent = weft_implicit_parent(t, depth, &parent_remote);
    }
    weft_abi_span_t *frame = weft_frame(t, depth);
    if (weft_new_ids(t, frame, parent)) {
        weft_fill_span(t, frame, tracer, name, name_length, kind, parent_remote, weft_now(), 0);
    } else {
        const uint64_t header = weft_header_word(WEFT_ABI_SPAN_FIXED_SIZE, WEFT_ABI_RECORD_SPAN, WEFT_ABI_SPAN_FIXED_SIZE);
        memcpy(frame, &header, 8);
    }
    weft_publish_push(t, depth + 1, frame);
    result = (weft_span_t *)(void *)frame;
out:
    weft_signal_fence();
    t->busy = 0;
    return result;
}

WEFT_HOT weft_span_t *weft_span_begin_n(weft_tracer_t *tracer, const char *name, size_t name_length, weft_span_kind_t kind) {
    return weft_begin(tracer, name, name_length, kind, NULL, false, false);
}

WEFT_HOT weft_span_t *weft_span_begin_with_parent_n(weft_tracer_t *tracer, const char *name, size_t name_length,
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

/**
 * End any span handle, with `t->busy` already held: an outer frame (its inner ones are ended by
 * unwinding), or nothing if it is not an open span of this thread.
 */
static WEFT_COLD void weft_end_any(weft_thread_t *t, weft_span_t *span, uint64_t end_nanos, bool now) {
    uint32_t index;
    if (weft_open_frame(t, span, &index) != NULL) {
        if (now) {
            end_nanos = weft_now();
        }
        weft_unwind_to(t, index, end_nanos, WEFT_ABI_SPAN_ENDED_BY_UNWIND);
        weft_pop_frame(t, index, end_nanos, 0);
    }
}

/**
 * The common case inline (the innermost span: nothing to unwind), the rest in weft_end_any. The
 * handle is checked after `busy` is set, as before: a signal handler that ran just before (and
 * left a span open) cannot change the frames under the check.
 */
WEFT_INLINE void weft_end(weft_span_t *span, uint64_t end_nanos, bool now) {
    weft_thread_t *t = weft_self();
    if (WEFT_UNLIKELY(t->busy)) {
        return;
    }
    t->busy = 1;
    weft_signal_fence();
    if (WEFT_LIKELY(weft_is_top(t, span) && t->top->header.type == WEFT_ABI_RECORD_SPAN)) {
        if (now) {
            end_nanos = weft_now();
        }
        weft_pop_frame(t, t->depth - 1u, end_nanos, 0);
    } else {
        weft_end_any(t, span, end_nanos, now);
    }
    weft_signal_fence();
    t->busy = 0;
}

WEFT_HOT void weft_span_end(weft_span_t *span) {
    weft_end(span, 0, true);
}

WEFT_HOT void weft_span_end_at(weft_span_t *span, uint64_t end_unix_nanos) {
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

/** Append the attributes of weft_span_record_n to `record`, as the setters do (one call per type, so
 * that each inlined copy knows its value's length). */
WEFT_INLINE void weft_append_attrs(const weft_thread_t *t, weft_abi_span_t *record, const weft_attr_n_t *attrs,
                                   size_t count) {
    const uint32_t frame_size = t->frame_size;
    const uint16_t max_value_length = t->rt->max_value_length;
    for (size_t i = 0; i < count; i++) {
        const weft_attr_n_t *a = &attrs[i];
        bool appended = false;
        if (WEFT_LIKELY(a->key != NULL)) {
            switch (a->type) {
            case WEFT_ATTR_STRING:
                appended = weft_append_attr(record, frame_size, max_value_length, a->key, a->key_length,
                                            WEFT_ATTR_STRING, a->value.string != NULL ? a->value.string : "",
                                            a->value.string != NULL ? a->string_length : 0);
                break;
            case WEFT_ATTR_INT64:
                appended = weft_append_attr(record, frame_size, max_value_length, a->key, a->key_length,
                                            WEFT_ATTR_INT64, &a->value.int64, 8);
                break;
            case WEFT_ATTR_DOUBLE:
                appended = weft_append_attr(record, frame_size, max_value_length, a->key, a->key_length,
                                            WEFT_ATTR_DOUBLE, &a->value.float64, 8);
                break;
            case WEFT_ATTR_BOOL: {
                const uint8_t byte = a->value.boolean ? 1 : 0;
                appended = weft_append_attr(record, frame_size, max_value_length, a->key, a->key_length,
                                            WEFT_ATTR_BOOL, &byte, 1);
                break;
            }
            default: /* an unknown type: dropped, counted */
                break;
            }
        }
        if (appended) {
            record->attr_count++;
        } else {
            record->dropped_attr_count++;
        }
    }
}

WEFT_HOT void weft_span_record_n(weft_tracer_t *tracer, const char *name, size_t name_length, weft_span_kind_t kind,
                        uint64_t start_unix_nanos, uint64_t end_unix_nanos, const weft_attr_n_t *attrs,
                        size_t attr_count) {
    weft_thread_t *t = weft_self();
    if (WEFT_UNLIKELY(tracer == NULL || name == NULL || (attrs == NULL && attr_count != 0))) {
        return;
    }
    if (WEFT_UNLIKELY(t->busy)) {
        if (t->slot != NULL && t->epoch == weft_load_relaxed(&weft_global.epoch)) {
            weft_counter_inc(&t->slot->dropped_reentrant);
        }
        return;
    }
    t->busy = 1;
    weft_signal_fence();
    if (WEFT_UNLIKELY(weft_thread_for_recording(t, true) == NULL)) {
        goto out;
    }
    weft_jvm_cell_check(t); /* a JVM scope entered since the last look is this span's parent */
    const uint32_t depth = t->depth;
    bool parent_remote;
    const weft_abi_thread_ctx_t *parent = weft_implicit_parent(t, depth, &parent_remote);
    /* Where to build the record: straight in the ring when a whole frame (and the 8 bytes the
     * alignment zeroing may touch) fits contiguously after the tail; else in the next free frame,
     * copied by weft_commit as a span end does (which pads at the ring's end). */
    const uint64_t capacity = t->ring_mask + 1u;
    const uint64_t index = t->tail & t->ring_mask;
    const uint64_t room = (uint64_t)t->frame_size + 8u;
    bool direct = capacity - index >= room && t->tail + room - t->head_cache <= capacity;
    if (WEFT_UNLIKELY(!direct && capacity - index >= room)) {
        /* acquire: the consumer has copied out everything before head, so that space is ours */
        t->head_cache = weft_load_acquire(&t->slot->head);
        direct = t->tail + room - t->head_cache <= capacity;
    }
    _Alignas(8) uint8_t ids_only[WEFT_ABI_SPAN_FIXED_SIZE];
    weft_abi_span_t *record = direct                  ? (weft_abi_span_t *)(void *)(t->ring + index)
                              : depth < t->stack_depth ? weft_frame(t, depth)
                                                       : (weft_abi_span_t *)(void *)ids_only;
    if (!weft_new_ids(t, record, parent)) {
        goto out;
    }
    if (WEFT_UNLIKELY(record == (weft_abi_span_t *)(void *)ids_only)) {
        weft_counter_inc(&t->slot->dropped_too_deep);
        goto out;
    }
    const uint64_t end = end_unix_nanos > start_unix_nanos ? end_unix_nanos : start_unix_nanos;
    weft_fill_span(t, record, tracer, name, name_length, kind, parent_remote, start_unix_nanos, end);
    weft_append_attrs(t, record, attrs, attr_count);
    if (WEFT_LIKELY(direct)) {
        weft_commit_in_place(t, record);
    } else {
        weft_commit(t, record);
    }
out:
    weft_signal_fence();
    t->busy = 0;
}
