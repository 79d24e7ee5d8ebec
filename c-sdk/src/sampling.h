/*
 * sampling.h - the sampling decision for a span, as the OpenTelemetry SDK makes it.
 * Internal to libweft; not installed.
 */
#ifndef WEFT_SAMPLING_H
#define WEFT_SAMPLING_H

#include "weft_internal.h"

/** How the sampler decides a root and a child span: rt->sample_root and rt->sample_child. */
enum { WEFT_SAMPLE_ALWAYS = 0, WEFT_SAMPLE_NEVER, WEFT_SAMPLE_RATIO, WEFT_SAMPLE_PARENT };

/** The two decisions of a sampler, set once per start (init.c), so that a span reads one byte, not a switch. */
WEFT_INLINE void weft_sampler_decisions(weft_sampler_t sampler, uint8_t *root, uint8_t *child) {
    switch (sampler) {
    case WEFT_SAMPLER_PARENTBASED_ALWAYS_ON:
        *root = WEFT_SAMPLE_ALWAYS, *child = WEFT_SAMPLE_PARENT;
        return;
    case WEFT_SAMPLER_PARENTBASED_ALWAYS_OFF:
        *root = WEFT_SAMPLE_NEVER, *child = WEFT_SAMPLE_PARENT;
        return;
    case WEFT_SAMPLER_PARENTBASED_TRACEIDRATIO:
        *root = WEFT_SAMPLE_RATIO, *child = WEFT_SAMPLE_PARENT;
        return;
    case WEFT_SAMPLER_ALWAYS_ON:
        *root = *child = WEFT_SAMPLE_ALWAYS;
        return;
    case WEFT_SAMPLER_ALWAYS_OFF:
        *root = *child = WEFT_SAMPLE_NEVER;
        return;
    case WEFT_SAMPLER_TRACEIDRATIO:
        break;
    }
    *root = *child = WEFT_SAMPLE_RATIO;
}

/** Whether the trace id's ratio sampler keeps it: as the OpenTelemetry Java SDK's
 * TraceIdRatioBasedSampler, |low 64 bits, big-endian| < bound. */
WEFT_INLINE bool weft_sample_ratio(const weft_runtime_t *rt, const uint8_t trace_id[16]) {
    int64_t low = (int64_t)weft_load_be64(trace_id + 8);
    uint64_t magnitude = low < 0 ? (uint64_t)0 - (uint64_t)low : (uint64_t)low;
    return magnitude < (uint64_t)rt->ratio_bound;
}

/** The sampling decision for a root span (no parent). */
WEFT_INLINE bool weft_sample_root(const weft_runtime_t *rt, const uint8_t trace_id[16]) {
    const uint8_t decide = rt->sample_root;
    if (WEFT_LIKELY(decide == WEFT_SAMPLE_ALWAYS)) {
        return true;
    }
    return decide == WEFT_SAMPLE_RATIO && weft_sample_ratio(rt, trace_id);
}

/** The sampling decision for a child of `parent`. */
WEFT_INLINE bool weft_sample_child(const weft_runtime_t *rt, const weft_abi_thread_ctx_t *parent,
                                   const uint8_t trace_id[16]) {
    const uint8_t decide = rt->sample_child;
    if (WEFT_LIKELY(decide == WEFT_SAMPLE_PARENT)) {
        return (parent->trace_flags & WEFT_TRACE_FLAG_SAMPLED) != 0;
    }
    return decide == WEFT_SAMPLE_ALWAYS || (decide == WEFT_SAMPLE_RATIO && weft_sample_ratio(rt, trace_id));
}

#endif /* WEFT_SAMPLING_H */
