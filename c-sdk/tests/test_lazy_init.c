/*
 * test_lazy_init.c - Weft without weft_init: the first span (or attach) of a process starts it
 * from the environment, once, under the calling shared object's scope name.
 *
 * Lazy start happens at most once per process, so every case runs in a forked child of a parent
 * that never started Weft (a fork child of such a parent may start lazily), with its own
 * segment directory in WEFT_SHM_DIR. Linked against the shared libweft, like libweftscope.so.3
 * (lazy_scope_lib.c, lazy_scope_named.c), so that both use one instance.
 */
#include "weft_test.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>

void weftscope_span(const char *name);
void weftscope_named_span(const char *name);

static char case_dir[64];

/** Runs fn in a fork child whose WEFT_SHM_DIR is a fresh directory; checks it passed. */
static void in_child(void (*fn)(void)) {
    snprintf(case_dir, sizeof case_dir, "/dev/shm/weft-test-XXXXXX");
    if (mkdtemp(case_dir) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        setenv("WEFT_SHM_DIR", case_dir, 1);
        setenv("WEFT_MAX_THREADS", "16", 1);
        setenv("WEFT_RING_SIZE", "64k", 1);
        weft_test_failures = 0;
        fn();
        fflush(NULL);
        _exit(weft_test_failures == 0 ? 0 : 1);
    }
    int status = 0;
    CHECK(child > 0 && waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", case_dir);
    CHECK_EQ(system(command), 0);
}

static const weft_abi_scope_t *scope_of(const weft_reader_t *reader, const weft_test_span_t *span) {
    return &reader->header->scopes[span->fixed.scope_index];
}

static bool scope_is(const weft_abi_scope_t *scope, const char *name, const char *version) {
    return scope->name_length == strlen(name) && memcmp(scope->name, name, scope->name_length) == 0 &&
           scope->version_length == strlen(version) && memcmp(scope->version, version, scope->version_length) == 0;
}

/* ------------------------------------------------------------------ cases */

static void first_span_without_init(void) {
    weft_status_t status;
    CHECK_EQ(weft_get_status(&status), 0);
    CHECK_EQ(status.state, WEFT_STATE_NOT_STARTED);
    char path[4096];
    CHECK_EQ(weft_segment_path(path, sizeof path), -ENOENT);

    weft_span_t *span = weft_span_begin(WEFT_TRACER, "lazy.first", WEFT_SPAN_KIND_INTERNAL);
    CHECK(span != NULL);
    CHECK(weft_span_is_recording(span));
    weft_span_end(span);

    CHECK_EQ(weft_get_status(&status), 0);
    CHECK_EQ(status.state, WEFT_STATE_RUNNING);
    CHECK_EQ(status.started_lazily, 1);
    CHECK(weft_segment_path(path, sizeof path) > 0);
    CHECK(strncmp(path, case_dir, strlen(case_dir)) == 0); /* from the environment, as weft_init */

    weft_reader_t *reader = weft_test_reader();
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 1);
    CHECK(spans.count == 1 && strcmp(spans.spans[0].name, "lazy.first") == 0);
    /* WEFT_TRACER in the executable: the scope is the program's file name */
    CHECK(spans.count == 1 && scope_is(scope_of(reader, &spans.spans[0]), "test_lazy_init", ""));
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
}

#define RACERS 8
static pthread_barrier_t racers_ready;

static void *racer(void *arg) {
    (void)arg;
    pthread_barrier_wait(&racers_ready);
    weft_span_end(weft_span_begin(WEFT_TRACER, "lazy.race", WEFT_SPAN_KIND_INTERNAL));
    return NULL;
}

static void concurrent_first_spans_start_one_segment(void) {
    pthread_t threads[RACERS];
    pthread_barrier_init(&racers_ready, NULL, RACERS);
    for (int i = 0; i < RACERS; i++) {
        CHECK_EQ(pthread_create(&threads[i], NULL, racer, NULL), 0);
    }
    for (int i = 0; i < RACERS; i++) {
        pthread_join(threads[i], NULL);
    }
    pthread_barrier_destroy(&racers_ready);
    /* one start: one segment file in the directory, holding every thread's span */
    char command[160];
    snprintf(command, sizeof command, "test \"$(ls '%s' | wc -l)\" -eq 1", case_dir);
    CHECK_EQ(system(command), 0);
    weft_reader_t *reader = weft_test_reader();
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), RACERS);
    weft_test_spans_free(&spans);
    weft_stats_t stats;
    CHECK_EQ(weft_get_stats(&stats), 0);
    CHECK_EQ(stats.spans_committed, RACERS);
    CHECK_EQ(stats.dropped_no_slot + stats.dropped_reentrant, 0);
    weft_test_reader_free(reader);
}

