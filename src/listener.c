/* SPDX-License-Identifier: MIT */
/* Listening sockets: accept loop, connection caps, pause when out of fds. */
#include "auto-config.h"

#include "listener.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "sock.h"
#include "stats.h"

/* One listening socket. */
struct lsock {
	ev_io io; /* data: the listener; fd -1 once closed or handed on */
	struct addr addr; /* the address it is bound to */
	bool borrowed;    /* the fd still belongs to the group's `from` */
};

/* A route's listening sockets, one per address its listen_addr gave. */
struct listener {
	struct conn_owner owner;      /* what its conns borrow */
	struct listener_group *group; /* borrowed: owns the listener */
	struct listener *next;        /* the group's list */
	unsigned cap;                 /* its connection cap */
	size_t nio;
	struct lsock sock[]; /* one per address */
};

/* Whether L may accept now. */
static bool
listener_admits(const struct listener *l)
{
	const struct listener_group *g = l->group;

	return g->started && !g->stopped && !g->paused &&
	       l->owner.nconns < l->cap && g->nconns < g->max_conns;
}

/* Start or stop L's watchers as listener_admits() says. */
static void
listener_update(struct listener *l)
{
	struct ev_loop *loop = l->group->loop;
	bool on = listener_admits(l);
	size_t i;

	for (i = 0; i < l->nio; i++) {
		if (on && l->sock[i].io.fd != -1)
			ev_io_start(loop, &l->sock[i].io);
		else
			ev_io_stop(loop, &l->sock[i].io);
	}
}

static void
listener_group_update(struct listener_group *g)
{
	struct listener *l;

	for (l = g->list; l != NULL; l = l->next)
		listener_update(l);
}

static void
listener_pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct listener_group *g = w->data;

	(void)loop;
	(void)revents;
	g->paused = false;
	listener_group_update(g);
}

/*
 * Out of descriptors or kernel memory: stop every listener for a moment
 * instead of spinning on a level-triggered accept that keeps failing (ev.pod,
 * "the special problem of accept()ing when you can't"). A connection ending
 * meanwhile frees a descriptor; the timer retries either way.
 */
static void
listener_group_pause(struct listener_group *g, const char *route, int err)
{
	/* One line per run of failures, not one per retry. */
	if (!g->pause_logged && log_ratelimit(&g->rl, ev_now(g->loop), route)) {
		log_msg(LOG_SEV_WARN, route,
			"accept: %s; pausing in steps of %d ms until it works",
			strerror(err), (int)(LISTENER_PAUSE * 1000));
		g->pause_logged = true;
	}
	g->paused = true;
	listener_group_update(g);
	ev_timer_set(&g->pause, LISTENER_PAUSE, 0.);
	ev_timer_start(g->loop, &g->pause);
}

/* A connection of L ended: a watcher stopped at a cap may run again. */
static void
listener_conn_closed(struct conn_owner *o)
{
	struct listener *l = container_of(o, struct listener, owner);
	struct listener_group *g = l->group;

	assert(g->nconns > 0 && "connection count underflow");
	g->nconns--;
	/* conn_close() has lowered o->nconns already. */
	if (g->nconns + 1 == g->max_conns)
		listener_group_update(g);
	else if (o->nconns + 1 == l->cap)
		listener_update(l);
	if (g->stopped && g->nconns == 0 && g->drained != NULL)
		g->drained(g->drained_arg);
}

static void
listener_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = w->data;
	struct listener_group *g = l->group;
	struct conn *c;
	struct addr peer;
	int fd, i;

	(void)loop;
	(void)revents;
	for (i = 0; i < LISTENER_ACCEPT_BATCH && listener_admits(l); i++) {
		fd = sock_accept(w->fd, &peer);
		if (fd == -1) {
			switch (errno) {
			case EAGAIN:
#if EWOULDBLOCK != EAGAIN
			case EWOULDBLOCK:
#endif
				return;
			case ECONNABORTED:
			case EPROTO:
			case EPERM:
			case ENETDOWN:
			case ENOPROTOOPT:
			case EHOSTDOWN:
			case ENONET:
			case EHOSTUNREACH:
			case EOPNOTSUPP:
			case ENETUNREACH:
				/* That client is gone; the next may be fine. */
				continue;
			default:
				/* EMFILE, ENFILE, ENOBUFS, ENOMEM, or worse. */
				listener_group_pause(g, l->owner.route->name,
						     errno);
				return;
			}
		}
		g->pause_logged = false;
		(void)sock_nodelay(fd);
		c = conn_new(&l->owner, fd, &peer);
		if (c == NULL) {
			(void)close(fd);
			listener_group_pause(g, l->owner.route->name, ENOMEM);
			return;
		}
		g->nconns++;
		stats_conn_open(l->owner.route->stats);
		l->owner.start(c);
	}
	/* A cap was reached (or the batch ended): let the caps decide. */
	if (!listener_admits(l)) {
		if (g->nconns >= g->max_conns)
			listener_group_update(g);
		else
			listener_update(l);
	}
}

