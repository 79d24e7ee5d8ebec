/*
 * init.c - configuration, initialisation, shutdown and fork handling.
 * Nothing here is on the recording path; it takes a mutex.
 */
#define _GNU_SOURCE
#include "clock.h"
#include "otel_writers.h"
#include "process_ctx.h"
#include "sampling.h"
#include "thread.h"
#include "weft_internal.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>
#include <time.h>

weft_global_t weft_global = {.epoch = 1}; /* thread bindings start at 0, so they never match before init */

static pthread_mutex_t weft_init_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned weft_refcount;
static struct weft_tracer weft_tracers[WEFT_ABI_MAX_SCOPES];
static uint16_t weft_tracer_count;
static weft_runtime_t *weft_running; /* guarded by weft_init_lock */
/* Shut-down runtimes are never freed: a thread that raced with shutdown may still read one. */
static weft_runtime_t *weft_retired; /* guarded by weft_init_lock */
static char weft_error[512];
static pthread_once_t weft_atfork_once = PTHREAD_ONCE_INIT;
/* How Weft started in this process image (guarded by weft_init_lock): lazy_init.c reads it to start at
 * most once, weft_get_status to answer "has any native code initialised it". Kept across fork: the
 * child of a process that ran Weft waits for its own weft_init, as before. */
static weft_origin_t weft_origin;
#ifdef WEFT_TESTING
void (*weft_testing_under_init_lock)(void);
#endif
static int weft_start_error;           /* negative errno of a failed lazy start, 0 if none */
static char weft_start_message[1024];   /* its reason and fix */

const char *weft_last_error(void) {
    return weft_error;
}

/* ------------------------------------------------------------- config */

static int weft_parse_bool(const char *name, const char *text, bool *out) {
    if (strcasecmp(text, "true") == 0 || strcmp(text, "1") == 0 || strcasecmp(text, "on") == 0) {
        *out = true;
    } else if (strcasecmp(text, "false") == 0 || strcmp(text, "0") == 0 || strcasecmp(text, "off") == 0) {
        *out = false;
    } else {
        snprintf(weft_error, sizeof weft_error, "weft: %s=%s is not a boolean (true/false)", name, text);
        return -EINVAL;
    }
    return 0;
}

/** A size with an optional k/m/g suffix (powers of 1024). */
static int weft_parse_size(const char *name, const char *text, uint64_t max, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || end == text || text[0] == '-') {
        goto bad;
    }
    switch (*end) {
    case 'k': case 'K': value <<= 10; end++; break;
    case 'm': case 'M': value <<= 20; end++; break;
    case 'g': case 'G': value <<= 30; end++; break;
    default: break;
    }
    if (*end == 'i' || *end == 'b' || *end == 'B') {
        end += (end[0] == 'i' && (end[1] == 'B' || end[1] == 'b')) ? 2 : 1;
    }
    if (*end != '\0' || value > max) {
        goto bad;
    }
    *out = value;
    return 0;
bad:
    snprintf(weft_error, sizeof weft_error, "weft: %s=%s is not a size up to %llu (suffixes k, m, g)", name, text,
             (unsigned long long)max);
    return -EINVAL;
}

static int weft_parse_sampler(const char *text, weft_sampler_t *out) {
    static const struct {
        const char *name;
        weft_sampler_t sampler;
    } names[] = {
        {"always_on", WEFT_SAMPLER_ALWAYS_ON},
        {"always_off", WEFT_SAMPLER_ALWAYS_OFF},
        {"traceidratio", WEFT_SAMPLER_TRACEIDRATIO},
        {"parentbased_always_on", WEFT_SAMPLER_PARENTBASED_ALWAYS_ON},
        {"parentbased_always_off", WEFT_SAMPLER_PARENTBASED_ALWAYS_OFF},
        {"parentbased_traceidratio", WEFT_SAMPLER_PARENTBASED_TRACEIDRATIO},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(text, names[i].name) == 0) {
            *out = names[i].sampler;
            return 0;
        }
    }
    snprintf(weft_error, sizeof weft_error,
             "weft: OTEL_TRACES_SAMPLER=%s is not supported by native code (always_on, always_off, traceidratio, "
             "parentbased_always_on, parentbased_always_off, parentbased_traceidratio)",
             text);
    return -EINVAL;
}

