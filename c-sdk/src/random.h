/*
 * random.h - span and trace ids: wyrand, seeded from the OS once per thread.
 * Internal to libweft; not installed.
 */
#ifndef WEFT_RANDOM_H
#define WEFT_RANDOM_H

#include "weft_internal.h"

/* wyrand: one multiply per 64 bits, passes BigCrush; seeded from the OS per thread. */
WEFT_INLINE uint64_t weft_random(uint64_t *state) {
    *state += UINT64_C(0xa0761d6478bd642f);
    __extension__ unsigned __int128 t = (unsigned __int128)*state * (*state ^ UINT64_C(0xe7037ed1a0b428db));
    return (uint64_t)(t >> 64) ^ (uint64_t)t;
}

/** A random non-zero 64-bit value (the loop runs again once in 2^64 draws). Out of line: cold. */
static __attribute__((noinline, cold, unused)) uint64_t weft_random_nonzero_slow(uint64_t *state) {
    uint64_t r;
    do {
        r = weft_random(state);
    } while (r == 0);
    return r;
}

/** `r`, or if it is zero (once in 2^64) a fresh non-zero draw: no loop on the common path. */
WEFT_INLINE uint64_t weft_nonzero_or_redraw(uint64_t r, uint64_t *state) {
    return WEFT_LIKELY(r != 0) ? r : weft_random_nonzero_slow(state);
}

/** A random non-zero 64-bit value, for the span id of a child. One multiply. */
WEFT_INLINE uint64_t weft_random_nonzero(uint64_t *state) {
    return weft_nonzero_or_redraw(weft_random(state), state);
}

/**
 * The ids of a root span, from two draws (two multiplies, where three independent draws took
 * three): the trace id is the two draws, high then low (the low 64 bits, which the ratio sampler
 * reads, are a full wyrand output as before), and the span id is their exclusive or, uniform
 * because the draws are independent. The span id is then a function of the trace id, which
 * carries no information a traceparent does not already show; it collides with the id of a child
 * span of the same trace as seldom as two random span ids do (2^-64). Non-zero: the trace id
 * (the whole 128 bits, per W3C) and the span id are each redrawn in the once-in-2^64 case, out of
 * line.
 */
WEFT_INLINE void weft_root_ids(uint64_t *state, uint64_t *trace_high, uint64_t *trace_low, uint64_t *span_id) {
    uint64_t high = weft_random(state), low = weft_random(state);
    if (WEFT_UNLIKELY((high | low) == 0)) {
        low = weft_random_nonzero_slow(state);
    }
    *trace_high = high;
    *trace_low = low;
    *span_id = weft_nonzero_or_redraw(high ^ low, state);
}

#endif /* WEFT_RANDOM_H */
