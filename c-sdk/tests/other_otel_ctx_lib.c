/*
 * other_otel_ctx_lib.c - libotherotelctx.so: another writer of the OpenTelemetry thread context in
 * the same process, as a profiler that ships its own otel_thread_ctx_v1 would be (test_two_writers).
 */
#include <stddef.h>

__attribute__((visibility("default"))) __thread void *otel_thread_ctx_v1 = NULL;

/** This library's own instance of the variable on the calling thread. */
__attribute__((visibility("default"))) void *other_otel_ctx_value(void) {
    return otel_thread_ctx_v1;
}