static uint64_t weft_slot_stride(const weft_config_t *c, uint64_t ring_size) {
    return weft_slot_stride_for(c->stack_depth, c->frame_size, ring_size);
}

/**
 * The ring size when WEFT_RING_SIZE (and WEFT_SEGMENT_SIZE) are not set: 1 MiB, which rides out a collector
 * stall of about 50 ms at 70 k spans/s per thread, if the segment's file system has room for twice the whole
 * segment at that size (it is shared: other processes and their segments use it too); otherwise 256 KiB
 * (about 16 ms), which fits 64 slots in Docker's default 64 MiB /dev/shm. docs/deployment.md, "Buffering".
 */
static uint32_t weft_default_ring_size(const weft_config_t *c) {
    const uint64_t large = WEFT_DEFAULT_RING_SIZE_LARGE;
    const uint64_t segment = WEFT_HEADER_AREA + weft_slot_stride(c, large) * c->max_threads;
    struct statvfs fs;
    if (statvfs(c->shm_dir, &fs) == 0 && (uint64_t)fs.f_bavail * fs.f_frsize / 2u >= segment) {
        return (uint32_t)large;
    }
    return WEFT_DEFAULT_RING_SIZE_SMALL;
}

int weft_config_from_env(weft_config_t *config) {
    if (config == NULL) {
        return -EINVAL;
    }
    memset(config, 0, sizeof *config);
    config->enabled = true;
    config->otel_thread_ctx = true;
    snprintf(config->shm_dir, sizeof config->shm_dir, "/dev/shm");
    config->ring_size = WEFT_DEFAULT_RING_SIZE_SMALL; /* 1 MiB where the file system has room: below */
    config->max_threads = 64;
    config->stack_depth = 16;
    config->frame_size = 2048;
    config->max_value_length = 1024;
    config->sampler = WEFT_SAMPLER_PARENTBASED_ALWAYS_ON;
    config->sampler_ratio = 1.0;

    const char *v;
    uint64_t n;
    int rc;
    if ((v = getenv("WEFT_ENABLED")) != NULL && (rc = weft_parse_bool("WEFT_ENABLED", v, &config->enabled)) != 0) {
        return rc;
    }
    if ((v = getenv("WEFT_OTEL_THREAD_CTX")) != NULL &&
        (rc = weft_parse_bool("WEFT_OTEL_THREAD_CTX", v, &config->otel_thread_ctx)) != 0) {
        return rc;
    }
    if ((v = getenv("WEFT_SHM_DIR")) != NULL) {
        if (v[0] != '/' || strlen(v) >= sizeof config->shm_dir) {
            snprintf(weft_error, sizeof weft_error, "weft: WEFT_SHM_DIR must be an absolute path shorter than %zu",
                     sizeof config->shm_dir);
            return -EINVAL;
        }
        snprintf(config->shm_dir, sizeof config->shm_dir, "%s", v);
    }
    if ((v = getenv("WEFT_SHM_NAME")) != NULL) {
        if (v[0] == '\0' || strchr(v, '/') != NULL || strlen(v) >= sizeof config->shm_name || strcmp(v, ".") == 0 ||
            strcmp(v, "..") == 0) {
            snprintf(weft_error, sizeof weft_error, "weft: WEFT_SHM_NAME must be a file name without '/'");
            return -EINVAL;
        }
        snprintf(config->shm_name, sizeof config->shm_name, "%s", v);
    }
    if ((v = getenv("WEFT_RING_SIZE")) != NULL) {
        if ((rc = weft_parse_size("WEFT_RING_SIZE", v, UINT32_C(1) << 30, &n)) != 0) {
            return rc;
        }
        config->ring_size = (uint32_t)n;
    }
    if ((v = getenv("WEFT_MAX_THREADS")) != NULL) {
        if ((rc = weft_parse_size("WEFT_MAX_THREADS", v, 65536, &n)) != 0) {
            return rc;
        }
        config->max_threads = (uint32_t)n;
    }
    if ((v = getenv("WEFT_STACK_DEPTH")) != NULL) {
        if ((rc = weft_parse_size("WEFT_STACK_DEPTH", v, WEFT_MAX_STACK_DEPTH, &n)) != 0) {
            return rc;
        }
        config->stack_depth = (uint32_t)n;
    }
    if ((v = getenv("WEFT_FRAME_SIZE")) != NULL) {
        if ((rc = weft_parse_size("WEFT_FRAME_SIZE", v, WEFT_MAX_FRAME_SIZE, &n)) != 0) {
            return rc;
        }
        config->frame_size = (uint32_t)n;
    }
    if ((v = getenv("WEFT_MAX_VALUE_LENGTH")) != NULL) {
        if ((rc = weft_parse_size("WEFT_MAX_VALUE_LENGTH", v, 65535, &n)) != 0) {
            return rc;
        }
        config->max_value_length = (uint16_t)n;
    }
    if ((v = getenv("WEFT_SEGMENT_SIZE")) != NULL) {
        if ((rc = weft_parse_size("WEFT_SEGMENT_SIZE", v, UINT64_C(1) << 40, &n)) != 0) {
            return rc;
        }
        uint64_t stride = weft_slot_stride(config, config->ring_size);
        if (n < WEFT_HEADER_AREA + stride) {
            snprintf(weft_error, sizeof weft_error,
                     "weft: WEFT_SEGMENT_SIZE=%s does not hold one thread's slot (%llu bytes)", v,
                     (unsigned long long)(WEFT_HEADER_AREA + stride));
            return -EINVAL;
        }
        uint64_t slots = (n - WEFT_HEADER_AREA) / stride;
        config->max_threads = (uint32_t)(slots > 65536 ? 65536 : slots);
    }
    if (getenv("WEFT_RING_SIZE") == NULL && getenv("WEFT_SEGMENT_SIZE") == NULL) {
        config->ring_size = weft_default_ring_size(config);
    }
    if ((v = getenv("OTEL_TRACES_SAMPLER")) != NULL && v[0] != '\0' &&
        (rc = weft_parse_sampler(v, &config->sampler)) != 0) {
        return rc;
    }
    if ((v = getenv("OTEL_TRACES_SAMPLER_ARG")) != NULL && v[0] != '\0' &&
        (config->sampler == WEFT_SAMPLER_TRACEIDRATIO || config->sampler == WEFT_SAMPLER_PARENTBASED_TRACEIDRATIO)) {
        char *end;
        double ratio = strtod(v, &end);
        if (end == v || *end != '\0' || !(ratio >= 0.0 && ratio <= 1.0)) {
            snprintf(weft_error, sizeof weft_error, "weft: OTEL_TRACES_SAMPLER_ARG=%s is not a ratio in [0, 1]", v);
            return -EINVAL;
        }
        config->sampler_ratio = ratio;
    }
    if ((v = getenv("TRACEPARENT")) != NULL && v[0] != '\0') {
        /* A malformed TRACEPARENT is ignored, as a propagator ignores a malformed header. */
        config->has_env_parent = weft_traceparent_parse(v, strlen(v), &config->env_parent) == 0;
    }
    return 0;
}

