/*
 * events.c - timestamped events, with attributes, of an open span.
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "attr.h"
#include "clock.h"
#include "frames.h"
#include "thread.h"

#include <string.h>

void weft_span_add_event(weft_span_t *span, const char *name, const weft_attr_t *attrs, size_t count) {
    weft_abi_span_t *frame = weft_recording_frame(span);
    if (frame == NULL || name == NULL) {
        return;
    }
    const weft_thread_t *t = weft_self();
    const uint64_t now = weft_now();
    size_t name_length = strlen(name);
    size_t cut = weft_utf8_cut(name, name_length, WEFT_MAX_NAME_LENGTH);
    const uint32_t event_offset = frame->header.length;
    const size_t item_length = WEFT_ABI_EVENT_PREFIX_SIZE + cut;
    if (event_offset + item_length > t->frame_size) {
        frame->dropped_event_count++;
        return;
    }
    uint8_t *p = (uint8_t *)frame + event_offset;
    weft_abi_event_t event = {
        .header = {.tag = WEFT_ABI_ITEM_EVENT, .flags = cut < name_length ? WEFT_ABI_ITEM_TRUNCATED : 0,
                   .length = (uint16_t)item_length},
        .name_length = (uint16_t)cut,
        .time_unix_nanos = now,
    };
    frame->header.length += (uint32_t)item_length;
    if (cut < name_length) {
        frame->truncated_count++;
    }
    for (size_t i = 0; i < count && attrs != NULL; i++) {
        const weft_attr_t *a = &attrs[i];
        const void *value;
        size_t value_length;
        uint8_t byte;
        switch (a->type) {
        case WEFT_ATTR_STRING:
            value = a->value.string != NULL ? a->value.string : "";
            value_length = strlen((const char *)value);
            break;
        case WEFT_ATTR_BOOL:
            byte = a->value.boolean ? 1 : 0;
            value = &byte;
            value_length = 1;
            break;
        case WEFT_ATTR_INT64:
            value = &a->value.int64;
            value_length = 8;
            break;
        case WEFT_ATTR_DOUBLE:
            value = &a->value.float64;
            value_length = 8;
            break;
        default:
            event.dropped_attr_count++;
            continue;
        }
        if (a->key != NULL && weft_append_attr(frame, t->frame_size, t->rt->max_value_length, a->key,
                                               strlen(a->key), a->type, value, value_length)) {
            event.attr_count++;
        } else {
            event.dropped_attr_count++;
        }
    }
    memcpy(p, &event, sizeof event);
    memcpy(p + WEFT_ABI_EVENT_PREFIX_SIZE, name, cut);
    frame->event_count++;
}
