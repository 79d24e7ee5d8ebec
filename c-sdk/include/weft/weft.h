/*
 * weft.h - record OpenTelemetry spans from native code into shared memory.
 *
 * Spans go into a per-thread ring inside a shared-memory segment
 * (docs/shm-abi.md) that the Weft Java collector drains, stitches into the
 * JVM's trace and exports over OTLP. Recording takes no lock, allocates
 * nothing, makes no system call and never blocks: when a ring is full the
 * span is dropped and counted.
 *
 * Threading: every span belongs to the thread that began it; begin, the
 * setters and end must be called on that thread. Spans nest: a span begun
 * while another is open on the same thread is its child, and spans end in
 * reverse order (ending an outer span first ends the inner ones, flagged).
 *
 * Errors: functions that can fail return 0 or a negative errno value, each
 * listed below. Recording functions return nothing: a NULL span handle, a
 * handle of an unsampled span, or a call after weft_shutdown is a cheap no-op.
 *
 * Async-signal-safety: weft_span_begin, the weft_span_set_ setters (but
 * weft_span_set_errno), weft_span_add_event, weft_span_end, weft_span_record
 * and weft_now_unix_nanos may be called from a signal handler. If the handler
 * interrupted this thread inside one of those functions, the handler's span
 * is dropped and counted (dropped_reentrant) rather than corrupting the
 * ring. weft_init, weft_shutdown, weft_config_from_env, the first call on a
 * new thread (which claims a slot, and in a process where weft_init was never
 * called starts Weft), the first WEFT_TRACER of a library, weft_tracer_get and
 * weft_span_set_errno are not async-signal-safe.
 */
#ifndef WEFT_H
#define WEFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define WEFT_API __attribute__((visibility("default")))
#else
#define WEFT_API
#endif

#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 1
#define WEFT_VERSION_PATCH 0

/** A tracer: the instrumentation scope (library name and version) spans are recorded under. */
typedef struct weft_tracer weft_tracer_t;
/** An open span. Valid from weft_span_begin until its weft_span_end. */
typedef struct weft_span weft_span_t;

/** A span context: what a child needs of its parent, and what traceparent carries. */
typedef struct weft_context {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t trace_flags; /* W3C: bit 0 = sampled */
    uint8_t is_remote;   /* 1 if it came from another process */
    uint8_t reserved[6];
} weft_context_t;

#define WEFT_TRACE_FLAG_SAMPLED 0x01u

typedef enum weft_span_kind {
    WEFT_SPAN_KIND_INTERNAL = 1,
    WEFT_SPAN_KIND_SERVER = 2,
    WEFT_SPAN_KIND_CLIENT = 3,
    WEFT_SPAN_KIND_PRODUCER = 4,
    WEFT_SPAN_KIND_CONSUMER = 5,
} weft_span_kind_t;

typedef enum weft_status_code {
    WEFT_STATUS_UNSET = 0,
    WEFT_STATUS_OK = 1,
    WEFT_STATUS_ERROR = 2,
} weft_status_code_t;

typedef enum weft_attr_type {
    WEFT_ATTR_STRING = 1,
    WEFT_ATTR_BOOL = 2,
    WEFT_ATTR_INT64 = 3,
    WEFT_ATTR_DOUBLE = 4,
} weft_attr_type_t;

/** A typed attribute, for events. Strings are NUL-terminated and copied. */
typedef struct weft_attr {
    const char *key;
    weft_attr_type_t type;
    union {
        const char *string;
        bool boolean;
        int64_t int64;
        double float64;
    } value;
} weft_attr_t;

#define WEFT_ATTR_STR(k, v) ((weft_attr_t){.key = (k), .type = WEFT_ATTR_STRING, .value = {.string = (v)}})
#define WEFT_ATTR_BOOL_(k, v) ((weft_attr_t){.key = (k), .type = WEFT_ATTR_BOOL, .value = {.boolean = (v)}})
#define WEFT_ATTR_I64(k, v) ((weft_attr_t){.key = (k), .type = WEFT_ATTR_INT64, .value = {.int64 = (v)}})
#define WEFT_ATTR_F64(k, v) ((weft_attr_t){.key = (k), .type = WEFT_ATTR_DOUBLE, .value = {.float64 = (v)}})

