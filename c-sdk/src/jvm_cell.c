/*
 * jvm_cell.c - the JVM's attach without a JNI call: `Weft.enterNative` writes the ids of its
 * current span into this thread's cell (thread.h, weft_jvm_cell_t) and bumps its gen to an odd
 * value; libweft attaches that context at the thread's next begin, record or attach, or look at
 * the current context (weft_jvm_cell_check), exactly where an attach at the enter would have
 * put it, since nothing else changes the stack in between. A scope whose native call recorded
 * nothing therefore costs no transition at all; one that did is detached by the JVM through
 * weft_context_detach when it sees the result here (done_gen == its gen), which ends spans left
 * open inside it, as before.
 *
 * The cell is written and read on one thread only: the JVM's release store of gen after the ids,
 * and this thread's own reads, are in program order, and a signal handler on the thread sees
 * them so. The one gap: a handler that attaches the cell between the JVM's close (gen even) and
 * its look at done_gen. The JVM then does not detach, and the next look here drops the context
 * (cell_token_gen no longer matches gen). Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "context.h"

#include <errno.h>
#include <string.h>

void weft_jvm_cell_sync(weft_thread_t *t) {
    weft_jvm_cell_t *c = &t->jvm_cell;
    const uint32_t gen = *(volatile const uint32_t *)&c->gen;
    weft_signal_fence(); /* the ids after gen: the JVM stored them before it */
    t->cell_seen = gen;  /* first: weft_attach_locked checks the cell again */
    if (t->cell_attached && t->cell_token_gen != gen) {
        /* the scope that attached it was closed without the JVM's detach: drop it now */
        t->cell_attached = 0;
        (void)weft_detach_locked(t, t->cell_token);
    }
    if ((gen & 1u) == 0 || t->cell_attached) {
        return;
    }
    const uint64_t high = c->trace_id_high, low = c->trace_id_low, id = c->span_id;
    int result;
    if ((high | low) == 0 || id == 0) {
        result = -EINVAL;
    } else {
        uint8_t trace[16], span[8];
        const uint64_t high_be = __builtin_bswap64(high), low_be = __builtin_bswap64(low),
                       id_be = __builtin_bswap64(id); /* the ABI's byte order: big-endian, as the hex form */
        memcpy(trace, &high_be, 8);
        memcpy(trace + 8, &low_be, 8);
        memcpy(span, &id_be, 8);
        result = weft_attach_locked(t, trace, span, (uint8_t)c->trace_flags, false);
    }
    c->result = result;
    weft_signal_fence(); /* the result before the gen it answers */
    *(volatile uint32_t *)&c->done_gen = gen;
    if (result >= 0) {
        t->cell_attached = 1;
        t->cell_token = result;
        t->cell_token_gen = gen;
    }
}

void *weft_jvm_cell(void) {
    return &weft_self()->jvm_cell;
}
