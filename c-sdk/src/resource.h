/*
 * resource.h - the creator's Resource as a RESOURCE record (ABI 1.1, docs/shm-abi.md "RESOURCE
 * record"): what the native side knows at init. Written once, before `magic`; never on the
 * recording path. Internal to libweft; not installed.
 */
#ifndef WEFT_RESOURCE_H
#define WEFT_RESOURCE_H

#include "weft_internal.h"

/** What the record is made from; NULL or "" for what is unknown. */
typedef struct weft_resource_inputs {
    const char *service_name;        /* OTEL_SERVICE_NAME */
    const char *resource_attributes; /* OTEL_RESOURCE_ATTRIBUTES: key=value,key=value (W3C baggage style) */
    uint32_t pid;
    const char *executable_name;     /* process.executable.name */
    const char *executable_path;     /* process.executable.path */
    const char *host_name;           /* host.name */
} weft_resource_inputs_t;

/** Storage for the strings weft_resource_inputs_of_process finds. */
typedef struct weft_resource_buffers {
    char executable_path[WEFT_PATH_MAX];
    char host_name[256];
} weft_resource_buffers_t;

/** This process's inputs: the environment, getpid, /proc/self/exe and gethostname. */
WEFT_HIDDEN void weft_resource_inputs_of_process(weft_resource_inputs_t *in, weft_resource_buffers_t *buffers);

/**
 * Encode the RESOURCE record into `out` (8-aligned, `capacity` bytes, at most WEFT_ABI_RESOURCE_MAX are
 * used). Keys are cut to WEFT_MAX_KEY_LENGTH and string values to `max_value_length` (flagged
 * truncated); an attribute that does not fit, and a malformed OTEL_RESOURCE_ATTRIBUTES pair, is left
 * out and counted in dropped_attr_count. The bytes after the record, up to its 8-byte alignment,
 * are zero. @return the record's length (at least WEFT_ABI_RESOURCE_FIXED_SIZE).
 */
WEFT_HIDDEN uint32_t weft_resource_encode(uint8_t *out, uint32_t capacity, const weft_resource_inputs_t *in,
                                          uint16_t max_value_length);

#endif /* WEFT_RESOURCE_H */