static void explicit_init_still_works_and_is_shared(void) {
    weft_tracer_t *tracer = NULL;
    CHECK_EQ(weft_init("libexplicit", "1.2", &tracer), 0);
    weft_status_t status;
    CHECK_EQ(weft_get_status(&status), 0);
    CHECK_EQ(status.state, WEFT_STATE_RUNNING);
    CHECK_EQ(status.started_lazily, 0);
    weft_span_end(weft_span_begin(tracer, "explicit", WEFT_SPAN_KIND_INTERNAL));
    weftscope_span("from.library"); /* a library using WEFT_TRACER joins the same segment */
    weft_reader_t *reader = weft_test_reader();
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 2);
    CHECK(spans.count == 2 && scope_is(scope_of(reader, &spans.spans[0]), "libexplicit", "1.2"));
    CHECK(spans.count == 2 && scope_is(scope_of(reader, &spans.spans[1]), "weftscope", "3"));
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    CHECK_EQ(weft_shutdown(), 0);
    /* after the last shutdown, a span does not start Weft again */
    CHECK(weft_span_begin(WEFT_TRACER, "after.shutdown", WEFT_SPAN_KIND_INTERNAL) == NULL);
    CHECK_EQ(weft_get_status(&status), 0);
    CHECK_EQ(status.state, WEFT_STATE_SHUT_DOWN);
}

static void weft_init_after_a_lazy_start_shares_it(void) {
    weft_span_end(weft_span_begin(WEFT_TRACER, "lazy", WEFT_SPAN_KIND_INTERNAL));
    char before[4096], after[4096];
    CHECK(weft_segment_path(before, sizeof before) > 0);
    weft_tracer_t *tracer = NULL;
    CHECK_EQ(weft_init("late", NULL, &tracer), 0);
    CHECK(weft_segment_path(after, sizeof after) > 0);
    CHECK(strcmp(before, after) == 0);
    CHECK_EQ(weft_shutdown(), 0); /* the late library's reference */
    CHECK(weft_span_begin(tracer, "still.running", WEFT_SPAN_KIND_INTERNAL) != NULL);
}

static void scope_name_comes_from_the_calling_shared_object(void) {
    weftscope_span("in.library");
    weftscope_named_span("named");
    weft_tracer_t *by_name = weft_tracer_get("by-name", "1");
    CHECK(by_name != NULL && by_name == weft_tracer_get("by-name", "1"));
    weft_span_end(weft_span_begin(by_name, "got", WEFT_SPAN_KIND_INTERNAL));
    weft_reader_t *reader = weft_test_reader();
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 3);
    if (spans.count == 3) {
        /* libweftscope.so.3: "lib" and ".so" dropped, the SONAME's version kept */
        CHECK(scope_is(scope_of(reader, &spans.spans[0]), "weftscope", "3"));
        CHECK(scope_is(scope_of(reader, &spans.spans[1]), "custom-scope", "9.9"));
        CHECK(scope_is(scope_of(reader, &spans.spans[2]), "by-name", "1"));
    }
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
    CHECK(weft_tracer_get(NULL, NULL) == NULL);
    CHECK(weft_tracer_get("", NULL) == NULL);
}

static void attach_starts_weft_for_the_jvm(void) {
    weft_context_t jvm = {.trace_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
                          .span_id = {1, 1, 2, 2, 3, 3, 4, 4},
                          .trace_flags = WEFT_TRACE_FLAG_SAMPLED};
    int token = weft_context_attach(&jvm);
    CHECK(token >= 0);
    weftscope_span("child.of.jvm");
    CHECK_EQ(weft_context_detach(token), 0);
    weft_reader_t *reader = weft_test_reader();
    weft_test_spans_t spans = {0};
    CHECK_EQ(weft_test_drain(reader, &spans), 1);
    if (spans.count == 1) {
        CHECK_MEM(spans.spans[0].fixed.ctx.trace_id, jvm.trace_id, 16);
        CHECK_MEM(spans.spans[0].fixed.parent_span_id, jvm.span_id, 8);
    }
    weft_test_spans_free(&spans);
    weft_test_reader_free(reader);
}

