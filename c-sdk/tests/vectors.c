/*
 * vectors.c - writes and checks the shared test vectors in test-vectors/.
 *
 *   weft-vectors write DIR   record each scenario with the real writer code and
 *                            write NAME.seg and NAME.expected.json into DIR
 *   weft-vectors check DIR   regenerate every vector and require the files in
 *                            DIR to be identical, byte for byte
 *
 * Built from the SDK's sources with WEFT_TESTING, which gives the writer a
 * deterministic clock and thread identity; everything else is the production
 * code path. The expected JSON is what the C reference reader decodes from the
 * segment; the C unit tests check that reader against the writer, and the
 * Java tests check the Java reader against these files.
 *
 * A vector's process identity is fixed so that files are reproducible: pid
 * 4242 (creator not running), uid 1000, boot id 00..0f, start ticks 123456.
 * A reader's test copies a .seg to a private 0600 file and first writes its
 * own uid at offset 36 (creator_uid), since it is not uid 1000.
 */
#define _GNU_SOURCE
#include "resource.h"
#include "weft_internal.h"
#include "weft/weft_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void weft_testing_set_thread(uint32_t tid, uint64_t seed);
extern uint64_t (*weft_testing_clock)(void);

static uint64_t fake_now;
static uint64_t fake_clock(void) {
    fake_now += 1000; /* every clock read is 1 microsecond after the last */
    return fake_now;
}

enum { FIXED_PID = 4242, FIXED_UID = 1000 };

/* ------------------------------------------------------------- output */

typedef struct out {
    char *data;
    size_t length, capacity;
} out_t;

static void emit(out_t *o, const char *format, ...) {
    va_list args;
    for (;;) {
        va_start(args, format);
        size_t room = o->capacity - o->length;
        int n = vsnprintf(o->data ? o->data + o->length : NULL, room, format, args);
        va_end(args);
        if (n >= 0 && (size_t)n < room) {
            o->length += (size_t)n;
            return;
        }
        o->capacity = o->capacity * 2 + (size_t)n + 256;
        o->data = realloc(o->data, o->capacity);
    }
}

static void emit_string(out_t *o, const char *s, size_t n) {
    emit(o, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            emit(o, "\\%c", c);
        } else if (c < 0x20) {
            emit(o, "\\u%04x", c);
        } else {
            emit(o, "%c", c);
        }
    }
    emit(o, "\"");
}

static void emit_hex(out_t *o, const uint8_t *p, size_t n) {
    emit(o, "\"");
    for (size_t i = 0; i < n; i++) {
        emit(o, "%02x", p[i]);
    }
    emit(o, "\"");
}

static void emit_attr(out_t *o, const weft_item_view_t *item) {
    emit(o, "{ \"key\": ");
    emit_string(o, item->key, item->key_length);
    switch (item->tag) {
    case WEFT_ABI_ITEM_ATTR_STRING:
        emit(o, ", \"type\": \"string\", \"value\": ");
        emit_string(o, item->string_value, item->string_length);
        break;
    case WEFT_ABI_ITEM_ATTR_BOOL:
        emit(o, ", \"type\": \"bool\", \"value\": %s", item->bool_value ? "true" : "false");
        break;
    case WEFT_ABI_ITEM_ATTR_INT64:
        emit(o, ", \"type\": \"int64\", \"value\": \"%" PRId64 "\"", item->int64_value);
        break;
    default:
        emit(o, ", \"type\": \"double\", \"value\": %.17g", item->double_value);
        break;
    }
    emit(o, ", \"truncated\": %s }", (item->flags & WEFT_ABI_ITEM_TRUNCATED) ? "true" : "false");
}

typedef struct span_list {
    out_t *o;
    int count;
    bool open;
} span_list_t;