static int weft_validate_config(const weft_config_t *c) {
    const char *problem = NULL;
    if (c->max_threads < 1) {
        problem = "max_threads must be at least 1";
    } else if (c->stack_depth < 1 || c->stack_depth > WEFT_MAX_STACK_DEPTH) {
        problem = "stack_depth must be 1..256";
    } else if (c->frame_size < WEFT_MIN_FRAME_SIZE || c->frame_size > WEFT_MAX_FRAME_SIZE ||
               (c->frame_size & (c->frame_size - 1)) != 0) {
        /* a power of two, so that the hot path finds a frame's index with a shift */
        problem = "frame_size must be a power of two in 512..32768";
    } else if (c->ring_size == 0 || (c->ring_size & (c->ring_size - 1)) != 0 || c->ring_size < 2 * c->frame_size) {
        problem = "ring_size must be a power of two and at least twice frame_size";
    } else if (!(c->sampler_ratio >= 0.0 && c->sampler_ratio <= 1.0)) {
        problem = "sampler_ratio must be in [0, 1]";
    } else if (c->shm_dir[0] != '/') {
        problem = "shm_dir must be an absolute path";
    }
    if (problem != NULL) {
        snprintf(weft_error, sizeof weft_error, "weft: invalid configuration: %s", problem);
        return -EINVAL;
    }
    return 0;
}

/* --------------------------------------------------------------- fork */

