/*
 * otel_ctx_reader.c - an out-of-process reader of the OpenTelemetry process context (OTEP 4719)
 * and thread context (OTEP 4947), as a profiler reads them, with ptrace and process_vm_readv
 * instead of eBPF; and the test that checks what it reads against the truth file the sampled
 * process keeps (otel_ctx_truth.h).
 *
 *   otel_ctx_reader [--samples N] [--service NAME] [--min-correct PERCENT] -- command [args...]
 *
 * It starts the command (so that ptrace is allowed under Yama's scope 1 as well) with
 * WEFT_TRUTH_FILE set, waits until the truth file is complete, then:
 *  1. finds the process context as OTEP 4719 says: a mapping named [anon_shmem:OTEL_CTX],
 *     [anon:OTEL_CTX] or /memfd:OTEL_CTX in /proc/<pid>/maps; checks the signature and version 2;
 *     reads published_at (non-zero), the payload, published_at again (unchanged); decodes the
 *     ProcessContext protobuf: service.name (== NAME if given) and threadlocal.schema_version;
 *  2. resolves otel_thread_ctx_v1 as OTEP 4947 says: for each ELF file mapped into the process, its
 *     .dynsym (a defined STT_TLS symbol) and the TLSDESC relocation against it; the descriptor's
 *     argument in the process's memory is the variable's offset from the thread pointer (static
 *     TLS) or, for a module in dynamic TLS, a pointer to {module, offset}, resolved through the DTV;
 *  3. samples: N times, a random thread of the truth file at a random instant: PTRACE_SEIZE +
 *     PTRACE_INTERRUPT (the thread is stopped, as OTEP 4947's readers require), the thread pointer
 *     from its registers, the pointer, the 28-byte record, the truth slot; then PTRACE_DETACH.
 * Every sample must name what the truth says (>= PERCENT, default 99.9, correct), no record may be
 * torn (valid != 1 or ids no open span has) and none may name a span after it ended.
 * Exit 0 pass, 1 fail, 77 skipped (ptrace not permitted here, or not x86_64/aarch64), with the reason.
 */
#define _GNU_SOURCE
#include "otel_ctx_truth.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#define READER_TLSDESC_RELOC R_X86_64_TLSDESC
#elif defined(__aarch64__)
#define READER_TLSDESC_RELOC R_AARCH64_TLSDESC
#ifndef NT_ARM_TLS
#define NT_ARM_TLS 0x401 /* the thread pointer register set (TPIDR_EL0) */
#endif
#endif

#define SKIP 77

/* OTEP 4719's reader fences; under TSan (which refuses fences) a seq_cst RMW stands in */
#if defined(__SANITIZE_THREAD__)
static uint64_t reader_fence_word;
#define reader_fence() ((void)__atomic_fetch_add(&reader_fence_word, 0, __ATOMIC_SEQ_CST))
#else
#define reader_fence() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

static pid_t target;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "otel_ctx_reader: FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    if (target > 0) {
        kill(target, SIGKILL);
    }
    exit(1);
}

static void skip(const char *why) {
    printf("otel_ctx_reader: SKIPPED: %s\n", why);
    if (target > 0) {
        kill(target, SIGKILL);
    }
    exit(SKIP);
}

static bool remote_read(uint64_t address, void *out, size_t size) {
    struct iovec local = {out, size}, remote = {(void *)(uintptr_t)address, size};
    ssize_t n = process_vm_readv(target, &local, 1, &remote, 1, 0);
    if (n < 0 && errno == EPERM) {
        skip("process_vm_readv is not permitted here (EPERM)");
    }
    return n == (ssize_t)size;
}

/* ------------------------------------------------------------------ OTEP 4719 */

typedef struct pb {
    const uint8_t *p, *end;
} pb_t;

