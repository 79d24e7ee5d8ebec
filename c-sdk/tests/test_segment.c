/*
 * test_segment.c - the segment file: header contents, mode 0600, refusal of
 * symbolic links, other users' files and loose permissions, what happens to
 * a dead creator's segment (kept under weft-<pid>.dead-<ticks> unless it was
 * CLOSED or RECOVERED, also when the pid was reused), refusal of a live one,
 * and the reader's header checks. One test per row of docs/shm-abi.md "The file".
 */
#include "weft_test.h"

#include "weft_internal.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

static weft_config_t named(const char *name) {
    weft_config_t config = weft_test_config();
    snprintf(config.shm_name, sizeof config.shm_name, "%s", name);
    return config;
}

static void path_of(const weft_config_t *config, char *out, size_t size) {
    snprintf(out, size, "%s/%s", config->shm_dir, config->shm_name);
}

/** The config of a segment named name, its path into path, and nothing at that path (a file,
    link or empty directory an earlier test left there is removed). */
static weft_config_t fresh(const char *name, char *path, size_t size) {
    weft_config_t config = named(name);
    path_of(&config, path, size);
    if (unlink(path) != 0) {
        rmdir(path);
    }
    return config;
}


/** What a path holds, to show it was left exactly as it was. */
typedef struct {
    struct stat st;
    char content[256];
    ssize_t length;
    char link[256];
} path_state_t;

static path_state_t state_of(const char *path) {
    path_state_t p;
    memset(&p, 0, sizeof p);
    CHECK_EQ(lstat(path, &p.st), 0);
    if (S_ISREG(p.st.st_mode)) {
        int fd = open(path, O_RDONLY | O_NOFOLLOW);
        p.length = read(fd, p.content, sizeof p.content);
        close(fd);
    } else if (S_ISLNK(p.st.st_mode)) {
        p.length = readlink(path, p.link, sizeof p.link - 1);
    }
    return p;
}

static void check_left_alone(const char *path, const path_state_t *before) {
    path_state_t after = state_of(path);
    CHECK_EQ(after.st.st_ino, before->st.st_ino);
    CHECK_EQ(after.st.st_mode, before->st.st_mode);
    CHECK_EQ(after.st.st_uid, before->st.st_uid);
    CHECK_EQ(after.st.st_size, before->st.st_size);
    CHECK_EQ(after.st.st_mtim.tv_nsec, before->st.st_mtim.tv_nsec);
    CHECK_EQ(after.length, before->length);
    CHECK_MEM(after.content, before->content, sizeof after.content);
    CHECK_MEM(after.link, before->link, sizeof after.link);
}

/** weft_init at `config`'s path must fail with `rc`, say `words` and the path, and leave the path alone. */
static void check_refused(const weft_config_t *config, int rc, const char *words) {
    char path[4096];
    path_of(config, path, sizeof path);
    path_state_t before = state_of(path);
    weft_tracer_t *tracer;
    /* a FIFO that blocked weft_init would hang here: the alarm turns that into a failure */
    alarm(30);
    CHECK_EQ(weft_init_with_config(config, "weft-test", "1", &tracer), rc);
    alarm(0);
    CHECK(strstr(weft_last_error(), words) != NULL);
    CHECK(strstr(weft_last_error(), path) != NULL);
    if (strstr(weft_last_error(), words) == NULL) {
        fprintf(stderr, "  error was: %s\n", weft_last_error());
    }
    check_left_alone(path, &before);
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
    CHECK_EQ(h->header_size, 8192);
    CHECK_EQ(h->version_minor, 1);
    CHECK_EQ(h->slots_offset, 8192);
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
    char path[4096];
    weft_config_t config = fresh("weft-symlink", path, sizeof path);
    char target[4096];
    snprintf(target, sizeof target, "%s/target", config.shm_dir);
    CHECK_EQ(symlink(target, path), 0);
    check_refused(&config, -ELOOP, "symbolic link");
    CHECK(access(target, F_OK) != 0); /* nothing was created through the link */
    unlink(path);
}

