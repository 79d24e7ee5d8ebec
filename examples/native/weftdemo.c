/*
 * weftdemo.c - the Weft demo's native library: a pretend codec that records its work with the
 * Weft C SDK.
 *
 * One request (demo_process) runs nested stages with attributes, a stage that fails with an
 * error status, a worker pthread that adopts the request's context (and calls into Java from
 * that thread, attaching and detaching it), and an upcall into Java on the calling thread.
 * It is reachable through JNI (class dev.weft.demo.NativeCodec) and through plain C functions
 * for FFM (weftdemo_*). The library knows nothing about the JVM's trace: the Java side attaches
 * its span context around each call (Weft.enterNative) and the spans here become its children.
 *
 * Ownership: Java arrays are copied in (GetByteArrayRegion) and nothing keeps a JVM reference
 * past the call, except the global reference the worker thread holds until it is joined.
 */
#include <weft/weft.h>

#include <dlfcn.h>
#include <errno.h>
#include <jni.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEFTDEMO_API __attribute__((visibility("default")))

static weft_tracer_t *demo_tracer;
static JavaVM *demo_vm;
static int demo_init_status = -ENOENT;

/* ------------------------------------------------------------------ init */

static void demo_init(void) {
    if (demo_tracer == NULL) {
        demo_init_status = weft_init("weft-demo-native", "0.1.0", &demo_tracer);
        if (demo_init_status != 0 && demo_init_status != -ECANCELED) {
            fprintf(stderr, "weftdemo: weft_init failed (%d): %s\n", demo_init_status, weft_last_error());
        }
    }
}

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void)reserved;
    demo_vm = vm;
    demo_init();
    return JNI_VERSION_1_8;
}

/** For FFM callers (no JNI_OnLoad): initialise Weft. @return 0 or weft_init's error. */
WEFTDEMO_API int weftdemo_init(void) {
    demo_init();
    return demo_init_status;
}

/* ---------------------------------------------------------------- stages */

/** Deterministic busy work so that spans have visible durations (about `rounds` microseconds). */
static uint64_t demo_work(const uint8_t *data, size_t length, int rounds) {
    uint64_t h = 1469598103934665603ull;
    for (int r = 0; r < rounds; r++) {
        for (size_t i = 0; i < length; i++) {
            h = (h ^ data[i]) * 1099511628211ull;
        }
        for (int i = 0; i < 200; i++) {
            h = (h ^ (uint64_t)i) * 1099511628211ull;
        }
    }
    return h;
}

/** A callback into the caller's language: 0 and *result on success, -1 if it failed (threw). */
typedef int (*demo_upcall_fn)(void *clientd, int32_t request_id, int64_t *result);

typedef struct demo_worker {
    weft_context_t parent;
    const uint8_t *data;
    size_t length;
    int32_t request_id;
    uint64_t checksum;
    demo_upcall_fn report; /* called on the worker thread, may be NULL */
    void *clientd;
} demo_worker_t;

