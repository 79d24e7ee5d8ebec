/*
 * test_crash.c - a native process that crashes loses nothing the segment holds. A child records
 * 1000 finished spans and leaves 4 open (2 on its main thread, 2 on a worker thread), then dies by
 * SIGSEGV, abort() or kill -9. Afterwards:
 *   - the segment is still there, LIVE, and its creator is judged dead;
 *   - weft-dump run on it first (as README advises) changes nothing;
 *   - the C reader finds all 1000 finished spans in the ring, each once, and the 4 open spans in
 *     the frames, each with its slot's last activity (the end time a recoverer gives it);
 *   - a new process of the same name does not delete it: it is renamed to
 *     weft-<pid>.dead-<start ticks>, byte for byte, and still holds the 1000 + 4.
 *
 *   test_crash [WEFT_DUMP]   (ctest passes weft-dump)
 */
#include "weft_test.h"

#include "weft_internal.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define FINISHED 1000
/* The main thread's last finished span ends at this fixed time, after everything else it does: its
 * slot's last activity is exactly this. */
#define MAIN_LAST_END UINT64_C(4102444800000000000) /* 2100-01-01 */

static const char *dump_tool;

typedef enum { DIE_SEGV, DIE_ABORT, DIE_KILL9 } death_t;

static int worker_ready[2];

static void *worker(void *arg) {
    weft_tracer_t *tracer = arg;
    weft_span_end(weft_span_begin(tracer, "worker.finished", WEFT_SPAN_KIND_INTERNAL)); /* not counted in 1000 */
    weft_span_t *loop = weft_span_begin(tracer, "worker.loop", WEFT_SPAN_KIND_CONSUMER);
    weft_span_set_string(loop, "queue", "jobs");
    weft_span_t *io = weft_span_begin(tracer, "worker.io", WEFT_SPAN_KIND_CLIENT);
    weft_span_add_event(io, "waiting", NULL, 0); /* the latest moment of this slot */
    char c = 1;
    (void)!write(worker_ready[1], &c, 1);
    for (;;) {
        pause(); /* blocked, spans open, when the process dies */
    }
    return NULL;
}

/** The child: record, report ready on `ready`, die. Never returns. */
static void record_and_die(const weft_config_t *config, death_t death, int ready) {
    weft_tracer_t *tracer;
    if (weft_init_with_config(config, "crash-test", "1", &tracer) != 0) {
        _exit(3);
    }
    for (int i = 0; i < FINISHED; i++) {
        weft_span_t *span = weft_span_begin(tracer, "finished", WEFT_SPAN_KIND_INTERNAL);
        weft_span_set_int64(span, "seq", i);
        if (i == FINISHED - 1) {
            weft_span_end_at(span, MAIN_LAST_END);
        } else {
            weft_span_end(span);
        }
    }
    if (pipe(worker_ready) != 0) {
        _exit(4);
    }
    pthread_t thread;
    pthread_create(&thread, NULL, worker, tracer);
    char c;
    (void)!read(worker_ready[0], &c, 1);
    weft_span_t *request = weft_span_begin(tracer, "request", WEFT_SPAN_KIND_SERVER);
    weft_span_set_string(request, "http.route", "/crash");
    weft_span_t *inner = weft_span_begin(tracer, "native.crashing", WEFT_SPAN_KIND_INTERNAL);
    weft_span_set_int64(inner, "frame", 7);
    (void)!write(ready, &c, 1);
    switch (death) {
    case DIE_SEGV: {
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigaction(SIGSEGV, &dfl, NULL); /* no sanitizer report: the plain death of a crash */
        raise(SIGSEGV);
        break;
    }
    case DIE_ABORT:
        abort();
    case DIE_KILL9:
        for (;;) {
            pause(); /* the parent sends SIGKILL */
        }
    }
    _exit(5);
}

typedef struct {
    uint8_t seen[FINISHED];
    size_t finished, others;
} ring_t;

static void count_ring(const weft_span_view_t *span, void *clientd) {
    ring_t *r = clientd;
    if (span->name_length == 8 && memcmp(span->name, "finished", 8) == 0) {
        weft_item_cursor_t cursor = {0};
        weft_item_view_t item;
        while (weft_item_next(span, &cursor, &item)) {
            if (item.tag == WEFT_ABI_ITEM_ATTR_INT64 && item.int64_value >= 0 && item.int64_value < FINISHED) {
                r->seen[item.int64_value]++;
            }
        }
        r->finished++;
    } else {
        r->others++;
    }
}

