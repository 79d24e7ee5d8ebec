/*
 * slot_reserve.c - reserving a slot's pages at its first claim.
 * The part of the segment's life that depends on the running runtime (weft_global): kept out of segment.c,
 * which the reader's fuzz target and its coverage build link alone.
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "weft_internal.h"

#include <errno.h>

int weft_segment_reserve_slot(const weft_runtime_t *rt, uint32_t index) {
    /* The runtime is allocated mutable (weft_start); threads see it through a const pointer. */
    weft_segment_t *seg = (weft_segment_t *)(uintptr_t)&rt->segment;
    _Atomic uint8_t *state = &seg->reserved[index];
    /* acquire: pairs with the release below, so the pages are reserved before the slot is touched */
    uint8_t was = atomic_load_explicit(state, memory_order_acquire);
    if (was == WEFT_SLOT_RESERVED) {
        return 0;
    }
    if (was != WEFT_SLOT_UNRESERVED ||
        !atomic_compare_exchange_strong_explicit(state, &was, WEFT_SLOT_RESERVING, memory_order_acquire,
                                                 memory_order_acquire)) {
        return was == WEFT_SLOT_RESERVED ? 0 : -EBUSY;
    }
    /* Shutdown closes the descriptor once no thread is in here: count ourselves in, then check the runtime
     * is still the running one (Dekker: each side's seq_cst fence is between its store and its load). */
    atomic_fetch_add_explicit(&seg->reservers, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    int rc;
    const int fd = atomic_load_explicit(&seg->fd, memory_order_relaxed);
    if (atomic_load_explicit(&weft_global.runtime, memory_order_relaxed) != rt || fd < 0) {
        rc = -ESHUTDOWN;
    } else {
        rc = weft_reserve_range(fd, WEFT_HEADER_AREA + (uint64_t)index * seg->slot_stride, seg->slot_stride);
    }
    atomic_fetch_sub_explicit(&seg->reservers, 1, memory_order_release);
    /* release: a thread that sees RESERVED sees the pages allocated; a failure may be retried later */
    atomic_store_explicit(state, rc == 0 ? WEFT_SLOT_RESERVED : WEFT_SLOT_UNRESERVED, memory_order_release);
    return rc;
}
