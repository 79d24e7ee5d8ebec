/*
 * test_reader_hostile.c - the reference reader given segments an attacker
 * (or a bug) shaped: each case once crashed, hung or silently lost spans.
 * Every field-by-field rule is in test_reader_validation.c; these are the
 * behaviours end to end, through the file-based entry points.
 */
#include "segment_image.h"

#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void write_image(const weft_test_image_t *image, const char *path) {
    unlink(path);
    int fd = open(path, O_CREAT | O_RDWR | O_EXCL, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, image->bytes, image->size), (ssize_t)image->size);
    close(fd);
}

static void image_path(char *out, size_t size, const char *name) {
    weft_config_t config = weft_test_config();
    snprintf(out, size, "%s/%s", config.shm_dir, name);
}

/** Run `fn` in a child that is killed if it takes more than a minute: a hang fails the test, it does not hang it. */
static int run_in_child(void (*fn)(void *), void *arg) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        const int before = weft_test_failures; /* inherited from the parent's earlier cases */
        alarm(60);
        fn(arg);
        _exit(weft_test_failures == before ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "child killed by signal %d%s\n", WTERMSIG(status),
                WTERMSIG(status) == SIGALRM ? " (it did not finish: a loop that never ends?)" : "");
        return -WTERMSIG(status);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void open_the_file(void *arg) {
    static weft_reader_t reader;
    char error[256];
    int rc = weft_reader_open(&reader, arg, error, sizeof error);
    CHECK_EQ(rc, -EBADMSG);
    CHECK(strstr(error, "do not fit") != NULL);
    if (rc == 0) {
        weft_reader_drain(&reader, NULL, NULL);
        weft_reader_close(&reader);
    }
}

static void a_slot_table_past_the_end_of_the_file_is_refused(void) {
    weft_test_image_t image = weft_test_image();
    weft_test_image_header(&image)->slots_offset = image.size + 4096; /* (size - slots_offset) once wrapped */
    char path[4096];
    image_path(path, sizeof path, "slots-past-the-end");
    write_image(&image, path);
    CHECK_EQ(run_in_child(open_the_file, path), 0);
    unlink(path);
    weft_test_image_free(&image);
}

static void drain_the_image(void *arg) {
    weft_test_read_t got = weft_test_image_read(arg);
    CHECK_EQ(got.rc, 0);
    CHECK_EQ(got.spans_read, 0);
    CHECK_EQ(got.corrupt, 1);
}

static void a_record_length_near_4_gib_ends_the_drain(void) {
    weft_test_image_t image = weft_test_image();
    static const uint32_t lengths[] = {0xFFFFFFF9u, 0xFFFFFFFCu, 0xFFFFFFFFu}; /* align8 of each wraps to 0 in 32 bits */
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        weft_test_image_t copy = weft_test_image_copy(&image);
        memcpy(weft_test_image_record(&copy, 0), &lengths[i], 4);
        CHECK_EQ(run_in_child(drain_the_image, &copy), 0);
        weft_test_image_free(&copy);
    }
    weft_test_image_free(&image);
}

static void positions_that_wrapped_past_2_to_the_64_are_counted_corrupt(void) {
    weft_test_image_t image = weft_test_image();
    weft_abi_slot_t *slot = weft_test_image_slot(&image);
    const uint64_t tail = slot->tail;
    slot->head = UINT64_MAX - 15; /* 16 bytes before 2^64 ... */
    slot->tail = tail - 16;       /* ... and the tail past it: tail < head, tail - head = the old tail */
    weft_test_read_t got = weft_test_image_read(&image);
    CHECK_EQ(got.rc, 0);
    CHECK_EQ(got.spans_read, 0);
    CHECK_EQ(got.corrupt, 1); /* lost, but said so */

    /* near 2^64 but consistent: every span is read */
    slot->head = UINT64_MAX - 8191;
    slot->tail = slot->head + tail;
    got = weft_test_image_read(&image);
    CHECK_EQ(got.spans_read, 3);
    CHECK_EQ(got.corrupt, 0);
    weft_test_image_free(&image);
}