static void *demo_worker_main(void *arg) {
    demo_worker_t *w = arg;
    pthread_setname_np(pthread_self(), "codec-worker");
    /* Adopt the request's context, captured on the calling thread. */
    int token = weft_context_attach(&w->parent);
    weft_span_t *span = weft_span_begin(demo_tracer, "codec.worker.compress", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_int64(span, "request.id", w->request_id);
    weft_span_set_string(span, "codec.algorithm", "lz-demo");
    w->checksum = demo_work(w->data, w->length, 40);
    weft_span_set_int64(span, "compressed.bytes", (int64_t)(w->length * 3 / 5));
    if (w->report != NULL) {
        int64_t ignored;
        if (w->report(w->clientd, w->request_id, &ignored) != 0) {
            weft_span_set_status(span, WEFT_STATUS_ERROR, "progress callback failed");
        }
    }
    weft_span_end(span);
    if (token >= 0) {
        weft_context_detach(token);
    }
    return NULL;
}

/**
 * One request. Returns a checksum, or -1 if the upcall failed (its span and the request's
 * span then carry an ERROR status; the caller sees the callback's exception).
 */
static int64_t demo_process(int32_t request_id, const uint8_t *data, size_t length, demo_upcall_fn enrich,
                            demo_upcall_fn report, void *clientd) {
    weft_span_t *root = weft_span_begin(demo_tracer, "codec.process", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_int64(root, "request.id", request_id);
    weft_span_set_int64(root, "payload.bytes", (int64_t)length);

    /* Stage 1: parse, with a nested header stage. */
    weft_span_t *parse = weft_span_begin(demo_tracer, "codec.parse", WEFT_SPAN_KIND_INTERNAL);
    weft_span_t *header = weft_span_begin(demo_tracer, "codec.parse.header", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_int64(header, "header.version", 2);
    uint64_t h = demo_work(data, length < 64 ? length : 64, 20);
    weft_span_end(header);
    weft_span_set_int64(parse, "parse.fields", 12);
    weft_span_set_bool(parse, "parse.strict", true);
    h ^= demo_work(data, length, 30);
    weft_span_end(parse);

    /* Stage 2: validation fails (the codec carries on with a repaired block). */
    weft_span_t *validate = weft_span_begin(demo_tracer, "codec.validate", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_string(validate, "validate.rule", "block-checksum");
    h ^= demo_work(data, length, 10);
    weft_attr_t event_attrs[] = {WEFT_ATTR_I64("block", 3), WEFT_ATTR_STR("action", "repaired")};
    weft_span_add_event(validate, "checksum.mismatch", event_attrs, 2);
    weft_span_set_status(validate, WEFT_STATUS_ERROR, "checksum mismatch in block 3");
    weft_span_end(validate);

    /* Stage 3: a worker thread, given this span's context. */
    demo_worker_t worker = {.data = data, .length = length, .request_id = request_id, .report = report,
                            .clientd = clientd};
    pthread_t thread;
    int started = -1;
    if (weft_span_context(root, &worker.parent) == 0 || weft_current_context(&worker.parent) == 0) {
        started = pthread_create(&thread, NULL, demo_worker_main, &worker);
    }
    if (started == 0) {
        pthread_join(thread, NULL);
        h ^= worker.checksum;
    }

    /* Stage 4: an upcall into the caller's language. */
    int64_t result = (int64_t)(h & 0x7fffffffffffffffull);
    if (enrich != NULL) {
        weft_span_t *upcall = weft_span_begin(demo_tracer, "codec.upcall", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_string(upcall, "upcall.callback", "enrich");
        int64_t enriched = 0;
        if (enrich(clientd, request_id, &enriched) != 0) {
            weft_span_set_status(upcall, WEFT_STATUS_ERROR, "callback threw an exception");
            weft_span_end(upcall);
            weft_span_set_status(root, WEFT_STATUS_ERROR, "upcall failed");
            weft_span_end(root);
            return -1;
        }
        weft_span_set_int64(upcall, "enrich.result", enriched);
        weft_span_end(upcall);
        result ^= enriched;
    }
    weft_span_set_int64(root, "result.checksum", result);
    weft_span_end(root);
    return result;
}

static int64_t demo_lookup(int32_t key) {
    weft_span_t *span = weft_span_begin(demo_tracer, "codec.lookup", WEFT_SPAN_KIND_CLIENT);
    weft_span_set_int64(span, "lookup.key", key);
    uint8_t k[4] = {(uint8_t)key, (uint8_t)(key >> 8), (uint8_t)(key >> 16), (uint8_t)(key >> 24)};
    int64_t value = (int64_t)(demo_work(k, sizeof k, 15) & 0xffff);
    weft_span_set_bool(span, "lookup.hit", (value & 1) == 0);
    weft_span_end(span);
    return value;
}

static int64_t demo_encode(int32_t request_id, const uint8_t *data, size_t length) {
    weft_span_t *span = weft_span_begin(demo_tracer, "codec.encode", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_int64(span, "request.id", request_id);
    weft_span_set_string(span, "encode.format", "weft-demo/1");
    weft_span_set_double(span, "encode.ratio", 0.6);
    int64_t out = (int64_t)(demo_work(data, length, 25) & 0xffffff);
    weft_span_set_int64(span, "encode.bytes", (int64_t)(length * 3 / 5));
    weft_span_end(span);
    return out;
}

/* ------------------------------------------------------------------- JNI */

typedef struct demo_jni_callbacks {
    JNIEnv *env;      /* of the calling thread */
    jobject callbacks; /* global reference, for the worker thread */
    jmethodID enrich;  /* long enrich(int) */
    jmethodID report;  /* void workerProgress(int) */
} demo_jni_callbacks_t;

static int demo_jni_enrich(void *clientd, int32_t request_id, int64_t *result) {
    demo_jni_callbacks_t *cb = clientd;
    jlong value = (*cb->env)->CallLongMethod(cb->env, cb->callbacks, cb->enrich, (jint)request_id);
    if ((*cb->env)->ExceptionCheck(cb->env)) {
        return -1; /* left pending: it propagates to the Java caller of process() */
    }
    *result = value;
    return 0;
}

/* On the worker thread: attach it to the JVM for the callback, then detach it again. */
static int demo_jni_report(void *clientd, int32_t request_id, int64_t *result) {
    demo_jni_callbacks_t *cb = clientd;
    JNIEnv *env = NULL;
    JavaVMAttachArgs args = {.version = JNI_VERSION_1_8, .name = "codec-worker", .group = NULL};
    if ((*demo_vm)->AttachCurrentThread(demo_vm, (void **)&env, &args) != JNI_OK) {
        return -1;
    }
    (*env)->CallVoidMethod(env, cb->callbacks, cb->report, (jint)request_id);
    int failed = (*env)->ExceptionCheck(env) ? -1 : 0;
    if (failed) {
        (*env)->ExceptionClear(env); /* the worker has no Java caller to hand it to */
    }
    *result = 0;
    (*demo_vm)->DetachCurrentThread(demo_vm);
    return failed;
}

static uint8_t *demo_copy_in(JNIEnv *env, jbyteArray array, size_t *length) {
    *length = array != NULL ? (size_t)(*env)->GetArrayLength(env, array) : 0;
    uint8_t *copy = malloc(*length > 0 ? *length : 1);
    if (copy != NULL && *length > 0) {
        (*env)->GetByteArrayRegion(env, array, 0, (jsize)*length, (jbyte *)copy);
    }
    return copy;
}

/* long process(int requestId, byte[] payload, NativeCodec.Callbacks callbacks) */
JNIEXPORT jlong JNICALL Java_dev_weft_demo_NativeCodec_process(JNIEnv *env, jclass cls, jint request_id,
                                                              jbyteArray payload, jobject callbacks) {
    (void)cls;
    size_t length;
    uint8_t *data = demo_copy_in(env, payload, &length);
    if (data == NULL) {
        return -1;
    }
    demo_jni_callbacks_t cb = {.env = env};
    if (callbacks != NULL) {
        jclass type = (*env)->GetObjectClass(env, callbacks);
        cb.enrich = (*env)->GetMethodID(env, type, "enrich", "(I)J");
        cb.report = (*env)->GetMethodID(env, type, "workerProgress", "(I)V");
        if (cb.enrich == NULL || cb.report == NULL) {
            free(data);
            return -1; /* NoSuchMethodError pending */
        }
        cb.callbacks = (*env)->NewGlobalRef(env, callbacks);
    }
    jlong result = demo_process(request_id, data, length, callbacks != NULL ? demo_jni_enrich : NULL,
                                callbacks != NULL ? demo_jni_report : NULL, &cb);
    if (cb.callbacks != NULL) {
        (*env)->DeleteGlobalRef(env, cb.callbacks);
    }
    free(data);
    return result;
}

JNIEXPORT jlong JNICALL Java_dev_weft_demo_NativeCodec_lookup(JNIEnv *env, jclass cls, jint key) {
    (void)env;
    (void)cls;
    return demo_lookup(key);
}

JNIEXPORT jlong JNICALL Java_dev_weft_demo_NativeCodec_encode(JNIEnv *env, jclass cls, jint request_id,
                                                             jbyteArray payload) {
    (void)cls;
    size_t length;
    uint8_t *data = demo_copy_in(env, payload, &length);
    if (data == NULL) {
        return -1;
    }
    jlong out = demo_encode(request_id, data, length);
    free(data);
    return out;
}

/** Begins a span and returns without ending it (a native function that forgot, or bailed out). */
JNIEXPORT void JNICALL Java_dev_weft_demo_NativeCodec_leakSpan(JNIEnv *env, jclass cls, jstring name) {
    (void)cls;
    const char *chars = (*env)->GetStringUTFChars(env, name, NULL);
    if (chars == NULL) {
        return;
    }
    weft_span_t *span = weft_span_begin(demo_tracer, chars, WEFT_SPAN_KIND_INTERNAL);
    (*env)->ReleaseStringUTFChars(env, name, chars);
    weft_span_set_bool(span, "leaked", true);
}

/** One native span, begun and ended (benchmarks). */
JNIEXPORT void JNICALL Java_dev_weft_demo_NativeCodec_oneSpan(JNIEnv *env, jclass cls) {
    (void)env;
    (void)cls;
    weft_span_end(weft_span_begin(demo_tracer, "bench.span", WEFT_SPAN_KIND_INTERNAL));
}

/** A trivial JNI call (benchmarks). */
JNIEXPORT jint JNICALL Java_dev_weft_demo_NativeCodec_noop(JNIEnv *env, jclass cls, jint x) {
    (void)env;
    (void)cls;
    return x + 1;
}

/** The segment this library's libweft writes, or null (the app's view of "one instance"). */
JNIEXPORT jstring JNICALL Java_dev_weft_demo_NativeCodec_segmentPath(JNIEnv *env, jclass cls) {
    (void)cls;
    char path[512];
    if (weft_segment_path(path, sizeof path) < 0) {
        return NULL;
    }
    return (*env)->NewStringUTF(env, path);
}

/** The file the libweft this library is linked to was loaded from (dladdr of one of its symbols). */
JNIEXPORT jstring JNICALL Java_dev_weft_demo_NativeCodec_libweftFile(JNIEnv *env, jclass cls) {
    (void)cls;
    Dl_info info;
    if (dladdr((void *)&weft_span_begin_n, &info) == 0 || info.dli_fname == NULL) {
        return NULL;
    }
    return (*env)->NewStringUTF(env, info.dli_fname);
}

/** weft_init's result for this library (0, or a negative errno). */
JNIEXPORT jint JNICALL Java_dev_weft_demo_NativeCodec_initStatus(JNIEnv *env, jclass cls) {
    (void)env;
    (void)cls;
    return demo_init_status;
}

/* ------------------------------------------------------------------- FFM */

/** int64_t enrich(int32_t request_id): an FFM upcall stub; returns INT64_MIN to report failure. */
typedef int64_t (*weftdemo_enrich_fn)(int32_t request_id);

static int demo_ffm_enrich(void *clientd, int32_t request_id, int64_t *result) {
    weftdemo_enrich_fn fn = (weftdemo_enrich_fn)clientd;
    int64_t value = fn(request_id);
    if (value == INT64_MIN) {
        return -1;
    }
    *result = value;
    return 0;
}

/** The request through FFM; `enrich` may be NULL. The worker makes no upcall. */
WEFTDEMO_API int64_t weftdemo_process(int32_t request_id, const uint8_t *data, size_t length,
                                      weftdemo_enrich_fn enrich) {
    return demo_process(request_id, data, length, enrich != NULL ? demo_ffm_enrich : NULL, NULL, (void *)enrich);
}

WEFTDEMO_API int64_t weftdemo_lookup(int32_t key) {
    return demo_lookup(key);
}

WEFTDEMO_API int64_t weftdemo_encode(int32_t request_id, const uint8_t *data, size_t length) {
    return demo_encode(request_id, data, length);
}
