/*
 * test_ring.c - the ring: exact drop counts when full, wrap-around with
 * padding records, and every record intact across many wraps.
 */
#include "weft_test.h"

/* A span named "s" with one int64 attribute: 80 + 2 + 1 + (6 + 3 + 8) = 100 bytes, 104 in the ring. */
static void record(weft_tracer_t *tracer, int64_t seq) {
    weft_span_t *span = weft_span_begin(tracer, "s", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_int64(span, "seq", seq);
    weft_span_end(span);
}

static int64_t seq_of(const weft_test_span_t *s) {
    for (int i = 0; i < s->item_count; i++) {
        if (strcmp(s->strings[i], "seq") == 0) {
            return s->items[i].int64_value;
        }
    }
    return -1;
}

/** The one slot this test's thread wrote to. */
static weft_abi_slot_t *used_slot(const weft_reader_t *reader) {
    for (uint32_t s = 0; s < reader->slot_count; s++) {
        weft_abi_slot_t *slot =
            (weft_abi_slot_t *)(void *)(reader->base + reader->slots_offset + s * reader->slot_stride);
        if (slot->tail != 0) {
            return slot;
        }
    }
    return NULL;
}

static void a_full_ring_drops_exactly_what_does_not_fit(void) {
    weft_config_t config = weft_test_config();
    config.frame_size = 512;
    config.ring_size = 4096;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    const int fits = 4096 / 104; /* 39 records of 104 bytes */
    for (int i = 0; i < 100; i++) {
        record(tracer, i);
    }
    weft_stats_t stats;
    weft_get_stats(&stats);
    CHECK_EQ(stats.spans_committed, fits);
    CHECK_EQ(stats.dropped_ring_full, 100 - fits);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), fits);
    for (int i = 0; i < (int)spans.count; i++) {
        CHECK_EQ(seq_of(&spans.spans[i]), i); /* the first ones are kept, in order */
    }
    CHECK_EQ(reader->counters.corrupt_records, 0);
    weft_test_spans_free(&spans);

    /* once drained, there is room again */
    record(tracer, 1000);
    CHECK_EQ(weft_test_drain(reader, &spans), 1);
    CHECK_EQ(seq_of(&spans.spans[0]), 1000);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void records_survive_many_wraps(void) {
    weft_config_t config = weft_test_config();
    config.frame_size = 512;
    config.ring_size = 4096;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    /* 7 records per drain: 728 bytes; 4096 is not a multiple, so wraps need padding */
    int64_t next = 0, expected = 0;
    weft_test_spans_t spans = {0};
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 7; i++) {
            record(tracer, next++);
        }
        weft_test_drain(reader, &spans);
    }
    CHECK_EQ(spans.count, 1400);
    for (size_t i = 0; i < spans.count; i++) {
        CHECK_EQ(seq_of(&spans.spans[i]), expected++);
    }
    weft_stats_t stats;
    weft_get_stats(&stats);
    CHECK_EQ(stats.spans_committed, 1400);
    CHECK_EQ(stats.dropped_ring_full, 0);
    CHECK_EQ(reader->counters.corrupt_records, 0);
    CHECK_EQ(reader->counters.unknown_records, 0);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void a_record_never_straddles_the_end(void) {
    weft_config_t config = weft_test_config();
    config.frame_size = 512;
    config.ring_size = 1024;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    weft_test_spans_t spans = {0};
    /* 9 x 104 = 936: the 10th (at 936, 88 bytes to the end) must wrap behind a padding record */
    for (int i = 0; i < 9; i++) {
        record(tracer, i);
    }
    CHECK_EQ(weft_test_drain(reader, &spans), 9);
    record(tracer, 9);
    weft_abi_slot_t *slot = used_slot(reader);
    CHECK(slot != NULL);
    if (slot != NULL) {
        CHECK_EQ(slot->tail, 1024 + 104);
        const uint8_t *ring = (const uint8_t *)slot + 512 + (size_t)config.stack_depth * config.frame_size;
        weft_abi_record_header_t padding;
        memcpy(&padding, ring + 936, sizeof padding);
        CHECK_EQ(padding.type, WEFT_ABI_RECORD_PADDING);
        CHECK_EQ(padding.length, 88);
    }
    CHECK_EQ(weft_test_drain(reader, &spans), 1);
    CHECK_EQ(seq_of(&spans.spans[9]), 9);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void the_reader_rejects_corruption_and_moves_on(void) {
    weft_config_t config = weft_test_config();
    config.frame_size = 512;
    config.ring_size = 4096;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    for (int i = 0; i < 3; i++) {
        record(tracer, i);
    }
    weft_abi_slot_t *slot = used_slot(reader);
    CHECK(slot != NULL);
    if (slot == NULL) {
        return;
    }
    uint8_t *ring = (uint8_t *)slot + 512 + (size_t)config.stack_depth * config.frame_size;
    /* record 2: an attribute count that does not match its items -> that record alone is dropped */
    ((weft_abi_span_t *)(void *)(ring + 104))->attr_count = 9;
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 2);
    CHECK_EQ(reader->counters.corrupt_records, 1);
    CHECK_EQ(seq_of(&spans.spans[1]), 2);

    /* a length that runs past the tail loses the framing: the rest of that ring is skipped */
    for (int i = 0; i < 3; i++) {
        record(tracer, 10 + i);
    }
    uint32_t huge = 100000;
    memcpy(ring + 312, &huge, 4);
    CHECK_EQ(weft_test_drain(reader, &spans), 0);
    CHECK_EQ(reader->counters.corrupt_records, 2);
    CHECK_EQ(slot->head, slot->tail);

    /* an unknown record type is skipped by its length and counted */
    for (int i = 0; i < 2; i++) {
        record(tracer, 20 + i);
    }
    uint16_t unknown = 77;
    memcpy(ring + ((624) & 4095) + 4, &unknown, 2);
    CHECK_EQ(weft_test_drain(reader, &spans), 1);
    CHECK_EQ(reader->counters.unknown_records, 1);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

int main(void) {
    static const weft_test_case_t cases[] = {
        TEST_CASE(a_full_ring_drops_exactly_what_does_not_fit),
        TEST_CASE(records_survive_many_wraps),
        TEST_CASE(a_record_never_straddles_the_end),
        TEST_CASE(the_reader_rejects_corruption_and_moves_on),
    };
    return weft_test_run("ring", cases, sizeof cases / sizeof cases[0]);
}
