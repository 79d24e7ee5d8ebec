/*
 * test_record.c - weft_span_record_n (a finished span in one call: fields, attributes of every
 * type, parents, the ring's wrap and full cases, a thread with every frame open) and the ids of
 * new spans (random.h: two draws for a root, non-zero, distinct, random low bits).
 */
#include "weft_test.h"

#include "random.h"

extern __thread weft_abi_thread_ctx_t *otel_thread_ctx_v1;

static const weft_item_view_t *item_named(const weft_test_span_t *s, const char *key_prefix) {
    for (int i = 0; i < s->item_count; i++) {
        if (strncmp(s->strings[i], key_prefix, strlen(key_prefix)) == 0) {
            return &s->items[i];
        }
    }
    return NULL;
}

static void a_recorded_span_has_every_field(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    const char value[] = {'h', '2', '6', '4', 'x'}; /* not NUL-terminated: string_length says 4 */
    weft_attr_n_t attrs[] = {
        {.key = "codec", .key_length = 5, .type = WEFT_ATTR_STRING, .value = {.string = value}, .string_length = 4},
        WEFT_ATTR_N_I64("frames", -42),
        WEFT_ATTR_N_F64("ratio", 0.25),
        WEFT_ATTR_N_BOOL("keyframe", true),
        WEFT_ATTR_N_STR("empty", ""),
        {.key = "nothing", .key_length = 7, .type = WEFT_ATTR_STRING, .value = {.string = NULL}, .string_length = 0},
        {.key = "bad-type", .key_length = 8, .type = 99, .value = {.int64 = 1}}, /* dropped, counted */
        {.key = NULL, .key_length = 3, .type = WEFT_ATTR_INT64, .value = {.int64 = 1}}, /* dropped, counted */
    };
    weft_span_record_n(tracer, "decodeXYZ", 6, WEFT_SPAN_KIND_CLIENT, 1000, 2500, attrs, 8);
    CHECK(otel_thread_ctx_v1 == NULL); /* never the current span */
    weft_context_t current;
    CHECK_EQ(weft_current_context(&current), -ENOENT);
    weft_span_record(tracer, "clamped", (weft_span_kind_t)42, 5000, 4000, NULL, 0);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 2);
    weft_test_span_t *s = &spans.spans[0];
    CHECK(strcmp(s->name, "decode") == 0);
    CHECK_EQ(s->fixed.header.type, WEFT_ABI_RECORD_SPAN);
    CHECK_EQ(s->fixed.kind, WEFT_SPAN_KIND_CLIENT);
    CHECK_EQ(s->fixed.status_code, WEFT_STATUS_UNSET);
    CHECK_EQ(s->fixed.flags, 0);
    CHECK_EQ(s->fixed.ctx.valid, 1);
    CHECK_EQ(s->fixed.ctx.trace_flags, 1);
    CHECK_EQ(s->fixed.start_unix_nanos, 1000);
    CHECK_EQ(s->fixed.end_unix_nanos, 2500);
    CHECK_EQ(s->fixed.tid, gettid());
    CHECK_EQ(s->fixed.attr_count, 6);
    CHECK_EQ(s->fixed.dropped_attr_count, 2);
    CHECK_EQ(s->fixed.event_count, 0);
    CHECK_EQ(s->fixed.truncated_count, 0);
    static const uint8_t zero[16] = {0};
    CHECK_MEM(s->fixed.parent_span_id, zero, 8);
    CHECK(memcmp(s->fixed.ctx.trace_id, zero, 16) != 0 && memcmp(s->fixed.ctx.span_id, zero, 8) != 0);
    const weft_item_view_t *item = item_named(s, "codec=h264");
    CHECK(item != NULL && item->tag == WEFT_ABI_ITEM_ATTR_STRING && item->string_length == 4);
    item = item_named(s, "frames");
    CHECK(item != NULL && item->tag == WEFT_ABI_ITEM_ATTR_INT64 && item->int64_value == -42);
    item = item_named(s, "ratio");
    CHECK(item != NULL && item->tag == WEFT_ABI_ITEM_ATTR_DOUBLE && item->double_value == 0.25);
    item = item_named(s, "keyframe");
    CHECK(item != NULL && item->tag == WEFT_ABI_ITEM_ATTR_BOOL && item->bool_value);
    item = item_named(s, "empty=");
    CHECK(item != NULL && item->tag == WEFT_ABI_ITEM_ATTR_STRING && item->string_length == 0);
    item = item_named(s, "nothing=");
    CHECK(item != NULL && item->tag == WEFT_ABI_ITEM_ATTR_STRING && item->string_length == 0);
    CHECK(item_named(s, "bad-type") == NULL);

    s = &spans.spans[1];
    CHECK(strcmp(s->name, "clamped") == 0);
    CHECK_EQ(s->fixed.kind, WEFT_ABI_KIND_INTERNAL); /* an unknown kind, as begin maps it */
    CHECK_EQ(s->fixed.start_unix_nanos, 5000);
    CHECK_EQ(s->fixed.end_unix_nanos, 5000); /* end before start: clamped */
    CHECK_EQ(s->fixed.attr_count, 0);
    CHECK(memcmp(s->fixed.ctx.trace_id, spans.spans[0].fixed.ctx.trace_id, 16) != 0); /* two roots */

    weft_span_record_n(NULL, "x", 1, WEFT_SPAN_KIND_INTERNAL, 1, 2, NULL, 0); /* NULL tracer: nothing */
    weft_span_record_n(tracer, NULL, 1, WEFT_SPAN_KIND_INTERNAL, 1, 2, NULL, 0);
    weft_span_record_n(tracer, "x", 1, WEFT_SPAN_KIND_INTERNAL, 1, 2, NULL, 3); /* NULL attrs, count 3 */
    weft_stats_t stats;
    CHECK_EQ(weft_get_stats(&stats), 0);
    CHECK_EQ(stats.spans_committed, 2);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    CHECK_EQ(weft_shutdown(), 0);
    weft_span_record(tracer, "after-shutdown", WEFT_SPAN_KIND_INTERNAL, 1, 2, NULL, 0); /* no-op, no fault */
}

