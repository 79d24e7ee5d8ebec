/*
 * weft_reader.h - the C reference reader of a weft segment.
 *
 * Used by the C tests, the stress test's consumer and the weft-dump tool;
 * the Java collector implements the same rules (docs/shm-abi.md). The
 * segment is untrusted: every length and offset is checked before use, a
 * record that fails validation is skipped and counted, and no loop depends
 * on a value read from the segment to terminate.
 *
 * One reader per segment at a time (it owns every slot's `head` and, in 1.1,
 * `read_position`). A reader opened with weft_reader_open_snapshot or
 * weft_reader_open_memory never writes the file: inspection tools use those.
 */
#ifndef WEFT_READER_H
#define WEFT_READER_H

#include "weft/weft.h"
#include "weft/weft_abi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A decoded, validated span record; points into the reader's copy, valid during the callback. */
typedef struct weft_span_view {
    uint32_t slot;
    uint32_t frame_index; /* open spans: the frame (nesting level) it was found in; 0 for ring records */
    const weft_abi_span_t *fixed; /* the 80-byte fixed part */
    const char *name;
    uint16_t name_length;
    const char *status_message; /* NULL if none */
    uint16_t status_message_length;
    const uint8_t *items; /* the items after the name, for weft_item_next */
    size_t items_length;
    /* 1.1, open spans only (0 for ring records): the slot's last activity, the post-mortem end time of a span
     * left open by a dead writer: max(slot last_end_unix_nanos, the latest start or event time in its frames) */
    uint64_t last_activity_unix_nanos;
} weft_span_view_t;

/** One item of a span record. */
typedef struct weft_item_view {
    uint8_t tag;   /* enum weft_abi_item_tag */
    uint8_t flags; /* enum weft_abi_item_flags */
    bool in_event; /* an attribute of the preceding event */
    const char *key; /* attributes: key; events: name; status message: the message */
    uint16_t key_length;
    const char *string_value;
    size_t string_length;
    bool bool_value;
    int64_t int64_value;
    double double_value;
    uint64_t event_time_unix_nanos;
    uint16_t event_attr_count;
    uint16_t event_dropped_attr_count;
} weft_item_view_t;

typedef struct weft_reader_counters {
    uint64_t spans_read;
    uint64_t corrupt_records; /* records (or rings) rejected by validation */
    uint64_t unknown_records; /* records of a type this reader does not know, skipped */
    uint64_t corrupt_resource; /* 1.1: 1 if the segment's RESOURCE record failed validation (not used) */
} weft_reader_counters_t;

/** 1.1: a validated RESOURCE record (the creator's Resource); points into the reader. */
typedef struct weft_resource_view {
    uint16_t attr_count;
    uint16_t dropped_attr_count;
    const uint8_t *items; /* attribute items, for weft_resource_item_next */
    size_t items_length;
} weft_resource_view_t;

typedef struct weft_reader {
    uint8_t *base;
    size_t size;
    const weft_abi_header_t *header;
    uint32_t slot_count;
    uint32_t slot_header_size;
    uint64_t slots_offset;
    uint64_t slot_stride;
    uint32_t stack_depth;
    uint32_t frame_size;
    uint32_t ring_capacity;
    weft_reader_counters_t counters;
    uint32_t storage; /* how `base` is held: mapped, a private copy, or the caller's buffer */
    int32_t resource_rc;      /* 1.1: 0 valid, -ENOENT none, -EBADMSG invalid (see weft_reader_resource) */
    uint32_t resource_length; /* bytes of `resource` */
    uint64_t resource[4096 / 8]; /* a private copy of the RESOURCE record, validated at open */
    uint64_t record[WEFT_ABI_RECORD_ALIGNMENT * 4096 / 8]; /* 32 KiB, the largest record, 8-aligned */
} weft_reader_t;

typedef void (*weft_span_handler_t)(const weft_span_view_t *span, void *clientd);

/**
 * Map and validate a segment (read-write: the reader advances `head`), for a
 * live consumer of a segment it trusts not to shrink: like any shared
 * mapping, a file truncated under it raises SIGBUS on the next access. Input
 * that may be hostile, or a post-mortem look, goes through
 * weft_reader_open_snapshot instead.
 * @return 0; -EBADMSG not a weft segment or inconsistent header; -EPROTO
 *   unknown major version; -EPERM not a regular file owned by us with mode
 *   0600, or creator_uid not ours; other negative errno from open/mmap.
 *   `error` says what was wrong.
 */
WEFT_API int weft_reader_open(weft_reader_t *reader, const char *path, char *error, size_t error_size);

/**
 * Read a segment into a private copy (pread, never mapped) and validate it
 * as weft_reader_open does. Whatever happens to the file afterwards cannot
 * reach the reader: truncating it while it is read gives -ESTALE, never a
 * signal. Draining advances `head` in the copy only: the file is never
 * written, so it is safe beside an attached collector.
 * @return as weft_reader_open; -ESTALE if the file shrank while it was read;
 *   -ENOMEM if it does not fit in memory.
 */
WEFT_API int weft_reader_open_snapshot(weft_reader_t *reader, const char *path, char *error, size_t error_size);

