/*
 * span.c - the recording hot path: per-thread slot binding, the open-span
 * stack (frames), attributes, events, status, and the copy into the ring.
 *
 * Cost model: begin = one clock read, three random draws, a few stores into
 * the thread's own frame; end = one clock read, one memcpy into the thread's
 * own ring and one release store of its tail. No lock, no allocation, no
 * system call (the clock is read through the vDSO). The only shared word a
 * producer reads is the consumer's `head`, and only when its cached copy
 * says the ring is full.
 */
#define _GNU_SOURCE
#include "weft_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- TLS */

/**
 * OpenTelemetry Thread Context (OTEP 4947): points at the OTEP record inside
 * the thread's innermost frame, or NULL. Exported in .dynsym for external
 * readers such as the OpenTelemetry eBPF profiler; built with the TLSDESC
 * dialect as the OTEP recommends.
 */
__attribute__((visibility("default"))) __thread weft_abi_thread_ctx_t *otel_thread_ctx_v1 = NULL;

typedef struct weft_thread {
    uint32_t epoch;      /* weft_global.epoch this binding belongs to; 0 = unbound */
    uint32_t depth;      /* frames in use (mirrors slot->depth) */
    uint8_t busy;        /* inside begin/end/attach/detach: a signal handler must not record */
    uint8_t slot_retry;  /* countdown before the next attempt to claim a slot after none was free */
    uint32_t tid;
    uint32_t frame_size;
    uint32_t frame_shift; /* frame_size == 1 << frame_shift */
    uint32_t stack_depth;
    uint64_t ring_mask;
    uint64_t tail;       /* producer's own copy of slot->tail */
    uint64_t head_cache; /* last value read from slot->head */
    uint64_t rng;
    const weft_runtime_t *rt;
    weft_abi_thread_ctx_t **otel_ctx; /* &otel_thread_ctx_v1 of this thread, taken once at bind */
    weft_abi_slot_t *slot;
    uint8_t *frames;
    uint8_t *ring;
} weft_thread_t;

static __thread weft_thread_t weft_tls;

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

static pthread_key_t weft_exit_key;
static pthread_once_t weft_exit_key_once = PTHREAD_ONCE_INIT;

static void weft_thread_exit(void *arg);

static void weft_exit_key_create(void) {
    (void)pthread_key_create(&weft_exit_key, weft_thread_exit);
}

/* -------------------------------------------------------------- clock */

