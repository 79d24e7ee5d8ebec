/*
 * hiddenonload.c - a JNI library whose linker version script exports only Java_* symbols
 * (java-only.map): its JNI_OnLoad is local, so the JVM never calls it. Were Weft started there,
 * it would never start; nothing here calls weft_init.
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void)vm;
    (void)reserved;
    fprintf(stderr, "hiddenonload: JNI_OnLoad ran, but the version script should hide it\n");
    abort();
}

JNIEXPORT jlong JNICALL Java_dev_weft_demo_jnitest_HiddenOnLoad_work(JNIEnv *env, jclass cls, jint rounds) {
    (void)env;
    (void)cls;
    return weftjni_work("hidden.work", rounds);
}