/** Sampler for spans whose parent decision does not apply (OTEL_TRACES_SAMPLER names). */
typedef enum weft_sampler {
    WEFT_SAMPLER_PARENTBASED_ALWAYS_ON = 0, /* default */
    WEFT_SAMPLER_PARENTBASED_ALWAYS_OFF,
    WEFT_SAMPLER_PARENTBASED_TRACEIDRATIO,
    WEFT_SAMPLER_ALWAYS_ON,
    WEFT_SAMPLER_ALWAYS_OFF,
    WEFT_SAMPLER_TRACEIDRATIO,
} weft_sampler_t;

/**
 * Configuration. weft_config_from_env() fills it with the defaults and the
 * environment; weft_init() uses exactly that, weft_init_with_config() what
 * you pass.
 *
 * | variable                | field            | default           |
 * |-------------------------|------------------|-------------------|
 * | WEFT_ENABLED            | enabled          | true              |
 * | WEFT_SHM_DIR            | shm_dir          | /dev/shm          |
 * | WEFT_SHM_NAME           | shm_name         | weft-<pid>        |
 * | WEFT_RING_SIZE          | ring_size        | 1 MiB if shm_dir has room for twice the segment, else 256 KiB (k/m ok) |
 * | WEFT_MAX_THREADS        | max_threads      | 64                |
 * | WEFT_SEGMENT_SIZE       | (sets max_threads to what fits) | - |
 * | WEFT_STACK_DEPTH        | stack_depth      | 16                |
 * | WEFT_FRAME_SIZE         | frame_size       | 2048              |
 * | WEFT_MAX_VALUE_LENGTH   | max_value_length | 1024              |
 * | WEFT_OTEL_THREAD_CTX    | otel_thread_ctx  | true              |
 * | WEFT_CLOCK              | (read at init)   | auto (tsc, monotonic) |
 * | OTEL_TRACES_SAMPLER     | sampler          | parentbased_always_on |
 * | OTEL_TRACES_SAMPLER_ARG | sampler_ratio    | 1.0               |
 * | TRACEPARENT             | parent of root spans (remote)        |
 */
typedef struct weft_config {
    bool enabled;
    bool otel_thread_ctx; /* publish the current span through otel_thread_ctx_v1 (OTEP 4947) */
    char shm_dir[256];
    char shm_name[128];
    uint32_t ring_size;   /* bytes per thread ring, power of two, >= 2 * frame_size */
    uint32_t max_threads; /* slots: threads recording at once */
    uint32_t stack_depth; /* open spans + attached contexts per thread, 1..256 */
    uint32_t frame_size;  /* largest span record, a power of two in 512..32768 */
    uint16_t max_value_length;
    weft_sampler_t sampler;
    double sampler_ratio;
    bool has_env_parent;
    weft_context_t env_parent; /* from TRACEPARENT */
} weft_config_t;

/**
 * Fill `config` with the defaults overridden by the environment.
 * @return 0, or -EINVAL if a variable is malformed (weft_last_error() says which).
 */
WEFT_API int weft_config_from_env(weft_config_t *config);

/**
 * Initialise Weft for the calling library and get its tracer. The first call
 * creates the segment; later calls (by other libraries, or again) share it
 * and are reference-counted. Thread-safe.
 * @param scope_name    instrumentation scope name, e.g. "libcodec" (not NULL)
 * @param scope_version its version, or NULL
 * @param tracer        receives the tracer for this scope
 * @return 0; -EINVAL bad argument or configuration; -ECANCELED disabled by
 *   WEFT_ENABLED=false (tracer is still set and records nothing); -ENOSPC
 *   more than 16 scopes; -EEXIST a live segment of that name exists; -EPERM
 *   an existing file belongs to another user or has loose permissions;
 *   -ELOOP the path is a symbolic link; other negative errno from
 *   open/ftruncate/mmap. weft_last_error() describes the failure.
 */
WEFT_API int weft_init(const char *scope_name, const char *scope_version, weft_tracer_t **tracer);

/**
 * Without weft_init. In a process where weft_init was never called, the first span (or
 * weft_context_attach, which the JVM calls around native calls) on any thread starts Weft from the
 * environment, exactly as weft_init would with weft_config_from_env. Thread-safe: one start,
 * tried at most once per process; a failure is reported once on stderr with the fix (and by
 * weft_get_status) and every span after it records nothing. The runtime started this way holds
 * one reference: weft_init from a library shares it, the first unmatched weft_shutdown ends it.
 *
 *     weft_span_t *span = weft_span_begin(WEFT_TRACER, "decode", WEFT_SPAN_KIND_INTERNAL);
 *     ...
 *     weft_span_end(span);
 */

