/*
 * common.h - the work the test JNI libraries do: a span with a nested stage and an attribute,
 * under WEFT_TRACER (the library's own scope, named after its file), with no weft_init anywhere.
 */
#ifndef WEFTJNI_COMMON_H
#define WEFTJNI_COMMON_H

#include <weft/weft.h>

#include <jni.h>
#include <stdint.h>

static jlong weftjni_work(const char *name, jint rounds) {
    weft_span_t *span = weft_span_begin(WEFT_TRACER, name, WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_int64(span, "rounds", rounds);
    uint64_t h = 1469598103934665603ull;
    for (jint r = 0; r < rounds; r++) {
        weft_span_t *stage = weft_span_begin(WEFT_TRACER, "stage", WEFT_SPAN_KIND_INTERNAL);
        for (int i = 0; i < 1000; i++) {
            h = (h ^ (uint64_t)i) * 1099511628211ull;
        }
        weft_span_end(stage);
    }
    weft_span_end(span);
    return (jlong)(h & 0x7fffffff);
}

#endif
