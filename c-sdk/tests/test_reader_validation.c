/*
 * test_reader_validation.c - the reference reader against every row of the
 * validation table in docs/shm-abi.md: one field of a real segment set just
 * inside or just outside its accepted range, and what the reader must do
 * (refuse the segment with an errno, resynchronise the slot, count the
 * record corrupt or unknown, skip a frame, or read everything as usual).
 *
 * Rows name the table's field and offset, so the table and this file can be
 * compared line by line; the Java reader is tested against the same table.
 */
#include "segment_image.h"

#include <stddef.h>

typedef enum { AT_HEADER, AT_SLOT, AT_RECORD0, AT_FRAME0, AT_ITEM, AT_RESOURCE, AT_RESOURCE_ITEM } where_t;
typedef enum { LIT, SIZE_PLUS, TAIL_PLUS, EUID_PLUS, RESOURCE_LENGTH_PLUS, RESOURCE_ATTRS_PLUS } value_kind_t;

typedef struct {
    where_t where;
    uint8_t tag; /* AT_ITEM: the item's tag in record 0, and which one of that tag */
    uint8_t nth;
    uint32_t offset;
    int width;
    value_kind_t kind;
    int64_t value;
} write_t;

/* The image reads as: 3 spans from the ring, 1 open span in frame 0, nothing corrupt or unknown. */
#define READ_ALL 0, 3, 0, 0, 1, NULL, 0
#define R0_CORRUPT 0, 2, 1, 0, 1, NULL, 0 /* record 0 dropped and counted, the other two read */
#define RESYNC 0, 0, 1, 0, 1, NULL, 0     /* the slot's records lost and counted once */
#define REFUSED(e) (e), 0, 0, 0, 0, NULL, 0
#define REFUSED_BECAUSE(e, words) (e), 0, 0, 0, 0, (words), 0 /* errno shared with other rules: these words name it */

typedef struct {
    const char *rule;
    write_t writes[2];
    int rc;
    uint64_t spans, corrupt, unknown;
    size_t open;
    const char *error_has; /* refusals whose errno other rules share: the words that name this rule */
    int resource_rc;       /* 1.1: weft_reader_resource's verdict when the segment is read (0: valid) */
} row_t;

#define H(field, width, kind, v) {AT_HEADER, 0, 0, offsetof(weft_abi_header_t, field), width, kind, v}
#define S(field, width, kind, v) {AT_SLOT, 0, 0, offsetof(weft_abi_slot_t, field), width, kind, v}
#define REC(offset, width, v) {AT_RECORD0, 0, 0, offset, width, LIT, v}
#define FRAME(offset, width, v) {AT_FRAME0, 0, 0, offset, width, LIT, v}
#define ITEM(tag, nth, offset, width, v) {AT_ITEM, tag, nth, offset, width, LIT, v}
#define RES(offset, width, kind, v) {AT_RESOURCE, 0, 0, offset, width, kind, v}
#define RES_ITEM(nth, offset, width, v) {AT_RESOURCE_ITEM, 0, nth, offset, width, LIT, v}
/* The Resource alone is refused (counted in corrupt_resource); the spans read as usual. */
#define RESOURCE_BAD 0, 3, 0, 0, 1, NULL, -EBADMSG

