/*
 * copy.h - the short copies of the hot path, without a call into libc.
 * Internal to libweft; not installed.
 */
#ifndef WEFT_COPY_H
#define WEFT_COPY_H

#include "weft_internal.h"

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

#endif /* WEFT_COPY_H */
