/*
 * jni.c - JNI entry points for the Weft Java SDK (class dev.weft.internal.jni.WeftJni).
 *
 * Built into libweft itself when a JDK's headers are found, so that the JVM
 * and the application's native library share one libweft and therefore one
 * set of thread-local span stacks. Ids cross as longs: the trace id as two
 * big-endian halves (the order of its hex form), the span id as one.
 * Nothing here keeps a reference to JVM memory.
 */
#include "weft_internal.h"
#include "context.h"

#include <errno.h>
#include <jni.h>
#include <stdio.h>
#include <string.h>

static void weft_put_be64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

JNIEXPORT jint JNICALL Java_dev_weft_internal_jni_WeftJni_attach(JNIEnv *env, jclass cls, jlong trace_id_high,
                                                                   jlong trace_id_low, jlong span_id,
                                                                   jint trace_flags) {
    (void)env;
    (void)cls;
    return weft_context_attach_ids((uint64_t)trace_id_high, (uint64_t)trace_id_low, (uint64_t)span_id,
                                   (uint32_t)trace_flags);
}

JNIEXPORT jint JNICALL Java_dev_weft_internal_jni_WeftJni_detach(JNIEnv *env, jclass cls, jint token) {
    (void)env;
    (void)cls;
    return weft_context_detach(token);
}

/**
 * This thread's attach cell (40 bytes, weft_jvm_cell_t in thread.h; jvm_cell.c) as a direct
 * ByteBuffer, for Weft.enterNative's attach by plain stores. Valid while the thread lives: the JVM
 * asks once per platform thread and never shares it with another thread.
 */
JNIEXPORT jobject JNICALL Java_dev_weft_internal_jni_WeftJni_attachCell(JNIEnv *env, jclass cls) {
    (void)cls;
    return (*env)->NewDirectByteBuffer(env, weft_jvm_cell(), (jlong)sizeof(weft_jvm_cell_t));
}

/** Fills out[0..3] with trace id high, trace id low, span id, flags. @return false if there is no current context. */
JNIEXPORT jboolean JNICALL Java_dev_weft_internal_jni_WeftJni_currentContext(JNIEnv *env, jclass cls,
                                                                              jlongArray out) {
    (void)cls;
    weft_context_t ctx;
    if (out == NULL || (*env)->GetArrayLength(env, out) < 4 || weft_current_context(&ctx) != 0) {
        return JNI_FALSE;
    }
    jlong values[4] = {(jlong)weft_load_be64(ctx.trace_id), (jlong)weft_load_be64(ctx.trace_id + 8),
                       (jlong)weft_load_be64(ctx.span_id), (jlong)ctx.trace_flags};
    (*env)->SetLongArrayRegion(env, out, 0, 4, values);
    return JNI_TRUE;
}

JNIEXPORT jstring JNICALL Java_dev_weft_internal_jni_WeftJni_segmentPath(JNIEnv *env, jclass cls) {
    (void)cls;
    char path[WEFT_PATH_MAX];
    if (weft_segment_path(path, sizeof path) < 0) {
        return NULL;
    }
    return (*env)->NewStringUTF(env, path);
}

/** weft_get_status: state | started_lazily << 8 | scope_count << 16. */
JNIEXPORT jint JNICALL Java_dev_weft_internal_jni_WeftJni_status(JNIEnv *env, jclass cls) {
    (void)env;
    (void)cls;
    weft_status_t status;
    if (weft_get_status(&status) != 0) {
        return -EINVAL;
    }
    return (jint)(status.state | (status.started_lazily ? 1u << 8 : 0u) | (status.scope_count << 16));
}

/** Why the start on the first span failed, and the fix; NULL if it did not fail. */
JNIEXPORT jstring JNICALL Java_dev_weft_internal_jni_WeftJni_statusMessage(JNIEnv *env, jclass cls) {
    (void)cls;
    weft_status_t status;
    if (weft_get_status(&status) != 0 || status.message[0] == '\0') {
        return NULL;
    }
    return (*env)->NewStringUTF(env, status.message);
}

/** weft_get_stats: fills out[0..4] with committed, ring full, reentrant, too deep, no slot. @return false if not running. */
JNIEXPORT jboolean JNICALL Java_dev_weft_internal_jni_WeftJni_nativeStats(JNIEnv *env, jclass cls, jlongArray out) {
    (void)cls;
    weft_stats_t stats;
    if (out == NULL || (*env)->GetArrayLength(env, out) < 5 || weft_get_stats(&stats) != 0) {
        return JNI_FALSE;
    }
    jlong values[5] = {(jlong)stats.spans_committed, (jlong)stats.dropped_ring_full, (jlong)stats.dropped_reentrant,
                       (jlong)stats.dropped_too_deep, (jlong)stats.dropped_no_slot};
    (*env)->SetLongArrayRegion(env, out, 0, 5, values);
    return JNI_TRUE;
}

/** weft_now_unix_nanos: the clock native spans are stamped with (dev.weft.WeftClock). */
JNIEXPORT jlong JNICALL Java_dev_weft_internal_jni_WeftJni_nowUnixNanos(JNIEnv *env, jclass cls) {
    (void)env;
    (void)cls;
    return (jlong)weft_now_unix_nanos();
}

