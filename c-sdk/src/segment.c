/*
 * segment.c - create, publish and close the shared-memory segment.
 *
 * The file is created owner-only (0600) with O_EXCL | O_NOFOLLOW, so it is
 * never opened through a symbolic link and never shared with another user.
 * Whatever is already at the path is judged without being opened unless it
 * is a regular file of ours (docs/shm-abi.md, "The file"): a dead creator's
 * Weft segment that was CLOSED or RECOVERED is replaced; one that was not
 * (its process crashed or never shut down: its spans are still in it) is
 * renamed to weft-<pid>.dead-<start ticks> for a recoverer, never deleted;
 * anything else -- a FIFO, socket, device, directory, link, another user's
 * file, a file that is not a Weft segment, a live process's segment -- is
 * refused and left untouched.
 */
#define _GNU_SOURCE
#include "resource.h"
#include "weft_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int weft_read_start_ticks(int pid, uint64_t *ticks) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        return -errno;
    }
    char buffer[1024];
    size_t n = fread(buffer, 1, sizeof buffer - 1, f);
    fclose(f);
    buffer[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: fields restart after the last ')'. */
    char *p = strrchr(buffer, ')');
    if (p == NULL) {
        return -EINVAL;
    }
    p++;
    /* p is before field 3; field 22 is 19 fields on. */
    for (int field = 3; field < 22; field++) {
        p = strchr(p + 1, ' ');
        if (p == NULL) {
            return -EINVAL;
        }
    }
    *ticks = strtoull(p + 1, NULL, 10);
    return 0;
}

static int weft_hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

int weft_read_boot_id(uint8_t out[16]) {
    memset(out, 0, 16);
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (f == NULL) {
        return -errno;
    }
    char text[64] = {0};
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    int nibble = 0;
    for (size_t i = 0; i < n && nibble < 32; i++) {
        int v = weft_hex_value(text[i]);
        if (v >= 0) {
            out[nibble / 2] = (uint8_t)(out[nibble / 2] | (nibble % 2 == 0 ? v << 4 : v));
            nibble++;
        }
    }
    return nibble == 32 ? 0 : -EINVAL;
}

bool weft_creator_running(const weft_abi_header_t *header) {
    uint8_t boot_id[16];
    if (weft_read_boot_id(boot_id) == 0 && memcmp(boot_id, header->boot_id, 16) != 0) {
        return false; /* made before the last boot */
    }
    if (kill((pid_t)header->creator_pid, 0) != 0 && errno == ESRCH) {
        return false;
    }
    uint64_t ticks;
    if (weft_read_start_ticks((int)header->creator_pid, &ticks) == 0 && ticks != header->creator_start_ticks) {
        return false; /* the pid was reused by another process */
    }
    return true;
}

/** Check a file is ours to use: our uid, no group/other bits (its type is checked before). */
static int weft_check_owner(const struct stat *st, const char *path, char *error, size_t error_size) {
    if (st->st_uid != geteuid()) {
        snprintf(error, error_size, "weft: %s belongs to uid %u, not to this process (uid %u): refusing it", path,
                 (unsigned)st->st_uid, (unsigned)geteuid());
        return -EPERM;
    }
    if ((st->st_mode & 077) != 0) {
        snprintf(error, error_size, "weft: %s has mode %03o; a segment must be 0600: refusing it", path,
                 (unsigned)(st->st_mode & 0777));
        return -EPERM;
    }
    return 0;
}

static const char *weft_file_type(mode_t mode) {
    switch (mode & S_IFMT) {
    case S_IFIFO: return "a FIFO";
    case S_IFDIR: return "a directory";
    case S_IFSOCK: return "a socket";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFLNK: return "a symbolic link";
    default: return "not a regular file";
    }
}

/**
 * Whether the header read from an existing regular file is a Weft segment this SDK may judge: the magic, a
 * major version it knows, the byte order mark, the file's own size and our uid. @return NULL, or what is wrong.
 */
static const char *weft_not_a_segment(const weft_abi_header_t *h, ssize_t header_bytes, const struct stat *st) {
    if (header_bytes != (ssize_t)sizeof *h) {
        return "too small to hold a weft header";
    }
    if (h->magic != WEFT_ABI_MAGIC) {
        return "no weft magic";
    }
    if (h->version_major != WEFT_ABI_VERSION_MAJOR) {
        return "a weft segment of another ABI major version";
    }
    if (h->byte_order_mark != WEFT_ABI_BYTE_ORDER_MARK || h->segment_size != (uint64_t)st->st_size ||
        h->creator_uid != geteuid()) {
        return "a weft header that does not match the file (byte order, size or creator uid)";
    }
    return NULL;
}