static void emit_span(const weft_span_view_t *span, void *clientd) {
    span_list_t *list = clientd;
    out_t *o = list->o;
    const weft_abi_span_t *f = span->fixed;
    emit(o, "%s\n    {\n      \"slot\": %u,", list->count++ ? "," : "", span->slot);
    if (list->open) {
        emit(o, " \"depthIndex\": %u, \"lastActivityUnixNanos\": \"%" PRIu64 "\",", span->frame_index,
             span->last_activity_unix_nanos);
    }
    emit(o, "\n      \"traceId\": ");
    emit_hex(o, f->ctx.trace_id, 16);
    emit(o, ", \"spanId\": ");
    emit_hex(o, f->ctx.span_id, 8);
    emit(o, ", \"parentSpanId\": ");
    emit_hex(o, f->parent_span_id, 8);
    emit(o, ",\n      \"traceFlags\": %u, \"kind\": %u, \"statusCode\": %u, \"statusMessage\": ", f->ctx.trace_flags,
         f->kind, f->status_code);
    if (span->status_message != NULL) {
        emit_string(o, span->status_message, span->status_message_length);
    } else {
        emit(o, "null");
    }
    emit(o, ",\n      \"flags\": %u, \"startUnixNanos\": \"%" PRIu64 "\", \"endUnixNanos\": \"%" PRIu64 "\",", f->flags,
         f->start_unix_nanos, f->end_unix_nanos);
    emit(o, "\n      \"tid\": %u, \"scopeIndex\": %u, \"name\": ", f->tid, f->scope_index);
    emit_string(o, span->name, span->name_length);
    emit(o, ",\n      \"attributes\": [");
    weft_item_cursor_t cursor = {0};
    weft_item_view_t item;
    int attrs = 0;
    while (weft_item_next(span, &cursor, &item)) {
        if (item.tag >= WEFT_ABI_ITEM_ATTR_STRING && item.tag <= WEFT_ABI_ITEM_ATTR_DOUBLE && !item.in_event) {
            emit(o, "%s\n        ", attrs++ ? "," : "");
            emit_attr(o, &item);
        }
    }
    emit(o, "%s],\n      \"droppedAttributes\": %u,\n      \"events\": [", attrs ? "\n      " : "",
         f->dropped_attr_count);
    cursor = (weft_item_cursor_t){0};
    int events = 0, event_attrs = 0;
    bool in_event = false;
    while (weft_item_next(span, &cursor, &item)) {
        if (item.tag == WEFT_ABI_ITEM_EVENT) {
            emit(o, "%s\n        { \"name\": ", events++ ? "," : "");
            emit_string(o, item.key, item.key_length);
            emit(o, ", \"timeUnixNanos\": \"%" PRIu64 "\", \"droppedAttributes\": %u, \"attributes\": [",
                 item.event_time_unix_nanos, item.event_dropped_attr_count);
            in_event = true;
            event_attrs = 0;
            if (item.event_attr_count == 0) {
                emit(o, "] }");
                in_event = false;
            }
        } else if (in_event && item.in_event) {
            emit(o, "%s", event_attrs++ ? ", " : " ");
            emit_attr(o, &item);
            if (cursor.event_attrs_left == 0) {
                emit(o, " ] }");
                in_event = false;
            }
        }
    }
    emit(o, "%s],\n      \"droppedEvents\": %u, \"truncatedCount\": %u\n    }", events ? "\n      " : "",
         f->dropped_event_count, f->truncated_count);
}

/* ---------------------------------------------------------- scenarios */

typedef struct vector {
    const char *name;
    const char *description;
    void (*record)(weft_tracer_t *tracer);
    void (*corrupt)(uint8_t *base, const weft_abi_header_t *h);
    uint32_t ring_size;
    uint16_t max_value_length;
    bool close; /* shut down cleanly (state CLOSED, fence closed) or leave it live */
    const char *service_name;        /* the OTEL_SERVICE_NAME its Resource was made from, or NULL */
    const char *resource_attributes; /* the OTEL_RESOURCE_ATTRIBUTES, or NULL */
    void (*after_copy)(void);        /* once the bytes are taken: let threads that hold spans open go */
} vector_t;

static weft_reader_t reader; /* used while recording, to advance head where a scenario drains */

static void drain_now(void) {
    weft_reader_drain(&reader, NULL, NULL);
}

static void *thread_leaving_a_span_open(void *arg) {
    weft_tracer_t *tracer = arg;
    weft_testing_set_thread(2001, 0x5eed0002);
    weft_span_t *span = weft_span_begin(tracer, "worker.left-open", WEFT_SPAN_KIND_CONSUMER);
    weft_span_set_int64(span, "worker", 1);
    return NULL; /* exits with the span open: ended by the thread-exit handler, flagged */
}

