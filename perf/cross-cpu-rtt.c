// Cross-CPU cache-line round trip (the vhost-user slow regime, perf/RESULTS.md): two threads, on CPU 0 and CPU 1,
// pass a counter back and forth through two cache lines; prints "seconds mean-round-trip-ns" every 200 ms.
// Build: cc -O2 -Wall -Wextra -pthread -o cross-cpu-rtt perf/cross-cpu-rtt.c
// Run:   ./cross-cpu-rtt SECONDS   (under the benchmark gate: it keeps both CPUs busy)
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static _Alignas(64) _Atomic long ping;
static _Alignas(64) _Atomic long pong;
static _Atomic int stop;

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *responder(void *unused)
{
    (void)unused;
    pin(1);
    long last = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        long v = atomic_load_explicit(&ping, memory_order_acquire);
        if (v != last) {
            last = v;
            atomic_store_explicit(&pong, v, memory_order_release);
        }
    }
    return NULL;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 10;
    pin(0);
    pthread_t thread;
    pthread_create(&thread, NULL, responder, NULL);
    double t0 = now(), window = t0;
    long n = 0, i = 0;
    while (now() - t0 < seconds) {
        i++;
        atomic_store_explicit(&ping, i, memory_order_release);
        while (atomic_load_explicit(&pong, memory_order_acquire) != i) {
        }
        n++;
        if ((n & 1023) == 0) {
            double t = now();
            if (t - window >= 0.2) {
                printf("%.1f %.0f\n", t - t0, (t - window) * 1e9 / n);
                fflush(stdout);
                n = 0;
                window = t;
            }
        }
    }
    atomic_store(&stop, 1);
    pthread_join(thread, NULL);
    return 0;
}
