/*
 * weft_abi.h - the shared-memory segment layout (ABI version 1.1).
 *
 * This header describes bytes, not behaviour: every structure that lives in
 * the segment, with its offsets pinned by static assertions. docs/shm-abi.md
 * is the prose version of the same layout and the two change together.
 *
 * Rules (see docs/shm-abi.md for the full specification):
 *  - little-endian, fixed-width fields, no implicit padding, no pointers:
 *    links are byte offsets from the start of the segment or slot;
 *  - fields are only ever appended (a reader uses the size fields it finds
 *    in the header and records to skip what it does not know);
 *  - words shared between a writer and a reader are _Atomic in the C SDK;
 *    their memory order is stated next to each of them.
 *
 * Version 1.1 appends (docs/shm-abi.md, "Version 1.1"): the collector lease,
 * the shutdown fence, the creator's Resource record, the RECOVERED segment
 * state, and per slot `dropped_shutdown`, `last_end_unix_nanos` and the
 * consumer's `read_position`. A 1.0 reader ignores all of them.
 */
#ifndef WEFT_ABI_H
#define WEFT_ABI_H

#include <stdint.h>

#if defined(__cplusplus)
#define WEFT_ABI_ATOMIC(t) t /* C++ includes this header for the constants only */
#else
#include <stdatomic.h>
#define WEFT_ABI_ATOMIC(t) _Atomic t
#endif

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the weft segment ABI is little-endian; big-endian hosts are not supported"
#endif

/* ---------------------------------------------------------------- header */

/** "WEFTSHM" followed by a zero byte, read as a little-endian u64. */
#define WEFT_ABI_MAGIC UINT64_C(0x004D485354464557)
#define WEFT_ABI_VERSION_MAJOR 1
#define WEFT_ABI_VERSION_MINOR 1 /* 1.1: lease, fence, Resource, last_end, read_position (docs/shm-abi.md) */
/** Written as a native u32; a reader that sees other bytes has the wrong byte order. */
#define WEFT_ABI_BYTE_ORDER_MARK UINT32_C(0x01020304)

#define WEFT_ABI_HEADER_SIZE 4096u
#define WEFT_ABI_SLOT_HEADER_SIZE 512u
#define WEFT_ABI_MAX_SCOPES 16u
#define WEFT_ABI_MAX_SLOT_COUNT 65536u /* the most slots a writer makes; readers refuse more */
#define WEFT_ABI_SCOPE_NAME_MAX 160u
#define WEFT_ABI_SCOPE_VERSION_MAX 64u
#define WEFT_ABI_RECORD_ALIGNMENT 8u

/** weft_abi_header_t.state */
enum weft_abi_segment_state {
    WEFT_ABI_SEGMENT_INITIALIZING = 0,
    WEFT_ABI_SEGMENT_LIVE = 1,
    WEFT_ABI_SEGMENT_CLOSED = 2,
    WEFT_ABI_SEGMENT_RECOVERED = 3, /* 1.1: a dead creator's data was exported by a recoverer */
};

/** weft_abi_header_t.fence (1.1) */
enum weft_abi_fence {
    WEFT_ABI_FENCE_OPEN = 0,   /* writers record */
    WEFT_ABI_FENCE_CLOSED = 1, /* writers count every span they end as dropped_shutdown */
};

/** 1.1: the header area that holds the Resource record, when the writer has one. */
#define WEFT_ABI_HEADER_SIZE_V1_1 8192u
#define WEFT_ABI_RESOURCE_OFFSET 4096u
#define WEFT_ABI_RESOURCE_MAX 4096u

/** One instrumentation scope (the library that called weft_init). */
typedef struct weft_abi_scope {
    uint16_t name_length;                       /*   0 */
    uint16_t version_length;                    /*   2 */
    uint32_t reserved;                          /*   4 */
    uint8_t name[WEFT_ABI_SCOPE_NAME_MAX];      /*   8 UTF-8, not NUL-terminated */
    uint8_t version[WEFT_ABI_SCOPE_VERSION_MAX];/* 168 */
} weft_abi_scope_t;                             /* 232 */

/**
 * Segment header, at offset 0. Written once by the creator before `magic`
 * is release-stored; afterwards only `state`, `scope_count` and
 * `dropped_no_slot` change.
 */
