/*
 * lazyloaded.c - a JNI library its Java class loads in a static initialiser, i.e. inside the
 * first call the application makes (which Weft.enterNative() wraps); it never calls weft_init.
 */
#include "common.h"

JNIEXPORT jlong JNICALL Java_dev_weft_demo_jnitest_LazyLoaded_work(JNIEnv *env, jclass cls, jint rounds) {
    (void)env;
    (void)cls;
    return weftjni_work("lazy.work", rounds);
}
