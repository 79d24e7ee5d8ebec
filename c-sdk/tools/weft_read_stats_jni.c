/*
 * weft_read_stats_jni.c - the C reference reader, called in-process from the
 * JVM, for the coverage-guided C-vs-Java differential fuzz target
 * (java-sdk/core: dev.weft.internal.segment.DifferentialFuzzTest, through
 * CReader). What weft-read-stats --adopt prints, without a process or a file
 * per input: the image is copied into an 8-aligned buffer, gets our euid at
 * creator_uid and its own length at segment_size (as the C fuzz target and
 * --adopt do), is opened with weft_reader_open_memory, drained once, and its
 * open spans walked.
 *
 * Test-only: built beside weft-read-stats (libweft_read_stats_jni.so, never
 * installed), linked with the static libweft so that it shares nothing with a
 * libweft.so the JVM may also load. Not thread-safe: one fuzz target calls it
 * from one thread (the buffer and the reader are reused from input to input).
 */
#define _GNU_SOURCE
#include <weft/weft_reader.h>

#include <jni.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static weft_reader_t reader;
static uint8_t *buffer;
static size_t buffer_size;
static char error[512];

/*
 * long[] read0(byte[] image): {rejected (0|1), spansRead, openSpans, corruptRecords, unknownRecords};
 * null (with an OutOfMemoryError pending) if no buffer can hold the image.
 */
JNIEXPORT jlongArray JNICALL Java_dev_weft_internal_segment_CReader_read0(JNIEnv *env, jclass cls, jbyteArray image) {
    (void)cls;
    const jsize length = (*env)->GetArrayLength(env, image);
    const size_t size = (size_t)length;
    if (size > buffer_size || buffer == NULL) {
        const size_t want = size > 8 ? (size + 7u) & ~(size_t)7u : 8u;
        uint8_t *grown = aligned_alloc(8, want);
        if (grown == NULL) {
            jclass oom = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
            if (oom != NULL) {
                (*env)->ThrowNew(env, oom, "weft_read_stats_jni: no buffer for the image");
            }
            return NULL;
        }
        free(buffer);
        buffer = grown;
        buffer_size = want;
    }
    (*env)->GetByteArrayRegion(env, image, 0, length, (jbyte *)buffer);
    if (size >= WEFT_ABI_HEADER_SIZE) {
        const uint32_t uid = (uint32_t)geteuid();
        const uint64_t size64 = size;
        memcpy(buffer + offsetof(weft_abi_header_t, creator_uid), &uid, sizeof uid);
        memcpy(buffer + offsetof(weft_abi_header_t, segment_size), &size64, sizeof size64);
    }
    jlong out[5] = {0};
    error[0] = '\0';
    if (weft_reader_open_memory(&reader, buffer, size, error, sizeof error) != 0) {
        out[0] = 1;
    } else {
        weft_reader_drain(&reader, NULL, NULL);
        out[2] = (jlong)weft_reader_open_spans(&reader, NULL, NULL);
        out[1] = (jlong)reader.counters.spans_read;
        out[3] = (jlong)reader.counters.corrupt_records;
        out[4] = (jlong)reader.counters.unknown_records;
        weft_reader_close(&reader);
    }
    jlongArray result = (*env)->NewLongArray(env, 5);
    if (result != NULL) {
        (*env)->SetLongArrayRegion(env, result, 0, 5, out);
    }
    return result;
}

/* String refusal0(): why the last image was refused ("" if it was not). */
JNIEXPORT jstring JNICALL Java_dev_weft_internal_segment_CReader_refusal0(JNIEnv *env, jclass cls) {
    (void)cls;
    return (*env)->NewStringUTF(env, error);
}
