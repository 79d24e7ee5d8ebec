/*
 * ring.h - committing a finished record into the thread's own SPSC ring (the producer side).
 * Internal to libweft; not installed.
 */
#ifndef WEFT_RING_H
#define WEFT_RING_H

#include "weft_internal.h"
#include "thread.h"

/**
 * The out-of-line rest of weft_commit: a record that may not fit before t->ring_limit (the ring's
 * end, where it pads and wraps, or the consumer's head as last read, which it reads again). Copies
 * it or counts it dropped, and moves t->ring_limit on. Never waits.
 */
WEFT_HIDDEN void weft_commit_slow(weft_thread_t *t, const weft_abi_span_t *record) __attribute__((noinline, cold));

/** Copy a finished record into the ring, or count it dropped. Never waits. */
WEFT_INLINE void weft_commit(weft_thread_t *t, const weft_abi_span_t *record) {
    /* 1.1 fence: once a collector (or weft_shutdown) closed it, spans are counted, not recorded. Relaxed: a
     * span that ends just as the fence closes may still be recorded, and the final drain reads it. */
    if (WEFT_UNLIKELY(weft_load_relaxed(t->fence) != WEFT_ABI_FENCE_OPEN)) {
        weft_counter_inc(&t->slot->dropped_shutdown);
        return;
    }
    const uint32_t length = record->header.length;
    const uint64_t aligned = weft_align8(length);
    /* one compare: [tail, tail + aligned) is before the ring's end and the consumer's head (ring_limit) */
    if (WEFT_UNLIKELY(t->tail + aligned > t->ring_limit)) {
        weft_commit_slow(t, record);
        return;
    }
    uint8_t *at = t->ring + (t->tail & t->ring_mask);
    /* Zero the alignment bytes without a memset call: clear the record's last
     * 8-byte word first, then copy the record over its front. */
    const uint64_t zero = 0;
    memcpy(at + aligned - 8, &zero, 8);
    memcpy(at, record, length);
    weft_counter_inc(&t->slot->spans_committed);
    /* 1.1: the slot's last activity, for the post-mortem end of the spans still open on it (same line as tail) */
    weft_store_relaxed(&t->slot->last_end_unix_nanos, record->end_unix_nanos);
    t->tail += aligned;
    /* release: publishes the record bytes (and the counter and last_end) written above */
    weft_store_release(&t->slot->tail, t->tail);
}

/**
 * Publish a record built in place at the ring's tail, where the caller checked that a whole
 * frame and 8 bytes more fit contiguously and are free (weft_span_record_n). Never waits.
 */
WEFT_INLINE void weft_commit_in_place(weft_thread_t *t, const weft_abi_span_t *record) {
    if (WEFT_UNLIKELY(weft_load_relaxed(t->fence) != WEFT_ABI_FENCE_OPEN)) {
        weft_counter_inc(&t->slot->dropped_shutdown); /* as weft_commit; the bytes stay unpublished */
        return;
    }
    const uint32_t length = record->header.length;
    /* the alignment bytes: zero the 8 bytes after the record (free room, checked by the caller) */
    const uint64_t zero = 0;
    memcpy((uint8_t *)(uintptr_t)record + length, &zero, 8);
    weft_counter_inc(&t->slot->spans_committed);
    weft_store_relaxed(&t->slot->last_end_unix_nanos, record->end_unix_nanos);
    t->tail += weft_align8(length);
    /* release: publishes the record bytes, the counter and last_end written above */
    weft_store_release(&t->slot->tail, t->tail);
}

#endif /* WEFT_RING_H */
