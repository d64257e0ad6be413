/* SPDX-License-Identifier: MIT */
/* A connection's lifetime: one allocation, states, one timer, one teardown. */
#ifndef PORTY_CONN_H
#define PORTY_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "addr.h"
#include "buf.h"
#include "log.h"
#include "transport.h"

struct conn;
struct conn_owner;
struct route;
struct tls_server;
struct upstream;

/*
 * Where a connection is. Bracketed states of STYLE 3.4 (TLS_*, HTTP_HEAD)
 * belong to later modes and are in the table already so that the order
 * of the life cycle is written down in one place:
 *
 *   ACCEPTED -> [TLS_ACCEPT | TLS_PEEK] -> [HTTP_HEAD] -> CONNECTING
 *            -> [TLS_CONNECT] -> RELAYING -> DRAINING -> CLOSED
 *
 * and any state may go to CLOSED. HTTP mode loops: a request's exchange
 * (RELAYING) goes back to HTTP_HEAD for the next request, and a request
 * may be sent on a pooled upstream (HTTP_HEAD -> RELAYING) or connect
 * again when that one had closed (RELAYING -> CONNECTING).
 * conn_set_state() asserts the table.
 */
enum conn_state {
	CONN_ACCEPTED = 0, /* allocated; nothing started yet */
	CONN_TLS_ACCEPT,   /* TLS handshake with the client */
	CONN_TLS_PEEK,     /* reading the ClientHello to pick the route */
	CONN_HTTP_HEAD,    /* reading a request head */
	CONN_CONNECTING,   /* upstream connect, or the wait before a retry */
	CONN_TLS_CONNECT,  /* TLS handshake with the upstream */
	CONN_RELAYING,     /* bytes flow both ways */
	CONN_DRAINING,     /* one direction ended (FIN passed on), one flows */
	CONN_CLOSED,       /* inside conn_close(); the memory is freed next */
};

/* The two endpoints; a relay direction is named by the side it reads. */
enum conn_side {
	CONN_CLIENT = 0,
	CONN_UPSTREAM = 1,
};

/* The other side. */
static inline enum conn_side
conn_other(enum conn_side s)
{
	return s == CONN_CLIENT ? CONN_UPSTREAM : CONN_CLIENT;
}

/* How a connection ended, which decides what is logged at log_level none. */
enum conn_end {
	CONN_END_DONE = 0, /* both directions finished */
	CONN_END_TIMEOUT,  /* idle timeout or shutdown deadline: not an error */
	CONN_END_ABORT,    /* the client reset or vanished: not an error */
	CONN_END_ERROR,    /* connect failed, upstream reset, no memory */
};

/* A step that continues a connection (the owner's start, connected hooks). */
typedef void conn_fn(struct conn *c);

/* Told after a connection of O has been freed (O's count already lowered). */
typedef void conn_closed_fn(struct conn_owner *o);

/*
 * What a connection borrows from whoever accepted it (a listener, or a
 * unit test). The owner outlives its connections and keeps the list of
 * the live ones, so a stop can close the rest.
 */
struct conn_owner {
	struct ev_loop *loop;            /* borrowed */
	const struct route *route;       /* borrowed: outlives every conn */
	struct buf_pool *pool;           /* borrowed: buffer_size_kb blocks */
	struct buf_pipe_pool *pipes;     /* borrowed: splice(2); NULL: none */
	const struct upstream *upstream; /* borrowed: TCP mode's target */
	const char *target;              /* borrowed: "host:port" for logs */
	bool log;                        /* access-log each connection */
	conn_fn *start;                  /* a new conn (TCP: connect) */
	struct tls_server *tls; /* borrowed: terminate TLS first, or NULL */
	conn_fn *tls_next;      /* after the client's handshake (the mode's
				   start; start itself is tls_accept) */
	conn_fn *connected;              /* upstream is up (TCP: relay_start) */
	conn_closed_fn *closed;          /* after each close; may be NULL */
	/* connecting failed for good (WHY says how); NULL: conn_close() */
	void (*connect_failed)(struct conn *c, const char *why);
	conn_fn *finish; /* in conn_close(), before the memory goes; or NULL */
	/* the server stops: finish what is in flight, then close (may close
	   C at once); NULL: nothing to do, connections run to their end */
	conn_fn *stopping;
	size_t conn_size;   /* bytes conn_new() allocates; 0: a struct conn */
	unsigned max_conns; /* the listener's cap; 0: route->max_connections */
	void *ctx;          /* borrowed: the mode's listener state (HTTP) */
	struct log_ratelimit rl;         /* errors logged at log_level none */
	struct conn *conns;              /* private to conn.c: live conns */
	unsigned nconns;                 /* live conns */
};