static const row_t rows[] = {
    {"baseline: the segment as written", {{0}}, READ_ALL},
    /* ---- segment header: refuse the segment */
    {"magic (0, u64) != WEFTSHM", {H(magic, 8, LIT, 0)}, REFUSED(-EBADMSG)},
    {"version_major (8, u16) = 0", {H(version_major, 2, LIT, 0)}, REFUSED(-EPROTO)},
    {"version_major (8, u16) = 2", {H(version_major, 2, LIT, 2)}, REFUSED(-EPROTO)},
    {"version_minor (10, u16) = 65535 is accepted", {H(version_minor, 2, LIT, 65535)}, READ_ALL},
    {"byte_order_mark (24, u32) swapped", {H(byte_order_mark, 4, LIT, 0x04030201)}, REFUSED(-EBADMSG)},
    {"creator_uid (36, u32) not ours", {H(creator_uid, 4, EUID_PLUS, 1)}, REFUSED(-EPERM)},
    {"segment_size (16, u64) = file size - 8", {H(segment_size, 8, SIZE_PLUS, -8)}, REFUSED(-EBADMSG)},
    {"segment_size (16, u64) = file size + 8", {H(segment_size, 8, SIZE_PLUS, 8)}, REFUSED(-EBADMSG)},
    {"header_size (12, u32) = 3967", {H(header_size, 4, LIT, 3967)}, REFUSED(-EBADMSG)},
    {"header_size (12, u32) = 3968 is accepted (the Resource at 4096 is then outside it)",
     {H(header_size, 4, LIT, 3968)}, RESOURCE_BAD},
    {"header_size (12, u32) > slots_offset", {H(header_size, 4, LIT, 8200)}, REFUSED(-EBADMSG)},
    {"slots_offset (80, u64) < header_size", {H(slots_offset, 8, LIT, 8184)}, REFUSED(-EBADMSG)},
    {"slots_offset (80, u64) not a multiple of 8", {H(slots_offset, 8, LIT, 8196)}, REFUSED_BECAUSE(-EBADMSG, "multiples of 8")},
    {"slots_offset (80, u64) beyond the file", {H(slots_offset, 8, SIZE_PLUS, 4096)}, REFUSED_BECAUSE(-EBADMSG, "do not fit")},
    {"slots_offset (80, u64) near 2^64", {H(slots_offset, 8, LIT, -8)}, REFUSED_BECAUSE(-EBADMSG, "do not fit")},
    {"slot_header_size (76, u32) = 504", {H(slot_header_size, 4, LIT, 504)}, REFUSED(-EBADMSG)},
    {"slot_header_size (76, u32) not a multiple of 8", {H(slot_header_size, 4, LIT, 516)}, REFUSED_BECAUSE(-EBADMSG, "multiples of 8")},
    {"slot_count (72, u32) = 0", {H(slot_count, 4, LIT, 0)}, REFUSED(-EBADMSG)},
    {"slot_count (72, u32) = 65537", {H(slot_count, 4, LIT, 65537)}, REFUSED_BECAUSE(-EBADMSG, "65536")},
    {"slot_count (72, u32) = 3: more than the file holds", {H(slot_count, 4, LIT, 3)}, REFUSED_BECAUSE(-EBADMSG, "do not fit")},
    {"stack_depth (96, u32) = 0", {H(stack_depth, 4, LIT, 0)}, REFUSED(-EBADMSG)},
    {"stack_depth (96, u32) = 257", {H(stack_depth, 4, LIT, 257)}, REFUSED(-EBADMSG)},
    {"frame_size (100, u32) = 511", {H(frame_size, 4, LIT, 511)}, REFUSED(-EBADMSG)},
    {"frame_size (100, u32) not a multiple of 8", {H(frame_size, 4, LIT, 516)}, REFUSED(-EBADMSG)},
    {"frame_size (100, u32) = 32776", {H(frame_size, 4, LIT, 32776)}, REFUSED(-EBADMSG)},
    {"ring_capacity (104, u32) = 0", {H(ring_capacity, 4, LIT, 0)}, REFUSED(-EBADMSG)},
    {"ring_capacity (104, u32) not a power of two", {H(ring_capacity, 4, LIT, 3000)}, REFUSED(-EBADMSG)},
    {"ring_capacity (104, u32) < 2 * frame_size", {H(ring_capacity, 4, LIT, 512)}, REFUSED(-EBADMSG)},
    {"ring_capacity (104, u32) too big for slot_stride", {H(ring_capacity, 4, LIT, 8192)}, REFUSED_BECAUSE(-EBADMSG, "do not fit")},
    {"slot_stride (88, u64) not a multiple of 8", {H(slot_stride, 8, LIT, 8196)}, REFUSED_BECAUSE(-EBADMSG, "multiples of 8")},
    {"slot_stride (88, u64) < slot header + frames + ring", {H(slot_stride, 8, LIT, 6648)}, REFUSED_BECAUSE(-EBADMSG, "do not fit")},
    {"slot_stride (88, u64): slots past the file", {H(slot_stride, 8, LIT, 16384)}, REFUSED_BECAUSE(-EBADMSG, "do not fit")},
    {"slot_stride (88, u64) near 2^64", {H(slot_stride, 8, LIT, -8)}, REFUSED(-EBADMSG)},
    /* ---- segment header: accepted as anything */
    {"state (28, u32) = 7 is accepted", {H(state, 4, LIT, 7)}, READ_ALL},
    {"creator_pid (32, u32) any", {H(creator_pid, 4, LIT, 0xFFFFFFFF)}, READ_ALL},
    {"max_name_length (108, u16) any", {H(max_name_length, 2, LIT, 0)}, READ_ALL},
    {"dropped_no_slot (120, u64) any", {H(dropped_no_slot, 8, LIT, -1)}, READ_ALL},
    {"scope_count (116, u32) = 1000 is clamped to 16", {H(scope_count, 4, LIT, 1000)}, READ_ALL},
    {"scope_count (116, u32) = 0: every scope_index is out of range", {H(scope_count, 4, LIT, 0)}, 0, 0, 3, 0, 0, NULL, 0},
    /* ---- 1.1 header words: any value is read as given (what they mean is the collectors' business) */
    {"lease_owner (128, u64) any", {H(lease_owner, 8, LIT, -1)}, READ_ALL},
    {"lease_heartbeat_unix_nanos (136, u64) any", {H(lease_heartbeat_unix_nanos, 8, LIT, -1)}, READ_ALL},
    {"fence (144, u32) any", {H(fence, 4, LIT, 7)}, READ_ALL},
    {"state (28, u32) = 3 RECOVERED is accepted", {H(state, 4, LIT, WEFT_ABI_SEGMENT_RECOVERED)}, READ_ALL},
    /* ---- 1.1 RESOURCE record location: a bad one is not used and counted; the segment is read */
    {"resource_offset, resource_length (152, 156) = 0, 0: no Resource",
     {H(resource_offset, 4, LIT, 0), H(resource_length, 4, LIT, 0)}, 0, 3, 0, 0, 1, NULL, -ENOENT},
    {"resource_offset (152, u32) = 0 with a length", {H(resource_offset, 4, LIT, 0)}, RESOURCE_BAD},
    {"resource_offset (152, u32) < 4096", {H(resource_offset, 4, LIT, 4088)}, RESOURCE_BAD},
    {"resource_offset (152, u32) not a multiple of 8", {H(resource_offset, 4, LIT, 4100)}, RESOURCE_BAD},
    {"resource_offset + resource_length > header_size", {H(resource_offset, 4, LIT, 8184)}, RESOURCE_BAD},
    {"resource_offset (152, u32) near 2^32", {H(resource_offset, 4, LIT, 0xFFFFFFF8)}, RESOURCE_BAD},
    {"resource_length (156, u32) = 0 with an offset", {H(resource_length, 4, LIT, 0)}, RESOURCE_BAD},
    {"resource_length (156, u32) < 16", {H(resource_length, 4, LIT, 8)}, RESOURCE_BAD},
    {"resource_length (156, u32) > 4096", {H(resource_length, 4, LIT, 4104)}, RESOURCE_BAD},
    {"resource_length (156, u32) != the record's length", {H(resource_length, 4, RESOURCE_LENGTH_PLUS, 8)}, RESOURCE_BAD},
    /* ---- 1.1 RESOURCE record (offsets from the record) */
    {"RESOURCE length (0, u32) != resource_length", {RES(0, 4, RESOURCE_LENGTH_PLUS, -4)}, RESOURCE_BAD},
    {"RESOURCE type (4, u16) = 1", {RES(4, 2, LIT, 1)}, RESOURCE_BAD},
    {"RESOURCE fixed_size (6, u16) = 8", {RES(6, 2, LIT, 8)}, RESOURCE_BAD},
    {"RESOURCE fixed_size (6, u16) > length", {RES(6, 2, LIT, 4000)}, RESOURCE_BAD},
    {"RESOURCE fixed_size (6, u16) = 24: bytes 16..24 skipped, the items misread", {RES(6, 2, LIT, 24)}, RESOURCE_BAD},
    {"RESOURCE attr_count (8, u16) one more than the items", {RES(8, 2, RESOURCE_ATTRS_PLUS, 1)}, RESOURCE_BAD},
    {"RESOURCE attr_count (8, u16) one fewer than the items", {RES(8, 2, RESOURCE_ATTRS_PLUS, -1)}, RESOURCE_BAD},
    {"RESOURCE dropped_attr_count (10, u16) any", {RES(10, 2, LIT, 65535)}, READ_ALL},
    {"RESOURCE reserved (12, u32) any", {RES(12, 4, LIT, 0xFFFFFFFF)}, READ_ALL},
    {"RESOURCE item length (+2, u16) < 4", {RES_ITEM(0, 2, 2, 3)}, RESOURCE_BAD},
    {"RESOURCE item length (+2, u16) past the record", {RES_ITEM(1, 2, 2, 0xFFFF)}, RESOURCE_BAD},
    {"RESOURCE attribute key_length (+4, u16) past the item", {RES_ITEM(0, 4, 2, 0xFFFF)}, RESOURCE_BAD},
    {"RESOURCE int64 value (process.pid) not 8 bytes", {RES_ITEM(1, 2, 2, 20)}, RESOURCE_BAD},
    {"RESOURCE item with an unknown tag (99): skipped, not an attribute",
     {RES_ITEM(0, 0, 1, 99), RES(8, 2, RESOURCE_ATTRS_PLUS, -1)}, READ_ALL},
    /* ---- slot positions: resynchronise the slot, count 1 corrupt */
    {"head = tail, both misaligned: nothing to read",
     {S(head, 8, TAIL_PLUS, 3), S(tail, 8, TAIL_PLUS, 3)}, 0, 0, 0, 0, 1, NULL, 0},
    {"head (256, u64) not a multiple of 8", {S(head, 8, LIT, 4)}, RESYNC},
    {"tail (128, u64) not a multiple of 8", {S(tail, 8, TAIL_PLUS, 4)}, RESYNC},
    {"tail (128, u64) < head", {S(head, 8, TAIL_PLUS, 8), S(tail, 8, TAIL_PLUS, 0)}, RESYNC},
    {"tail - head > ring_capacity", {S(tail, 8, LIT, 4104)}, RESYNC},
    {"tail wrapped past 2^64 (tail < head, tail - head mod 2^64 small)",
     {S(head, 8, LIT, -16), S(tail, 8, TAIL_PLUS, -16)}, RESYNC},
    {"positions near 2^64, consistent: read as usual",
     {S(head, 8, LIT, -8192), S(tail, 8, TAIL_PLUS, -8192)}, READ_ALL},
    /* ---- slot frames */
    {"depth (12, u32) > stack_depth: 1 corrupt, clamped", {S(depth, 4, LIT, 5)}, 0, 3, 1, 0, 1, NULL, 0},
    {"state (0, u32) not ACTIVE: frames not read", {S(state, 4, LIT, WEFT_ABI_SLOT_RELEASED)}, 0, 3, 0, 0, 0, NULL, 0},
    /* ---- 1.1 slot words: read as given; a consumer starts at head whatever read_position says */
    {"dropped_shutdown (168, u64) any", {S(dropped_shutdown, 8, LIT, -1)}, READ_ALL},
    {"last_end_unix_nanos (176, u64) any", {S(last_end_unix_nanos, 8, LIT, -1)}, READ_ALL},
    {"read_position (264, u64) inside [head, tail]", {S(read_position, 8, TAIL_PLUS, -8)}, READ_ALL},
    {"read_position (264, u64) past tail: ignored", {S(read_position, 8, TAIL_PLUS, 4096)}, READ_ALL},
    {"read_position (264, u64) not a multiple of 8: ignored", {S(read_position, 8, LIT, 3)}, READ_ALL},
    /* ---- record header in the ring */
    {"length (0, u32) = 0: framing lost", {REC(0, 4, 0)}, RESYNC},
    {"length (0, u32) = 7: framing lost", {REC(0, 4, 7)}, RESYNC},
    {"length (0, u32) = 0xFFFFFFFF: framing lost", {REC(0, 4, 0xFFFFFFFF)}, RESYNC},
    {"length (0, u32) = 0xFFFFFFF9 (align8 wraps in 32 bits): framing lost", {REC(0, 4, 0xFFFFFFF9)}, RESYNC},
    {"length (0, u32) past tail: framing lost", {REC(0, 4, 4000)}, RESYNC},
    {"type (4, u16) = 99: unknown, skipped", {REC(4, 2, 99)}, 0, 2, 0, 1, 1, NULL, 0},
    {"type (4, u16) = 3 CONTEXT in a ring: unknown, skipped", {REC(4, 2, 3)}, 0, 2, 0, 1, 1, NULL, 0},
    {"type (4, u16) = 2 PADDING short of the ring's end: corrupt", {REC(4, 2, 2)}, R0_CORRUPT},
    /* ---- span fixed part */
    {"fixed_size (6, u16) = 79", {REC(6, 2, 79)}, R0_CORRUPT},
    {"fixed_size (6, u16) + 2 > length", {REC(6, 2, 4000)}, R0_CORRUPT},
    {"trace_id (8, 16 bytes) all zero", {REC(8, 8, 0), REC(16, 8, 0)}, R0_CORRUPT},
    {"span_id (24, 8 bytes) all zero", {REC(24, 8, 0)}, R0_CORRUPT},
    {"valid (32, u8) any", {REC(32, 1, 0)}, READ_ALL},
    {"trace_flags (33, u8) any", {REC(33, 1, 0xFF)}, READ_ALL},
    {"kind (36, u8) = 0", {REC(36, 1, 0)}, R0_CORRUPT},
    {"kind (36, u8) = 6", {REC(36, 1, 6)}, R0_CORRUPT},
    {"kind (36, u8) = 5 is accepted", {REC(36, 1, 5)}, READ_ALL},
    {"status_code (37, u8) = 3", {REC(37, 1, 3)}, R0_CORRUPT},
    {"flags (38, u8) any", {REC(38, 1, 0xFF)}, READ_ALL},
    {"end_unix_nanos (56, u64) = 0 in the ring", {REC(56, 8, 0)}, R0_CORRUPT},
    {"end_unix_nanos (56, u64) < start_unix_nanos", {REC(48, 8, -1)}, R0_CORRUPT},
    {"scope_index (68, u16) >= scope_count", {REC(68, 2, 1)}, R0_CORRUPT},
    {"attr_count (70, u16) more than the items", {REC(70, 2, 5)}, R0_CORRUPT},
    {"event_count (72, u16) fewer than the items", {REC(72, 2, 0)}, R0_CORRUPT},
    {"dropped_attr_count (74, u16) any", {REC(74, 2, 65535)}, READ_ALL},
    {"name_length (80, u16) past the record", {REC(80, 2, 0xFFFF)}, R0_CORRUPT},
    /* ---- items */
    {"item length (+2, u16) < 4", {ITEM(1, 0, 2, 2, 3)}, R0_CORRUPT},
    {"item length (+2, u16) past the record", {ITEM(1, 0, 2, 2, 0xFFFF)}, R0_CORRUPT},
    {"attribute key_length (+4, u16) past the item", {ITEM(1, 0, 4, 2, 0xFFFF)}, R0_CORRUPT},
    {"bool value (+7, u8) = 2", {ITEM(2, 0, 7, 1, 2)}, R0_CORRUPT},
    {"int64 value not 8 bytes", {ITEM(3, 0, 2, 2, 16)}, R0_CORRUPT},
    {"double value not 8 bytes", {ITEM(4, 0, 2, 2, 14)}, R0_CORRUPT},
    {"event length (+2, u16) != 24 + name_length (longer)", {ITEM(16, 0, 4, 2, 0)}, R0_CORRUPT},
    {"event attr_count (+6, u16) more than follow", {ITEM(16, 0, 6, 2, 2)}, R0_CORRUPT},
    {"event attr_count (+6, u16) fewer than follow", {ITEM(16, 0, 6, 2, 0)}, R0_CORRUPT},
    {"unknown tag where an event attribute is due", {ITEM(3, 1, 0, 1, 99)}, R0_CORRUPT},
    {"unknown tag (99) elsewhere: skipped", {ITEM(32, 0, 0, 1, 99)}, READ_ALL},
    /* ---- frames (open spans): a failing frame is skipped, not counted, except its length */
    {"frame type (4, u16) = 3 CONTEXT: not a span", {FRAME(4, 2, 3)}, 0, 3, 0, 0, 0, NULL, 0},
    {"frame length (0, u32) > frame_size: 1 corrupt", {FRAME(0, 4, 600)}, 0, 3, 1, 0, 0, NULL, 0},
    {"frame length (0, u32) < 8: 1 corrupt", {FRAME(0, 4, 4)}, 0, 3, 1, 0, 0, NULL, 0},
    {"frame span kind (36, u8) = 0: skipped", {FRAME(36, 1, 0)}, 0, 3, 0, 0, 0, NULL, 0},
    {"frame span end (56, u64) < start: skipped", {FRAME(56, 8, 1)}, 0, 3, 0, 0, 0, NULL, 0},
};

