/* SPDX-License-Identifier: MIT */
/* A connection's lifetime: one allocation, states, one timer, one teardown. */
#include "auto-config.h"

#include "conn.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accesslog.h"
#include "config.h"
#include "log.h"
#include "stats.h"
#include "tls.h"
#include "upstream.h"

#define BIT(s) (1u << (s))

/* For each state, the states it may move to (STYLE 3.4); any may close. */
static const unsigned conn_next[] = {
    [CONN_ACCEPTED] = BIT(CONN_TLS_ACCEPT) | BIT(CONN_TLS_PEEK) |
		      BIT(CONN_HTTP_HEAD) | BIT(CONN_CONNECTING) |
		      BIT(CONN_CLOSED),
    [CONN_TLS_ACCEPT] =
	BIT(CONN_HTTP_HEAD) | BIT(CONN_CONNECTING) | BIT(CONN_CLOSED),
    [CONN_TLS_PEEK] = BIT(CONN_CONNECTING) | BIT(CONN_CLOSED),
    [CONN_HTTP_HEAD] =
	BIT(CONN_CONNECTING) | BIT(CONN_RELAYING) | BIT(CONN_CLOSED),
    [CONN_CONNECTING] =
	BIT(CONN_TLS_CONNECT) | BIT(CONN_RELAYING) | BIT(CONN_CLOSED),
    [CONN_TLS_CONNECT] = BIT(CONN_RELAYING) | BIT(CONN_CLOSED),
    [CONN_RELAYING] = BIT(CONN_DRAINING) | BIT(CONN_HTTP_HEAD) |
		      BIT(CONN_CONNECTING) | BIT(CONN_CLOSED),
    [CONN_DRAINING] = BIT(CONN_CLOSED),
    [CONN_CLOSED] = 0,
};

static const char *const conn_state_names[] = {
    [CONN_ACCEPTED] = "accepted",     [CONN_TLS_ACCEPT] = "tls-accept",
    [CONN_TLS_PEEK] = "tls-peek",     [CONN_HTTP_HEAD] = "http-head",
    [CONN_CONNECTING] = "connecting", [CONN_TLS_CONNECT] = "tls-connect",
    [CONN_RELAYING] = "relaying",     [CONN_DRAINING] = "draining",
    [CONN_CLOSED] = "closed",
};

const char *
conn_state_name(enum conn_state s)
{
	return (size_t)s < ARRAY_SIZE(conn_state_names) ? conn_state_names[s]
							: "?";
}

void
conn_set_state(struct conn *c, enum conn_state to)
{
	assert((size_t)c->state < ARRAY_SIZE(conn_next) &&
	       (conn_next[c->state] & BIT(to)) != 0 &&
	       "conn state transition not in the table");
	log_msg(LOG_SEV_DEBUG, c->owner->route->name, "conn %p: %s -> %s",
		(void *)c, conn_state_name(c->state), conn_state_name(to));
	c->state = to;
}

/* Watchers get a callback when a module takes the connection over. */
static void
conn_stray_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	assert(0 && "io watcher started before a module set its callback");
}

static void
conn_stray_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	assert(0 && "timer started before a module set its callback");
}

void
conn_attach(struct conn *c, enum conn_side s, int fd,
	    const struct transport_ops *ops)
{
	struct half *h = &c->side[s];

	assert(!ev_is_active(&h->rd) && !ev_is_active(&h->wr) &&
	       "conn_attach() with a watcher running");
	assert(h->tp.fd == -1 && "conn_attach() over an open transport");
	h->tp.ops = ops;
	h->tp.ctx = NULL;
	h->tp.fd = fd;
	h->tp.err = 0;
	h->tp.want = 0;
	ev_io_set(&h->rd, fd, EV_READ);
	ev_io_set(&h->wr, fd, EV_WRITE);
}

void
conn_detach(struct conn *c, enum conn_side s)
{
	struct half *h = &c->side[s];
	struct ev_loop *loop = c->owner->loop;

	/* Stop before close: libev must not watch a reused descriptor. */
	ev_io_stop(loop, &h->rd);
	ev_io_stop(loop, &h->wr);
	if (h->tp.ops != NULL)
		h->tp.ops->close(&h->tp);
	else if (h->tp.fd != -1)
		(void)close(h->tp.fd);
	h->tp.fd = -1;
}

static void
conn_half_init(struct conn *c, struct half *h)
{
	h->tp.fd = -1;
	ev_init(&h->rd, conn_stray_io_cb);
	ev_init(&h->wr, conn_stray_io_cb);
	h->rd.data = c;
	h->wr.data = c;
}