static void weft_atfork_child(void) {
    /* The child must never write into the parent's rings: stop until it calls weft_init again. */
    weft_store_relaxed(&weft_global.runtime, NULL);
    atomic_fetch_add_explicit(&weft_global.epoch, 1, memory_order_release);
    if (weft_running != NULL) {
        weft_segment_close_fd(&weft_running->segment, false); /* the parent's: the child never reserves in it */
        weft_running->retired_next = weft_retired;
        weft_retired = weft_running;
    }
    weft_running = NULL;
    weft_refcount = 0;
    weft_threads_on_fork_child();
    weft_clock_on_fork_child();
    weft_process_ctx_on_fork_child();
    pthread_mutex_init(&weft_init_lock, NULL);
}

static void weft_atfork_prepare(void) {
    pthread_mutex_lock(&weft_init_lock);
}

static void weft_atfork_parent(void) {
    pthread_mutex_unlock(&weft_init_lock);
}

static void weft_register_atfork(void) {
    pthread_atfork(weft_atfork_prepare, weft_atfork_parent, weft_atfork_child);
}

/* --------------------------------------------------------------- init */

static struct weft_tracer *weft_find_or_add_tracer(const char *name, const char *version) {
    size_t name_length = weft_utf8_cut(name, strlen(name), WEFT_ABI_SCOPE_NAME_MAX);
    size_t version_length = version != NULL ? weft_utf8_cut(version, strlen(version), WEFT_ABI_SCOPE_VERSION_MAX) : 0;
    for (uint16_t i = 0; i < weft_tracer_count; i++) {
        struct weft_tracer *t = &weft_tracers[i];
        if (t->name_length == name_length && t->version_length == version_length &&
            memcmp(t->name, name, name_length) == 0 &&
            (version_length == 0 || memcmp(t->version, version, version_length) == 0)) {
            return t;
        }
    }
    if (weft_tracer_count == WEFT_ABI_MAX_SCOPES) {
        return NULL;
    }
    struct weft_tracer *t = &weft_tracers[weft_tracer_count];
    t->scope_index = weft_tracer_count++;
    t->name_length = (uint16_t)name_length;
    t->version_length = (uint16_t)version_length;
    memcpy(t->name, name, name_length);
    if (version_length > 0) {
        memcpy(t->version, version, version_length);
    }
    return t;
}

static int64_t weft_clock_nanos(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * INT64_C(1000000000) + (int64_t)ts.tv_nsec;
}

/**
 * CLOCK_REALTIME - CLOCK_MONOTONIC, the anchor of every timestamp until the next init. A
 * preemption between two reads would skew every span by its length, so the wall clock is read
 * between two monotonic reads and the sample with the smallest gap of a few wins.
 */
static int64_t weft_measure_clock_offset(void) {
    int64_t best_gap = INT64_MAX, offset = 0;
    for (int i = 0; i < 16; i++) {
        int64_t before = weft_clock_nanos(CLOCK_MONOTONIC);
        int64_t real = weft_clock_nanos(CLOCK_REALTIME);
        int64_t after = weft_clock_nanos(CLOCK_MONOTONIC);
        if (after - before < best_gap) {
            best_gap = after - before;
            offset = real - (before + (after - before) / 2);
        }
    }
    return offset;
}

static int64_t weft_ratio_bound(double ratio) {
    if (ratio >= 1.0) {
        return INT64_MAX;
    }
    return (int64_t)(ratio * (double)INT64_MAX);
}

