/*
 * weftagent_reg.c - test JNI library that binds its natives with RegisterNatives in JNI_OnLoad
 * and exports no Java_* symbol. Under the Weft agent the Java methods are renamed with the
 * native method prefix, and RegisterNatives, given the original names, retries with the prefix.
 */
#include <weft/weft.h>

#include <jni.h>
#include <stdio.h>

static weft_tracer_t *tracer;

static jint reg_encode(JNIEnv *env, jclass cls, jint x) {
    (void)env;
    (void)cls;
    weft_span_t *span = weft_span_begin(tracer, "reg.encode", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_int64(span, "x", (int64_t)x);
    weft_span_end(span);
    return x + 100;
}

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void)reserved;
    JNIEnv *env = NULL;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) {
        return JNI_ERR;
    }
    int rc = weft_init("weftagent-test", "0.1.0", &tracer);
    if (rc != 0) {
        fprintf(stderr, "weftagent_reg: weft_init failed (%d): %s\n", rc, weft_last_error());
    }
    jclass cls = (*env)->FindClass(env, "com/example/nativelib/RegisteredCodec");
    if (cls == NULL) {
        return JNI_ERR;
    }
    static const JNINativeMethod methods[] = {
        {"encode", "(I)I", (void *)reg_encode},
    };
    if ((*env)->RegisterNatives(env, cls, methods, 1) != JNI_OK) {
        return JNI_ERR;
    }
    return JNI_VERSION_1_8;
}
