/*
 * reader.c - the C reference reader (see weft_reader.h and docs/shm-abi.md).
 */
#define _GNU_SOURCE
#include "weft/weft_reader.h"
#include "weft_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint16_t weft_get_u16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static uint64_t weft_get_u64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* ------------------------------------------------------------- validate */

/** Minimum item length by tag, after the 4-byte item header. */
static bool weft_attr_item_ok(const uint8_t *item, uint16_t length) {
    if (length < WEFT_ABI_ATTR_PREFIX_SIZE) {
        return false;
    }
    uint16_t key_length = weft_get_u16(item + 4);
    if ((size_t)WEFT_ABI_ATTR_PREFIX_SIZE + key_length > length) {
        return false;
    }
    size_t value_length = length - WEFT_ABI_ATTR_PREFIX_SIZE - key_length;
    switch (item[0]) {
    case WEFT_ABI_ITEM_ATTR_STRING:
        return true;
    case WEFT_ABI_ITEM_ATTR_BOOL:
        return value_length == 1 && item[length - 1] <= 1;
    case WEFT_ABI_ITEM_ATTR_INT64:
    case WEFT_ABI_ITEM_ATTR_DOUBLE:
        return value_length == 8;
    default:
        return false;
    }
}

static bool weft_is_attr_tag(uint8_t tag) {
    return tag >= WEFT_ABI_ITEM_ATTR_STRING && tag <= WEFT_ABI_ITEM_ATTR_DOUBLE;
}

int weft_span_validate(const uint8_t *record, size_t length, uint32_t scope_count, weft_span_view_t *out) {
    memset(out, 0, sizeof *out);
    if (length < WEFT_ABI_SPAN_FIXED_SIZE + 2u) {
        return -EBADMSG;
    }
    const weft_abi_span_t *fixed = (const weft_abi_span_t *)(const void *)record;
    if (fixed->header.type != WEFT_ABI_RECORD_SPAN || fixed->header.length != length ||
        fixed->header.fixed_size < WEFT_ABI_SPAN_FIXED_SIZE || (size_t)fixed->header.fixed_size + 2u > length) {
        return -EBADMSG;
    }
    if (weft_is_zero(fixed->ctx.trace_id, 16) || weft_is_zero(fixed->ctx.span_id, 8) ||
        fixed->kind < WEFT_ABI_KIND_INTERNAL || fixed->kind > WEFT_ABI_KIND_CONSUMER ||
        fixed->status_code > WEFT_ABI_STATUS_ERROR || fixed->scope_index >= scope_count ||
        (fixed->end_unix_nanos != 0 && fixed->end_unix_nanos < fixed->start_unix_nanos)) {
        return -EBADMSG;
    }
    size_t offset = fixed->header.fixed_size;
    uint16_t name_length = weft_get_u16(record + offset);
    offset += 2;
    if (name_length > length - offset) {
        return -EBADMSG;
    }
    out->fixed = fixed;
    out->name = (const char *)record + offset;
    out->name_length = name_length;
    offset += name_length;
    out->items = record + offset;
    out->items_length = length - offset;

    /* Walk the items once: every length in bounds, counts as declared. */
    uint32_t span_attrs = 0, events = 0, event_attrs_left = 0;
    size_t p = 0;
    while (p < out->items_length) {
        if (out->items_length - p < 4) {
            return -EBADMSG;
        }
        const uint8_t *item = out->items + p;
        uint16_t item_length = weft_get_u16(item + 2);
        if (item_length < 4 || item_length > out->items_length - p) {
            return -EBADMSG;
        }
        if (event_attrs_left > 0) {
            if (!weft_is_attr_tag(item[0]) || !weft_attr_item_ok(item, item_length)) {
                return -EBADMSG;
            }
            event_attrs_left--;
        } else if (weft_is_attr_tag(item[0])) {
            if (!weft_attr_item_ok(item, item_length)) {
                return -EBADMSG;
            }
            span_attrs++;
        } else if (item[0] == WEFT_ABI_ITEM_EVENT) {
            if (item_length < WEFT_ABI_EVENT_PREFIX_SIZE ||
                (size_t)WEFT_ABI_EVENT_PREFIX_SIZE + weft_get_u16(item + 4) != item_length) {
                return -EBADMSG;
            }
            event_attrs_left = weft_get_u16(item + 6);
            events++;
        } else if (item[0] == WEFT_ABI_ITEM_STATUS_MESSAGE) {
            out->status_message = (const char *)item + WEFT_ABI_STATUS_MESSAGE_PREFIX_SIZE;
            out->status_message_length = (uint16_t)(item_length - WEFT_ABI_STATUS_MESSAGE_PREFIX_SIZE);
        }
        /* any other tag: a newer writer's item, skipped by its length */
        p += item_length;
    }
    if (event_attrs_left != 0 || span_attrs != fixed->attr_count || events != fixed->event_count) {
        return -EBADMSG;
    }
    return 0;
}