static bool pb_varint(pb_t *b, uint64_t *v) {
    *v = 0;
    for (int shift = 0; shift < 64 && b->p < b->end; shift += 7) {
        uint8_t c = *b->p++;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            return true;
        }
    }
    return false;
}

/* Next field: its number, wire type, and for LEN fields the bytes. false at the end or on bad input. */
static bool pb_next(pb_t *b, uint32_t *field, uint32_t *wire, pb_t *len, uint64_t *value) {
    uint64_t tag;
    if (b->p >= b->end || !pb_varint(b, &tag)) {
        return false;
    }
    *field = (uint32_t)(tag >> 3);
    *wire = (uint32_t)(tag & 7);
    if (*wire == 0) {
        return pb_varint(b, value);
    }
    if (*wire == 1) {
        if (b->end - b->p < 8) return false;
        memcpy(value, b->p, 8);
        b->p += 8;
        return true;
    }
    if (*wire == 2) {
        uint64_t n;
        if (!pb_varint(b, &n) || n > (uint64_t)(b->end - b->p)) return false;
        len->p = b->p;
        len->end = b->p + n;
        b->p += n;
        return true;
    }
    if (*wire == 5) {
        if (b->end - b->p < 4) return false;
        b->p += 4;
        return true;
    }
    return false;
}

/* KeyValue -> key and, if the value is a string, the string (else "<type N>"). */
static bool pb_key_value(pb_t kv, char *key, size_t key_size, char *value, size_t value_size) {
    uint32_t field, wire;
    pb_t len;
    uint64_t v;
    key[0] = value[0] = '\0';
    while (pb_next(&kv, &field, &wire, &len, &v)) {
        if (field == 1 && wire == 2) {
            snprintf(key, key_size, "%.*s", (int)(len.end - len.p), (const char *)len.p);
        } else if (field == 2 && wire == 2) {
            uint32_t f2, w2;
            pb_t l2;
            uint64_t v2;
            while (pb_next(&len, &f2, &w2, &l2, &v2)) {
                if (f2 == 1 && w2 == 2) {
                    snprintf(value, value_size, "%.*s", (int)(l2.end - l2.p), (const char *)l2.p);
                } else if (f2 == 3 && w2 == 0) {
                    snprintf(value, value_size, "%" PRId64, (int64_t)v2);
                } else {
                    snprintf(value, value_size, "<type %u>", f2);
                }
            }
        }
    }
    return key[0] != '\0';
}

static bool is_otel_ctx_mapping(const char *name) {
    return strncmp(name, "[anon_shmem:OTEL_CTX]", 21) == 0 || strncmp(name, "[anon:OTEL_CTX]", 15) == 0 ||
           strncmp(name, "/memfd:OTEL_CTX", 15) == 0;
}

