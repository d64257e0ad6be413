/* SPDX-License-Identifier: MIT */
/* Non-blocking host name resolution with c-ares, driven by a libev loop. */
#include "auto-config.h"

#include "resolve.h"

#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <ares.h>

#include "compiler.h"

/*
 * How a query is owned. c-ares holds Q from ares_getaddrinfo() until it
 * calls resolve_ares_cb() (in_ares), and the user holds it until the
 * callback runs or resolve_cancel() (cb != NULL). Q is freed when both
 * have let go. Every user callback runs from Q's own timer, never from
 * inside c-ares: c-ares may answer synchronously (IP literals, /etc/hosts,
 * errors), and a user callback that frees the resolver would otherwise
 * destroy the channel under ares_process_fd().
 */
struct resolve_query {
	struct resolver *r;                /* borrowed: outlives q */
	struct resolve_query *prev, *next; /* in r->queries */
	resolve_done_fn *cb;               /* NULL once the user let go */
	void *arg;                         /* borrowed: the user's */
	ev_timer timer;                    /* deadline, then delivery */
	struct sockaddr_storage *addrs;    /* owned: the answer */
	size_t naddrs;
	const char *reason; /* static text */
	int status;         /* enum resolve_status */
	unsigned port;
	bool in_ares; /* c-ares still holds q */
	bool ready;   /* status/addrs are the answer */
	char name[];  /* the name asked for, the cache's key */
};

/* Up to this many names keep their positive answer for their DNS TTL, */
#define RESOLVE_CACHE_MAX     64
/* but no longer than this many seconds. */
#define RESOLVE_CACHE_TTL_MAX 300

/* A positive answer kept for later queries of the same name. */
struct resolve_cached {
	struct resolve_cached *next;    /* in r->cache, most recent first */
	ev_tstamp expires;              /* ev_now() from which it is stale */
	struct sockaddr_storage *addrs; /* owned; ports unspecified */
	size_t naddrs;
	char name[];
};

/* An ev_io watcher on one of c-ares' sockets. */
struct resolve_sock {
	ev_io io;
	struct resolver *r;        /* borrowed: outlives the sock */
	struct resolve_sock *next; /* in r->socks */
};

struct resolver {
	struct ev_loop *loop;          /* borrowed: outlives r */
	ares_channel channel;          /* owned */
	ev_timer timer;                /* c-ares' next timeout; active only
					  while c-ares has queries */
	struct resolve_sock *socks;    /* owned: one per c-ares socket */
	struct resolve_query *queries; /* owned: every live query */
	struct resolve_cached *cache;  /* owned: RESOLVE_CACHE_MAX at most */
	size_t ncached;
	bool closing; /* inside resolve_free() */
};

/* c-ares status -> porty status and reason text. */
static const struct resolve_reason {
	int ares;
	int status;
	const char *reason;
} resolve_reasons[] = {
    {ARES_ENOTFOUND, RESOLVE_NOT_FOUND, "no such host"},
    {ARES_ENODATA, RESOLVE_NOT_FOUND, "no address for host"},
    {ARES_ETIMEOUT, RESOLVE_TIMEOUT, "timeout"},
    {ARES_ESERVFAIL, RESOLVE_FAILED, "DNS server failure"},
    {ARES_EREFUSED, RESOLVE_FAILED, "DNS query refused"},
    /* Also c-ares 1.18's end after retrying servers that said SERVFAIL. */
    {ARES_ECONNREFUSED, RESOLVE_FAILED, "DNS server failure"},
    {ARES_EBADNAME, RESOLVE_FAILED, "bad host name"},
    {ARES_EBADFAMILY, RESOLVE_FAILED, "bad address family"},
    {ARES_ENOMEM, RESOLVE_FAILED, "out of memory"},
    {ARES_EFORMERR, RESOLVE_FAILED, "malformed DNS query"},
    {ARES_EBADRESP, RESOLVE_FAILED, "malformed DNS answer"},
    {ARES_ENOTIMP, RESOLVE_FAILED, "DNS query not implemented"},
};

/* Store the c-ares error ARES in Q as a status and a reason. */
static void
resolve_set_error(struct resolve_query *q, int ares)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(resolve_reasons); i++) {
		if (resolve_reasons[i].ares == ares) {
			q->status = resolve_reasons[i].status;
			q->reason = resolve_reasons[i].reason;
			return;
		}
	}
	q->status = RESOLVE_FAILED;
	q->reason = ares_strerror(ares);
}

