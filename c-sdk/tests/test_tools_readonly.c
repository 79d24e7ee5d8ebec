/*
 * test_tools_readonly.c - weft-dump and weft-read-stats never change a segment: run on a live segment
 * with unread records, a collector's unacknowledged bytes and its lease, they leave head, tail and
 * read_position, and every other byte, as they were, and never open the file for writing (inotify
 * sees only IN_CLOSE_NOWRITE, no IN_MODIFY, IN_ATTRIB or IN_CLOSE_WRITE: a writable mapping would
 * need a writable descriptor). weft-dump also shows what a user needs after a crash: the lease
 * holder, the fence, the Resource, dropped_shutdown and the possibly duplicated bytes.
 *
 *   test_tools_readonly WEFT_DUMP WEFT_READ_STATS   (ctest passes both)
 */
#include "weft_test.h"

#include "weft_internal.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char *dump_tool, *stats_tool;

/** Run `argv`, its stdout into `out`. @return its exit status, or -1. */
static int run(char *const argv[], char *out, size_t size) {
    int pipefd[2];
    if (pipe(pipefd) != 0) {
        return -1;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        close(pipefd[1]);
        const char *emulator = getenv("WEFT_TEST_EMULATOR"); /* e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu" */
        if (emulator != NULL && emulator[0] != '\0') {
            static char words[512];
            snprintf(words, sizeof words, "%s", emulator);
            char *with[16] = {0};
            int k = 0;
            for (char *w = strtok(words, " "); w != NULL && k < 8; w = strtok(NULL, " ")) {
                with[k++] = w;
            }
            for (int i = 0; argv[i] != NULL && k < 15; i++) {
                with[k++] = argv[i];
            }
            execvp(with[0], with);
        } else {
            execv(argv[0], argv);
        }
        _exit(127);
    }
    close(pipefd[1]);
    size_t n = 0;
    ssize_t got;
    while (n + 1 < size && (got = read(pipefd[0], out + n, size - 1 - n)) > 0) {
        n += (size_t)got;
    }
    out[n] = '\0';
    close(pipefd[0]);
    int status;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static uint8_t *bytes_of(const char *path, size_t *size) {
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    uint8_t *data = malloc((size_t)st.st_size);
    int fd = open(path, O_RDONLY);
    CHECK_EQ(pread(fd, data, (size_t)st.st_size, 0), st.st_size);
    close(fd);
    *size = (size_t)st.st_size;
    return data;
}

static void the_tools_change_nothing_in_a_segment_with_unread_records(void) {
    setenv("OTEL_SERVICE_NAME", "dumped-service", 1);
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    unsetenv("OTEL_SERVICE_NAME");
    for (int i = 0; i < 10; i++) {
        weft_span_t *span = weft_span_begin(tracer, "unread", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_int64(span, "i", i);
        weft_span_end(span);
    }
    weft_span_t *open_span = weft_span_begin(tracer, "still-open", WEFT_SPAN_KIND_SERVER);
    char path[4096];
    weft_segment_path(path, sizeof path);
    /* a collector that read 4 records without an acknowledgement, and holds the lease */
    weft_reader_t *reader = weft_test_reader();
    weft_slot_status_t slot;
    uint32_t index = 0;
    for (; index < reader->slot_count; index++) {
        weft_reader_slot_status(reader, index, &slot);
        if (slot.tail != 0) {
            break;
        }
    }
    CHECK(index < reader->slot_count);
    weft_abi_slot_t *mapped = (weft_abi_slot_t *)(void *)(reader->base + reader->slots_offset +
                                                           (uint64_t)index * reader->slot_stride);
    const uint64_t read_position = slot.tail / 10 * 4; /* records are all the same size */
    weft_store_release(&mapped->read_position, read_position);
    uint64_t ticks = 0;
    weft_read_start_ticks((int)getpid(), &ticks);
    weft_abi_header_t *h = (weft_abi_header_t *)(void *)reader->base;
    weft_store_release(&h->lease_owner, (ticks & 0xffffffffu) << 32 | (uint32_t)getpid());

    size_t size;
    uint8_t *before = bytes_of(path, &size);
    struct stat st_before;
    CHECK_EQ(stat(path, &st_before), 0);
    int watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK(watch >= 0);
    CHECK(inotify_add_watch(watch, path, IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_OPEN) >= 0);

    static char out[1 << 16];
    char *dump[] = {(char *)dump_tool, path, NULL};
    CHECK_EQ(run(dump, out, sizeof out), 0);
    static char dumped[1 << 16];
    snprintf(dumped, sizeof dumped, "%s", out);
    char *stats[] = {(char *)stats_tool, path, NULL};
    CHECK_EQ(run(stats, out, sizeof out), 0);
    CHECK(strstr(out, "\"spansRead\":10") != NULL);
    CHECK(strstr(out, "\"openSpans\":1") != NULL);
    char *adopt[] = {(char *)stats_tool, "--adopt", path, NULL};
    CHECK_EQ(run(adopt, out, sizeof out), 0);
    CHECK(strstr(out, "\"spansRead\":10") != NULL);

    /* nothing was written: every byte, the positions, the file's times */
    size_t size_after;
    uint8_t *after = bytes_of(path, &size_after);
    CHECK_EQ(size_after, size);
    CHECK_MEM(after, before, size);
    weft_slot_status_t now;
    weft_reader_slot_status(reader, index, &now);
    CHECK_EQ(now.head, slot.head);
    CHECK_EQ(now.tail, slot.tail);
    CHECK_EQ(now.read_position, read_position);
    struct stat st_after;
    CHECK_EQ(stat(path, &st_after), 0);
    CHECK_EQ(st_after.st_mtim.tv_nsec, st_before.st_mtim.tv_nsec);
    CHECK_EQ(st_after.st_ctim.tv_nsec, st_before.st_ctim.tv_nsec);
    /* ... and never opened for writing */
    int opens = 0, read_only_closes = 0, writes = 0;
    char events[16384] __attribute__((aligned(8)));
    ssize_t n;
    while ((n = read(watch, events, sizeof events)) > 0) {
        for (char *p = events; p < events + n;) {
            const struct inotify_event *e = (const struct inotify_event *)(void *)p;
            opens += (e->mask & IN_OPEN) != 0;
            read_only_closes += (e->mask & IN_CLOSE_NOWRITE) != 0;
            writes += (e->mask & (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE)) != 0;
            p += sizeof *e + e->len;
        }
    }
    close(watch);
    CHECK(opens >= 3); /* each tool opened it ... */
    CHECK_EQ(read_only_closes, opens); /* ... read-only, every time */
    CHECK_EQ(writes, 0);

    /* what weft-dump shows */
    char expected[256];
    snprintf(expected, sizeof expected, "lease: collector pid %d", (int)getpid());
    CHECK(strstr(dumped, expected) != NULL);
    CHECK(strstr(dumped, "running") != NULL);
    CHECK(strstr(dumped, "fence: open") != NULL);
    CHECK(strstr(dumped, "service.name=\"dumped-service\"") != NULL);
    CHECK(strstr(dumped, "telemetry.sdk.name=\"weft\"") != NULL);
    snprintf(expected, sizeof expected, "possibly duplicated %" PRIu64 " bytes [head, read_position)",
             read_position - slot.head);
    CHECK(strstr(dumped, expected) != NULL);
    CHECK(strstr(dumped, "name=\"still-open\"") != NULL && strstr(dumped, "last_activity_unix_ns=") != NULL);
    CHECK(strstr(dumped, "read 10, open 1,") != NULL);
    CHECK(strstr(dumped, "shutdown 0;") != NULL);
    if (weft_test_failures > 0) {
        fprintf(stderr, "weft-dump said:\n%s\n", dumped);
    }
    free(before);
    free(after);
    weft_span_end(open_span);
    weft_store_release(&h->lease_owner, 0); /* so that weft_shutdown unlinks it */
    weft_test_reader_free(reader);
    weft_shutdown();
}

static void weft_dump_shows_a_closed_fence_and_spans_dropped_at_shutdown(void) {
    weft_config_t config = weft_test_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_reader_t *reader = weft_test_reader();
    weft_abi_header_t *h = (weft_abi_header_t *)(void *)reader->base;
    weft_store_release(&h->fence, (uint32_t)WEFT_ABI_FENCE_CLOSED);
    weft_span_end(weft_span_begin(tracer, "after-the-fence", WEFT_SPAN_KIND_INTERNAL));
    char path[4096];
    weft_segment_path(path, sizeof path);
    static char out[1 << 16];
    char *dump[] = {(char *)dump_tool, path, NULL};
    CHECK_EQ(run(dump, out, sizeof out), 0);
    CHECK(strstr(out, "fence: closed") != NULL);
    CHECK(strstr(out, "lease: none") != NULL);
    CHECK(strstr(out, "read 0, open 0,") != NULL);
    CHECK(strstr(out, "shutdown 1;") != NULL);
    char *stats[] = {(char *)stats_tool, path, NULL};
    CHECK_EQ(run(stats, out, sizeof out), 0);
    CHECK(strstr(out, "\"droppedShutdown\":1") != NULL);
    weft_test_reader_free(reader);
    weft_shutdown();
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: test_tools_readonly WEFT_DUMP WEFT_READ_STATS\n");
        return 2;
    }
    dump_tool = argv[1];
    stats_tool = argv[2];
    static const weft_test_case_t cases[] = {
        TEST_CASE(the_tools_change_nothing_in_a_segment_with_unread_records),
        TEST_CASE(weft_dump_shows_a_closed_fence_and_spans_dropped_at_shutdown),
    };
    return weft_test_run("tools_readonly", cases, sizeof cases / sizeof cases[0]);
}
