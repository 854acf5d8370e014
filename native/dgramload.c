// dgramload: a synthetic QEMU `-netdev dgram` client pair, for perf/compare.d/dgram.sh.
//
// Each station binds a unix datagram socket of its own (QEMU's local.path) and sends one Ethernet frame per datagram
// to the switch (QEMU's remote.path). When the remote is a folder it is a vde_switch's socket folder: the station then
// plugs in as libvdeplug does (a request on FOLDER/ctl names the station's socket; the switch answers with the address
// of the port's data socket, which frames then go to; the control connection stays open while the port is used).
// Station A is 02:00:00:00:00:0a, B 02:00:00:00:00:0b; each first broadcasts once, then until the other hears it.
//
//   dgramload rate A_LOCAL A_REMOTE B_LOCAL B_REMOTE SIZE WARMUP_S SECONDS
//       A sends SIZE-byte frames to B as fast as its socket takes them (sendmmsg of 32; a blocking socket, so the
//       switch's full queue slows A down); prints "rx_pps N" counted at B over SECONDS after WARMUP_S, and "tx_pps N"
//       sent by A.
//   dgramload rtt A_LOCAL A_REMOTE B_LOCAL B_REMOTE SIZE COUNT
//       one frame at a time A -> B, B echoes it to A; prints "rtt_p50_us X rtt_p99_us Y rtt_lost L" over COUNT round
//       trips (one not back within 1 s is counted lost).
//
// Build: cc -O2 -pthread -o dgramload native/dgramload.c (perf/compare.d/dgram.sh does it).
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "loadpair.h"

#define BATCH 32

// libvdeplug's request to vde_switch (vde2 2.3: version 3, "new control": any free port).
struct vde_request {
    uint32_t magic;
    uint32_t version;
    uint32_t type;
    struct sockaddr_un sock;
    char description[128];
} __attribute__((packed));

static void die(const char *what, const char *path) {
    fprintf(stderr, "dgramload: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static struct sockaddr_un address_of(const char *path) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    return a;
}

// Where each station's frames go (indexed by its socket): QEMU's dgram netdev does not connect its socket (sendto to
// remote.path), so neither does a station here, except on a vde_switch, where libvdeplug connects it.
static struct sockaddr_un g_to[1024];

// A station: its datagram socket bound to local; g_to[fd] is where its frames go.
static int station(const char *local, const char *remote) {
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un own = address_of(local);
    unlink(local);
    if (fd < 0 || bind(fd, (struct sockaddr *)&own, sizeof own) != 0) die("bind", local);
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    struct sockaddr_un to = address_of(remote);
    struct stat st = {0};
    if (stat(remote, &st) == 0 && S_ISDIR(st.st_mode)) {
        char ctl[sizeof to.sun_path];
        snprintf(ctl, sizeof ctl, "%s/ctl", remote);
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un ca = address_of(ctl);
        if (c < 0 || connect(c, (struct sockaddr *)&ca, sizeof ca) != 0) die("connect", ctl);
        struct vde_request req = {.magic = 0xfeedface, .version = 3, .type = 0, .sock = own};
        strcpy(req.description, "dgramload");
        size_t n = sizeof req - sizeof req.description + strlen(req.description) + 1;
        if (write(c, &req, n) != (ssize_t)n) die("vde request to", ctl);
        memset(&to, 0, sizeof to);
        if (read(c, &to, sizeof to) <= 0) die("vde answer from", ctl);
        // c stays open: vde_switch frees the port when its control connection closes
    }
    if (fd >= 1024) { fprintf(stderr, "dgramload: fd %d\n", fd); exit(1); }
    g_to[fd] = to;
    if (S_ISDIR(st.st_mode) && connect(fd, (struct sockaddr *)&to, sizeof to) != 0) die("connect", to.sun_path);
    return fd;
}

static void frame(uint8_t *p, const uint8_t *dst, const uint8_t *src, int size) {
    memset(p, 0x5a, (size_t)size);
    memcpy(p, dst, 6);
    memcpy(p + 6, src, 6);
    p[12] = 0x88; p[13] = 0xb5; // local experimental ethertype
}

static void send_one(int fd, const uint8_t *p, int size) {
    while (sendto(fd, p, (size_t)size, 0, (struct sockaddr *)&g_to[fd], sizeof g_to[fd]) < 0) {
        if (errno != EINTR && errno != EAGAIN && errno != ENOBUFS) { perror("dgramload: send"); exit(1); }
    }
}

static void announce(int a, int b) {
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static uint8_t buf[MAXFRAME];
    int from[2] = {a, b}, to[2] = {b, a};
    const uint8_t *mac[2] = {MAC_A, MAC_B};
    // First one broadcast each without waiting: a switch that learns its ports' peers from their first frame (as
    // FastBridge's dgram ports do) sends a station nothing before the station has spoken.
    for (int k = 0; k < 2; k++) {
        frame(buf, bcast, mac[k], 60);
        send_one(from[k], buf, 60);
    }
    for (int k = 0; k < 2; k++) {
        int tries = 0;
        do {
            if (++tries > 100) { fprintf(stderr, "dgramload: no frame came through the switch in 10 s\n"); exit(1); }
            frame(buf, bcast, mac[k], 60);
            send_one(from[k], buf, 60);
        } while (!readable(to[k], 100));
        while (readable(to[k], 100)) recv(to[k], buf, sizeof buf, 0); // the copies of the retries too
    }
}

static void *count_frames(void *arg) {
    struct counter *c = arg;
    static uint8_t buf[BATCH][2048];
    struct mmsghdr m[BATCH];
    struct iovec v[BATCH];
    for (int i = 0; i < BATCH; i++) {
        v[i] = (struct iovec){.iov_base = buf[i], .iov_len = sizeof buf[i]};
        m[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &v[i], .msg_iovlen = 1}};
    }
    while (!atomic_load(&c->stop)) {
        if (!readable(c->fd, 100)) continue;
        int n = recvmmsg(c->fd, m, BATCH, MSG_DONTWAIT, NULL);
        if (n > 0) atomic_fetch_add(&c->frames, n);
    }
    return NULL;
}