static void another_users_file_is_refused(void) {
    if (geteuid() != 0) {
        printf("SKIP another_users_file_is_refused: needs root to give a file to another user\n");
        return;
    }
    char path[4096];
    weft_config_t config = fresh("weft-other-user", path, sizeof path);
    int fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "someone else's", 14), 14);
    close(fd);
    CHECK_EQ(chown(path, 12345, 12345), 0);
    check_refused(&config, -EPERM, "belongs to uid 12345");
    unlink(path);
}

static void loose_permissions_are_refused(void) {
    char path[4096];
    weft_config_t config = fresh("weft-loose", path, sizeof path);
    int fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0600);
    close(fd);
    CHECK_EQ(chmod(path, 0644), 0);
    weft_tracer_t *tracer;
    CHECK_EQ(weft_init_with_config(&config, "weft-test", "1", &tracer), -EPERM);
    CHECK(strstr(weft_last_error(), "0600") != NULL);
    unlink(path);
}

static void a_stale_segment_makes_way_and_a_live_one_is_refused(void) {
    char path[4096];
    weft_config_t config = fresh("weft-stale", path, sizeof path);
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
    CHECK_EQ(weft_init_with_config(&config, "weft-test", "1", &tracer), 0); /* moved aside: see below */
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


static void a_fifo_at_the_path_is_refused_without_blocking(void) {
    char path[4096];
    weft_config_t config = fresh("weft-fifo", path, sizeof path);
    CHECK_EQ(mkfifo(path, 0600), 0); /* opening it for reading would block until a writer came */
    check_refused(&config, -EPERM, "is a FIFO");
    unlink(path);
}

static void a_directory_at_the_path_is_refused(void) {
    char path[4096];
    weft_config_t config = fresh("weft-dir", path, sizeof path);
    CHECK_EQ(mkdir(path, 0700), 0);
    check_refused(&config, -EPERM, "is a directory");
    rmdir(path);
}

static void a_unix_socket_at_the_path_is_refused(void) {
    char path[4096];
    weft_config_t config = fresh("weft-sock", path, sizeof path);
    int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    CHECK(strlen(path) < sizeof address.sun_path);
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path);
    CHECK_EQ(bind(sock, (struct sockaddr *)&address, sizeof address), 0);
    chmod(path, 0600);
    check_refused(&config, -EPERM, "is a socket");
    close(sock);
    unlink(path);
}

static void a_device_node_at_the_path_is_refused(void) {
    char path[4096];
    weft_config_t config = fresh("weft-dev", path, sizeof path);
    if (mknod(path, S_IFCHR | 0600, makedev(1, 3)) != 0) { /* the null device */
        printf("SKIP a_device_node_at_the_path_is_refused: mknod: %s (needs CAP_MKNOD)\n", strerror(errno));
        return;
    }
    check_refused(&config, -EPERM, "is a character device");
    unlink(path);
}

static void write_file(const char *path, const void *data, size_t length) {
    unlink(path);
    int fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, data, length), (ssize_t)length);
    close(fd);
}

static void a_regular_file_that_is_not_a_segment_is_refused_and_kept(void) {
    char path[4096];
    weft_config_t config = fresh("weft-not-ours-to-judge", path, sizeof path);

    write_file(path, "precious data\n", 14); /* someone's file of ours, owner-only: not a segment */
    check_refused(&config, -EEXIST, "is not a weft segment (too small");
    write_file(path, "", 0);
    check_refused(&config, -EEXIST, "is not a weft segment (too small");

    static uint8_t bytes[8192];
    memset(bytes, 'x', sizeof bytes);
    write_file(path, bytes, sizeof bytes);
    check_refused(&config, -EEXIST, "no weft magic");
    CHECK(strstr(weft_last_error(), "remove it if it is a leftover") != NULL);

    /* the magic alone does not make a segment: the header must describe this file */
    weft_abi_header_t *h = (weft_abi_header_t *)(void *)bytes;
    memset(bytes, 0, sizeof bytes);
    h->magic = WEFT_ABI_MAGIC;
    h->version_major = WEFT_ABI_VERSION_MAJOR;
    h->byte_order_mark = WEFT_ABI_BYTE_ORDER_MARK;
    h->creator_uid = (uint32_t)geteuid();
    h->segment_size = 4 * sizeof bytes; /* not this file's size */
    h->creator_pid = 0x7ffffffe;         /* not running */
    write_file(path, bytes, sizeof bytes);
    check_refused(&config, -EEXIST, "does not match the file");
    h->segment_size = sizeof bytes;
    h->version_major = 2;
    write_file(path, bytes, sizeof bytes);
    check_refused(&config, -EEXIST, "another ABI major version");
    unlink(path);
}

