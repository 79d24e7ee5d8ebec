/*
 * test_shm_full.c - a full /dev/shm is an error, never a SIGBUS in the host process. Writing (or
 * reading) a page of a MAP_SHARED tmpfs mapping that the tmpfs has no room for is a SIGBUS; libweft
 * reserves the header area at init and each slot's pages at its first claim (fallocate), so a full
 * file system fails init with a clear error, or leaves a thread without a slot, its spans counted as
 * dropped_no_slot, and says so once on stderr.
 *
 * The file systems are real: a 2 MiB tmpfs mounted for the test (root or CAP_SYS_ADMIN; otherwise
 * those cases say they are skipped, and why). Each case runs in a child process, so that a SIGBUS is
 * reported as a failure instead of ending the test.
 */
#include "weft_test.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#define TMPFS_BYTES (2u * 1024u * 1024u)

static char mount_dir[64];
static char skip_reason[256];

/** Mount a fresh 2 MiB tmpfs at mount_dir (once); false, with skip_reason, if this process may not. */
static bool mount_small_tmpfs(void) {
    if (mount_dir[0] != '\0') {
        return true;
    }
    if (skip_reason[0] != '\0') {
        return false;
    }
    char dir[64] = "/tmp/weft-shm-full-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        snprintf(skip_reason, sizeof skip_reason, "mkdtemp: %s", strerror(errno));
        return false;
    }
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=2m,mode=0700") != 0) {
        snprintf(skip_reason, sizeof skip_reason, "cannot mount a 2 MiB tmpfs at %s (%s): this needs root or CAP_SYS_ADMIN",
                 dir, strerror(errno));
        rmdir(dir);
        return false;
    }
    snprintf(mount_dir, sizeof mount_dir, "%s", dir);
    return true;
}

static void unmount_small_tmpfs(void) {
    if (mount_dir[0] != '\0') {
        if (umount2(mount_dir, MNT_DETACH) != 0) {
            fprintf(stderr, "umount %s: %s\n", mount_dir, strerror(errno));
        }
        rmdir(mount_dir);
        mount_dir[0] = '\0';
    }
}

static bool skipped(const char *what) {
    if (mount_small_tmpfs()) {
        return false;
    }
    printf("  (skipped: %s: %s)\n", what, skip_reason);
    return true;
}

/** Remove everything in the small tmpfs (segments and filler files of the case before). */
static void empty_small_tmpfs(void) {
    char command[256];
    snprintf(command, sizeof command, "rm -rf '%s'/* '%s'/.[!.]*", mount_dir, mount_dir);
    CHECK_EQ(system(command), 0);
}

/** Write a file of zeros into the small tmpfs until it is full; @return the bytes written. */
static uint64_t fill_small_tmpfs(const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", mount_dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    static const char zeros[4096];
    uint64_t written = 0;
    ssize_t n;
    while ((n = write(fd, zeros, sizeof zeros)) > 0) {
        written += (uint64_t)n;
    }
    CHECK_EQ(errno, ENOSPC);
    close(fd);
    return written;
}

static weft_config_t small_tmpfs_config(void) {
    weft_config_t config = weft_test_config();
    snprintf(config.shm_dir, sizeof config.shm_dir, "%s", mount_dir);
    config.ring_size = 256u * 1024u; /* a slot is 268 KiB: the 2 MiB tmpfs holds 7 of 16 */
    config.frame_size = 1024;
    config.stack_depth = 8;
    config.max_threads = 16;
    return config;
}

/**
 * Run `body` in a child with its stderr into `err` (NUL-terminated); @return the child's check failures,
 * or fail the test when it ended by a signal.
 */