int weft_item_next(const weft_span_view_t *span, weft_item_cursor_t *cursor, weft_item_view_t *out) {
    for (;;) {
        if (cursor->offset + 4 > span->items_length) {
            return 0;
        }
        const uint8_t *item = span->items + cursor->offset;
        uint16_t length = weft_get_u16(item + 2);
        if (length < 4 || length > span->items_length - cursor->offset) {
            return 0; /* never for a validated span */
        }
        cursor->offset += length;
        memset(out, 0, sizeof *out);
        out->tag = item[0];
        out->flags = item[1];
        if (weft_is_attr_tag(item[0])) {
            out->in_event = cursor->event_attrs_left > 0;
            if (out->in_event) {
                cursor->event_attrs_left--;
            }
            out->key_length = weft_get_u16(item + 4);
            out->key = (const char *)item + WEFT_ABI_ATTR_PREFIX_SIZE;
            const uint8_t *value = item + WEFT_ABI_ATTR_PREFIX_SIZE + out->key_length;
            switch (item[0]) {
            case WEFT_ABI_ITEM_ATTR_STRING:
                out->string_value = (const char *)value;
                out->string_length = length - WEFT_ABI_ATTR_PREFIX_SIZE - out->key_length;
                break;
            case WEFT_ABI_ITEM_ATTR_BOOL:
                out->bool_value = value[0] != 0;
                break;
            case WEFT_ABI_ITEM_ATTR_INT64:
                out->int64_value = (int64_t)weft_get_u64(value);
                break;
            default:
                memcpy(&out->double_value, value, 8);
                break;
            }
            return 1;
        }
        if (item[0] == WEFT_ABI_ITEM_EVENT) {
            out->key_length = weft_get_u16(item + 4);
            out->key = (const char *)item + WEFT_ABI_EVENT_PREFIX_SIZE;
            out->event_attr_count = weft_get_u16(item + 6);
            out->event_dropped_attr_count = weft_get_u16(item + 8);
            out->event_time_unix_nanos = weft_get_u64(item + 16);
            cursor->event_attrs_left = out->event_attr_count;
            return 1;
        }
        if (item[0] == WEFT_ABI_ITEM_STATUS_MESSAGE) {
            out->key = (const char *)item + 4;
            out->key_length = (uint16_t)(length - 4);
            return 1;
        }
        /* unknown item: skip */
    }
}

/* ------------------------------------------------------------- resource */

int weft_resource_validate(const uint8_t *record, size_t length, weft_resource_view_t *out) {
    memset(out, 0, sizeof *out);
    if (length < WEFT_ABI_RESOURCE_FIXED_SIZE || length > WEFT_ABI_RESOURCE_MAX) {
        return -EBADMSG;
    }
    weft_abi_record_header_t header;
    memcpy(&header, record, sizeof header);
    if (header.length != length || header.type != WEFT_ABI_RECORD_RESOURCE ||
        header.fixed_size < WEFT_ABI_RESOURCE_FIXED_SIZE || header.fixed_size > length) {
        return -EBADMSG;
    }
    const uint16_t attr_count = weft_get_u16(record + WEFT_ABI_RESOURCE_ATTR_COUNT_OFFSET);
    out->items = record + header.fixed_size;
    out->items_length = length - header.fixed_size;
    /* The items rules of a span: every length in bounds, attributes well formed, as many as declared;
     * any other tag is skipped by its length (a Resource has no events or status). */
    uint32_t attrs = 0;
    size_t p = 0;
    while (p < out->items_length) {
        if (out->items_length - p < 4) {
            return -EBADMSG;
        }
        const uint8_t *item = out->items + p;
        const uint16_t item_length = weft_get_u16(item + 2);
        if (item_length < 4 || item_length > out->items_length - p) {
            return -EBADMSG;
        }
        if (weft_is_attr_tag(item[0])) {
            if (!weft_attr_item_ok(item, item_length)) {
                return -EBADMSG;
            }
            attrs++;
        }
        p += item_length;
    }
    if (attrs != attr_count) {
        return -EBADMSG;
    }
    out->attr_count = attr_count;
    out->dropped_attr_count = weft_get_u16(record + WEFT_ABI_RESOURCE_DROPPED_ATTR_COUNT_OFFSET);
    return 0;
}