typedef struct weft_abi_header {
    WEFT_ABI_ATOMIC(uint64_t) magic;   /*   0 release-stored last at creation; readers acquire */
    uint16_t version_major;            /*   8 incompatible changes */
    uint16_t version_minor;            /*  10 appended fields */
    uint32_t header_size;              /*  12 bytes from 0 to the first slot area */
    uint64_t segment_size;             /*  16 file size */
    uint32_t byte_order_mark;          /*  24 WEFT_ABI_BYTE_ORDER_MARK */
    WEFT_ABI_ATOMIC(uint32_t) state;   /*  28 enum weft_abi_segment_state; release / acquire */
    uint32_t creator_pid;              /*  32 */
    uint32_t creator_uid;              /*  36 */
    uint64_t creator_start_ticks;      /*  40 /proc/self/stat field 22: start time since boot, clock ticks */
    uint8_t boot_id[16];               /*  48 /proc/sys/kernel/random/boot_id as 16 raw bytes */
    uint64_t created_unix_nanos;       /*  64 */
    uint32_t slot_count;               /*  72 */
    uint32_t slot_header_size;         /*  76 WEFT_ABI_SLOT_HEADER_SIZE */
    uint64_t slots_offset;             /*  80 offset of slot 0 from the segment start */
    uint64_t slot_stride;              /*  88 bytes from one slot to the next */
    uint32_t stack_depth;              /*  96 open-span frames per slot */
    uint32_t frame_size;               /* 100 bytes per frame; also the largest record */
    uint32_t ring_capacity;            /* 104 bytes of record space per slot, a power of two */
    uint16_t max_name_length;          /* 108 span and event names are cut to this many bytes */
    uint16_t max_key_length;           /* 110 attribute keys are cut to this many bytes */
    uint16_t max_value_length;         /* 112 string attribute values are cut to this many bytes */
    uint16_t reserved0;                /* 114 */
    WEFT_ABI_ATOMIC(uint32_t) scope_count; /* 116 release after the scope entry is written; acquire */
    WEFT_ABI_ATOMIC(uint64_t) dropped_no_slot; /* 120 spans dropped for want of a slot (all taken, or no room to reserve one); relaxed */
    /* -- 1.1: the collector lease (docs/shm-abi.md, "Lease") */
    WEFT_ABI_ATOMIC(uint64_t) lease_owner; /* 128 0 = none, else (collector start_ticks low 32 bits << 32) | pid; CAS acq_rel */
    WEFT_ABI_ATOMIC(uint64_t) lease_heartbeat_unix_nanos; /* 136 lease holder, relaxed, about every second */
    /* -- 1.1: the shutdown fence */
    WEFT_ABI_ATOMIC(uint32_t) fence;   /* 144 enum weft_abi_fence; collector release, writer relaxed at span end */
    uint32_t reserved2;                /* 148 */
    /* -- 1.1: the creator's Resource (a RESOURCE record), 0/0 when absent */
    uint32_t resource_offset;          /* 152 from the segment start; inside [WEFT_ABI_HEADER_SIZE, header_size) */
    uint32_t resource_length;          /* 156 bytes of the RESOURCE record */
    uint8_t reserved1[96];             /* 160 zero */
    weft_abi_scope_t scopes[WEFT_ABI_MAX_SCOPES]; /* 256 */
} weft_abi_header_t;                   /* 3968, padded to WEFT_ABI_HEADER_SIZE in the file */

/* ------------------------------------------------------------------ slot */

/** weft_abi_slot_t.state */
enum weft_abi_slot_state {
    WEFT_ABI_SLOT_FREE = 0,     /* never used */
    WEFT_ABI_SLOT_ACTIVE = 1,   /* owned by a live producer thread */
    WEFT_ABI_SLOT_RELEASED = 2, /* the owner exited; claimable again once drained (head == tail) */
};

/**
 * Slot header: one per producer thread. Followed in the slot by
 * `stack_depth` frames of `frame_size` bytes, then `ring_capacity` bytes of
 * ring. Producer words and the consumer word are 128 bytes apart.
 */