/* Finds and reads the process context. @return false if there is none (yet). */
static bool read_process_context(const char *want_service, bool verbose) {
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)target);
    FILE *maps = fopen(path, "r");
    if (maps == NULL) {
        die("open %s: %s", path, strerror(errno));
    }
    uint64_t address = 0;
    int found = 0;
    while (fgets(line, sizeof line, maps) != NULL) {
        unsigned long start;
        int at = 0;
        if (sscanf(line, "%lx-%*x %*s %*x %*s %*u %n", &start, &at) >= 1 && at > 0 &&
            is_otel_ctx_mapping(line + at)) {
            /* OTEP 4719 step 2: signature and version; a mapping that fails is skipped */
            char header[12];
            if (remote_read(start, header, sizeof header) && memcmp(header, "OTEL_CTX", 8) == 0 &&
                *(uint32_t *)(void *)(header + 8) == 2u) {
                address = start;
                found++;
                if (verbose) {
                    printf("process context mapping: %s", line + at);
                }
            }
        }
    }
    fclose(maps);
    if (found > 1) {
        die("%d process contexts in one process (OTEP 4719: at most one)", found);
    }
    if (address == 0) {
        return false;
    }
    for (int attempt = 0; attempt < 100; attempt++) {
        uint64_t hdr[4];
        if (!remote_read(address, hdr, sizeof hdr)) {
            die("reading the process context header failed: %s", strerror(errno));
        }
        uint64_t published = hdr[2];
        if (published == 0) {
            usleep(1000); /* being updated */
            continue;
        }
        reader_fence();
        uint32_t size = (uint32_t)(hdr[1] >> 32);
        if (size == 0 || size > 65536) {
            die("process context payload_size %u", size);
        }
        uint8_t *payload = malloc(size);
        bool ok = remote_read(hdr[3], payload, size);
        reader_fence();
        uint64_t again;
        if (!remote_read(address + 16, &again, 8)) {
            die("re-reading published_at failed");
        }
        if (again != published || !ok) {
            free(payload);
            continue; /* updated while we read: again */
        }
        pb_t b = {payload, payload + size}, len;
        uint32_t field, wire;
        uint64_t v;
        char key[256], value[1024], service[1024] = "", schema[1024] = "";
        int resource_attrs = 0;
        bool key_map = false;
        while (pb_next(&b, &field, &wire, &len, &v)) {
            if (field == 1 && wire == 2) { /* Resource */
                pb_t attrs = len, kv;
                uint32_t f2, w2;
                uint64_t v2;
                while (pb_next(&attrs, &f2, &w2, &kv, &v2)) {
                    if (f2 == 1 && w2 == 2 && pb_key_value(kv, key, sizeof key, value, sizeof value)) {
                        resource_attrs++;
                        if (verbose) {
                            printf("  resource %s = %s\n", key, value);
                        }
                        if (strcmp(key, "service.name") == 0) {
                            snprintf(service, sizeof service, "%s", value);
                        }
                    }
                }
            } else if (field == 2 && wire == 2 && pb_key_value(len, key, sizeof key, value, sizeof value)) {
                if (verbose) {
                    printf("  attribute %s = %s\n", key, value);
                }
                if (strcmp(key, "threadlocal.schema_version") == 0) {
                    snprintf(schema, sizeof schema, "%s", value);
                } else if (strcmp(key, "threadlocal.attribute_key_map") == 0) {
                    key_map = true;
                }
            }
        }
        if (b.p != b.end) {
            die("the process context payload is not a valid protobuf message");
        }
        free(payload);
        if (resource_attrs == 0 || service[0] == '\0') {
            die("the process context has no resource service.name");
        }
        if (want_service != NULL && strcmp(service, want_service) != 0) {
            return false; /* not the runtime's Resource yet: the caller retries */
        }
        if (strcmp(schema, "tlsdesc_v1_dev") != 0 || !key_map) {
            die("threadlocal.schema_version is \"%s\" (want tlsdesc_v1_dev) or no threadlocal.attribute_key_map",
                schema);
        }
        if (verbose) {
            printf("process context: %d resource attributes, service.name=%s, schema %s\n", resource_attrs, service,
                   schema);
        }
        return true;
    }
    die("the process context stayed inconsistent over 100 reads");
}

/* ------------------------------------------------------------------ OTEP 4947: resolution */

typedef struct tls_symbol {
    char file[1024];
    uint64_t descriptor; /* address of the TLSDESC descriptor in the process */
} tls_symbol_t;

