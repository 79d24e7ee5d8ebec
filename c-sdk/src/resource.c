/*
 * resource.c - the creator's Resource, encoded once at init as a RESOURCE record (type 4) in the
 * header area (docs/shm-abi.md "RESOURCE record"), so that a collector for another process, or the
 * recovery of a dead one, exports its spans under that process's own Resource.
 *
 * Attributes, in this order (a key already written is not written again):
 *   service.name: OTEL_SERVICE_NAME, else the last service.name of OTEL_RESOURCE_ATTRIBUTES, else
 *     unknown_service:<process.executable.name> (OpenTelemetry's rule);
 *   every other pair of OTEL_RESOURCE_ATTRIBUTES, percent-decoded, as strings;
 *   process.pid (int64), process.executable.name, process.executable.path, host.name,
 *   telemetry.sdk.name = weft, telemetry.sdk.language = cpp, telemetry.sdk.version,
 *   each unless OTEL_RESOURCE_ATTRIBUTES gave that key (what the user says wins, as in the SDKs).
 * A malformed pair (no '=', an empty key, a bad %-escape, bytes that are not UTF-8) is skipped and
 * counted in dropped_attr_count, as is an attribute that does not fit in the 4096 bytes.
 * Not on the recording path: it runs once, under the init lock.
 */
#define _GNU_SOURCE
#include "resource.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WEFT_STRINGIFY_(x) #x
#define WEFT_STRINGIFY(x) WEFT_STRINGIFY_(x)
#define WEFT_SDK_VERSION                                                                                        \
    WEFT_STRINGIFY(WEFT_VERSION_MAJOR) "." WEFT_STRINGIFY(WEFT_VERSION_MINOR) "." WEFT_STRINGIFY(WEFT_VERSION_PATCH)

/** The most OTEL_RESOURCE_ATTRIBUTES pairs looked at; more cannot fit in the record anyway. */
#define WEFT_RESOURCE_MAX_PAIRS 512u

typedef struct weft_resource_builder {
    uint8_t *out;
    uint32_t capacity;
    uint32_t length;
    uint16_t count;
    uint16_t dropped;
    uint16_t max_value_length;
} weft_resource_builder_t;

typedef struct weft_pair {
    const char *key;
    size_t key_length;
    const char *value;
    size_t value_length;
} weft_pair_t;

static void weft_resource_drop(weft_resource_builder_t *b) {
    if (b->dropped < UINT16_MAX) {
        b->dropped++;
    }
}

/** Whether an attribute with this key (as it would be cut) is in the record already. */
static bool weft_resource_has(const weft_resource_builder_t *b, const char *key, size_t key_length) {
    const size_t cut = weft_utf8_cut(key, key_length, WEFT_MAX_KEY_LENGTH);
    uint32_t p = WEFT_ABI_RESOURCE_FIXED_SIZE;
    while (p + WEFT_ABI_ATTR_PREFIX_SIZE <= b->length) {
        uint16_t item_length, item_key_length;
        memcpy(&item_length, b->out + p + 2, 2);
        memcpy(&item_key_length, b->out + p + 4, 2);
        if (item_key_length == cut && memcmp(b->out + p + WEFT_ABI_ATTR_PREFIX_SIZE, key, cut) == 0) {
            return true;
        }
        p += item_length;
    }
    return false;
}

static void weft_resource_add(weft_resource_builder_t *b, uint8_t tag, const char *key, size_t key_length,
                              const void *value, size_t value_length) {
    const size_t key_cut = weft_utf8_cut(key, key_length, WEFT_MAX_KEY_LENGTH);
    const size_t value_cut =
        tag == WEFT_ABI_ITEM_ATTR_STRING ? weft_utf8_cut(value, value_length, b->max_value_length) : value_length;
    const size_t item_length = WEFT_ABI_ATTR_PREFIX_SIZE + key_cut + value_cut;
    if (key_cut == 0 || b->count == UINT16_MAX || item_length > UINT16_MAX || item_length > b->capacity - b->length) {
        weft_resource_drop(b);
        return;
    }
    uint8_t *p = b->out + b->length;
    const uint16_t length16 = (uint16_t)item_length, key16 = (uint16_t)key_cut;
    p[0] = tag;
    p[1] = (key_cut < key_length || value_cut < value_length) ? WEFT_ABI_ITEM_TRUNCATED : 0;
    memcpy(p + 2, &length16, 2);
    memcpy(p + 4, &key16, 2);
    memcpy(p + WEFT_ABI_ATTR_PREFIX_SIZE, key, key_cut);
    memcpy(p + WEFT_ABI_ATTR_PREFIX_SIZE + key_cut, value, value_cut);
    b->length += (uint32_t)item_length;
    b->count++;
}