int weft_resource_item_next(const weft_resource_view_t *resource, weft_item_cursor_t *cursor, weft_item_view_t *out) {
    weft_span_view_t items;
    memset(&items, 0, sizeof items);
    items.items = resource->items;
    items.items_length = resource->items_length;
    for (;;) {
        int more = weft_item_next(&items, cursor, out);
        cursor->event_attrs_left = 0; /* no events in a Resource: every attribute is the Resource's */
        if (more == 0 || weft_is_attr_tag(out->tag)) {
            out->in_event = false;
            return more;
        }
    }
}

/* ----------------------------------------------------------------- open */

/** How a reader holds the segment's bytes (weft_reader_t.storage). */
enum { WEFT_READER_MAPPED = 1, WEFT_READER_COPY = 2, WEFT_READER_BORROWED = 3 };

static uint64_t weft_align8_64(uint64_t n) {
    return (n + 7u) & ~UINT64_C(7); /* n is a u32 length widened: it cannot wrap */
}

static bool weft_is_multiple_of_8(uint64_t n) {
    return (n & 7u) == 0;
}

/**
 * The segment-header rules of docs/shm-abi.md ("Validation table"), over a
 * header read from a segment of `file_size` bytes. Every rule only uses the
 * header and the file size, so a copy of the first 4096 bytes is enough.
 * @return 0, or the errno to refuse with; `*problem` says why.
 */
static int weft_check_header(const weft_abi_header_t *h, uint64_t magic, uint64_t file_size, const char **problem) {
    *problem = NULL;
    if (magic != WEFT_ABI_MAGIC) {
        *problem = "bad magic (not a weft segment, or not initialised yet)";
        return -EBADMSG;
    }
    if (h->version_major != WEFT_ABI_VERSION_MAJOR) {
        *problem = "unsupported ABI major version";
        return -EPROTO;
    }
    if (h->byte_order_mark != WEFT_ABI_BYTE_ORDER_MARK) {
        *problem = "wrong byte order";
        return -EBADMSG;
    }
    if (h->creator_uid != geteuid()) {
        *problem = "creator_uid is not ours";
        return -EPERM;
    }
    if (h->segment_size != file_size || h->header_size < sizeof(weft_abi_header_t) ||
        h->slots_offset < h->header_size || h->slot_header_size < WEFT_ABI_SLOT_HEADER_SIZE || h->slot_count == 0 ||
        h->stack_depth == 0 || h->stack_depth > WEFT_MAX_STACK_DEPTH || h->frame_size < WEFT_MIN_FRAME_SIZE ||
        h->frame_size > WEFT_MAX_FRAME_SIZE || h->frame_size % 8 != 0 || h->ring_capacity == 0 ||
        (h->ring_capacity & (h->ring_capacity - 1)) != 0 || h->ring_capacity < 2u * h->frame_size) {
        *problem = "inconsistent sizes in the header";
        return -EBADMSG;
    }
    if (h->slot_count > WEFT_ABI_MAX_SLOT_COUNT) {
        *problem = "slot_count is larger than any writer makes (65536)";
        return -EBADMSG;
    }
    /* Slot headers hold 8-byte atomics and rings 8-aligned records: every offset to them is a multiple of 8. */
    if (!weft_is_multiple_of_8(h->slots_offset) || !weft_is_multiple_of_8(h->slot_stride) ||
        !weft_is_multiple_of_8(h->slot_header_size)) {
        *problem = "slots_offset, slot_stride and slot_header_size must be multiples of 8";
        return -EBADMSG;
    }
    /* slots_offset first: (file_size - slots_offset) below must not wrap. */
    if (h->slots_offset > file_size ||
        h->slot_stride < (uint64_t)h->slot_header_size + (uint64_t)h->stack_depth * h->frame_size + h->ring_capacity ||
        h->slot_stride > file_size || (file_size - h->slots_offset) / h->slot_stride < h->slot_count) {
        *problem = "slots do not fit in the segment";
        return -EBADMSG;
    }
    return 0;
}

