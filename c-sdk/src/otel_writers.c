/*
 * otel_writers.c - finding other writers of the OpenTelemetry thread and process contexts in this
 * process, so that Weft behaves predictably beside a profiler that ships its own (docs/
 * architecture.md "Two writers"). Slow path only: at the first start, then again whenever the dynamic
 * loader's count of objects has changed, checked at weft_init, at a thread's registration of a runtime's
 * record, at a process-context update and at weft_otel_get_status; never on the recording hot path.
 * Internal to libweft; not installed.
 */
#define _GNU_SOURCE
#include "otel_writers.h"

#include "process_ctx.h"
#include "thread.h"

#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WEFT_OTEL_TLS_SYMBOL "otel_thread_ctx_v1"

typedef struct weft_tls_search {
    uintptr_t self_code;        /* an address in libweft's own code */
    const void *accessed;       /* &otel_thread_ctx_v1 as libweft's code resolves it */
    bool other;
    bool interposed;
    bool own_found;
    char who[512];
} weft_tls_search_t;

static uint32_t weft_gnu_hash(const char *s) {
    uint32_t h = 5381;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        h = h * 33u + *p;
    }
    return h;
}

static uint32_t weft_sysv_hash(const char *s) {
    uint32_t h = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        h = (h << 4) + *p;
        uint32_t g = h & 0xf0000000u;
        if (g != 0) {
            h ^= g >> 24;
        }
        h &= ~g;
    }
    return h;
}

/** glibc relocates these d_ptr in place; the vDSO's are not: add the base when they look unrelocated. */
static uintptr_t weft_dyn_ptr(const struct dl_phdr_info *info, ElfW(Addr) p) {
    return p < info->dlpi_addr ? (uintptr_t)(info->dlpi_addr + p) : (uintptr_t)p;
}

static const ElfW(Sym) *weft_lookup(const ElfW(Sym) *symtab, const char *strtab, const uint32_t *gnu_hash,
                                    const uint32_t *sysv_hash, const char *name) {
    if (gnu_hash != NULL) {
        uint32_t nbuckets = gnu_hash[0], symoffset = gnu_hash[1], bloom_size = gnu_hash[2];
        const ElfW(Addr) *bloom = (const ElfW(Addr) *)(const void *)(gnu_hash + 4);
        const uint32_t *buckets = (const uint32_t *)(const void *)(bloom + bloom_size);
        const uint32_t *chain = buckets + nbuckets;
        uint32_t h = weft_gnu_hash(name);
        if (nbuckets == 0) {
            return NULL;
        }
        uint32_t i = buckets[h % nbuckets];
        if (i < symoffset) {
            return NULL;
        }
        for (;; i++) {
            uint32_t ch = chain[i - symoffset];
            if ((ch | 1u) == (h | 1u) && strcmp(strtab + symtab[i].st_name, name) == 0) {
                return &symtab[i];
            }
            if (ch & 1u) {
                return NULL;
            }
        }
    }
    if (sysv_hash != NULL) {
        uint32_t nbucket = sysv_hash[0];
        const uint32_t *bucket = sysv_hash + 2, *chain = bucket + nbucket;
        if (nbucket == 0) {
            return NULL;
        }
        for (uint32_t i = bucket[weft_sysv_hash(name) % nbucket]; i != STN_UNDEF; i = chain[i]) {
            if (strcmp(strtab + symtab[i].st_name, name) == 0) {
                return &symtab[i];
            }
        }
    }
    return NULL;
}

static bool weft_object_contains(const struct dl_phdr_info *info, uintptr_t address) {
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = (uintptr_t)(info->dlpi_addr + ph->p_vaddr);
        if (ph->p_type == PT_LOAD && address >= start && address - start < ph->p_memsz) {
            return true;
        }
    }
    return false;
}

