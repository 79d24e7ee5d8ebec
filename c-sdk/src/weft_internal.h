/*
 * weft_internal.h - state shared by the C SDK's source files. Not installed.
 */
#ifndef WEFT_INTERNAL_H
#define WEFT_INTERNAL_H

#include "weft/weft.h"
#include "weft/weft_abi.h"
#include "weft_atomic.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define WEFT_HIDDEN __attribute__((visibility("hidden")))
#define WEFT_LIKELY(x) __builtin_expect(!!(x), 1)
#define WEFT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define WEFT_INLINE static inline __attribute__((always_inline))
/**
 * The recording entry points start on a 64-byte boundary (a cache line): their machine code then
 * sits the same way within its cache lines in every build, whatever else in libweft changes size.
 * Measured: the same sources built with -falign-functions=64 instead of the default 16 moved a
 * begin + 2 attributes + end span by up to 9 %; the functions' absolute addresses still move with
 * the code around them, worth about 5 % either way (docs/benchmarks.md, "A begin/end span at its
 * floor").
 */
#define WEFT_HOT __attribute__((aligned(64)))
/** The out-of-line rest of a recording entry point: kept away from the hot code. */
#define WEFT_COLD __attribute__((noinline, cold))

#define WEFT_MAX_NAME_LENGTH 256u
#define WEFT_MAX_KEY_LENGTH 128u
#define WEFT_MIN_FRAME_SIZE 512u
#define WEFT_MAX_FRAME_SIZE 32768u
#define WEFT_MAX_STACK_DEPTH 256u
#define WEFT_PATH_MAX 4096
/** The default ring sizes: the large one where the segment's file system has room for it (init.c). */
#define WEFT_DEFAULT_RING_SIZE_SMALL (256u * 1024u)
#define WEFT_DEFAULT_RING_SIZE_LARGE (1024u * 1024u)
/** Bytes before slot 0: the header page and the Resource record's page (ABI 1.1). */
#define WEFT_HEADER_AREA WEFT_ABI_HEADER_SIZE_V1_1

/** A slot's bytes in a segment: its header, frames and ring, rounded up to 4 KiB pages. */
static inline uint64_t weft_slot_stride_for(uint32_t stack_depth, uint32_t frame_size, uint64_t ring_size) {
    return ((uint64_t)WEFT_ABI_SLOT_HEADER_SIZE + (uint64_t)stack_depth * frame_size + ring_size + 4095u) &
           ~(uint64_t)4095u;
}

/** What a slot's pages are in `weft_segment.reserved` (process memory, not the ABI). */
enum { WEFT_SLOT_UNRESERVED = 0, WEFT_SLOT_RESERVING = 1, WEFT_SLOT_RESERVED = 2 };

/**
 * A mapped segment. Its fields are fixed after weft_segment_create returns, but for the atomics: which
 * slots' pages are reserved (weft_segment_reserve_slot), the count of threads reserving now, and the
 * descriptor, which shutdown closes once no thread is reserving (-1 then).
 */
typedef struct weft_segment {
    uint8_t *base;
    size_t size;
    weft_abi_header_t *header;
    uint32_t slot_count;
    uint64_t slot_stride;
    uint32_t stack_depth;
    uint32_t frame_size;
    uint32_t ring_capacity;
    _Atomic int fd;                 /* the segment file, kept open to reserve slots' pages (O_CLOEXEC) */
    _Atomic uint32_t reservers;     /* threads inside weft_segment_reserve_slot */
    _Atomic uint8_t *reserved;      /* slot_count entries: WEFT_SLOT_UNRESERVED / RESERVING / RESERVED */
    char path[WEFT_PATH_MAX];
} weft_segment_t;

/**
 * Everything a recording thread needs, fixed for the life of one
 * initialisation (an "epoch"). Allocated at init and never freed, so a thread
 * still holding it after shutdown reads valid memory.
 */
typedef struct weft_runtime {
    weft_segment_t segment;
    uint16_t max_value_length;
    _Atomic bool otel_thread_ctx; /* off for good when a writer loaded later is found (otel_writers.c) */
    weft_sampler_t sampler;
    uint8_t sample_root;  /* the sampler's decision for a root span: WEFT_SAMPLE_* (sampling.h) */
    uint8_t sample_child; /* ... and for a child */
    int64_t ratio_bound; /* sample a root if |trace id low 64 bits| < ratio_bound */
    bool has_env_parent;
    weft_context_t env_parent;            /* TRACEPARENT, as given */
    weft_abi_thread_ctx_t env_parent_ctx; /* the same, in the layout frames use */
    struct weft_runtime *retired_next; /* runtimes of earlier epochs, kept for threads that still hold them */
} weft_runtime_t;

struct weft_tracer {
    uint16_t scope_index;
    uint16_t name_length;
    uint16_t version_length;
    char name[WEFT_ABI_SCOPE_NAME_MAX];
    char version[WEFT_ABI_SCOPE_VERSION_MAX];
};

/** Process-wide state. `epoch` changes on every init, last shutdown and fork. */
typedef struct weft_global {
    _Atomic uint32_t epoch;
    _Atomic(const weft_runtime_t *) runtime; /* NULL when not running */
    int64_t clock_offset_nanos;             /* CLOCK_REALTIME - CLOCK_MONOTONIC at init */
} weft_global_t;

