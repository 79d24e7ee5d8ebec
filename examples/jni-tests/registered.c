/*
 * registered.c - a JNI library that binds its natives with RegisterNatives in JNI_OnLoad (no
 * Java_* symbols at all), and never calls weft_init.
 */
#include "common.h"

static jlong JNICALL registered_work(JNIEnv *env, jclass cls, jint rounds) {
    (void)env;
    (void)cls;
    return weftjni_work("registered.work", rounds);
}

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void)reserved;
    JNIEnv *env;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK) {
        return JNI_ERR;
    }
    jclass cls = (*env)->FindClass(env, "dev/weft/demo/jnitest/Registered");
    if (cls == NULL) {
        return JNI_ERR;
    }
    static const JNINativeMethod methods[] = {{"work", "(I)J", (void *)registered_work}};
    if ((*env)->RegisterNatives(env, cls, methods, 1) != 0) {
        return JNI_ERR;
    }
    return JNI_VERSION_1_8;
}