static void a_recorded_span_is_a_child_of_the_current_span_or_context(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    weft_span_t *outer = weft_span_begin(tracer, "outer", WEFT_SPAN_KIND_SERVER);
    weft_context_t outer_ctx;
    CHECK_EQ(weft_span_context(outer, &outer_ctx), 0);
    uint64_t start = weft_now_unix_nanos();
    weft_span_record(tracer, "leaf", WEFT_SPAN_KIND_INTERNAL, start, weft_now_unix_nanos(), NULL, 0);
    CHECK(otel_thread_ctx_v1 != NULL && memcmp(otel_thread_ctx_v1->span_id, outer_ctx.span_id, 8) == 0);
    weft_span_end(outer);

    weft_context_t remote;
    CHECK_EQ(weft_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", 55, &remote), 0);
    int token = weft_context_attach(&remote);
    CHECK(token >= 0);
    weft_span_record(tracer, "under-remote", WEFT_SPAN_KIND_CONSUMER, 10, 20, NULL, 0);
    CHECK_EQ(weft_context_detach(token), 0);

    weft_context_t unsampled = remote;
    unsampled.trace_flags = 0;
    token = weft_context_attach(&unsampled);
    weft_span_record(tracer, "unsampled", WEFT_SPAN_KIND_INTERNAL, 10, 20, NULL, 0); /* not recorded */
    CHECK_EQ(weft_context_detach(token), 0);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 3);
    const weft_test_span_t *leaf = &spans.spans[0], *outer_record = &spans.spans[1], *child = &spans.spans[2];
    CHECK(strcmp(leaf->name, "leaf") == 0 && strcmp(outer_record->name, "outer") == 0);
    CHECK_MEM(leaf->fixed.ctx.trace_id, outer_ctx.trace_id, 16);
    CHECK_MEM(leaf->fixed.parent_span_id, outer_ctx.span_id, 8);
    CHECK(memcmp(leaf->fixed.ctx.span_id, outer_ctx.span_id, 8) != 0);
    CHECK_EQ(leaf->fixed.flags, 0);
    CHECK(leaf->fixed.start_unix_nanos >= outer_record->fixed.start_unix_nanos &&
          leaf->fixed.end_unix_nanos <= outer_record->fixed.end_unix_nanos);
    CHECK(strcmp(child->name, "under-remote") == 0);
    CHECK_MEM(child->fixed.ctx.trace_id, remote.trace_id, 16);
    CHECK_MEM(child->fixed.parent_span_id, remote.span_id, 8);
    CHECK_EQ(child->fixed.flags & WEFT_ABI_SPAN_PARENT_REMOTE, WEFT_ABI_SPAN_PARENT_REMOTE);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    CHECK_EQ(weft_shutdown(), 0);
}

