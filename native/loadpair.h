// loadpair.h: what the synthetic client pairs native/dgramload.c and native/streamload.c share: the stations' MACs,
// the clock, the poll, the rate driver (a counting thread at B, a sending loop at A, warm-up then the counted window)
// and the RTT percentiles. Each load keeps its own socket handling and framing.
#ifndef LOADPAIR_H
#define LOADPAIR_H

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define MAXFRAME 65535

static const uint8_t MAC_A[6] = {2, 0, 0, 0, 0, 0x0a};
static const uint8_t MAC_B[6] = {2, 0, 0, 0, 0, 0x0b};

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

// Waits up to ms for fd to become readable; 1 when it did.
static int readable(int fd, int ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) == 1;
}

// What a counting thread reads (fd), counts (frames) and stops on (stop).
struct counter { int fd; atomic_long frames; atomic_int stop; };

// The rate test: count(&counter of b) runs on a thread while send_batch(ctx) (the frames sent, or -1 on an error)
// runs for warmup + seconds; prints "rx_pps N" counted at B and "tx_pps N" sent by A over the last `seconds`.
static int run_rate(int b, void *(*count)(void *), long (*send_batch)(void *), void *ctx, double warmup, double seconds) {
    struct counter c = {.fd = b};
    pthread_t reader;
    pthread_create(&reader, NULL, count, &c);
    double start = now(), t0 = 0, end = start + warmup + seconds;
    long rx0 = 0, sent = 0, sent0 = 0;
    int rc = 0;
    for (double t = start; t < end; t = now()) {
        long n = send_batch(ctx);
        if (n < 0) { rc = 1; break; }
        sent += n;
        if (t0 == 0 && t - start >= warmup) { t0 = t; rx0 = atomic_load(&c.frames); sent0 = sent; }
    }
    if (rc == 0) {
        double elapsed = now() - t0;
        long rx = atomic_load(&c.frames) - rx0;
        printf("rx_pps %.0f\ntx_pps %.0f\n", rx / elapsed, (sent - sent0) / elapsed);
    }
    atomic_store(&c.stop, 1);
    shutdown(b, SHUT_RDWR); // wakes a counter blocked in read
    pthread_join(reader, NULL);
    return rc;
}

static int cmp_double(const void *x, const void *y) {
    double d = *(const double *)x - *(const double *)y;
    return d < 0 ? -1 : d > 0;
}

// Prints "rtt_p50_us X rtt_p99_us Y rtt_lost L" of the `done` round trips in t (microseconds); frees t.
static int print_rtt(const char *prog, double *t, int done, int lost) {
    if (done == 0) { fprintf(stderr, "%s: every round trip was lost\n", prog); free(t); return 1; }
    qsort(t, (size_t)done, sizeof *t, cmp_double);
    printf("rtt_p50_us %.1f\nrtt_p99_us %.1f\nrtt_lost %d\n", t[done / 2], t[(int)(done * 0.99)], lost);
    free(t);
    return 0;
}

#endif