/**
 * The tracer of an instrumentation scope, without starting anything. Thread-safe; the same name
 * and version give the same tracer. Not async-signal-safe (takes a lock): get it once.
 * @return the tracer, or NULL if scope_name is NULL or empty or more than 16 scopes exist
 *   (reported once on stderr); a NULL tracer records nothing.
 */
WEFT_API weft_tracer_t *weft_tracer_get(const char *scope_name, const char *scope_version);

/**
 * The tracer named after the shared object (or executable) that contains `address`, found with
 * dladdr: its file name without "lib" and ".so*" ("libcodec.so.2" -> scope "codec", version "2").
 */
WEFT_API weft_tracer_t *weft_tracer_for_address(const void *address);

/**
 * The calling library's tracer: named after the shared object this code is linked into
 * (weft_tracer_for_address), or WEFT_SCOPE_NAME / WEFT_SCOPE_VERSION if the library defines them
 * before including weft.h (e.g. -DWEFT_SCOPE_NAME='"codec"'). Resolved once per translation unit;
 * afterwards one load and a predicted branch.
 */
#define WEFT_TRACER weft_tracer_here()

static inline weft_tracer_t *weft_tracer_here(void) {
    static weft_tracer_t *weft_here_tracer; /* one per translation unit, so per shared object */
    static int weft_here_failed;
    weft_tracer_t *t = __atomic_load_n(&weft_here_tracer, __ATOMIC_ACQUIRE);
    if (__builtin_expect(t == NULL, 0) && !__atomic_load_n(&weft_here_failed, __ATOMIC_RELAXED)) {
#ifdef WEFT_SCOPE_NAME
#ifndef WEFT_SCOPE_VERSION
#define WEFT_SCOPE_VERSION NULL
#endif
        t = weft_tracer_get(WEFT_SCOPE_NAME, WEFT_SCOPE_VERSION);
#else
        t = weft_tracer_for_address((const void *)&weft_here_tracer);
#endif
        if (t != NULL) {
            __atomic_store_n(&weft_here_tracer, t, __ATOMIC_RELEASE);
        } else {
            __atomic_store_n(&weft_here_failed, 1, __ATOMIC_RELAXED);
        }
    }
    return t;
}

/** What weft_get_status reports. */
typedef enum weft_state {
    WEFT_STATE_NOT_STARTED = 0, /* no weft_init and no span or attach yet in this process */
    WEFT_STATE_RUNNING = 1,     /* recording into a segment */
    WEFT_STATE_SHUT_DOWN = 2,   /* ran, then the last weft_shutdown */
    WEFT_STATE_FAILED = 3,      /* the start on the first span failed: message says why and the fix */
    WEFT_STATE_DISABLED = 4,    /* the start on the first span found WEFT_ENABLED=false */
} weft_state_t;

typedef struct weft_status {
    uint32_t state;          /* a weft_state_t */
    uint32_t started_lazily; /* 1 if the runtime was started by a first span or attach, not weft_init */
    uint32_t scope_count;    /* instrumentation scopes registered */
    int32_t error;           /* negative errno of the failed start, else 0 */
    char message[1024];      /* its reason and fix, else "" */
} weft_status_t;

/** Whether and how Weft runs in this process. Takes a lock. @return 0, or -EINVAL if out is NULL. */
WEFT_API int weft_get_status(weft_status_t *out);

/**
 * OpenTelemetry contexts for profilers and other out-of-process readers (docs/architecture.md
 * "Profilers"): the process context (OTEP 4719, a mapping named OTEL_CTX holding the Resource) and
 * the thread context (OTEP 4947, the TLS symbol otel_thread_ctx_v1).
 */
typedef struct weft_otel_status {
    uint32_t thread_ctx;               /* 1 if libweft publishes records through otel_thread_ctx_v1 */
    uint32_t process_ctx;              /* 1 if a process context is published now */
    uint32_t process_ctx_from_runtime; /* 1 if its Resource came from weft_process_context_set_resource */
    uint32_t reserved;
    uint64_t process_ctx_address;      /* the OTEL_CTX mapping, 0 if none */
    char thread_ctx_message[1280];      /* why thread_ctx is 0 (and the fix), else "" */
    char process_ctx_message[768];     /* why process_ctx is 0, else "" */
} weft_otel_status_t;

