/* The floor both weft-bench and weft-bench-count measure a span against: two wall-clock reads and
 * a 64-byte store of them per iteration. One definition, so the timed ratio and the instruction
 * count share the same baseline. */
#ifndef WEFT_BENCH_FLOOR_H
#define WEFT_BENCH_FLOOR_H

#include <stdint.h>
#include <string.h>
#include <time.h>

static __attribute__((noinline)) void bench_floor(uint8_t *buffer, int n) {
    for (int i = 0; i < n; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_REALTIME, &a);
        clock_gettime(CLOCK_REALTIME, &b);
        uint64_t line[8] = {(uint64_t)a.tv_sec, (uint64_t)a.tv_nsec, (uint64_t)b.tv_sec, (uint64_t)b.tv_nsec,
                            (uint64_t)i, 0, 0, 0};
        memcpy(buffer + (size_t)i * 64, line, 64);
        __asm__ volatile("" : : "r"(buffer) : "memory");
    }
}

#endif