/**
 * 1.1: copy the RESOURCE record out of the header area and validate it (docs/shm-abi.md, validation table,
 * "RESOURCE record"). Written before magic and never changed, but read once and kept: a shared mapping
 * could change under a second look. An invalid one is counted once and not used.
 */
static void weft_reader_adopt_resource(weft_reader_t *r, uint32_t offset, uint32_t length, uint64_t header_size) {
    r->resource_length = 0;
    if (offset == 0 && length == 0) {
        r->resource_rc = -ENOENT; /* a 1.0 writer, or none */
        return;
    }
    weft_resource_view_t view;
    if (offset < WEFT_ABI_HEADER_SIZE || offset % 8 != 0 || length < WEFT_ABI_RESOURCE_FIXED_SIZE ||
        length > WEFT_ABI_RESOURCE_MAX || (uint64_t)offset + length > header_size ||
        (uint64_t)offset + length > r->size) {
        r->resource_rc = -EBADMSG;
    } else {
        memcpy(r->resource, r->base + offset, length);
        r->resource_length = length;
        r->resource_rc = weft_resource_validate((const uint8_t *)r->resource, length, &view);
    }
    if (r->resource_rc != 0) {
        r->counters.corrupt_resource = 1;
        r->resource_length = 0;
    }
}

/** Validate the header of the bytes a reader now holds and take its geometry. */
static int weft_reader_adopt(weft_reader_t *r, const char *name, char *error, size_t error_size) {
    r->header = (const weft_abi_header_t *)(const void *)r->base;
    /* acquire: pairs with the creator's release of magic, so every header field below is written */
    const uint64_t magic = weft_load_acquire(&((weft_abi_header_t *)(void *)r->base)->magic);
    /* Each field read once, then checked and used from the copy: a shared mapping may change between two
     * reads. (The atomics that change while live -- state, scope_count, dropped_no_slot -- are not copied.) */
    const weft_abi_header_t *src = r->header;
    weft_abi_header_t h;
    memset(&h, 0, sizeof h);
    h.version_major = src->version_major;
    h.byte_order_mark = src->byte_order_mark;
    h.creator_uid = src->creator_uid;
    h.segment_size = src->segment_size;
    h.header_size = src->header_size;
    h.slots_offset = src->slots_offset;
    h.slot_header_size = src->slot_header_size;
    h.slot_count = src->slot_count;
    h.slot_stride = src->slot_stride;
    h.stack_depth = src->stack_depth;
    h.frame_size = src->frame_size;
    h.ring_capacity = src->ring_capacity;
    const char *problem;
    int rc = weft_check_header(&h, magic, r->size, &problem);
    if (rc != 0) {
        snprintf(error, error_size, "%s: %s", name, problem);
        return rc;
    }
    r->slot_count = h.slot_count;
    r->slot_header_size = h.slot_header_size;
    r->slots_offset = h.slots_offset;
    r->slot_stride = h.slot_stride;
    r->stack_depth = h.stack_depth;
    r->frame_size = h.frame_size;
    r->ring_capacity = h.ring_capacity;
    weft_reader_adopt_resource(r, src->resource_offset, src->resource_length, h.header_size);
    return 0;
}

/**
 * Open `path` without side effects on whatever it is (O_NONBLOCK: a FIFO does not block us; O_NOCTTY: a
 * terminal is not adopted) and refuse anything but a regular file of ours with mode 0600 that can hold a header.
 */
