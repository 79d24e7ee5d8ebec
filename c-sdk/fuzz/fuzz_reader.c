/*
 * fuzz_reader.c - libFuzzer target for the C reference reader over whole
 * segments (docs/fuzzing.md).
 *
 * An input is the bytes of a segment file. The target copies them into an
 * 8-aligned buffer, writes our euid at creator_uid and the input's length at
 * segment_size (the two fields the file's identity fixes: their refusals
 * are covered by tests/test_reader_validation.c), opens the copy with
 * weft_reader_open_memory, then drains every ring twice, walks every open
 * frame and sums the counters, touching every byte the reader hands out.
 *
 * It checks what must hold for any input, beyond "no crash, no sanitizer
 * report, no hang":
 *   - the work is bounded: every record counted (read, corrupt or unknown)
 *     consumed at least 8 bytes of the input;
 *   - a second drain finds nothing: the first left every slot consistent;
 *   - (1.1) the RESOURCE record is counted corrupt exactly when it is refused,
 *     and a valid one yields no more attributes than it declares.
 *
 * Built by run-fuzz.sh with clang -fsanitize=fuzzer,address,undefined, and,
 * with WEFT_FUZZ_REPLAY, into a plain program that runs the corpus through
 * the same function (the ctest regression test fuzz_corpus_replay).
 */
#define _GNU_SOURCE
#include <weft/weft_reader.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WEFT_FUZZ_MAX_INPUT (1u << 20)

static weft_reader_t reader;
static volatile uint64_t sink;

static void touch(const void *p, size_t n) {
    const uint8_t *b = p;
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += b[i];
    }
    sink += sum;
}

static void visit(const weft_span_view_t *span, void *clientd) {
    (void)clientd;
    touch(span->fixed, sizeof *span->fixed);
    touch(span->name, span->name_length);
    if (span->status_message != NULL) {
        touch(span->status_message, span->status_message_length);
    }
    weft_item_cursor_t cursor = {0};
    weft_item_view_t item;
    size_t steps = 0;
    while (weft_item_next(span, &cursor, &item)) {
        touch(item.key, item.key_length);
        if (item.tag == WEFT_ABI_ITEM_ATTR_STRING) {
            touch(item.string_value, item.string_length);
        }
        if (++steps > span->items_length / 4) {
            abort(); /* every item is at least 4 bytes: more steps than that is a loop */
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > WEFT_FUZZ_MAX_INPUT) {
        return 0;
    }
    uint8_t *segment = malloc(size > 0 ? size : 1);
    if (segment == NULL) {
        return 0;
    }
    memcpy(segment, data, size);
    if (size >= WEFT_ABI_HEADER_SIZE) {
        uint32_t uid = (uint32_t)geteuid();
        uint64_t size64 = size;
        memcpy(segment + offsetof(weft_abi_header_t, creator_uid), &uid, 4);
        memcpy(segment + offsetof(weft_abi_header_t, segment_size), &size64, 8);
    }
    char error[256];
    if (weft_reader_open_memory(&reader, segment, size, error, sizeof error) == 0) {
        weft_reader_drain(&reader, visit, NULL);
        const weft_reader_counters_t first = reader.counters;
        if (first.spans_read + first.corrupt_records + first.unknown_records > size / 8) {
            abort(); /* more records than the input holds 8-byte words */
        }
        if (weft_reader_drain(&reader, visit, NULL) != 0 || reader.counters.corrupt_records != first.corrupt_records ||
            reader.counters.unknown_records != first.unknown_records) {
            abort(); /* the first drain left a slot it would read again */
        }
        size_t open = weft_reader_open_spans(&reader, visit, NULL);
        if (open > (size_t)reader.slot_count * reader.stack_depth) {
            abort();
        }
        weft_stats_t stats;
        weft_reader_native_stats(&reader, &stats);
        sink += stats.spans_committed;
        /* 1.1: the Resource, validated at open, and the header and slot words */
        weft_resource_view_t resource;
        const int resource_rc = weft_reader_resource(&reader, &resource);
        if ((resource_rc == -EBADMSG) != (reader.counters.corrupt_resource == 1)) {
            abort(); /* an invalid Resource is counted, a valid or absent one is not */
        }
        if (resource_rc == 0) {
            weft_item_cursor_t cursor = {0};
            weft_item_view_t item;
            size_t attrs = 0;
            while (weft_resource_item_next(&resource, &cursor, &item)) {
                touch(item.key, item.key_length);
                if (item.tag == WEFT_ABI_ITEM_ATTR_STRING) {
                    touch(item.string_value, item.string_length);
                }
                if (++attrs > resource.attr_count) {
                    abort(); /* validation counted exactly attr_count attributes */
                }
            }
        }
        weft_segment_status_t status;
        weft_reader_status(&reader, &status);
        sink += status.unacknowledged_bytes + status.dropped_shutdown;
        weft_reader_close(&reader);
    } else {
        sink += strlen(error);
    }
    free(segment);
    return 0;
}

#ifdef WEFT_FUZZ_REPLAY
/* Runs every file named on the command line (or in a directory named there) through the target. */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "fuzz replay: %s: %s\n", path, strerror(errno));
        return 1;
    }
    static uint8_t data[WEFT_FUZZ_MAX_INPUT];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    LLVMFuzzerTestOneInput(data, n);
    return 0;
}

int main(int argc, char **argv) {
    int failures = 0, inputs = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *dir = opendir(argv[i]);
            struct dirent *e;
            while (dir != NULL && (e = readdir(dir)) != NULL) {
                if (e->d_name[0] == '.') {
                    continue;
                }
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
                failures += replay_file(path);
                inputs++;
            }
            if (dir != NULL) {
                closedir(dir);
            }
        } else {
            failures += replay_file(argv[i]);
            inputs++;
        }
    }
    printf("fuzz replay: %d inputs, %d unreadable\n", inputs, failures);
    return failures == 0 && inputs > 0 ? 0 : 1;
}
#endif