static void weft_resource_add_string(weft_resource_builder_t *b, const char *key, const char *value) {
    if (value != NULL && value[0] != '\0' && !weft_resource_has(b, key, strlen(key))) {
        weft_resource_add(b, WEFT_ABI_ITEM_ATTR_STRING, key, strlen(key), value, strlen(value));
    }
}

/* ------------------------------------------------- OTEL_RESOURCE_ATTRIBUTES */

static bool weft_is_ows(char c) {
    return c == ' ' || c == '\t';
}

static int weft_hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/** Whether s[0..n) is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF). */
static bool weft_utf8_valid(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        const uint8_t c = s[i];
        size_t extra;
        uint32_t min, cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1, min = 0x80, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2, min = 0x800, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= extra) {
            return false;
        }
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return false;
            }
            cp = cp << 6 | (s[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += extra + 1;
    }
    return true;
}

/** Percent-decode s[0..n) in place ('+' stays '+': W3C baggage, not form encoding). @return the new length, or -1. */
static long weft_percent_decode(char *s, size_t n) {
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            s[out++] = s[i];
            continue;
        }
        if (n - i < 3) {
            return -1;
        }
        const int h = weft_hex_digit(s[i + 1]), l = weft_hex_digit(s[i + 2]);
        if (h < 0 || l < 0) {
            return -1;
        }
        s[out++] = (char)(h << 4 | l);
        i += 2;
    }
    return (long)out;
}

/**
 * Split `text` (a private copy, decoded in place) into pairs. Empty members (",,", a trailing ',') are
 * skipped silently; malformed ones are counted in `*bad`. @return the number of pairs.
 */
static size_t weft_parse_pairs(char *text, weft_pair_t *pairs, size_t max_pairs, uint16_t *bad) {
    size_t count = 0;
    char *member = text;
    for (;;) {
        char *end = strchr(member, ',');
        size_t n = end != NULL ? (size_t)(end - member) : strlen(member);
        while (n > 0 && weft_is_ows(member[0])) {
            member++, n--;
        }
        while (n > 0 && weft_is_ows(member[n - 1])) {
            n--;
        }
        if (n > 0) {
            char *eq = memchr(member, '=', n);
            size_t key_length = eq != NULL ? (size_t)(eq - member) : 0;
            while (key_length > 0 && weft_is_ows(member[key_length - 1])) {
                key_length--;
            }
            bool ok = eq != NULL && key_length > 0;
            for (size_t k = 0; ok && k < key_length; k++) {
                const unsigned char c = (unsigned char)member[k];
                ok = c > 0x20 && c < 0x7F && c != '%'; /* a token: printable ASCII, no blank */
            }
            char *value = eq != NULL ? eq + 1 : NULL;
            size_t value_length = eq != NULL ? n - (size_t)(value - member) : 0;
            while (ok && value_length > 0 && weft_is_ows(value[0])) {
                value++, value_length--;
            }
            long decoded = ok ? weft_percent_decode(value, value_length) : -1;
            ok = decoded >= 0 && weft_utf8_valid((const uint8_t *)value, (size_t)decoded);
            if (!ok || count == max_pairs) {
                if (*bad < UINT16_MAX) {
                    (*bad)++;
                }
            } else {
                pairs[count++] = (weft_pair_t){member, key_length, value, (size_t)decoded};
            }
        }
        if (end == NULL) {
            return count;
        }
        member = end + 1;
    }
}

static bool weft_pair_is(const weft_pair_t *p, const char *key) {
    return p->key_length == strlen(key) && memcmp(p->key, key, p->key_length) == 0;
}

/* ------------------------------------------------------------------ encode */

