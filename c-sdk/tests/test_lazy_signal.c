/*
 * test_lazy_signal.c - a signal handler that records while its thread is inside weft_init (which
 * holds the init lock) must not start Weft lazily: it would take that lock again and deadlock.
 * Built with the SDK's sources in WEFT_TESTING, whose hook raises the signal under the lock.
 */
#include "weft_test.h"

#include <signal.h>

extern void (*weft_testing_under_init_lock)(void);
extern uint64_t (*weft_testing_clock)(void); /* the WEFT_TESTING build reads time through it */
void weft_testing_scope_from_file(const char *file, char *name, size_t name_size, char *version,
                                  size_t version_size);

static weft_tracer_t *handler_tracer;
static volatile sig_atomic_t handler_ran;
static weft_span_t *volatile handler_span = (weft_span_t *)1;

static void on_signal(int sig) {
    (void)sig;
    handler_span = weft_span_begin(handler_tracer, "in.handler", WEFT_SPAN_KIND_INTERNAL);
    weft_span_end(handler_span);
    handler_ran = 1;
}

static uint64_t test_clock(void) {
    static uint64_t now = 1700000000000000000ull;
    return now += 1000;
}

static void raise_signal(void) {
    raise(SIGUSR1);
}

static void a_handler_inside_weft_init_neither_starts_weft_nor_deadlocks(void) {
    handler_tracer = weft_tracer_get("signal", NULL); /* resolved outside the handler */
    CHECK(handler_tracer != NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    weft_testing_under_init_lock = raise_signal;
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = NULL;
    CHECK_EQ(weft_init_with_config(&config, "explicit", NULL, &tracer), 0); /* returns: no deadlock */
    weft_testing_under_init_lock = NULL;
    CHECK_EQ(handler_ran, 1);
    CHECK(handler_span == NULL); /* dropped, not recorded under a half-made start */
    weft_status_t status;
    CHECK_EQ(weft_get_status(&status), 0);
    CHECK_EQ(status.state, WEFT_STATE_RUNNING);
    CHECK_EQ(status.started_lazily, 0); /* weft_init started it, once */
    weft_span_t *after = weft_span_begin(handler_tracer, "after", WEFT_SPAN_KIND_INTERNAL);
    CHECK(after != NULL && weft_span_is_recording(after));
    weft_span_end(after);
    CHECK_EQ(weft_shutdown(), 0);
}

static void check_scope(const char *file, const char *name, const char *version) {
    char n[64], v[64];
    weft_testing_scope_from_file(file, n, sizeof n, v, sizeof v);
    CHECK(strcmp(n, name) == 0);
    CHECK(strcmp(v, version) == 0);
    if (strcmp(n, name) != 0 || strcmp(v, version) != 0) {
        fprintf(stderr, "%s -> %s %s\n", file, n, v);
    }
}

static void scope_names_from_file_names(void) {
    check_scope("/opt/x/libcodec.so.2.1", "codec", "2.1");
    check_scope("libcodec.so", "codec", "");
    check_scope("/usr/lib/libweft-demo.so.0", "weft-demo", "0");
    check_scope("/srv/bin/my-service", "my-service", "");
    check_scope("/lib/lib.so", "lib", "");           /* nothing left without "lib": kept */
    check_scope("/x/libsome.sonic.so.3", "some.sonic", "3"); /* ".so" only as a whole suffix */
    check_scope("/x/libplugin.so.", "plugin", "");
}

int main(void) {
    weft_testing_clock = test_clock;
    static const weft_test_case_t cases[] = {
        TEST_CASE(a_handler_inside_weft_init_neither_starts_weft_nor_deadlocks),
        TEST_CASE(scope_names_from_file_names),
    };
    return weft_test_run("lazy_signal", cases, sizeof cases / sizeof cases[0]);
}
