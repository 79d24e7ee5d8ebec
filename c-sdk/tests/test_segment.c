/*
 * test_segment.c - the segment file: header contents, mode 0600, refusal of
 * symbolic links, other users' files and loose permissions, replacement of a
 * stale segment, refusal of a live one, and the reader's header checks.
 */
#include "weft_test.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

static weft_config_t named(const char *name) {
    weft_config_t config = weft_test_config();
    snprintf(config.shm_name, sizeof config.shm_name, "%s", name);
    return config;
}

static void path_of(const weft_config_t *config, char *out, size_t size) {
    snprintf(out, size, "%s/%s", config->shm_dir, config->shm_name);
}

static void the_header_describes_the_segment(void) {
    weft_config_t config = weft_test_config();
    weft_test_start(&config);
    char path[4096];
    CHECK(weft_segment_path(path, sizeof path) > 0);
    char expected[4096];
    snprintf(expected, sizeof expected, "%s/weft-%d", config.shm_dir, (int)getpid());
    CHECK(strcmp(path, expected) == 0);
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_mode & 0777, 0600);
    CHECK_EQ(st.st_uid, geteuid());
    weft_reader_t *reader = weft_test_reader();
    const weft_abi_header_t *h = reader->header;
    CHECK(h->magic == WEFT_ABI_MAGIC);
    CHECK_EQ(h->version_major, 1);
    CHECK_EQ(h->header_size, 4096);
    CHECK_EQ(h->segment_size, (uint64_t)st.st_size);
    CHECK_EQ(h->byte_order_mark, 0x01020304);
    CHECK_EQ(h->state, WEFT_ABI_SEGMENT_LIVE);
    CHECK_EQ(h->creator_pid, getpid());
    CHECK(h->creator_start_ticks > 0);
    CHECK_EQ(h->slot_count, config.max_threads);
    CHECK_EQ(h->slot_stride % 4096, 0);
    CHECK_EQ(h->frame_size, config.frame_size);
    CHECK_EQ(h->ring_capacity, config.ring_size);
    CHECK_EQ(h->stack_depth, config.stack_depth);
    CHECK_EQ(h->slots_offset + (uint64_t)h->slot_count * h->slot_stride, h->segment_size);
    CHECK(weft_reader_creator_alive(reader));
    static const char magic[8] = "WEFTSHM";
    CHECK_MEM(reader->base, magic, 8);
    weft_test_reader_free(reader);
    weft_shutdown();
    CHECK(access(path, F_OK) != 0);
}

static void a_symbolic_link_is_refused(void) {
    weft_config_t config = named("weft-symlink");
    char path[4096];
    path_of(&config, path, sizeof path);
    char target[4096];
    snprintf(target, sizeof target, "%s/target", config.shm_dir);
    unlink(path);
    CHECK_EQ(symlink(target, path), 0);
    weft_tracer_t *tracer;
    CHECK_EQ(weft_init_with_config(&config, "weft-test", "1", &tracer), -ELOOP);
    CHECK(strstr(weft_last_error(), "symbolic link") != NULL);
    CHECK(access(target, F_OK) != 0); /* nothing was created through the link */
    unlink(path);
}

static void another_users_file_is_refused(void) {
    if (geteuid() != 0) {
        printf("SKIP another_users_file_is_refused: needs root to give a file to another user\n");
        return;
    }
    weft_config_t config = named("weft-other-user");
    char path[4096];
    path_of(&config, path, sizeof path);
    unlink(path);
    int fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0600);
    CHECK(fd >= 0);
    close(fd);
    CHECK_EQ(chown(path, 12345, 12345), 0);
    weft_tracer_t *tracer;
    CHECK_EQ(weft_init_with_config(&config, "weft-test", "1", &tracer), -EPERM);
    CHECK(strstr(weft_last_error(), "belongs to uid 12345") != NULL);
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_uid == 12345); /* left alone */
    unlink(path);
}

static void loose_permissions_are_refused(void) {
    weft_config_t config = named("weft-loose");
    char path[4096];
    path_of(&config, path, sizeof path);
    unlink(path);
    int fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0600);
    close(fd);
    CHECK_EQ(chmod(path, 0644), 0);
    weft_tracer_t *tracer;
    CHECK_EQ(weft_init_with_config(&config, "weft-test", "1", &tracer), -EPERM);
    CHECK(strstr(weft_last_error(), "0600") != NULL);
    unlink(path);
}

