/*
 * weft-dump - print what a weft segment holds: its header, the spans not yet
 * read, the spans that were open (for a crashed process, what it was doing
 * when it died) and the counters. It reads a private copy of the file
 * (weft_reader_open_snapshot): it never writes the segment, so it may run
 * beside an attached collector, and a file truncated or replaced while it
 * reads is refused with a message, never a crash.
 *
 *   weft-dump /dev/shm/weft-<pid>
 */
#include <weft/weft_reader.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static void print_hex(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        printf("%02x", p[i]);
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
        printf(" start_unix_ns=%" PRIu64 " (open)", f->start_unix_nanos);
    }
    weft_item_cursor_t cursor = {0};
    weft_item_view_t item;
    while (weft_item_next(span, &cursor, &item)) {
        switch (item.tag) {
        case WEFT_ABI_ITEM_ATTR_STRING:
            printf(" %s%.*s=\"%.*s\"", item.in_event ? "  " : "", item.key_length, item.key, (int)item.string_length,
                   item.string_value);
            break;
        case WEFT_ABI_ITEM_ATTR_BOOL:
            printf(" %.*s=%s", item.key_length, item.key, item.bool_value ? "true" : "false");
            break;
        case WEFT_ABI_ITEM_ATTR_INT64:
            printf(" %.*s=%" PRId64, item.key_length, item.key, item.int64_value);
            break;
        case WEFT_ABI_ITEM_ATTR_DOUBLE:
            printf(" %.*s=%g", item.key_length, item.key, item.double_value);
            break;
        case WEFT_ABI_ITEM_EVENT:
            printf(" event:%.*s", item.key_length, item.key);
            break;
        case WEFT_ABI_ITEM_STATUS_MESSAGE:
            printf(" status_message=\"%.*s\"", item.key_length, item.key);
            break;
        default:
            break;
        }
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
    static const char *states[] = {"initializing", "live", "closed"};
    printf("segment %s: abi %u.%u, creator pid %u (%s), state %s, %u slots, ring %u bytes, frame %u bytes\n", argv[1],
           h->version_major, h->version_minor, h->creator_pid,
           weft_reader_creator_alive(&reader) ? "running" : "not running", h->state <= 2 ? states[h->state] : "?",
           h->slot_count, h->ring_capacity, h->frame_size);
    size_t read = weft_reader_drain(&reader, print_span, "span");
    size_t open = weft_reader_open_spans(&reader, print_span, "open");
    weft_stats_t stats;
    weft_reader_native_stats(&reader, &stats);
    printf("read %zu, open %zu, committed %" PRIu64 ", dropped: ring full %" PRIu64 ", reentrant %" PRIu64
           ", too deep %" PRIu64 ", no slot %" PRIu64 "; corrupt %" PRIu64 ", unknown %" PRIu64 "\n",
           read, open, stats.spans_committed, stats.dropped_ring_full, stats.dropped_reentrant,
           stats.dropped_too_deep, stats.dropped_no_slot, reader.counters.corrupt_records,
           reader.counters.unknown_records);
    weft_reader_close(&reader);
    return 0;
}
