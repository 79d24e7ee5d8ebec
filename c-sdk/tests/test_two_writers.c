/*
 * test_two_writers.c - Weft beside another writer of the OpenTelemetry contexts (docs/
 * architecture.md "Two writers"): a library loaded before libweft that defines otel_thread_ctx_v1
 * (here it is even found first by the dynamic linker, so libweft's own accesses would land in its
 * variable); another OTEL_CTX mapping published before Weft starts. Weft yields to both: it
 * publishes no thread context and never writes the other's variable, publishes no process context,
 * says why in weft_otel_get_status and once on stderr, and records spans as usual.
 */
#define _GNU_SOURCE
#include "weft_test.h"

#include <weft/weft.h>

#include <errno.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

void *other_otel_ctx_value(void);

static void test_thread_context_left_to_the_other_writer(void) {
    weft_tracer_t *tracer;
    CHECK_EQ(weft_init("two-writers", "1", &tracer), 0);
    weft_otel_status_t status;
    CHECK_EQ(weft_otel_get_status(&status), 0);
    CHECK_EQ(status.thread_ctx, 0u);
    CHECK(strstr(status.thread_ctx_message, "libotherotelctx.so") != NULL);
    CHECK(strstr(status.thread_ctx_message, "found first by the dynamic linker") != NULL);
    weft_span_t *span = weft_span_begin(tracer, "under another writer", WEFT_SPAN_KIND_INTERNAL);
    CHECK(span != NULL);
    CHECK(other_otel_ctx_value() == NULL); /* Weft did not write the other's variable */
    weft_context_t ctx;
    CHECK_EQ(weft_span_context(span, &ctx), 0);
    CHECK_EQ(weft_thread_context_publish(&ctx), -ECANCELED);
    CHECK(other_otel_ctx_value() == NULL);
    weft_span_end(span);
    weft_stats_t stats;
    CHECK_EQ(weft_get_stats(&stats), 0);
    CHECK_EQ(stats.spans_committed, 1u); /* recorded as usual */
    /* the process context says there is no thread context from Weft */
    CHECK_EQ(status.process_ctx, 1u);
    CHECK_EQ(weft_shutdown(), 0);
}

static void test_process_context_left_to_the_other_writer(void) {
    if (getenv("WEFT_TEST_EMULATOR") != NULL) {
        printf("  (skipped: under an emulator, which ignores MADV_DONTFORK)\n");
        return;
    }
    pid_t child = fork();
    if (child == 0) {
        /* the fork child has no process context (MADV_DONTFORK); another writer publishes one first */
        int fd = memfd_create("OTEL_CTX", MFD_CLOEXEC);
        void *other = fd >= 0 && ftruncate(fd, 4096) == 0
                          ? mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0)
                          : MAP_FAILED;
        if (other == MAP_FAILED) {
            _exit(3);
        }
        weft_otel_status_t status;
        weft_otel_get_status(&status);
        if (status.process_ctx != 0) {
            _exit(4); /* the parent's was inherited */
        }
        weft_tracer_t *tracer;
        if (weft_init("two-writers-child", "1", &tracer) != 0) {
            _exit(5);
        }
        weft_otel_get_status(&status);
        if (status.process_ctx != 0 || strstr(status.process_ctx_message, "another OpenTelemetry process context") == NULL) {
            _exit(6);
        }
        if (weft_process_context_set_resource((const uint8_t *)"\x0a\x00", 2) != -EEXIST) {
            _exit(7);
        }
        weft_shutdown();
        _exit(0);
    }
    int st = 0;
    CHECK_EQ(waitpid(child, &st, 0), child);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
}

int main(void) {
    static const weft_test_case_t cases[] = {
        TEST_CASE(test_thread_context_left_to_the_other_writer),
        TEST_CASE(test_process_context_left_to_the_other_writer),
    };
    return weft_test_run("test_two_writers", cases, sizeof cases / sizeof cases[0]);
}