typedef struct weft_abi_slot {
    /* -- ownership, offsets 0..127 */
    WEFT_ABI_ATOMIC(uint32_t) state;   /*   0 CAS to ACTIVE by a claiming thread (acq_rel); release to RELEASED */
    uint32_t generation;               /*   4 incremented on every claim, before `state` is published */
    uint32_t tid;                      /*   8 owner's kernel thread id */
    WEFT_ABI_ATOMIC(uint32_t) depth;   /*  12 open frames; producer release, reader acquire */
    uint8_t thread_name[16];           /*  16 owner's thread name, NUL-padded */
    uint8_t reserved0[96];             /*  32 */
    /* -- producer line, offsets 128..255 */
    WEFT_ABI_ATOMIC(uint64_t) tail;    /* 128 byte position after the last committed record; producer release, consumer acquire */
    WEFT_ABI_ATOMIC(uint64_t) spans_committed;   /* 136 span records published; relaxed, updated before `tail` */
    WEFT_ABI_ATOMIC(uint64_t) dropped_ring_full; /* 144 spans dropped: no room in the ring; relaxed */
    WEFT_ABI_ATOMIC(uint64_t) dropped_reentrant; /* 152 spans dropped: begun while this thread was inside weft (signal handler); relaxed */
    WEFT_ABI_ATOMIC(uint64_t) dropped_too_deep;  /* 160 spans dropped: nesting deeper than `stack_depth`; relaxed */
    WEFT_ABI_ATOMIC(uint64_t) dropped_shutdown;  /* 168 1.1: spans ended after the fence closed; relaxed */
    WEFT_ABI_ATOMIC(uint64_t) last_end_unix_nanos; /* 176 1.1: end time of the last span ended on this slot; relaxed, before `tail` */
    uint8_t reserved1[72];             /* 184 */
    /* -- consumer line, offsets 256..383 */
    WEFT_ABI_ATOMIC(uint64_t) head;    /* 256 byte position of the next unread record; consumer release, producer acquire */
    WEFT_ABI_ATOMIC(uint64_t) read_position; /* 264 1.1: consumer, release: bytes in [head, read_position) were read, maybe exported, not yet acknowledged */
    uint8_t reserved2[112];            /* 272 */
    uint8_t reserved3[128];            /* 384 */
} weft_abi_slot_t;                     /* 512 */

/* --------------------------------------------------------------- records */

/** weft_abi_record_header_t.type */
enum weft_abi_record_type {
    WEFT_ABI_RECORD_SPAN = 1,      /* a finished span (in the ring) or an open one (in a frame) */
    WEFT_ABI_RECORD_PADDING = 2,   /* fills the ring up to its end before a wrap; skip */
    WEFT_ABI_RECORD_CONTEXT = 3,   /* a frame holding an attached parent context; never in the ring */
    WEFT_ABI_RECORD_RESOURCE = 4,  /* 1.1: the creator's Resource, in the header area only; never in a ring or frame */
};

/** Common to every record. The next record in a ring starts at align8(length). */
typedef struct weft_abi_record_header {
    uint32_t length;     /* 0 bytes of this record, header included, before alignment */
    uint16_t type;       /* 4 enum weft_abi_record_type */
    uint16_t fixed_size; /* 6 bytes of the fixed part (header included) that this writer knows */
} weft_abi_record_header_t; /* 8 */

/** OpenTelemetry Thread Context record (OTEP 4947), embedded at offset 8 of span and context records. */
typedef struct weft_abi_thread_ctx {
    uint8_t trace_id[16];   /*  0 */
    uint8_t span_id[8];     /* 16 */
    uint8_t valid;          /* 24 1 = valid */
    uint8_t trace_flags;    /* 25 W3C trace flags, bit 0 = sampled */
    uint16_t attrs_size;    /* 26 always 0: weft publishes no custom attributes */
} weft_abi_thread_ctx_t;    /* 28 */

/** weft_abi_span_t.flags */
enum weft_abi_span_flags {
    WEFT_ABI_SPAN_PARENT_REMOTE = 1u << 0,       /* the parent came from another process (TRACEPARENT) */
    WEFT_ABI_SPAN_NAME_TRUNCATED = 1u << 1,
    WEFT_ABI_SPAN_STATUS_TRUNCATED = 1u << 2,    /* the status message was cut */
    WEFT_ABI_SPAN_ENDED_BY_THREAD_EXIT = 1u << 3,/* still open when its thread exited */
    WEFT_ABI_SPAN_ENDED_BY_UNWIND = 1u << 4,     /* still open when an enclosing span or context ended */
};