/* Looks for a defined STT_TLS otel_thread_ctx_v1 in .dynsym and its TLSDESC relocation. */
static bool elf_tls_descriptor(const char *file, uint64_t *rel_offset, uint64_t *first_load_vaddr) {
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
        close(fd);
        return false;
    }
    uint8_t *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        return false;
    }
    bool found = false;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(void *)m;
    size_t size = (size_t)st.st_size;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shoff == 0 ||
        eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size) {
        goto out;
    }
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(void *)(m + eh->e_shoff);
    *first_load_vaddr = 0;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(void *)(m + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD) {
            *first_load_vaddr = ph[i].p_vaddr - ph[i].p_offset;
            break;
        }
    }
    for (int i = 0; i < eh->e_shnum && !found; i++) {
        if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum) {
            continue;
        }
        const Elf64_Sym *syms = (const Elf64_Sym *)(void *)(m + sh[i].sh_offset);
        const char *strs = (const char *)m + sh[sh[i].sh_link].sh_offset;
        size_t count = sh[i].sh_size / sizeof(Elf64_Sym);
        for (size_t s = 0; s < count && !found; s++) {
            if (ELF64_ST_TYPE(syms[s].st_info) != STT_TLS || syms[s].st_shndx == SHN_UNDEF ||
                strcmp(strs + syms[s].st_name, "otel_thread_ctx_v1") != 0) {
                continue;
            }
            for (int r = 0; r < eh->e_shnum && !found; r++) {
                if (sh[r].sh_type != SHT_RELA || sh[r].sh_link != (uint32_t)i) {
                    continue;
                }
                const Elf64_Rela *rela = (const Elf64_Rela *)(void *)(m + sh[r].sh_offset);
                for (size_t k = 0; k < sh[r].sh_size / sizeof(Elf64_Rela); k++) {
#ifdef READER_TLSDESC_RELOC
                    if (ELF64_R_TYPE(rela[k].r_info) == READER_TLSDESC_RELOC && ELF64_R_SYM(rela[k].r_info) == s) {
                        *rel_offset = rela[k].r_offset;
                        found = true;
                        break;
                    }
#endif
                }
            }
        }
    }
out:
    munmap(m, size);
    return found;
}

/* Every ELF file mapped into the process that defines otel_thread_ctx_v1 with a TLSDESC relocation. */
static int find_tls_symbols(tls_symbol_t *out, int max) {
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)target);
    FILE *maps = fopen(path, "r");
    if (maps == NULL) {
        die("open %s", path);
    }
    int n = 0;
    char seen[64][1024];
    int seen_count = 0;
    while (fgets(line, sizeof line, maps) != NULL && n < max) {
        unsigned long start, offset;
        int at = 0;
        if (sscanf(line, "%lx-%*x %*s %lx %*s %*u %n", &start, &offset, &at) < 2 || at <= 0 || line[at] != '/' ||
            offset != 0) {
            continue;
        }
        char *file = line + at;
        file[strcspn(file, "\n")] = '\0';
        bool dup = false;
        for (int i = 0; i < seen_count; i++) {
            dup = dup || strcmp(seen[i], file) == 0;
        }
        if (dup || seen_count == 64) {
            continue;
        }
        snprintf(seen[seen_count++], sizeof seen[0], "%s", file);
        uint64_t rel, first_vaddr;
        if (elf_tls_descriptor(file, &rel, &first_vaddr)) {
            snprintf(out[n].file, sizeof out[n].file, "%s", file);
            out[n].descriptor = start - first_vaddr + rel; /* load bias + the relocation's offset */
            n++;
        }
    }
    fclose(maps);
    return n;
}

/* ------------------------------------------------------------------ OTEP 4947: sampling */

static bool thread_pointer(pid_t tid, uint64_t *tp) {
#if defined(__x86_64__)
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, tid, NULL, &regs) != 0) {
        return false;
    }
    *tp = regs.fs_base;
    return true;
#elif defined(__aarch64__)
    uint64_t value;
    struct iovec io = {&value, sizeof value};
    if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_ARM_TLS, &io) != 0) {
        return false;
    }
    *tp = value;
    return true;
#else
    (void)tid;
    (void)tp;
    return false;
#endif
}