static int weft_start(const weft_config_t *config) {
    weft_runtime_t *rt = calloc(1, sizeof *rt); /* retired, never freed, at shutdown */
    if (rt == NULL) {
        snprintf(weft_error, sizeof weft_error, "weft: out of memory");
        return -ENOMEM;
    }
    /* The clock first: a bad WEFT_CLOCK fails the start before a segment exists. */
    weft_global.clock_offset_nanos = weft_measure_clock_offset();
    int rc = weft_clock_start(weft_error, sizeof weft_error);
    if (rc != 0) {
        free(rt);
        return rc;
    }
    rc = weft_segment_create(&rt->segment, config, weft_error, sizeof weft_error);
    if (rc != 0) {
        free(rt);
        return rc;
    }
    rt->max_value_length = config->max_value_length;
    /* off as well when another object defines otel_thread_ctx_v1 (otel_writers.c: it is left to that writer) */
    weft_store_relaxed(&rt->otel_thread_ctx, config->otel_thread_ctx && weft_thread_ctx_allowed());
    rt->sampler = config->sampler;
    weft_sampler_decisions(config->sampler, &rt->sample_root, &rt->sample_child);
    rt->ratio_bound = weft_ratio_bound(config->sampler_ratio);
    rt->has_env_parent = config->has_env_parent;
    rt->env_parent = config->env_parent;
    memcpy(rt->env_parent_ctx.trace_id, config->env_parent.trace_id, 16);
    memcpy(rt->env_parent_ctx.span_id, config->env_parent.span_id, 8);
    rt->env_parent_ctx.valid = 1;
    rt->env_parent_ctx.trace_flags = config->env_parent.trace_flags;
    for (uint16_t i = 0; i < weft_tracer_count; i++) {
        weft_segment_publish_scope(&rt->segment, &weft_tracers[i]);
    }
    weft_running = rt;
    /* release: threads that acquire the runtime see it, its segment and the clock anchor complete */
    weft_store_release(&weft_global.runtime, rt);
    atomic_fetch_add_explicit(&weft_global.epoch, 1, memory_order_release);
    weft_process_ctx_on_start(); /* OTEP 4719; a failure is logged once and does not stop recording */
    return 0;
}

int weft_init_with_config(const weft_config_t *config, const char *scope_name, const char *scope_version,
                          weft_tracer_t **tracer) {
    if (config == NULL || scope_name == NULL || scope_name[0] == '\0' || tracer == NULL) {
        snprintf(weft_error, sizeof weft_error, "weft: weft_init needs a configuration, a scope name and a tracer");
        return -EINVAL;
    }
    pthread_once(&weft_atfork_once, weft_register_atfork);
    weft_otel_writers_recheck(); /* a library loaded since the last look may define otel_thread_ctx_v1 */
    weft_thread_t *self = weft_self();
    self->in_init = 1; /* a signal handler's first span on this thread must not start Weft lazily now */
    pthread_mutex_lock(&weft_init_lock);
#ifdef WEFT_TESTING
    if (weft_testing_under_init_lock != NULL) {
        weft_testing_under_init_lock(); /* test_lazy_signal: a signal arrives while the lock is held */
    }
#endif
    int rc = 0;
    struct weft_tracer *t = weft_find_or_add_tracer(scope_name, scope_version);
    if (t == NULL) {
        snprintf(weft_error, sizeof weft_error, "weft: more than %u instrumentation scopes", WEFT_ABI_MAX_SCOPES);
        rc = -ENOSPC;
    } else if (!config->enabled) {
        snprintf(weft_error, sizeof weft_error, "weft: disabled by configuration (WEFT_ENABLED=false)");
        rc = -ECANCELED;
    } else if (weft_refcount == 0 && (rc = weft_validate_config(config)) == 0) {
        rc = weft_start(config);
        if (rc == 0) {
            weft_origin = WEFT_ORIGIN_INIT;
        }
    }
    if (rc == 0) {
        weft_refcount++;
        if (weft_running != NULL) {
            weft_segment_publish_scope(&weft_running->segment, t);
        }
        weft_error[0] = '\0';
    }
    *tracer = t;
    pthread_mutex_unlock(&weft_init_lock);
    self->in_init = 0;
    return rc;
}

int weft_init(const char *scope_name, const char *scope_version, weft_tracer_t **tracer) {
    weft_config_t config;
    int rc = weft_config_from_env(&config);
    if (rc != 0) {
        if (tracer != NULL) {
            *tracer = NULL;
        }
        return rc;
    }
    return weft_init_with_config(&config, scope_name, scope_version, tracer);
}

int weft_shutdown(void) {
    weft_thread_t *self = weft_self();
    self->in_init = 1;
    pthread_mutex_lock(&weft_init_lock);
    int rc = 0;
    if (weft_refcount == 0) {
        rc = -EINVAL;
    } else if (--weft_refcount == 0) {
        weft_store_release(&weft_global.runtime, NULL);
        /* a new epoch: every thread drops its binding on its next call */
        atomic_fetch_add_explicit(&weft_global.epoch, 1, memory_order_release);
        weft_segment_close(&weft_running->segment);
        weft_segment_close_fd(&weft_running->segment, true);
        weft_process_ctx_on_shutdown();
        weft_running->retired_next = weft_retired;
        weft_retired = weft_running;
        weft_running = NULL;
    }
    pthread_mutex_unlock(&weft_init_lock);
    self->in_init = 0;
    return rc;
}

