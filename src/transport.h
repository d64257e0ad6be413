/* SPDX-License-Identifier: MIT */
/* Byte transports under a connection: the ops table (plain.c, tls.c). */
#ifndef PORTY_TRANSPORT_H
#define PORTY_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

struct iovec;

/*
 * What one transport call did. IO_AGAIN means "nothing more now": the
 * transport records in want which event it waits for (for TLS a write may
 * wait for readability and the reverse). IO_ERROR leaves an errno value in
 * transport.err for the log.
 */
enum io_rc {
	IO_OK = 0,
	IO_AGAIN,
	IO_EOF,
	IO_ERROR,
};

/* Bits of transport.want. */
#define TRANSPORT_WANT_READ  1u
#define TRANSPORT_WANT_WRITE 2u

/* One endpoint's byte stream: a socket and whatever layer sits on it. */
struct transport {
	const struct transport_ops *ops; /* borrowed: a static table */
	void *ctx;                       /* owned: SSL * for TLS, else NULL */
	int fd;                          /* owned: -1 when there is none */
	int err;                         /* errno of the last IO_ERROR */
	unsigned char want;              /* TRANSPORT_WANT_* after IO_AGAIN */
};

/*
 * The operations of a transport. read and write move at most LEN bytes and
 * store the count in *N (0 unless IO_OK; write may also return IO_AGAIN
 * with *N > 0 after a short write, which means the socket is full). read
 * returns IO_EOF at the end of the peer's stream. shutdown ends our sending
 * direction after the last byte (TCP FIN; TLS close_notify first); errors
 * from it do not matter to the caller, which is done with that direction
 * anyway. close releases ctx and fd and leaves fd at -1.
 */
struct transport_ops {
	const char *name;
	bool splice; /* fd carries the raw stream: splice(2) may bypass read */
	enum io_rc (*read)(struct transport *t, char *dst, size_t len,
			   size_t *n);
	enum io_rc (*write)(struct transport *t, const char *src, size_t len,
			    size_t *n);
	/* As write, for IOVCNT pieces at once (HTTP: a head and its body
	   bytes in one syscall); NULL if the transport has none. */
	enum io_rc (*writev)(struct transport *t, const struct iovec *iov,
			     int iovcnt, size_t *n);
	enum io_rc (*shutdown)(struct transport *t);
	void (*close)(struct transport *t);
	/* Whether bytes were read off the socket already and wait inside
	   the transport (a TLS record), so that a read can succeed although
	   the socket is not readable; NULL: never. */
	bool (*pending)(const struct transport *t);
};

/* Plain TCP (plain.c): recv/send with MSG_NOSIGNAL, shutdown(SHUT_WR). */
extern const struct transport_ops plain_transport_ops;

#endif /* PORTY_TRANSPORT_H */
