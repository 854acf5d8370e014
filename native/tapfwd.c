/*
 * tapfwd: the floor for any switch over plain TAP I/O.
 *
 * Opens (creating, or attaching to) two TAP devices by name with IFF_TAP | IFF_NO_PI and forwards every frame read
 * from one to the other: one read() and one write() per frame, poll() on both fds, no learning, no copies beyond the
 * kernel's. Whatever a real switch does on top of this (parse, learn, look up, queue) can only cost more, so a
 * userspace switch over the same TAP syscalls is judged against this forwarder's frame rate.
 *
 * Usage: tapfwd TAP_A TAP_B
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
/* Largest frame a TAP hands out without offloads: 64 KiB is plenty. */
#define FRAME_MAX 65536

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static int tap_open(const char *name)
{
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        perror("tapfwd: open /dev/net/tun");
        return -1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
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
    if (argc != 3) {
        fprintf(stderr, "usage: tapfwd TAP_A TAP_B\n");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR and the loop sees the flag */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int fd[2] = { tap_open(argv[1]), tap_open(argv[2]) };
    if (fd[0] < 0 || fd[1] < 0)
        return 1;
    static unsigned char buf[FRAME_MAX];
    struct counters c[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
    struct pollfd pfd[2] = { { fd[0], POLLIN, 0 }, { fd[1], POLLIN, 0 } };
    fprintf(stderr, "tapfwd: forwarding %s <-> %s\n", argv[1], argv[2]);

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