/* "r" with an int64 "seq" and a string of `pad` bytes: varying sizes, so records end everywhere in the ring. */
static void record_seq(weft_tracer_t *tracer, int64_t seq, size_t pad) {
    char value[600];
    memset(value, 'a' + (int)(seq % 26), sizeof value);
    const weft_attr_n_t attrs[2] = {
        WEFT_ATTR_N_I64("seq", seq),
        {.key = "pad", .key_length = 3, .type = WEFT_ATTR_STRING, .value = {.string = value}, .string_length = pad}};
    weft_span_record(tracer, "r", WEFT_SPAN_KIND_INTERNAL, (uint64_t)seq, (uint64_t)seq + 1, attrs, 2);
}

static int64_t seq_of(const weft_test_span_t *s) {
    const weft_item_view_t *item = item_named(s, "seq");
    return item != NULL ? item->int64_value : -1;
}

static void recorded_spans_wrap_the_ring_intact_and_a_full_ring_counts_drops(void) {
    weft_config_t config = weft_test_config(); /* 64 KiB ring, 1 KiB frames */
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();

    /* many wraps, drained often: every record arrives, in order, with its attributes */
    int64_t next = 0, expected = 0;
    weft_test_spans_t spans = {0};
    for (int round = 0; round < 60; round++) {
        for (int i = 0; i < 100; i++, next++) {
            record_seq(tracer, next, (size_t)(next * 37 % 500));
        }
        CHECK_EQ(weft_test_drain(reader, &spans), 100);
        for (size_t i = 0; i < spans.count; i++, expected++) {
            CHECK_EQ(seq_of(&spans.spans[i]), expected);
            const weft_item_view_t *pad = item_named(&spans.spans[i], "pad=");
            CHECK(pad != NULL && pad->string_length == (uint32_t)(expected * 37 % 500));
            CHECK_EQ(spans.spans[i].fixed.start_unix_nanos, (uint64_t)expected);
        }
        weft_test_spans_free(&spans);
    }

    /* without a drain the ring fills: what does not fit is counted, what was committed decodes */
    weft_stats_t before, after;
    CHECK_EQ(weft_get_stats(&before), 0);
    for (int i = 0; i < 2000; i++) {
        record_seq(tracer, next++, 200);
    }
    CHECK_EQ(weft_get_stats(&after), 0);
    uint64_t committed = after.spans_committed - before.spans_committed;
    CHECK(after.dropped_ring_full - before.dropped_ring_full > 0);
    CHECK_EQ(committed + (after.dropped_ring_full - before.dropped_ring_full), 2000);
    CHECK_EQ(weft_test_drain(reader, &spans), committed);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    CHECK_EQ(weft_shutdown(), 0);
}