/* Arm r->timer for c-ares' next timeout, or stop it when nothing waits. */
static void
resolve_arm(struct resolver *r)
{
	struct timeval tv, *next;

	ev_timer_stop(r->loop, &r->timer);
	next = ares_timeout(r->channel, NULL, &tv);
	if (next == NULL)
		return;
	ev_timer_set(&r->timer,
		     (double)next->tv_sec + (double)next->tv_usec / 1e6, 0.);
	ev_timer_start(r->loop, &r->timer);
}

/* c-ares' deadline passed: let it expire queries and retry servers. */
static void
resolve_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct resolver *r = container_of(w, struct resolver, timer);

	(void)loop;
	(void)revents;
	ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	resolve_arm(r);
}

/* A c-ares socket is ready. ares_process_fd() may close it and free W. */
static void
resolve_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct resolve_sock *s = container_of(w, struct resolve_sock, io);
	struct resolver *r = s->r;
	ares_socket_t fd = w->fd;

	(void)loop;
	ares_process_fd(r->channel, (revents & EV_READ) ? fd : ARES_SOCKET_BAD,
			(revents & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	resolve_arm(r);
}

/*
 * c-ares' socket-state callback: watch FD for the wanted events, or stop
 * and free its watcher when it wants none (c-ares calls this before it
 * closes the socket). Without memory for a watcher the socket goes
 * unwatched and its queries end through c-ares' timeouts.
 */
static void
resolve_sock_state_cb(void *data, ares_socket_t fd, int readable, int writable)
{
	struct resolver *r = data;
	struct resolve_sock *s, **sp;
	int events = (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);

	for (sp = &r->socks; (s = *sp) != NULL; sp = &s->next) {
		if (s->io.fd == fd)
			break;
	}
	if (events == 0) {
		if (s != NULL) {
			ev_io_stop(r->loop, &s->io);
			*sp = s->next;
			free(s);
		}
		return;
	}
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return;
		s->r = r;
		ev_io_init(&s->io, resolve_io_cb, fd, events);
		s->next = r->socks;
		r->socks = s;
	} else {
		ev_io_stop(r->loop, &s->io);
		ev_io_set(&s->io, fd, events);
	}
	ev_io_start(r->loop, &s->io);
}

/* Take Q off r->queries. */
static void
resolve_query_unlink(struct resolve_query *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		q->r->queries = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
}

/* Unlink Q, stop its timer and free it with its answer. */
static void
resolve_query_free(struct resolve_query *q)
{
	ev_timer_stop(q->r->loop, &q->timer);
	resolve_query_unlink(q);
	free(q->addrs);
	free(q);
}

/* Set the port of SS, an AF_INET or AF_INET6 address, to PORT. */
static void
resolve_set_port(struct sockaddr_storage *ss, unsigned port)
{
	struct sockaddr_in in;
	struct sockaddr_in6 in6;

	/* memcpy through typed locals: no casts between sockaddr kinds. */
	if (ss->ss_family == AF_INET) {
		memcpy(&in, ss, sizeof(in));
		in.sin_port = htons((uint16_t)port);
		memcpy(ss, &in, sizeof(in));
	} else {
		memcpy(&in6, ss, sizeof(in6));
		in6.sin6_port = htons((uint16_t)port);
		memcpy(ss, &in6, sizeof(in6));
	}
}

/* Make Q's answer a copy of ADDRS[0..N), ports set to q->port. */
static void
resolve_answer(struct resolve_query *q, const struct sockaddr_storage *addrs,
	       size_t n)
{
	size_t i;

	q->addrs = malloc(n * sizeof(*addrs));
	if (q->addrs == NULL) {
		resolve_set_error(q, ARES_ENOMEM);
		return;
	}
	memcpy(q->addrs, addrs, n * sizeof(*addrs));
	q->naddrs = n;
	for (i = 0; i < n; i++)
		resolve_set_port(&q->addrs[i], q->port);
	q->status = RESOLVE_OK;
	q->reason = "ok";
}

/* Drop *CP from the cache list it heads. */
static void
resolve_cache_drop(struct resolver *r, struct resolve_cached **cp)
{
	struct resolve_cached *c = *cp;

	*cp = c->next;
	free(c->addrs);
	free(c);
	r->ncached--;
}

/* The fresh cache entry for NAME, moved to the front, or NULL. */
static struct resolve_cached *
resolve_cache_get(struct resolver *r, const char *name)
{
	struct resolve_cached *c, **cp;

	for (cp = &r->cache; (c = *cp) != NULL; cp = &c->next) {
		if (strcasecmp(c->name, name) != 0)
			continue;
		if (c->expires <= ev_now(r->loop)) {
			resolve_cache_drop(r, cp);
			return NULL;
		}
		*cp = c->next;
		c->next = r->cache;
		r->cache = c;
		return c;
	}
	return NULL;
}