/* One endpoint. Bytes read here wait in `in` until written to the other. */
struct half {
	struct transport tp; /* owned: fd, and the TLS state later */
	ev_io rd, wr;        /* embedded; data points to the conn */
	struct buf in;       /* owned: read here, not yet written to the peer */
	struct buf_pipe *pipe; /* owned: spliced from here, not yet out */
	unsigned eof : 1;      /* this side's stream ended (or broke) */
	unsigned shut_wr : 1;  /* nothing more will be written to this side */
	unsigned bulk : 1;     /* private to relay.c: a full last read */
	unsigned rd_ww : 1;    /* private to relay.c: reading this side waits
				  for it to be writable (TLS) */
	unsigned wr_wr : 1;    /* private to relay.c: writing to this side
				  waits for it to be readable (TLS) */
};

/*
 * One proxied connection: a single calloc() holding both endpoints, their
 * four watchers and the one timer. An idle relayed connection owns nothing
 * else (its buffers are back in the pool).
 */
struct conn {
	struct half side[2];      /* indexed by enum conn_side */
	ev_timer timer;           /* the one timer: connect, backoff, idle */
	ev_tstamp start;          /* ev_now() at accept */
	ev_tstamp active;         /* ev_now() of the last byte moved */
	uint64_t bytes_in;        /* read from the client */
	uint64_t bytes_out;       /* written to the client */
	struct conn_owner *owner; /* borrowed: outlives the conn */
	const struct route *route; /* borrowed: its limits apply (HTTP: per
				      request); owner->route at first */
	const struct upstream *up; /* borrowed: where upstream_connect() goes;
				      owner->upstream at first */
	struct conn *prev, *next; /* private to conn.c: owner->conns */
	int err;                  /* private to relay.c: first I/O errno */
	enum conn_state state;
	uint8_t err_side;    /* private to relay.c: the side that failed */
	uint8_t err_write;   /* private to relay.c: it failed writing */
	uint16_t up_attempt; /* private to upstream.c: attempts started */
	uint8_t up_addr;     /* private to upstream.c: address index */
	uint8_t up_backoff;  /* private to upstream.c: in a backoff */
	bool log;            /* access-log it: owner->log, unless the route
				is known only later (SNI routing) */
	const char *sni;     /* borrowed: the ClientHello's server name of a
				TLS passthrough (SNI routing), for the log */
	struct addr peer;    /* the client's address */
};

/*
 * A connection of O for the accepted client socket FD (ownership of FD
 * passes to the connection) from PEER, in CONN_ACCEPTED, linked into O and
 * counted, and access-logged as opened if O logs. Returns NULL if memory is
 * short; FD is then still the caller's.
 */
struct conn *conn_new(struct conn_owner *o, int fd, const struct addr *peer);

/*
 * Give side S the socket FD (owned by the connection from now on) behind
 * transport OPS. The side's watchers must be stopped; they are pointed at
 * FD but not started.
 */
void conn_attach(struct conn *c, enum conn_side s, int fd,
		 const struct transport_ops *ops);

/* Close side S's transport (the conn stays; used between connect attempts). */
void conn_detach(struct conn *c, enum conn_side s);

/*
 * Log that C began (porty format's opening block), once its route and
 * target are known: conn_new() does it unless the owner defers it.
 */
void conn_log_open(struct conn *c);

/* Move C to state TO; asserts that the transition is in the table. */
void conn_set_state(struct conn *c, enum conn_state to);

/* The state's name for logs ("relaying"). */
const char *conn_state_name(enum conn_state s);

/*
 * Re-arm the connection's one timer to call CB in AFTER seconds (0: stop
 * it). ev_timer_again() re-uses the watcher, so nothing is allocated.
 */
void conn_timer(struct conn *c, ev_tstamp after,
		void (*cb)(struct ev_loop *, ev_timer *, int));

/*
 * The one teardown: stop the watchers and the timer, close both transports,
 * return the buffers, log the end (WHY is the error text, NULL for a normal
 * end; at log_level none only CONN_END_ERROR is logged, rate-limited),
 * unlink from the owner, free C, then tell the owner. C is gone afterwards:
 * call it last and return.
 */
void conn_close(struct conn *c, enum conn_end end, const char *why);

/* Tell every live connection of O that the server stops (o->stopping). */
void conn_stop_all(struct conn_owner *o);

/* conn_close() every live connection of O, as END with WHY. */
void conn_close_all(struct conn_owner *o, enum conn_end end, const char *why);

#endif /* PORTY_CONN_H */