/**
 * Validate a segment held in the caller's memory (8-aligned, `size` bytes,
 * read-write: draining advances `head` in it), with the same header rules;
 * the buffer must outlive the reader. For fuzzing and for bytes that did not
 * come from a file. @return as weft_reader_open, or -EINVAL if misaligned.
 */
WEFT_API int weft_reader_open_memory(weft_reader_t *reader, void *segment, size_t size, char *error,
                                     size_t error_size);
WEFT_API void weft_reader_close(weft_reader_t *reader);

/** Drain every ring once. @return the number of spans delivered to `handler`. */
WEFT_API size_t weft_reader_drain(weft_reader_t *reader, weft_span_handler_t handler, void *clientd);

/** Visit the spans open in the frames (exact after the writer died). @return the number visited. */
WEFT_API size_t weft_reader_open_spans(weft_reader_t *reader, weft_span_handler_t handler, void *clientd);

/** Sum of the native counters over all slots. */
WEFT_API void weft_reader_native_stats(const weft_reader_t *reader, weft_stats_t *out);

/**
 * Validate one span record of `length` bytes (8-aligned copy) against
 * docs/shm-abi.md. @return 0 and fills `out`, or -EBADMSG.
 */
WEFT_API int weft_span_validate(const uint8_t *record, size_t length, uint32_t scope_count, weft_span_view_t *out);

/** Position in a span's items; start from {0}. */
typedef struct weft_item_cursor {
    size_t offset;
    uint32_t event_attrs_left;
} weft_item_cursor_t;

/**
 * Step through a validated span's items.
 * @return 1 and fills `out`, 0 at the end.
 */
WEFT_API int weft_item_next(const weft_span_view_t *span, weft_item_cursor_t *cursor, weft_item_view_t *out);

/** Whether the creator of a segment is still running (pid, start time and boot id match). */
WEFT_API bool weft_reader_creator_alive(const weft_reader_t *reader);

/* ------------------------------------------------------------------ 1.1 */

/**
 * The creator's Resource (the RESOURCE record), validated when the segment was opened.
 * @return 0 and fills `out`; -ENOENT if the segment has none (a 1.0 writer: resource_offset and
 *   resource_length 0); -EBADMSG if it failed validation (then counters.corrupt_resource is 1 and no
 *   Resource from the segment may be used).
 */
WEFT_API int weft_reader_resource(const weft_reader_t *reader, weft_resource_view_t *out);

/** Validate a RESOURCE record of `length` bytes (an 8-aligned copy). @return 0 and fills `out`, or -EBADMSG. */
WEFT_API int weft_resource_validate(const uint8_t *record, size_t length, weft_resource_view_t *out);

/** Step through a validated Resource's attributes; start from {0}. @return 1 and fills `out`, 0 at the end. */
WEFT_API int weft_resource_item_next(const weft_resource_view_t *resource, weft_item_cursor_t *cursor,
                                     weft_item_view_t *out);

/** 1.1 words of the segment header, as they are now (a collector and the writer change them). */
typedef struct weft_segment_status {
    uint16_t version_minor;
    uint32_t state;                      /* enum weft_abi_segment_state; other values are possible */
    uint64_t lease_owner;                /* 0 = no collector */
    uint32_t lease_pid;                  /* lease_owner's low 32 bits */
    uint32_t lease_start_ticks_low;      /* its high 32 bits: the holder's start ticks, low 32 bits */
    uint64_t lease_heartbeat_unix_nanos;
    bool lease_holder_running;           /* that pid runs with those start ticks */
    uint32_t fence;                      /* enum weft_abi_fence */
    uint64_t dropped_shutdown;           /* over every slot */
    /* over every slot: bytes in [head, read_position) a collector read and handed to an exporter
     * without an acknowledgement; the next collector exports them again (possibly duplicated) */
    uint64_t unacknowledged_bytes;
    uint32_t bad_read_positions;         /* slots whose read_position is neither 0 nor in [head, tail]: ignored */
} weft_segment_status_t;

WEFT_API void weft_reader_status(const weft_reader_t *reader, weft_segment_status_t *out);

/** One slot's header, as it is now. */
typedef struct weft_slot_status {
    uint32_t state;      /* enum weft_abi_slot_state */
    uint32_t generation;
    uint32_t tid;
    uint32_t depth;
    uint64_t head;
    uint64_t read_position;
    uint64_t tail;
    bool read_position_valid; /* head <= read_position <= tail; a 1.0 consumer leaves it 0 (nothing published) */
    uint64_t spans_committed;
    uint64_t dropped_ring_full;
    uint64_t dropped_reentrant;
    uint64_t dropped_too_deep;
    uint64_t dropped_shutdown;
    uint64_t last_end_unix_nanos;
} weft_slot_status_t;

/** @return 0, or -EINVAL if `slot` is not below slot_count. */
WEFT_API int weft_reader_slot_status(const weft_reader_t *reader, uint32_t slot, weft_slot_status_t *out);

/** Whether the collector named by a lease_owner word ((start ticks & 0xffffffff) << 32 | pid) runs. */
WEFT_API bool weft_lease_owner_running(uint64_t lease_owner);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_READER_H */
