/* SPDX-License-Identifier: MIT */
/* Socket syscalls with porty's flags: non-blocking, close-on-exec, no Nagle. */
#ifndef PORTY_SOCK_H
#define PORTY_SOCK_H

#include <stdbool.h>
#include <stddef.h>

struct addr;

/* The listen backlog porty asks for, before the system's somaxconn cap. */
#define SOCK_BACKLOG 4096

/*
 * WANT capped by /proc/sys/net/core/somaxconn (the kernel would cap it
 * silently; reading it lets the start-up log tell the truth).
 */
int sock_backlog(int want);

/*
 * A non-blocking, close-on-exec TCP socket bound to A with SO_REUSEADDR
 * (and SO_REUSEPORT when REUSEPORT: worker processes each bind their own
 * socket and the kernel spreads the clients) and listening with BACKLOG.
 * Returns the descriptor, or -1 with ERR filled as "listen 0.0.0.0:80:
 * Permission denied".
 */
int sock_listen(const struct addr *a, int backlog, bool reuseport, char *err,
		size_t errlen);

/*
 * accept4() a client of listening socket LFD, non-blocking and
 * close-on-exec, storing its address in *PEER. Returns the descriptor, or
 * -1 with errno set (EAGAIN: the queue is empty; EMFILE/ENFILE: out of
 * descriptors; ECONNABORTED and the like: that client is gone).
 */
int sock_accept(int lfd, struct addr *peer);

/*
 * Start a non-blocking connect to A on a new socket with TCP_NODELAY.
 * Returns the descriptor with *PENDING true while the handshake runs
 * (wait for EV_WRITE, then sock_error()), or false if it is already
 * connected; or -1 with errno set (the socket is closed then).
 */
int sock_connect(const struct addr *a, bool *pending);

/* The pending error of FD (SO_ERROR): 0 once a connect has succeeded. */
int sock_error(int fd);

/* Turn off Nagle's algorithm on FD: relayed bytes go out at once. */
int sock_nodelay(int fd);

#endif /* PORTY_SOCK_H */
