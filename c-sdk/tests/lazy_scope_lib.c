/*
 * lazy_scope_lib.c - part of libweftscope.so.3, the tiny shared object test_lazy_init loads: it
 * records spans with WEFT_TRACER and never calls weft_init, as a third-party library would.
 */
#include <weft/weft.h>

__attribute__((visibility("default"))) void weftscope_span(const char *name);

__attribute__((visibility("default"))) void weftscope_span(const char *name) {
    weft_span_t *span = weft_span_begin(WEFT_TRACER, name, WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_int64(span, "answer", 42);
    weft_span_end(span);
}
