/*
 * The instrumented C library of the Go/cgo example. The parent context comes
 * from Go (weft_context_attach on the calling thread); the spans go into this
 * process's Weft segment, which `weft collect` drains.
 */
#include "codec.h"

#include "_cgo_export.h"

int codec_process(const weft_context_t *parent, int frames) {
    weft_tracer_t *tracer = weft_tracer_get("example.codec", "1.0.0");
    int token = weft_context_attach(parent);
    if (token < 0) {
        return token;
    }
    weft_span_t *process = weft_span_begin(tracer, "codec.process", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_int64(process, "codec.frames", frames);
    for (int i = 0; i < frames; i++) {
        weft_span_t *frame = weft_span_begin(tracer, "codec.frame", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_int64(frame, "codec.frame.index", i);
        weft_span_end(frame);
    }
    weft_context_t mine;
    if (weft_span_context(process, &mine) == 0) {
        /* C -> Go: the Go side starts its span as a child of codec.process */
        goOnProcessed(&mine, frames);
    }
    weft_span_end(process);
    weft_context_detach(token);
    return 0;
}