static void a_head_that_is_not_8_aligned_is_counted_corrupt(void) {
    weft_test_image_t image = weft_test_image();
    for (uint64_t head = 1; head < 8; head++) {
        weft_test_image_slot(&image)->head = head;
        weft_test_read_t got = weft_test_image_read(&image);
        CHECK_EQ(got.rc, 0);
        CHECK_EQ(got.spans_read + got.corrupt, 1); /* the ring is skipped and counted once */
        CHECK_EQ(got.corrupt, 1);
    }
    weft_test_image_free(&image);
}

static void misaligned_slot_offsets_are_refused_before_any_slot_is_read(void) {
    static const struct {
        size_t offset;
        int width;
        uint64_t value;
    } fields[] = {
        {offsetof(weft_abi_header_t, slots_offset), 8, 8196},
        {offsetof(weft_abi_header_t, slot_header_size), 4, 516},
        {offsetof(weft_abi_header_t, slot_stride), 8, 8188},
    };
    weft_test_image_t image = weft_test_image();
    char path[4096];
    image_path(path, sizeof path, "misaligned");
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        weft_test_image_t copy = weft_test_image_copy(&image);
        weft_test_put(copy.bytes + fields[i].offset, fields[i].value, fields[i].width);
        write_image(&copy, path);
        static weft_reader_t reader;
        char error[256];
        CHECK_EQ(weft_reader_open(&reader, path, error, sizeof error), -EBADMSG);
        CHECK(strstr(error, "multiples of 8") != NULL);
        weft_test_image_free(&copy);
    }
    unlink(path);
    weft_test_image_free(&image);
}

static void a_padding_record_short_of_the_ring_end_is_counted_corrupt(void) {
    weft_test_image_t image = weft_test_image();
    uint16_t padding = WEFT_ABI_RECORD_PADDING;
    memcpy(weft_test_image_record(&image, 0) + 4, &padding, 2); /* "r0" disguised as padding mid-ring */
    weft_test_read_t got = weft_test_image_read(&image);
    CHECK_EQ(got.spans_read, 2);
    CHECK_EQ(got.corrupt, 1);
    weft_test_image_free(&image);
}

typedef struct {
    const char *path;
    const weft_test_image_t *image;
    _Atomic int stop;
} truncator_t;

static void *truncate_and_restore(void *arg) {
    truncator_t *t = arg;
    while (!t->stop) {
        int fd = open(t->path, O_RDWR);
        if (fd < 0) {
            continue;
        }
        if (ftruncate(fd, 4096) != 0 || ftruncate(fd, 0) != 0 ||
            pwrite(fd, t->image->bytes, t->image->size, 0) != (ssize_t)t->image->size) {
            fprintf(stderr, "truncator: %s\n", strerror(errno));
        }
        close(fd);
    }
    return NULL;
}

static void a_file_truncated_while_it_is_read_is_refused_not_fatal(void) {
    weft_test_image_t image = weft_test_image();
    char path[4096];
    image_path(path, sizeof path, "truncated");
    write_image(&image, path);
    truncator_t t = {.path = path, .image = &image};
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, truncate_and_restore, &t), 0);
    static weft_reader_t reader;
    int whole = 0, refused = 0, other = 0;
    for (int i = 0; i < 2000; i++) {
        char error[256];
        int rc = weft_reader_open_snapshot(&reader, path, error, sizeof error);
        if (rc == 0) {
            /* a copy taken whole: everything in it is there, whatever the file does now */
            weft_reader_drain(&reader, NULL, NULL);
            weft_reader_open_spans(&reader, NULL, NULL);
            whole += reader.counters.spans_read == 3 && reader.counters.corrupt_records == 0;
            other += reader.counters.spans_read != 3;
            weft_reader_close(&reader);
        } else if (rc == -ESTALE || rc == -EBADMSG) {
            refused++; /* read while short: "shrank while it was read", "too small" or sizes that do not match */
        } else {
            other++;
            fprintf(stderr, "unexpected %d: %s\n", rc, error);
        }
    }
    t.stop = 1;
    pthread_join(thread, NULL);
    printf("  snapshots: %d whole, %d refused\n", whole, refused);
    CHECK_EQ(other, 0);
    CHECK_EQ(whole + refused, 2000);
    unlink(path);
    weft_test_image_free(&image);
}

