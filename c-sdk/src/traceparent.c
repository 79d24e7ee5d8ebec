/*
 * traceparent.c - W3C Trace Context `traceparent` formatting and parsing.
 * Malformed input is rejected with -EINVAL, never read out of bounds.
 */
#include "weft_internal.h"

#include <errno.h>
#include <string.h>

static const char weft_hex_digits[] = "0123456789abcdef";

static int weft_hex_nibble(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1; /* upper case is not allowed by W3C Trace Context */
}

static bool weft_parse_hex(const char *text, size_t digits, uint8_t *out) {
    for (size_t i = 0; i < digits; i += 2) {
        int hi = weft_hex_nibble(text[i]);
        int lo = weft_hex_nibble(text[i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static char *weft_format_hex(const uint8_t *bytes, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) {
        *out++ = weft_hex_digits[bytes[i] >> 4];
        *out++ = weft_hex_digits[bytes[i] & 0xF];
    }
    return out;
}

int weft_traceparent_format(const weft_context_t *ctx, char *buf, size_t size) {
    if (ctx == NULL || buf == NULL || weft_is_zero(ctx->trace_id, 16) || weft_is_zero(ctx->span_id, 8)) {
        return -EINVAL;
    }
    if (size < WEFT_TRACEPARENT_LENGTH + 1) {
        return -ERANGE;
    }
    char *p = buf;
    *p++ = '0';
    *p++ = '0';
    *p++ = '-';
    p = weft_format_hex(ctx->trace_id, 16, p);
    *p++ = '-';
    p = weft_format_hex(ctx->span_id, 8, p);
    *p++ = '-';
    p = weft_format_hex(&ctx->trace_flags, 1, p);
    *p = '\0';
    return WEFT_TRACEPARENT_LENGTH;
}

int weft_traceparent_parse(const char *text, size_t length, weft_context_t *out) {
    if (out == NULL) {
        return -EINVAL;
    }
    memset(out, 0, sizeof *out);
    if (text == NULL || length < WEFT_TRACEPARENT_LENGTH) {
        return -EINVAL;
    }
    uint8_t version;
    if (!weft_parse_hex(text, 2, &version) || version == 0xff) {
        return -EINVAL;
    }
    /* Version 00 is exactly 55 characters; a later version may append "-..." fields. */
    if (version == 0 ? length != WEFT_TRACEPARENT_LENGTH
                     : (length > WEFT_TRACEPARENT_LENGTH && text[WEFT_TRACEPARENT_LENGTH] != '-')) {
        return -EINVAL;
    }
    if (text[2] != '-' || text[35] != '-' || text[52] != '-') {
        return -EINVAL;
    }
    weft_context_t parsed = {0};
    if (!weft_parse_hex(text + 3, 32, parsed.trace_id) || !weft_parse_hex(text + 36, 16, parsed.span_id) ||
        !weft_parse_hex(text + 53, 2, &parsed.trace_flags)) {
        return -EINVAL;
    }
    if (weft_is_zero(parsed.trace_id, 16) || weft_is_zero(parsed.span_id, 8)) {
        return -EINVAL;
    }
    parsed.is_remote = 1;
    *out = parsed;
    return 0;
}