/** Values of weft_abi_span_t.kind: those of OTLP's Span.SpanKind. */
enum weft_abi_span_kind {
    WEFT_ABI_KIND_INTERNAL = 1,
    WEFT_ABI_KIND_SERVER = 2,
    WEFT_ABI_KIND_CLIENT = 3,
    WEFT_ABI_KIND_PRODUCER = 4,
    WEFT_ABI_KIND_CONSUMER = 5,
};

/** Values of weft_abi_span_t.status_code: those of OTLP's Status.StatusCode. */
enum weft_abi_status_code {
    WEFT_ABI_STATUS_UNSET = 0,
    WEFT_ABI_STATUS_OK = 1,
    WEFT_ABI_STATUS_ERROR = 2,
};

/**
 * Fixed part of a span record (and of a context record, which uses only the
 * first 36 bytes). Followed by: u16 name length, the name bytes, then items.
 */
typedef struct weft_abi_span {
    weft_abi_record_header_t header; /*  0 */
    weft_abi_thread_ctx_t ctx;       /*  8 trace id, span id, valid, trace flags */
    uint8_t kind;                    /* 36 enum weft_abi_span_kind */
    uint8_t status_code;             /* 37 enum weft_abi_status_code */
    uint8_t flags;                   /* 38 enum weft_abi_span_flags */
    uint8_t reserved0;               /* 39 */
    uint8_t parent_span_id[8];       /* 40 all zero for a root span */
    uint64_t start_unix_nanos;       /* 48 */
    uint64_t end_unix_nanos;         /* 56 0 while the span is open */
    uint32_t tid;                    /* 64 kernel thread id of the recording thread */
    uint16_t scope_index;            /* 68 index into weft_abi_header_t.scopes */
    uint16_t attr_count;             /* 70 span attribute items that follow */
    uint16_t event_count;            /* 72 event items that follow */
    uint16_t dropped_attr_count;     /* 74 span attributes that did not fit */
    uint16_t dropped_event_count;    /* 76 events that did not fit */
    uint16_t truncated_count;        /* 78 keys and values cut to their limits */
} weft_abi_span_t;                   /* 80 = WEFT_ABI_SPAN_FIXED_SIZE */

#define WEFT_ABI_SPAN_FIXED_SIZE 80u
#define WEFT_ABI_CONTEXT_FIXED_SIZE 48u /* header + ctx + kind..reserved0 + parent_span_id */

/** Item tags, the first byte of every item after the span name. */
enum weft_abi_item_tag {
    WEFT_ABI_ITEM_ATTR_STRING = 1,
    WEFT_ABI_ITEM_ATTR_BOOL = 2,
    WEFT_ABI_ITEM_ATTR_INT64 = 3,
    WEFT_ABI_ITEM_ATTR_DOUBLE = 4,
    WEFT_ABI_ITEM_EVENT = 16,
    WEFT_ABI_ITEM_STATUS_MESSAGE = 32,
};

/** weft_abi_item_header_t.flags */
enum weft_abi_item_flags {
    WEFT_ABI_ITEM_TRUNCATED = 1u << 0, /* the key, value, name or message was cut */
};

/** Every item starts with this; `length` covers the item's own bytes (not an event's attributes). */
typedef struct weft_abi_item_header {
    uint8_t tag;     /* 0 enum weft_abi_item_tag */
    uint8_t flags;   /* 1 enum weft_abi_item_flags */
    uint16_t length; /* 2 bytes of this item, header included */
} weft_abi_item_header_t; /* 4 */

/**
 * Attribute item: header, u16 key length, key bytes, value.
 * Value: STRING = the remaining (length - 6 - key length) bytes;
 * BOOL = 1 byte (0 or 1); INT64 = 8 bytes two's complement; DOUBLE = 8 bytes IEEE 754.
 */
#define WEFT_ABI_ATTR_PREFIX_SIZE 6u