static void a_snapshot_never_writes_the_file(void) {
    weft_test_image_t image = weft_test_image();
    char path[4096];
    image_path(path, sizeof path, "snapshot");
    write_image(&image, path);
    static weft_reader_t reader;
    char error[256];
    for (int round = 0; round < 2; round++) {
        CHECK_EQ(weft_reader_open_snapshot(&reader, path, error, sizeof error), 0);
        CHECK_EQ(weft_reader_drain(&reader, NULL, NULL), 3); /* both times: the head it advanced was its copy's */
        weft_reader_close(&reader);
    }
    uint8_t *after = malloc(image.size);
    int fd = open(path, O_RDONLY);
    CHECK_EQ(pread(fd, after, image.size, 0), (ssize_t)image.size);
    close(fd);
    CHECK_MEM(after, image.bytes, image.size);
    unlink(path);
    free(after);
    weft_test_image_free(&image);
}

static void use_after_the_header_changed(void *arg) {
    static weft_reader_t reader;
    char error[256];
    CHECK_EQ(weft_reader_open(&reader, arg, error, sizeof error), 0);
    /* the writer side rewrites the geometry after the reader validated it */
    weft_abi_header_t *h = (weft_abi_header_t *)(void *)reader.base;
    h->slots_offset = UINT64_C(1) << 40;
    h->slot_stride = UINT64_C(1) << 40;
    h->slot_count = 65536;
    CHECK_EQ(weft_reader_drain(&reader, NULL, NULL), 3);
    CHECK_EQ(weft_reader_open_spans(&reader, NULL, NULL), 1);
    weft_stats_t stats;
    weft_reader_native_stats(&reader, &stats);
    CHECK_EQ(stats.slot_count, 2);
    CHECK_EQ(stats.spans_committed, 3);
    weft_reader_close(&reader);
}

static void the_mapped_reader_keeps_the_geometry_it_validated(void) {
    weft_test_image_t image = weft_test_image();
    char path[4096];
    image_path(path, sizeof path, "geometry");
    write_image(&image, path);
    CHECK_EQ(run_in_child(use_after_the_header_changed, path), 0);
    unlink(path);
    weft_test_image_free(&image);
}

static void open_a_fifo(void *arg) {
    static weft_reader_t reader;
    char error[256];
    CHECK_EQ(weft_reader_open(&reader, arg, error, sizeof error), -EPERM);
    CHECK_EQ(weft_reader_open_snapshot(&reader, arg, error, sizeof error), -EPERM);
    CHECK(strstr(error, "not a regular file") != NULL);
}

static void the_reader_refuses_a_fifo_without_blocking(void) {
    char path[4096];
    image_path(path, sizeof path, "fifo");
    unlink(path);
    CHECK_EQ(mkfifo(path, 0600), 0);
    CHECK_EQ(run_in_child(open_a_fifo, path), 0);
    unlink(path);
}

int main(void) {
    static const weft_test_case_t cases[] = {
        TEST_CASE(a_slot_table_past_the_end_of_the_file_is_refused),
        TEST_CASE(a_record_length_near_4_gib_ends_the_drain),
        TEST_CASE(positions_that_wrapped_past_2_to_the_64_are_counted_corrupt),
        TEST_CASE(a_head_that_is_not_8_aligned_is_counted_corrupt),
        TEST_CASE(misaligned_slot_offsets_are_refused_before_any_slot_is_read),
        TEST_CASE(a_padding_record_short_of_the_ring_end_is_counted_corrupt),
        TEST_CASE(a_file_truncated_while_it_is_read_is_refused_not_fatal),
        TEST_CASE(a_snapshot_never_writes_the_file),
        TEST_CASE(the_mapped_reader_keeps_the_geometry_it_validated),
        TEST_CASE(the_reader_refuses_a_fifo_without_blocking),
    };
    return weft_test_run("reader_hostile", cases, sizeof cases / sizeof cases[0]);
}