static int weft_visit_object(struct dl_phdr_info *info, size_t size, void *data) {
    weft_tls_search_t *s = data;
    (void)size;
    const ElfW(Dyn) *dyn = NULL;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC) {
            dyn = (const ElfW(Dyn) *)(uintptr_t)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
        }
    }
    if (dyn == NULL) {
        return 0;
    }
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    const uint32_t *gnu_hash = NULL, *sysv_hash = NULL;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_SYMTAB: symtab = (const ElfW(Sym) *)weft_dyn_ptr(info, dyn->d_un.d_ptr); break;
        case DT_STRTAB: strtab = (const char *)weft_dyn_ptr(info, dyn->d_un.d_ptr); break;
        case DT_GNU_HASH: gnu_hash = (const uint32_t *)weft_dyn_ptr(info, dyn->d_un.d_ptr); break;
        case DT_HASH: sysv_hash = (const uint32_t *)weft_dyn_ptr(info, dyn->d_un.d_ptr); break;
        default: break;
        }
    }
    if (symtab == NULL || strtab == NULL) {
        return 0;
    }
    const ElfW(Sym) *sym = weft_lookup(symtab, strtab, gnu_hash, sysv_hash, WEFT_OTEL_TLS_SYMBOL);
    if (sym == NULL || sym->st_shndx == SHN_UNDEF || ELF64_ST_TYPE(sym->st_info) != STT_TLS) {
        return 0;
    }
    bool own = weft_object_contains(info, s->self_code);
    /* dlpi_tls_data: this thread's block of the object's TLS segment (NULL if not allocated yet) */
    const void *instance =
        info->dlpi_tls_data != NULL ? (const void *)((const char *)info->dlpi_tls_data + sym->st_value) : NULL;
    if (own) {
        s->own_found = true;
        if (instance != NULL && instance != s->accessed) {
            s->interposed = true;
        }
    } else if (!s->other) {
        s->other = true;
        snprintf(s->who, sizeof s->who, "%s", info->dlpi_name[0] != '\0' ? info->dlpi_name : "the main program");
        if (instance != NULL && instance == s->accessed) {
            s->interposed = true;
        }
    }
    return 0;
}

bool weft_find_other_thread_ctx(char *who, size_t who_size, bool *interposed) {
    weft_tls_search_t s = {0};
    s.self_code = (uintptr_t)&weft_find_other_thread_ctx;
    s.accessed = (const void *)&otel_thread_ctx_v1;
    dl_iterate_phdr(weft_visit_object, &s);
    if (who != NULL && who_size > 0) {
        snprintf(who, who_size, "%s", s.other ? s.who : "");
    }
    if (interposed != NULL) {
        *interposed = s.interposed;
    }
    return s.other || s.interposed;
}

static bool weft_is_otel_ctx_name(const char *name) {
    static const char *const names[] = {"[anon_shmem:OTEL_CTX]", "[anon:OTEL_CTX]", "/memfd:OTEL_CTX"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strncmp(name, names[i], strlen(names[i])) == 0) {
            return true;
        }
    }
    return false;
}

bool weft_find_other_process_ctx(const void *ours, char *where, size_t where_size) {
    if (where != NULL && where_size > 0) {
        where[0] = '\0';
    }
    FILE *maps = fopen("/proc/self/maps", "re");
    if (maps == NULL) {
        return false;
    }
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof line, maps) != NULL) {
        unsigned long start = 0;
        int name_at = 0;
        /* start-end perms offset dev inode name */
        if (sscanf(line, "%lx-%*x %*s %*x %*s %*u %n", &start, &name_at) < 1 || name_at <= 0) {
            continue;
        }
        if (weft_is_otel_ctx_name(line + name_at) && (uintptr_t)start != (uintptr_t)ours) {
            found = true;
            line[strcspn(line, "\n")] = '\0';
            if (where != NULL && where_size > 0) {
                snprintf(where, where_size, "%s", line);
            }
        }
    }
    fclose(maps);
    return found;
}

static pthread_once_t weft_thread_ctx_once = PTHREAD_ONCE_INIT;
static _Atomic bool weft_thread_ctx_on;
/* weft_thread_context_switch: what runtimes that write their records themselves read at each
 * change; alone in its cache line (read by every thread, written once) */
static _Alignas(64) _Atomic uint32_t weft_thread_ctx_switch_word;
/* the reason, and the loader's counts of objects added and removed when they were last looked at */
static pthread_mutex_t weft_writers_lock = PTHREAD_MUTEX_INITIALIZER;
static char weft_thread_ctx_why[1280]; /* under weft_writers_lock once decided */
static unsigned long long weft_seen_adds, weft_seen_subs;

typedef struct weft_load_counts {
    unsigned long long adds, subs;
    bool known;
} weft_load_counts_t;

static int weft_read_counts(struct dl_phdr_info *info, size_t size, void *data) {
    weft_load_counts_t *c = data;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
        c->adds = info->dlpi_adds;
        c->subs = info->dlpi_subs;
        c->known = true;
    }
    return 1; /* the counts are the same in every object's info: the first one is enough */
}