WEFT_INLINE uint64_t weft_monotonic_nanos(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

#ifdef WEFT_TESTING
/* Only in the build used to generate test vectors: a deterministic clock and thread identity. */
uint64_t (*weft_testing_clock)(void);

WEFT_INLINE uint64_t weft_now(void) {
    return weft_testing_clock();
}
#else
WEFT_INLINE uint64_t weft_now(void) {
    return weft_monotonic_nanos() + (uint64_t)weft_global.clock_offset_nanos;
}
#endif

uint64_t weft_now_unix_nanos(void) {
    return weft_now();
}

/* ------------------------------------------------------------- random */

/* wyrand: one multiply per 64 bits, passes BigCrush; seeded from the OS per thread. */
WEFT_INLINE uint64_t weft_random(uint64_t *state) {
    *state += UINT64_C(0xa0761d6478bd642f);
    __extension__ unsigned __int128 t = (unsigned __int128)*state * (*state ^ UINT64_C(0xe7037ed1a0b428db));
    return (uint64_t)(t >> 64) ^ (uint64_t)t;
}

/** A random non-zero 64-bit value, for span ids and the halves of trace ids. */
WEFT_INLINE uint64_t weft_random_nonzero(uint64_t *state) {
    uint64_t r;
    do {
        r = weft_random(state);
    } while (WEFT_UNLIKELY(r == 0));
    return r;
}

/* --------------------------------------------------------------- copy */

/**
 * memcpy for the short keys and values of the hot path, without a call:
 * overlapping word copies for up to 16 bytes, libc beyond. Never reads
 * outside [src, src + n) nor writes outside [dst, dst + n).
 */
WEFT_INLINE void weft_copy(uint8_t *dst, const void *src_, size_t n) {
    const uint8_t *src = src_;
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, src, 8);
        memcpy(&b, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, src, 4);
        memcpy(&b, src + n - 4, 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else if (n < 4) {
        for (size_t i = 0; i < n; i++) {
            dst[i] = src[i];
        }
    } else {
        memcpy(dst, src, n);
    }
}

/* ------------------------------------------------------------ binding */

WEFT_INLINE weft_abi_span_t *weft_frame(const weft_thread_t *t, uint32_t index) {
    return (weft_abi_span_t *)(void *)(t->frames + ((size_t)index << t->frame_shift));
}

WEFT_INLINE void weft_publish_depth(weft_thread_t *t, uint32_t depth) {
    t->depth = depth;
    /* release: a post-mortem reader that acquires depth sees the frames below it complete */
    weft_store_release(&t->slot->depth, depth);
    if (t->rt->otel_thread_ctx) {
        weft_signal_fence(); /* OTEP 4947: the record is complete before the pointer is seen */
        *t->otel_ctx = depth > 0 ? &weft_frame(t, depth - 1)->ctx : NULL;
    }
}

static void weft_read_thread_name(uint8_t out[16]) {
    char name[16] = {0};
    (void)pthread_getname_np(pthread_self(), name, sizeof name);
    memcpy(out, name, 16);
}

static bool weft_try_claim(weft_abi_slot_t *slot) {
    uint32_t state = weft_load_acquire(&slot->state);
    if (state == WEFT_ABI_SLOT_RELEASED) {
        /* acquire on head: the reader has finished with every record of the previous owner */
        if (weft_load_acquire(&slot->head) != weft_load_relaxed(&slot->tail)) {
            return false;
        }
    } else if (state != WEFT_ABI_SLOT_FREE) {
        return false;
    }
    return atomic_compare_exchange_strong_explicit(&slot->state, &state, WEFT_ABI_SLOT_ACTIVE, memory_order_acq_rel,
                                                   memory_order_relaxed);
}

/**
 * Slow path, taken on a thread's first call in an epoch: claim a slot of the
 * running segment. Not async-signal-safe (pthread_setspecific, getrandom).
 */
static bool weft_thread_bind(weft_thread_t *t) {
    /* Epoch first: if init or shutdown races with us, the binding carries the older epoch and is
     * simply redone on the next call. acquire: pairs with the release of `runtime` in weft_start. */
    uint32_t epoch = weft_load_acquire(&weft_global.epoch);
    const weft_runtime_t *rt = weft_load_acquire(&weft_global.runtime);
    t->epoch = 0;
    t->slot = NULL;
    if (rt == NULL) {
        return false;
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
    for (uint32_t k = 0; k < seg->slot_count; k++) {
        uint32_t index = (start + k) % seg->slot_count;
        weft_abi_slot_t *slot = (weft_abi_slot_t *)(void *)(seg->base + seg->header->slots_offset +
                                                             (uint64_t)index * seg->slot_stride);
        if (!weft_try_claim(slot)) {
            continue;
        }
        slot->generation++;
        slot->tid = t->tid;
        weft_read_thread_name(slot->thread_name);
        t->slot = slot;
        t->frame_size = seg->frame_size;
        t->frame_shift = (uint32_t)__builtin_ctz(seg->frame_size);
        t->stack_depth = seg->stack_depth;
        t->frames = (uint8_t *)slot + WEFT_ABI_SLOT_HEADER_SIZE;
        t->ring = t->frames + (size_t)seg->stack_depth * seg->frame_size;
        t->ring_mask = seg->ring_capacity - 1u;
        t->tail = weft_load_relaxed(&slot->tail); /* we are its only writer now */
        t->head_cache = weft_load_acquire(&slot->head);
        if (t->rng == 0 && getrandom(&t->rng, sizeof t->rng, GRND_NONBLOCK) != (ssize_t)sizeof t->rng) {
            t->rng = weft_monotonic_nanos() ^ ((uint64_t)t->tid << 32) ^ (uint64_t)(uintptr_t)t;
        }
        t->otel_ctx = &otel_thread_ctx_v1;
        t->epoch = epoch;
        weft_publish_depth(t, 0);
        (void)pthread_once(&weft_exit_key_once, weft_exit_key_create);
        (void)pthread_setspecific(weft_exit_key, t);
        return true;
    }
    t->slot_retry = 255; /* every slot is taken: try again after this many more spans */
    return false;
}

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

/* --------------------------------------------------------------- ring */

/** Copy a finished record into the ring, or count it dropped. Never waits. */
WEFT_INLINE void weft_commit(weft_thread_t *t, const weft_abi_span_t *record) {
    const uint32_t length = record->header.length;
    const uint64_t aligned = weft_align8(length);
    const uint64_t capacity = t->ring_mask + 1u;
    uint64_t index = t->tail & t->ring_mask;
    const uint64_t to_end = capacity - index;
    const uint64_t needed = aligned <= to_end ? aligned : to_end + aligned;
    if (WEFT_UNLIKELY(t->tail + needed - t->head_cache > capacity)) {
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
    /* Zero the alignment bytes without a memset call: clear the record's last
     * 8-byte word first, then copy the record over its front. */
    const uint64_t zero = 0;
    memcpy(t->ring + index + aligned - 8, &zero, 8);
    memcpy(t->ring + index, record, length);
    weft_counter_inc(&t->slot->spans_committed);
    t->tail += aligned;
    /* release: publishes the record bytes (and the padding and the counter) written above */
    weft_store_release(&t->slot->tail, t->tail);
}

/* ------------------------------------------------------------- frames */

WEFT_INLINE bool weft_frame_sampled(const weft_abi_span_t *frame) {
    return (frame->ctx.trace_flags & WEFT_TRACE_FLAG_SAMPLED) != 0;
}

/** End frame `index` (the top one) and pop it. */
WEFT_INLINE void weft_pop_frame(weft_thread_t *t, uint32_t index, uint64_t end_nanos, uint8_t flags) {
    weft_abi_span_t *frame = weft_frame(t, index);
    if (frame->header.type == WEFT_ABI_RECORD_SPAN && weft_frame_sampled(frame)) {
        frame->end_unix_nanos = end_nanos > frame->start_unix_nanos ? end_nanos : frame->start_unix_nanos;
        frame->flags |= flags;
        weft_commit(t, frame);
    }
    weft_publish_depth(t, index);
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

/** The frame of a span that records, ready for appending. */
WEFT_INLINE weft_abi_span_t *weft_recording_frame(weft_span_t *span) {
    uint32_t index;
    weft_abi_span_t *frame = weft_open_frame(weft_self(), span, &index);
    return frame != NULL && weft_frame_sampled(frame) ? frame : NULL;
}

/* --------------------------------------------------------- sampling */

WEFT_INLINE bool weft_sample(const weft_runtime_t *rt, const weft_abi_thread_ctx_t *parent, const uint8_t trace_id[16]) {
    switch (rt->sampler) {
    case WEFT_SAMPLER_PARENTBASED_ALWAYS_ON:
        return parent == NULL || (parent->trace_flags & WEFT_TRACE_FLAG_SAMPLED);
    case WEFT_SAMPLER_PARENTBASED_ALWAYS_OFF:
        return parent != NULL && (parent->trace_flags & WEFT_TRACE_FLAG_SAMPLED);
    case WEFT_SAMPLER_PARENTBASED_TRACEIDRATIO:
        if (parent != NULL) {
            return (parent->trace_flags & WEFT_TRACE_FLAG_SAMPLED) != 0;
        }
        break;
    case WEFT_SAMPLER_ALWAYS_ON:
        return true;
    case WEFT_SAMPLER_ALWAYS_OFF:
        return false;
    case WEFT_SAMPLER_TRACEIDRATIO:
        break;
    }
    /* as the OpenTelemetry Java SDK's TraceIdRatioBasedSampler: |low 64 bits, big-endian| < bound */
    int64_t low = (int64_t)weft_load_be64(trace_id + 8);
    uint64_t magnitude = low < 0 ? (uint64_t)0 - (uint64_t)low : (uint64_t)low;
    return magnitude < (uint64_t)rt->ratio_bound;
}

/* -------------------------------------------------------------- begin */

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

/* --------------------------------------------------------- attributes */

/** Append an attribute item to `frame`; returns false (and counts nothing) if it does not fit. */
WEFT_INLINE bool weft_append_attr(weft_abi_span_t *frame, uint32_t frame_size, uint16_t max_value_length,
                                  const char *key, size_t key_length, weft_attr_type_t type, const void *value,
                                  size_t value_length) {
    size_t key_cut = weft_utf8_cut(key, key_length, WEFT_MAX_KEY_LENGTH);
    size_t value_cut = value_length;
    if (type == WEFT_ATTR_STRING) {
        value_cut = weft_utf8_cut((const char *)value, value_length, max_value_length);
    }
    const size_t item_length = WEFT_ABI_ATTR_PREFIX_SIZE + key_cut + value_cut;
    if (frame->header.length + item_length > frame_size) {
        return false;
    }
    const bool truncated = key_cut < key_length || value_cut < value_length;
    uint8_t *p = (uint8_t *)frame + frame->header.length;
    /* item header (tag, flags, length) and key length, as one 6-byte prefix */
    const uint64_t prefix = (uint64_t)(uint8_t)type | (uint64_t)(truncated ? WEFT_ABI_ITEM_TRUNCATED : 0) << 8 |
                            (uint64_t)item_length << 16 | (uint64_t)key_cut << 32;
    memcpy(p, &prefix, WEFT_ABI_ATTR_PREFIX_SIZE);
    weft_copy(p + WEFT_ABI_ATTR_PREFIX_SIZE, key, key_cut);
    weft_copy(p + WEFT_ABI_ATTR_PREFIX_SIZE + key_cut, value, value_cut);
    frame->header.length += (uint32_t)item_length;
    if (WEFT_UNLIKELY(truncated)) {
        frame->truncated_count++;
    }
    return true;
}

WEFT_INLINE void weft_set_attr(weft_span_t *span, const char *key, size_t key_length, weft_attr_type_t type,
                               const void *value, size_t value_length) {
    const weft_thread_t *t = weft_self();
    uint32_t index;
    weft_abi_span_t *frame = weft_open_frame(t, span, &index);
    if (frame == NULL || !weft_frame_sampled(frame) || key == NULL) {
        return;
    }
    if (weft_append_attr(frame, t->frame_size, t->rt->max_value_length, key, key_length, type, value,
                         value_length)) {
        frame->attr_count++;
    } else {
        frame->dropped_attr_count++;
    }
}

void weft_span_set_string_n(weft_span_t *span, const char *key, size_t key_length, const char *value,
                            size_t value_length) {
    if (value != NULL || value_length == 0) {
        weft_set_attr(span, key, key_length, WEFT_ATTR_STRING, value != NULL ? value : "", value_length);
    }
}

void weft_span_set_int64_n(weft_span_t *span, const char *key, size_t key_length, int64_t value) {
    weft_set_attr(span, key, key_length, WEFT_ATTR_INT64, &value, sizeof value);
}

void weft_span_set_double_n(weft_span_t *span, const char *key, size_t key_length, double value) {
    weft_set_attr(span, key, key_length, WEFT_ATTR_DOUBLE, &value, sizeof value);
}

void weft_span_set_bool_n(weft_span_t *span, const char *key, size_t key_length, bool value) {
    uint8_t byte = value ? 1 : 0;
    weft_set_attr(span, key, key_length, WEFT_ATTR_BOOL, &byte, 1);
}

/* ------------------------------------------------------------- events */

void weft_span_add_event(weft_span_t *span, const char *name, const weft_attr_t *attrs, size_t count) {
    weft_abi_span_t *frame = weft_recording_frame(span);
    if (frame == NULL || name == NULL) {
        return;
    }
    const weft_thread_t *t = weft_self();
    const uint64_t now = weft_now();
    size_t name_length = strlen(name);
    size_t cut = weft_utf8_cut(name, name_length, WEFT_MAX_NAME_LENGTH);
    const uint32_t event_offset = frame->header.length;
    const size_t item_length = WEFT_ABI_EVENT_PREFIX_SIZE + cut;
    if (event_offset + item_length > t->frame_size) {
        frame->dropped_event_count++;
        return;
    }
    uint8_t *p = (uint8_t *)frame + event_offset;
    weft_abi_event_t event = {
        .header = {.tag = WEFT_ABI_ITEM_EVENT, .flags = cut < name_length ? WEFT_ABI_ITEM_TRUNCATED : 0,
                   .length = (uint16_t)item_length},
        .name_length = (uint16_t)cut,
        .time_unix_nanos = now,
    };
    frame->header.length += (uint32_t)item_length;
    if (cut < name_length) {
        frame->truncated_count++;
    }
    for (size_t i = 0; i < count && attrs != NULL; i++) {
        const weft_attr_t *a = &attrs[i];
        const void *value;
        size_t value_length;
        uint8_t byte;
        switch (a->type) {
        case WEFT_ATTR_STRING:
            value = a->value.string != NULL ? a->value.string : "";
            value_length = strlen((const char *)value);
            break;
        case WEFT_ATTR_BOOL:
            byte = a->value.boolean ? 1 : 0;
            value = &byte;
            value_length = 1;
            break;
        case WEFT_ATTR_INT64:
            value = &a->value.int64;
            value_length = 8;
            break;
        case WEFT_ATTR_DOUBLE:
            value = &a->value.float64;
            value_length = 8;
            break;
        default:
            event.dropped_attr_count++;
            continue;
        }
        if (a->key != NULL && weft_append_attr(frame, t->frame_size, t->rt->max_value_length, a->key,
                                               strlen(a->key), a->type, value, value_length)) {
            event.attr_count++;
        } else {
            event.dropped_attr_count++;
        }
    }
    memcpy(p, &event, sizeof event);
    memcpy(p + WEFT_ABI_EVENT_PREFIX_SIZE, name, cut);
    frame->event_count++;
}

/* ------------------------------------------------------------- status */

void weft_span_set_status(weft_span_t *span, weft_status_code_t code, const char *message) {
    weft_abi_span_t *frame = weft_recording_frame(span);
    if (frame == NULL || code == WEFT_STATUS_UNSET || frame->status_code == WEFT_ABI_STATUS_OK ||
        (code != WEFT_STATUS_OK && code != WEFT_STATUS_ERROR)) {
        return;
    }
    frame->status_code = (uint8_t)code;
    if (code != WEFT_STATUS_ERROR || message == NULL) {
        return;
    }
    const weft_thread_t *t = weft_self();
    size_t length = strlen(message);
    size_t cut = weft_utf8_cut(message, length, t->rt->max_value_length);
    size_t room = t->frame_size - frame->header.length;
    if (room < WEFT_ABI_STATUS_MESSAGE_PREFIX_SIZE) {
        return;
    }
    if (cut > room - WEFT_ABI_STATUS_MESSAGE_PREFIX_SIZE) {
        cut = weft_utf8_cut(message, length, room - WEFT_ABI_STATUS_MESSAGE_PREFIX_SIZE);
    }
    const bool truncated = cut < length;
    weft_abi_item_header_t item = {.tag = WEFT_ABI_ITEM_STATUS_MESSAGE,
                                   .flags = truncated ? WEFT_ABI_ITEM_TRUNCATED : 0,
                                   .length = (uint16_t)(WEFT_ABI_STATUS_MESSAGE_PREFIX_SIZE + cut)};
    uint8_t *p = (uint8_t *)frame + frame->header.length;
    memcpy(p, &item, sizeof item);
    memcpy(p + 4, message, cut);
    frame->header.length += item.length;
    if (truncated) {
        frame->flags |= WEFT_ABI_SPAN_STATUS_TRUNCATED;
        frame->truncated_count++;
    }
}

void weft_span_set_errno(weft_span_t *span, int errnum) {
    if (weft_recording_frame(span) == NULL) {
        return;
    }
    char buffer[128];
    const char *message = strerror_r(errnum, buffer, sizeof buffer); /* GNU variant */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    const char *errno_name = strerrorname_np(errnum);
#else
    const char *errno_name = NULL;
#endif
    if (errno_name != NULL) {
        weft_span_set_string(span, "error.type", errno_name);
    } else {
        char number[16];
        snprintf(number, sizeof number, "%d", errnum);
        weft_span_set_string(span, "error.type", number);
    }
    weft_span_set_status(span, WEFT_STATUS_ERROR, message);
}

/* ---------------------------------------------------------------- end */

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

static void weft_context_from_ctx(const weft_abi_thread_ctx_t *ctx, bool remote, weft_context_t *out) {
    memset(out, 0, sizeof *out);
    memcpy(out->trace_id, ctx->trace_id, 16);
    memcpy(out->span_id, ctx->span_id, 8);
    out->trace_flags = ctx->trace_flags;
    out->is_remote = remote ? 1 : 0;
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

/* ------------------------------------------------------------ context */

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
    if (weft_load_relaxed(&weft_global.runtime) == NULL) {
        result = -ECANCELED;
    } else if (weft_thread_for_recording(t, false) == NULL) {
        result = -EAGAIN;
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

/* ------------------------------------------------------- thread exit */

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
    t->busy = 0;
    t->rt = NULL;
    t->slot_retry = 0;
    t->tid = 0;
    t->rng = 0;
    otel_thread_ctx_v1 = NULL;
}

/* -------------------------------------------------------------- stats */

int weft_get_stats(weft_stats_t *out) {
    const weft_runtime_t *rt = weft_load_acquire(&weft_global.runtime);
    if (out == NULL) {
        return -EINVAL;
    }
    memset(out, 0, sizeof *out);
    if (rt == NULL) {
        return -ENOENT;
    }
    const weft_segment_t *seg = &rt->segment;
    weft_sum_counters(seg->base, seg->header, seg->slot_count, seg->slot_stride, out);
    return 0;
}