static int weft_reader_open_file(const char *path, int flags, struct stat *st, char *error, size_t error_size) {
    int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        snprintf(error, error_size, "cannot open %s: %s", path, strerror(e));
        return -e;
    }
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || st->st_uid != geteuid() || (st->st_mode & 077) != 0) {
        close(fd);
        snprintf(error, error_size, "%s is not a regular file of ours with mode 0600: refusing it", path);
        return -EPERM;
    }
    if ((uint64_t)st->st_size < WEFT_ABI_HEADER_SIZE) {
        close(fd);
        snprintf(error, error_size, "%s is too small (%lld bytes) to be a weft segment", path, (long long)st->st_size);
        return -EBADMSG;
    }
    return fd;
}

int weft_reader_open(weft_reader_t *r, const char *path, char *error, size_t error_size) {
    memset(r, 0, offsetof(weft_reader_t, record));
    struct stat st;
    int fd = weft_reader_open_file(path, O_RDWR, &st, error, error_size);
    if (fd < 0) {
        return fd;
    }
    void *base = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (base == MAP_FAILED) {
        snprintf(error, error_size, "cannot map %s: %s", path, strerror(e));
        return -e;
    }
    r->base = base;
    r->size = (size_t)st.st_size;
    r->storage = WEFT_READER_MAPPED;
    int rc = weft_reader_adopt(r, path, error, error_size);
    if (rc != 0) {
        weft_reader_close(r);
    }
    return rc;
}

/** pread exactly `length` bytes at `offset`; a short read means the file shrank under us. */
static int weft_read_fully(int fd, uint8_t *to, size_t length, uint64_t offset) {
    size_t done = 0;
    while (done < length) {
        ssize_t n = pread(fd, to + done, length - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -errno;
        }
        if (n == 0) {
            return -ESTALE;
        }
        done += (size_t)n;
    }
    return 0;
}

int weft_reader_open_snapshot(weft_reader_t *r, const char *path, char *error, size_t error_size) {
    memset(r, 0, offsetof(weft_reader_t, record));
    struct stat st;
    int fd = weft_reader_open_file(path, O_RDONLY, &st, error, error_size);
    if (fd < 0) {
        return fd;
    }
    /* The header alone first: a file whose header is refused is never read (or allocated for) whole. */
    uint64_t header_copy[WEFT_ABI_HEADER_SIZE / 8];
    int rc = weft_read_fully(fd, (uint8_t *)header_copy, WEFT_ABI_HEADER_SIZE, 0);
    const char *problem = NULL;
    if (rc == 0) {
        const weft_abi_header_t *h = (const weft_abi_header_t *)(const void *)header_copy;
        rc = weft_check_header(h, h->magic, (uint64_t)st.st_size, &problem);
    }
    uint8_t *copy = NULL;
    if (rc == 0 && (copy = malloc((size_t)st.st_size)) == NULL) {
        rc = -ENOMEM;
    }
    if (rc == 0) {
        rc = weft_read_fully(fd, copy, (size_t)st.st_size, 0);
    }
    close(fd);
    if (rc != 0) {
        free(copy);
        if (problem != NULL) {
            snprintf(error, error_size, "%s: %s", path, problem);
        } else if (rc == -ESTALE) {
            snprintf(error, error_size, "%s: the file shrank while it was read (truncated by another process?)", path);
        } else {
            snprintf(error, error_size, "cannot read %s: %s", path, strerror(-rc));
        }
        return rc;
    }
    r->base = copy;
    r->size = (size_t)st.st_size;
    r->storage = WEFT_READER_COPY;
    rc = weft_reader_adopt(r, path, error, error_size); /* again, on the copy: the file may have changed */
    if (rc != 0) {
        weft_reader_close(r);
    }
    return rc;
}

int weft_reader_open_memory(weft_reader_t *r, void *segment, size_t size, char *error, size_t error_size) {
    memset(r, 0, offsetof(weft_reader_t, record));
    if (segment == NULL || ((uintptr_t)segment & 7u) != 0) {
        snprintf(error, error_size, "segment buffer: must be 8-aligned");
        return -EINVAL;
    }
    if (size < WEFT_ABI_HEADER_SIZE) {
        snprintf(error, error_size, "segment buffer: too small (%zu bytes) to be a weft segment", size);
        return -EBADMSG;
    }
    r->base = segment;
    r->size = size;
    r->storage = WEFT_READER_BORROWED;
    int rc = weft_reader_adopt(r, "segment buffer", error, error_size);
    if (rc != 0) {
        r->base = NULL;
    }
    return rc;
}