/* ------------------------------------------------------ a dead creator's segment (ABI 1.1) */

static bool under_emulator(const char *what) {
    if (getenv("WEFT_TEST_EMULATOR") == NULL) {
        return false;
    }
    printf("[ SKIP ] %s: under %s, /proc/self/stat's start time is emulated (docs/shm-abi.md)\n", what,
           getenv("WEFT_TEST_EMULATOR"));
    return true;
}

/** A child makes a segment at `config`, records `spans` finished spans and one open one, and dies without
 *  weft_shutdown (as a crash would leave it). @return the child's pid. */
static pid_t die_with_a_segment(const weft_config_t *config, int spans) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        weft_tracer_t *tracer;
        if (weft_init_with_config(config, "weft-test", "1", &tracer) != 0) {
            _exit(1);
        }
        for (int i = 0; i < spans; i++) {
            weft_span_end(weft_span_begin(tracer, "finished", WEFT_SPAN_KIND_INTERNAL));
        }
        (void)weft_span_begin(tracer, "open-when-it-died", WEFT_SPAN_KIND_SERVER);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return child;
}

static weft_abi_header_t header_of(const char *path) {
    weft_abi_header_t h;
    memset(&h, 0, sizeof h);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(pread(fd, &h, sizeof h, 0), (ssize_t)sizeof h);
    close(fd);
    return h;
}

static void patch(const char *path, size_t offset, const void *value, size_t width) {
    int fd = open(path, O_RDWR);
    CHECK(fd >= 0);
    CHECK_EQ(pwrite(fd, value, width, (off_t)offset), (ssize_t)width);
    close(fd);
}

/** The whole file, for byte-for-byte comparisons. */
static uint8_t *bytes_of(const char *path, size_t *size) {
    struct stat st;
    *size = 0;
    CHECK_EQ(stat(path, &st), 0);
    if (stat(path, &st) != 0) {
        return calloc(1, 1);
    }
    uint8_t *data = malloc((size_t)st.st_size);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && data != NULL);
    CHECK_EQ(pread(fd, data, (size_t)st.st_size, 0), st.st_size);
    close(fd);
    *size = (size_t)st.st_size;
    return data;
}

static void dead_name(const weft_config_t *config, const weft_abi_header_t *h, const char *suffix, char *out,
                      size_t size) {
    snprintf(out, size, "%s/weft-%u.dead-%llu%s", config->shm_dir, h->creator_pid,
             (unsigned long long)h->creator_start_ticks, suffix);
}

/** weft_init at `config` succeeds and the path then holds this process's new segment. */
static void check_ours_now(const weft_config_t *config, const char *path) {
    weft_tracer_t *tracer;
    CHECK_EQ(weft_init_with_config(config, "weft-test", "1", &tracer), 0);
    weft_abi_header_t h = header_of(path);
    CHECK_EQ(h.creator_pid, getpid());
    CHECK_EQ(h.state, WEFT_ABI_SEGMENT_LIVE);
}

