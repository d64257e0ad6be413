/* SPDX-License-Identifier: MIT */
/* The plain transport: raw TCP over a non-blocking SOCK_STREAM socket. */
#include "auto-config.h"

#include "transport.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/types.h>
#include <unistd.h>

static enum io_rc
plain_read(struct transport *t, char *dst, size_t len, size_t *n)
{
	ssize_t r;

	*n = 0;
	do
		r = recv(t->fd, dst, len, 0);
	while (r == -1 && errno == EINTR);
	if (r > 0) {
		*n = (size_t)r;
		return IO_OK;
	}
	if (r == 0)
		return IO_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		t->want = TRANSPORT_WANT_READ;
		return IO_AGAIN;
	}
	t->err = errno;
	return IO_ERROR;
}

/*
 * One send(2). A short write means the socket buffer is full, so it is
 * reported as IO_AGAIN with the count: the caller waits for EV_WRITE
 * instead of spending a syscall to learn EAGAIN.
 */
static enum io_rc
plain_write(struct transport *t, const char *src, size_t len, size_t *n)
{
	ssize_t r;

	*n = 0;
	do
		r = send(t->fd, src, len, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	if (r >= 0) {
		*n = (size_t)r;
		if (*n == len)
			return IO_OK;
		t->want = TRANSPORT_WANT_WRITE;
		return IO_AGAIN;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		t->want = TRANSPORT_WANT_WRITE;
		return IO_AGAIN;
	}
	t->err = errno;
	return IO_ERROR;
}

/* As plain_write(), for several pieces: one sendmsg(2). */
static enum io_rc
plain_writev(struct transport *t, const struct iovec *iov, int iovcnt,
	     size_t *n)
{
	struct msghdr mh;
	size_t len = 0;
	ssize_t r;
	int i;

	*n = 0;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = (struct iovec *)(uintptr_t)iov;
	mh.msg_iovlen = (size_t)iovcnt;
	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	do
		r = sendmsg(t->fd, &mh, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	if (r >= 0) {
		*n = (size_t)r;
		if (*n == len)
			return IO_OK;
		t->want = TRANSPORT_WANT_WRITE;
		return IO_AGAIN;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		t->want = TRANSPORT_WANT_WRITE;
		return IO_AGAIN;
	}
	t->err = errno;
	return IO_ERROR;
}

static enum io_rc
plain_shutdown(struct transport *t)
{
	if (shutdown(t->fd, SHUT_WR) == -1) {
		t->err = errno;
		return IO_ERROR;
	}
	return IO_OK;
}

static void
plain_close(struct transport *t)
{
	if (t->fd != -1) {
		/* Linux always releases the descriptor, even on EINTR. */
		(void)close(t->fd);
		t->fd = -1;
	}
}

const struct transport_ops plain_transport_ops = {
    .name = "plain",
    .splice = true,
    .read = plain_read,
    .write = plain_write,
    .writev = plain_writev,
    .shutdown = plain_shutdown,
    .close = plain_close,
};
