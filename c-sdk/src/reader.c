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

/* ----------------------------------------------------------------- open */

int weft_reader_open(weft_reader_t *r, const char *path, char *error, size_t error_size) {
    memset(r, 0, offsetof(weft_reader_t, record));
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(error, error_size, "cannot open %s: %s", path, strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        close(fd);
        snprintf(error, error_size, "%s is not a regular file of ours with mode 0600: refusing it", path);
        return -EPERM;
    }
    if ((size_t)st.st_size < WEFT_ABI_HEADER_SIZE) {
        close(fd);
        snprintf(error, error_size, "%s is too small (%lld bytes) to be a weft segment", path, (long long)st.st_size);
        return -EBADMSG;
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
    r->header = base;
    const weft_abi_header_t *h = r->header;
    const char *problem = NULL;
    int rc = -EBADMSG;
    /* acquire: pairs with the creator's release of magic, so every header field below is written */
    if (weft_load_acquire(&((weft_abi_header_t *)base)->magic) != WEFT_ABI_MAGIC) {
        problem = "bad magic (not a weft segment, or not initialised yet)";
    } else if (h->version_major != WEFT_ABI_VERSION_MAJOR) {
        problem = "unsupported ABI major version";
        rc = -EPROTO;
    } else if (h->byte_order_mark != WEFT_ABI_BYTE_ORDER_MARK) {
        problem = "wrong byte order";
    } else if (h->creator_uid != geteuid()) {
        problem = "creator_uid is not ours";
        rc = -EPERM;
    } else if (h->segment_size != r->size || h->header_size < sizeof(weft_abi_header_t) ||
               h->slots_offset < h->header_size || h->slot_header_size < WEFT_ABI_SLOT_HEADER_SIZE ||
               h->slot_count == 0 || h->stack_depth == 0 || h->stack_depth > WEFT_MAX_STACK_DEPTH ||
               h->frame_size < WEFT_MIN_FRAME_SIZE || h->frame_size > WEFT_MAX_FRAME_SIZE || h->frame_size % 8 != 0 ||
               h->ring_capacity == 0 || (h->ring_capacity & (h->ring_capacity - 1)) != 0 ||
               h->ring_capacity < 2u * h->frame_size) {
        problem = "inconsistent sizes in the header";
    } else if (h->slot_stride < (uint64_t)h->slot_header_size + (uint64_t)h->stack_depth * h->frame_size +
                                    h->ring_capacity ||
               h->slot_stride > r->size ||
               (r->size - h->slots_offset) / h->slot_stride < h->slot_count) {
        problem = "slots do not fit in the segment";
    }
    if (problem != NULL) {
        snprintf(error, error_size, "%s: %s", path, problem);
        weft_reader_close(r);
        return rc;
    }
    r->slot_count = h->slot_count;
    r->slot_header_size = h->slot_header_size;
    r->slots_offset = h->slots_offset;
    r->slot_stride = h->slot_stride;
    r->stack_depth = h->stack_depth;
    r->frame_size = h->frame_size;
    r->ring_capacity = h->ring_capacity;
    return 0;
}

void weft_reader_close(weft_reader_t *r) {
    if (r->base != NULL) {
        munmap(r->base, r->size);
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
        if (tail - head > capacity) {
            r->counters.corrupt_records++; /* positions make no sense: resynchronise */
            head = tail;
        }
        while (head < tail) {
            const uint64_t index = head & (capacity - 1);
            const uint64_t available = (tail - head) < (capacity - index) ? (tail - head) : (capacity - index);
            weft_abi_record_header_t header;
            if (available < sizeof header) {
                r->counters.corrupt_records++;
                head = tail;
                break;
            }
            memcpy(&header, ring + index, sizeof header);
            const uint64_t aligned = weft_align8(header.length);
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
            } else if (header.type != WEFT_ABI_RECORD_PADDING) {
                r->counters.unknown_records++;
            }
            head += aligned;
        }
        /* release: we are done with everything before head; the producer may overwrite it */
        weft_store_release(&slot->head, head);
    }
    return delivered;
}

size_t weft_reader_open_spans(weft_reader_t *r, weft_span_handler_t handler, void *clientd) {
    size_t visited = 0;
    const uint32_t scope_count = weft_reader_scope_count(r);
    uint8_t *copy = (uint8_t *)r->record;
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
        for (uint32_t i = 0; i < depth; i++) {
            const uint8_t *frame = (const uint8_t *)slot + r->slot_header_size + (size_t)i * r->frame_size;
            weft_abi_record_header_t header;
            memcpy(&header, frame, sizeof header);
            if (header.type != WEFT_ABI_RECORD_SPAN) {
                continue; /* an attached context, not a span */
            }
            if (header.length < sizeof header || header.length > r->frame_size) {
                r->counters.corrupt_records++;
                continue;
            }
            memcpy(copy, frame, header.length);
            weft_span_view_t view;
            if (weft_span_validate(copy, header.length, scope_count, &view) != 0) {
                continue; /* unsampled frames carry no name; torn frames of a live writer fail here */
            }
            view.slot = s;
            view.frame_index = i;
            visited++;
            if (handler != NULL) {
                handler(&view, clientd);
            }
        }
    }
    return visited;
}

void weft_sum_counters(const uint8_t *base, const weft_abi_header_t *header, uint32_t slot_count,
                       uint64_t slot_stride, weft_stats_t *out) {
    memset(out, 0, sizeof *out);
    out->slot_count = slot_count;
    out->dropped_no_slot = weft_load_relaxed(&((weft_abi_header_t *)(void *)(uintptr_t)header)->dropped_no_slot);
    for (uint32_t s = 0; s < slot_count; s++) {
        weft_abi_slot_t *slot =
            (weft_abi_slot_t *)(void *)(uintptr_t)(base + header->slots_offset + (uint64_t)s * slot_stride);
        if (weft_load_acquire(&slot->state) == WEFT_ABI_SLOT_ACTIVE) {
            out->slots_active++;
        }
        out->spans_committed += weft_load_relaxed(&slot->spans_committed);
        out->dropped_ring_full += weft_load_relaxed(&slot->dropped_ring_full);
        out->dropped_reentrant += weft_load_relaxed(&slot->dropped_reentrant);
        out->dropped_too_deep += weft_load_relaxed(&slot->dropped_too_deep);
    }
}

void weft_reader_native_stats(const weft_reader_t *r, weft_stats_t *out) {
    weft_sum_counters(r->base, r->header, r->slot_count, r->slot_stride, out);
}

bool weft_reader_creator_alive(const weft_reader_t *r) {
    return weft_creator_running(r->header);
}