/**
 * What Weft publishes for profilers, and why not. Looks again, first, for another writer of
 * otel_thread_ctx_v1 if a library was loaded or unloaded since the last look (Weft then yields
 * the thread context to it, for good, as it does at start). Takes locks, not async-signal-safe.
 * @return 0, or -EINVAL if out is NULL.
 */
WEFT_API int weft_otel_get_status(weft_otel_status_t *out);

/**
 * Replaces the Resource of the process context (OTEP 4719) with a runtime's own, e.g. the JVM's
 * (the Java SDK calls it when its collector starts): `resource` is an encoded
 * opentelemetry.proto.resource.v1.Resource. Publishes now, whether or not Weft records (the
 * mapping is created if there is none, else updated by the OTEP's updating protocol); kept for
 * later starts; removed with the mapping at the last weft_shutdown. NULL, 0: back to the native
 * Resource. Not async-signal-safe.
 * @return 0; -EINVAL bad arguments or over 64 KiB; -EEXIST another process context is published in
 *   this process (Weft publishes none); -ENOTSUP no memfd and no mapping names; -ENOMEM.
 */
WEFT_API int weft_process_context_set_resource(const uint8_t *resource, size_t size);

/**
 * Publishes `ctx` as this thread's OTEP 4947 record while no native span or attached context is
 * open on it (native spans win while open), in thread-local storage, not in the segment: for a
 * runtime whose current span changes without native code. NULL: none. The record is one per
 * thread, updated in place (valid = 0, the ids, valid = 1); it stays until replaced or the thread
 * exits. Not async-signal-safe with respect to another call of it on the same thread.
 * @return 0; -EINVAL ids all zero; -ECANCELED thread context publication is off
 *   (weft_otel_get_status says why).
 */
WEFT_API int weft_thread_context_publish(const weft_context_t *ctx);

/**
 * The calling thread's runtime record (the one weft_thread_context_publish writes), registered
 * so that otel_thread_ctx_v1 points at it whenever no native frame is open: a runtime may then
 * update it in place itself, by OTEP 4947's valid-flag protocol, on this thread only (the Java
 * SDK writes it through a direct ByteBuffer: no JNI call per context change). Valid until the
 * thread exits. NULL if thread context publication is off. The record is a
 * weft_abi_thread_ctx_t (weft/weft_abi.h): trace id, span id, valid, trace flags, attrs size.
 * Called again once publication is off (see weft_thread_context_switch), it withdraws the
 * calling thread's record: valid = 0, then otel_thread_ctx_v1 cleared if it points at it.
 */
WEFT_API void *weft_thread_context_record(void);

/**
 * The process-wide switch of runtime records: a 32-bit word, 1 while thread context publication
 * is on, set to 0 for good (a release store) when Weft yields to another writer of
 * otel_thread_ctx_v1 loaded after it started. A runtime that writes its record itself (through
 * weft_thread_context_record) reads it at each context change (a plain or relaxed load: no call)
 * and, once it reads 0, stops writing: it sets the record's valid to 0 and calls
 * weft_thread_context_record once more on that thread, which withdraws it. NULL if publication is
 * off already. Valid for the life of the process.
 */
WEFT_API const volatile uint32_t *weft_thread_context_switch(void);

/** weft_init with an explicit configuration (from weft_config_from_env, then adjusted). */
WEFT_API int weft_init_with_config(const weft_config_t *config, const char *scope_name,
                                   const char *scope_version, weft_tracer_t **tracer);

/**
 * Drop one reference taken by weft_init. The last one marks the segment
 * closed and removes its file (a reader that has it mapped still drains it).
 * Threads still recording afterwards record nothing. Spans that are open are
 * not recorded. The mapping stays until the process exits, so a thread that
 * races with shutdown never faults.
 * @return 0, or -EINVAL if Weft was not initialised.
 */
WEFT_API int weft_shutdown(void);

/** Description of the last failure of weft_init or weft_config_from_env ("" if none). */
WEFT_API const char *weft_last_error(void);

/**
 * Copy the segment's path into `buf`.
 * @return its length; -ENOENT not initialised; -ERANGE buf too small.
 */