/** Redirects stderr into a file for the duration of fn; returns how many lines contain `needle`. */
static int count_stderr_lines(void (*fn)(void), const char *needle) {
    char file[96];
    snprintf(file, sizeof file, "%s.stderr", case_dir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(file, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    dup2(fd, 2);
    close(fd);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *in = fopen(file, "r");
    int count = 0;
    char line[2048];
    while (in != NULL && fgets(line, sizeof line, in) != NULL) {
        fputs(line, stdout); /* shown in the test log */
        count += strstr(line, needle) != NULL;
    }
    if (in != NULL) {
        fclose(in);
    }
    unlink(file);
    return count;
}

static void many_failing_spans(void) {
    for (int i = 0; i < 1000; i++) {
        CHECK(weft_span_begin(WEFT_TRACER, "lost", WEFT_SPAN_KIND_INTERNAL) == NULL);
    }
    weft_context_t ctx = {.trace_id = {1}, .span_id = {1}, .trace_flags = 1};
    CHECK_EQ(weft_context_attach(&ctx), -ECANCELED);
}

static void a_failed_start_is_reported_once_with_the_fix(void) {
    char missing[128];
    snprintf(missing, sizeof missing, "%s/does-not-exist", case_dir);
    setenv("WEFT_SHM_DIR", missing, 1);
    CHECK_EQ(count_stderr_lines(many_failing_spans, "Fix: point WEFT_SHM_DIR at a writable directory"), 1);
    weft_status_t status;
    CHECK_EQ(weft_get_status(&status), 0);
    CHECK_EQ(status.state, WEFT_STATE_FAILED);
    CHECK_EQ(status.error, -ENOENT);
    CHECK(strstr(status.message, missing) != NULL);
    CHECK(strstr(status.message, "Fix:") != NULL);
    /* explicit init can still start it, once the cause is fixed */
    weft_config_t config;
    CHECK_EQ(weft_config_from_env(&config), 0);
    snprintf(config.shm_dir, sizeof config.shm_dir, "%s", case_dir);
    weft_tracer_t *tracer = NULL;
    CHECK_EQ(weft_init_with_config(&config, "explicit", NULL, &tracer), 0);
    CHECK(weft_span_begin(tracer, "recorded", WEFT_SPAN_KIND_INTERNAL) != NULL);
}

static void a_bad_variable_is_reported_once_naming_it(void) {
    setenv("WEFT_RING_SIZE", "lots", 1);
    CHECK_EQ(count_stderr_lines(many_failing_spans, "WEFT_RING_SIZE=lots"), 1);
}

static void disabled_by_configuration_records_nothing_quietly(void) {
    setenv("WEFT_ENABLED", "false", 1);
    CHECK_EQ(count_stderr_lines(many_failing_spans, "weft"), 0);
    weft_status_t status;
    CHECK_EQ(weft_get_status(&status), 0);
    CHECK_EQ(status.state, WEFT_STATE_DISABLED);
}

#define LAZY_CASE(fn)                 \
    static void fn##_child(void) {    \
        in_child(fn);                 \
    }
LAZY_CASE(first_span_without_init)
LAZY_CASE(concurrent_first_spans_start_one_segment)
LAZY_CASE(explicit_init_still_works_and_is_shared)
LAZY_CASE(weft_init_after_a_lazy_start_shares_it)
LAZY_CASE(scope_name_comes_from_the_calling_shared_object)
LAZY_CASE(attach_starts_weft_for_the_jvm)
LAZY_CASE(a_failed_start_is_reported_once_with_the_fix)
LAZY_CASE(a_bad_variable_is_reported_once_naming_it)
LAZY_CASE(disabled_by_configuration_records_nothing_quietly)

int main(void) {
    static const weft_test_case_t cases[] = {
        {"first_span_without_init", first_span_without_init_child},
        {"concurrent_first_spans_start_one_segment", concurrent_first_spans_start_one_segment_child},
        {"explicit_init_still_works_and_is_shared", explicit_init_still_works_and_is_shared_child},
        {"weft_init_after_a_lazy_start_shares_it", weft_init_after_a_lazy_start_shares_it_child},
        {"scope_name_comes_from_the_calling_shared_object", scope_name_comes_from_the_calling_shared_object_child},
        {"attach_starts_weft_for_the_jvm", attach_starts_weft_for_the_jvm_child},
        {"a_failed_start_is_reported_once_with_the_fix", a_failed_start_is_reported_once_with_the_fix_child},
        {"a_bad_variable_is_reported_once_naming_it", a_bad_variable_is_reported_once_naming_it_child},
        {"disabled_by_configuration_records_nothing_quietly", disabled_by_configuration_records_nothing_quietly_child},
    };
    return weft_test_run("lazy_init", cases, sizeof cases / sizeof cases[0]);
}