/* The address of the thread's otel_thread_ctx_v1 (0: its TLS block is not allocated). */
static bool tls_address(const tls_symbol_t *sym, uint64_t tp, uint64_t *address) {
    uint64_t desc[2];
    if (!remote_read(sym->descriptor, desc, sizeof desc)) {
        return false;
    }
    int64_t arg = (int64_t)desc[1];
    if (getenv("WEFT_READER_DEBUG") != NULL) {
        fprintf(stderr, "descriptor 0x%" PRIx64 " 0x%" PRIx64 " tp 0x%" PRIx64 "\n", desc[0], desc[1], tp);
    }
    if (arg > -(1LL << 24) && arg < (1LL << 24)) {
        *address = tp + (uint64_t)arg; /* static TLS: the offset from the thread pointer */
        return true;
    }
    /* dynamic TLS: arg points at glibc's tlsdesc_dynamic_arg {module, offset, generation} */
    uint64_t info[2], dtv, entry;
#if defined(__x86_64__)
    uint64_t dtv_slot = tp + 8; /* tcbhead_t.dtv */
#else
    uint64_t dtv_slot = tp; /* aarch64: the TCB's first word is the dtv */
#endif
    if (!remote_read((uint64_t)arg, info, sizeof info) || !remote_read(dtv_slot, &dtv, 8) ||
        !remote_read(dtv + 16u * info[0], &entry, 8)) {
        return false;
    }
    *address = entry == (uint64_t)-1 || entry == 0 ? 0 : entry + info[1];
    return true;
}

typedef struct counts {
    long samples, correct, wrong, torn, after_end, null_ok, open_ok, moving, unverified;
} counts_t;

static bool same_ids(const uint8_t *record, const uint8_t *ids) {
    return memcmp(record, ids, 24) == 0;
}

static bool zero_ids(const uint8_t *ids) {
    static const uint8_t zero[24];
    return memcmp(ids, zero, 24) == 0;
}

/* PTRACE_SEIZE + PTRACE_INTERRUPT, and wait for the stop. @return false if the thread is gone. */
static bool stop_thread(pid_t tid) {
    if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0) {
        if (errno == ESRCH) {
            return false;
        }
        die("PTRACE_SEIZE %d: %s", (int)tid, strerror(errno));
    }
    if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) != 0) {
        die("PTRACE_INTERRUPT %d: %s", (int)tid, strerror(errno));
    }
    int status;
    for (;;) {
        if (waitpid(tid, &status, __WALL) != tid) {
            die("waitpid %d: %s", (int)tid, strerror(errno));
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            die("the target thread %d died", (int)tid);
        }
        if (WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_STOP) {
            return true;
        }
        /* a signal on its way to the thread (the JVM uses several): deliver it and wait again */
        ptrace(PTRACE_CONT, tid, NULL, (void *)(uintptr_t)WSTOPSIG(status));
    }
}

