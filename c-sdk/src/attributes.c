/*
 * attributes.c - typed attributes of an open span.
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "attr.h"
#include "frames.h"
#include "thread.h"

WEFT_INLINE void weft_set_attr(weft_span_t *span, const char *key, size_t key_length, weft_attr_type_t type,
                               const void *value, size_t value_length) {
    const weft_thread_t *t = weft_self();
    uint32_t index;
    weft_abi_span_t *frame = weft_open_frame(t, span, &index);
    if (frame == NULL || !weft_frame_sampled(frame) || key == NULL) {
        return;
    }
    if (weft_append_attr(frame, t->frame_size, t->rt->max_value_length, key, key_length, type, value,
                         value_length)) {
        frame->attr_count++;
    } else {
        frame->dropped_attr_count++;
    }
}

void weft_span_set_string_n(weft_span_t *span, const char *key, size_t key_length, const char *value,
                            size_t value_length) {
    if (value != NULL || value_length == 0) {
        weft_set_attr(span, key, key_length, WEFT_ATTR_STRING, value != NULL ? value : "", value_length);
    }
}

void weft_span_set_int64_n(weft_span_t *span, const char *key, size_t key_length, int64_t value) {
    weft_set_attr(span, key, key_length, WEFT_ATTR_INT64, &value, sizeof value);
}

void weft_span_set_double_n(weft_span_t *span, const char *key, size_t key_length, double value) {
    weft_set_attr(span, key, key_length, WEFT_ATTR_DOUBLE, &value, sizeof value);
}

void weft_span_set_bool_n(weft_span_t *span, const char *key, size_t key_length, bool value) {
    uint8_t byte = value ? 1 : 0;
    weft_set_attr(span, key, key_length, WEFT_ATTR_BOOL, &byte, 1);
}
