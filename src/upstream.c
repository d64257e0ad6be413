/* SPDX-License-Identifier: MIT */
/* The upstream side: the target, non-blocking connect, timeout, retries. */
#include "auto-config.h"

#include "upstream.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "conn.h"
#include "sock.h"
#include "stats.h"
#include "tls.h"

int
upstream_init(struct upstream *u, const char *host, unsigned port, char *err,
	      size_t errlen)
{
	memset(u, 0, sizeof(*u));
	if (addr_format_hostport(host, port, u->name, sizeof(u->name)) >=
	    sizeof(u->name)) {
		snprintf(err, errlen, "\"%s\": host name too long", host);
		return -1;
	}
	return addr_resolve(host, port, false, u->addrs, UPSTREAM_MAX_ADDRS,
			    &u->naddrs, err, errlen);
}

ev_tstamp
upstream_backoff(unsigned k, double r)
{
	ev_tstamp d = UPSTREAM_BACKOFF_BASE;

	while (k-- > 0 && d < UPSTREAM_BACKOFF_MAX)
		d *= 2;
	if (d > UPSTREAM_BACKOFF_MAX)
		d = UPSTREAM_BACKOFF_MAX;
	return d * (1.0 - UPSTREAM_BACKOFF_JITTER +
		    2.0 * UPSTREAM_BACKOFF_JITTER * r);
}

/*
 * A number in [0, 1) for the jitter. Connections failing together differ
 * in address and start time, which is all the spread jitter needs; no
 * generator state has to be kept (splitmix64 finaliser).
 */
static double
upstream_jitter(const struct conn *c)
{
	uint64_t x = (uint64_t)(uintptr_t)c ^
		     (uint64_t)(ev_now(c->owner->loop) * 1e6) ^
		     ((uint64_t)c->up_attempt << 56);

	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	x ^= x >> 31;
	return (double)(x >> 11) / 9007199254740992.0; /* 2^53 */
}

static void upstream_try(struct conn *c);
static void upstream_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);

/* Connecting failed with ERR: next address, retry, or give up. */
static void
upstream_fail(struct conn *c, int err)
{
	const struct upstream *u = c->up;
	const struct route *r = c->route;
	char addr[ADDR_TEXT_MAX], why[256];
	unsigned attempts;

	conn_detach(c, CONN_UPSTREAM);
	if ((size_t)c->up_addr + 1 < u->naddrs) {
		c->up_addr++;
		upstream_try(c);
		return;
	}
	if (c->up_attempt <= r->max_retries) {
		/* Round up_attempt failed; wait before the next one. */
		c->up_addr = 0;
		c->up_backoff = 1;
		stats_retry(r->stats);
		conn_timer(
		    c, upstream_backoff(c->up_attempt - 1u, upstream_jitter(c)),
		    upstream_timer_cb);
		return;
	}
	addr_format(&u->addrs[c->up_addr], addr, sizeof(addr));
	attempts = c->up_attempt;
	stats_connect_failed(r->stats);
	snprintf(why, sizeof(why), "connect %s: %s (after %u attempt%s)", addr,
		 strerror(err), attempts, attempts == 1 ? "" : "s");
	if (c->owner->connect_failed != NULL) {
		c->owner->connect_failed(c, why);
		return;
	}
	conn_close(c, CONN_END_ERROR, why);
}

/* Connected: TLS first when the backend wants it, then the owner's step. */
static void
upstream_done(struct conn *c)
{
	if (c->up->tls != NULL) {
		tls_connect(c);
		return;
	}
	c->owner->connected(c);
}

/* EV_WRITE on a connecting socket: the handshake has finished, somehow. */
static void
upstream_connect_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	int err;

	(void)revents;
	ev_io_stop(loop, w);
	err = sock_error(w->fd);
	if (err != 0) {
		upstream_fail(c, err);
		return;
	}
	upstream_done(c);
}

/* The one timer while connecting: a backoff ended, or a connect timed out. */
static void
upstream_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;

	(void)loop;
	(void)revents;
	if (c->up_backoff) {
		c->up_backoff = 0;
		upstream_try(c);
		return;
	}
	upstream_fail(c, ETIMEDOUT);
}

/* Connect to the current address; an attempt begins at address 0. */
static void
upstream_try(struct conn *c)
{
	const struct upstream *u = c->up;
	struct half *h = &c->side[CONN_UPSTREAM];
	bool pending;
	int fd;

	if (c->up_addr == 0)
		c->up_attempt++;
	fd = sock_connect(&u->addrs[c->up_addr], &pending);
	if (fd == -1) {
		upstream_fail(c, errno);
		return;
	}
	conn_attach(c, CONN_UPSTREAM, fd, &plain_transport_ops);
	if (!pending) {
		upstream_done(c);
		return;
	}
	ev_set_cb(&h->wr, upstream_connect_cb);
	ev_io_start(c->owner->loop, &h->wr);
	conn_timer(c, (ev_tstamp)c->route->connect_timeout_ms / 1000.0,
		   upstream_timer_cb);
}

void
upstream_connect(struct conn *c)
{
	conn_set_state(c, CONN_CONNECTING);
	c->up_attempt = 0;
	c->up_addr = 0;
	c->up_backoff = 0;
	ev_set_cb(&c->timer, upstream_timer_cb);
	upstream_try(c);
}
