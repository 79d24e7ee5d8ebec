/*
 * stats.c - the process's native counters.
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "weft_internal.h"

#include <errno.h>
#include <string.h>

int weft_get_stats(weft_stats_t *out) {
    const weft_runtime_t *rt = weft_load_acquire(&weft_global.runtime);
    if (out == NULL) {
        return -EINVAL;
    }
    memset(out, 0, sizeof *out);
    if (rt == NULL) {
        return -ENOENT;
    }
    const weft_segment_t *seg = &rt->segment;
    weft_sum_counters(seg->base, seg->header, seg->slot_count, seg->slot_stride, out);
    return 0;
}