static uint8_t *target_of(const weft_test_image_t *image, const write_t *w) {
    switch (w->where) {
    case AT_HEADER: return image->bytes + w->offset;
    case AT_SLOT: return (uint8_t *)weft_test_image_slot(image) + w->offset;
    case AT_RECORD0: return weft_test_image_record(image, 0) + w->offset;
    case AT_FRAME0: return weft_test_image_frame(image, 0) + w->offset;
    case AT_ITEM: {
        uint8_t *item = weft_test_record_item(weft_test_image_record(image, 0), w->tag, w->nth);
        return item != NULL ? item + w->offset : NULL;
    }
    case AT_RESOURCE: return weft_test_image_resource(image) + w->offset;
    case AT_RESOURCE_ITEM: {
        uint8_t *item = weft_test_resource_item(weft_test_image_resource(image), w->nth);
        return item != NULL ? item + w->offset : NULL;
    }
    }
    return NULL;
}

static void every_row_of_the_validation_table(void) {
    weft_test_image_t image = weft_test_image();
    const uint64_t tail = weft_test_image_slot(&image)->tail;
    CHECK(tail > 0 && tail < 4096);
    CHECK_EQ(weft_test_image_header(&image)->resource_offset, WEFT_ABI_RESOURCE_OFFSET);
    CHECK(weft_test_image_resource(&image)[4] == WEFT_ABI_RECORD_RESOURCE);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const row_t *row = &rows[i];
        weft_test_image_t copy = weft_test_image_copy(&image);
        for (int k = 0; k < 2 && row->writes[k].width != 0; k++) {
            const write_t *w = &row->writes[k];
            uint64_t value = (uint64_t)w->value;
            if (w->kind == SIZE_PLUS) {
                value += copy.size;
            } else if (w->kind == TAIL_PLUS) {
                value += tail;
            } else if (w->kind == EUID_PLUS) {
                value += geteuid();
            } else if (w->kind == RESOURCE_LENGTH_PLUS) {
                value += weft_test_image_header(&image)->resource_length;
            } else if (w->kind == RESOURCE_ATTRS_PLUS) {
                uint16_t attrs;
                memcpy(&attrs, weft_test_image_resource(&image) + WEFT_ABI_RESOURCE_ATTR_COUNT_OFFSET, 2);
                value += attrs;
            }
            uint8_t *at = target_of(&copy, w);
            CHECK(at != NULL);
            if (at != NULL) {
                weft_test_put(at, value, w->width);
            }
        }
        weft_test_read_t got = weft_test_image_read(&copy);
        int before = weft_test_failures;
        CHECK_EQ(got.rc, row->rc);
        CHECK_EQ(got.spans_read, row->spans);
        CHECK_EQ(got.corrupt, row->corrupt);
        CHECK_EQ(got.unknown, row->unknown);
        CHECK_EQ(got.open, row->open);
        if (row->rc != 0) {
            CHECK(strlen(got.error) > 0);
        }
        if (row->error_has != NULL) {
            CHECK(strstr(got.error, row->error_has) != NULL);
        }
        if (row->rc == 0) {
            CHECK_EQ(got.resource_rc, row->resource_rc);
            CHECK_EQ(got.corrupt_resource, row->resource_rc == -EBADMSG ? 1 : 0);
        }
        if (weft_test_failures != before) {
            fprintf(stderr, "  ^ row %zu: %s (error: %s)\n", i, row->rule, got.error);
        }
        weft_test_image_free(&copy);
    }
    weft_test_image_free(&image);
}

int main(void) {
    static const weft_test_case_t cases[] = {
        TEST_CASE(every_row_of_the_validation_table),
    };
    return weft_test_run("reader_validation", cases, sizeof cases / sizeof cases[0]);
}