uint32_t weft_resource_encode(uint8_t *out, uint32_t capacity, const weft_resource_inputs_t *in,
                              uint16_t max_value_length) {
    if (capacity > WEFT_ABI_RESOURCE_MAX) {
        capacity = WEFT_ABI_RESOURCE_MAX;
    }
    memset(out, 0, capacity);
    weft_resource_builder_t b = {.out = out,
                                 .capacity = capacity & ~7u, /* the record's 8-byte alignment stays inside */
                                 .length = WEFT_ABI_RESOURCE_FIXED_SIZE,
                                 .max_value_length = max_value_length};
    static weft_pair_t pairs[WEFT_RESOURCE_MAX_PAIRS]; /* under the init lock: one caller at a time */
    size_t pair_count = 0;
    char *copy = NULL;
    if (in->resource_attributes != NULL && in->resource_attributes[0] != '\0') {
        copy = strdup(in->resource_attributes);
        if (copy != NULL) {
            pair_count = weft_parse_pairs(copy, pairs, WEFT_RESOURCE_MAX_PAIRS, &b.dropped);
        } else {
            weft_resource_drop(&b); /* out of memory: the variable's pairs are lost, and said so */
        }
    }

    /* service.name first, so it always fits */
    const weft_pair_t *service = NULL;
    for (size_t i = 0; i < pair_count; i++) {
        if (weft_pair_is(&pairs[i], "service.name")) {
            service = &pairs[i]; /* the last one wins, as for every duplicate key */
        }
    }
    static const char service_key[] = "service.name";
    if (in->service_name != NULL && in->service_name[0] != '\0') {
        weft_resource_add(&b, WEFT_ABI_ITEM_ATTR_STRING, service_key, sizeof service_key - 1, in->service_name,
                          strlen(in->service_name));
    } else if (service != NULL) {
        weft_resource_add(&b, WEFT_ABI_ITEM_ATTR_STRING, service_key, sizeof service_key - 1, service->value,
                          service->value_length);
    } else {
        char unknown[WEFT_PATH_MAX + 32];
        const char *exe = in->executable_name != NULL ? in->executable_name : "";
        snprintf(unknown, sizeof unknown, "unknown_service%s%s", exe[0] != '\0' ? ":" : "", exe);
        weft_resource_add(&b, WEFT_ABI_ITEM_ATTR_STRING, service_key, sizeof service_key - 1, unknown,
                          strlen(unknown));
    }
    /* every other pair as given (a duplicate key: the last one wins when read, as for spans) */
    for (size_t i = 0; i < pair_count; i++) {
        if (!weft_pair_is(&pairs[i], "service.name")) {
            weft_resource_add(&b, WEFT_ABI_ITEM_ATTR_STRING, pairs[i].key, pairs[i].key_length, pairs[i].value,
                              pairs[i].value_length);
        }
    }
    free(copy);

    /* what this process knows of itself, unless the user said otherwise */
    static const char pid_key[] = "process.pid";
    if (!weft_resource_has(&b, pid_key, sizeof pid_key - 1)) {
        const int64_t pid = in->pid;
        weft_resource_add(&b, WEFT_ABI_ITEM_ATTR_INT64, pid_key, sizeof pid_key - 1, &pid, sizeof pid);
    }
    weft_resource_add_string(&b, "process.executable.name", in->executable_name);
    weft_resource_add_string(&b, "process.executable.path", in->executable_path);
    weft_resource_add_string(&b, "host.name", in->host_name);
    weft_resource_add_string(&b, "telemetry.sdk.name", "weft");
    weft_resource_add_string(&b, "telemetry.sdk.language", "cpp");
    weft_resource_add_string(&b, "telemetry.sdk.version", WEFT_SDK_VERSION);

    weft_abi_record_header_t header = {
        .length = b.length, .type = WEFT_ABI_RECORD_RESOURCE, .fixed_size = WEFT_ABI_RESOURCE_FIXED_SIZE};
    memcpy(out, &header, sizeof header);
    memcpy(out + WEFT_ABI_RESOURCE_ATTR_COUNT_OFFSET, &b.count, 2);
    memcpy(out + WEFT_ABI_RESOURCE_DROPPED_ATTR_COUNT_OFFSET, &b.dropped, 2);
    return b.length;
}

/* ----------------------------------------------------------------- inputs */

void weft_resource_inputs_of_process(weft_resource_inputs_t *in, weft_resource_buffers_t *buffers) {
    memset(in, 0, sizeof *in);
    in->service_name = getenv("OTEL_SERVICE_NAME");
    in->resource_attributes = getenv("OTEL_RESOURCE_ATTRIBUTES");
    in->pid = (uint32_t)getpid();
    ssize_t n = readlink("/proc/self/exe", buffers->executable_path, sizeof buffers->executable_path - 1);
    if (n > 0) {
        buffers->executable_path[n] = '\0';
        in->executable_path = buffers->executable_path;
        const char *slash = strrchr(buffers->executable_path, '/');
        in->executable_name = slash != NULL ? slash + 1 : buffers->executable_path;
    } else {
        in->executable_name = program_invocation_short_name; /* no /proc: the name it was started as */
    }
    if (gethostname(buffers->host_name, sizeof buffers->host_name) == 0) {
        buffers->host_name[sizeof buffers->host_name - 1] = '\0';
        in->host_name = buffers->host_name;
    }
}
