/*
 * process_ctx.h - the OpenTelemetry process context (OTEP 4719): the Resource of this process in
 * a mapping named OTEL_CTX that out-of-process readers (profilers) find in /proc/<pid>/maps.
 * Internal to libweft; not installed.
 */
#ifndef WEFT_PROCESS_CTX_H
#define WEFT_PROCESS_CTX_H

#include "weft_internal.h"

/** OTEP 4719 header, at the start of the OTEL_CTX mapping (the payload follows it). */
typedef struct weft_process_ctx_header {
    char signature[8];                  /*  0 "OTEL_CTX", not NUL-terminated */
    uint32_t version;                   /*  8 2 */
    uint32_t payload_size;              /* 12 bytes of the ProcessContext protobuf */
    uint64_t monotonic_published_at_ns; /* 16 CLOCK_BOOTTIME; 0 while being written */
    uint64_t payload;                   /* 24 address of the payload in this process */
} weft_process_ctx_header_t;            /* 32 */

_Static_assert(offsetof(weft_process_ctx_header_t, signature) == 0, "OTEP 4719 signature");
_Static_assert(offsetof(weft_process_ctx_header_t, version) == 8, "OTEP 4719 version");
_Static_assert(offsetof(weft_process_ctx_header_t, payload_size) == 12, "OTEP 4719 payload_size");
_Static_assert(offsetof(weft_process_ctx_header_t, monotonic_published_at_ns) == 16, "OTEP 4719 published_at");
_Static_assert(offsetof(weft_process_ctx_header_t, payload) == 24, "OTEP 4719 payload");
_Static_assert(sizeof(weft_process_ctx_header_t) == 32, "OTEP 4719 header size");

#define WEFT_PROCESS_CTX_VERSION 2u
/** The largest payload (the eBPF profiler reads at most 64 KiB). */
#define WEFT_PROCESS_CTX_MAX_PAYLOAD 65536u
/** OTEP 4947's threadlocal.schema_version for the TLS record Weft writes. */
#define WEFT_THREADLOCAL_SCHEMA_VERSION "tlsdesc_v1_dev"

/**
 * Publishes (or updates) the process context with the native side's Resource (OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, process.*, telemetry.sdk.*), unless a runtime set its own with
 * weft_process_context_set_resource. Called by weft_start. Never fails the start: a failure is
 * logged once.
 */
WEFT_HIDDEN void weft_process_ctx_on_start(void);
/** Publishes the process context again if it is published (an update), e.g. once Weft yielded its thread context. */
WEFT_HIDDEN void weft_process_ctx_republish(void);
/** Removes the mapping (the last weft_shutdown); a resource set by a runtime is kept for a later start. */
WEFT_HIDDEN void weft_process_ctx_on_shutdown(void);
/** Fork child: the mapping was not inherited (MADV_DONTFORK); forget it and the parent's resource. */
WEFT_HIDDEN void weft_process_ctx_on_fork_child(void);

#endif /* WEFT_PROCESS_CTX_H */