/** What weft_judge_existing found: a segment that may go, and how. */
typedef struct weft_existing {
    bool keep;                    /* not CLOSED or RECOVERED: rename it for a recoverer, never delete it */
    uint32_t creator_pid;
    uint64_t creator_start_ticks;
    dev_t dev;
    ino_t ino;
} weft_existing_t;

/** Whether the header says this very process made it (a re-init after weft_shutdown). */
static bool weft_made_by_us(const weft_abi_header_t *h) {
    uint64_t ticks;
    return h->creator_pid == (uint32_t)getpid() && weft_read_start_ticks((int)getpid(), &ticks) == 0 &&
           ticks == h->creator_start_ticks;
}

/**
 * Something is at `path` already. It is judged without side effects: through an O_PATH descriptor first (a
 * FIFO is not opened, so nothing blocks; a device is not opened, so nothing acts), and only a regular file of
 * ours with mode 0600 is opened (O_NONBLOCK) and its header read. Nothing but a Weft segment whose creator
 * is gone (or is this process, and closed it) may make way; whatever else is there is left exactly as it was.
 * @return 0 if it may make way (`*found` says whether it must be kept); -EAGAIN if it vanished (create
 *   again); a refusal otherwise.
 */
static int weft_judge_existing(const char *path, weft_existing_t *found, char *error, size_t error_size) {
    int probe = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (probe < 0) {
        int e = errno;
        if (e == ENOENT) {
            return -EAGAIN;
        }
        snprintf(error, error_size, "weft: cannot inspect existing %s: %s", path, strerror(e));
        return -e;
    }
    struct stat st;
    int rc = 0;
    if (fstat(probe, &st) != 0) {
        rc = -errno;
        snprintf(error, error_size, "weft: cannot stat existing %s: %s", path, strerror(-rc));
    } else if (S_ISLNK(st.st_mode)) {
        snprintf(error, error_size, "weft: %s is a symbolic link: refusing it (left as it is); set WEFT_SHM_NAME",
                 path);
        rc = -ELOOP;
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(error, error_size,
                 "weft: %s is %s, not a regular file: refusing it (left as it is); remove it, or set WEFT_SHM_NAME "
                 "to another name",
                 path, weft_file_type(st.st_mode));
        rc = -EPERM;
    } else {
        rc = weft_check_owner(&st, path, error, error_size);
    }
    close(probe);
    if (rc != 0) {
        return rc;
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat now;
    if (fd < 0 || fstat(fd, &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
        int e = fd < 0 ? errno : 0;
        if (fd >= 0) {
            close(fd);
        }
        if (e == ENOENT) {
            return -EAGAIN;
        }
        snprintf(error, error_size, "weft: %s changed while it was inspected: refusing it; set WEFT_SHM_NAME", path);
        return -EEXIST;
    }
    weft_abi_header_t header;
    const ssize_t n = pread(fd, &header, sizeof header, 0);
    close(fd);
    const char *problem = weft_not_a_segment(&header, n, &now);
    if (problem != NULL) {
        snprintf(error, error_size,
                 "weft: %s is in the way and is not a weft segment (%s): refusing to replace it (left as it is); "
                 "remove it if it is a leftover, or set WEFT_SHM_NAME to another name",
                 path, problem);
        return -EEXIST;
    }
    const uint32_t state = header.state;
    const bool finished = state == WEFT_ABI_SEGMENT_CLOSED || state == WEFT_ABI_SEGMENT_RECOVERED;
    if (weft_creator_running(&header) && !(finished && weft_made_by_us(&header))) {
        snprintf(error, error_size, "weft: %s is the live segment of another process; set WEFT_SHM_NAME", path);
        return -EEXIST;
    }
    found->keep = !finished;
    found->creator_pid = header.creator_pid;
    found->creator_start_ticks = header.creator_start_ticks;
    found->dev = now.st_dev;
    found->ino = now.st_ino;
    return 0;
}

/** rename without replacing: renameat2(RENAME_NOREPLACE), or link + unlink where the file system lacks it. */
static int weft_rename_noreplace(const char *from, const char *to) {
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0) {
        return 0;
    }
    if (errno != EINVAL && errno != ENOSYS) {
        return -errno;
    }
    if (link(from, to) != 0) {
        return -errno;
    }
    return unlink(from) == 0 || errno == ENOENT ? 0 : -errno;
}

/**
 * Move the file at path that was judged to target, without replacing anything there.
 * @return 0 when what moved is what was judged; -ESTALE when another file had taken its place in between
 *         (it is moved back, untouched); the rename's -errno otherwise (nothing moved).
 */
static int weft_move_judged(const char *path, const char *target, const weft_existing_t *found) {
    const int rc = weft_rename_noreplace(path, target);
    if (rc != 0) {
        return rc;
    }
    struct stat moved;
    if (stat(target, &moved) != 0 || moved.st_dev != found->dev || moved.st_ino != found->ino) {
        (void)weft_rename_noreplace(target, path);
        return -ESTALE;
    }
    return 0;
}

/**
 * Move a dead creator's unrecovered segment out of the way, keeping its data: to
 * <dir>/weft-<creator pid>.dead-<creator start ticks> (then -1, -2, ... if that name is taken).
 * @return 0; -EAGAIN if the path no longer held that file; a refusal otherwise.
 */
static int weft_keep_dead_segment(const char *path, const weft_existing_t *found, char *error, size_t error_size) {
    char dir[WEFT_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL) {
        snprintf(dir, sizeof dir, ".");
    } else {
        *slash = '\0';
    }
    char target[WEFT_PATH_MAX];
    int rc = -EEXIST;
    for (int attempt = 0; attempt < 100 && rc == -EEXIST; attempt++) {
        int n = attempt == 0 ? snprintf(target, sizeof target, "%s/weft-%u.dead-%llu", dir, found->creator_pid,
                                        (unsigned long long)found->creator_start_ticks)
                             : snprintf(target, sizeof target, "%s/weft-%u.dead-%llu-%d", dir, found->creator_pid,
                                        (unsigned long long)found->creator_start_ticks, attempt);
        if (n < 0 || (size_t)n >= sizeof target) {
            snprintf(error, error_size, "weft: cannot keep the dead segment %s: its new name is too long", path);
            return -ENAMETOOLONG;
        }
        rc = weft_move_judged(path, target, found);
    }
    if (rc == -ENOENT) {
        return -EAGAIN;
    }
    if (rc == -ESTALE) {
        /* The path was replaced between the judgement and the rename: that file went back; refused. */
        snprintf(error, error_size, "weft: %s changed while it was moved aside: refusing it; set WEFT_SHM_NAME",
                 path);
        return -EEXIST;
    }
    if (rc != 0) {
        snprintf(error, error_size,
                 "weft: %s holds the unrecovered spans of process %u, which is gone, and cannot be moved aside to "
                 "%s (%s): refusing to replace it; run `weft recover`, or set WEFT_SHM_NAME",
                 path, found->creator_pid, target, strerror(-rc));
        return rc;
    }
    return 0;
}

/**
 * Remove a CLOSED or RECOVERED segment, but only the file that was judged: it is first moved to a name of
 * this process's own (without replacing anything), checked, and only then unlinked; a file that took its
 * place between the judgement and the move goes back where it was, untouched.
 * @return 0; -EAGAIN if the path no longer held that file (judge again); a refusal otherwise.
 */
static int weft_remove_judged(const char *path, const weft_existing_t *found, char *error, size_t error_size) {
    char aside[WEFT_PATH_MAX];
    int n = snprintf(aside, sizeof aside, "%s.replaced-%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof aside) {
        snprintf(error, error_size, "weft: cannot replace the closed segment %s: its path is too long", path);
        return -ENAMETOOLONG;
    }
    const int rc = weft_move_judged(path, aside, found);
    if (rc == -ENOENT || rc == -ESTALE) {
        return -EAGAIN;
    }
    if (rc != 0) {
        snprintf(error, error_size, "weft: cannot remove the closed segment %s: %s", path, strerror(-rc));
        return rc;
    }
    if (unlink(aside) != 0 && errno != ENOENT) {
        const int e = errno;
        snprintf(error, error_size, "weft: cannot remove the closed segment %s: %s", path, strerror(e));
        return -e;
    }
    return 0;
}

static int weft_open_exclusive(const char *path, char *error, size_t error_size) {
    for (int attempt = 0; attempt < 3; attempt++) {
        /* O_EXCL never follows a link or opens what is there; O_NONBLOCK is belt and braces. */
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
        if (fd >= 0) {
            return fd;
        }
        int e = errno;
        if (e != EEXIST) {
            snprintf(error, error_size, "weft: cannot create %s: %s", path, strerror(e));
            return -e;
        }
        weft_existing_t found = {0}; /* filled by weft_judge_existing; zero keeps -Wmaybe-uninitialized quiet */
        int rc = weft_judge_existing(path, &found, error, error_size);
        if (rc == -EAGAIN) {
            continue;
        }
        if (rc != 0) {
            return rc;
        }
        if (found.keep) {
            /* A crash's spans (finished and open) are in it: kept under another name for a recoverer. */
            rc = weft_keep_dead_segment(path, &found, error, error_size);
            if (rc != 0 && rc != -EAGAIN) {
                return rc;
            }
            continue;
        }
        /* CLOSED or RECOVERED: everything in it was drained or recovered; replaced. */
        rc = weft_remove_judged(path, &found, error, error_size);
        if (rc != 0 && rc != -EAGAIN) {
            return rc;
        }
    }
    snprintf(error, error_size, "weft: %s keeps reappearing", path);
    return -EEXIST;
}

/** The directory part of a segment's path, for messages. */
static void weft_segment_dir(const char *path, char *out, size_t size) {
    snprintf(out, size, "%s", path);
    char *slash = strrchr(out, '/');
    if (slash != NULL && slash != out) {
        *slash = '\0';
    }
}

/**
 * Allocate [offset, offset + length) of the file in its file system, so that writing (or reading) those
 * pages of the mapping later cannot fail. On tmpfs, fallocate (mode 0) allocates the pages and, when the
 * file system is full, fails with ENOSPC and gives back what it had allocated in this call; a write to an
 * unallocated page of a MAP_SHARED tmpfs mapping would instead be a SIGBUS -- and so would a read, which
 * allocates a page too. Where fallocate is not supported (EOPNOTSUPP), posix_fallocate writes a byte into
 * each block instead (glibc), which fails with ENOSPC as well: the range is not in use yet (the header
 * area before it is written; a slot before it is claimed), so nothing it writes over matters.
 * @return 0 or -errno.
 */
int weft_reserve_range(int fd, uint64_t offset, uint64_t length) {
    for (int attempt = 0; attempt < 8; attempt++) {
        if (fallocate(fd, 0, (off_t)offset, (off_t)length) == 0) {
            return 0;
        }
        const int e = errno;
        if (e == EINTR) {
            continue; /* tmpfs stops a long fallocate for a pending signal */
        }
        if (e != EOPNOTSUPP && e != ENOSYS) {
            return -e;
        }
        const int rc = posix_fallocate(fd, (off_t)offset, (off_t)length);
        if (rc != EINTR) {
            return -rc;
        }
    }
    return -EINTR;
}

int weft_segment_create(weft_segment_t *segment, const weft_config_t *config, char *error, size_t error_size) {
    memset(segment, 0, sizeof *segment);
    segment->fd = -1;
    const pid_t pid = getpid();
    int n;
    if (config->shm_name[0] != '\0') {
        n = snprintf(segment->path, sizeof segment->path, "%s/%s", config->shm_dir, config->shm_name);
    } else {
        n = snprintf(segment->path, sizeof segment->path, "%s/weft-%d", config->shm_dir, (int)pid);
    }
    if (n < 0 || (size_t)n >= sizeof segment->path) {
        snprintf(error, error_size, "weft: segment path too long");
        return -ENAMETOOLONG;
    }

    const uint64_t stride = weft_slot_stride_for(config->stack_depth, config->frame_size, config->ring_size);
    const uint64_t size = WEFT_HEADER_AREA + stride * config->max_threads;
    /* per process, never freed (as the runtime that holds it): a thread racing with shutdown may read it */
    _Atomic uint8_t *reserved = calloc(config->max_threads, sizeof *reserved);
    if (reserved == NULL) {
        snprintf(error, error_size, "weft: out of memory");
        return -ENOMEM;
    }

    int fd = weft_open_exclusive(segment->path, error, error_size);
    if (fd < 0) {
        free(reserved);
        return fd;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        snprintf(error, error_size, "weft: cannot stat %s: %s", segment->path, strerror(-rc));
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(error, error_size, "weft: %s is not a regular file", segment->path);
        rc = -EPERM;
    } else {
        rc = weft_check_owner(&st, segment->path, error, error_size);
    }
    if (rc == 0 && ftruncate(fd, (off_t)size) != 0) {
        rc = -errno;
        snprintf(error, error_size, "weft: cannot size %s to %llu bytes: %s", segment->path, (unsigned long long)size,
                 strerror(-rc));
    }
    /* The header area, and the first page of every slot (its state and counters: the claim scan and
     * weft_get_stats read them all, and a read of an unallocated tmpfs page is a SIGBUS as well), before
     * anything is written. The rest of a slot is reserved at its first claim (weft_segment_reserve_slot). */
    if (rc == 0) {
        rc = weft_reserve_range(fd, 0, WEFT_HEADER_AREA);
        for (uint32_t i = 0; rc == 0 && i < config->max_threads; i++) {
            rc = weft_reserve_range(fd, WEFT_HEADER_AREA + (uint64_t)i * stride, 4096u);
        }
        if (rc != 0) {
            char dir[WEFT_PATH_MAX];
            weft_segment_dir(segment->path, dir, sizeof dir);
            snprintf(error, error_size,
                     "weft: cannot reserve the %llu bytes of the header and slot headers of %s: %s; %s has no room "
                     "for them. Free space in %s, give the container a larger /dev/shm (docker run --shm-size), "
                     "or set WEFT_SHM_DIR to a larger tmpfs",
                     (unsigned long long)(WEFT_HEADER_AREA + 4096ull * config->max_threads), segment->path,
                     strerror(-rc), dir, dir);
        }
    }
    void *base = MAP_FAILED;
    if (rc == 0) {
        base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (base == MAP_FAILED) {
            rc = -errno;
            snprintf(error, error_size, "weft: cannot map %s: %s", segment->path, strerror(-rc));
        }
    }
    if (rc != 0) {
        close(fd);
        unlink(segment->path);
        free(reserved);
        return rc;
    }

    segment->fd = fd;
    segment->reserved = reserved;
    segment->base = base;
    segment->size = size;
    segment->header = base;
    segment->slot_count = config->max_threads;
    segment->slot_stride = stride;
    segment->stack_depth = config->stack_depth;
    segment->frame_size = config->frame_size;
    segment->ring_capacity = config->ring_size;

    weft_abi_header_t *h = segment->header; /* the file is new, so all zero */
    h->version_major = WEFT_ABI_VERSION_MAJOR;
    h->version_minor = WEFT_ABI_VERSION_MINOR;
    h->header_size = WEFT_HEADER_AREA;
    h->segment_size = size;
    h->byte_order_mark = WEFT_ABI_BYTE_ORDER_MARK;
    h->creator_pid = (uint32_t)pid;
    h->creator_uid = (uint32_t)geteuid();
    (void)weft_read_start_ticks((int)pid, &h->creator_start_ticks);
    (void)weft_read_boot_id(h->boot_id);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    h->created_unix_nanos = (uint64_t)now.tv_sec * UINT64_C(1000000000) + (uint64_t)now.tv_nsec;
    h->slot_count = config->max_threads;
    h->slot_header_size = WEFT_ABI_SLOT_HEADER_SIZE;
    h->slots_offset = WEFT_HEADER_AREA;
    h->slot_stride = stride;
    h->stack_depth = config->stack_depth;
    h->frame_size = config->frame_size;
    h->ring_capacity = config->ring_size;
    h->max_name_length = WEFT_MAX_NAME_LENGTH;
    h->max_key_length = WEFT_MAX_KEY_LENGTH;
    h->max_value_length = config->max_value_length;
    /* 1.1: the Resource, in the header area after the header page (0/0 would say "none") */
    weft_resource_inputs_t inputs;
    static weft_resource_buffers_t buffers; /* under the init lock */
    weft_resource_inputs_of_process(&inputs, &buffers);
    h->resource_length = weft_resource_encode(segment->base + WEFT_ABI_RESOURCE_OFFSET, WEFT_ABI_RESOURCE_MAX,
                                              &inputs, config->max_value_length);
    h->resource_offset = WEFT_ABI_RESOURCE_OFFSET;
    weft_store_relaxed(&h->state, WEFT_ABI_SEGMENT_LIVE);
    /* release: a reader that acquires magic sees every header field above, and the Resource record */
    weft_store_release(&h->magic, WEFT_ABI_MAGIC);
    return 0;
}

void weft_segment_report_reserve_failure(const weft_segment_t *segment, int error) {
    char dir[WEFT_PATH_MAX];
    weft_segment_dir(segment->path, dir, sizeof dir);
    fprintf(stderr,
            "weft: cannot reserve %llu bytes of %s for a thread's ring (%s): %s%s. Threads without a slot record "
            "nothing and their spans are counted as dropped_no_slot. The whole segment needs %llu bytes: give the "
            "container a larger /dev/shm (docker run --shm-size), free space in %s, or lower WEFT_RING_SIZE (now "
            "%u) or WEFT_MAX_THREADS (now %u)\n",
            (unsigned long long)segment->slot_stride, segment->path, strerror(-error), dir,
            error == -ENOSPC ? " is full" : " refused it", (unsigned long long)segment->size, dir,
            segment->ring_capacity, segment->slot_count);
}

void weft_segment_close_fd(weft_segment_t *segment, bool wait_for_reservers) {
    const int fd = atomic_load_explicit(&segment->fd, memory_order_relaxed);
    if (fd < 0) {
        return;
    }
    if (wait_for_reservers) {
        /* The runtime was unpublished before: a thread that counts itself in after this fence sees it gone
         * and does not use the descriptor; one counted in before is waited for (a fallocate: microseconds). */
        atomic_thread_fence(memory_order_seq_cst);
        for (int i = 0; atomic_load_explicit(&segment->reservers, memory_order_acquire) != 0; i++) {
            if (i == 5000) {
                return; /* a reserving thread is stopped (a debugger?): leave the descriptor open */
            }
            struct timespec pause = {0, 1000000};
            nanosleep(&pause, NULL);
        }
    }
    atomic_store_explicit(&segment->fd, -1, memory_order_relaxed);
    close(fd);
}

void weft_segment_publish_scope(weft_segment_t *segment, const struct weft_tracer *tracer) {
    weft_abi_header_t *h = segment->header;
    weft_abi_scope_t *scope = &h->scopes[tracer->scope_index];
    scope->name_length = tracer->name_length;
    scope->version_length = tracer->version_length;
    memcpy(scope->name, tracer->name, tracer->name_length);
    memcpy(scope->version, tracer->version, tracer->version_length);
    uint32_t count = weft_load_relaxed(&h->scope_count);
    if (tracer->scope_index >= count) {
        /* release: the scope entry written above is complete before a reader counts it */
        weft_store_release(&h->scope_count, (uint32_t)tracer->scope_index + 1u);
    }
}

bool weft_lease_holder_running(uint64_t lease_owner) {
    if (lease_owner == 0) {
        return false;
    }
    const pid_t pid = (pid_t)(uint32_t)lease_owner;
    if (pid <= 0 || (kill(pid, 0) != 0 && errno == ESRCH)) {
        return false;
    }
    uint64_t ticks;
    if (weft_read_start_ticks((int)pid, &ticks) == 0 && (uint32_t)ticks != (uint32_t)(lease_owner >> 32)) {
        return false; /* the pid was reused by another process */
    }
    return true;
}

bool weft_segment_close(weft_segment_t *segment) {
    weft_abi_header_t *h = segment->header;
    /* release: a writer that sees the fence counts what it ends as dropped_shutdown instead of recording it */
    weft_store_release(&h->fence, (uint32_t)WEFT_ABI_FENCE_CLOSED);
    /* release: a reader that sees CLOSED has seen everything committed before it */
    weft_store_release(&h->state, WEFT_ABI_SEGMENT_CLOSED);
    /* A collector holding the lease drains what is left, then unlinks the file itself; with none (or a dead
     * one), nobody else would. acquire: pairs with the collector's CAS of the lease. */
    const bool collected = weft_lease_holder_running(weft_load_acquire(&h->lease_owner));
    if (!collected) {
        unlink(segment->path);
    }
    /* The mapping stays: a thread racing with shutdown may still be writing into its ring. */
    return !collected;
}
