// streamload: a synthetic QEMU `-netdev stream` client pair, for perf/compare.d/stream.sh.
//
// It connects to two unix stream sockets (the two ports of the switch under test), speaking QEMU's stream framing:
// every frame is a 4-byte big-endian length and the Ethernet frame. Station A is 02:00:00:00:00:0a, B 02:00:00:00:00:0b;
// each first sends one broadcast so a learning switch knows both.
//
//   streamload rate SOCK_A SOCK_B SIZE WARMUP_S SECONDS   A sends SIZE-byte frames to B as fast as the socket takes
//                                                          them (writes of 64 frames); prints "rx_pps N" counted at B
//                                                          over SECONDS after WARMUP_S, and "tx_pps N" written by A.
//   streamload rtt SOCK_A SOCK_B SIZE COUNT               one frame at a time A -> B, B echoes it to A; prints
//                                                          "rtt_p50_us X rtt_p99_us Y rtt_lost L" over COUNT round
//                                                          trips (one not back within 1 s is counted lost).
//
// Build: cc -O2 -pthread -o streamload native/streamload.c (perf/compare.d/stream.sh does it).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "loadpair.h"

#define BATCH 64

static int connect_to(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        fprintf(stderr, "streamload: connect %s: %s\n", path, strerror(errno));
        exit(1);
    }
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    return fd;
}

static void write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { fprintf(stderr, "streamload: write: %s\n", strerror(errno)); exit(1); }
        p += w;
        n -= (size_t)w;
    }
}

static void read_all(int fd, uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) { fprintf(stderr, "streamload: read: %s\n", r == 0 ? "closed" : strerror(errno)); exit(1); }
        p += r;
        n -= (size_t)r;
    }
}

// One framed frame of `size` bytes from src to dst at p; returns the bytes written (4 + size).
static size_t frame(uint8_t *p, const uint8_t *dst, const uint8_t *src, int size) {
    uint32_t len = htonl((uint32_t)size);
    memcpy(p, &len, 4);
    memset(p + 4, 0x5a, (size_t)size);
    memcpy(p + 4, dst, 6);
    memcpy(p + 10, src, 6);
    p[16] = 0x88; p[17] = 0xb5; // local experimental ethertype
    return 4 + (size_t)size;
}

// Reads one framed frame; returns its length.
static uint32_t read_frame(int fd, uint8_t *buf) {
    uint32_t len;
    read_all(fd, (uint8_t *)&len, 4);
    len = ntohl(len);
    if (len == 0 || len > MAXFRAME) { fprintf(stderr, "streamload: bad length %u\n", len); exit(1); }
    read_all(fd, buf, len);
    return len;
}

// Each station broadcasts until the other hears it: the switch may not have taken the second connection yet, and a
// frame flooded to a port with no peer is dropped (as it should be).
static void announce(int a, int b) {
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t buf[4 + 64], rx[MAXFRAME];
    int from[2] = {a, b}, to[2] = {b, a};
    const uint8_t *mac[2] = {MAC_A, MAC_B};
    for (int k = 0; k < 2; k++) {
        int tries = 0;
        do {
            if (++tries > 100) { fprintf(stderr, "streamload: no frame came through the switch in 10 s\n"); exit(1); }
            write_all(from[k], buf, frame(buf, bcast, mac[k], 60));
        } while (!readable(to[k], 100));
        while (readable(to[k], 100)) read_frame(to[k], rx); // the copies of the retries too
    }
}

static void *count_frames(void *arg) {
    struct counter *c = arg;
    static uint8_t buf[1 << 20];
    size_t have = 0;
    while (!atomic_load(&c->stop)) {
        ssize_t r = read(c->fd, buf + have, sizeof buf - have);
        if (r <= 0) break;
        have += (size_t)r;
        size_t at = 0;
        long n = 0;
        while (have - at >= 4) {
            uint32_t len;
            memcpy(&len, buf + at, 4);
            len = ntohl(len);
            if (have - at < 4 + len) break;
            at += 4 + len;
            n++;
        }
        memmove(buf, buf + at, have - at);
        have -= at;
        atomic_fetch_add(&c->frames, n);
    }
    return NULL;
}

struct burst { int fd; size_t bytes; uint8_t data[BATCH * (4 + MAXFRAME)]; };

static long send_burst(void *arg) {
    struct burst *s = arg;
    write_all(s->fd, s->data, s->bytes);
    return BATCH;
}

static int rate(int a, int b, int size, double warmup, double seconds) {
    static struct burst s;
    s.fd = a;
    s.bytes = 0;
    for (int i = 0; i < BATCH; i++) s.bytes += frame(s.data + s.bytes, MAC_B, MAC_A, size);
    return run_rate(b, count_frames, send_burst, &s, warmup, seconds);
}

static int rtt(int a, int b, int size, int count) {
    uint8_t out[4 + MAXFRAME], rx[MAXFRAME];
    double *t = calloc((size_t)count, sizeof *t);
    size_t n = frame(out, MAC_B, MAC_A, size);
    int lost = 0, done = 0;
    for (int i = 0; i < count; i++) {
        double s = now();
        write_all(a, out, n);
        if (!readable(b, 1000)) { lost++; continue; } // a lost frame is counted, not waited for
        uint32_t len = read_frame(b, rx);
        // B answers A: swap the addresses, send it back
        memcpy(rx, MAC_A, 6);
        memcpy(rx + 6, MAC_B, 6);
        uint32_t be = htonl(len);
        write_all(b, (uint8_t *)&be, 4);
        write_all(b, rx, len);
        if (!readable(a, 1000)) { lost++; continue; }
        read_frame(a, rx);
        t[done++] = (now() - s) * 1e6;
    }
    return print_rtt("streamload", t, done, lost);
}

int main(int argc, char **argv) {
    if (argc != 7 && !(argc == 6 && strcmp(argv[1], "rtt") == 0)) {
        fprintf(stderr, "usage: streamload rate SOCK_A SOCK_B SIZE WARMUP_S SECONDS | rtt SOCK_A SOCK_B SIZE COUNT\n");
        return 2;
    }
    int size = atoi(argv[4]);
    if (size < 60 || size > MAXFRAME) { fprintf(stderr, "streamload: SIZE 60..65535\n"); return 2; }
    int a = connect_to(argv[2]), b = connect_to(argv[3]);
    announce(a, b);
    if (strcmp(argv[1], "rate") == 0) return rate(a, b, size, atof(argv[5]), atof(argv[6]));
    if (strcmp(argv[1], "rtt") == 0) return rtt(a, b, size, atoi(argv[5]));
    return 2;
}