/*
 * Keep Q's positive answer for TTL seconds (capped), replacing any entry
 * for the same name and dropping the least recently used one when full.
 * Without memory the answer is simply not kept.
 */
static void
resolve_cache_put(struct resolver *r, const struct resolve_query *q, int ttl)
{
	struct resolve_cached *c, **cp;
	size_t len = strlen(q->name);

	for (cp = &r->cache; (c = *cp) != NULL; cp = &c->next) {
		if (strcasecmp(c->name, q->name) == 0) {
			resolve_cache_drop(r, cp);
			break;
		}
	}
	if (r->ncached == RESOLVE_CACHE_MAX) {
		for (cp = &r->cache; (*cp)->next != NULL; cp = &(*cp)->next)
			;
		resolve_cache_drop(r, cp);
	}
	c = calloc(1, sizeof(*c) + len + 1);
	if (c == NULL)
		return;
	c->addrs = malloc(q->naddrs * sizeof(*q->addrs));
	if (c->addrs == NULL) {
		free(c);
		return;
	}
	memcpy(c->addrs, q->addrs, q->naddrs * sizeof(*q->addrs));
	c->naddrs = q->naddrs;
	memcpy(c->name, q->name, len + 1);
	if (ttl > RESOLVE_CACHE_TTL_MAX)
		ttl = RESOLVE_CACHE_TTL_MAX;
	c->expires = ev_now(r->loop) + (double)ttl;
	c->next = r->cache;
	r->cache = c;
	r->ncached++;
}

/* Empty R's cache. */
static void
resolve_cache_clear(struct resolver *r)
{
	while (r->cache != NULL)
		resolve_cache_drop(r, &r->cache);
}

/*
 * Make Q's answer the AF_INET and AF_INET6 addresses of RES, in order,
 * ports set to q->port. Returns the smallest TTL among them (0 for
 * /etc/hosts and literals: nothing to cache).
 */
static int
resolve_store(struct resolve_query *q, const struct ares_addrinfo *res)
{
	const struct ares_addrinfo_node *n;
	size_t count = 0, len;
	int ttl = -1;

	for (n = res->nodes; n != NULL; n = n->ai_next)
		count++;
	q->addrs = calloc(count > 0 ? count : 1, sizeof(*q->addrs));
	if (q->addrs == NULL) {
		resolve_set_error(q, ARES_ENOMEM);
		return 0;
	}
	for (n = res->nodes; n != NULL; n = n->ai_next) {
		if (n->ai_family == AF_INET)
			len = sizeof(struct sockaddr_in);
		else if (n->ai_family == AF_INET6)
			len = sizeof(struct sockaddr_in6);
		else
			continue;
		if (n->ai_addrlen < len)
			continue;
		memcpy(&q->addrs[q->naddrs], n->ai_addr, len);
		resolve_set_port(&q->addrs[q->naddrs++], q->port);
		if (ttl == -1 || n->ai_ttl < ttl)
			ttl = n->ai_ttl;
	}
	if (q->naddrs == 0) {
		free(q->addrs);
		q->addrs = NULL;
		resolve_set_error(q, ARES_ENODATA);
		return 0;
	}
	q->status = RESOLVE_OK;
	q->reason = "ok";
	return ttl > 0 ? ttl : 0;
}

/*
 * ares_getaddrinfo()'s callback, possibly from inside ares_getaddrinfo()
 * itself. Keeps the answer in Q and schedules its delivery on the next
 * loop iteration, or frees Q when nobody waits for it any more.
 */
static void
resolve_ares_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct resolve_query *q = arg;
	struct resolver *r = q->r;

	(void)timeouts;
	q->in_ares = false;
	if (q->cb == NULL || r->closing) {
		if (res != NULL)
			ares_freeaddrinfo(res);
		resolve_query_free(q);
		return;
	}
	if (status == ARES_SUCCESS && res != NULL) {
		int ttl = resolve_store(q, res);

		if (q->status == RESOLVE_OK && ttl > 0)
			resolve_cache_put(r, q, ttl);
	} else {
		resolve_set_error(q, status == ARES_SUCCESS ? ARES_ENODATA
							    : status);
	}
	if (res != NULL)
		ares_freeaddrinfo(res);
	q->ready = true;
	ev_timer_stop(r->loop, &q->timer);
	ev_timer_set(&q->timer, 0., 0.);
	ev_timer_start(r->loop, &q->timer);
}