WEFT_API int weft_segment_path(char *buf, size_t size);

/* ------------------------------------------------------------- spans */

/*
 * Strings: the functions ending in _n take explicit lengths (bytes of UTF-8,
 * no terminating NUL needed) and are the exported ABI, for bindings such as
 * Java's FFM. The functions without _n are static inline wrappers that take
 * NUL-terminated strings: with a string literal, its length is computed at
 * compile time.
 */

/**
 * Begin a span on this thread. Its parent is the innermost open span or
 * attached context of this thread; failing that, TRACEPARENT from the
 * environment; failing that, it is a root span (sampled by the sampler).
 * Names longer than 256 bytes are cut (flagged).
 * In a process where weft_init was never called, the first span starts Weft
 * (see "Without weft_init" above).
 * @return the span, or NULL if it is not recorded at all (Weft disabled or
 *   shut down or its start failed, a NULL tracer, nesting too deep, no slot
 *   free, or re-entered from a signal handler; the last three are counted). An unsampled span is returned
 *   (it has ids and is a parent for its children) but records nothing.
 */
WEFT_API weft_span_t *weft_span_begin_n(weft_tracer_t *tracer, const char *name, size_t name_length,
                                        weft_span_kind_t kind);

/** Begin a span with an explicit parent (NULL parent: a new root). */
WEFT_API weft_span_t *weft_span_begin_with_parent_n(weft_tracer_t *tracer, const char *name, size_t name_length,
                                                    weft_span_kind_t kind, const weft_context_t *parent);

/**
 * Set an attribute. Keys are cut to 128 bytes and string values to
 * max_value_length, at a UTF-8 character boundary (flagged and counted);
 * an attribute that does not fit in what is left of the span's frame is
 * dropped and counted. A later value for the same key replaces the earlier.
 */
WEFT_API void weft_span_set_string_n(weft_span_t *span, const char *key, size_t key_length, const char *value,
                                     size_t value_length);
WEFT_API void weft_span_set_int64_n(weft_span_t *span, const char *key, size_t key_length, int64_t value);
WEFT_API void weft_span_set_double_n(weft_span_t *span, const char *key, size_t key_length, double value);
WEFT_API void weft_span_set_bool_n(weft_span_t *span, const char *key, size_t key_length, bool value);

/** Add an event, now, with `count` attributes (attrs may be NULL when count is 0). */
WEFT_API void weft_span_add_event(weft_span_t *span, const char *name, const weft_attr_t *attrs, size_t count);

/**
 * Set the status. ERROR takes a message (may be NULL); OK is final;
 * UNSET is ignored, as in OpenTelemetry.
 */
WEFT_API void weft_span_set_status(weft_span_t *span, weft_status_code_t code, const char *message);

/** Status ERROR with strerror(errnum) as message and attribute error.type = the errno name (e.g. "ENOENT"). */
WEFT_API void weft_span_set_errno(weft_span_t *span, int errnum);

/** End the span now. Spans begun after it on this thread and still open are ended first (flagged). */
WEFT_API void weft_span_end(weft_span_t *span);

/** End the span at an explicit time (clamped so the span never has a negative duration). */
WEFT_API void weft_span_end_at(weft_span_t *span, uint64_t end_unix_nanos);

/** Whether the span records (sampled and not dropped). */
WEFT_API bool weft_span_is_recording(const weft_span_t *span);

/**
 * The span's context, for a child on another thread or an outgoing traceparent.
 * @return 0, or -EINVAL if span is NULL or not open on this thread.
 */
WEFT_API int weft_span_context(const weft_span_t *span, weft_context_t *out);

/**
 * An attribute with explicit lengths, for weft_span_record_n (32 bytes on LP64; no NUL needed).
 * Build one with WEFT_ATTR_N_STR / _BOOL / _I64 / _F64 (NUL-terminated key and string value,
 * whose lengths a literal gives at compile time), or fill the fields directly from a binding.
 */
typedef struct weft_attr_n {
    const char *key;
    uint32_t key_length; /* bytes of UTF-8 */
    uint32_t type;       /* a weft_attr_type_t; an attribute of another type is skipped and counted dropped */
    union {
        const char *string; /* string_length bytes of UTF-8 (may be NULL if string_length is 0) */
        bool boolean;
        int64_t int64;
        double float64;
    } value;
    size_t string_length; /* WEFT_ATTR_STRING only; ignored for the other types */
} weft_attr_n_t;