void weft_reader_close(weft_reader_t *r) {
    if (r->base != NULL && r->storage == WEFT_READER_MAPPED) {
        munmap(r->base, r->size);
    } else if (r->base != NULL && r->storage == WEFT_READER_COPY) {
        free(r->base);
    }
    r->base = NULL;
}

static weft_abi_slot_t *weft_reader_slot(const weft_reader_t *r, uint32_t index) {
    return (weft_abi_slot_t *)(void *)(r->base + r->slots_offset + (uint64_t)index * r->slot_stride);
}

static uint32_t weft_reader_scope_count(const weft_reader_t *r) {
    uint32_t n = weft_load_acquire(&((weft_abi_header_t *)(void *)r->base)->scope_count);
    return n < WEFT_ABI_MAX_SCOPES ? n : WEFT_ABI_MAX_SCOPES;
}

/* ---------------------------------------------------------------- drain */

static uint8_t *weft_reader_ring(const weft_reader_t *r, weft_abi_slot_t *slot) {
    return (uint8_t *)slot + r->slot_header_size + (size_t)r->stack_depth * r->frame_size;
}

size_t weft_reader_drain(weft_reader_t *r, weft_span_handler_t handler, void *clientd) {
    size_t delivered = 0;
    const uint64_t capacity = r->ring_capacity;
    const uint32_t scope_count = weft_reader_scope_count(r);
    uint8_t *copy = (uint8_t *)r->record;
    for (uint32_t s = 0; s < r->slot_count; s++) {
        weft_abi_slot_t *slot = weft_reader_slot(r, s);
        const uint8_t *ring = weft_reader_ring(r, slot);
        uint64_t head = weft_load_relaxed(&slot->head); /* we are its only writer */
        /* acquire: pairs with the producer's release of tail: the records before it are complete */
        const uint64_t tail = weft_load_acquire(&slot->tail);
        if (head != tail && (!weft_is_multiple_of_8(head) || !weft_is_multiple_of_8(tail) || tail < head ||
                             tail - head > capacity)) {
            /* Positions a writer cannot produce (a wrap past 2^64, a misaligned or backward position, more
             * than a ring in flight): what they enclose is lost, so say so once, and resynchronise. */
            r->counters.corrupt_records++;
            head = tail;
        }
        while (head < tail) {
            /* head and tail are 8-aligned and 0 < tail - head <= capacity here, and every step below moves
             * head forward by 8..available bytes: the loop ends within capacity / 8 steps. */
            const uint64_t index = head & (capacity - 1);
            const uint64_t available = (tail - head) < (capacity - index) ? (tail - head) : (capacity - index);
            weft_abi_record_header_t header;
            memcpy(&header, ring + index, sizeof header);
            const uint64_t aligned = weft_align8_64(header.length); /* 64-bit: a length near 2^32 cannot wrap */
            if (header.length < sizeof header || aligned > available) {
                r->counters.corrupt_records++; /* the framing is lost: skip what is left */
                head = tail;
                break;
            }
            if (header.type == WEFT_ABI_RECORD_SPAN) {
                weft_span_view_t view;
                if (header.length > r->frame_size) {
                    r->counters.corrupt_records++;
                } else {
                    memcpy(copy, ring + index, header.length);
                    if (weft_span_validate(copy, header.length, scope_count, &view) == 0 &&
                        view.fixed->end_unix_nanos != 0) {
                        view.slot = s;
                        r->counters.spans_read++;
                        delivered++;
                        if (handler != NULL) {
                            handler(&view, clientd);
                        }
                    } else {
                        r->counters.corrupt_records++;
                    }
                }
            } else if (header.type == WEFT_ABI_RECORD_PADDING) {
                if (header.length != capacity - index) {
                    r->counters.corrupt_records++; /* a writer pads exactly to the end of the ring, never less */
                }
            } else {
                r->counters.unknown_records++;
            }
            head += aligned;
        }
        /* 1.1: what was read ends at head; release: a collector that takes over sees it (an exporter that
         * acknowledges later would store head after its acknowledgement; this reader hands out synchronously) */
        weft_store_release(&slot->read_position, head);
        /* release: we are done with everything before head; the producer may overwrite it */
        weft_store_release(&slot->head, head);
    }
    return delivered;
}

