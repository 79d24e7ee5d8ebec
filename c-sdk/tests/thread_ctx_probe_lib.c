/*
 * thread_ctx_probe_lib.c - libweftctxprobe.so: what a profiler reads in the calling thread's
 * OpenTelemetry thread context (OTEP 4947) as libweft publishes it, for Java tests
 * (dev.weft.ProfilersDiagnosisTarget). It finds libweft's own otel_thread_ctx_v1 through the
 * loader (dlsym on libweft.so.0, already loaded: the calling thread's instance), not through any
 * of libweft's functions. A JNI method without jni.h: on Linux a JNI function is a plain C
 * function whose first two arguments are the JNIEnv and the class.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>

#include <weft/weft_abi.h>

/**
 * dev.weft.ProfilersDiagnosisTarget.publishedSpanId(): the span id (big-endian, as a long) of
 * the valid record the calling thread's otel_thread_ctx_v1 points at in libweft; 0 if it points
 * at nothing; -1 if it points at a record whose valid flag is 0 (to ignore); -2 if libweft.so.0
 * is not loaded or has no otel_thread_ctx_v1.
 */
__attribute__((visibility("default"))) int64_t Java_dev_weft_ProfilersDiagnosisTarget_publishedSpanId(void *env,
                                                                                                     void *cls) {
    (void)env;
    (void)cls;
    void *weft = dlopen("libweft.so.0", RTLD_NOW | RTLD_NOLOAD);
    if (weft == NULL) {
        return -2;
    }
    weft_abi_thread_ctx_t *const volatile *slot = dlsym(weft, "otel_thread_ctx_v1");
    dlclose(weft);
    if (slot == NULL) {
        return -2;
    }
    const volatile weft_abi_thread_ctx_t *record = *slot;
    if (record == NULL) {
        return 0;
    }
    if (record->valid != 1) {
        return -1;
    }
    uint64_t id = 0;
    for (int i = 0; i < 8; i++) {
        id = id << 8 | record->span_id[i];
    }
    return (int64_t)id;
}
