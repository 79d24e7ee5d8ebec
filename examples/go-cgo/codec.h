/* The instrumented C library of the Go/cgo example: records its own spans with Weft. */
#ifndef WEFT_EXAMPLE_CODEC_H
#define WEFT_EXAMPLE_CODEC_H

#include <weft/weft.h>

/*
 * Processes `frames` frames under the caller's span `parent` (a Go span): a
 * "codec.process" span, one "codec.frame" span per frame, and, in the middle, a
 * call back into Go (goOnProcessed) with the codec.process span's context.
 * Must run on one OS thread from start to end (the Go caller locks it).
 * @return 0, or a negative errno from weft_context_attach.
 */
int codec_process(const weft_context_t *parent, int frames);

#endif
