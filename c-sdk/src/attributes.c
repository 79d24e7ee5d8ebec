/*
 * attributes.c - typed attributes of an open span.
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "attr.h"
#include "frames.h"
#include "thread.h"

/** Append to `frame`, an open frame on this thread: if it is a span's and it records. */
WEFT_INLINE void weft_set_attr_in(const weft_thread_t *t, weft_abi_span_t *frame, const char *key, size_t key_length,
                                  weft_attr_type_t type, const void *value, size_t value_length) {
    if (frame->header.type != WEFT_ABI_RECORD_SPAN || !weft_frame_sampled(frame) || key == NULL) {
        return;
    }
    if (weft_append_attr(frame, t->frame_size, t->rt->max_value_length, key, key_length, type, value,
                         value_length)) {
        frame->attr_count++;
    } else {
        frame->dropped_attr_count++;
    }
}

/**
 * Set an attribute: inline for the innermost span (weft_is_top), else through weft_open_frame
 * in `slow`, a per-type out-of-line copy, called last so that the common path saves no register.
 */
#define WEFT_SET_ATTR(span, slow, key, key_length, type, value_ptr, value_length, ...)                              \
    do {                                                                                                         \
        const weft_thread_t *t_ = weft_self();                                                                   \
        if (WEFT_UNLIKELY(!weft_is_top(t_, (span)))) {                                                           \
            slow((span), (key), (key_length), __VA_ARGS__);                                                      \
            return;                                                                                              \
        }                                                                                                        \
        weft_set_attr_in(t_, t_->top, (key), (key_length), (type), (value_ptr), (value_length));                 \
    } while (0)

WEFT_INLINE void weft_set_attr(weft_span_t *span, const char *key, size_t key_length, weft_attr_type_t type,
                               const void *value, size_t value_length) {
    const weft_thread_t *t = weft_self();
    uint32_t index;
    weft_abi_span_t *frame = weft_open_frame(t, span, &index);
    if (frame != NULL) {
        weft_set_attr_in(t, frame, key, key_length, type, value, value_length);
    }
}

static WEFT_COLD void weft_set_string_any(weft_span_t *span, const char *key, size_t key_length, const char *value,
                                          size_t value_length) {
    weft_set_attr(span, key, key_length, WEFT_ATTR_STRING, value, value_length);
}

static WEFT_COLD void weft_set_int64_any(weft_span_t *span, const char *key, size_t key_length, int64_t value) {
    weft_set_attr(span, key, key_length, WEFT_ATTR_INT64, &value, sizeof value);
}

static WEFT_COLD void weft_set_double_any(weft_span_t *span, const char *key, size_t key_length, double value) {
    weft_set_attr(span, key, key_length, WEFT_ATTR_DOUBLE, &value, sizeof value);
}

static WEFT_COLD void weft_set_bool_any(weft_span_t *span, const char *key, size_t key_length, bool value) {
    const uint8_t byte = value ? 1 : 0;
    weft_set_attr(span, key, key_length, WEFT_ATTR_BOOL, &byte, 1);
}

WEFT_HOT void weft_span_set_string_n(weft_span_t *span, const char *key, size_t key_length, const char *value,
                                     size_t value_length) {
    if (value != NULL || value_length == 0) {
        value = value != NULL ? value : "";
        WEFT_SET_ATTR(span, weft_set_string_any, key, key_length, WEFT_ATTR_STRING, value, value_length, value,
                      value_length);
    }
}

WEFT_HOT void weft_span_set_int64_n(weft_span_t *span, const char *key, size_t key_length, int64_t value) {
    WEFT_SET_ATTR(span, weft_set_int64_any, key, key_length, WEFT_ATTR_INT64, &value, sizeof value, value);
}

WEFT_HOT void weft_span_set_double_n(weft_span_t *span, const char *key, size_t key_length, double value) {
    WEFT_SET_ATTR(span, weft_set_double_any, key, key_length, WEFT_ATTR_DOUBLE, &value, sizeof value, value);
}

WEFT_HOT void weft_span_set_bool_n(weft_span_t *span, const char *key, size_t key_length, bool value) {
    const uint8_t byte = value ? 1 : 0;
    WEFT_SET_ATTR(span, weft_set_bool_any, key, key_length, WEFT_ATTR_BOOL, &byte, 1, value);
}
