// The same through the C++ header and the static archive.
#include <weft/weft.hpp>

int main() {
    weft::Tracer tracer{"consumer-cpp", "1"};
    if (tracer.status() != 0) return 1;
    { weft::Span span{tracer, "installed"}; span.set("via", "static"); }
    weft_stats_t stats;
    weft_get_stats(&stats);
    return stats.spans_committed == 1 ? 0 : 1;
}
