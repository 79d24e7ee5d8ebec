/*
 * lazy_init.c - Weft without an init call: tracers named after the calling shared object, and the
 * one-time start of Weft from the environment on the first span (or weft_context_attach, which
 * the JVM calls) of a process where weft_init was never called.
 *
 * Cost: nothing on the recording hot path. A thread reaches weft_lazy_start only from its binding
 * slow path (thread.c), taken when its binding's epoch is not the current one, i.e. on its first
 * call and whenever Weft is not running; once the start was tried that is one relaxed load and a
 * return. WEFT_TRACER costs its caller one load and a predicted branch (weft.h).
 *
 * Once: the start is tried at most once per process image, under init.c's lock, so two threads'
 * first spans at once start one runtime and the second waits for it. A failure (e.g. /dev/shm not
 * writable) is reported once on stderr with the reason and the fix, and not retried: every span
 * after it is a cheap no-op; weft_get_status reports it; an explicit weft_init still can start.
 * Not from a signal handler that interrupted weft_init, weft_shutdown or this start on the same
 * thread (in_init; such a span is dropped).
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "thread.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* 0: not tried; 1: tried (started, failed, or disabled). Relaxed: the lock in init.c orders the rest. */
static _Atomic uint32_t weft_lazy_tried;

static const char *weft_fix_for(int rc) {
    switch (rc) {
    case -EACCES:
    case -EROFS:
    case -ENOENT:
    case -ENOTDIR:
        return "point WEFT_SHM_DIR at a writable directory, preferably a tmpfs (e.g. WEFT_SHM_DIR=/tmp), "
               "in the environment of this process (the collector reads the same variable)";
    case -ENOSPC:
    case -ENOMEM:
    case -EFBIG:
        return "make room in WEFT_SHM_DIR (default /dev/shm), or make the segment smaller "
               "(WEFT_MAX_THREADS, WEFT_RING_SIZE)";
    case -EEXIST:
        return "give this process its own segment name (unset WEFT_SHM_NAME, or make it unique)";
    case -EPERM:
    case -ELOOP:
        return "remove the file named above or set WEFT_SHM_NAME to another name";
    case -EINVAL:
        return "fix or unset the environment variable named above";
    default:
        return "check WEFT_SHM_DIR and WEFT_SHM_NAME, or call weft_init yourself to handle the error";
    }
}

bool weft_lazy_start(void) {
    if (WEFT_LIKELY(weft_load_relaxed(&weft_lazy_tried) != 0)) {
        return false;
    }
    weft_thread_t *self = weft_self();
    if (self->in_init) {
        return false; /* a signal handler interrupted weft_init/shutdown/this start on this thread */
    }
    self->in_init = 1;
    char reason[512];
    int rc = weft_start_lazily(reason, sizeof reason);
    if (rc != 0 && rc != -ECANCELED) {
        const char *why = reason[0] != '\0' ? reason : strerror(-rc);
        if (strncmp(why, "weft: ", 6) == 0) {
            why += 6;
        }
        char message[1024];
        snprintf(message, sizeof message,
                 "weft: native spans will not be recorded in this process: starting Weft on the first span "
                 "failed: %s. Fix: %s. Weft does not try again in this process.",
                 why, weft_fix_for(rc));
        weft_set_start_message(message);
        fprintf(stderr, "%s\n", message);
    }
    weft_store_relaxed(&weft_lazy_tried, 1u);
    self->in_init = 0;
    return rc == 0;
}

/* ------------------------------------------------------------ tracers */

weft_tracer_t *weft_tracer_get(const char *scope_name, const char *scope_version) {
    weft_tracer_t *t = weft_scope_register(scope_name, scope_version);
    if (t == NULL && scope_name != NULL && scope_name[0] != '\0') {
        static _Atomic uint32_t warned;
        if (atomic_exchange_explicit(&warned, 1u, memory_order_relaxed) == 0) {
            fprintf(stderr,
                    "weft: no spans recorded for scope \"%s\": more than %u instrumentation scopes in this "
                    "process. Fix: give libraries the same scope name (-DWEFT_SCOPE_NAME) or fewer tracers.\n",
                    scope_name, WEFT_ABI_MAX_SCOPES);
        }
    }
    return t;
}

/**
 * The scope name and version of a file: its base name without a leading "lib" and without ".so"
 * and what follows, which is the version when it starts with '.': /x/libcodec.so.2.1 is "codec"
 * version "2.1"; an executable keeps its name.
 */
static void weft_scope_from_file(const char *file, char *name, size_t name_size, char *version,
                                 size_t version_size) {
    const char *base = file != NULL ? strrchr(file, '/') : NULL;
    base = base != NULL ? base + 1 : (file != NULL ? file : "");
    if (strncmp(base, "lib", 3) == 0 && base[3] != '\0' && strncmp(base + 3, ".so", 3) != 0) {
        base += 3;
    }
    size_t length = strlen(base);
    version[0] = '\0';
    for (const char *so = strstr(base, ".so"); so != NULL; so = strstr(so + 1, ".so")) {
        if (so[3] == '\0' || so[3] == '.') {
            length = (size_t)(so - base);
            if (so[3] == '.' && so[4] != '\0') {
                snprintf(version, version_size, "%s", so + 4);
            }
            break;
        }
    }
    if (length == 0) {
        base = program_invocation_short_name;
        length = strlen(base);
    }
    if (length == 0) {
        base = "native";
        length = strlen(base);
    }
    if (length >= name_size) {
        length = name_size - 1;
    }
    memcpy(name, base, length);
    name[length] = '\0';
}

weft_tracer_t *weft_tracer_for_address(const void *address) {
    Dl_info info;
    const char *file = NULL;
    if (address != NULL && dladdr(address, &info) != 0) {
        file = info.dli_fname;
    }
    char name[WEFT_ABI_SCOPE_NAME_MAX + 1];
    char version[WEFT_ABI_SCOPE_VERSION_MAX + 1];
    weft_scope_from_file(file, name, sizeof name, version, sizeof version);
    return weft_tracer_get(name, version[0] != '\0' ? version : NULL);
}

#ifdef WEFT_TESTING
void weft_testing_scope_from_file(const char *file, char *name, size_t name_size, char *version,
                                  size_t version_size);
void weft_testing_scope_from_file(const char *file, char *name, size_t name_size, char *version,
                                  size_t version_size) {
    weft_scope_from_file(file, name, name_size, version, version_size);
}
#endif