static void a_dead_creators_unrecovered_segment_is_kept_under_its_dead_name(void) {
    char path[4096];
    weft_config_t config = fresh("weft-crashed", path, sizeof path);
    die_with_a_segment(&config, 3);
    struct stat before;
    CHECK_EQ(stat(path, &before), 0);
    size_t size;
    uint8_t *bytes = bytes_of(path, &size);
    weft_abi_header_t dead = header_of(path);
    CHECK_EQ(dead.state, WEFT_ABI_SEGMENT_LIVE);

    check_ours_now(&config, path);
    char kept[4200];
    dead_name(&config, &dead, "", kept, sizeof kept);
    struct stat after;
    CHECK_EQ(stat(kept, &after), 0); /* moved (same inode), not copied, and every byte as it was */
    CHECK_EQ(after.st_ino, before.st_ino);
    size_t kept_size;
    uint8_t *kept_bytes = bytes_of(kept, &kept_size);
    CHECK_EQ(kept_size, size);
    CHECK_MEM(kept_bytes, bytes, size);
    weft_reader_t *reader = malloc(sizeof *reader);
    char error[256];
    CHECK_EQ(weft_reader_open_snapshot(reader, kept, error, sizeof error), 0);
    CHECK_EQ(weft_reader_drain(reader, NULL, NULL), 3);
    CHECK_EQ(weft_reader_open_spans(reader, NULL, NULL), 1);
    weft_reader_close(reader);
    free(reader);
    free(bytes);
    free(kept_bytes);
    weft_shutdown();
    CHECK(access(path, F_OK) != 0);
    CHECK_EQ(access(kept, F_OK), 0); /* shutdown never touches it: it waits for a recoverer */
    unlink(kept);
}

static void a_dead_segment_whose_pid_was_reused_by_this_process_is_kept(void) {
    /* the default name weft-<pid>: a process that had our pid died and left its segment at our path */
    weft_config_t mine = weft_test_config();
    weft_config_t theirs = named("");
    snprintf(theirs.shm_name, sizeof theirs.shm_name, "weft-%d", (int)getpid());
    char path[4096];
    path_of(&theirs, path, sizeof path);
    unlink(path);
    die_with_a_segment(&theirs, 2);
    uint32_t our_pid = (uint32_t)getpid();
    patch(path, offsetof(weft_abi_header_t, creator_pid), &our_pid, 4); /* it had our pid ... */
    uint64_t our_ticks = 0;
    CHECK_EQ(weft_read_start_ticks((int)getpid(), &our_ticks), 0);
    const uint64_t its_ticks = our_ticks - 1; /* ... and started just before us: not us (set, not taken from the
                                                 child: qemu-user emulates both processes' start times alike) */
    patch(path, offsetof(weft_abi_header_t, creator_start_ticks), &its_ticks, 8);
    weft_abi_header_t dead = header_of(path);
    CHECK(dead.creator_start_ticks != our_ticks);
    size_t size;
    uint8_t *bytes = bytes_of(path, &size);

    check_ours_now(&mine, path);
    char kept[4200];
    dead_name(&mine, &dead, "", kept, sizeof kept);
    size_t kept_size;
    uint8_t *kept_bytes = bytes_of(kept, &kept_size);
    CHECK_EQ(kept_size, size);
    CHECK_MEM(kept_bytes, bytes, size);
    free(bytes);
    free(kept_bytes);
    weft_shutdown();
    unlink(kept);
}

static void a_taken_dead_name_is_never_overwritten(void) {
    char path[4096];
    weft_config_t config = fresh("weft-crashed-twice", path, sizeof path);
    die_with_a_segment(&config, 1);
    weft_abi_header_t dead = header_of(path);
    char first[4200], second[4200];
    dead_name(&config, &dead, "", first, sizeof first);
    dead_name(&config, &dead, "-1", second, sizeof second);
    write_file(first, "an earlier crash's file", 23);
    path_state_t before = state_of(first);
    check_ours_now(&config, path);
    check_left_alone(first, &before);
    weft_abi_header_t kept = header_of(second);
    CHECK_EQ(kept.creator_pid, dead.creator_pid);
    CHECK_EQ(kept.state, WEFT_ABI_SEGMENT_LIVE);
    weft_shutdown();
    unlink(first);
    unlink(second);
}