static void sample(int truth_fd, const tls_symbol_t *sym, int slot, counts_t *c) {
    weft_truth_slot_t truth;
    if (pread(truth_fd, &truth, sizeof truth, WEFT_TRUTH_HEADER + (off_t)slot * WEFT_TRUTH_SLOT) != sizeof truth) {
        die("reading the truth file");
    }
    pid_t tid = (pid_t)truth.tid;
    if (!stop_thread(tid)) {
        return; /* the thread exited */
    }
    /* stopped: its stores, the truth's included, are complete */
    if (pread(truth_fd, &truth, sizeof truth, WEFT_TRUTH_HEADER + (off_t)slot * WEFT_TRUTH_SLOT) != sizeof truth) {
        die("reading the truth file");
    }
    uint64_t tp = 0, address = 0, pointer = 0;
    uint8_t record[28];
    bool have_record = false;
    if (!thread_pointer(tid, &tp)) {
        die("reading the thread pointer of %d: %s", (int)tid, strerror(errno));
    }
    if (!tls_address(sym, tp, &address)) {
        die("resolving otel_thread_ctx_v1 of %d", (int)tid);
    }
    if (address != 0) {
        if (!remote_read(address, &pointer, 8)) {
            die("reading otel_thread_ctx_v1 of %d at 0x%" PRIx64, (int)tid, address);
        }
        if (pointer != 0) {
            if (!remote_read(pointer, record, sizeof record)) {
                die("reading the record of %d at 0x%" PRIx64, (int)tid, pointer);
            }
            /* OTEP 4947: valid 0 is a record being written or detached, which readers ignore */
            have_record = record[24] != 0;
        }
    }
    ptrace(PTRACE_DETACH, tid, NULL, NULL);

    c->samples++;
    bool torn = have_record && record[24] != 1;
    bool ok;
    if (truth.state == WEFT_TRUTH_OPEN) {
        ok = have_record && !torn && same_ids(record, truth.cur);
        c->open_ok += ok;
        if (!ok && have_record && !torn && same_ids(record, truth.alt)) {
            c->after_end++; /* names the span that just ended (or the parent before the child began) */
        }
    } else if (truth.state == WEFT_TRUTH_IDLE) {
        ok = !have_record;
        c->null_ok += ok;
        if (!ok && !torn) {
            c->after_end++; /* a record while nothing is open */
        }
    } else {
        c->moving++;
        bool known = have_record && !torn &&
                     ((!zero_ids(truth.cur) && same_ids(record, truth.cur)) ||
                      (!zero_ids(truth.alt) && same_ids(record, truth.alt)));
        static const uint8_t zero[16];
        bool fresh = truth.state == WEFT_TRUTH_BEGINNING && have_record && !torn &&
                     memcmp(record, zero, 16) != 0 && memcmp(record + 16, zero, 8) != 0;
        ok = !have_record || known || fresh;
        c->unverified += ok && !known && have_record;
        if (!ok) {
            torn = true; /* valid, but ids no span open, ending or beginning has: a torn or stale record */
        }
    }
    c->torn += torn;
    c->correct += ok;
    c->wrong += !ok;
    if (!ok && c->wrong <= 5) {
        fprintf(stderr, "sample %ld: thread %d state %u: %s\n", c->samples, (int)tid, truth.state,
                have_record ? (torn ? "torn record" : "record names another span") : "no record");
    }
}

int main(int argc, char **argv) {
    long samples = 20000;
    const char *service = NULL;
    double min_correct = 99.9;
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--samples") == 0 && i + 1 < argc) {
            samples = atol(argv[++i]);
        } else if (strcmp(argv[i], "--service") == 0 && i + 1 < argc) {
            service = argv[++i];
        } else if (strcmp(argv[i], "--min-correct") == 0 && i + 1 < argc) {
            min_correct = atof(argv[++i]);
        } else {
            fprintf(stderr, "usage: otel_ctx_reader [--samples N] [--service NAME] [--min-correct P] -- command...\n");
            return 2;
        }
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "usage: otel_ctx_reader [--samples N] [--service NAME] [--min-correct P] -- command...\n");
        return 2;
    }
#ifndef READER_TLSDESC_RELOC
    skip("the reader resolves TLSDESC on x86_64 and aarch64 only");
