/*
 * weft-dump - print what a weft segment holds: its header (the creator and
 * whether it still runs, the collector holding the lease, the fence, the
 * creator's Resource), each slot's positions (what is unread, and what a
 * collector read without an acknowledgement: [head, read_position), which
 * the next collector exports again), the spans not yet read, the spans that
 * were open (for a crashed process, what it was doing when it died, with the
 * end time a recoverer gives them) and the counters.
 *
 * Strictly read-only: it opens the file O_RDONLY and reads it with pread into
 * a private copy (weft_reader_open_snapshot); it never maps it and never
 * writes a byte, so it moves no `head` or `read_position`: it may run beside
 * an attached collector, or on a crashed process's segment before its
 * recovery, and changes nothing (c-sdk/tests/test_tools_readonly.c). A file
 * truncated or replaced while it reads is refused with a message, never a crash.
 *
 *   weft-dump /dev/shm/weft-<pid>
 */
#define _GNU_SOURCE
#include <weft/weft_reader.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void print_hex(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }
}

static void print_item(const weft_item_view_t *item) {
    switch (item->tag) {
    case WEFT_ABI_ITEM_ATTR_STRING:
        printf(" %s%.*s=\"%.*s\"", item->in_event ? "  " : "", item->key_length, item->key, (int)item->string_length,
               item->string_value);
        break;
    case WEFT_ABI_ITEM_ATTR_BOOL:
        printf(" %.*s=%s", item->key_length, item->key, item->bool_value ? "true" : "false");
        break;
    case WEFT_ABI_ITEM_ATTR_INT64:
        printf(" %.*s=%" PRId64, item->key_length, item->key, item->int64_value);
        break;
    case WEFT_ABI_ITEM_ATTR_DOUBLE:
        printf(" %.*s=%g", item->key_length, item->key, item->double_value);
        break;
    case WEFT_ABI_ITEM_EVENT:
        printf(" event:%.*s", item->key_length, item->key);
        break;
    case WEFT_ABI_ITEM_STATUS_MESSAGE:
        printf(" status_message=\"%.*s\"", item->key_length, item->key);
        break;
    default:
        break;
    }
}

static void print_span(const weft_span_view_t *span, void *clientd) {
    const char *label = clientd;
    const weft_abi_span_t *f = span->fixed;
    printf("%s slot=%u tid=%u trace=", label, span->slot, f->tid);
    print_hex(f->ctx.trace_id, 16);
    printf(" span=");
    print_hex(f->ctx.span_id, 8);
    printf(" parent=");
    print_hex(f->parent_span_id, 8);
    printf(" name=\"%.*s\" kind=%u status=%u", span->name_length, span->name, f->kind, f->status_code);
    if (f->end_unix_nanos != 0) {
        printf(" duration_ns=%" PRIu64, f->end_unix_nanos - f->start_unix_nanos);
    } else {
        printf(" start_unix_ns=%" PRIu64 " (open) last_activity_unix_ns=%" PRIu64, f->start_unix_nanos,
               span->last_activity_unix_nanos);
    }
    weft_item_cursor_t cursor = {0};
    weft_item_view_t item;
    while (weft_item_next(span, &cursor, &item)) {
        print_item(&item);
    }
    printf("\n");
}

static const char *state_name(uint32_t state) {
    static const char *states[] = {"initializing", "live", "closed", "recovered"};
    return state < 4 ? states[state] : "unknown";
}

static void print_resource(const weft_reader_t *reader) {
    weft_resource_view_t resource;
    int rc = weft_reader_resource(reader, &resource);
    if (rc == -ENOENT) {
        printf("resource: none (written by an ABI 1.0 writer)\n");
        return;
    }
    if (rc != 0) {
        printf("resource: INVALID (the RESOURCE record failed validation: not used)\n");
        return;
    }
    printf("resource:");
    weft_item_cursor_t cursor = {0};
    weft_item_view_t item;
    while (weft_resource_item_next(&resource, &cursor, &item)) {
        print_item(&item);
    }
    printf(" (%u attributes, %u dropped)\n", resource.attr_count, resource.dropped_attr_count);
}

