/*
 * weft_atomic.h - the memory orders Weft uses, named at each call site.
 *
 * Shared words are _Atomic (see weft_abi.h); these wrappers only make the
 * order visible where it matters. Every caller says in a comment what its
 * release publishes or its acquire observes.
 */
#ifndef WEFT_ATOMIC_H
#define WEFT_ATOMIC_H

#include <stdatomic.h>
#include <stdint.h>

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free to live in shared memory");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free to live in shared memory");

#define weft_load_acquire(p) atomic_load_explicit((p), memory_order_acquire)
#define weft_load_relaxed(p) atomic_load_explicit((p), memory_order_relaxed)
#define weft_store_release(p, v) atomic_store_explicit((p), (v), memory_order_release)
#define weft_store_relaxed(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)

/** Single-writer counter: a plain load and store, no read-modify-write instruction needed. */
#define weft_counter_inc(p) weft_store_relaxed((p), weft_load_relaxed(p) + 1)

/** Orders this thread's stores against a signal handler on the same thread (no CPU fence). */
#define weft_signal_fence() atomic_signal_fence(memory_order_seq_cst)

#endif /* WEFT_ATOMIC_H */
