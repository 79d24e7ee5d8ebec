/*
 * test_late_writer.c - another writer of the OpenTelemetry thread context loaded after Weft started
 * (docs/architecture.md "Two writers"): libotherotelctx.so, which defines otel_thread_ctx_v1 too, is
 * dlopen()ed after weft_init while spans are open on two threads. The next slow-path look (here
 * weft_otel_get_status) finds it through the loader's changed counts: Weft yields as it does at start
 * (no record published any more, each thread withdrawing its pointer at its next span, the other's
 * variable never written, the process context republished without the threadlocal.* keys), logs once
 * on stderr, says why in weft_otel_get_status, and records spans as usual.
 */
#define _GNU_SOURCE
#include "weft_test.h"

#include "process_ctx.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>

extern __thread weft_abi_thread_ctx_t *otel_thread_ctx_v1;

static weft_tracer_t *tracer;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int phase; /* 2: both workers publish; 3: the writer is loaded */
static int worker_published, worker_withdrawn, worker_next;

static void set_phase(int p) {
    pthread_mutex_lock(&lock);
    phase = p;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

static void wait_phase(int p) {
    pthread_mutex_lock(&lock);
    while (phase < p) {
        pthread_cond_wait(&cond, &lock);
    }
    pthread_mutex_unlock(&lock);
}

static void *worker(void *arg) {
    (void)arg;
    weft_span_t *outer = weft_span_begin(tracer, "worker outer", WEFT_SPAN_KIND_INTERNAL);
    weft_span_t *inner = weft_span_begin(tracer, "worker inner", WEFT_SPAN_KIND_INTERNAL);
    worker_published = otel_thread_ctx_v1 != NULL && otel_thread_ctx_v1->valid == 1;
    pthread_mutex_lock(&lock);
    phase++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    wait_phase(3);
    weft_span_end(inner); /* its next span operation: the thread withdraws its pointer */
    worker_withdrawn = otel_thread_ctx_v1 == NULL;
    weft_span_t *next = weft_span_begin(tracer, "worker after", WEFT_SPAN_KIND_INTERNAL);
    worker_next = otel_thread_ctx_v1 == NULL;
    weft_span_end(next);
    weft_span_end(outer);
    return NULL;
}

/* a runtime's thread (the JVM's, with no native span): its record written in place, as the Java
 * SDK does, while the switch reads 1; once it reads 0, valid = 0 and the record asked for again */
static int runtime_published, runtime_switch_on, runtime_switch_off, runtime_withdrawn, runtime_invalid;

static void *runtime_worker(void *arg) {
    (void)arg;
    const volatile uint32_t *on = weft_thread_context_switch();
    weft_abi_thread_ctx_t *record = weft_thread_context_record();
    if (on == NULL || record == NULL) {
        return NULL;
    }
    runtime_switch_on = *on == 1;
    memset(record->trace_id, 0x11, 16);
    memset(record->span_id, 0x22, 8);
    record->trace_flags = 1;
    atomic_signal_fence(memory_order_seq_cst);
    record->valid = 1;
    runtime_published = otel_thread_ctx_v1 == record;
    pthread_mutex_lock(&lock);
    phase++; /* one of the two workers */
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    wait_phase(3);
    runtime_switch_off = *on == 0;
    record->valid = 0;
    runtime_withdrawn = weft_thread_context_record() == NULL && otel_thread_ctx_v1 == NULL;
    runtime_invalid = record->valid == 0;
    return NULL;
}

static const weft_process_ctx_header_t *published(weft_otel_status_t *status) {
    CHECK_EQ(weft_otel_get_status(status), 0);
    return status->process_ctx ? (const weft_process_ctx_header_t *)(uintptr_t)status->process_ctx_address : NULL;
}

static bool payload_has(const weft_process_ctx_header_t *h, const char *text) {
    const uint8_t *p = (const uint8_t *)(uintptr_t)h->payload;
    return memmem(p, h->payload_size, text, strlen(text)) != NULL;
}

/** How many lines of the file contain text. */
static int count_lines(FILE *f, const char *text) {
    char line[2048];
    int n = 0;
    rewind(f);
    while (fgets(line, sizeof line, f) != NULL) {
        n += strstr(line, text) != NULL;
    }
    return n;
}

static void test_a_writer_loaded_later_is_yielded_to(void) {
    CHECK_EQ(weft_init("late-writer", "1", &tracer), 0);
    weft_otel_status_t status;
    const weft_process_ctx_header_t *h = published(&status);
    CHECK_EQ(status.thread_ctx, 1u);
    CHECK(h != NULL && payload_has(h, "threadlocal.schema_version"));

    weft_span_t *span = weft_span_begin(tracer, "main before", WEFT_SPAN_KIND_INTERNAL);
    CHECK(otel_thread_ctx_v1 != NULL && otel_thread_ctx_v1->valid == 1);
    pthread_t thread, runtime_thread;
    CHECK_EQ(pthread_create(&thread, NULL, worker, NULL), 0);
    CHECK_EQ(pthread_create(&runtime_thread, NULL, runtime_worker, NULL), 0);
    wait_phase(2);
    CHECK(weft_thread_context_switch() != NULL && *weft_thread_context_switch() == 1);

    /* stderr into a file, to count Weft's lines */
    FILE *log = tmpfile();
    CHECK(log != NULL);
    fflush(stderr);
    int saved = dup(2);
    CHECK(dup2(fileno(log), 2) == 2);

    void *other = dlopen(LATE_WRITER_LIB, RTLD_NOW | RTLD_LOCAL);
    CHECK(other != NULL);
    void *(*other_value)(void) = other != NULL ? (void *(*)(void))dlsym(other, "other_otel_ctx_value") : NULL;
    CHECK(other_value != NULL);

    h = published(&status); /* the slow path that sees the loader's counts change */
    CHECK_EQ(status.thread_ctx, 0u);
    CHECK(strstr(status.thread_ctx_message, "loaded after Weft started") != NULL);
    CHECK(strstr(status.thread_ctx_message, "libotherotelctx.so") != NULL);
    CHECK(h != NULL && !payload_has(h, "threadlocal.schema_version") && payload_has(h, "service.name"));
    weft_otel_get_status(&status); /* asked again: still yielded, not logged again */
    CHECK_EQ(status.thread_ctx, 0u);
    CHECK(weft_thread_context_switch() == NULL); /* off for good */
    set_phase(3);
    CHECK_EQ(pthread_join(thread, NULL), 0);
    CHECK_EQ(pthread_join(runtime_thread, NULL), 0);

    weft_span_end(span);
    CHECK(otel_thread_ctx_v1 == NULL); /* withdrawn at this thread's next span operation */
    weft_span_t *after = weft_span_begin(tracer, "main after", WEFT_SPAN_KIND_INTERNAL);
    CHECK(otel_thread_ctx_v1 == NULL);
    weft_context_t ctx;
    CHECK_EQ(weft_span_context(after, &ctx), 0);
    CHECK_EQ(weft_thread_context_publish(&ctx), -ECANCELED);
    CHECK(weft_thread_context_record() == NULL);
    weft_span_end(after);
    if (other_value != NULL) {
        CHECK(other_value() == NULL); /* the other writer's variable is never written by Weft */
    }

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    CHECK_EQ(count_lines(log, "loaded after Weft started"), 1);
    fclose(log);

    CHECK(worker_published);
    CHECK(worker_withdrawn);
    CHECK(worker_next);
    CHECK(runtime_switch_on);
    CHECK(runtime_published);
    CHECK(runtime_switch_off);
    CHECK(runtime_withdrawn);
    CHECK(runtime_invalid);
    weft_stats_t stats;
    CHECK_EQ(weft_get_stats(&stats), 0);
    CHECK_EQ(stats.spans_committed, 5u); /* recorded as usual, before and after */
    CHECK_EQ(weft_shutdown(), 0);
}

int main(void) {
    static const weft_test_case_t cases[] = {
        TEST_CASE(test_a_writer_loaded_later_is_yielded_to),
    };
    return weft_test_run("test_late_writer", cases, sizeof cases / sizeof cases[0]);
}
