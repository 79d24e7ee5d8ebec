/* The consumer's JNI library: one native span per call, recorded with the C SDK. */
#include <jni.h>
#include <stdio.h>
#include <weft/weft.h>

static weft_tracer_t *tracer;

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void)vm;
    (void)reserved;
    if (weft_init("weft-consumer-native", "1.0", &tracer) != 0) {
        fprintf(stderr, "weftconsumer: weft_init: %s\n", weft_last_error());
    }
    return JNI_VERSION_1_8;
}

/* The sum of the bytes, in a span "consumer.checksum" with attribute consumer.bytes. */
JNIEXPORT jlong JNICALL Java_example_consumer_ConsumerMain_checksum(JNIEnv *env, jclass cls, jbyteArray data) {
    (void)cls;
    weft_span_t *span = weft_span_begin(tracer, "consumer.checksum", WEFT_SPAN_KIND_INTERNAL);
    jsize length = (*env)->GetArrayLength(env, data);
    jbyte *bytes = (*env)->GetByteArrayElements(env, data, NULL);
    jlong sum = 0;
    for (jsize i = 0; bytes != NULL && i < length; i++) {
        sum += (unsigned char)bytes[i];
    }
    if (bytes != NULL) {
        (*env)->ReleaseByteArrayElements(env, data, bytes, JNI_ABORT);
    }
    weft_span_set_int64(span, "consumer.bytes", (int64_t)length);
    weft_span_end(span);
    return sum;
}