extern WEFT_HIDDEN weft_global_t weft_global;

/* segment.c */
WEFT_HIDDEN int weft_segment_create(weft_segment_t *segment, const weft_config_t *config, char *error, size_t error_size);
/** fallocate [offset, offset + length) of the segment file; 0 or -errno. */
WEFT_HIDDEN int weft_reserve_range(int fd, uint64_t offset, uint64_t length);
/** The stderr line for a failed slot reservation (printed once per process by the caller). */
WEFT_HIDDEN void weft_segment_report_reserve_failure(const weft_segment_t *segment, int error);
/** Close the segment's descriptor once no thread reserves through it (shutdown); fork child: at once. */
WEFT_HIDDEN void weft_segment_close_fd(weft_segment_t *segment, bool wait_for_reservers);
WEFT_HIDDEN void weft_segment_publish_scope(weft_segment_t *segment, const struct weft_tracer *tracer);
/** Fence, mark CLOSED, and unlink unless a running collector holds the lease. @return whether it unlinked. */
WEFT_HIDDEN bool weft_segment_close(weft_segment_t *segment);
/** Whether the collector named by a `lease_owner` word (start ticks low 32 bits << 32 | pid) still runs. */
WEFT_HIDDEN bool weft_lease_holder_running(uint64_t lease_owner);
WEFT_HIDDEN int weft_read_start_ticks(int pid, uint64_t *ticks);
WEFT_HIDDEN int weft_read_boot_id(uint8_t out[16]);
/** Whether the process that made a segment (pid, start time, boot) still runs. */
WEFT_HIDDEN bool weft_creator_running(const weft_abi_header_t *header);

/* slot_reserve.c */
/**
 * Reserve the pages of slot `index` (header, frames and ring) in the file system before anything touches
 * them, so that a full tmpfs fails here with an error instead of a SIGBUS at the first write. A cold
 * path: once per slot per process, from the first claim of `rt`'s segment; a reserved slot returns at
 * once. @return 0, -EBUSY while another thread reserves it, -ESHUTDOWN if the segment is no longer the
 * running one, or the reservation's -errno (-ENOSPC: the file system is full).
 */
WEFT_HIDDEN int weft_segment_reserve_slot(const struct weft_runtime *rt, uint32_t index);

/* reader.c */
/** Sums the native counters of every slot of a mapped segment. */
WEFT_HIDDEN void weft_sum_counters(const uint8_t *base, const weft_abi_header_t *header, uint32_t slot_count,
                                   uint64_t slot_stride, weft_stats_t *out);

/* init.c: how Weft started in this process image */
typedef enum weft_origin {
    WEFT_ORIGIN_NONE = 0, /* never started: the first span or attach starts it (lazy_init.c) */
    WEFT_ORIGIN_INIT,     /* weft_init */
    WEFT_ORIGIN_LAZY,     /* a first span or attach, from the environment */
    WEFT_ORIGIN_FAILED,   /* the lazy start failed (reported once; not retried) */
    WEFT_ORIGIN_DISABLED, /* the lazy start found WEFT_ENABLED=false */
} weft_origin_t;

/** Registers (or finds) a scope without starting anything. NULL: bad name or WEFT_ABI_MAX_SCOPES reached. */
WEFT_HIDDEN weft_tracer_t *weft_scope_register(const char *scope_name, const char *scope_version);
/**
 * Starts Weft from the environment unless it already started (or tried) in this process image.
 * @return 0 running; -ECANCELED disabled or a previous attempt failed; else the start's error,
 *   whose reason is copied into `message`.
 */
WEFT_HIDDEN int weft_start_lazily(char *message, size_t message_size);
/** Replaces the reason weft_get_status reports for a failed lazy start. */
WEFT_HIDDEN void weft_set_start_message(const char *message);

#ifdef WEFT_TESTING
extern void (*weft_testing_under_init_lock)(void);
#endif

/* lazy_init.c */
/** The slow path of a thread's first call when Weft is not running: start it once. @return whether it runs now. */
WEFT_HIDDEN bool weft_lazy_start(void);

/* thread.c */
WEFT_HIDDEN void weft_threads_on_fork_child(void);

/* util */
WEFT_INLINE uint32_t weft_align8(uint32_t n) {
    return (n + 7u) & ~7u;
}

WEFT_INLINE uint64_t weft_load_be64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v); /* the ABI is little-endian only (weft_abi.h) */
}

/** Whether an 8- or 16-byte id is all zero (n is 8 or 16). */
WEFT_INLINE bool weft_is_zero(const uint8_t *p, size_t n) {
    uint64_t a, b = 0;
    memcpy(&a, p, 8);
    if (n == 16) {
        memcpy(&b, p + 8, 8);
    }
    return (a | b) == 0;
}

/** Length of the longest prefix of s[0..n) not longer than max that does not split a UTF-8 character. */
WEFT_INLINE size_t weft_utf8_cut(const char *s, size_t n, size_t max) {
    if (WEFT_LIKELY(n <= max)) { /* the common case: laid out straight, the cut out of line */
        return n;
    }
    size_t cut = max;
    /* s[cut] is the first byte left out: while it continues a character, leave out its start too. */
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0u) == 0x80u) {
        cut--;
    }
    return cut;
}

#endif /* WEFT_INTERNAL_H */
