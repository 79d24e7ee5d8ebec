/*
 * test_otel_ctx.c - the OpenTelemetry process context (OTEP 4719) and a runtime's record in the
 * thread context (OTEP 4947), read in-process: header fields and publication order, the payload,
 * updates, removal at shutdown, fork; the runtime's record under and between native spans.
 * (The out-of-process reader, otel_ctx_reader.c, reads both as a profiler does.)
 */
#define _GNU_SOURCE
#include "weft_test.h"

#include "process_ctx.h"

#include <errno.h>
#include <sys/wait.h>

extern __thread weft_abi_thread_ctx_t *otel_thread_ctx_v1;

static const weft_process_ctx_header_t *published(void) {
    weft_otel_status_t status;
    CHECK_EQ(weft_otel_get_status(&status), 0);
    return status.process_ctx ? (const weft_process_ctx_header_t *)(uintptr_t)status.process_ctx_address : NULL;
}

static bool payload_has(const weft_process_ctx_header_t *h, const char *text) {
    const uint8_t *p = (const uint8_t *)(uintptr_t)h->payload;
    return memmem(p, h->payload_size, text, strlen(text)) != NULL;
}

static bool mapped_otel_ctx(void) {
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[1024];
    bool found = false;
    while (maps != NULL && fgets(line, sizeof line, maps) != NULL) {
        found = found || strstr(line, "OTEL_CTX") != NULL;
    }
    if (maps != NULL) {
        fclose(maps);
    }
    return found;
}

static void process_context_is_published_at_start_and_removed_at_shutdown(void) {
    CHECK(published() == NULL);
    setenv("OTEL_SERVICE_NAME", "checkout", 1);
    setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=prod,team=a%2Cb", 1);
    weft_config_t config = weft_test_config();
    weft_test_start(&config);
    const weft_process_ctx_header_t *h = published();
    CHECK(h != NULL);
    if (h != NULL) {
        CHECK_MEM(h->signature, "OTEL_CTX", 8);
        CHECK_EQ(h->version, 2u);
        CHECK(h->monotonic_published_at_ns != 0);
        CHECK(h->payload_size > 0 && h->payload_size <= WEFT_PROCESS_CTX_MAX_PAYLOAD);
        CHECK_EQ(h->payload, (uint64_t)(uintptr_t)(h + 1)); /* right after the header */
        CHECK(payload_has(h, "service.name") && payload_has(h, "checkout"));
        CHECK(payload_has(h, "deployment.environment.name") && payload_has(h, "prod"));
        CHECK(payload_has(h, "a,b"));  /* percent-decoded */
        CHECK(payload_has(h, "process.pid") && payload_has(h, "telemetry.sdk.name"));
        CHECK(payload_has(h, "threadlocal.schema_version") && payload_has(h, "tlsdesc_v1_dev"));
        CHECK(payload_has(h, "threadlocal.attribute_key_map"));
    }
    CHECK(mapped_otel_ctx());
    unsetenv("OTEL_SERVICE_NAME");
    unsetenv("OTEL_RESOURCE_ATTRIBUTES");
    CHECK_EQ(weft_shutdown(), 0);
    CHECK(published() == NULL);
    CHECK(!mapped_otel_ctx());
}