/** weft_clock_source, and after ": " weft_clock_source_reason when there is one. */
JNIEXPORT jstring JNICALL Java_dev_weft_internal_jni_WeftJni_clockSource(JNIEnv *env, jclass cls) {
    (void)cls;
    char text[256];
    const char *reason = weft_clock_source_reason();
    snprintf(text, sizeof text, "%s%s%s", weft_clock_source(), reason[0] != '\0' ? ": " : "", reason);
    return (*env)->NewStringUTF(env, text);
}

/** weft_thread_context_publish: this thread's current JVM span, for profilers (OTEP 4947). */
JNIEXPORT jint JNICALL Java_dev_weft_internal_jni_WeftJni_publishThreadContext(JNIEnv *env, jclass cls,
                                                                                jlong trace_id_high,
                                                                                jlong trace_id_low, jlong span_id,
                                                                                jint trace_flags) {
    (void)env;
    (void)cls;
    weft_context_t ctx = {0};
    weft_put_be64(ctx.trace_id, (uint64_t)trace_id_high);
    weft_put_be64(ctx.trace_id + 8, (uint64_t)trace_id_low);
    weft_put_be64(ctx.span_id, (uint64_t)span_id);
    ctx.trace_flags = (uint8_t)trace_flags;
    return weft_thread_context_publish(&ctx);
}

/**
 * weft_thread_context_record: this thread's runtime record (28 bytes) as a direct ByteBuffer that
 * the JVM updates in place, or NULL if thread context publication is off.
 */
JNIEXPORT jobject JNICALL Java_dev_weft_internal_jni_WeftJni_threadContextRecord(JNIEnv *env, jclass cls) {
    (void)cls;
    void *record = weft_thread_context_record();
    return record != NULL ? (*env)->NewDirectByteBuffer(env, record, (jlong)sizeof(weft_abi_thread_ctx_t)) : NULL;
}

/**
 * weft_thread_context_switch: the process-wide word (4 bytes, native order) the JVM reads at each
 * context change, 0 once Weft yielded; NULL if thread context publication is off already.
 */
JNIEXPORT jobject JNICALL Java_dev_weft_internal_jni_WeftJni_threadContextSwitch(JNIEnv *env, jclass cls) {
    (void)cls;
    const volatile uint32_t *word = weft_thread_context_switch();
    return word != NULL ? (*env)->NewDirectByteBuffer(env, (void *)(uintptr_t)word, (jlong)sizeof *word) : NULL;
}

/** weft_thread_context_publish(NULL): no JVM span current on this thread. */
JNIEXPORT jint JNICALL Java_dev_weft_internal_jni_WeftJni_clearThreadContext(JNIEnv *env, jclass cls) {
    (void)env;
    (void)cls;
    return weft_thread_context_publish(NULL);
}

/** weft_process_context_set_resource with an encoded opentelemetry.proto.resource.v1.Resource. */
JNIEXPORT jint JNICALL Java_dev_weft_internal_jni_WeftJni_setProcessResource(JNIEnv *env, jclass cls,
                                                                              jbyteArray resource) {
    (void)cls;
    if (resource == NULL) {
        return weft_process_context_set_resource(NULL, 0);
    }
    jsize n = (*env)->GetArrayLength(env, resource);
    if (n <= 0 || n > 65536) {
        return -EINVAL;
    }
    jbyte *copy = (*env)->GetByteArrayElements(env, resource, NULL);
    if (copy == NULL) {
        return -ENOMEM;
    }
    int rc = weft_process_context_set_resource((const uint8_t *)copy, (size_t)n);
    (*env)->ReleaseByteArrayElements(env, resource, copy, JNI_ABORT);
    return rc;
}

/** weft_otel_get_status: bit 0 thread context on, bit 1 process context published, bit 2 from the runtime. */
JNIEXPORT jint JNICALL Java_dev_weft_internal_jni_WeftJni_otelStatus(JNIEnv *env, jclass cls) {
    (void)env;
    (void)cls;
    weft_otel_status_t status;
    if (weft_otel_get_status(&status) != 0) {
        return -EINVAL;
    }
    return (jint)(status.thread_ctx | status.process_ctx << 1 | status.process_ctx_from_runtime << 2);
}

/** Why the thread context (process: the process context) is not published, or NULL. */
JNIEXPORT jstring JNICALL Java_dev_weft_internal_jni_WeftJni_otelContextMessage(JNIEnv *env, jclass cls,
                                                                                 jboolean process) {
    (void)cls;
    weft_otel_status_t status;
    if (weft_otel_get_status(&status) != 0) {
        return NULL;
    }
    const char *message = process ? status.process_ctx_message : status.thread_ctx_message;
    return message[0] != '\0' ? (*env)->NewStringUTF(env, message) : NULL;
}

/** Why thread or process context publication is off, or NULL. */
JNIEXPORT jstring JNICALL Java_dev_weft_internal_jni_WeftJni_otelStatusMessage(JNIEnv *env, jclass cls) {
    (void)cls;
    weft_otel_status_t status;
    if (weft_otel_get_status(&status) != 0) {
        return NULL;
    }
    char message[2200];
    snprintf(message, sizeof message, "%s%s%s", status.thread_ctx_message,
             status.thread_ctx_message[0] != '\0' && status.process_ctx_message[0] != '\0' ? "; " : "",
             status.process_ctx_message);
    return message[0] != '\0' ? (*env)->NewStringUTF(env, message) : NULL;
}