/* Fill REC for the access log; CLIENT is the caller's ADDR_TEXT_MAX buffer. */
static void
conn_access_rec(const struct conn *c, struct access_rec *rec, char *client)
{
	const struct transport *t = &c->side[CONN_CLIENT].tp;

	memset(rec, 0, sizeof(*rec));
	addr_format(&c->peer, client, ADDR_TEXT_MAX);
	rec->route = c->route->name;
	rec->client = client;
	rec->target = c->up != NULL ? c->up->name : c->owner->target;
	rec->bytes_in = c->bytes_in;
	rec->bytes_out = c->bytes_out;
	rec->tls = tls_version(t);
	rec->sni = rec->tls != NULL ? tls_servername(t) : c->sni;
}

void
conn_log_open(struct conn *c)
{
	char client[ADDR_TEXT_MAX];
	struct access_rec rec;

	conn_access_rec(c, &rec, client);
	accesslog_open(&rec);
}

struct conn *
conn_new(struct conn_owner *o, int fd, const struct addr *peer)
{
	struct conn *c;

	c = calloc(1, o->conn_size > sizeof(*c) ? o->conn_size : sizeof(*c));
	if (c == NULL)
		return NULL;
	c->owner = o;
	c->route = o->route;
	c->up = o->upstream;
	c->state = CONN_ACCEPTED;
	c->peer = *peer;
	c->start = c->active = ev_now(o->loop);
	conn_half_init(c, &c->side[CONN_CLIENT]);
	conn_half_init(c, &c->side[CONN_UPSTREAM]);
	ev_init(&c->timer, conn_stray_timer_cb);
	c->timer.data = c;
	conn_attach(c, CONN_CLIENT, fd, &plain_transport_ops);

	c->next = o->conns;
	if (o->conns != NULL)
		o->conns->prev = c;
	o->conns = c;
	o->nconns++;

	c->log = o->log;
	if (c->log)
		conn_log_open(c);
	return c;
}

void
conn_timer(struct conn *c, ev_tstamp after,
	   void (*cb)(struct ev_loop *, ev_timer *, int))
{
	ev_set_cb(&c->timer, cb);
	c->timer.repeat = after;
	/* With repeat 0, ev_timer_again() stops the timer. */
	ev_timer_again(c->owner->loop, &c->timer);
}

/* Log the end: the access-log line, or only errors, rate-limited. */
static void
conn_log_end(const struct conn *c, enum conn_end end, const char *why)
{
	struct conn_owner *o = c->owner;
	char client[ADDR_TEXT_MAX];
	struct access_rec rec;
	ev_tstamp now;

	if (!c->log && end != CONN_END_ERROR)
		return;
	now = ev_now(o->loop);
	if (c->log) {
		conn_access_rec(c, &rec, client);
		rec.duration_ms = (now - c->start) * 1000.0;
		rec.error = why;
		accesslog_close(&rec);
	} else if (log_ratelimit(&o->rl, now, o->route->name)) {
		addr_format(&c->peer, client, sizeof(client));
		log_msg(LOG_SEV_WARN, o->route->name, "%s -> %s: %s", client,
			o->target != NULL ? o->target : "-",
			why != NULL ? why : "error");
	}
}

void
conn_close(struct conn *c, enum conn_end end, const char *why)
{
	struct conn_owner *o = c->owner;
	struct ev_loop *loop = o->loop;
	int i;

	conn_set_state(c, CONN_CLOSED);
	/* Logged first: the TLS version and server name live in the SSL. */
	conn_log_end(c, end, why);
	ev_timer_stop(loop, &c->timer);
	for (i = 0; i < 2; i++) {
		conn_detach(c, (enum conn_side)i);
		buf_release(&c->side[i].in, o->pool);
		if (c->side[i].pipe != NULL) {
			buf_pipe_put(o->pipes, c->side[i].pipe);
			c->side[i].pipe = NULL;
		}
	}
	stats_conn_close(o->route->stats, c->bytes_in, c->bytes_out);
	if (o->finish != NULL)
		o->finish(c);

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		o->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	o->nconns--;
	free(c);
	if (o->closed != NULL)
		o->closed(o);
}

void
conn_stop_all(struct conn_owner *o)
{
	struct conn *c, *next;

	if (o->stopping == NULL)
		return;
	for (c = o->conns; c != NULL; c = next) {
		next = c->next; /* the hook may close C */
		o->stopping(c);
	}
}

void
conn_close_all(struct conn_owner *o, enum conn_end end, const char *why)
{
	while (o->conns != NULL)
		conn_close(o->conns, end, why);
}
