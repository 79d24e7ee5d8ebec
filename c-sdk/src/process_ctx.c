/*
 * process_ctx.c - the OpenTelemetry process context (OTEP 4719, header version 2): this process's
 * Resource, as a ProcessContext protobuf, in a mapping named OTEL_CTX, plus OTEP 4947's
 * threadlocal.* reference data. Published at start with the Resource the native side knows; a
 * runtime (the JVM, through JNI) replaces it with its own; updated by the OTEP's updating
 * protocol; removed at the last shutdown; not inherited by a fork child (MADV_DONTFORK).
 * Slow path only (a mutex, system calls, an allocation).
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "process_ctx.h"

#include "otel_writers.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#endif
#ifndef PR_SET_VMA_ANON_NAME
#define PR_SET_VMA_ANON_NAME 0
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001u
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002u
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008u
#endif

/* OTEP 4719 asks for full fences between the header's and the payload's stores. TSan cannot model
 * fences (GCC refuses them with -fsanitize=thread): there, a seq_cst read-modify-write stands in. */
#if defined(__SANITIZE_THREAD__)
static _Atomic uint64_t weft_pctx_fence_word;
#define weft_pctx_fence() ((void)atomic_fetch_add_explicit(&weft_pctx_fence_word, 0, memory_order_seq_cst))
#else
#define weft_pctx_fence() atomic_thread_fence(memory_order_seq_cst)
#endif

/* header + the largest payload, in one mapping (pages are only touched as far as the payload goes) */
#define WEFT_PROCESS_CTX_MAP_SIZE (((sizeof(weft_process_ctx_header_t) + WEFT_PROCESS_CTX_MAX_PAYLOAD) + 4095u) & ~(size_t)4095u)

static pthread_mutex_t weft_pctx_lock = PTHREAD_MUTEX_INITIALIZER;
static weft_process_ctx_header_t *weft_pctx;  /* the mapping, NULL if none */
static uint8_t *weft_pctx_resource;           /* a runtime's Resource (encoded), NULL: the native one */
static size_t weft_pctx_resource_size;
static char weft_pctx_why[768];               /* why none is published, "" if one is */
static bool weft_pctx_logged;

/* ------------------------------------------------------------ a small protobuf writer */

typedef struct weft_pb {
    uint8_t *p;
    size_t len, cap;
    bool overflow;
} weft_pb_t;

static void weft_pb_bytes(weft_pb_t *b, const void *data, size_t n) {
    if (b->overflow || n > b->cap - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void weft_pb_varint(weft_pb_t *b, uint64_t v) {
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n++] = (uint8_t)((v & 0x7fu) | (v >= 0x80u ? 0x80u : 0u));
        v >>= 7;
    } while (v != 0);
    weft_pb_bytes(b, tmp, n);
}

static void weft_pb_len_field(weft_pb_t *b, uint32_t field, const void *data, size_t n) {
    weft_pb_varint(b, ((uint64_t)field << 3) | 2u);
    weft_pb_varint(b, n);
    weft_pb_bytes(b, data, n);
}

/* A KeyValue with a string or int value, encoded into `out`. */
static void weft_pb_kv_string(weft_pb_t *out, uint32_t field, const char *key, const char *value, size_t value_len) {
    uint8_t any[1200], kv[1400];
    weft_pb_t a = {any, 0, sizeof any, false}, k = {kv, 0, sizeof kv, false};
    weft_pb_len_field(&a, 1, value, value_len); /* AnyValue.string_value */
    weft_pb_len_field(&k, 1, key, strlen(key));  /* KeyValue.key */
    weft_pb_len_field(&k, 2, any, a.len);        /* KeyValue.value */
    if (a.overflow || k.overflow) {
        return; /* a value over the limits below: left out */
    }
    weft_pb_len_field(out, field, kv, k.len);
}

static void weft_pb_kv_int(weft_pb_t *out, uint32_t field, const char *key, int64_t value) {
    uint8_t any[16], kv[300];
    weft_pb_t a = {any, 0, sizeof any, false}, k = {kv, 0, sizeof kv, false};
    weft_pb_varint(&a, (3u << 3) | 0u); /* AnyValue.int_value */
    weft_pb_varint(&a, (uint64_t)value);
    weft_pb_len_field(&k, 1, key, strlen(key));
    weft_pb_len_field(&k, 2, any, a.len);
    if (!k.overflow) {
        weft_pb_len_field(out, field, kv, k.len);
    }
}

/* ------------------------------------------------------------ the native Resource */

#define WEFT_RES_MAX 48

typedef struct weft_res_attr {
    char key[128];
    char value[1024];
    bool is_int;
    int64_t int_value;
} weft_res_attr_t;