/*
 * Q's timer: deliver the answer, or report the deadline. The user may
 * free the resolver inside the callback, so Q is first taken off the
 * resolver's list (answer ready) or handed to c-ares alone (deadline),
 * and nothing but Q's own memory is touched afterwards.
 */
static void
resolve_query_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct resolve_query *q = container_of(w, struct resolve_query, timer);
	resolve_done_fn *cb = q->cb;
	void *arg = q->arg;

	(void)loop;
	(void)revents;
	q->cb = NULL;
	if (!q->ready) {
		/* c-ares still holds q and frees it through resolve_ares_cb. */
		assert(q->in_ares && "a query without an answer is in c-ares");
		cb(arg, RESOLVE_TIMEOUT, "timeout", NULL, 0);
		return;
	}
	assert(!q->in_ares && "an answered query has left c-ares");
	resolve_query_unlink(q);
	cb(arg, q->status, q->reason, q->status == RESOLVE_OK ? q->addrs : NULL,
	   q->naddrs);
	free(q->addrs);
	free(q);
}

struct resolver *
resolve_new(struct ev_loop *loop, char *err, size_t errlen)
{
	struct ares_options opts;
	struct resolver *r;
	int rc;

	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r->loop = loop;
	ev_timer_init(&r->timer, resolve_timer_cb, 0., 0.);
	memset(&opts, 0, sizeof(opts));
	opts.sock_state_cb = resolve_sock_state_cb;
	opts.sock_state_cb_data = r;
	rc = ares_init_options(&r->channel, &opts, ARES_OPT_SOCK_STATE_CB);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		goto fail;
	}
	return r;

fail:
	free(r);
	ares_library_cleanup();
	return NULL;
}

void
resolve_free(struct resolver *r)
{
	struct resolve_sock *s;

	if (r == NULL)
		return;
	r->closing = true;
	/* Ends every c-ares query through resolve_ares_cb(), which frees it. */
	ares_destroy(r->channel);
	r->channel = NULL;
	/* What is left has an answer waiting for delivery. */
	while (r->queries != NULL)
		resolve_query_free(r->queries);
	resolve_cache_clear(r);
	while ((s = r->socks) != NULL) {
		ev_io_stop(r->loop, &s->io);
		r->socks = s->next;
		free(s);
	}
	ev_timer_stop(r->loop, &r->timer);
	free(r);
	ares_library_cleanup();
}

struct resolve_query *
resolve_start(struct resolver *r, const char *name, unsigned port,
	      unsigned timeout_ms, resolve_done_fn *cb, void *arg)
{
	struct ares_addrinfo_hints hints;
	const struct resolve_cached *c;
	struct resolve_query *q;
	size_t len = strlen(name);

	assert(cb != NULL && "a query needs a callback");
	assert(port <= 65535 && "a port fits 16 bits");
	q = calloc(1, sizeof(*q) + len + 1);
	if (q == NULL)
		return NULL;
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	q->port = port;
	memcpy(q->name, name, len + 1);
	ev_timer_init(&q->timer, resolve_query_timer_cb,
		      (double)timeout_ms / 1000., 0.);
	q->next = r->queries;
	if (q->next != NULL)
		q->next->prev = q;
	r->queries = q;

	c = resolve_cache_get(r, name);
	if (c != NULL) {
		resolve_answer(q, c->addrs, c->naddrs);
		if (q->status == RESOLVE_OK) {
			q->ready = true;
			ev_timer_set(&q->timer, 0., 0.);
			ev_timer_start(r->loop, &q->timer);
			return q;
		}
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	q->in_ares = true;
	/* May call resolve_ares_cb() before returning, which arms q->timer. */
	ares_getaddrinfo(r->channel, name, NULL, &hints, resolve_ares_cb, q);
	if (!q->ready && timeout_ms > 0)
		ev_timer_start(r->loop, &q->timer);
	resolve_arm(r);
	return q;
}

void
resolve_cancel(struct resolve_query *q)
{
	q->cb = NULL;
	ev_timer_stop(q->r->loop, &q->timer);
	/* A query still in c-ares is freed when c-ares lets go of it. */
	if (!q->in_ares)
		resolve_query_free(q);
}

int
resolve_set_servers(struct resolver *r, const char *servers)
{
	resolve_cache_clear(r);
	return ares_set_servers_ports_csv(r->channel, servers) == ARES_SUCCESS
		   ? 0
		   : -1;
}
