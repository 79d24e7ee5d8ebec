/*
 * status.c - span status, its message, and errno mapped to status.
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "frames.h"
#include "thread.h"

#include <stdio.h>
#include <string.h>

void weft_span_set_status(weft_span_t *span, weft_status_code_t code, const char *message) {
    weft_abi_span_t *frame = weft_recording_frame(span);
    if (frame == NULL || code == WEFT_STATUS_UNSET || frame->status_code == WEFT_ABI_STATUS_OK ||
        (code != WEFT_STATUS_OK && code != WEFT_STATUS_ERROR)) {
        return;
    }
    frame->status_code = (uint8_t)code;
    if (code != WEFT_STATUS_ERROR || message == NULL) {
        return;
    }
    const weft_thread_t *t = weft_self();
    size_t length = strlen(message);
    size_t cut = weft_utf8_cut(message, length, t->rt->max_value_length);
    size_t room = t->frame_size - frame->header.length;
    if (room < WEFT_ABI_STATUS_MESSAGE_PREFIX_SIZE) {
        return;
    }
    if (cut > room - WEFT_ABI_STATUS_MESSAGE_PREFIX_SIZE) {
        cut = weft_utf8_cut(message, length, room - WEFT_ABI_STATUS_MESSAGE_PREFIX_SIZE);
    }
    const bool truncated = cut < length;
    weft_abi_item_header_t item = {.tag = WEFT_ABI_ITEM_STATUS_MESSAGE,
                                   .flags = truncated ? WEFT_ABI_ITEM_TRUNCATED : 0,
                                   .length = (uint16_t)(WEFT_ABI_STATUS_MESSAGE_PREFIX_SIZE + cut)};
    uint8_t *p = (uint8_t *)frame + frame->header.length;
    memcpy(p, &item, sizeof item);
    memcpy(p + 4, message, cut);
    frame->header.length += item.length;
    if (truncated) {
        frame->flags |= WEFT_ABI_SPAN_STATUS_TRUNCATED;
        frame->truncated_count++;
    }
}

void weft_span_set_errno(weft_span_t *span, int errnum) {
    if (weft_recording_frame(span) == NULL) {
        return;
    }
    char buffer[128];
    const char *message = strerror_r(errnum, buffer, sizeof buffer); /* GNU variant */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    const char *errno_name = strerrorname_np(errnum);
#else
    const char *errno_name = NULL;
#endif
    if (errno_name != NULL) {
        weft_span_set_string(span, "error.type", errno_name);
    } else {
        char number[16];
        snprintf(number, sizeof number, "%d", errnum);
        weft_span_set_string(span, "error.type", number);
    }
    weft_span_set_status(span, WEFT_STATUS_ERROR, message);
}