static void print_lease(const weft_segment_status_t *status) {
    if (status->lease_owner == 0) {
        printf("lease: none (no collector attached)\n");
        return;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    const uint64_t now_nanos = (uint64_t)now.tv_sec * UINT64_C(1000000000) + (uint64_t)now.tv_nsec;
    printf("lease: collector pid %u (start ticks %u), %s", status->lease_pid, status->lease_start_ticks_low,
           status->lease_holder_running ? "running" : "not running (a new collector takes it over)");
    if (status->lease_heartbeat_unix_nanos != 0 && status->lease_heartbeat_unix_nanos <= now_nanos) {
        printf(", heartbeat %.1f s ago", (double)(now_nanos - status->lease_heartbeat_unix_nanos) / 1e9);
    }
    printf("\n");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: weft-dump SEGMENT\n");
        return 2;
    }
    static weft_reader_t reader;
    char error[512];
    if (weft_reader_open_snapshot(&reader, argv[1], error, sizeof error) != 0) {
        fprintf(stderr, "weft-dump: %s\n", error);
        return 1;
    }
    const weft_abi_header_t *h = reader.header;
    weft_segment_status_t status;
    weft_reader_status(&reader, &status); /* before the drain below moves the copy's positions */
    printf("segment %s: abi %u.%u, creator pid %u (%s), state %s, %u slots, ring %u bytes, frame %u bytes\n", argv[1],
           h->version_major, h->version_minor, h->creator_pid,
           weft_reader_creator_alive(&reader) ? "running" : "not running", state_name(status.state), h->slot_count,
           h->ring_capacity, h->frame_size);
    print_lease(&status);
    printf("fence: %s\n", status.fence == 0 ? "open" : "closed (spans ended now are counted as dropped_shutdown)");
    print_resource(&reader);
    for (uint32_t s = 0; s < reader.slot_count; s++) {
        weft_slot_status_t slot;
        weft_reader_slot_status(&reader, s, &slot);
        if (slot.state == WEFT_ABI_SLOT_FREE && slot.tail == 0) {
            continue;
        }
        static const char *slot_states[] = {"free", "active", "released"};
        printf("slot %u: %s, tid %u, depth %u, head %" PRIu64 ", read_position %" PRIu64 ", tail %" PRIu64
               ", unread %" PRIu64 " bytes",
               s, slot.state < 3 ? slot_states[slot.state] : "unknown", slot.tid, slot.depth, slot.head,
               slot.read_position, slot.tail, slot.tail >= slot.head ? slot.tail - slot.head : 0);
        if (slot.read_position_valid && slot.read_position > slot.head) {
            printf(", possibly duplicated %" PRIu64 " bytes [head, read_position): read by a collector, not "
                   "acknowledged",
                   slot.read_position - slot.head);
        } else if (!slot.read_position_valid && slot.read_position != 0) {
            printf(", read_position outside [head, tail]: ignored");
        }
        printf(", last end %" PRIu64 ", dropped at shutdown %" PRIu64 "\n", slot.last_end_unix_nanos,
               slot.dropped_shutdown);
    }
    size_t read = weft_reader_drain(&reader, print_span, "span");
    size_t open = weft_reader_open_spans(&reader, print_span, "open");
    weft_stats_t stats;
    weft_reader_native_stats(&reader, &stats);
    printf("read %zu, open %zu, committed %" PRIu64 ", dropped: ring full %" PRIu64 ", reentrant %" PRIu64
           ", too deep %" PRIu64 ", no slot %" PRIu64 ", shutdown %" PRIu64 "; possibly duplicated %" PRIu64
           " bytes; corrupt %" PRIu64 ", unknown %" PRIu64 "\n",
           read, open, stats.spans_committed, stats.dropped_ring_full, stats.dropped_reentrant,
           stats.dropped_too_deep, stats.dropped_no_slot, status.dropped_shutdown, status.unacknowledged_bytes,
           reader.counters.corrupt_records, reader.counters.unknown_records);
    weft_reader_close(&reader);
    return 0;
}
