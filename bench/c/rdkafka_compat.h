/*
 * What librdkafka's examples/rdkafka_performance.c takes from librdkafka's private headers
 * (src/rd.h, src/rdtime.h), so that it builds against the system library and its public
 * <librdkafka/rdkafka.h>. The harness rewrites the example's four private #includes to this
 * header (bench/.build/rdkafka_performance.c) and compiles it with `gcc ... -lrdkafka`.
 */
#ifndef RDKAFKA_NAPI_BENCH_RDKAFKA_COMPAT_H
#define RDKAFKA_NAPI_BENCH_RDKAFKA_COMPAT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strndup, and the example defines it again after this header */
#endif

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

/* Microseconds on a monotonic clock, as rd_clock() in src/rdtime.h. */
typedef int64_t rd_ts_t;

static __inline rd_ts_t rd_clock(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ((rd_ts_t)ts.tv_sec * 1000000LL) + ((rd_ts_t)ts.tv_nsec / 1000);
}

#define rd_snprintf snprintf

#define RD_MAX(a, b) ((a) > (b) ? (a) : (b))
#define RD_MIN(a, b) ((a) < (b) ? (a) : (b))

#endif