typedef struct {
    size_t count;
    char names[8][32];
    uint64_t start[8], last_activity[8], latest_event[8];
    uint32_t slot[8];
} open_t;

static void collect_open(const weft_span_view_t *span, void *clientd) {
    open_t *o = clientd;
    if (o->count == 8) {
        return;
    }
    size_t i = o->count++;
    snprintf(o->names[i], sizeof o->names[i], "%.*s", span->name_length, span->name);
    o->start[i] = span->fixed->start_unix_nanos;
    o->last_activity[i] = span->last_activity_unix_nanos;
    o->slot[i] = span->slot;
    CHECK_EQ(span->fixed->end_unix_nanos, 0);
    weft_item_cursor_t cursor = {0};
    weft_item_view_t item;
    while (weft_item_next(span, &cursor, &item)) {
        if (item.tag == WEFT_ABI_ITEM_EVENT) {
            o->latest_event[i] = item.event_time_unix_nanos;
        }
    }
}

static int find_open(const open_t *o, const char *name) {
    for (size_t i = 0; i < o->count; i++) {
        if (strcmp(o->names[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/** What the C reader must find in a crashed child's segment at `path`. */
static void check_everything_is_there(const char *path, pid_t creator) {
    weft_reader_t *reader = malloc(sizeof *reader);
    char error[256];
    CHECK_EQ(weft_reader_open_snapshot(reader, path, error, sizeof error), 0);
    CHECK_EQ(reader->header->creator_pid, creator);
    CHECK_EQ(reader->header->state, WEFT_ABI_SEGMENT_LIVE);
    CHECK(!weft_reader_creator_alive(reader)); /* the dead-creator verdict */
    weft_resource_view_t resource;
    CHECK_EQ(weft_reader_resource(reader, &resource), 0);

    static ring_t ring;
    memset(&ring, 0, sizeof ring);
    weft_reader_drain(reader, count_ring, &ring);
    CHECK_EQ(ring.finished, FINISHED);
    CHECK_EQ(ring.others, 1); /* worker.finished */
    int each_once = 1;
    for (int i = 0; i < FINISHED; i++) {
        each_once &= ring.seen[i] == 1;
    }
    CHECK(each_once);
    CHECK_EQ(reader->counters.corrupt_records, 0);

    open_t open;
    memset(&open, 0, sizeof open);
    CHECK_EQ(weft_reader_open_spans(reader, collect_open, &open), 4);
    const int request = find_open(&open, "request"), inner = find_open(&open, "native.crashing");
    const int loop = find_open(&open, "worker.loop"), io = find_open(&open, "worker.io");
    CHECK(request >= 0 && inner >= 0 && loop >= 0 && io >= 0);
    if (request >= 0 && inner >= 0 && loop >= 0 && io >= 0) {
        /* main thread: its last finished span's end (2100) is later than anything else it did */
        CHECK_EQ(open.last_activity[request], MAIN_LAST_END);
        CHECK_EQ(open.last_activity[inner], MAIN_LAST_END);
        /* worker: its event is its latest moment, after both starts and its finished span's end */
        CHECK(open.latest_event[io] != 0);
        CHECK_EQ(open.last_activity[io], open.latest_event[io]);
        CHECK_EQ(open.last_activity[loop], open.latest_event[io]);
        CHECK(open.latest_event[io] >= open.start[io] && open.start[io] >= open.start[loop]);
        CHECK(open.slot[loop] == open.slot[io] && open.slot[loop] != open.slot[request]);
        weft_slot_status_t worker_slot;
        weft_reader_slot_status(reader, open.slot[io], &worker_slot);
        CHECK(worker_slot.last_end_unix_nanos > 0 && worker_slot.last_end_unix_nanos <= open.start[loop]);
    }
    weft_reader_close(reader);
    free(reader);
}

static uint8_t *bytes_of(const char *path, size_t *size) {
    struct stat st;
    if (stat(path, &st) != 0) {
        *size = 0;
        return NULL;
    }
    uint8_t *data = malloc((size_t)st.st_size);
    int fd = open(path, O_RDONLY);
    CHECK_EQ(pread(fd, data, (size_t)st.st_size, 0), st.st_size);
    close(fd);
    *size = (size_t)st.st_size;
    return data;
}

static void crash_by(death_t death, int signal_number) {
    weft_config_t config = weft_test_config();
    config.ring_size = 256u * 1024u; /* holds the 1000 spans */
    config.shm_name[0] = '\0';       /* the default name, weft-<pid> */
    int ready[2];
    CHECK_EQ(pipe(ready), 0);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        close(ready[0]);
        record_and_die(&config, death, ready[1]);
    }
    close(ready[1]);
    char c;
    CHECK_EQ(read(ready[0], &c, 1), 1);
    close(ready[0]);
    if (death == DIE_KILL9) {
        kill(child, SIGKILL);
    }
    int status;
    waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status));
    CHECK_EQ(WIFSIGNALED(status) ? WTERMSIG(status) : 0, signal_number);

    char path[4096];
    snprintf(path, sizeof path, "%s/weft-%d", config.shm_dir, (int)child);
    size_t size;
    uint8_t *bytes = bytes_of(path, &size);
    CHECK(bytes != NULL);
    if (bytes == NULL) {
        return;
    }
    if (dump_tool != NULL) {
        /* weft-dump before recovery, as README advises: it must change nothing */
        char command[8400];
        snprintf(command, sizeof command, "%s %s '%s' > /dev/null", getenv("WEFT_TEST_EMULATOR") ? getenv("WEFT_TEST_EMULATOR") : "",
                 dump_tool, path);
        CHECK_EQ(system(command), 0);
        size_t size_after;
        uint8_t *after = bytes_of(path, &size_after);
        CHECK(after != NULL && size_after == size && memcmp(after, bytes, size) == 0);
        free(after);
    }
    check_everything_is_there(path, child);
    weft_abi_header_t dead;
    memcpy(&dead, bytes, sizeof dead);

    /* a new process of the same name (a reused pid): the crash's file is renamed, never deleted */
    weft_config_t same = config;
    snprintf(same.shm_name, sizeof same.shm_name, "weft-%d", (int)child);
    fflush(stdout);
    pid_t next = fork();
    if (next == 0) {
        weft_tracer_t *tracer;
        if (weft_init_with_config(&same, "crash-test", "1", &tracer) != 0) {
            _exit(1);
        }
        weft_span_end(weft_span_begin(tracer, "the next process", WEFT_SPAN_KIND_INTERNAL));
        _exit(weft_shutdown() == 0 ? 0 : 2);
    }
    waitpid(next, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(access(path, F_OK) != 0); /* the next process's own segment: closed and unlinked at its exit */
    char kept[4200];
    snprintf(kept, sizeof kept, "%s/weft-%d.dead-%llu", config.shm_dir, (int)child,
             (unsigned long long)dead.creator_start_ticks);
    size_t kept_size;
    uint8_t *kept_bytes = bytes_of(kept, &kept_size);
    CHECK(kept_bytes != NULL && kept_size == size && memcmp(kept_bytes, bytes, size) == 0);
    if (kept_bytes != NULL) {
        check_everything_is_there(kept, child);
    }
    free(kept_bytes);
    free(bytes);
    unlink(kept);
}

static void a_crash_by_sigsegv_loses_nothing(void) {
    crash_by(DIE_SEGV, SIGSEGV);
}

static void a_crash_by_abort_loses_nothing(void) {
    crash_by(DIE_ABORT, SIGABRT);
}

static void a_kill_9_loses_nothing(void) {
    crash_by(DIE_KILL9, SIGKILL);
}

int main(int argc, char **argv) {
    dump_tool = argc > 1 ? argv[1] : NULL;
    static const weft_test_case_t cases[] = {
        TEST_CASE(a_crash_by_sigsegv_loses_nothing),
        TEST_CASE(a_crash_by_abort_loses_nothing),
        TEST_CASE(a_kill_9_loses_nothing),
    };
    return weft_test_run("crash", cases, sizeof cases / sizeof cases[0]);
}
