/* Records one span through an installed libweft (shared) and checks it was committed. */
#include <weft/weft.h>
#include <stdio.h>

int main(void) {
    weft_tracer_t *tracer;
    if (weft_init("consumer", "1", &tracer) != 0) {
        fprintf(stderr, "%s\n", weft_last_error());
        return 1;
    }
    weft_span_t *span = weft_span_begin(tracer, "installed", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_string(span, "via", "find_package");
    weft_span_end(span);
    weft_stats_t stats;
    weft_get_stats(&stats);
    weft_shutdown();
    return stats.spans_committed == 1 ? 0 : 1;
}