/** Frame `i` of a slot, validated into the reader's copy. @return 0 (a span), 1 (not a span), -1 (corrupt length). */
static int weft_reader_frame(weft_reader_t *r, weft_abi_slot_t *slot, uint32_t i, uint32_t scope_count,
                             weft_span_view_t *view) {
    const uint8_t *frame = (const uint8_t *)slot + r->slot_header_size + (size_t)i * r->frame_size;
    weft_abi_record_header_t header;
    memcpy(&header, frame, sizeof header);
    if (header.type != WEFT_ABI_RECORD_SPAN) {
        return 1; /* an attached context, not a span */
    }
    if (header.length < sizeof header || header.length > r->frame_size) {
        return -1;
    }
    uint8_t *copy = (uint8_t *)r->record;
    memcpy(copy, frame, header.length);
    /* unsampled frames carry no name; torn frames of a live writer fail here */
    return weft_span_validate(copy, header.length, scope_count, view) == 0 ? 0 : 1;
}

/** The latest start or event time of a validated span. */
static uint64_t weft_span_latest_time(const weft_span_view_t *view) {
    uint64_t latest = view->fixed->start_unix_nanos;
    weft_item_cursor_t cursor = {0};
    weft_item_view_t item;
    while (weft_item_next(view, &cursor, &item)) {
        if (item.tag == WEFT_ABI_ITEM_EVENT && item.event_time_unix_nanos > latest) {
            latest = item.event_time_unix_nanos;
        }
    }
    return latest;
}

size_t weft_reader_open_spans(weft_reader_t *r, weft_span_handler_t handler, void *clientd) {
    size_t visited = 0;
    const uint32_t scope_count = weft_reader_scope_count(r);
    for (uint32_t s = 0; s < r->slot_count; s++) {
        weft_abi_slot_t *slot = weft_reader_slot(r, s);
        if (weft_load_acquire(&slot->state) != WEFT_ABI_SLOT_ACTIVE) {
            continue;
        }
        /* acquire: pairs with the owner's release of depth: frames below it are complete */
        uint32_t depth = weft_load_acquire(&slot->depth);
        if (depth > r->stack_depth) {
            r->counters.corrupt_records++;
            depth = r->stack_depth;
        }
        /* First pass: the slot's last activity (1.1), from its last end and every open span's times. */
        uint64_t last_activity = weft_load_relaxed(&slot->last_end_unix_nanos);
        weft_span_view_t view;
        for (uint32_t i = 0; i < depth; i++) {
            int rc = weft_reader_frame(r, slot, i, scope_count, &view);
            if (rc < 0) {
                r->counters.corrupt_records++; /* counted once, here */
            } else if (rc == 0) {
                uint64_t latest = weft_span_latest_time(&view);
                last_activity = latest > last_activity ? latest : last_activity;
            }
        }
        /* Second pass: deliver (each frame validated again: the copy buffer holds one record). */
        for (uint32_t i = 0; i < depth; i++) {
            if (weft_reader_frame(r, slot, i, scope_count, &view) != 0) {
                continue;
            }
            view.slot = s;
            view.frame_index = i;
            view.last_activity_unix_nanos = last_activity;
            visited++;
            if (handler != NULL) {
                handler(&view, clientd);
            }
        }
    }
    return visited;
}

/** Sums the counters of `slot_count` slots from `slots_offset`: values the caller validated, not re-read. */
static void weft_sum_slots(const uint8_t *base, const weft_abi_header_t *header, uint64_t slots_offset,
                           uint32_t slot_count, uint64_t slot_stride, weft_stats_t *out) {
    memset(out, 0, sizeof *out);
    out->slot_count = slot_count;
    out->dropped_no_slot = weft_load_relaxed(&((weft_abi_header_t *)(void *)(uintptr_t)header)->dropped_no_slot);
    for (uint32_t s = 0; s < slot_count; s++) {
        weft_abi_slot_t *slot = (weft_abi_slot_t *)(void *)(uintptr_t)(base + slots_offset + (uint64_t)s * slot_stride);
        if (weft_load_acquire(&slot->state) == WEFT_ABI_SLOT_ACTIVE) {
            out->slots_active++;
        }
        out->spans_committed += weft_load_relaxed(&slot->spans_committed);
        out->dropped_ring_full += weft_load_relaxed(&slot->dropped_ring_full);
        out->dropped_reentrant += weft_load_relaxed(&slot->dropped_reentrant);
        out->dropped_too_deep += weft_load_relaxed(&slot->dropped_too_deep);
    }
}