#define WEFT_ATTR_N_STR(k, v)                                                                              \
    ((weft_attr_n_t){.key = (k), .key_length = (uint32_t)weft_strlen_or_0(k), .type = WEFT_ATTR_STRING,   \
                     .value = {.string = (v)}, .string_length = weft_strlen_or_0(v)})
#define WEFT_ATTR_N_BOOL(k, v)                                                                             \
    ((weft_attr_n_t){.key = (k), .key_length = (uint32_t)weft_strlen_or_0(k), .type = WEFT_ATTR_BOOL,     \
                     .value = {.boolean = (v)}, .string_length = 0})
#define WEFT_ATTR_N_I64(k, v)                                                                              \
    ((weft_attr_n_t){.key = (k), .key_length = (uint32_t)weft_strlen_or_0(k), .type = WEFT_ATTR_INT64,    \
                     .value = {.int64 = (v)}, .string_length = 0})
#define WEFT_ATTR_N_F64(k, v)                                                                              \
    ((weft_attr_n_t){.key = (k), .key_length = (uint32_t)weft_strlen_or_0(k), .type = WEFT_ATTR_DOUBLE,   \
                     .value = {.float64 = (v)}, .string_length = 0})

/**
 * Record a span that has already finished, in one call: what weft_span_begin_n, a setter per
 * attribute and weft_span_end_at record, written straight into this thread's ring (no frame is
 * pushed, so the span is never the current span and has no children; for a span that needs
 * them, or whose context you need, use begin and end). Its parent is chosen as weft_span_begin's
 * is (innermost open span or attached context of this thread, else TRACEPARENT, else a root
 * sampled by the sampler). start and end are Unix nanoseconds, normally two weft_now_unix_nanos()
 * readings around the work; end is clamped to start. Names, keys and values are cut, and
 * attributes that do not fit in one frame (frame_size) are dropped, as with the setters, and so is
 * one with a NULL key or an unknown type (each counted in the record's dropped_attr_count); attrs
 * may be NULL when attr_count is 0 (NULL with a count records nothing, as a NULL name does).
 * Not recorded, as weft_span_begin_n, when Weft is not running or the span is not sampled;
 * counted when the ring is full (dropped_ring_full), when re-entered from a signal handler
 * (dropped_reentrant), and when the ring has less than a frame of contiguous room left and every
 * frame of the thread is open (dropped_too_deep: the record is then built in a free frame and
 * copied). Async-signal-safe as weft_span_begin.
 */
WEFT_API void weft_span_record_n(weft_tracer_t *tracer, const char *name, size_t name_length, weft_span_kind_t kind,
                                 uint64_t start_unix_nanos, uint64_t end_unix_nanos, const weft_attr_n_t *attrs,
                                 size_t attr_count);

static inline size_t weft_strlen_or_0(const char *s) {
    return s != NULL ? strlen(s) : 0;
}

static inline weft_span_t *weft_span_begin(weft_tracer_t *tracer, const char *name, weft_span_kind_t kind) {
    return name != NULL ? weft_span_begin_n(tracer, name, strlen(name), kind) : NULL;
}

static inline weft_span_t *weft_span_begin_with_parent(weft_tracer_t *tracer, const char *name,
                                                       weft_span_kind_t kind, const weft_context_t *parent) {
    return name != NULL ? weft_span_begin_with_parent_n(tracer, name, strlen(name), kind, parent) : NULL;
}

static inline void weft_span_set_string(weft_span_t *span, const char *key, const char *value) {
    if (key != NULL && value != NULL) {
        weft_span_set_string_n(span, key, strlen(key), value, strlen(value));
    }
}

static inline void weft_span_set_int64(weft_span_t *span, const char *key, int64_t value) {
    weft_span_set_int64_n(span, key, weft_strlen_or_0(key), value);
}

static inline void weft_span_set_double(weft_span_t *span, const char *key, double value) {
    weft_span_set_double_n(span, key, weft_strlen_or_0(key), value);
}

static inline void weft_span_set_bool(weft_span_t *span, const char *key, bool value) {
    weft_span_set_bool_n(span, key, weft_strlen_or_0(key), value);
}