static void a_runtime_resource_replaces_the_native_one_and_updates_it(void) {
    weft_config_t config = weft_test_config();
    weft_test_start(&config);
    const weft_process_ctx_header_t *h = published();
    CHECK(h != NULL);
    if (h == NULL) {
        return;
    }
    uint64_t first = h->monotonic_published_at_ns;
    /* Resource { attributes = KeyValue { key = "service.name", value = { string_value = "jvm-svc" } } } */
    static const uint8_t resource[] = {0x0a, 0x19, 0x0a, 0x0c, 's', 'e', 'r', 'v', 'i', 'c', 'e', '.', 'n', 'a',
                                       'm', 'e', 0x12, 0x09, 0x0a, 0x07, 'j', 'v', 'm', '-', 's', 'v', 'c'};
    CHECK_EQ(weft_process_context_set_resource(resource, sizeof resource), 0);
    CHECK(published() == h); /* the same mapping, updated */
    CHECK(h->monotonic_published_at_ns > first);
    CHECK(payload_has(h, "jvm-svc") && !payload_has(h, "telemetry.sdk.name"));
    const uint8_t *p = (const uint8_t *)(uintptr_t)h->payload;
    CHECK_EQ(p[0], 0x0a); /* ProcessContext.resource, the bytes as given */
    CHECK_EQ(p[1], sizeof resource);
    CHECK_MEM(p + 2, resource, sizeof resource);
    weft_otel_status_t status;
    weft_otel_get_status(&status);
    CHECK_EQ(status.process_ctx_from_runtime, 1u);
    CHECK_EQ(weft_process_context_set_resource(NULL, 1), -EINVAL);
    CHECK_EQ(weft_process_context_set_resource(resource, 70000), -EINVAL);
    /* a later start keeps the runtime's Resource */
    CHECK_EQ(weft_shutdown(), 0);
    weft_test_start(&config);
    h = published();
    CHECK(h != NULL && payload_has(h, "jvm-svc"));
    /* a fork child has neither the mapping nor the parent's Resource; its start publishes its own
     * (not under qemu-user, which ignores MADV_DONTFORK) */
    pid_t child = getenv("WEFT_TEST_EMULATOR") != NULL ? -1 : fork();
    if (child < 0) {
        printf("  (fork part skipped: under an emulator, which ignores MADV_DONTFORK)\n");
    }
    if (child == 0) {
        int code = mapped_otel_ctx() ? 3 : published() != NULL ? 4 : 0;
        weft_shutdown(); /* the parent's reference: nothing of the parent's is touched */
        weft_tracer_t *tracer;
        if (code == 0 && weft_init("child", "1", &tracer) != 0) {
            code = 5;
        }
        const weft_process_ctx_header_t *c = published();
        if (code == 0 && (c == NULL || payload_has(c, "jvm-svc") || !payload_has(c, "process.pid"))) {
            code = 6;
        }
        weft_shutdown(); /* its own segment, in /dev/shm: _exit would leave it there as a dead process's */
        _exit(code);
    }
    int st = 0;
    if (child > 0) {
        CHECK_EQ(waitpid(child, &st, 0), child);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    CHECK_EQ(weft_process_context_set_resource(NULL, 0), 0); /* back to the native Resource */
    CHECK(payload_has(h, "telemetry.sdk.name"));
    CHECK_EQ(weft_shutdown(), 0);
}

static void a_runtime_span_is_published_between_native_spans(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_context_t jvm = {0};
    memset(jvm.trace_id, 0x11, 16);
    memset(jvm.span_id, 0x22, 8);
    jvm.trace_flags = 1;
    CHECK(otel_thread_ctx_v1 == NULL);
    CHECK_EQ(weft_thread_context_publish(&jvm), 0);
    weft_abi_thread_ctx_t *record = otel_thread_ctx_v1;
    CHECK(record != NULL);
    if (record == NULL) {
        return;
    }
    CHECK_MEM(record->trace_id, jvm.trace_id, 16);
    CHECK_MEM(record->span_id, jvm.span_id, 8);
    CHECK_EQ(record->valid, 1);
    CHECK_EQ(record->trace_flags, 1);
    CHECK_EQ(record->attrs_size, 0);
    CHECK_EQ((uintptr_t)record % 2, 0);
    /* native spans win while open; the runtime's span comes back after them */
    weft_span_t *a = weft_span_begin(tracer, "a", WEFT_SPAN_KIND_INTERNAL);
    weft_context_t actx;
    weft_span_context(a, &actx);
    CHECK(otel_thread_ctx_v1 != record && memcmp(otel_thread_ctx_v1->span_id, actx.span_id, 8) == 0);
    /* a change of the runtime's span while a native span is open is not published yet */
    weft_context_t jvm2 = jvm;
    memset(jvm2.span_id, 0x33, 8);
    CHECK_EQ(weft_thread_context_publish(&jvm2), 0);
    CHECK(memcmp(otel_thread_ctx_v1->span_id, actx.span_id, 8) == 0);
    weft_span_end(a);
    CHECK(otel_thread_ctx_v1 != NULL && memcmp(otel_thread_ctx_v1->span_id, jvm2.span_id, 8) == 0);
    /* one record per thread, updated in place; none = the record marked invalid */
    CHECK(otel_thread_ctx_v1 == record);
    CHECK(weft_thread_context_record() == record);
    CHECK_EQ(weft_thread_context_publish(&jvm), 0);
    CHECK(otel_thread_ctx_v1 == record && memcmp(record->span_id, jvm.span_id, 8) == 0 && record->valid == 1);
    CHECK_EQ(weft_thread_context_publish(NULL), 0);
    CHECK(otel_thread_ctx_v1 == record && record->valid == 0);
    weft_context_t zero = {0};
    CHECK_EQ(weft_thread_context_publish(&zero), -EINVAL);
    CHECK_EQ(weft_shutdown(), 0);
    /* with the thread context off for the runtime, nothing is published */
    config.otel_thread_ctx = false;
    weft_test_start(&config);
    CHECK_EQ(weft_thread_context_publish(&jvm), -ECANCELED);
    CHECK(weft_thread_context_record() == NULL);
    CHECK(otel_thread_ctx_v1 == NULL || otel_thread_ctx_v1->valid == 0); /* readers ignore an invalid record */
    CHECK_EQ(weft_shutdown(), 0);
}

int main(void) {
    static const weft_test_case_t cases[] = {
        TEST_CASE(process_context_is_published_at_start_and_removed_at_shutdown),
        TEST_CASE(a_runtime_resource_replaces_the_native_one_and_updates_it),
        TEST_CASE(a_runtime_span_is_published_between_native_spans),
    };
    return weft_test_run("test_otel_ctx", cases, sizeof cases / sizeof cases[0]);
}
