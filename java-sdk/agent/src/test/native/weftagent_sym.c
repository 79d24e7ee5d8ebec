/*
 * weftagent_sym.c - test JNI library whose natives the JVM binds by symbol lookup (exported
 * Java_* functions). Under the Weft agent the Java methods are renamed with the native method
 * prefix, and the JVM finds these symbols by retrying with the prefix stripped. Each native call
 * that records records one span; it knows nothing about the JVM's trace.
 */
#include <weft/weft.h>

#include <jni.h>
#include <stdio.h>

static weft_tracer_t *tracer;

/* Until weft_init is optional (lazy init), the library initialises Weft when it is loaded. */
JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void)vm;
    (void)reserved;
    int rc = weft_init("weftagent-test", "0.1.0", &tracer);
    if (rc != 0) {
        fprintf(stderr, "weftagent_sym: weft_init failed (%d): %s\n", rc, weft_last_error());
    }
    return JNI_VERSION_1_8;
}

static jint record(const char *name, jint x) {
    weft_span_t *span = weft_span_begin(tracer, name, WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_int64(span, "x", (int64_t)x);
    weft_span_end(span);
    return x + 1;
}

JNIEXPORT jint JNICALL Java_com_example_nativelib_SymbolCodec_encode(JNIEnv *env, jclass cls, jint x) {
    (void)env;
    (void)cls;
    return record("sym.encode", x);
}

JNIEXPORT jint JNICALL Java_com_example_nativelib_SymbolCodec_scale(JNIEnv *env, jobject self, jint x) {
    (void)env;
    (void)self;
    return record("sym.scale", x) * 2;
}

JNIEXPORT void JNICALL Java_com_example_nativelib_SymbolCodec_fail(JNIEnv *env, jclass cls, jstring message) {
    (void)cls;
    weft_span_t *span = weft_span_begin(tracer, "sym.fail", WEFT_SPAN_KIND_INTERNAL);
    weft_span_end(span);
    const char *text = (*env)->GetStringUTFChars(env, message, NULL);
    jclass ise = (*env)->FindClass(env, "java/lang/IllegalStateException");
    if (ise != NULL && text != NULL) {
        (*env)->ThrowNew(env, ise, text);
    }
    if (text != NULL) {
        (*env)->ReleaseStringUTFChars(env, message, text);
    }
}

/* Trivial calls for the benchmark: one instrumented class, one left alone. */
JNIEXPORT jint JNICALL Java_com_example_nativelib_SymbolCodec_noop(JNIEnv *env, jclass cls, jint x) {
    (void)env;
    (void)cls;
    return x + 1;
}

JNIEXPORT jint JNICALL Java_com_example_nativelib_PlainCodec_noop(JNIEnv *env, jclass cls, jint x) {
    (void)env;
    (void)cls;
    return x + 1;
}