typedef struct weft_res {
    weft_res_attr_t attr[WEFT_RES_MAX];
    size_t count;
} weft_res_t;

static void weft_res_put(weft_res_t *r, const char *key, size_t key_len, const char *value, size_t value_len,
                         bool is_int, int64_t int_value) {
    if (key_len == 0 || key_len >= sizeof r->attr[0].key || value_len >= sizeof r->attr[0].value) {
        return;
    }
    size_t i = 0;
    while (i < r->count && !(strlen(r->attr[i].key) == key_len && memcmp(r->attr[i].key, key, key_len) == 0)) {
        i++;
    }
    if (i == r->count) {
        if (r->count == WEFT_RES_MAX) {
            return;
        }
        r->count++;
    }
    memcpy(r->attr[i].key, key, key_len);
    r->attr[i].key[key_len] = '\0';
    memcpy(r->attr[i].value, value, value_len);
    r->attr[i].value[value_len] = '\0';
    r->attr[i].is_int = is_int;
    r->attr[i].int_value = int_value;
}

static int weft_hex_digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* OTEL_RESOURCE_ATTRIBUTES: key=value pairs separated by commas, values percent-encoded (W3C Baggage octets). */
static void weft_res_from_env(weft_res_t *r, const char *text) {
    while (text != NULL && *text != '\0') {
        const char *end = strchr(text, ',');
        size_t n = end != NULL ? (size_t)(end - text) : strlen(text);
        const char *eq = memchr(text, '=', n);
        if (eq != NULL) {
            const char *k = text, *v = eq + 1;
            size_t kn = (size_t)(eq - text), vn = n - kn - 1;
            while (kn > 0 && (*k == ' ' || *k == '\t')) { k++; kn--; }
            while (kn > 0 && (k[kn - 1] == ' ' || k[kn - 1] == '\t')) { kn--; }
            while (vn > 0 && (*v == ' ' || *v == '\t')) { v++; vn--; }
            while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t')) { vn--; }
            char value[1024];
            size_t out = 0;
            for (size_t i = 0; i < vn && out + 1 < sizeof value; i++) {
                int hi, lo;
                if (v[i] == '%' && i + 2 < vn && (hi = weft_hex_digit(v[i + 1])) >= 0 &&
                    (lo = weft_hex_digit(v[i + 2])) >= 0) {
                    value[out++] = (char)(hi << 4 | lo);
                    i += 2;
                } else {
                    value[out++] = v[i];
                }
            }
            weft_res_put(r, k, kn, value, out, false, 0);
        }
        text = end != NULL ? end + 1 : NULL;
    }
}

static void weft_res_native(weft_res_t *r) {
    char exe[512] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *base = strrchr(exe, '/');
    base = base != NULL ? base + 1 : exe;
    char service[600];
    snprintf(service, sizeof service, "unknown_service:%s", base);
    weft_res_put(r, "service.name", 12, service, strlen(service), false, 0);
    weft_res_put(r, "telemetry.sdk.name", 18, "weft", 4, false, 0);
    weft_res_put(r, "telemetry.sdk.language", 22, "cpp", 3, false, 0);
    char version[32];
    snprintf(version, sizeof version, "%d.%d.%d", WEFT_VERSION_MAJOR, WEFT_VERSION_MINOR, WEFT_VERSION_PATCH);
    weft_res_put(r, "telemetry.sdk.version", 21, version, strlen(version), false, 0);
    weft_res_put(r, "process.pid", 11, "", 0, true, (int64_t)getpid());
    if (base[0] != '\0') {
        weft_res_put(r, "process.executable.name", 23, base, strlen(base), false, 0);
        weft_res_put(r, "process.executable.path", 23, exe, strlen(exe), false, 0);
    }
    weft_res_from_env(r, getenv("OTEL_RESOURCE_ATTRIBUTES"));
    const char *name = getenv("OTEL_SERVICE_NAME");
    if (name != NULL && name[0] != '\0') {
        weft_res_put(r, "service.name", 12, name, strlen(name), false, 0);
    }
}

/* ------------------------------------------------------------ the mapping */

static uint64_t weft_boottime_nanos(void) {
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void weft_pctx_name(void *map) {
    /* may fail (Linux < 5.17 or no CONFIG_ANON_VMA_NAME): the memfd's name still finds it */
    (void)prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)map, WEFT_PROCESS_CTX_MAP_SIZE,
                (unsigned long)"OTEL_CTX");
}