/** Event item: this prefix, then `name_length` bytes of name, then `attr_count` attribute items. */
typedef struct weft_abi_event {
    weft_abi_item_header_t header; /*  0 length = 24 + name_length */
    uint16_t name_length;          /*  4 */
    uint16_t attr_count;           /*  6 attribute items that follow the name */
    uint16_t dropped_attr_count;   /*  8 */
    uint16_t reserved;             /* 10 */
    uint32_t reserved2;            /* 12 */
    uint64_t time_unix_nanos;      /* 16 (unaligned in the record: read it as bytes) */
} weft_abi_event_t;                /* 24 */

#define WEFT_ABI_EVENT_PREFIX_SIZE 24u
/** Status message item: header, then (length - 4) bytes of UTF-8. The last one wins. */
#define WEFT_ABI_STATUS_MESSAGE_PREFIX_SIZE 4u

/**
 * 1.1: RESOURCE record (type 4), at `resource_offset`: the creator's
 * Resource as the native side knows it at init. Fixed part: the record
 * header, then u16 attr_count (8), u16 dropped_attr_count (10), u32 reserved
 * (12). Followed by `attr_count` attribute items (same encoding as a span's).
 */
#define WEFT_ABI_RESOURCE_FIXED_SIZE 16u
#define WEFT_ABI_RESOURCE_ATTR_COUNT_OFFSET 8u
#define WEFT_ABI_RESOURCE_DROPPED_ATTR_COUNT_OFFSET 10u

/* ------------------------------------------------------- static asserts */

#if !defined(__cplusplus)
#define WEFT_ABI_ASSERT_OFFSET(type, field, offset) \
    _Static_assert(__builtin_offsetof(type, field) == (offset), #type "." #field " moved")
#define WEFT_ABI_ASSERT_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " changed size")

WEFT_ABI_ASSERT_OFFSET(weft_abi_scope_t, name_length, 0);
WEFT_ABI_ASSERT_OFFSET(weft_abi_scope_t, version_length, 2);
WEFT_ABI_ASSERT_OFFSET(weft_abi_scope_t, name, 8);
WEFT_ABI_ASSERT_OFFSET(weft_abi_scope_t, version, 168);
WEFT_ABI_ASSERT_SIZE(weft_abi_scope_t, 232);

WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, magic, 0);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, version_major, 8);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, version_minor, 10);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, header_size, 12);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, segment_size, 16);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, byte_order_mark, 24);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, state, 28);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, creator_pid, 32);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, creator_uid, 36);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, creator_start_ticks, 40);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, boot_id, 48);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, created_unix_nanos, 64);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, slot_count, 72);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, slot_header_size, 76);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, slots_offset, 80);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, slot_stride, 88);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, stack_depth, 96);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, frame_size, 100);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, ring_capacity, 104);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, max_name_length, 108);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, max_key_length, 110);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, max_value_length, 112);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, scope_count, 116);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, dropped_no_slot, 120);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, lease_owner, 128);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, lease_heartbeat_unix_nanos, 136);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, fence, 144);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, resource_offset, 152);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, resource_length, 156);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, reserved1, 160);
WEFT_ABI_ASSERT_OFFSET(weft_abi_header_t, scopes, 256);
WEFT_ABI_ASSERT_SIZE(weft_abi_header_t, 256 + 16 * 232);
_Static_assert(sizeof(weft_abi_header_t) <= WEFT_ABI_HEADER_SIZE, "header outgrew its page");

WEFT_ABI_ASSERT_OFFSET(weft_abi_slot_t, state, 0);
WEFT_ABI_ASSERT_OFFSET(weft_abi_slot_t, generation, 4);
WEFT_ABI_ASSERT_OFFSET(weft_abi_slot_t, tid, 8);
WEFT_ABI_ASSERT_OFFSET(weft_abi_slot_t, depth, 12);
WEFT_ABI_ASSERT_OFFSET(weft_abi_slot_t, thread_name, 16);
WEFT_ABI_ASSERT_OFFSET(weft_abi_slot_t, tail, 128);
WEFT_ABI_ASSERT_OFFSET(weft_abi_slot_t, spans_committed, 136);
WEFT_ABI_ASSERT_OFFSET(weft_abi_slot_t, dropped_ring_full, 144);
WEFT_ABI_ASSERT_OFFSET(weft_abi_slot_t, dropped_reentrant, 152);
WEFT_ABI_ASSERT_OFFSET(weft_abi_slot_t, dropped_too_deep, 160);
WEFT_ABI_ASSERT_OFFSET(weft_abi_slot_t, dropped_shutdown, 168);
WEFT_ABI_ASSERT_OFFSET(weft_abi_slot_t, last_end_unix_nanos, 176);
WEFT_ABI_ASSERT_OFFSET(weft_abi_slot_t, head, 256);
WEFT_ABI_ASSERT_OFFSET(weft_abi_slot_t, read_position, 264);
WEFT_ABI_ASSERT_SIZE(weft_abi_slot_t, WEFT_ABI_SLOT_HEADER_SIZE);

