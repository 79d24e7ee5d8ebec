/*
 * test_shutdown.c - ABI 1.1 on the writer's side of a clean exit: the fence (spans ended after it are
 * counted in dropped_shutdown, not recorded), last_end_unix_nanos stored with each record (and the
 * open spans' last activity the reader derives from it), and weft_shutdown's fence, CLOSED state and
 * unlink, which it leaves to a running collector that holds the lease.
 */
#include "weft_test.h"

#include "weft_internal.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

static weft_abi_slot_t *slot_of_this_thread(weft_reader_t *reader) {
    for (uint32_t s = 0; s < reader->slot_count; s++) {
        weft_abi_slot_t *slot = (weft_abi_slot_t *)(void *)(reader->base + reader->slots_offset +
                                                             (uint64_t)s * reader->slot_stride);
        if (slot->tid == (uint32_t)gettid()) {
            return slot;
        }
    }
    return NULL;
}

static weft_abi_header_t *header_of(weft_reader_t *reader) {
    return (weft_abi_header_t *)(void *)reader->base;
}

static uint64_t lease_of(pid_t pid, uint64_t ticks) {
    return (ticks & 0xffffffffu) << 32 | (uint32_t)pid;
}

static void spans_ended_after_the_fence_are_counted_not_recorded(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    weft_span_end(weft_span_begin(tracer, "before", WEFT_SPAN_KIND_INTERNAL));
    weft_abi_slot_t *slot = slot_of_this_thread(reader);
    CHECK(slot != NULL);
    const uint64_t tail = slot->tail;
    CHECK_EQ(slot->spans_committed, 1);

    weft_span_t *outer = weft_span_begin(tracer, "outer", WEFT_SPAN_KIND_SERVER);
    weft_span_begin(tracer, "inner", WEFT_SPAN_KIND_INTERNAL); /* left open: unwound by outer's end */
    weft_store_release(&header_of(reader)->fence, (uint32_t)WEFT_ABI_FENCE_CLOSED); /* as a collector does */
    weft_span_end(outer);
    weft_span_end(weft_span_begin(tracer, "after", WEFT_SPAN_KIND_INTERNAL));
    CHECK_EQ(slot->dropped_shutdown, 3);
    CHECK_EQ(slot->spans_committed, 1);
    CHECK_EQ(slot->tail, tail); /* nothing written to the ring */
    weft_segment_status_t status;
    weft_reader_status(reader, &status);
    CHECK_EQ(status.fence, WEFT_ABI_FENCE_CLOSED);
    CHECK_EQ(status.dropped_shutdown, 3);

    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 1);
    CHECK(strcmp(spans.spans[0].name, "before") == 0);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void last_end_is_stored_with_every_record(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    const uint64_t now = weft_now_unix_nanos();
    weft_span_end_at(weft_span_begin(tracer, "a", WEFT_SPAN_KIND_INTERNAL), now + 1000000000);
    weft_abi_slot_t *slot = slot_of_this_thread(reader);
    CHECK(slot != NULL);
    CHECK_EQ(slot->last_end_unix_nanos, now + 1000000000);
    weft_span_end_at(weft_span_begin(tracer, "b", WEFT_SPAN_KIND_INTERNAL), now + 5000000000);
    CHECK_EQ(slot->last_end_unix_nanos, now + 5000000000);
    weft_slot_status_t s;
    CHECK_EQ(weft_reader_slot_status(reader, (uint32_t)((uint8_t *)slot - reader->base - reader->slots_offset) /
                                                  (uint32_t)reader->slot_stride,
                                     &s),
             0);
    CHECK_EQ(s.last_end_unix_nanos, now + 5000000000);
    CHECK_EQ(s.spans_committed, 2);
    weft_test_reader_free(reader);
    weft_shutdown();
}

typedef struct {
    uint64_t last_activity;
    size_t count;
} activity_t;

static void note_activity(const weft_span_view_t *span, void *clientd) {
    activity_t *a = clientd;
    a->last_activity = span->last_activity_unix_nanos;
    a->count++;
}