static weft_process_ctx_header_t *weft_pctx_map(char *why, size_t why_size) {
    int fd = memfd_create("OTEL_CTX", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
    if (fd < 0) {
        fd = memfd_create("OTEL_CTX", MFD_CLOEXEC | MFD_ALLOW_SEALING); /* MFD_NOEXEC_SEAL: Linux 6.3+ */
    }
    void *map = MAP_FAILED;
    if (fd >= 0) {
        if (ftruncate(fd, (off_t)WEFT_PROCESS_CTX_MAP_SIZE) == 0) {
            map = mmap(NULL, WEFT_PROCESS_CTX_MAP_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        }
        close(fd);
    }
    bool memfd = map != MAP_FAILED;
    if (!memfd) {
        map = mmap(NULL, WEFT_PROCESS_CTX_MAP_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (map == MAP_FAILED) {
            snprintf(why, why_size, "mmap failed: %s", strerror(errno));
            return NULL;
        }
    }
    if (madvise(map, WEFT_PROCESS_CTX_MAP_SIZE, MADV_DONTFORK) != 0) {
        snprintf(why, why_size, "madvise(MADV_DONTFORK) failed: %s", strerror(errno));
        munmap(map, WEFT_PROCESS_CTX_MAP_SIZE);
        return NULL;
    }
    if (!memfd && prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)map, WEFT_PROCESS_CTX_MAP_SIZE,
                        (unsigned long)"OTEL_CTX") != 0) {
        /* neither a memfd nor a name: readers could not find it (OTEP 4719: an error) */
        snprintf(why, why_size, "neither memfd_create nor naming the mapping (PR_SET_VMA_ANON_NAME) works here");
        munmap(map, WEFT_PROCESS_CTX_MAP_SIZE);
        return NULL;
    }
    return (weft_process_ctx_header_t *)map;
}

/* Encodes the ProcessContext for `resource` (an encoded Resource, or NULL: the native one). */
static size_t weft_pctx_encode(uint8_t *out, size_t cap, const uint8_t *resource, size_t resource_size) {
    weft_pb_t b = {out, 0, cap, false};
    if (resource != NULL) {
        weft_pb_len_field(&b, 1, resource, resource_size);
    } else {
        static weft_res_t r; /* under weft_pctx_lock */
        memset(&r, 0, sizeof r);
        weft_res_native(&r);
        uint8_t res[16384];
        weft_pb_t rb = {res, 0, sizeof res, false};
        for (size_t i = 0; i < r.count; i++) {
            if (r.attr[i].is_int) {
                weft_pb_kv_int(&rb, 1, r.attr[i].key, r.attr[i].int_value);
            } else {
                weft_pb_kv_string(&rb, 1, r.attr[i].key, r.attr[i].value, strlen(r.attr[i].value));
            }
        }
        weft_pb_len_field(&b, 1, res, rb.len);
    }
    if (!weft_thread_ctx_allowed()) {
        return b.overflow ? 0 : b.len; /* no thread context from Weft: readers need not look for one */
    }
    /* OTEP 4947 reference data: the schema, and no attribute keys (Weft's records carry none) */
    weft_pb_kv_string(&b, 2, "threadlocal.schema_version", WEFT_THREADLOCAL_SCHEMA_VERSION,
                      strlen(WEFT_THREADLOCAL_SCHEMA_VERSION));
    uint8_t kv[64];
    weft_pb_t k = {kv, 0, sizeof kv, false};
    const char *key = "threadlocal.attribute_key_map";
    weft_pb_len_field(&k, 1, key, strlen(key));
    weft_pb_len_field(&k, 2, "\x2a\x00", 2); /* AnyValue { array_value = ArrayValue {} } */
    weft_pb_len_field(&b, 2, kv, k.len);
    return b.overflow ? 0 : b.len;
}

/* Publishes or updates; under weft_pctx_lock. @return 0 or a negative errno (reason in weft_pctx_why). */
static int weft_pctx_publish_locked(void) {
    char why[512] = "";
    if (weft_pctx == NULL) {
        if (weft_find_other_process_ctx(NULL, why, sizeof why)) {
            snprintf(weft_pctx_why, sizeof weft_pctx_why,
                     "another OpenTelemetry process context is published in this process (%s): Weft publishes none "
                     "(OTEP 4719 allows one per process)", why);
            return -EEXIST;
        }
        weft_pctx = weft_pctx_map(why, sizeof why);
        if (weft_pctx == NULL) {
            snprintf(weft_pctx_why, sizeof weft_pctx_why, "no OpenTelemetry process context: %s", why);
            return -ENOTSUP;
        }
    }
    weft_process_ctx_header_t *h = weft_pctx;
    uint8_t *payload = (uint8_t *)(h + 1);
    uint64_t previous = __atomic_load_n(&h->monotonic_published_at_ns, __ATOMIC_RELAXED);
    if (previous != 0) {
        /* updating protocol: 0 first, so that a reader racing with us retries */
        __atomic_store_n(&h->monotonic_published_at_ns, 0, __ATOMIC_RELAXED);
        weft_pctx_fence();
    }
    size_t n = weft_pctx_encode(payload, WEFT_PROCESS_CTX_MAX_PAYLOAD, weft_pctx_resource, weft_pctx_resource_size);
    if (n == 0) {
        snprintf(weft_pctx_why, sizeof weft_pctx_why, "the Resource does not fit in %u bytes: no process context",
                 WEFT_PROCESS_CTX_MAX_PAYLOAD);
        return -E2BIG; /* published_at stays 0: readers see no context */
    }
    memcpy(h->signature, "OTEL_CTX", 8);
    h->version = WEFT_PROCESS_CTX_VERSION;
    h->payload_size = (uint32_t)n;
    h->payload = (uint64_t)(uintptr_t)payload;
    weft_pctx_fence();
    uint64_t now = weft_boottime_nanos();
    __atomic_store_n(&h->monotonic_published_at_ns, now > previous ? now : previous + 1, __ATOMIC_RELAXED);
    weft_pctx_name(h);
    weft_pctx_why[0] = '\0';
    return 0;
}

static void weft_pctx_report(int rc) {
    if (rc != 0 && !weft_pctx_logged) {
        weft_pctx_logged = true;
        fprintf(stderr, "weft: %s; profilers will not attribute this process's samples to its Resource\n",
                weft_pctx_why);
    }
}

void weft_process_ctx_on_start(void) {
    pthread_mutex_lock(&weft_pctx_lock);
    weft_pctx_report(weft_pctx_publish_locked());
    pthread_mutex_unlock(&weft_pctx_lock);
}

void weft_process_ctx_on_shutdown(void) {
    pthread_mutex_lock(&weft_pctx_lock);
    if (weft_pctx != NULL) {
        __atomic_store_n(&weft_pctx->monotonic_published_at_ns, 0, __ATOMIC_RELAXED);
        weft_pctx_fence();
        munmap(weft_pctx, WEFT_PROCESS_CTX_MAP_SIZE);
        weft_pctx = NULL;
    }
    pthread_mutex_unlock(&weft_pctx_lock);
}

void weft_process_ctx_on_fork_child(void) {
    /* MADV_DONTFORK: the child has no mapping; the parent's Resource (its service.instance.id,
     * process.pid) is not the child's. The child's own start publishes the native one. */
    pthread_mutex_init(&weft_pctx_lock, NULL);
    weft_pctx = NULL;
    free(weft_pctx_resource);
    weft_pctx_resource = NULL;
    weft_pctx_resource_size = 0;
    weft_pctx_logged = false;
}

void weft_process_ctx_republish(void) {
    pthread_mutex_lock(&weft_pctx_lock);
    if (weft_pctx != NULL) {
        weft_pctx_report(weft_pctx_publish_locked());
    }
    pthread_mutex_unlock(&weft_pctx_lock);
}

int weft_process_context_set_resource(const uint8_t *resource, size_t size) {
    if ((resource == NULL) != (size == 0) || size > WEFT_PROCESS_CTX_MAX_PAYLOAD - 256u) {
        return -EINVAL;
    }
    weft_otel_writers_recheck(); /* before the update: its payload says whether Weft has a thread context */
    uint8_t *copy = NULL;
    if (resource != NULL) {
        copy = malloc(size);
        if (copy == NULL) {
            return -ENOMEM;
        }
        memcpy(copy, resource, size);
    }
    pthread_mutex_lock(&weft_pctx_lock);
    free(weft_pctx_resource);
    weft_pctx_resource = copy;
    weft_pctx_resource_size = size;
    int rc = weft_pctx_publish_locked();
    weft_pctx_report(rc);
    pthread_mutex_unlock(&weft_pctx_lock);
    return rc;
}

int weft_otel_get_status(weft_otel_status_t *out) {
    if (out == NULL) {
        return -EINVAL;
    }
    memset(out, 0, sizeof *out);
    weft_otel_writers_recheck(); /* a writer loaded since the last look is reported now */
    out->thread_ctx = weft_thread_ctx_allowed() ? 1u : 0u;
    weft_thread_ctx_reason(out->thread_ctx_message, sizeof out->thread_ctx_message);
    pthread_mutex_lock(&weft_pctx_lock);
    out->process_ctx = weft_pctx != NULL && weft_pctx->monotonic_published_at_ns != 0 ? 1u : 0u;
    out->process_ctx_from_runtime = weft_pctx_resource != NULL ? 1u : 0u;
    out->process_ctx_address = (uint64_t)(uintptr_t)weft_pctx;
    snprintf(out->process_ctx_message, sizeof out->process_ctx_message, "%s", weft_pctx_why);
    pthread_mutex_unlock(&weft_pctx_lock);
    return 0;
}
