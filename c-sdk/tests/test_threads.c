/*
 * test_threads.c - slots and threads: a slot is recycled after its thread
 * exits and the ring is drained; spans left open by an exiting thread are
 * ended and flagged; with every slot taken, spans are dropped and counted; a
 * worker thread adopts a context captured on another thread.
 */
#include "weft_test.h"

#include <pthread.h>

typedef struct job {
    weft_tracer_t *tracer;
    int spans;
    int leave_open;
    const weft_context_t *parent;
    pthread_barrier_t *hold; /* keep the thread alive until released */
} job_t;

static void *work(void *arg) {
    job_t *job = arg;
    int token = -1;
    if (job->parent != NULL) {
        token = weft_context_attach(job->parent);
        CHECK(token >= 0);
    }
    for (int i = 0; i < job->spans; i++) {
        weft_span_t *span = weft_span_begin(job->tracer, "work", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_int64(span, "i", i);
        weft_span_end(span);
    }
    if (job->leave_open) {
        weft_span_t *outer = weft_span_begin(job->tracer, "left-open", WEFT_SPAN_KIND_INTERNAL);
        weft_span_begin(job->tracer, "left-open-inner", WEFT_SPAN_KIND_INTERNAL);
        (void)outer;
    }
    if (token >= 0) {
        CHECK_EQ(weft_context_detach(token), 0);
    }
    if (job->hold != NULL) {
        pthread_barrier_wait(job->hold);
        pthread_barrier_wait(job->hold);
    }
    return NULL;
}

static void run(job_t *job) {
    pthread_t thread;
    pthread_create(&thread, NULL, work, job);
    pthread_join(thread, NULL);
}

static void slots_are_recycled_after_exit_and_drain(void) {
    weft_config_t config = weft_test_config();
    config.max_threads = 2;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    weft_test_spans_t spans = {0};
    for (int i = 0; i < 20; i++) { /* 20 threads, one after the other, through 2 slots */
        job_t job = {.tracer = tracer, .spans = 5};
        run(&job);
        weft_test_drain(reader, &spans);
    }
    CHECK_EQ(spans.count, 100);
    weft_stats_t stats;
    weft_get_stats(&stats);
    CHECK_EQ(stats.dropped_no_slot, 0);
    CHECK_EQ(stats.spans_committed, 100);
    CHECK_EQ(stats.slots_active, 0);
    /* every slot that was used has had many owners */
    uint32_t generations = 0;
    for (uint32_t s = 0; s < reader->slot_count; s++) {
        generations += ((weft_abi_slot_t *)(void *)(reader->base + reader->slots_offset + s * reader->slot_stride))
                           ->generation;
    }
    CHECK_EQ(generations, 20);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void an_undrained_slot_is_not_reused(void) {
    weft_config_t config = weft_test_config();
    config.max_threads = 1;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    job_t job = {.tracer = tracer, .spans = 3};
    run(&job);
    run(&job); /* the only slot still holds 3 unread spans: these 3 are dropped */
    weft_stats_t stats;
    weft_get_stats(&stats);
    CHECK_EQ(stats.spans_committed, 3);
    CHECK_EQ(stats.dropped_no_slot, 3);
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 3);
    run(&job); /* drained: claimable again */
    CHECK_EQ(weft_test_drain(reader, &spans), 3);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

/* ABI 1.1: a slot whose records were all read (read_position == tail) but not yet acknowledged
 * (head behind: the export is in flight) can be claimed by the next thread, which appends after
 * them; one read only in part cannot. */
static void a_read_but_unacknowledged_slot_is_reused(void) {
    weft_config_t config = weft_test_config();
    config.max_threads = 1;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    weft_abi_slot_t *slot = (weft_abi_slot_t *)(void *)(reader->base + reader->slots_offset);
    job_t job = {.tracer = tracer, .spans = 3};
    run(&job);
    const uint64_t tail = atomic_load_explicit(&slot->tail, memory_order_acquire);
    CHECK(tail > 0);
    CHECK_EQ(atomic_load_explicit(&slot->head, memory_order_acquire), 0);
    /* read in part: not claimable */
    atomic_store_explicit(&slot->read_position, tail - 8, memory_order_release);
    run(&job);
    weft_stats_t stats;
    weft_get_stats(&stats);
    CHECK_EQ(stats.dropped_no_slot, 3);
    /* read whole, acknowledgement pending: claimable; the new owner appends after the old records */
    atomic_store_explicit(&slot->read_position, tail, memory_order_release);
    run(&job);
    weft_get_stats(&stats);
    CHECK_EQ(stats.dropped_no_slot, 3);
    CHECK_EQ(stats.spans_committed, 6);
    CHECK_EQ(slot->generation, 2);
    CHECK(atomic_load_explicit(&slot->tail, memory_order_acquire) > tail);
    CHECK_EQ(atomic_load_explicit(&slot->head, memory_order_acquire), 0); /* nothing of the first owner was overwritten */
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 6);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void every_slot_taken_drops_and_counts(void) {
    weft_config_t config = weft_test_config();
    config.max_threads = 1;
    weft_tracer_t *tracer = weft_test_start(&config);
    pthread_barrier_t hold;
    pthread_barrier_init(&hold, NULL, 2);
    job_t holder = {.tracer = tracer, .spans = 1, .hold = &hold};
    pthread_t thread;
    pthread_create(&thread, NULL, work, &holder);
    pthread_barrier_wait(&hold); /* the holder owns the only slot now */
    for (int i = 0; i < 1000; i++) {
        CHECK(weft_span_begin(tracer, "no-slot", WEFT_SPAN_KIND_INTERNAL) == NULL);
    }
    weft_stats_t stats;
    weft_get_stats(&stats);
    CHECK_EQ(stats.dropped_no_slot, 1000);
    pthread_barrier_wait(&hold);
    pthread_join(thread, NULL);
    pthread_barrier_destroy(&hold);
    weft_shutdown();
}

static void spans_open_at_thread_exit_are_ended_and_flagged(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    job_t job = {.tracer = tracer, .spans = 0, .leave_open = 1};
    run(&job);
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 2);
    for (size_t i = 0; i < spans.count; i++) {
        CHECK(spans.spans[i].fixed.flags & WEFT_ABI_SPAN_ENDED_BY_THREAD_EXIT);
        CHECK(spans.spans[i].fixed.end_unix_nanos >= spans.spans[i].fixed.start_unix_nanos);
    }
    CHECK_EQ(weft_reader_open_spans(reader, NULL, NULL), 0);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void open_spans_are_visible_in_the_frames(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    weft_span_t *outer = weft_span_begin(tracer, "request", WEFT_SPAN_KIND_SERVER);
    weft_span_set_string(outer, "route", "/decode");
    weft_span_t *inner = weft_span_begin(tracer, "decode", WEFT_SPAN_KIND_INTERNAL);
    weft_test_spans_t open = {0};
    CHECK_EQ(weft_reader_open_spans(reader, weft_test_collect, &open), 2);
    CHECK(open.count == 2 && strcmp(open.spans[0].name, "request") == 0 && strcmp(open.spans[1].name, "decode") == 0);
    CHECK(open.count == 2 && open.spans[0].fixed.end_unix_nanos == 0);
    CHECK(open.count == 2 && strcmp(open.spans[0].strings[0], "route=/decode") == 0);
    weft_span_end(inner);
    weft_span_end(outer);
    CHECK_EQ(weft_reader_open_spans(reader, NULL, NULL), 0);
    weft_test_spans_free(&open);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void a_worker_adopts_a_captured_context(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    weft_span_t *request = weft_span_begin(tracer, "request", WEFT_SPAN_KIND_SERVER);
    weft_context_t captured;
    CHECK_EQ(weft_span_context(request, &captured), 0);
    job_t job = {.tracer = tracer, .spans = 2, .parent = &captured};
    run(&job);
    weft_span_end(request);
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 3);
    int children = 0;
    for (size_t i = 0; i < spans.count; i++) {
        weft_test_span_t *s = &spans.spans[i];
        CHECK_MEM(s->fixed.ctx.trace_id, captured.trace_id, 16);
        if (strcmp(s->name, "work") == 0) {
            children++;
            CHECK_MEM(s->fixed.parent_span_id, captured.span_id, 8);
            CHECK(s->fixed.tid != (uint32_t)gettid());
        }
    }
    CHECK_EQ(children, 2);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void nesting_deeper_than_the_stack_drops_and_counts(void) {
    weft_config_t config = weft_test_config();
    config.stack_depth = 4;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_span_t *spans[6];
    for (int i = 0; i < 6; i++) {
        spans[i] = weft_span_begin(tracer, "deep", WEFT_SPAN_KIND_INTERNAL);
    }
    CHECK(spans[3] != NULL && spans[4] == NULL && spans[5] == NULL);
    for (int i = 5; i >= 0; i--) {
        weft_span_end(spans[i]);
    }
    weft_stats_t stats;
    weft_get_stats(&stats);
    CHECK_EQ(stats.spans_committed, 4);
    CHECK_EQ(stats.dropped_too_deep, 2);
    weft_shutdown();
}

int main(void) {
    static const weft_test_case_t cases[] = {
        TEST_CASE(slots_are_recycled_after_exit_and_drain),
        TEST_CASE(an_undrained_slot_is_not_reused),
        TEST_CASE(a_read_but_unacknowledged_slot_is_reused),
        TEST_CASE(every_slot_taken_drops_and_counts),
        TEST_CASE(spans_open_at_thread_exit_are_ended_and_flagged),
        TEST_CASE(open_spans_are_visible_in_the_frames),
        TEST_CASE(a_worker_adopts_a_captured_context),
        TEST_CASE(nesting_deeper_than_the_stack_drops_and_counts),
    };
    return weft_test_run("threads", cases, sizeof cases / sizeof cases[0]);
}
