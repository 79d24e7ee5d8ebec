/*
 * test_stress.c - several producer threads record at full speed into small
 * rings while a reader thread drains concurrently. Every span the reader
 * gets must be well formed and in order for its thread, and at the end
 * written = read + dropped, exactly. Half the child spans are weft_span_record ones (built in
 * place at the ring's tail). Run under ThreadSanitizer in CI.
 */
#include "weft_test.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

/* Two producers and the reader: three threads on the two cores CI has, so the reader keeps running. */
enum { PRODUCERS = 2, SPANS_PER_PRODUCER = 300000 };

typedef struct producer {
    weft_tracer_t *tracer;
    int index;
} producer_t;

static atomic_int producers_running;

static void *produce(void *arg) {
    producer_t *p = arg;
    char text[32];
    for (int64_t seq = 0; seq < SPANS_PER_PRODUCER; seq++) {
        weft_span_t *span = weft_span_begin(p->tracer, "stress", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_int64(span, "producer", p->index);
        weft_span_set_int64(span, "seq", seq);
        snprintf(text, sizeof text, "payload-%lld", (long long)seq);
        weft_span_set_string(span, "text", text);
        if (seq % 32 == 0) {
            weft_span_t *child = weft_span_begin(p->tracer, "stress.child", WEFT_SPAN_KIND_INTERNAL);
            weft_span_end(child);
        } else if (seq % 32 == 16) { /* the other half built in place at the tail, as the reader drains */
            const weft_attr_n_t attrs[1] = {WEFT_ATTR_N_I64("seq", seq)};
            weft_span_record(p->tracer, "stress.child", WEFT_SPAN_KIND_INTERNAL, 1, 2, attrs, 1);
        }
        weft_span_end(span);
        if (seq % 1024 == 1023) {
            sched_yield(); /* let the reader in on an oversubscribed machine */
        }
    }
    atomic_fetch_sub(&producers_running, 1);
    return NULL;
}

typedef struct checker {
    int64_t last_seq[PRODUCERS];
    long stress_spans;
    long child_spans;
    long malformed;
} checker_t;

static void check_span(const weft_span_view_t *span, void *clientd) {
    checker_t *c = clientd;
    if (span->name_length == 12 && memcmp(span->name, "stress.child", 12) == 0) {
        c->child_spans++;
        return;
    }
    int64_t producer = -1, seq = -1;
    int strings = 0;
    weft_item_cursor_t cursor = {0};
    weft_item_view_t item;
    while (weft_item_next(span, &cursor, &item)) {
        if (item.tag == WEFT_ABI_ITEM_ATTR_INT64 && item.key_length == 8 && memcmp(item.key, "producer", 8) == 0) {
            producer = item.int64_value;
        } else if (item.tag == WEFT_ABI_ITEM_ATTR_INT64 && item.key_length == 3) {
            seq = item.int64_value;
        } else if (item.tag == WEFT_ABI_ITEM_ATTR_STRING) {
            char expected[32];
            int n = snprintf(expected, sizeof expected, "payload-%lld", (long long)seq);
            strings += item.string_length == (size_t)n && memcmp(item.string_value, expected, (size_t)n) == 0;
        }
    }
    if (producer < 0 || producer >= PRODUCERS || seq <= c->last_seq[producer] || strings != 1 ||
        span->name_length != 6 || memcmp(span->name, "stress", 6) != 0) {
        c->malformed++;
        return;
    }
    c->last_seq[producer] = seq;
    c->stress_spans++;
}

static void concurrent_producers_and_reader_account_for_every_span(void) {
    weft_config_t config = weft_test_config();
    config.ring_size = 32 * 1024; /* small: some spans are dropped, and counted */
    config.frame_size = 512;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    checker_t checker;
    memset(&checker, 0, sizeof checker);
    for (int i = 0; i < PRODUCERS; i++) {
        checker.last_seq[i] = -1;
    }
    atomic_store(&producers_running, PRODUCERS);
    pthread_t threads[PRODUCERS];
    producer_t producers[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++) {
        producers[i] = (producer_t){.tracer = tracer, .index = i};
        pthread_create(&threads[i], NULL, produce, &producers[i]);
    }
    long drains = 0;
    while (atomic_load(&producers_running) > 0) {
        weft_reader_drain(reader, check_span, &checker);
        drains++;
    }
    for (int i = 0; i < PRODUCERS; i++) {
        pthread_join(threads[i], NULL);
    }
    weft_reader_drain(reader, check_span, &checker);

    weft_stats_t stats;
    weft_reader_native_stats(reader, &stats);
    const long ended = (long)PRODUCERS * SPANS_PER_PRODUCER + (long)PRODUCERS * (SPANS_PER_PRODUCER / 16);
    const long read = checker.stress_spans + checker.child_spans;
    printf("  %ld spans ended, %ld read in %ld drains, %llu dropped (ring full)\n", ended, read, drains,
           (unsigned long long)stats.dropped_ring_full);
    CHECK_EQ(checker.malformed, 0);
    CHECK_EQ(reader->counters.corrupt_records, 0);
    CHECK_EQ((long)reader->counters.spans_read, read);
    CHECK_EQ((long)stats.spans_committed, read);
    CHECK_EQ(read + (long)stats.dropped_ring_full, ended);
    CHECK_EQ(stats.dropped_reentrant + stats.dropped_no_slot + stats.dropped_too_deep, 0);
    /* the reader really ran alongside the producers, through many wraps of every ring */
    CHECK(read > ended / 100);
    CHECK(read > 20 * (long)(config.ring_size / 128) * PRODUCERS / 10);
    weft_test_reader_free(reader);
    weft_shutdown();
}

int main(void) {
    static const weft_test_case_t cases[] = {
        TEST_CASE(concurrent_producers_and_reader_account_for_every_span),
    };
    return weft_test_run("stress", cases, sizeof cases / sizeof cases[0]);
}