void
listener_group_init(struct listener_group *g, struct ev_loop *loop,
		    unsigned max_conns, listener_drained_fn *drained, void *arg)
{
	memset(g, 0, sizeof(*g));
	g->loop = loop;
	g->max_conns = max_conns;
	g->drained = drained;
	g->drained_arg = arg;
	ev_init(&g->pause, listener_pause_cb);
	g->pause.data = g;
}

/* The socket of G bound to A and not closed, or NULL. */
static struct lsock *
listener_group_find(const struct listener_group *g, const struct addr *a)
{
	struct listener *l;
	size_t i;

	if (g == NULL)
		return NULL;
	for (l = g->list; l != NULL; l = l->next)
		for (i = 0; i < l->nio; i++)
			if (l->sock[i].io.fd != -1 &&
			    addr_equal(&l->sock[i].addr, a))
				return &l->sock[i];
	return NULL;
}

/*
 * A listening socket for A: G->from's socket bound to A (borrowed until
 * listener_group_adopt()) unless G took it already, else a new one.
 */
static int
listener_socket(struct listener_group *g, struct lsock *s, const struct addr *a,
		int backlog, char *err, size_t errlen)
{
	struct lsock *old = listener_group_find(g->from, a);

	s->addr = *a;
	if (old != NULL && listener_group_find(g, a) == NULL) {
		s->borrowed = true;
		return old->io.fd;
	}
	return sock_listen(a, backlog, g->reuseport, err, errlen);
}

int
listener_add(struct listener_group *g, const struct conn_owner *owner,
	     const struct addr *addrs, size_t n, int backlog, char *err,
	     size_t errlen)
{
	struct listener *l, **tail;
	size_t i;
	int fd;

	l = calloc(1, sizeof(*l) + n * sizeof(l->sock[0]));
	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	l->owner = *owner;
	l->owner.conns = NULL;
	l->owner.nconns = 0;
	l->owner.closed = listener_conn_closed;
	l->cap = owner->max_conns != 0 ? owner->max_conns
				       : owner->route->max_connections;
	l->group = g;
	for (i = 0; i < n; i++) {
		fd = listener_socket(g, &l->sock[i], &addrs[i], backlog, err,
				     errlen);
		if (fd == -1)
			goto fail;
		ev_io_init(&l->sock[i].io, listener_accept_cb, fd, EV_READ);
		l->sock[i].io.data = l;
		l->nio++;
	}
	/* Keep the configuration's order: the first route is served first. */
	for (tail = &g->list; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = l;
	g->nlisteners += (unsigned)n;
	return 0;
fail:
	for (i = 0; i < l->nio; i++)
		if (!l->sock[i].borrowed)
			(void)close(l->sock[i].io.fd);
	free(l);
	return -1;
}

unsigned
listener_group_adopt(struct listener_group *g)
{
	struct listener *l;
	struct lsock *old;
	unsigned n = 0;
	size_t i;

	for (l = g->list; l != NULL; l = l->next) {
		for (i = 0; i < l->nio; i++) {
			if (!l->sock[i].borrowed)
				continue;
			old = listener_group_find(g->from, &l->sock[i].addr);
			assert(old != NULL && old->io.fd == l->sock[i].io.fd &&
			       "a borrowed socket left its group");
			/* Same loop, same fd: the new watcher takes over. */
			ev_io_stop(g->loop, &old->io);
			ev_io_set(&old->io, -1, EV_READ);
			l->sock[i].borrowed = false;
			n++;
		}
	}
	g->from = NULL;
	return n;
}

void
listener_group_start(struct listener_group *g)
{
	g->started = true;
	listener_group_update(g);
}

void
listener_group_stop(struct listener_group *g)
{
	struct listener *l;
	size_t i;

	if (g->stopped)
		return;
	g->stopped = true;
	ev_timer_stop(g->loop, &g->pause);
	g->paused = false;
	for (l = g->list; l != NULL; l = l->next) {
		for (i = 0; i < l->nio; i++) {
			struct lsock *s = &l->sock[i];

			ev_io_stop(g->loop, &s->io);
			/* A borrowed socket goes on serving in its own group.
			 */
			if (s->io.fd != -1 && !s->borrowed)
				(void)close(s->io.fd);
			ev_io_set(&s->io, -1, EV_READ);
		}
		log_ratelimit_flush(&l->owner.rl, l->owner.route->name);
	}
	log_ratelimit_flush(&g->rl, NULL);
	/* Idle keep-alive connections end now, busy ones after the answer. */
	for (l = g->list; l != NULL; l = l->next)
		conn_stop_all(&l->owner);
}

void
listener_group_close_conns(struct listener_group *g, enum conn_end end,
			   const char *why)
{
	struct listener *l;

	for (l = g->list; l != NULL; l = l->next)
		conn_close_all(&l->owner, end, why);
}

void
listener_group_fini(struct listener_group *g)
{
	struct listener *l, *next;

	g->drained = NULL;
	listener_group_stop(g);
	listener_group_close_conns(g, CONN_END_TIMEOUT, "server stopped");
	for (l = g->list; l != NULL; l = next) {
		next = l->next;
		free(l);
	}
	g->list = NULL;
	g->nlisteners = 0;
}