static weft_load_counts_t weft_load_counts(void) {
    weft_load_counts_t c = {0, 0, false};
    dl_iterate_phdr(weft_read_counts, &c);
    return c;
}

static void weft_thread_ctx_decide(void) {
    weft_load_counts_t counts = weft_load_counts();
    weft_seen_adds = counts.adds;
    weft_seen_subs = counts.subs;
    const char *v = getenv("WEFT_OTEL_THREAD_CTX");
    if (v != NULL && (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcasecmp(v, "no") == 0)) {
        snprintf(weft_thread_ctx_why, sizeof weft_thread_ctx_why, "turned off by WEFT_OTEL_THREAD_CTX=%s", v);
        return;
    }
    char who[512];
    bool interposed = false;
    if (weft_find_other_thread_ctx(who, sizeof who, &interposed)) {
        snprintf(weft_thread_ctx_why, sizeof weft_thread_ctx_why,
                 "another writer defines otel_thread_ctx_v1 (%s%s): Weft leaves the OpenTelemetry thread context "
                 "to it and publishes none of its spans there (the spans are recorded and exported as usual); "
                 "to have Weft publish instead, remove the other writer or turn its thread context off",
                 who[0] != '\0' ? who : "unknown object", interposed ? ", found first by the dynamic linker" : "");
        fprintf(stderr, "weft: %s\n", weft_thread_ctx_why);
        return;
    }
    weft_store_relaxed(&weft_thread_ctx_on, true);
    weft_store_relaxed(&weft_thread_ctx_switch_word, 1u);
}

const volatile uint32_t *weft_thread_context_switch(void) {
    if (!weft_thread_ctx_allowed()) {
        return NULL;
    }
    return (const volatile uint32_t *)(const void *)&weft_thread_ctx_switch_word;
}

bool weft_thread_ctx_allowed(void) {
    pthread_once(&weft_thread_ctx_once, weft_thread_ctx_decide);
    return weft_load_relaxed(&weft_thread_ctx_on);
}

void weft_thread_ctx_reason(char *out, size_t out_size) {
    pthread_once(&weft_thread_ctx_once, weft_thread_ctx_decide);
    pthread_mutex_lock(&weft_writers_lock);
    snprintf(out, out_size, "%s", weft_thread_ctx_why);
    pthread_mutex_unlock(&weft_writers_lock);
}

void weft_otel_writers_recheck(void) {
    if (!weft_thread_ctx_allowed()) {
        return; /* already yielded, or off: for good */
    }
    weft_load_counts_t counts = weft_load_counts();
    char who[512];
    bool interposed = false, yielded = false;
    pthread_mutex_lock(&weft_writers_lock);
    if (!counts.known || counts.adds != weft_seen_adds || counts.subs != weft_seen_subs) {
        weft_seen_adds = counts.adds;
        weft_seen_subs = counts.subs;
        if (weft_load_relaxed(&weft_thread_ctx_on) && weft_find_other_thread_ctx(who, sizeof who, &interposed)) {
            snprintf(weft_thread_ctx_why, sizeof weft_thread_ctx_why,
                     "another writer of otel_thread_ctx_v1 was loaded after Weft started (%s%s): Weft now leaves the "
                     "OpenTelemetry thread context to it and publishes none of its spans there (each thread stops "
                     "at its next native span, attach or JVM context change; the spans are recorded and exported as "
                     "usual); to have Weft publish instead, remove the other writer or turn its thread context off",
                     who[0] != '\0' ? who : "unknown object", interposed ? ", which Weft's own accesses resolve to" : "");
            weft_store_relaxed(&weft_thread_ctx_on, false);
            /* runtimes writing their records (the JVM) stop at their next change and withdraw */
            weft_store_release(&weft_thread_ctx_switch_word, 0u);
            weft_runtime_t *rt = (weft_runtime_t *)weft_load_acquire(&weft_global.runtime);
            if (rt != NULL) {
                weft_store_relaxed(&rt->otel_thread_ctx, false); /* the recording threads stop publishing */
            }
            yielded = true;
            fprintf(stderr, "weft: %s\n", weft_thread_ctx_why);
        }
    }
    pthread_mutex_unlock(&weft_writers_lock);
    if (yielded) {
        weft_process_ctx_republish(); /* without the threadlocal.* keys */
    }
}
