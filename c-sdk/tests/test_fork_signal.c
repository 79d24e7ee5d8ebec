/*
 * test_fork_signal.c - after fork() the child never writes into the parent's
 * rings; a span recorded by a signal handler that interrupted a recording on
 * the same thread is dropped and counted, and the ring stays consistent.
 */
#include "weft_test.h"

#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include <sys/wait.h>

static void a_forked_child_records_nothing_into_the_parent(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    weft_span_t *open_in_parent = weft_span_begin(tracer, "parent-open", WEFT_SPAN_KIND_INTERNAL);
    pid_t child = fork();
    if (child == 0) {
        /* the child: stale handle and new spans are no-ops until it initialises again */
        weft_span_set_string(open_in_parent, "from", "child");
        weft_span_end(open_in_parent);
        int ok = weft_span_begin(tracer, "child-before-init", WEFT_SPAN_KIND_INTERNAL) == NULL;
        char path[4096];
        ok &= weft_segment_path(path, sizeof path) == -ENOENT;
        weft_tracer_t *again;
        ok &= weft_init_with_config(&config, "weft-test", "1.0.0", &again) == 0;
        char child_path[4096];
        ok &= weft_segment_path(child_path, sizeof child_path) > 0;
        char expected[4096];
        snprintf(expected, sizeof expected, "%s/weft-%d", config.shm_dir, (int)getpid());
        ok &= strcmp(child_path, expected) == 0;
        weft_span_t *span = weft_span_begin(again, "child-after-init", WEFT_SPAN_KIND_INTERNAL);
        ok &= span != NULL;
        weft_span_end(span);
        weft_stats_t stats;
        ok &= weft_get_stats(&stats) == 0 && stats.spans_committed == 1;
        weft_shutdown();
        _exit(ok ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    weft_span_end(open_in_parent);
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 1);
    CHECK(strcmp(spans.spans[0].name, "parent-open") == 0);
    CHECK_EQ(spans.spans[0].item_count, 0); /* the child's attribute never reached the parent's frame */
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

static weft_tracer_t *signal_tracer;
static volatile sig_atomic_t handler_calls;
static volatile sig_atomic_t handler_recorded;

static void on_alarm(int sig) {
    (void)sig;
    handler_calls++;
    weft_span_t *span = weft_span_begin(signal_tracer, "from-handler", WEFT_SPAN_KIND_INTERNAL);
    if (span != NULL) {
        weft_span_set_int64(span, "calls", handler_calls);
        weft_span_end(span);
        handler_recorded++;
    }
}

static void a_signal_handler_never_corrupts_the_ring(void) {
    weft_config_t config = weft_test_config();
    config.ring_size = 1u << 20;
    signal_tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    weft_span_end(weft_span_begin(signal_tracer, "bind-this-thread", WEFT_SPAN_KIND_INTERNAL));

    struct sigaction action = {0};
    action.sa_handler = on_alarm;
    sigemptyset(&action.sa_mask);
    sigaction(SIGRTMIN, &action, NULL);
    /* a timer aimed at this thread: signals land at arbitrary points of the loop below */
    timer_t timer;
    struct sigevent event = {0};
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = SIGRTMIN;
    event._sigev_un._tid = gettid(); /* sigev_notify_thread_id, which this glibc does not name */
    CHECK_EQ(timer_create(CLOCK_MONOTONIC, &event, &timer), 0);
    struct itimerspec every = {.it_interval = {0, 20000}, .it_value = {0, 20000}};
    timer_settime(timer, 0, &every, NULL);

    weft_test_spans_t spans = {0};
    long main_spans = 1;
    weft_stats_t stats = {0};
    /* Go on until re-entry has really happened a few times (or give up after many rounds). */
    for (int round = 0; round < 5000; round++) {
        for (int i = 0; i < 2000; i++) {
            weft_span_t *span = weft_span_begin(signal_tracer, "main", WEFT_SPAN_KIND_INTERNAL);
            weft_span_set_string(span, "text", "some bytes to copy");
            weft_span_end(span);
            main_spans++;
        }
        weft_test_drain(reader, &spans);
        weft_get_stats(&stats);
        if (stats.dropped_reentrant >= 5 && handler_recorded >= 5) {
            break;
        }
    }
    timer_delete(timer);
    signal(SIGRTMIN, SIG_DFL);
    weft_test_drain(reader, &spans);
    weft_get_stats(&stats);

    long from_handler = 0, from_main = 0;
    for (size_t i = 0; i < spans.count; i++) {
        from_handler += strcmp(spans.spans[i].name, "from-handler") == 0;
        from_main += strcmp(spans.spans[i].name, "main") == 0 || strcmp(spans.spans[i].name, "bind-this-thread") == 0;
    }
    printf("  %ld handler calls: %ld recorded, %llu dropped as re-entrant; read %zu (%ld main, %ld handler), "
           "committed %llu, ring full %llu\n",
           (long)handler_calls, (long)handler_recorded, (unsigned long long)stats.dropped_reentrant, spans.count,
           from_main, from_handler, (unsigned long long)stats.spans_committed,
           (unsigned long long)stats.dropped_ring_full);
    CHECK(stats.dropped_reentrant >= 5); /* the interesting case did happen */
    CHECK_EQ(reader->counters.corrupt_records, 0);
    /* every handler call either began its span or had it dropped and counted as re-entrant */
    CHECK_EQ(handler_recorded + (long)stats.dropped_reentrant, handler_calls);
    /* every span that began was either read or dropped at its end because the ring was full */
    CHECK_EQ(from_main + from_handler + (long)stats.dropped_ring_full, main_spans + handler_recorded);
    CHECK_EQ((long)stats.spans_committed, (long)spans.count);
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    weft_shutdown();
}

int main(void) {
    static const weft_test_case_t cases[] = {
        TEST_CASE(a_forked_child_records_nothing_into_the_parent),
        TEST_CASE(a_signal_handler_never_corrupts_the_ring),
    };
    return weft_test_run("fork_signal", cases, sizeof cases / sizeof cases[0]);
}
