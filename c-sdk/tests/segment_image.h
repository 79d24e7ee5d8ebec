/*
 * segment_image.h - a real segment, as the writer made it, held in memory so
 * a test can overwrite any field and read it back with the reference reader
 * (weft_reader_open_memory). Used by the hostile-input tests.
 */
#ifndef WEFT_SEGMENT_IMAGE_H
#define WEFT_SEGMENT_IMAGE_H

#include "weft_test.h"

#include <fcntl.h>
#include <sys/stat.h>

typedef struct weft_test_image {
    uint8_t *bytes; /* 8-aligned (malloc) */
    size_t size;
    uint32_t slot;  /* the slot this test's thread wrote */
} weft_test_image_t;

typedef struct weft_test_read {
    int rc;
    char error[256];
    uint64_t spans_read, corrupt, unknown;
    size_t open;
    int resource_rc;           /* weft_reader_resource: 0, -ENOENT or -EBADMSG */
    uint64_t corrupt_resource; /* counters.corrupt_resource */
} weft_test_read_t;

/**
 * 3 spans in one slot's ring -- "r0" with one attribute of every type, an event with one attribute and a
 * status message, then "r1" and "r2" with an int64 attribute -- and "open" still open in frame 0. Two slots,
 * 4 frames of 512 bytes, a 4096-byte ring: 8192 (header and Resource) + 2 * 8192 bytes.
 */
static inline weft_test_image_t weft_test_image(void) {
    weft_config_t config = weft_test_config();
    config.max_threads = 2;
    config.stack_depth = 4;
    config.frame_size = 512;
    config.ring_size = 4096;
    snprintf(config.shm_name, sizeof config.shm_name, "weft-image");
    /* the Resource's items in a known order: service.name, process.pid, ... (rows address them by index) */
    unsetenv("OTEL_SERVICE_NAME");
    unsetenv("OTEL_RESOURCE_ATTRIBUTES");
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_span_t *span = weft_span_begin(tracer, "r0", WEFT_SPAN_KIND_CLIENT);
    weft_span_set_string(span, "k", "v");
    weft_span_set_bool(span, "b", true);
    weft_span_set_int64(span, "i", 7);
    weft_span_set_double(span, "d", 0.5);
    weft_attr_t event_attrs[] = {WEFT_ATTR_I64("ea", 1)};
    weft_span_add_event(span, "e", event_attrs, 1);
    weft_span_set_status(span, WEFT_STATUS_ERROR, "msg");
    weft_span_end(span);
    for (int i = 1; i <= 2; i++) {
        span = weft_span_begin(tracer, i == 1 ? "r1" : "r2", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_int64(span, "n", i);
        weft_span_end(span);
    }
    weft_span_t *open_span = weft_span_begin(tracer, "open", WEFT_SPAN_KIND_SERVER);
    char path[4096];
    weft_segment_path(path, sizeof path);
    weft_test_image_t image = {0};
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || (image.bytes = malloc((size_t)st.st_size)) == NULL ||
        pread(fd, image.bytes, (size_t)st.st_size, 0) != st.st_size) {
        fprintf(stderr, "cannot copy %s\n", path);
        exit(2);
    }
    close(fd);
    image.size = (size_t)st.st_size;
    weft_span_end(open_span);
    weft_shutdown();
    const weft_abi_header_t *h = (const weft_abi_header_t *)(const void *)image.bytes;
    for (uint32_t s = 0; s < h->slot_count; s++) {
        const weft_abi_slot_t *slot =
            (const weft_abi_slot_t *)(const void *)(image.bytes + h->slots_offset + (uint64_t)s * h->slot_stride);
        if (slot->tail != 0) {
            image.slot = s;
        }
    }
    return image;
}

static inline weft_test_image_t weft_test_image_copy(const weft_test_image_t *image) {
    weft_test_image_t copy = *image;
    copy.bytes = malloc(image->size);
    memcpy(copy.bytes, image->bytes, image->size);
    return copy;
}

static inline void weft_test_image_free(weft_test_image_t *image) {
    free(image->bytes);
    image->bytes = NULL;
}

static inline weft_abi_header_t *weft_test_image_header(const weft_test_image_t *image) {
    return (weft_abi_header_t *)(void *)image->bytes;
}

