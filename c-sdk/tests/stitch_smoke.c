/*
 * stitch_smoke - the stitching path without a JVM, against the shared libweft and the public
 * headers only, as an application links it: a "JVM" context is attached (what the JNI glue does
 * around a native call), native spans are recorded on the calling thread and on a worker thread
 * that adopts the captured context, and the segment is then read back with the C reader (what the
 * Java collector does) and every parent link checked. Runs on every architecture the SDK is built
 * for, under qemu-user for the aarch64 cross build (ctest: test_stitch_smoke).
 */
#include <weft/weft.h>
#include <weft/weft_reader.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static weft_tracer_t *tracer;
static int failures;

#define EXPECT(cond)                                                               \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);     \
            failures++;                                                            \
        }                                                                          \
    } while (0)

typedef struct seen {
    char name[32];
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t parent[8];
} seen_t;

static seen_t spans[8];
static int span_count;

static void collect(const weft_span_view_t *span, void *clientd) {
    (void)clientd;
    if (span_count >= 8) {
        failures++;
        return;
    }
    seen_t *s = &spans[span_count++];
    snprintf(s->name, sizeof s->name, "%.*s", (int)span->name_length, span->name);
    memcpy(s->trace_id, span->fixed->ctx.trace_id, 16);
    memcpy(s->span_id, span->fixed->ctx.span_id, 8);
    memcpy(s->parent, span->fixed->parent_span_id, 8);
}

static const seen_t *find(const char *name) {
    for (int i = 0; i < span_count; i++) {
        if (strcmp(spans[i].name, name) == 0) {
            return &spans[i];
        }
    }
    fprintf(stderr, "no span %s\n", name);
    failures++;
    return NULL;
}

static void *worker(void *arg) {
    int token = weft_context_attach(arg); /* adopt the context captured on the calling thread */
    EXPECT(token >= 0);
    weft_span_end(weft_span_begin(tracer, "codec.worker", WEFT_SPAN_KIND_INTERNAL));
    EXPECT(weft_context_detach(token) == 0);
    return NULL;
}

int main(void) {
    if (weft_init("stitch-smoke", "1", &tracer) != 0) {
        fprintf(stderr, "weft_init: %s\n", weft_last_error());
        return 1;
    }
    weft_context_t jvm = {.trace_flags = WEFT_TRACE_FLAG_SAMPLED};
    for (int i = 0; i < 16; i++) {
        jvm.trace_id[i] = (uint8_t)(0x40 + i);
    }
    for (int i = 0; i < 8; i++) {
        jvm.span_id[i] = (uint8_t)(0x70 + i);
    }
    int token = weft_context_attach(&jvm); /* Weft.enterNative() */
    EXPECT(token >= 0);
    weft_span_t *process = weft_span_begin(tracer, "codec.process", WEFT_SPAN_KIND_INTERNAL);
    weft_span_end(weft_span_begin(tracer, "codec.parse", WEFT_SPAN_KIND_INTERNAL));
    weft_context_t captured;
    EXPECT(weft_current_context(&captured) == 0);
    pthread_t thread;
    EXPECT(pthread_create(&thread, NULL, worker, &captured) == 0);
    pthread_join(thread, NULL);
    weft_span_end(process);
    EXPECT(weft_context_detach(token) == 0);

    char path[4096];
    EXPECT(weft_segment_path(path, sizeof path) > 0);
    weft_reader_t *reader = malloc(sizeof *reader);
    char error[256];
    if (reader == NULL || weft_reader_open(reader, path, error, sizeof error) != 0) {
        fprintf(stderr, "weft_reader_open %s: %s\n", path, reader ? error : "out of memory");
        return 1;
    }
    weft_reader_drain(reader, collect, NULL);
    EXPECT(span_count == 3);
    EXPECT(reader->counters.corrupt_records == 0);
    const seen_t *p = find("codec.process"), *c = find("codec.parse"), *w = find("codec.worker");
    if (p && c && w) {
        EXPECT(memcmp(p->trace_id, jvm.trace_id, 16) == 0);
        EXPECT(memcmp(c->trace_id, jvm.trace_id, 16) == 0);
        EXPECT(memcmp(w->trace_id, jvm.trace_id, 16) == 0);
        EXPECT(memcmp(p->parent, jvm.span_id, 8) == 0); /* native root under the JVM span */
        EXPECT(memcmp(c->parent, p->span_id, 8) == 0);
        EXPECT(memcmp(w->parent, p->span_id, 8) == 0); /* the worker under the adopted span */
    }
    weft_reader_close(reader);
    free(reader);
    weft_shutdown();
    printf("stitch_smoke: %s (%d spans read back, %d failed expectations)\n",
           failures == 0 ? "passed" : "FAILED", span_count, failures);
    return failures == 0 ? 0 : 1;
}