static void open_spans_carry_their_slots_last_activity(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    weft_span_t *open = weft_span_begin(tracer, "open", WEFT_SPAN_KIND_SERVER);
    /* an explicit end time far ahead: last_end is the latest activity */
    const uint64_t later = weft_now_unix_nanos() + UINT64_C(3600000000000);
    weft_span_end_at(weft_span_begin(tracer, "ended", WEFT_SPAN_KIND_INTERNAL), later);
    activity_t a = {0};
    CHECK_EQ(weft_reader_open_spans(reader, note_activity, &a), 1);
    CHECK_EQ(a.last_activity, later);
    weft_span_end(open);
    /* a newer span whose event is its latest moment: the event time wins over last_end and the starts */
    weft_test_reader_free(reader);
    weft_shutdown();

    tracer = weft_test_start(&config);
    reader = weft_test_reader();
    weft_span_t *outer = weft_span_begin(tracer, "outer", WEFT_SPAN_KIND_SERVER);
    weft_span_t *inner = weft_span_begin(tracer, "inner", WEFT_SPAN_KIND_INTERNAL);
    weft_span_add_event(inner, "progress", NULL, 0);
    const uint64_t after_event = weft_now_unix_nanos();
    a = (activity_t){0};
    CHECK_EQ(weft_reader_open_spans(reader, note_activity, &a), 2);
    weft_abi_slot_t *slot = slot_of_this_thread(reader);
    CHECK(slot != NULL && slot->last_end_unix_nanos == 0); /* nothing ended on it yet */
    CHECK(a.last_activity > 0 && a.last_activity <= after_event);
    uint64_t starts = 0;
    const weft_abi_span_t *frame0 = (const weft_abi_span_t *)(const void *)((uint8_t *)slot + reader->slot_header_size);
    const weft_abi_span_t *frame1 =
        (const weft_abi_span_t *)(const void *)((uint8_t *)slot + reader->slot_header_size + reader->frame_size);
    starts = frame0->start_unix_nanos > frame1->start_unix_nanos ? frame0->start_unix_nanos : frame1->start_unix_nanos;
    CHECK(a.last_activity >= starts);
    weft_span_end(inner);
    weft_span_end(outer);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void shutdown_fences_closes_and_unlinks_without_a_collector(void) {
    weft_config_t config = weft_test_config();
    weft_test_start(&config);
    char path[4096];
    weft_segment_path(path, sizeof path);
    weft_reader_t *reader = weft_test_reader(); /* the mapping outlives the file */
    CHECK_EQ(weft_shutdown(), 0);
    CHECK_EQ(header_of(reader)->fence, WEFT_ABI_FENCE_CLOSED);
    CHECK_EQ(header_of(reader)->state, WEFT_ABI_SEGMENT_CLOSED);
    CHECK(access(path, F_OK) != 0);
    weft_test_reader_free(reader);
}

/** weft_shutdown with `lease` in lease_owner: @return whether the file is still there (then removed). */
static bool file_left_after_shutdown_with_lease(uint64_t lease) {
    weft_config_t config = weft_test_config();
    weft_test_start(&config);
    char path[4096];
    weft_segment_path(path, sizeof path);
    weft_reader_t *reader = weft_test_reader();
    weft_store_release(&header_of(reader)->lease_owner, lease);
    CHECK_EQ(weft_shutdown(), 0);
    CHECK_EQ(header_of(reader)->fence, WEFT_ABI_FENCE_CLOSED);
    CHECK_EQ(header_of(reader)->state, WEFT_ABI_SEGMENT_CLOSED);
    weft_test_reader_free(reader);
    bool left = access(path, F_OK) == 0;
    unlink(path);
    return left;
}

static void a_running_lease_holder_is_left_to_unlink_the_file(void) {
    int done[2];
    CHECK_EQ(pipe(done), 0);
    fflush(stdout);
    pid_t collector = fork();
    if (collector == 0) {
        char c;
        close(done[1]);
        (void)!read(done[0], &c, 1); /* a "collector" that runs until told */
        _exit(0);
    }
    close(done[0]);
    uint64_t ticks = 0;
    CHECK_EQ(weft_read_start_ticks((int)collector, &ticks), 0);
    const uint64_t lease = lease_of(collector, ticks);
    if (getenv("WEFT_TEST_EMULATOR") == NULL) {
        CHECK(weft_lease_owner_running(lease));
        CHECK(file_left_after_shutdown_with_lease(lease)); /* it drains, then unlinks */
    } else {
        printf("[ SKIP ] another process's lease: under %s, start times are emulated\n", getenv("WEFT_TEST_EMULATOR"));
    }
    uint64_t own_ticks = 0;
    weft_read_start_ticks((int)getpid(), &own_ticks);
    CHECK(file_left_after_shutdown_with_lease(lease_of(getpid(), own_ticks))); /* a collector in this process */
    close(done[1]);
    int status;
    waitpid(collector, &status, 0);
    CHECK(!weft_lease_owner_running(lease));
    CHECK(!file_left_after_shutdown_with_lease(lease)); /* it died: nobody else would unlink it */
}

static void a_lease_of_a_reused_pid_or_no_lease_does_not_keep_the_file(void) {
    uint64_t own_ticks = 0;
    weft_read_start_ticks((int)getpid(), &own_ticks);
    CHECK(!file_left_after_shutdown_with_lease(lease_of(getpid(), own_ticks + 1))); /* our pid, not our start */
    CHECK(!file_left_after_shutdown_with_lease(0));
    CHECK(!weft_lease_owner_running(0));
}

/* A thread records while the main thread shuts down: every span it ended is committed or counted,
 * never torn (TSan checks the orders). */
static _Atomic int recording;
static weft_tracer_t *race_tracer;

static void *record_until_stopped(void *arg) {
    _Atomic uint64_t *ended = arg;
    while (atomic_load(&recording)) {
        weft_span_t *span = weft_span_begin(race_tracer, "racing", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_int64(span, "n", 1);
        weft_span_end(span);
        atomic_fetch_add(ended, 1);
    }
    return NULL;
}

static void recording_while_shutting_down_commits_or_counts(void) {
    weft_config_t config = weft_test_config();
    config.ring_size = 1u << 20;
    race_tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    atomic_store(&recording, 1);
    _Atomic uint64_t ended = 0;
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, record_until_stopped, &ended), 0);
    while (atomic_load(&ended) < 2000) {
        sched_yield();
    }
    weft_shutdown();
    atomic_store(&recording, 0);
    pthread_join(thread, NULL);
    weft_stats_t stats;
    weft_reader_native_stats(reader, &stats);
    weft_segment_status_t status;
    weft_reader_status(reader, &status);
    /* spans ended after the epoch changed are no-ops (their handles are stale); the rest are counted */
    CHECK(stats.spans_committed + stats.dropped_ring_full + status.dropped_shutdown <= atomic_load(&ended));
    CHECK(stats.spans_committed > 0);
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), stats.spans_committed);
    CHECK_EQ(reader->counters.corrupt_records, 0);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
}

int main(void) {
    static const weft_test_case_t cases[] = {
        TEST_CASE(spans_ended_after_the_fence_are_counted_not_recorded),
        TEST_CASE(last_end_is_stored_with_every_record),
        TEST_CASE(open_spans_carry_their_slots_last_activity),
        TEST_CASE(shutdown_fences_closes_and_unlinks_without_a_collector),
        TEST_CASE(a_running_lease_holder_is_left_to_unlink_the_file),
        TEST_CASE(a_lease_of_a_reused_pid_or_no_lease_does_not_keep_the_file),
        TEST_CASE(recording_while_shutting_down_commits_or_counts),
    };
    return weft_test_run("shutdown", cases, sizeof cases / sizeof cases[0]);
}
