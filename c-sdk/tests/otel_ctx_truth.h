/*
 * otel_ctx_truth.h - the "truth" file shared by the out-of-process reader test
 * (otel_ctx_reader.c) and the processes it samples (otel_ctx_target.c, and the JVM's
 * ThreadContextReaderTarget): each sampled thread says in it, with stores ordered around its
 * calls, which span is open, so that a reader that has stopped the thread can check what
 * otel_thread_ctx_v1 names. The target maps the file MAP_SHARED; the reader reads the same
 * pages with pread while the thread is stopped.
 *
 * Layout (little-endian numbers; ids in W3C byte order, as in the OTEP 4947 record):
 *   header  0: u32 magic "WTRU" (0x55525457) once every slot is written; 4: u32 thread count
 *   slot i at 64 + 64 * i: 0 u32 tid; 4 u32 state; 8 cur[24] (trace id, span id); 32 alt[24]
 *
 * state IDLE: there must be no record; OPEN: the record must name `cur` exactly; MOVING (inside an
 *   end, attach, detach or a context change, whose ids are known before the call): `cur`, `alt` or
 *   none; BEGINNING (inside weft_span_begin, whose span id is made inside it, until the truth has
 *   it): also a valid record with non-zero ids that the truth cannot know yet ("unverified").
 * The writer changes `cur` and `alt` only while the state is MOVING or BEGINNING.
 */
#ifndef WEFT_OTEL_CTX_TRUTH_H
#define WEFT_OTEL_CTX_TRUTH_H

#include <stdint.h>

#define WEFT_TRUTH_MAGIC 0x55525457u
#define WEFT_TRUTH_HEADER 64u
#define WEFT_TRUTH_SLOT 64u
#define WEFT_TRUTH_MAX_THREADS 64u

enum weft_truth_state { WEFT_TRUTH_IDLE = 0, WEFT_TRUTH_OPEN = 1, WEFT_TRUTH_MOVING = 2, WEFT_TRUTH_BEGINNING = 3 };

typedef struct weft_truth_slot {
    uint32_t tid;
    uint32_t state;
    uint8_t cur[24];
    uint8_t alt[24];
    uint8_t pad[8];
} weft_truth_slot_t;

_Static_assert(sizeof(weft_truth_slot_t) == WEFT_TRUTH_SLOT, "truth slot size");

#endif /* WEFT_OTEL_CTX_TRUTH_H */