#endif
    if (getenv("WEFT_TEST_EMULATOR") != NULL) {
        skip("running under an emulator (qemu-user), which implements no ptrace");
    }
    char truth_path[] = "/tmp/weft-truth-XXXXXX";
    int truth_fd = mkstemp(truth_path);
    if (truth_fd < 0 || ftruncate(truth_fd, WEFT_TRUTH_HEADER + WEFT_TRUTH_MAX_THREADS * WEFT_TRUTH_SLOT) != 0) {
        die("creating the truth file: %s", strerror(errno));
    }
    setenv("WEFT_TRUTH_FILE", truth_path, 1);
    target = fork();
    if (target == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the reader (it holds ctest's output pipe) */
        execvp(argv[i + 1], argv + i + 1);
        fprintf(stderr, "otel_ctx_reader: exec %s: %s\n", argv[i + 1], strerror(errno));
        _exit(127);
    }
    /* the target's threads are ready when the magic is there */
    uint32_t header[2] = {0, 0};
    for (int waited = 0; header[0] != WEFT_TRUTH_MAGIC; waited++) {
        int st;
        if (waitpid(target, &st, WNOHANG) == target) {
            target = 0;
            die("the target exited before it was ready (status %d)", st);
        }
        if (waited > 1200) {
            die("the target was not ready within 120 s");
        }
        usleep(100000);
        if (pread(truth_fd, header, sizeof header, 0) != sizeof header) {
            die("reading the truth file");
        }
    }
    unsigned threads = header[1];
    if (threads == 0 || threads > WEFT_TRUTH_MAX_THREADS) {
        die("truth file: %u threads", threads);
    }
    weft_truth_slot_t first;
    if (pread(truth_fd, &first, sizeof first, WEFT_TRUTH_HEADER) != sizeof first) {
        die("reading the truth file");
    }
    if (ptrace(PTRACE_SEIZE, (pid_t)first.tid, NULL, NULL) != 0) {
        char why[256];
        snprintf(why, sizeof why, "ptrace is not permitted here (PTRACE_SEIZE: %s)", strerror(errno));
        skip(why);
    }
    if (ptrace(PTRACE_INTERRUPT, (pid_t)first.tid, NULL, NULL) == 0) {
        int st;
        waitpid((pid_t)first.tid, &st, __WALL);
    }
    ptrace(PTRACE_DETACH, (pid_t)first.tid, NULL, NULL);
    bool found = false;
    for (int attempt = 0; attempt < 300 && !found; attempt++) {
        found = read_process_context(service, attempt == 0 || attempt == 299);
        if (!found) {
            usleep(100000);
        }
    }
    if (!found) {
        die(service != NULL ? "no process context with service.name=%s within 30 s" : "no process context%s",
            service != NULL ? service : "");
    }
    read_process_context(service, true);

    tls_symbol_t syms[8];
    int nsyms = find_tls_symbols(syms, 8);
    if (nsyms == 0) {
        die("no mapped ELF file defines otel_thread_ctx_v1 with a TLSDESC relocation");
    }
    for (int s = 0; s < nsyms; s++) {
        printf("otel_thread_ctx_v1: %s, TLS descriptor at 0x%" PRIx64 "\n", syms[s].file, syms[s].descriptor);
    }
    if (nsyms > 1) {
        die("%d objects define otel_thread_ctx_v1", nsyms);
    }

    counts_t c = {0};
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long n = 0; n < samples; n++) {
        int slot = (int)(rand_r(&seed) % threads);
        sample(truth_fd, &syms[0], slot, &c);
        struct timespec pause = {0, (long)(rand_r(&seed) % 200000)}; /* a random instant: 0-200 us later */
        nanosleep(&pause, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    kill(target, SIGTERM);
    int st;
    waitpid(target, &st, 0);
    target = 0;
    unlink(truth_path);
    double pct = c.samples > 0 ? 100.0 * (double)c.correct / (double)c.samples : 0;
    printf("samples %ld in %.1f s: correct %ld (%.3f %%; open %ld, none %ld, in a change %ld of "
           "which %ld valid but unverifiable), wrong %ld, torn %ld, after the end %ld\n",
           c.samples, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, c.correct, pct,
           c.open_ok, c.null_ok, c.moving, c.unverified, c.wrong, c.torn, c.after_end);
    if (c.samples < samples / 2) {
        die("only %ld of %ld samples taken", c.samples, samples);
    }
    if (c.open_ok == 0) {
        die("no sample saw an open span");
    }
    if (c.torn != 0 || c.after_end != 0 || pct < min_correct) {
        die("torn %ld, after the end %ld, correct %.3f %% (want 0, 0, >= %.1f %%)", c.torn, c.after_end, pct,
            min_correct);
    }
    printf("PASS\n");
    return 0;
}