static void a_dead_creators_closed_or_recovered_segment_is_replaced(void) {
    static const uint32_t states[] = {WEFT_ABI_SEGMENT_CLOSED, WEFT_ABI_SEGMENT_RECOVERED};
    for (size_t i = 0; i < 2; i++) {
        char path[4096];
        weft_config_t config = fresh("weft-finished", path, sizeof path);
        die_with_a_segment(&config, 1);
        patch(path, offsetof(weft_abi_header_t, state), &states[i], 4);
        weft_abi_header_t dead = header_of(path);
        check_ours_now(&config, path);
        char kept[4200];
        dead_name(&config, &dead, "", kept, sizeof kept);
        CHECK(access(kept, F_OK) != 0); /* nothing was left in it: nothing kept */
        char aside[4200];
        snprintf(aside, sizeof aside, "%s.replaced-%ld", path, (long)getpid());
        CHECK(access(aside, F_OK) != 0); /* moved aside, checked, then removed */
        weft_shutdown();
    }
}

static void our_own_closed_segment_is_replaced_by_our_next_init(void) {
    /* a collector in this process holds the lease: weft_shutdown leaves the file to it, closed */
    char path[4096];
    weft_config_t config = fresh("weft-reinit", path, sizeof path);
    weft_test_start(&config);
    uint64_t ticks = 0;
    weft_read_start_ticks((int)getpid(), &ticks);
    uint64_t lease = (ticks & 0xffffffffu) << 32 | (uint32_t)getpid();
    patch(path, offsetof(weft_abi_header_t, lease_owner), &lease, 8);
    weft_shutdown();
    weft_abi_header_t closed = header_of(path);
    CHECK_EQ(closed.state, WEFT_ABI_SEGMENT_CLOSED);
    CHECK_EQ(closed.fence, WEFT_ABI_FENCE_CLOSED);
    check_ours_now(&config, path); /* made by us and closed: replaced */
    CHECK_EQ(header_of(path).lease_owner, 0);
    weft_shutdown();
    CHECK(access(path, F_OK) != 0);
}

static void another_live_processs_closed_segment_is_refused(void) {
    if (under_emulator("another live process's closed segment")) {
        return;
    }
    char path[4096];
    weft_config_t config = fresh("weft-closed-live", path, sizeof path);
    int ready[2], done[2];
    CHECK_EQ(pipe(ready), 0);
    CHECK_EQ(pipe(done), 0);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        weft_tracer_t *tracer;
        if (weft_init_with_config(&config, "weft-test", "1", &tracer) != 0) {
            _exit(1);
        }
        uint64_t ticks = 0;
        weft_read_start_ticks((int)getpid(), &ticks);
        uint64_t lease = (ticks & 0xffffffffu) << 32 | (uint32_t)getpid(); /* its own collector */
        patch(path, offsetof(weft_abi_header_t, lease_owner), &lease, 8);
        weft_shutdown();
        char c = 1;
        (void)!write(ready[1], &c, 1);
        (void)!read(done[0], &c, 1);
        _exit(0);
    }
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    CHECK_EQ(header_of(path).state, WEFT_ABI_SEGMENT_CLOSED);
    check_refused(&config, -EEXIST, "live segment of another process");
    CHECK_EQ(write(done[1], &c, 1), 1);
    int status;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(ready[0]), close(ready[1]), close(done[0]), close(done[1]);
    unlink(path);
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
        TEST_CASE(a_stale_segment_makes_way_and_a_live_one_is_refused),
        TEST_CASE(a_fifo_at_the_path_is_refused_without_blocking),
        TEST_CASE(a_directory_at_the_path_is_refused),
        TEST_CASE(a_unix_socket_at_the_path_is_refused),
        TEST_CASE(a_device_node_at_the_path_is_refused),
        TEST_CASE(a_regular_file_that_is_not_a_segment_is_refused_and_kept),
        TEST_CASE(the_reader_refuses_what_is_not_a_segment),
        TEST_CASE(a_dead_creators_unrecovered_segment_is_kept_under_its_dead_name),
        TEST_CASE(a_dead_segment_whose_pid_was_reused_by_this_process_is_kept),
        TEST_CASE(a_taken_dead_name_is_never_overwritten),
        TEST_CASE(a_dead_creators_closed_or_recovered_segment_is_replaced),
        TEST_CASE(our_own_closed_segment_is_replaced_by_our_next_init),
        TEST_CASE(another_live_processs_closed_segment_is_refused),
    };
    return weft_test_run("segment", cases, sizeof cases / sizeof cases[0]);
}