static void record_basic(weft_tracer_t *tracer) {
    weft_span_t *request = weft_span_begin(tracer, "request", WEFT_SPAN_KIND_SERVER);
    weft_span_set_string(request, "http.route", "/decode");
    weft_span_t *decode = weft_span_begin(tracer, "decode", WEFT_SPAN_KIND_CLIENT);
    weft_span_set_string(decode, "codec", "h264");
    weft_span_set_int64(decode, "frames", -42);
    weft_span_set_double(decode, "ratio", 0.5);
    weft_span_set_bool(decode, "keyframe", true);
    weft_attr_t retry[] = {WEFT_ATTR_STR("reason", "timeout"), WEFT_ATTR_I64("attempt", 2)};
    weft_span_add_event(decode, "retry", retry, 2);
    weft_span_add_event(decode, "flush", NULL, 0);
    weft_span_t *stage = weft_span_begin(tracer, "decode.stage", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_status(stage, WEFT_STATUS_OK, NULL);
    weft_span_end(stage);
    weft_span_set_status(decode, WEFT_STATUS_ERROR, "decoder failed");
    weft_span_end(decode);
    weft_span_end(request);

    weft_context_t remote;
    weft_traceparent_parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", 55, &remote);
    weft_span_t *child = weft_span_begin_with_parent(tracer, "remote-child", WEFT_SPAN_KIND_PRODUCER, &remote);
    weft_span_end(child);

    /* the JVM's span attached as parent, as before a JNI call */
    weft_context_t jvm = remote;
    jvm.is_remote = 0;
    jvm.span_id[7] ^= 0xff;
    int token = weft_context_attach(&jvm);
    weft_span_t *jni = weft_span_begin(tracer, "jni.call", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_string(jni, "text", "caf\xc3\xa9 au lait, long enough to be cut"); /* cut at 16 bytes */
    weft_span_end(jni);
    weft_context_detach(token);

    pthread_t thread;
    pthread_create(&thread, NULL, thread_leaving_a_span_open, tracer);
    pthread_join(thread, NULL);
}

static void record_wrap(weft_tracer_t *tracer) {
    /* 104-byte records in a 1024-byte ring: 9 fit, are read, then the 10th wraps behind padding */
    for (int i = 0; i < 11; i++) {
        weft_span_t *span = weft_span_begin(tracer, "s", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_int64(span, "seq", i);
        weft_span_end(span);
        if (i == 8) {
            drain_now();
        }
    }
}

static void record_overflow(weft_tracer_t *tracer) {
    for (int i = 0; i < 15; i++) { /* 9 fit; 6 are dropped and counted */
        weft_span_t *span = weft_span_begin(tracer, "s", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_int64(span, "seq", i);
        weft_span_end(span);
    }
}

static void record_open_spans(weft_tracer_t *tracer) {
    weft_span_t *request = weft_span_begin(tracer, "request", WEFT_SPAN_KIND_SERVER);
    weft_span_set_string(request, "http.route", "/crash");
    weft_context_t jvm;
    weft_span_context(request, &jvm);
    jvm.span_id[0] ^= 0x5a;
    weft_context_attach(&jvm); /* a context frame between the spans: not a span */
    weft_span_t *inner = weft_span_begin(tracer, "native.crashing", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_int64(inner, "frame", 7);
    weft_span_end(weft_span_begin(tracer, "finished-before-the-crash", WEFT_SPAN_KIND_INTERNAL));
    /* never ended: the process "dies" here (state stays LIVE, creator 4242 is not running) */
}

/* ---- 1.1 scenarios */

static weft_abi_slot_t *mapped_slot(uint32_t index) {
    return (weft_abi_slot_t *)(void *)(reader.base + reader.slots_offset + (uint64_t)index * reader.slot_stride);
}

static pthread_t worker;
static pthread_mutex_t worker_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t worker_cond = PTHREAD_COND_INITIALIZER;
static int worker_stage; /* 1: its spans are recorded; 2: the segment was copied, it may end */

static void worker_wait_for(int stage) {
    pthread_mutex_lock(&worker_lock);
    while (worker_stage < stage) {
        pthread_cond_wait(&worker_cond, &worker_lock);
    }
    pthread_mutex_unlock(&worker_lock);
}

static void worker_reach(int stage) {
    pthread_mutex_lock(&worker_lock);
    worker_stage = stage;
    pthread_cond_broadcast(&worker_cond);
    pthread_mutex_unlock(&worker_lock);
}

static void *worker_with_open_spans(void *arg) {
    weft_tracer_t *tracer = arg;
    weft_testing_set_thread(2001, 0x5eed0003); /* slot 1 */
    weft_span_t *step = weft_span_begin(tracer, "worker.step", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_int64(step, "batch", 1);
    weft_span_end(step);
    weft_span_t *loop = weft_span_begin(tracer, "worker.loop", WEFT_SPAN_KIND_CONSUMER);
    weft_span_set_string(loop, "queue", "jobs");
    weft_span_t *io = weft_span_begin(tracer, "worker.io", WEFT_SPAN_KIND_CLIENT);
    weft_span_set_int64(io, "fd", 7);
    worker_reach(1);
    worker_wait_for(2); /* the "crash" is the copy taken now: both spans are open in it */
    weft_span_end(io);
    weft_span_end(loop);
    return NULL;
}

static void release_worker(void) {
    worker_reach(2);
    pthread_join(worker, NULL);
    worker_stage = 0;
}

static void record_dead_with_open_spans(weft_tracer_t *tracer) {
    /* slot 0: two spans read and acknowledged by a collector (head moved) ... */
    for (int i = 1; i <= 2; i++) {
        weft_span_t *span = weft_span_begin(tracer, i == 1 ? "handled-1" : "handled-2", WEFT_SPAN_KIND_SERVER);
        weft_span_set_int64(span, "seq", i);
        weft_span_end(span);
    }
    drain_now();
    /* ... two read and handed to its exporter, never acknowledged: [head, read_position) ... */
    for (int i = 1; i <= 2; i++) {
        weft_span_t *span = weft_span_begin(tracer, i == 1 ? "unacked-1" : "unacked-2", WEFT_SPAN_KIND_SERVER);
        weft_span_set_int64(span, "seq", 2 + i);
        weft_span_end(span);
    }
    weft_abi_slot_t *slot0 = mapped_slot(0);
    weft_store_release(&slot0->read_position, weft_load_acquire(&slot0->tail));
    /* ... by a collector (pid 4343) that died holding the lease ... */
    weft_abi_header_t *h = (weft_abi_header_t *)(void *)reader.base;
    weft_store_release(&h->lease_owner, (UINT64_C(98765) << 32) | 4343u);
    weft_store_relaxed(&h->lease_heartbeat_unix_nanos, UINT64_C(1700000000000004500));
    /* ... one nobody read ... */
    weft_span_t *unread = weft_span_begin(tracer, "unread-1", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_int64(unread, "seq", 5);
    weft_span_end(unread);
    /* ... and two open when the process died, the inner one with an event after its start */
    weft_span_t *request = weft_span_begin(tracer, "request", WEFT_SPAN_KIND_SERVER);
    weft_span_set_string(request, "http.route", "/checkout");
    weft_span_t *charge = weft_span_begin(tracer, "charge", WEFT_SPAN_KIND_CLIENT);
    weft_attr_t attempt[] = {WEFT_ATTR_I64("attempt", 2)};
    weft_span_add_event(charge, "retry", attempt, 1);
    /* slot 1: a worker thread with one finished span and two open */
    pthread_create(&worker, NULL, worker_with_open_spans, tracer);
    worker_wait_for(1);
}

static void record_fenced(weft_tracer_t *tracer) {
    /* a clean exit: two spans recorded, then a collector closes the fence and two more end after it */
    weft_span_end(weft_span_begin(tracer, "before-the-fence-1", WEFT_SPAN_KIND_INTERNAL));
    weft_span_t *open = weft_span_begin(tracer, "open-across-the-fence", WEFT_SPAN_KIND_SERVER);
    weft_span_end(weft_span_begin(tracer, "before-the-fence-2", WEFT_SPAN_KIND_INTERNAL));
    weft_abi_header_t *h = (weft_abi_header_t *)(void *)reader.base;
    weft_store_release(&h->fence, (uint32_t)WEFT_ABI_FENCE_CLOSED);
    weft_span_end(weft_span_begin(tracer, "after-the-fence", WEFT_SPAN_KIND_INTERNAL));
    weft_span_end(open);
}

static uint8_t *ring_of(uint8_t *base, const weft_abi_header_t *h, uint32_t slot) {
    return base + h->slots_offset + (uint64_t)slot * h->slot_stride + h->slot_header_size +
           (uint64_t)h->stack_depth * h->frame_size;
}

/* basic's records in slot 0: request... each record is found by walking lengths from 0 */
static uint8_t *nth_record(uint8_t *base, const weft_abi_header_t *h, uint32_t slot, int n) {
    uint8_t *ring = ring_of(base, h, slot);
    uint64_t offset = 0;
    for (int i = 0; i < n; i++) {
        uint32_t length;
        memcpy(&length, ring + offset, 4);
        offset += weft_align8(length);
    }
    return ring + offset;
}

static void corrupt_attr_count(uint8_t *base, const weft_abi_header_t *h) {
    weft_abi_span_t *record = (weft_abi_span_t *)(void *)nth_record(base, h, 0, 1); /* "decode" */
    record->attr_count = 9;
}

static void corrupt_length(uint8_t *base, const weft_abi_header_t *h) {
    uint32_t huge = 1u << 20;
    memcpy(nth_record(base, h, 0, 3), &huge, 4); /* "remote-child": the framing of slot 0 is lost */
}

static void corrupt_type(uint8_t *base, const weft_abi_header_t *h) {
    uint16_t type = 99;
    memcpy(nth_record(base, h, 0, 2) + 4, &type, 2); /* "request": an unknown record type */
}

static void corrupt_bool(uint8_t *base, const weft_abi_header_t *h) {
    uint8_t *record = nth_record(base, h, 0, 1); /* "decode": its bool attribute holds 2 */
    weft_span_view_t view;
    uint32_t length;
    memcpy(&length, record, 4);
    static uint8_t copy[4096];
    memcpy(copy, record, length);
    if (weft_span_validate(copy, length, 1, &view) != 0) {
        abort();
    }
    size_t offset = (size_t)(view.items - copy);
    for (;;) {
        uint16_t item_length;
        memcpy(&item_length, record + offset + 2, 2);
        if (record[offset] == WEFT_ABI_ITEM_ATTR_BOOL) {
            record[offset + item_length - 1] = 2;
            return;
        }
        offset += item_length;
    }
}

static void corrupt_positions(uint8_t *base, const weft_abi_header_t *h) {
    weft_abi_slot_t *slot = (weft_abi_slot_t *)(void *)(base + h->slots_offset);
    weft_store_relaxed(&slot->tail, weft_load_relaxed(&slot->head) + 10u * h->ring_capacity); /* tail - head > capacity */
}

static void corrupt_magic(uint8_t *base, const weft_abi_header_t *h) {
    (void)h;
    base[0] = 'X';
}

static void corrupt_version(uint8_t *base, const weft_abi_header_t *h) {
    (void)h;
    uint16_t major = 2;
    memcpy(base + 8, &major, 2);
}

static void corrupt_sizes(uint8_t *base, const weft_abi_header_t *h) {
    (void)h;
    uint32_t slots = 1000; /* more slots than the file holds */
    memcpy(base + offsetof(weft_abi_header_t, slot_count), &slots, 4);
}

static const vector_t vectors[] = {
    {"basic", "every field: nested spans, all four attribute types, events with and without attributes, "
              "ERROR and OK status, a remote parent, an attached JVM parent, a value cut at a UTF-8 boundary, "
              "a span ended by its thread's exit (on slot 1)",
     record_basic, NULL, 4096, 16, true, NULL, NULL, NULL},
    {"wrap", "a ring that wrapped: 9 records read, then a padding record and 2 records at the start of the ring",
     record_wrap, NULL, 1024, 1024, true, NULL, NULL, NULL},
    {"overflow", "a full ring: 9 records kept, 6 spans dropped and counted (droppedRingFull)", record_overflow, NULL,
     1024, 1024, true, NULL, NULL, NULL},
    {"open-spans", "a crashed writer: state LIVE, creator not running, two spans open in the frames (with an "
                   "attached context between them) and one finished span in the ring",
     record_open_spans, NULL, 4096, 1024, false, NULL, NULL, NULL},
    {"corrupt-attr-count", "basic with the second record's attr_count wrong: that record alone is dropped",
     record_basic, corrupt_attr_count, 4096, 16, true, NULL, NULL, NULL},
    {"corrupt-bool", "basic with a bool attribute byte of 2: that record alone is dropped", record_basic,
     corrupt_bool, 4096, 16, true, NULL, NULL, NULL},
    {"corrupt-length", "basic with the fourth record's length far past the tail: the rest of slot 0 is skipped",
     record_basic, corrupt_length, 4096, 16, true, NULL, NULL, NULL},
    {"unknown-type", "basic with the third record's type 99: skipped by its length and counted", record_basic,
     corrupt_type, 4096, 16, true, NULL, NULL, NULL},
    {"corrupt-positions", "wrap with slot 0's tail 10 capacities past its head: the slot is resynchronised",
     record_wrap, corrupt_positions, 1024, 1024, true, NULL, NULL, NULL},
    {"bad-magic", "not a weft segment: refused", record_overflow, corrupt_magic, 1024, 1024, true, NULL, NULL, NULL},
    {"bad-version", "ABI major version 2: refused", record_overflow, corrupt_version, 1024, 1024, true, NULL, NULL, NULL},
    {"bad-sizes", "slot_count larger than the file: refused", record_overflow, corrupt_sizes, 1024, 1024, true, NULL, NULL, NULL},
    {.name = "dead-with-open-spans",
     .description = "ABI 1.1, a crashed writer (state LIVE, creator 4242 not running) with its Resource (from "
                    "OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, one pair malformed): on slot 0, 2 spans "
                    "acknowledged (before head), 2 read but not acknowledged ([head, read_position), a dead "
                    "collector's lease), 1 unread, and 2 spans open (the inner with an event); on slot 1, 1 "
                    "finished and 2 open. Readers find 4 spans in the rings and 4 open spans with their slot's "
                    "last activity",
     .record = record_dead_with_open_spans,
     .ring_size = 4096,
     .max_value_length = 1024,
     .close = false,
     .service_name = "checkout",
     .resource_attributes = "deployment.environment.name=staging, service.version = 2.4.1,team=pay%2Cments,"
                            "broken-pair,region=eu%2Dwest%2D1",
     .after_copy = release_worker},
    {.name = "fenced",
     .description = "ABI 1.1, a clean exit: 2 spans recorded, then the fence closed and 2 spans ended after it "
                    "(counted in droppedShutdown, not recorded); state CLOSED",
     .record = record_fenced,
     .ring_size = 4096,
     .max_value_length = 1024,
     .close = true,
     .service_name = "fenced-app"},
};

/* ------------------------------------------------------------ record */

typedef struct generated {
    uint8_t *seg;
    size_t seg_length;
    out_t json;
} generated_t;

static int copy_file_bytes(const char *path, uint8_t **data, size_t *length) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        return -errno;
    }
    struct stat st;
    fstat(fd, &st);
    *length = (size_t)st.st_size;
    *data = malloc(*length ? *length : 1);
    ssize_t n = pread(fd, *data, *length, 0);
    close(fd);
    return n == (ssize_t)*length ? 0 : -EIO;
}

/** The Resource a vector's process "had": fixed, so the files are reproducible (its environment per vector). */
static void fix_resource(uint8_t *base, const vector_t *v) {
    weft_abi_header_t *h = (weft_abi_header_t *)(void *)base;
    const weft_resource_inputs_t inputs = {
        .service_name = v->service_name,
        .resource_attributes = v->resource_attributes,
        .pid = FIXED_PID,
        .executable_name = "vector-app",
        .executable_path = "/opt/weft-vectors/bin/vector-app",
        .host_name = "vector-host",
    };
    h->resource_length = weft_resource_encode(base + WEFT_ABI_RESOURCE_OFFSET, WEFT_ABI_RESOURCE_MAX, &inputs,
                                              h->max_value_length);
}

static void fix_identity(uint8_t *base, const vector_t *v) {
    fix_resource(base, v);
    weft_abi_header_t *h = (weft_abi_header_t *)(void *)base;
    h->creator_pid = FIXED_PID;
    h->creator_uid = FIXED_UID;
    h->creator_start_ticks = 123456;
    for (int i = 0; i < 16; i++) {
        h->boot_id[i] = (uint8_t)i;
    }
    h->created_unix_nanos = UINT64_C(1700000000000000000);
    for (uint32_t s = 0; s < h->slot_count; s++) {
        weft_abi_slot_t *slot = (weft_abi_slot_t *)(void *)(base + h->slots_offset + (uint64_t)s * h->slot_stride);
        memset(slot->thread_name, 0, sizeof slot->thread_name);
        if (slot->tid != 0) {
            snprintf((char *)slot->thread_name, sizeof slot->thread_name, "thread-%u", slot->tid % 100000u);
        }
    }
}

static generated_t generate(const vector_t *v, const char *work_dir) {
    weft_config_t config;
    weft_config_from_env(&config);
    snprintf(config.shm_dir, sizeof config.shm_dir, "%s", work_dir);
    snprintf(config.shm_name, sizeof config.shm_name, "%s.seg", v->name);
    config.max_threads = 2;
    config.stack_depth = 4;
    config.frame_size = 512;
    config.ring_size = v->ring_size;
    config.max_value_length = v->max_value_length;
    config.has_env_parent = false;
    config.otel_thread_ctx = true;
    config.sampler = WEFT_SAMPLER_PARENTBASED_ALWAYS_ON;

    fake_now = UINT64_C(1700000000000000000);
    weft_testing_clock = fake_clock;
    weft_testing_set_thread(1000, 0x5eed0001); /* tid 1000 % 2 slots: slot 0; the worker's 2001: slot 1 */
    weft_tracer_t *tracer;
    if (weft_init_with_config(&config, "weft-vectors", "1.0.0", &tracer) != 0) {
        fprintf(stderr, "weft-vectors: %s\n", weft_last_error());
        exit(1);
    }
    char path[4096];
    weft_segment_path(path, sizeof path);
    char error[256];
    if (weft_reader_open(&reader, path, error, sizeof error) != 0) {
        fprintf(stderr, "weft-vectors: %s\n", error);
        exit(1);
    }
    v->record(tracer);

    generated_t g = {0};
    if (copy_file_bytes(path, &g.seg, &g.seg_length) != 0) {
        fprintf(stderr, "weft-vectors: cannot read %s\n", path);
        exit(1);
    }
    if (v->after_copy != NULL) {
        v->after_copy();
    }
    weft_reader_close(&reader);

    if (v->close) {
        weft_shutdown(); /* CLOSED is written into the mapping; the copy gets it below */
        weft_abi_header_t *h = (weft_abi_header_t *)(void *)g.seg;
        h->state = WEFT_ABI_SEGMENT_CLOSED;
        h->fence = WEFT_ABI_FENCE_CLOSED;
    } else {
        /* a crash: leave everything as it is, but let this process go on to the next vector */
        weft_shutdown();
        ((weft_abi_header_t *)(void *)g.seg)->state = WEFT_ABI_SEGMENT_LIVE;
    }
    fix_identity(g.seg, v);
    if (v->corrupt != NULL) {
        v->corrupt(g.seg, (const weft_abi_header_t *)(const void *)g.seg);
    }

    /* expected: what the reference reader decodes, from a private copy with our uid */
    char copy_path[4200];
    snprintf(copy_path, sizeof copy_path, "%s/%s.read", work_dir, v->name);
    int fd = open(copy_path, O_CREAT | O_RDWR | O_TRUNC | O_NOFOLLOW, 0600);
    if (fd < 0 || write(fd, g.seg, g.seg_length) != (ssize_t)g.seg_length) {
        fprintf(stderr, "weft-vectors: cannot write %s\n", copy_path);
        exit(1);
    }
    uint32_t uid = (uint32_t)geteuid();
    pwrite(fd, &uid, 4, offsetof(weft_abi_header_t, creator_uid));
    close(fd);

    out_t *o = &g.json;
    emit(o, "{\n  \"description\": ");
    emit_string(o, v->description, strlen(v->description));
    int rc = weft_reader_open(&reader, copy_path, error, sizeof error);
    if (rc != 0) {
        emit(o, ",\n  \"rejected\": true,\n  \"reason\": ");
        const char *reason = strchr(error, ':') ? strchr(error, ':') + 2 : error;
        emit_string(o, reason, strlen(reason));
        emit(o, "\n}\n");
        unlink(copy_path);
        return g;
    }
    const weft_abi_header_t *h = reader.header;
    static const char *states[] = {"INITIALIZING", "LIVE", "CLOSED", "RECOVERED"};
    emit(o, ",\n  \"rejected\": false,\n  \"header\": {\n    \"versionMajor\": %u, \"versionMinor\": %u, \"state\": \"%s\",",
         h->version_major, h->version_minor, h->state <= 3 ? states[h->state] : "?");
    emit(o, "\n    \"creatorPid\": %u, \"slotCount\": %u, \"stackDepth\": %u, \"frameSize\": %u, \"ringCapacity\": %u,",
         h->creator_pid, h->slot_count, h->stack_depth, h->frame_size, h->ring_capacity);
    weft_segment_status_t status;
    weft_reader_status(&reader, &status);
    emit(o, "\n    \"headerSize\": %u, \"fence\": %u, \"leaseOwner\": \"%" PRIu64 "\", \"leasePid\": %u,"
            " \"leaseHeartbeatUnixNanos\": \"%" PRIu64 "\",",
         h->header_size, status.fence, status.lease_owner, status.lease_pid, status.lease_heartbeat_unix_nanos);
    weft_resource_view_t resource;
    if (weft_reader_resource(&reader, &resource) == 0) {
        emit(o, "\n    \"resource\": { \"droppedAttributes\": %u, \"attributes\": [", resource.dropped_attr_count);
        weft_item_cursor_t cursor = {0};
        weft_item_view_t item;
        int n = 0;
        while (weft_resource_item_next(&resource, &cursor, &item)) {
            emit(o, "%s\n      ", n++ ? "," : "");
            emit_attr(o, &item);
        }
        emit(o, "\n    ] },");
    } else {
        emit(o, "\n    \"resource\": null,");
    }
    emit(o, "\n    \"scopes\": [");
    for (uint32_t i = 0; i < h->scope_count && i < WEFT_ABI_MAX_SCOPES; i++) {
        emit(o, "%s { \"name\": ", i ? "," : "");
        emit_string(o, (const char *)h->scopes[i].name, h->scopes[i].name_length);
        emit(o, ", \"version\": ");
        emit_string(o, (const char *)h->scopes[i].version, h->scopes[i].version_length);
        emit(o, " }");
    }
    emit(o, " ],\n    \"threadNames\": [");
    for (uint32_t s = 0; s < h->slot_count; s++) {
        const weft_abi_slot_t *slot =
            (const weft_abi_slot_t *)(const void *)(reader.base + h->slots_offset + (uint64_t)s * h->slot_stride);
        const char *name = (const char *)slot->thread_name;
        emit(o, "%s ", s ? "," : "");
        emit_string(o, name, strnlen(name, sizeof slot->thread_name));
    }
    emit(o, " ],\n    \"slots\": [");
    for (uint32_t s = 0; s < h->slot_count; s++) {
        weft_slot_status_t slot;
        weft_reader_slot_status(&reader, s, &slot);
        emit(o, "%s\n      { \"head\": \"%" PRIu64 "\", \"readPosition\": \"%" PRIu64 "\", \"tail\": \"%" PRIu64
                "\", \"lastEndUnixNanos\": \"%" PRIu64 "\", \"droppedShutdown\": %" PRIu64 " }",
             s ? "," : "", slot.head, slot.read_position, slot.tail, slot.last_end_unix_nanos, slot.dropped_shutdown);
    }
    emit(o, "\n    ]\n  },\n  \"spans\": [");
    span_list_t list = {.o = o};
    weft_reader_drain(&reader, emit_span, &list);
    emit(o, "%s],\n  \"openSpans\": [", list.count ? "\n  " : "");
    span_list_t open_list = {.o = o, .open = true};
    weft_reader_open_spans(&reader, emit_span, &open_list);
    weft_stats_t stats;
    weft_reader_native_stats(&reader, &stats);
    emit(o, "%s],\n  \"counters\": {\n    \"spansCommitted\": %" PRIu64 ", \"droppedRingFull\": %" PRIu64
            ", \"droppedReentrant\": %" PRIu64 ", \"droppedTooDeep\": %" PRIu64 ", \"droppedNoSlot\": %" PRIu64
            ", \"droppedShutdown\": %" PRIu64 ",\n    \"unacknowledgedBytes\": %" PRIu64
            ", \"spansRead\": %" PRIu64 ", \"corruptRecords\": %" PRIu64 ", \"unknownRecords\": %" PRIu64
            ", \"corruptResource\": %" PRIu64 "\n  }\n}\n",
         open_list.count ? "\n  " : "", stats.spans_committed, stats.dropped_ring_full, stats.dropped_reentrant,
         stats.dropped_too_deep, stats.dropped_no_slot, status.dropped_shutdown, status.unacknowledged_bytes,
         reader.counters.spans_read, reader.counters.corrupt_records, reader.counters.unknown_records,
         reader.counters.corrupt_resource);
    weft_reader_close(&reader);
    unlink(copy_path);
    return g;
}

/* --------------------------------------------------------------- main */

static int write_file(const char *path, const void *data, size_t length) {
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, length, f) != length) {
        fprintf(stderr, "weft-vectors: cannot write %s\n", path);
        return 1;
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[1], "write") != 0 && strcmp(argv[1], "check") != 0)) {
        fprintf(stderr, "usage: weft-vectors write|check DIR\n");
        return 2;
    }
    const bool check = strcmp(argv[1], "check") == 0;
    char work_dir[] = "/dev/shm/weft-vectors-XXXXXX";
    if (mkdtemp(work_dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    int failures = 0, passed = 0;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const vector_t *v = &vectors[i];
        generated_t g = generate(v, work_dir);
        char seg_path[4096], json_path[4096];
        snprintf(seg_path, sizeof seg_path, "%s/%s.seg", argv[2], v->name);
        snprintf(json_path, sizeof json_path, "%s/%s.expected.json", argv[2], v->name);
        if (!check) {
            failures += write_file(seg_path, g.seg, g.seg_length) + write_file(json_path, g.json.data, g.json.length);
            printf("wrote %s (%zu bytes) and its expected JSON\n", seg_path, g.seg_length);
        } else {
            uint8_t *seg = NULL, *json = NULL;
            size_t seg_length = 0, json_length = 0;
            bool same = copy_file_bytes(seg_path, &seg, &seg_length) == 0 &&
                        copy_file_bytes(json_path, &json, &json_length) == 0 && seg_length == g.seg_length &&
                        memcmp(seg, g.seg, seg_length) == 0 && json_length == g.json.length &&
                        memcmp(json, g.json.data, json_length) == 0;
            printf("[ %s ] vectors.%s\n", same ? " OK " : "FAIL", v->name);
            if (!same) {
                fprintf(stderr, "%s or its expected JSON differs from what the writer and reader produce now: if the "
                                "ABI changed on purpose, run 'weft-vectors write %s' and review the diff\n",
                        seg_path, argv[2]);
                failures++;
            } else {
                passed++;
            }
            free(seg);
            free(json);
        }
        free(g.seg);
        free(g.json.data);
    }
    rmdir(work_dir);
    if (check) {
        printf("vectors: %d passed, %d failed\n", passed, failures);
    }
    return failures == 0 ? 0 : 1;
}