static void a_stale_segment_is_replaced_and_a_live_one_refused(void) {
    weft_config_t config = named("weft-stale");
    char path[4096];
    path_of(&config, path, sizeof path);
    unlink(path);
    /* a child creates a segment and dies without shutting down: it stays, marked live */
    pid_t child = fork();
    if (child == 0) {
        weft_tracer_t *tracer;
        _exit(weft_init_with_config(&config, "weft-test", "1", &tracer) == 0 ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(access(path, F_OK), 0);
    weft_reader_t *reader = malloc(sizeof *reader);
    char error[256];
    CHECK_EQ(weft_reader_open(reader, path, error, sizeof error), 0);
    CHECK_EQ(reader->header->state, WEFT_ABI_SEGMENT_LIVE);
    CHECK(!weft_reader_creator_alive(reader)); /* ... but its creator is gone */
    weft_reader_close(reader);
    free(reader);
    weft_tracer_t *tracer;
    CHECK_EQ(weft_init_with_config(&config, "weft-test", "1", &tracer), 0); /* replaced */
    if (getenv("WEFT_TEST_EMULATOR") != NULL) {
        /* qemu-user emulates /proc/self/stat with a start time of its own, which differs from the
           kernel's /proc/<pid>/stat that another process reads: every creator looks replaced by a
           new process with the same pid. Not an aarch64 difference (docs/shm-abi.md). */
        printf("[ SKIP ] the live segment refusal: under %s, /proc/self/stat's start time is emulated\n",
               getenv("WEFT_TEST_EMULATOR"));
        weft_shutdown();
        return;
    }
    /* now it is ours and live: a second process may not take it */
    child = fork();
    if (child == 0) {
        weft_tracer_t *t2;
        _exit(weft_init_with_config(&config, "weft-test", "1", &t2) == -EEXIST ? 0 : 1);
    }
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    weft_shutdown();
}

static void the_reader_refuses_what_is_not_a_segment(void) {
    char path[4096];
    weft_config_t config = weft_test_config();
    snprintf(path, sizeof path, "%s/not-a-segment", config.shm_dir);
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    CHECK(fd >= 0);
    static uint8_t zeros[8192];
    CHECK_EQ(write(fd, zeros, sizeof zeros), (ssize_t)sizeof zeros);
    close(fd);
    weft_reader_t *reader = malloc(sizeof *reader);
    char error[256];
    CHECK_EQ(weft_reader_open(reader, path, error, sizeof error), -EBADMSG);
    CHECK(strstr(error, "magic") != NULL);

    /* a real segment with one inconsistent size */
    weft_test_start(&config);
    char real[4096];
    weft_segment_path(real, sizeof real);
    CHECK_EQ(weft_reader_open(reader, real, error, sizeof error), 0);
    weft_abi_header_t *h = (weft_abi_header_t *)(void *)reader->base;
    uint32_t saved = h->ring_capacity;
    h->ring_capacity = 3000;
    weft_reader_close(reader);
    CHECK_EQ(weft_reader_open(reader, real, error, sizeof error), -EBADMSG);
    CHECK(strstr(error, "inconsistent") != NULL);
    fd = open(real, O_RDWR);
    pwrite(fd, &saved, 4, offsetof(weft_abi_header_t, ring_capacity));
    uint16_t major = 2;
    pwrite(fd, &major, 2, offsetof(weft_abi_header_t, version_major));
    close(fd);
    CHECK_EQ(weft_reader_open(reader, real, error, sizeof error), -EPROTO);
    chmod(real, 0640);
    CHECK_EQ(weft_reader_open(reader, real, error, sizeof error), -EPERM);
    free(reader);
    weft_shutdown();
    unlink(path);
}

int main(void) {
    static const weft_test_case_t cases[] = {
        TEST_CASE(the_header_describes_the_segment),
        TEST_CASE(a_symbolic_link_is_refused),
        TEST_CASE(another_users_file_is_refused),
        TEST_CASE(loose_permissions_are_refused),
        TEST_CASE(a_stale_segment_is_replaced_and_a_live_one_refused),
        TEST_CASE(the_reader_refuses_what_is_not_a_segment),
    };
    return weft_test_run("segment", cases, sizeof cases / sizeof cases[0]);
}
