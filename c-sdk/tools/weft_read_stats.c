/*
 * weft-read-stats - what the C reference reader finds in a file, as one JSON
 * line: whether it refuses the segment (and why), and otherwise the spans it
 * reads from the rings, the open spans it finds in the frames, and the
 * records it counts corrupt or unknown. For differential tests of another
 * reader (the Java one) against this one over the same bytes.
 *
 *   weft-read-stats [--adopt] FILE
 *
 * Strictly read-only: the file is opened O_RDONLY and read into a private
 * copy (never mapped, never written; c-sdk/tests/test_tools_readonly.c).
 * --adopt treats the bytes as a segment this process created at this size,
 * as the fuzz target does (c-sdk/fuzz/fuzz_reader.c): the file's owner and
 * mode are not checked, and the copy gets our euid at creator_uid (offset
 * 36) and the file's length at segment_size (offset 16) before validation.
 * Every other field is validated as given.
 *
 * Output (one line; exit 0 whether or not the segment was refused):
 *   {"rejected":false,"spansRead":N,"openSpans":N,"corruptRecords":N,"unknownRecords":N,
 *    "corruptResource":0|1,"droppedShutdown":N,"unacknowledgedBytes":N}
 * (the last three are ABI 1.1: an invalid RESOURCE record, spans ended after the fence, and the bytes
 * in [head, read_position) of every slot, read before the drain)
 *   {"rejected":true,"errno":"EBADMSG","reason":"..."}
 * Exit 1 if --adopt cannot read the file, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <weft/weft_reader.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *errno_name(int e) {
    switch (e) {
    case EBADMSG: return "EBADMSG";
    case EPROTO: return "EPROTO";
    case EPERM: return "EPERM";
    case ESTALE: return "ESTALE";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    default: return "other";
    }
}

static void print_json_string(const char *s) {
    putchar('"');
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            printf("\\%c", c);
        } else if (c < 0x20) {
            printf("\\u%04x", c);
        } else {
            putchar(c);
        }
    }
    putchar('"');
}

/** The whole file, in an 8-aligned heap buffer. */
static uint8_t *read_file(const char *path, size_t *size) {
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "weft-read-stats: %s: %s\n", path, fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    uint8_t *data = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    size_t done = 0;
    while (data != NULL && done < (size_t)st.st_size) {
        ssize_t n = pread(fd, data + done, (size_t)st.st_size - done, (off_t)done);
        if (n <= 0) {
            fprintf(stderr, "weft-read-stats: %s: %s\n", path, n < 0 ? strerror(errno) : "shrank while read");
            free(data);
            data = NULL;
            break;
        }
        done += (size_t)n;
    }
    close(fd);
    *size = done;
    return data;
}

int main(int argc, char **argv) {
    const bool adopt = argc == 3 && strcmp(argv[1], "--adopt") == 0;
    if (argc != 2 + (adopt ? 1 : 0) || argv[argc - 1][0] == '-') {
        fprintf(stderr, "usage: weft-read-stats [--adopt] FILE\n");
        return 2;
    }
    const char *path = argv[argc - 1];
    static weft_reader_t reader;
    char error[512];
    int rc;
    uint8_t *data = NULL;
    if (adopt) {
        size_t size = 0;
        if ((data = read_file(path, &size)) == NULL) {
            return 1;
        }
        if (size >= WEFT_ABI_HEADER_SIZE) {
            uint32_t uid = (uint32_t)geteuid();
            uint64_t size64 = size;
            memcpy(data + offsetof(weft_abi_header_t, creator_uid), &uid, 4);
            memcpy(data + offsetof(weft_abi_header_t, segment_size), &size64, 8);
        }
        rc = weft_reader_open_memory(&reader, data, size, error, sizeof error);
    } else {
        rc = weft_reader_open_snapshot(&reader, path, error, sizeof error);
    }
    if (rc != 0) {
        printf("{\"rejected\":true,\"errno\":\"%s\",\"reason\":", errno_name(-rc));
        print_json_string(error);
        printf("}\n");
        free(data);
        return 0;
    }
    weft_segment_status_t status;
    weft_reader_status(&reader, &status); /* before the drain moves the copy's positions */
    weft_reader_drain(&reader, NULL, NULL);
    size_t open = weft_reader_open_spans(&reader, NULL, NULL);
    printf("{\"rejected\":false,\"spansRead\":%" PRIu64 ",\"openSpans\":%zu,\"corruptRecords\":%" PRIu64
           ",\"unknownRecords\":%" PRIu64 ",\"corruptResource\":%" PRIu64 ",\"droppedShutdown\":%" PRIu64
           ",\"unacknowledgedBytes\":%" PRIu64 "}\n",
           reader.counters.spans_read, open, reader.counters.corrupt_records, reader.counters.unknown_records,
           reader.counters.corrupt_resource, status.dropped_shutdown, status.unacknowledged_bytes);
    weft_reader_close(&reader);
    free(data);
    return 0;
}
