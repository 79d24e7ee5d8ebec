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
 * other object defined otel_thread_ctx_v1 when this was first asked (then Weft yields to it,
 * logs once on stderr, and weft_otel_get_status says so). Decided once per process image.
 */
WEFT_HIDDEN bool weft_thread_ctx_allowed(void);

/** The reason thread-context publication is off ("" if it is on). */
WEFT_HIDDEN const char *weft_thread_ctx_reason(void);

#endif /* WEFT_OTEL_WRITERS_H */
