/*
 * sampling.h - the sampling decision for a span, as the OpenTelemetry SDK makes it.
 * Internal to libweft; not installed.
 */
#ifndef WEFT_SAMPLING_H
#define WEFT_SAMPLING_H

#include "weft_internal.h"

WEFT_INLINE bool weft_sample(const weft_runtime_t *rt, const weft_abi_thread_ctx_t *parent, const uint8_t trace_id[16]) {
    switch (rt->sampler) {
    case WEFT_SAMPLER_PARENTBASED_ALWAYS_ON:
        return parent == NULL || (parent->trace_flags & WEFT_TRACE_FLAG_SAMPLED);
    case WEFT_SAMPLER_PARENTBASED_ALWAYS_OFF:
        return parent != NULL && (parent->trace_flags & WEFT_TRACE_FLAG_SAMPLED);
    case WEFT_SAMPLER_PARENTBASED_TRACEIDRATIO:
        if (parent != NULL) {
            return (parent->trace_flags & WEFT_TRACE_FLAG_SAMPLED) != 0;
        }
        break;
    case WEFT_SAMPLER_ALWAYS_ON:
        return true;
    case WEFT_SAMPLER_ALWAYS_OFF:
        return false;
    case WEFT_SAMPLER_TRACEIDRATIO:
        break;
    }
    /* as the OpenTelemetry Java SDK's TraceIdRatioBasedSampler: |low 64 bits, big-endian| < bound */
    int64_t low = (int64_t)weft_load_be64(trace_id + 8);
    uint64_t magnitude = low < 0 ? (uint64_t)0 - (uint64_t)low : (uint64_t)low;
    return magnitude < (uint64_t)rt->ratio_bound;
}

#endif /* WEFT_SAMPLING_H */
