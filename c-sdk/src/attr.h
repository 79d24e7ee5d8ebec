/*
 * attr.h - appending a typed attribute item to an open span's frame (span and event attributes).
 * Internal to libweft; not installed.
 */
#ifndef WEFT_ATTR_H
#define WEFT_ATTR_H

#include "weft_internal.h"
#include "copy.h"

/** Append an attribute item to `frame`; returns false (and counts nothing) if it does not fit. */
WEFT_INLINE bool weft_append_attr(weft_abi_span_t *frame, uint32_t frame_size, uint16_t max_value_length,
                                  const char *key, size_t key_length, weft_attr_type_t type, const void *value,
                                  size_t value_length) {
    size_t key_cut = weft_utf8_cut(key, key_length, WEFT_MAX_KEY_LENGTH);
    size_t value_cut = value_length;
    if (type == WEFT_ATTR_STRING) {
        value_cut = weft_utf8_cut((const char *)value, value_length, max_value_length);
    }
    const size_t item_length = WEFT_ABI_ATTR_PREFIX_SIZE + key_cut + value_cut;
    if (frame->header.length + item_length > frame_size) {
        return false;
    }
    const bool truncated = key_cut < key_length || value_cut < value_length;
    uint8_t *p = (uint8_t *)frame + frame->header.length;
    /* item header (tag, flags, length), then the key length: two stores (a 6-byte memcpy of one
     * 64-bit word went through the stack) */
    const uint32_t item_header = (uint32_t)(uint8_t)type | (uint32_t)(truncated ? WEFT_ABI_ITEM_TRUNCATED : 0) << 8 |
                                 (uint32_t)item_length << 16;
    const uint16_t key_length16 = (uint16_t)key_cut;
    memcpy(p, &item_header, 4);
    memcpy(p + 4, &key_length16, 2);
    weft_copy(p + WEFT_ABI_ATTR_PREFIX_SIZE, key, key_cut);
    weft_copy(p + WEFT_ABI_ATTR_PREFIX_SIZE + key_cut, value, value_cut);
    frame->header.length += (uint32_t)item_length;
    if (WEFT_UNLIKELY(truncated)) {
        frame->truncated_count++;
    }
    return true;
}

#endif /* WEFT_ATTR_H */