WEFT_ABI_ASSERT_OFFSET(weft_abi_record_header_t, length, 0);
WEFT_ABI_ASSERT_OFFSET(weft_abi_record_header_t, type, 4);
WEFT_ABI_ASSERT_OFFSET(weft_abi_record_header_t, fixed_size, 6);
WEFT_ABI_ASSERT_SIZE(weft_abi_record_header_t, 8);

WEFT_ABI_ASSERT_OFFSET(weft_abi_thread_ctx_t, trace_id, 0);
WEFT_ABI_ASSERT_OFFSET(weft_abi_thread_ctx_t, span_id, 16);
WEFT_ABI_ASSERT_OFFSET(weft_abi_thread_ctx_t, valid, 24);
WEFT_ABI_ASSERT_OFFSET(weft_abi_thread_ctx_t, trace_flags, 25);
WEFT_ABI_ASSERT_OFFSET(weft_abi_thread_ctx_t, attrs_size, 26);
WEFT_ABI_ASSERT_SIZE(weft_abi_thread_ctx_t, 28);

WEFT_ABI_ASSERT_OFFSET(weft_abi_span_t, ctx, 8);
WEFT_ABI_ASSERT_OFFSET(weft_abi_span_t, kind, 36);
WEFT_ABI_ASSERT_OFFSET(weft_abi_span_t, status_code, 37);
WEFT_ABI_ASSERT_OFFSET(weft_abi_span_t, flags, 38);
WEFT_ABI_ASSERT_OFFSET(weft_abi_span_t, parent_span_id, 40);
WEFT_ABI_ASSERT_OFFSET(weft_abi_span_t, start_unix_nanos, 48);
WEFT_ABI_ASSERT_OFFSET(weft_abi_span_t, end_unix_nanos, 56);
WEFT_ABI_ASSERT_OFFSET(weft_abi_span_t, tid, 64);
WEFT_ABI_ASSERT_OFFSET(weft_abi_span_t, scope_index, 68);
WEFT_ABI_ASSERT_OFFSET(weft_abi_span_t, attr_count, 70);
WEFT_ABI_ASSERT_OFFSET(weft_abi_span_t, event_count, 72);
WEFT_ABI_ASSERT_OFFSET(weft_abi_span_t, dropped_attr_count, 74);
WEFT_ABI_ASSERT_OFFSET(weft_abi_span_t, dropped_event_count, 76);
WEFT_ABI_ASSERT_OFFSET(weft_abi_span_t, truncated_count, 78);
WEFT_ABI_ASSERT_SIZE(weft_abi_span_t, WEFT_ABI_SPAN_FIXED_SIZE);

WEFT_ABI_ASSERT_OFFSET(weft_abi_item_header_t, tag, 0);
WEFT_ABI_ASSERT_OFFSET(weft_abi_item_header_t, flags, 1);
WEFT_ABI_ASSERT_OFFSET(weft_abi_item_header_t, length, 2);
WEFT_ABI_ASSERT_SIZE(weft_abi_item_header_t, 4);

WEFT_ABI_ASSERT_OFFSET(weft_abi_event_t, name_length, 4);
WEFT_ABI_ASSERT_OFFSET(weft_abi_event_t, attr_count, 6);
WEFT_ABI_ASSERT_OFFSET(weft_abi_event_t, dropped_attr_count, 8);
WEFT_ABI_ASSERT_OFFSET(weft_abi_event_t, time_unix_nanos, 16);
WEFT_ABI_ASSERT_SIZE(weft_abi_event_t, WEFT_ABI_EVENT_PREFIX_SIZE);

_Static_assert(sizeof(_Atomic uint64_t) == 8 && sizeof(_Atomic uint32_t) == 4, "atomics must not change layout");
#endif /* !__cplusplus */

#endif /* WEFT_ABI_H */