int weft_segment_path(char *buf, size_t size) {
    pthread_mutex_lock(&weft_init_lock);
    int rc;
    if (weft_running == NULL) {
        rc = -ENOENT;
    } else {
        size_t length = strlen(weft_running->segment.path);
        if (buf == NULL || length + 1 > size) {
            rc = -ERANGE;
        } else {
            memcpy(buf, weft_running->segment.path, length + 1);
            rc = (int)length;
        }
    }
    pthread_mutex_unlock(&weft_init_lock);
    return rc;
}

/* ------------------------------------------------ tracers without init */

weft_tracer_t *weft_scope_register(const char *scope_name, const char *scope_version) {
    if (scope_name == NULL || scope_name[0] == '\0') {
        return NULL;
    }
    weft_thread_t *self = weft_self();
    if (self->in_init) {
        return NULL; /* a signal handler interrupted weft_init on this thread: its lock is held */
    }
    self->in_init = 1;
    pthread_mutex_lock(&weft_init_lock);
    struct weft_tracer *t = weft_find_or_add_tracer(scope_name, scope_version);
    if (t != NULL && weft_running != NULL) {
        weft_segment_publish_scope(&weft_running->segment, t);
    }
    pthread_mutex_unlock(&weft_init_lock);
    self->in_init = 0;
    return t;
}

/* ---------------------------------------------------------- lazy start */

int weft_start_lazily(char *message, size_t message_size) {
    message[0] = '\0';
    pthread_once(&weft_atfork_once, weft_register_atfork);
    pthread_mutex_lock(&weft_init_lock);
    int rc = 0;
    if (weft_origin != WEFT_ORIGIN_NONE) {
        rc = weft_running != NULL ? 0 : -ECANCELED; /* another thread (or weft_init) got here first */
    } else {
        weft_config_t config;
        rc = weft_config_from_env(&config);
        if (rc == 0 && !config.enabled) {
            rc = -ECANCELED;
            weft_origin = WEFT_ORIGIN_DISABLED;
        } else {
            if (rc == 0 && (rc = weft_validate_config(&config)) == 0) {
                rc = weft_start(&config);
            }
            if (rc == 0) {
                weft_refcount = 1; /* the process's own reference: the first weft_shutdown ends it */
                weft_origin = WEFT_ORIGIN_LAZY;
                weft_error[0] = '\0';
            } else {
                weft_origin = WEFT_ORIGIN_FAILED;
                weft_start_error = rc;
                snprintf(message, message_size, "%s", weft_error);
                snprintf(weft_start_message, sizeof weft_start_message, "%s", weft_error);
            }
        }
    }
    pthread_mutex_unlock(&weft_init_lock);
    return rc;
}

void weft_set_start_message(const char *message) {
    pthread_mutex_lock(&weft_init_lock);
    snprintf(weft_start_message, sizeof weft_start_message, "%.*s", (int)sizeof weft_start_message - 1, message);
    pthread_mutex_unlock(&weft_init_lock);
}

int weft_get_status(weft_status_t *out) {
    if (out == NULL) {
        return -EINVAL;
    }
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&weft_init_lock);
    if (weft_running != NULL) {
        out->state = WEFT_STATE_RUNNING;
    } else {
        switch (weft_origin) {
        case WEFT_ORIGIN_NONE: out->state = WEFT_STATE_NOT_STARTED; break;
        case WEFT_ORIGIN_FAILED: out->state = WEFT_STATE_FAILED; break;
        case WEFT_ORIGIN_DISABLED: out->state = WEFT_STATE_DISABLED; break;
        default: out->state = WEFT_STATE_SHUT_DOWN; break;
        }
    }
    out->started_lazily = weft_origin == WEFT_ORIGIN_LAZY ? 1 : 0;
    out->scope_count = weft_tracer_count;
    out->error = weft_origin == WEFT_ORIGIN_FAILED ? weft_start_error : 0;
    if (weft_origin == WEFT_ORIGIN_FAILED) {
        snprintf(out->message, sizeof out->message, "%s", weft_start_message);
    }
    pthread_mutex_unlock(&weft_init_lock);
    return 0;
}