static inline weft_abi_slot_t *weft_test_image_slot(const weft_test_image_t *image) {
    const weft_abi_header_t *h = weft_test_image_header(image);
    return (weft_abi_slot_t *)(void *)(image->bytes + h->slots_offset + (uint64_t)image->slot * h->slot_stride);
}

static inline uint8_t *weft_test_image_ring(const weft_test_image_t *image) {
    const weft_abi_header_t *h = weft_test_image_header(image);
    return (uint8_t *)weft_test_image_slot(image) + h->slot_header_size + (uint64_t)h->stack_depth * h->frame_size;
}

/** Frame `i` of the image's slot. */
static inline uint8_t *weft_test_image_frame(const weft_test_image_t *image, uint32_t i) {
    const weft_abi_header_t *h = weft_test_image_header(image);
    return (uint8_t *)weft_test_image_slot(image) + h->slot_header_size + (uint64_t)i * h->frame_size;
}

/** The n-th record of the ring (0 = "r0"), found by walking the lengths the writer wrote. */
static inline uint8_t *weft_test_image_record(const weft_test_image_t *image, int n) {
    uint8_t *ring = weft_test_image_ring(image);
    uint64_t offset = 0;
    for (int i = 0; i < n; i++) {
        uint32_t length;
        memcpy(&length, ring + offset, 4);
        offset += (length + 7u) & ~7u;
    }
    return ring + offset;
}

/** The first item with `tag` in a span record (`nth` = 0 first), or NULL. */
static inline uint8_t *weft_test_record_item(uint8_t *record, uint8_t tag, int nth) {
    uint32_t length;
    uint16_t fixed_size, name_length;
    memcpy(&length, record, 4);
    memcpy(&fixed_size, record + 6, 2);
    memcpy(&name_length, record + fixed_size, 2);
    uint32_t p = fixed_size + 2u + name_length;
    while (p + 4 <= length) {
        uint16_t item_length;
        memcpy(&item_length, record + p + 2, 2);
        if (record[p] == tag && nth-- == 0) {
            return record + p;
        }
        if (item_length < 4) {
            return NULL;
        }
        p += item_length;
    }
    return NULL;
}

/** The RESOURCE record the writer put in the header area (1.1). */
static inline uint8_t *weft_test_image_resource(const weft_test_image_t *image) {
    return image->bytes + weft_test_image_header(image)->resource_offset;
}

/** The `nth` attribute item of the RESOURCE record, or NULL. */
static inline uint8_t *weft_test_resource_item(uint8_t *resource, int nth) {
    uint32_t length;
    uint16_t fixed_size;
    memcpy(&length, resource, 4);
    memcpy(&fixed_size, resource + 6, 2);
    uint32_t p = fixed_size;
    for (; p + 4 <= length; nth--) {
        uint16_t item_length;
        memcpy(&item_length, resource + p + 2, 2);
        if (nth == 0) {
            return resource + p;
        }
        if (item_length < 4) {
            return NULL;
        }
        p += item_length;
    }
    return NULL;
}

static inline void weft_test_put(void *at, uint64_t value, int width) {
    memcpy(at, &value, (size_t)width); /* little-endian, as the ABI */
}

static weft_reader_t weft_test_image_reader;

/** Open a copy of the image in memory, drain it and walk its frames. */
static inline weft_test_read_t weft_test_image_read(const weft_test_image_t *image) {
    weft_test_read_t out = {0};
    weft_test_image_t copy = weft_test_image_copy(image);
    weft_reader_t *r = &weft_test_image_reader;
    out.rc = weft_reader_open_memory(r, copy.bytes, copy.size, out.error, sizeof out.error);
    if (out.rc == 0) {
        weft_reader_drain(r, NULL, NULL);
        out.open = weft_reader_open_spans(r, NULL, NULL);
        out.spans_read = r->counters.spans_read;
        out.corrupt = r->counters.corrupt_records;
        out.unknown = r->counters.unknown_records;
        weft_resource_view_t view;
        out.resource_rc = weft_reader_resource(r, &view);
        out.corrupt_resource = r->counters.corrupt_resource;
        weft_reader_close(r);
    }
    weft_test_image_free(&copy);
    return out;
}

#endif /* WEFT_SEGMENT_IMAGE_H */