void weft_sum_counters(const uint8_t *base, const weft_abi_header_t *header, uint32_t slot_count,
                       uint64_t slot_stride, weft_stats_t *out) {
    weft_sum_slots(base, header, header->slots_offset, slot_count, slot_stride, out); /* the SDK's own segment */
}

void weft_reader_native_stats(const weft_reader_t *r, weft_stats_t *out) {
    /* slots_offset as validated at open: the header in a shared mapping may have changed since */
    weft_sum_slots(r->base, r->header, r->slots_offset, r->slot_count, r->slot_stride, out);
}

bool weft_reader_creator_alive(const weft_reader_t *r) {
    return weft_creator_running(r->header);
}

/* ------------------------------------------------------------------ 1.1 */

int weft_reader_resource(const weft_reader_t *r, weft_resource_view_t *out) {
    memset(out, 0, sizeof *out);
    if (r->resource_rc != 0) {
        return r->resource_rc;
    }
    return weft_resource_validate((const uint8_t *)r->resource, r->resource_length, out);
}

bool weft_lease_owner_running(uint64_t lease_owner) {
    return weft_lease_holder_running(lease_owner);
}

int weft_reader_slot_status(const weft_reader_t *r, uint32_t index, weft_slot_status_t *out) {
    memset(out, 0, sizeof *out);
    if (index >= r->slot_count) {
        return -EINVAL;
    }
    weft_abi_slot_t *slot = weft_reader_slot(r, index);
    out->state = weft_load_acquire(&slot->state);
    out->generation = slot->generation;
    out->tid = slot->tid;
    out->depth = weft_load_acquire(&slot->depth);
    out->head = weft_load_acquire(&slot->head);
    out->read_position = weft_load_acquire(&slot->read_position);
    out->tail = weft_load_acquire(&slot->tail);
    out->read_position_valid = out->head <= out->read_position && out->read_position <= out->tail;
    out->spans_committed = weft_load_relaxed(&slot->spans_committed);
    out->dropped_ring_full = weft_load_relaxed(&slot->dropped_ring_full);
    out->dropped_reentrant = weft_load_relaxed(&slot->dropped_reentrant);
    out->dropped_too_deep = weft_load_relaxed(&slot->dropped_too_deep);
    out->dropped_shutdown = weft_load_relaxed(&slot->dropped_shutdown);
    out->last_end_unix_nanos = weft_load_relaxed(&slot->last_end_unix_nanos);
    return 0;
}

void weft_reader_status(const weft_reader_t *r, weft_segment_status_t *out) {
    memset(out, 0, sizeof *out);
    weft_abi_header_t *h = (weft_abi_header_t *)(void *)r->base;
    out->version_minor = h->version_minor;
    out->state = weft_load_acquire(&h->state);
    out->lease_owner = weft_load_acquire(&h->lease_owner);
    out->lease_pid = (uint32_t)out->lease_owner;
    out->lease_start_ticks_low = (uint32_t)(out->lease_owner >> 32);
    out->lease_heartbeat_unix_nanos = weft_load_relaxed(&h->lease_heartbeat_unix_nanos);
    out->lease_holder_running = weft_lease_holder_running(out->lease_owner);
    out->fence = weft_load_acquire(&h->fence);
    for (uint32_t s = 0; s < r->slot_count; s++) {
        weft_slot_status_t slot;
        weft_reader_slot_status(r, s, &slot);
        out->dropped_shutdown += slot.dropped_shutdown;
        if (slot.read_position_valid) {
            out->unacknowledged_bytes += slot.read_position - slot.head;
        } else if (slot.read_position != 0) {
            /* outside [head, tail]: ignored, nothing counted possibly duplicated (0 is a 1.0 consumer's: none) */
            out->bad_read_positions++;
        }
    }
}
