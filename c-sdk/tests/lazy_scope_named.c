/*
 * lazy_scope_named.c - the other translation unit of libweftscope.so.3: it names its scope
 * itself (WEFT_SCOPE_NAME, WEFT_SCOPE_VERSION defined before weft.h) instead of taking the file's.
 */
#define WEFT_SCOPE_NAME "custom-scope"
#define WEFT_SCOPE_VERSION "9.9"
#include <weft/weft.h>

__attribute__((visibility("default"))) void weftscope_named_span(const char *name);

__attribute__((visibility("default"))) void weftscope_named_span(const char *name) {
    weft_span_end(weft_span_begin(WEFT_TRACER, name, WEFT_SPAN_KIND_INTERNAL));
}
