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

/** A random non-zero 64-bit value, for span ids and the halves of trace ids. */
WEFT_INLINE uint64_t weft_random_nonzero(uint64_t *state) {
    uint64_t r;
    do {
        r = weft_random(state);
    } while (WEFT_UNLIKELY(r == 0));
    return r;
}

#endif /* WEFT_RANDOM_H */