static void with_every_frame_open_a_record_needing_one_is_counted(void) {
    weft_config_t config = weft_test_config();
    config.stack_depth = 2;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    weft_span_t *a = weft_span_begin(tracer, "a", WEFT_SPAN_KIND_INTERNAL);
    weft_span_t *b = weft_span_begin(tracer, "b", WEFT_SPAN_KIND_INTERNAL);
    CHECK(a != NULL && b != NULL);
    /* Around the ring's end there is less than a frame of contiguous room: the record is built in a
     * free frame there, and with none free it is counted dropped_too_deep. Elsewhere it goes in. */
    weft_test_spans_t spans = {0};
    uint64_t recorded = 0;
    for (int i = 0; i < 3000; i++) {
        record_seq(tracer, i, 100);
        if (i % 50 == 49) {
            recorded += weft_test_drain(reader, &spans);
            weft_test_spans_free(&spans);
        }
    }
    recorded += weft_test_drain(reader, &spans);
    weft_test_spans_free(&spans);
    weft_stats_t stats;
    CHECK_EQ(weft_get_stats(&stats), 0);
    CHECK(stats.dropped_too_deep > 0 && recorded > 0);
    CHECK_EQ(recorded + stats.dropped_too_deep, 3000);
    CHECK_EQ(stats.dropped_ring_full, 0);
    weft_span_end(a);
    CHECK_EQ(weft_test_drain(reader, &spans), 2); /* a, and b ended by unwind */
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    CHECK_EQ(weft_shutdown(), 0);
}

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void root_ids_are_non_zero_distinct_and_random_in_the_low_bits(void) {
    enum { N = 20000 };
    uint64_t state = 0x0123456789abcdefu;
    static uint64_t lows[N], highs[N], span_ids[N];
    int ones[64] = {0};
    for (int i = 0; i < N; i++) {
        weft_root_ids(&state, &highs[i], &lows[i], &span_ids[i]);
        CHECK((highs[i] | lows[i]) != 0 && span_ids[i] != 0);
        /* the ratio sampler reads the low 64 bits big-endian, as stored: bytes 8..15 of the trace id */
        uint8_t trace_id[16];
        memcpy(trace_id, &highs[i], 8);
        memcpy(trace_id + 8, &lows[i], 8);
        uint64_t sampled_bits = weft_load_be64(trace_id + 8);
        for (int bit = 0; bit < 64; bit++) {
            ones[bit] += (int)((sampled_bits >> bit) & 1u);
        }
    }
    for (int bit = 0; bit < 64; bit++) { /* 50 % +- 5 %: 14 standard deviations at N = 20000 */
        CHECK(ones[bit] > N * 45 / 100 && ones[bit] < N * 55 / 100);
    }
    /* distinct: no two roots share a trace id half or a span id among 20000 (collision odds 2^-35) */
    qsort(lows, N, sizeof lows[0], compare_u64);
    qsort(highs, N, sizeof highs[0], compare_u64);
    qsort(span_ids, N, sizeof span_ids[0], compare_u64);
    int repeats = 0;
    for (int i = 1; i < N; i++) {
        repeats += lows[i] == lows[i - 1] || highs[i] == highs[i - 1] || span_ids[i] == span_ids[i - 1];
    }
    CHECK_EQ(repeats, 0);

    /* a zero draw (once in 2^64) is replaced by a fresh non-zero one, out of line */
    uint64_t s = 7, s_before = s;
    CHECK(weft_nonzero_or_redraw(0, &s) != 0);
    CHECK(s != s_before);
    s_before = s;
    CHECK_EQ(weft_nonzero_or_redraw(5, &s), 5);
    CHECK_EQ(s, s_before);
    /* a state whose next step is 0 draws 0: the trace id is still non-zero (the other half) */
    s = (uint64_t)0 - UINT64_C(0xa0761d6478bd642f);
    uint64_t high, low, span;
    weft_root_ids(&s, &high, &low, &span);
    CHECK_EQ(high, 0);
    CHECK(low != 0 && span != 0);
}

static void recorded_roots_follow_the_ratio_sampler(void) {
    weft_config_t config = weft_test_config();
    config.sampler = WEFT_SAMPLER_TRACEIDRATIO;
    config.sampler_ratio = 0.25;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    weft_test_spans_t spans = {0};
    size_t recorded = 0;
    for (int i = 0; i < 8000; i++) {
        weft_span_record(tracer, "root", WEFT_SPAN_KIND_INTERNAL, 1, 2, NULL, 0);
        if (i % 100 == 99) {
            recorded += weft_test_drain(reader, &spans);
            weft_test_spans_free(&spans);
        }
    }
    /* 2000 expected, standard deviation 39: +- 300 is 7.7 of them */
    CHECK(recorded > 1700 && recorded < 2300);
    weft_test_reader_free(reader);
    CHECK_EQ(weft_shutdown(), 0);
}

int main(void) {
    static const weft_test_case_t cases[] = {
        TEST_CASE(a_recorded_span_has_every_field),
        TEST_CASE(a_recorded_span_is_a_child_of_the_current_span_or_context),
        TEST_CASE(recorded_spans_wrap_the_ring_intact_and_a_full_ring_counts_drops),
        TEST_CASE(with_every_frame_open_a_record_needing_one_is_counted),
        TEST_CASE(root_ids_are_non_zero_distinct_and_random_in_the_low_bits),
        TEST_CASE(recorded_roots_follow_the_ratio_sampler),
    };
    return weft_test_run("record", cases, sizeof cases / sizeof cases[0]);
}
