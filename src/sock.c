/* SPDX-License-Identifier: MIT */
/* Socket syscalls with porty's flags: non-blocking, close-on-exec, no Nagle. */
#include "auto-config.h"

#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"

int
sock_backlog(int want)
{
	char text[32];
	ssize_t n;
	long v;
	int fd;

	fd = open("/proc/sys/net/core/somaxconn", O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return want;
	n = read(fd, text, sizeof(text) - 1);
	(void)close(fd);
	if (n <= 0)
		return want;
	text[n] = '\0';
	v = strtol(text, NULL, 10);
	return v > 0 && v < want ? (int)v : want;
}

int
sock_listen(const struct addr *a, int backlog, bool reuseport, char *err,
	    size_t errlen)
{
	char text[ADDR_TEXT_MAX];
	int fd, on = 1;

	fd = socket(a->u.sa.sa_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd == -1)
		goto fail;
	/* A restarted porty must not wait out TIME_WAIT of its old clients. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	if (reuseport &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, &a->u.sa, a->len) == -1)
		goto fail;
	if (listen(fd, backlog) == -1)
		goto fail;
	return fd;
fail:
	addr_format(a, text, sizeof(text));
	snprintf(err, errlen, "listen %s: %s", text, strerror(errno));
	if (fd != -1) {
		int saved = errno;

		(void)close(fd);
		errno = saved;
	}
	return -1;
}

int
sock_accept(int lfd, struct addr *peer)
{
	socklen_t len;
	int fd;

	do {
		len = sizeof(peer->u);
		fd = accept4(lfd, &peer->u.sa, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
	} while (fd == -1 && errno == EINTR);
	if (fd != -1)
		peer->len = len;
	return fd;
}

int
sock_connect(const struct addr *a, bool *pending)
{
	int fd, saved;

	fd = socket(a->u.sa.sa_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd == -1)
		return -1;
	(void)sock_nodelay(fd);
	*pending = false;
	if (connect(fd, &a->u.sa, a->len) == 0)
		return fd;
	/* Interrupted by a signal, the connect goes on in the background. */
	if (errno == EINPROGRESS || errno == EINTR) {
		*pending = true;
		return fd;
	}
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

int
sock_error(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return errno;
	return err;
}

int
sock_nodelay(int fd)
{
	int on = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}