struct sender { int fd; struct mmsghdr m[BATCH]; };

static long send_batch(void *arg) {
    struct sender *s = arg;
    int n = sendmmsg(s->fd, s->m, BATCH, 0); // blocks while the switch's queue is full
    if (n < 0 && errno != EINTR && errno != EAGAIN && errno != ENOBUFS) { perror("dgramload: sendmmsg"); return -1; }
    return n > 0 ? n : 0;
}

static int rate(int a, int b, int size, double warmup, double seconds) {
    static uint8_t out[MAXFRAME];
    static struct sender s;
    frame(out, MAC_B, MAC_A, size);
    struct iovec v = {.iov_base = out, .iov_len = (size_t)size};
    s.fd = a;
    for (int i = 0; i < BATCH; i++)
        s.m[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &g_to[a], .msg_namelen = sizeof g_to[a], .msg_iov = &v, .msg_iovlen = 1}};
    return run_rate(b, count_frames, send_batch, &s, warmup, seconds);
}

static int rtt(int a, int b, int size, int count) {
    static uint8_t out[MAXFRAME], rx[MAXFRAME];
    double *t = calloc((size_t)count, sizeof *t);
    frame(out, MAC_B, MAC_A, size);
    int lost = 0, done = 0;
    for (int i = 0; i < count; i++) {
        while (readable(a, 0)) recv(a, rx, sizeof rx, 0); // late echoes of lost round trips
        double s = now();
        send_one(a, out, size);
        if (!readable(b, 1000)) { lost++; continue; }
        ssize_t len = recv(b, rx, sizeof rx, 0);
        memcpy(rx, MAC_A, 6); // B answers A
        memcpy(rx + 6, MAC_B, 6);
        send_one(b, rx, (int)len);
        if (!readable(a, 1000)) { lost++; continue; }
        recv(a, rx, sizeof rx, 0);
        t[done++] = (now() - s) * 1e6;
    }
    return print_rtt("dgramload", t, done, lost);
}

int main(int argc, char **argv) {
    int is_rate = argc == 9 && strcmp(argv[1], "rate") == 0, is_rtt = argc == 8 && strcmp(argv[1], "rtt") == 0;
    if (!is_rate && !is_rtt) {
        fprintf(stderr, "usage: dgramload rate A_LOCAL A_REMOTE B_LOCAL B_REMOTE SIZE WARMUP_S SECONDS | rtt A_LOCAL A_REMOTE B_LOCAL B_REMOTE SIZE COUNT\n");
        return 2;
    }
    int size = atoi(argv[6]);
    if (size < 60 || size > 2048) { fprintf(stderr, "dgramload: SIZE 60..2048\n"); return 2; }
    int a = station(argv[2], argv[3]), b = station(argv[4], argv[5]);
    announce(a, b);
    int rc = is_rate ? rate(a, b, size, atof(argv[7]), atof(argv[8])) : rtt(a, b, size, atoi(argv[7]));
    unlink(argv[2]);
    unlink(argv[4]);
    return rc;
}
