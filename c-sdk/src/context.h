/*
 * context.h - attaching a context to this thread's stack (context.c), for the entry points that
 * hold the thread already, and the check for the JVM's pending attach (jvm_cell.c).
 * Internal to libweft; not installed.
 */
#ifndef WEFT_CONTEXT_H
#define WEFT_CONTEXT_H

#include "thread.h"

/** Attach with the thread bound and busy held: a token, or -ENOSPC (too deep). Ids non-zero. */
WEFT_HIDDEN int weft_attach_locked(weft_thread_t *t, const uint8_t trace_id[16], const uint8_t span_id[8],
                                   uint8_t trace_flags, bool remote);

/** Detach with busy held: 0, or -EINVAL if the token names no context attached in this binding. */
WEFT_HIDDEN int weft_detach_locked(weft_thread_t *t, int token);

/** Attach the JVM's pending context, or drop the one a closed scope left (bound, busy held). */
WEFT_HIDDEN void weft_jvm_cell_sync(weft_thread_t *t) __attribute__((noinline));

/** This thread's cell (40 bytes, weft_jvm_cell_t), for the JVM's direct buffer (jni.c). */
WEFT_HIDDEN void *weft_jvm_cell(void);

/**
 * Before an operation that reads or changes the thread's current context (bound, busy held): one
 * load and compare while the JVM has not entered or left a scope since the last look.
 */
WEFT_INLINE void weft_jvm_cell_check(weft_thread_t *t) {
    if (WEFT_UNLIKELY(*(volatile const uint32_t *)&t->jvm_cell.gen != t->cell_seen)) {
        weft_jvm_cell_sync(t);
    }
}

#endif /* WEFT_CONTEXT_H */