static void in_child(void (*body)(void), char *err, size_t err_size) {
    int pipe_fds[2];
    CHECK_EQ(pipe(pipe_fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child == 0) {
        close(pipe_fds[0]);
        dup2(pipe_fds[1], 2);
        body();
        fflush(stdout);
        _exit(weft_test_failures == 0 ? 0 : 1);
    }
    close(pipe_fds[1]);
    size_t used = 0;
    ssize_t n;
    while (used + 1 < err_size && (n = read(pipe_fds[0], err + used, err_size - 1 - used)) > 0) {
        used += (size_t)n;
    }
    err[used] = '\0';
    close(pipe_fds[0]);
    int status = 0;
    CHECK_EQ(waitpid(child, &status, 0), child);
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "child ended by signal %d (%s); its stderr:\n%s\n", WTERMSIG(status), strsignal(WTERMSIG(status)),
                err);
        CHECK(!WIFSIGNALED(status));
        return;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child failed; its stderr:\n%s\n", err);
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ------------------------------------------------ more threads than room */

#define THREADS 16
#define SPANS_PER_THREAD 3000 /* more than a 256 KiB ring holds: every page of a ring is written */

typedef struct worker {
    weft_tracer_t *tracer;
    pthread_barrier_t *all_bound;
} worker_t;

static void *record(void *arg) {
    worker_t *w = arg;
    weft_span_end(weft_span_begin(w->tracer, "first", WEFT_SPAN_KIND_INTERNAL)); /* claims a slot, or not */
    pthread_barrier_wait(w->all_bound); /* every thread holds its slot (or has none) at once */
    for (int i = 1; i < SPANS_PER_THREAD; i++) {
        weft_span_t *span = weft_span_begin(w->tracer, "work", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_int64(span, "i", i);
        weft_span_set_string(span, "padding", "spans of about 200 bytes, so that the ring fills");
        weft_span_end(span);
    }
    pthread_barrier_wait(w->all_bound); /* nobody gives a slot back before all have recorded */
    return NULL;
}

static void more_threads_than_the_file_system_holds_body(void) {
    weft_config_t config = small_tmpfs_config();
    weft_tracer_t *tracer = weft_test_start(&config);
    pthread_barrier_t all_bound;
    pthread_barrier_init(&all_bound, NULL, THREADS);
    pthread_t threads[THREADS];
    worker_t w = {.tracer = tracer, .all_bound = &all_bound};
    for (int i = 0; i < THREADS; i++) {
        CHECK_EQ(pthread_create(&threads[i], NULL, record, &w), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
    }
    weft_stats_t stats;
    CHECK_EQ(weft_get_stats(&stats), 0);
    /* The threads that got a slot gave it back at exit; count them by the spans they did not drop for
     * want of one: a thread without a slot drops every one of its spans as dropped_no_slot. */
    const uint64_t without_slot = stats.dropped_no_slot / SPANS_PER_THREAD;
    CHECK_EQ(stats.dropped_no_slot % SPANS_PER_THREAD, 0);
    /* 2 MiB - 72 KiB of header area and slot headers, then 264 KiB more per slot: 7 slots */
    CHECK_EQ(THREADS - without_slot, 7);
    CHECK(stats.spans_committed > 0);
    CHECK(stats.dropped_ring_full > 0); /* the threads with a slot filled their rings: every page written */
    printf("  %u of %d threads had a slot; %llu spans dropped_no_slot, %llu committed, %llu dropped_ring_full\n",
           (unsigned)(THREADS - without_slot), THREADS, (unsigned long long)stats.dropped_no_slot,
           (unsigned long long)stats.spans_committed, (unsigned long long)stats.dropped_ring_full);
    CHECK_EQ(weft_shutdown(), 0);
}

static void more_threads_than_the_file_system_holds(void) {
    if (skipped("more threads than a small tmpfs holds")) {
        return;
    }
    empty_small_tmpfs();
    char err[4096];
    in_child(more_threads_than_the_file_system_holds_body, err, sizeof err);
    /* one line, saying what happened and the fixes */
    CHECK(strstr(err, "cannot reserve") != NULL);
    CHECK(strstr(err, "dropped_no_slot") != NULL);
    CHECK(strstr(err, "--shm-size") != NULL);
    CHECK(strstr(err, "WEFT_RING_SIZE") != NULL && strstr(err, "WEFT_MAX_THREADS") != NULL);
    CHECK(strchr(err, '\n') == err + strlen(err) - 1);
    printf("  stderr: %s", err);
}

/* ------------------------------------- filled by someone else after init */

static void filled_after_init_body(void) {
    weft_config_t config = small_tmpfs_config();
    config.max_threads = 4;
    weft_tracer_t *tracer = weft_test_start(&config);
    weft_span_end(weft_span_begin(tracer, "claims", WEFT_SPAN_KIND_INTERNAL)); /* this thread's slot: reserved */
    const uint64_t filler = fill_small_tmpfs("another-users-file"); /* /dev/shm is shared */
    CHECK(filler > 0);
    /* This thread's ring pages were reserved at its claim: it writes them all, on a full file system. */
    for (int i = 0; i < SPANS_PER_THREAD; i++) {
        weft_span_t *span = weft_span_begin(tracer, "work", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_string(span, "padding", "spans of about 200 bytes, so that the ring fills");
        weft_span_end(span);
    }
    /* A new thread has no room for its slot: its spans are dropped and counted. */
    pthread_barrier_t once;
    pthread_barrier_init(&once, NULL, 1);
    worker_t w = {.tracer = tracer, .all_bound = &once};
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, record, &w), 0);
    pthread_join(thread, NULL);
    weft_stats_t stats;
    CHECK_EQ(weft_get_stats(&stats), 0);
    CHECK_EQ(stats.dropped_no_slot, SPANS_PER_THREAD);
    CHECK(stats.dropped_ring_full > 0);
    CHECK(stats.spans_committed + stats.dropped_ring_full == 1 + SPANS_PER_THREAD);
    CHECK_EQ(weft_shutdown(), 0);
}

static void filled_by_another_process_after_init(void) {
    if (skipped("a tmpfs filled after init")) {
        return;
    }
    empty_small_tmpfs();
    char err[4096];
    in_child(filled_after_init_body, err, sizeof err);
    CHECK(strstr(err, "cannot reserve") != NULL);
}

/* ------------------------------------------------------ full before init */

static void full_before_init_body(void) {
    (void)fill_small_tmpfs("filler");
    weft_config_t config = small_tmpfs_config();
    weft_tracer_t *tracer = NULL;
    CHECK_EQ(weft_init_with_config(&config, "weft-test", "1", &tracer), -ENOSPC);
    const char *error = weft_last_error();
    CHECK(strstr(error, "cannot reserve") != NULL);
    CHECK(strstr(error, mount_dir) != NULL);
    CHECK(strstr(error, "--shm-size") != NULL);
    printf("  init: %s\n", error);
    /* Nothing is left behind: the file was removed. */
    char path[256];
    snprintf(path, sizeof path, "%s/weft-%d", mount_dir, (int)getpid());
    CHECK(access(path, F_OK) != 0 && errno == ENOENT);
    /* A span after the failed init starts Weft lazily from the environment (weft_init failed, so
     * Weft was never started), not in the full tmpfs: end it, or its segment stays in /dev/shm as
     * a dead process's. */
    weft_span_end(weft_span_begin(tracer, "nothing", WEFT_SPAN_KIND_INTERNAL));
    weft_shutdown();
}

static void a_full_file_system_fails_init_clearly(void) {
    if (skipped("a full tmpfs at init")) {
        return;
    }
    empty_small_tmpfs();
    char err[4096];
    in_child(full_before_init_body, err, sizeof err);
}

/* ------------------------------------------------------ default ring size */

static uint32_t ring_size_from_env(const char *dir) {
    setenv("WEFT_SHM_DIR", dir, 1);
    weft_config_t config;
    CHECK_EQ(weft_config_from_env(&config), 0);
    unsetenv("WEFT_SHM_DIR");
    return config.ring_size;
}

static void the_default_ring_is_256k_where_1m_rings_do_not_fit_twice(void) {
    if (skipped("the default ring size on a small tmpfs")) {
        return;
    }
    empty_small_tmpfs();
    CHECK_EQ(ring_size_from_env(mount_dir), 256u * 1024u); /* 64 slots of 1 MiB: 66 MiB, in 2 MiB */
    setenv("WEFT_RING_SIZE", "1m", 1); /* an explicit size is kept: the reservation guards it */
    CHECK_EQ(ring_size_from_env(mount_dir), 1024u * 1024u);
    unsetenv("WEFT_RING_SIZE");
}

static void the_default_ring_is_1m_where_the_file_system_has_room_twice(void) {
    const weft_config_t test = weft_test_config(); /* its directory, on /dev/shm */
    struct statvfs fs;
    CHECK_EQ(statvfs(test.shm_dir, &fs), 0);
    const uint64_t room = (uint64_t)fs.f_bavail * fs.f_frsize;
    /* 64 slots of 512 + 16 x 2 KiB + 1 MiB, after the 8 KiB header area: 68 MiB; twice that */
    const uint64_t stride = (512u + 16u * 2048u + 1048576u + 4095u) & ~(uint64_t)4095u;
    const uint64_t twice_the_segment = 2u * (8192u + 64u * stride);
    const uint32_t expected = room >= twice_the_segment ? 1024u * 1024u : 256u * 1024u;
    printf("  %s has %llu bytes free; twice a segment of 1 MiB rings is %llu: default ring %u\n", test.shm_dir,
           (unsigned long long)room, (unsigned long long)twice_the_segment, (unsigned)expected);
    CHECK_EQ(ring_size_from_env(test.shm_dir), expected);
    /* more slots than the room holds at 1 MiB each: 256 KiB */
    char threads[32];
    snprintf(threads, sizeof threads, "%llu", (unsigned long long)(room / stride / 2u + 1u > 65536u ? 65536u : room / stride / 2u + 1u));
    setenv("WEFT_MAX_THREADS", threads, 1);
    if (room / stride / 2u + 1u <= 65536u) {
        CHECK_EQ(ring_size_from_env(test.shm_dir), 256u * 1024u);
    }
    unsetenv("WEFT_MAX_THREADS");
    /* WEFT_SEGMENT_SIZE says how large the segment is: the slots it holds are counted at 256 KiB, as before */
    setenv("WEFT_SEGMENT_SIZE", "32m", 1);
    CHECK_EQ(ring_size_from_env(test.shm_dir), 256u * 1024u);
    unsetenv("WEFT_SEGMENT_SIZE");
    /* WEFT_RING_SIZE wins */
    setenv("WEFT_RING_SIZE", "128k", 1);
    CHECK_EQ(ring_size_from_env(test.shm_dir), 128u * 1024u);
    unsetenv("WEFT_RING_SIZE");
    /* a directory that is not there: 256 KiB (init then says the directory is missing) */
    CHECK_EQ(ring_size_from_env("/nonexistent-weft-dir"), 256u * 1024u);
}

int main(void) {
    const weft_test_case_t cases[] = {
        TEST_CASE(more_threads_than_the_file_system_holds),
        TEST_CASE(filled_by_another_process_after_init),
        TEST_CASE(a_full_file_system_fails_init_clearly),
        TEST_CASE(the_default_ring_is_256k_where_1m_rings_do_not_fit_twice),
        TEST_CASE(the_default_ring_is_1m_where_the_file_system_has_room_twice),
    };
    unsetenv("WEFT_RING_SIZE");
    unsetenv("WEFT_SEGMENT_SIZE");
    unsetenv("WEFT_MAX_THREADS");
    /* the private directory, made here so that the children of in_child share it: one made in a child,
     * which leaves by _exit, would stay in /dev/shm */
    (void)weft_test_config();
    int rc = weft_test_run("shm_full", cases, sizeof cases / sizeof cases[0]);
    unmount_small_tmpfs();
    return rc;
}
