/*
 * tapfwd: the floor for any switch over plain TAP I/O.
 *
 * Opens (creating, or attaching to) two TAP devices by name with IFF_TAP | IFF_NO_PI and forwards every frame read
 * from one to the other: one read() and one write() per frame, poll() on both fds, no learning, no copies beyond the
 * kernel's. Whatever a real switch does on top of this (parse, learn, look up, queue) can only cost more, so a
 * userspace switch over the same TAP syscalls is judged against this forwarder's frame rate.
 *
 * Usage: tapfwd [--vnet-hdr] TAP_A TAP_B
 * --vnet-hdr opens both TAPs as FastBridge does by default (IFF_VNET_HDR, a 12-byte virtio-net header set with
 * TUNSETVNETHDRSZ, TUNSETOFFLOAD with checksum, TSO4/6 and USO4/6 where the kernel has them): every read then gives
 * the header and the frame in one buffer, possibly a GSO super-frame of up to 64 KiB with its checksum still to fill,
 * and the same bytes are written as they are. That is the floor for a switch doing the same kernel work as FastBridge
 * with offloads (perf/README.md: "The comparable floor"). Without it: plain frames, no header (the original floor).
 * Stops cleanly on SIGTERM or SIGINT, printing its counters to stderr; the TAPs (not persistent) vanish with their
 * last fd. Build: gcc -O2 -Wall -Wextra -o tapfwd tapfwd.c (perf/compare.sh does this), or cmake.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Frames read from one TAP per wake-up before looking at the other (read until EAGAIN or this many). */
#define BURST 64
/* Largest read: a 64 KiB GSO super-frame behind a virtio-net header (without offloads frames stop at the MTU). */
#define FRAME_MAX (65536 + 64)
/* The virtio-net header size FastBridge sets (struct virtio_net_hdr_v1: the 10 classic fields and num_buffers). */
#define VNET_HDR_SIZE 12
/* UDP segmentation offloads (kernel 6.2+); Debian 12's headers predate them. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static int tap_open(const char *name, int vnet_hdr)
{
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        perror("tapfwd: open /dev/net/tun");
        return -1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0);
    if (strlen(name) >= IFNAMSIZ) {
        fprintf(stderr, "tapfwd: interface name too long: %s\n", name);
        close(fd);
        return -1;
    }
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        fprintf(stderr, "tapfwd: TUNSETIFF %s: %s\n", name, strerror(errno));
        close(fd);
        return -1;
    }
    if (vnet_hdr) {
        int size = VNET_HDR_SIZE;
        const unsigned tcp = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
        if (ioctl(fd, TUNSETVNETHDRSZ, &size) < 0
            || (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(tcp | TUN_F_USO4 | TUN_F_USO6)) < 0
                && ioctl(fd, TUNSETOFFLOAD, (unsigned long)tcp) < 0)) {
            fprintf(stderr, "tapfwd: offloads on %s: %s\n", name, strerror(errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

struct counters { unsigned long long rx, tx, tx_err; };

/* Moves up to BURST frames from `in` to `out`; returns frames read, or -1 when `in` failed for good. */
static int forward(int in, int out, unsigned char *buf, struct counters *c)
{
    int n = 0;
    for (; n < BURST; n++) {
        ssize_t len = read(in, buf, FRAME_MAX);
        if (len < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            return -1; /* EBADFD: the device was deleted */
        }
        c->rx++;
        if (write(out, buf, (size_t)len) == len)
            c->tx++;
        else
            c->tx_err++; /* EIO: the other side is down; the frame is dropped, as a switch would */
    }
    return n;
}

int main(int argc, char **argv)
{
    int vnet_hdr = argc == 4 && strcmp(argv[1], "--vnet-hdr") == 0;
    if (argc != 3 + vnet_hdr) {
        fprintf(stderr, "usage: tapfwd [--vnet-hdr] TAP_A TAP_B\n");
        return 2;
    }
    argv += vnet_hdr; /* argv[1], argv[2]: the two TAPs */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR and the loop sees the flag */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int fd[2] = { tap_open(argv[1], vnet_hdr), tap_open(argv[2], vnet_hdr) };
    if (fd[0] < 0 || fd[1] < 0)
        return 1;
    static unsigned char buf[FRAME_MAX];
    struct counters c[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
    struct pollfd pfd[2] = { { fd[0], POLLIN, 0 }, { fd[1], POLLIN, 0 } };
    fprintf(stderr, "tapfwd: forwarding %s <-> %s%s\n", argv[1], argv[2], vnet_hdr ? " (virtio-net header, offloads)" : "");

    int rc = 0;
    while (!stop_requested) {
        int ready = poll(pfd, 2, 500);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            perror("tapfwd: poll");
            rc = 1;
            break;
        }
        for (int i = 0; i < 2 && ready > 0; i++) {
            if (pfd[i].revents == 0)
                continue;
            if (forward(fd[i], fd[1 - i], buf, &c[i]) < 0) {
                fprintf(stderr, "tapfwd: %s: %s\n", argv[1 + i], strerror(errno));
                stop_requested = 1;
                rc = 1;
            }
        }
    }

    for (int i = 0; i < 2; i++)
        fprintf(stderr, "tapfwd: %s -> %s: %llu read, %llu written, %llu write errors\n",
                argv[1 + i], argv[2 - i], c[i].rx, c[i].tx, c[i].tx_err);
    close(fd[0]);
    close(fd[1]);
    return rc;
}