static inline void weft_span_record(weft_tracer_t *tracer, const char *name, weft_span_kind_t kind,
                                    uint64_t start_unix_nanos, uint64_t end_unix_nanos, const weft_attr_n_t *attrs,
                                    size_t attr_count) {
    if (name != NULL) {
        weft_span_record_n(tracer, name, strlen(name), kind, start_unix_nanos, end_unix_nanos, attrs, attr_count);
    }
}

/* ----------------------------------------------------------- context */

/**
 * The context a span begun now on this thread would have as parent
 * (innermost open span or attached context, else TRACEPARENT).
 * @return 0, or -ENOENT if there is none.
 */
WEFT_API int weft_current_context(weft_context_t *out);

/**
 * Make `ctx` the parent of spans begun next on this thread, until
 * weft_context_detach(token). Used by the JVM before a native call and by
 * worker threads adopting a context captured on another thread. Nests; the
 * same context attached again while it is innermost is shared, not copied.
 * In a process where weft_init was never called, the first attach starts Weft
 * (see "Without weft_init" above).
 * @return a token >= 0; -EINVAL ctx NULL or invalid ids; -ENOSPC nesting too
 *   deep; -EAGAIN no slot free; -ECANCELED Weft is not running (shut down,
 *   disabled, or its start on the first span or attach failed).
 */
WEFT_API int weft_context_attach(const weft_context_t *ctx);

/**
 * weft_context_attach with the ids as integers, the form the JVM has them in: the trace id as its
 * high and low 64 bits (the first and last 16 hex digits), the span id as one (its 16 hex
 * digits), not remote. Attaching the context that is already the innermost one on this thread
 * (same ids and flags) pushes nothing: the token shares it, and its detach only ends the spans
 * left open above it. Same results as weft_context_attach.
 */
WEFT_API int weft_context_attach_ids(uint64_t trace_id_high, uint64_t trace_id_low, uint64_t span_id,
                                     uint32_t trace_flags);

/**
 * Undo the weft_context_attach that returned `token`. Spans still open above
 * it are ended first (flagged ended-by-unwind), so the stack stays consistent
 * even when an exception skipped their ends.
 * @return 0, or -EINVAL if token does not name an attached context of this thread.
 */
WEFT_API int weft_context_detach(int token);

/** Length of a traceparent string, without the terminating NUL. */
#define WEFT_TRACEPARENT_LENGTH 55

/**
 * Format "00-<trace id>-<span id>-<flags>" into buf (NUL-terminated).
 * @return WEFT_TRACEPARENT_LENGTH; -EINVAL bad ctx; -ERANGE size < 56.
 */
WEFT_API int weft_traceparent_format(const weft_context_t *ctx, char *buf, size_t size);

/**
 * Parse a W3C traceparent (version 00, or a later version with the same
 * first four fields). Lower-case hex only; all-zero ids are invalid.
 * The result has is_remote = 1.
 * @return 0, or -EINVAL if malformed (out is then zeroed).
 */
WEFT_API int weft_traceparent_parse(const char *text, size_t length, weft_context_t *out);

/* -------------------------------------------------------------- misc */

/**
 * Wall-clock time in Unix nanoseconds, as span timestamps are taken: a monotonic clock anchored at
 * init (never steps back); CLOCK_REALTIME itself before the first init.
 */
WEFT_API uint64_t weft_now_unix_nanos(void);

/**
 * Where timestamps come from: "tsc" (the invariant TSC, calibrated against CLOCK_MONOTONIC),
 * "monotonic" (clock_gettime through the vDSO), or "realtime" before the first init. Chosen at
 * init; WEFT_CLOCK=auto (default), tsc or monotonic.
 */
WEFT_API const char *weft_clock_source(void);

/** Why the TSC is not used (empty while it is): e.g. the kernel's clocksource is not tsc. */
WEFT_API const char *weft_clock_source_reason(void);

/** Counters summed over all slots of the current segment. */
typedef struct weft_stats {
    uint64_t spans_committed;
    uint64_t dropped_ring_full;
    uint64_t dropped_reentrant;
    uint64_t dropped_too_deep;
    uint64_t dropped_no_slot;
    uint32_t slots_active;
    uint32_t slot_count;
} weft_stats_t;

/** @return 0, or -ENOENT if not initialised. */
WEFT_API int weft_get_stats(weft_stats_t *out);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_H */
