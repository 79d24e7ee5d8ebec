/*
 * otel_writers.h - other writers of the OpenTelemetry contexts in this process: another object
 * that defines otel_thread_ctx_v1 (OTEP 4947), another OTEL_CTX mapping (OTEP 4719).
 * Internal to libweft; not installed.
 */
#ifndef WEFT_OTEL_WRITERS_H
#define WEFT_OTEL_WRITERS_H

#include "weft_internal.h"

/**
 * Looks through every loaded object's dynamic symbols (dl_iterate_phdr, DT_GNU_HASH/DT_HASH) for
 * a definition of the TLS symbol otel_thread_ctx_v1 other than libweft's own.
 * @param who receives the other object's path (or "the main program"), "" if none
 * @param interposed set if libweft's own accesses resolve to that other definition (symbol
 *   interposition: it was found first in the global scope)
 * @return true if there is another definition
 */
WEFT_HIDDEN bool weft_find_other_thread_ctx(char *who, size_t who_size, bool *interposed);

/**
 * Looks through /proc/self/maps for an OTEP 4719 mapping ([anon_shmem:OTEL_CTX], [anon:OTEL_CTX],
 * /memfd:OTEL_CTX) that does not start at `ours` (NULL: Weft has none).
 * @param where receives the mapping's line, "" if none
 */
WEFT_HIDDEN bool weft_find_other_process_ctx(const void *ours, char *where, size_t where_size);

/**
 * Whether libweft publishes OTEP 4947 records at all: WEFT_OTEL_THREAD_CTX is not false and no
 * other object defined otel_thread_ctx_v1 when this was first asked, nor since then as far as
 * weft_otel_writers_recheck has seen (then Weft yields to it, logs once on stderr, and
 * weft_otel_get_status says so). Once off, off for the life of the process image.
 */
WEFT_HIDDEN bool weft_thread_ctx_allowed(void);

/** Copies the reason thread-context publication is off ("" if it is on) into out. */
WEFT_HIDDEN void weft_thread_ctx_reason(char *out, size_t out_size);

/**
 * Slow path: if the dynamic loader has added or removed objects since the last look
 * (dl_iterate_phdr's dlpi_adds/dlpi_subs), looks again for another definition of
 * otel_thread_ctx_v1; if there is one now, Weft yields as it does at start (for good): the running
 * runtime stops publishing (each thread withdraws its pointer at its next span or context change),
 * the process context is republished without the threadlocal.* keys, one line on stderr, and
 * weft_otel_get_status says why. Takes a lock and the loader's lock: never on the hot path, never
 * in a signal handler.
 */
WEFT_HIDDEN void weft_otel_writers_recheck(void);

#endif /* WEFT_OTEL_WRITERS_H */
