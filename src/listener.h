/* SPDX-License-Identifier: MIT */
/* Listening sockets: accept loop, connection caps, pause when out of fds. */
#ifndef PORTY_LISTENER_H
#define PORTY_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "conn.h"
#include "log.h"

struct addr;
struct listener;

/* Most clients accepted per readiness event: fairness between listeners. */
#define LISTENER_ACCEPT_BATCH 64

/* How long accepting pauses when the process is out of descriptors (EMFILE). */
#define LISTENER_PAUSE 0.1

/* Told when a stopped group's last connection has ended. */
typedef void listener_drained_fn(void *arg);

/*
 * A server's listeners. They share the process-wide connection cap and the
 * EMFILE pause, so the group decides when each listener's watchers run:
 * never while stopped or paused, and only while both its route's cap and the
 * group's cap leave room. At a cap the watcher stops and clients wait in the
 * kernel's backlog; it starts again when a connection ends.
 */
struct listener_group {
	struct ev_loop *loop;  /* borrowed */
	struct listener *list; /* owned: every listener */
	unsigned nlisteners;   /* listening sockets, all listeners */
	unsigned nconns;       /* live connections, all listeners */
	unsigned max_conns;    /* max_connections_total */
	ev_timer pause;        /* EMFILE: accept again when it fires */
	bool paused;           /* the pause timer runs */
	bool pause_logged;     /* this run of failed accepts was logged */
	bool started;          /* listener_group_start() was called */
	bool stopped;          /* listener_group_stop(): sockets closed */
	bool reuseport;        /* bind with SO_REUSEPORT (worker processes) */
	/* a running group whose sockets listener_add() may take over rather
	   than bind again (reload); NULL: none */
	struct listener_group *from;
	listener_drained_fn *drained; /* may be NULL */
	void *drained_arg;
	struct log_ratelimit rl; /* accept errors */
};

/* An empty group on LOOP with cap MAX_CONNS; DRAINED (may be NULL) as above. */
void listener_group_init(struct listener_group *g, struct ev_loop *loop,
			 unsigned max_conns, listener_drained_fn *drained,
			 void *arg);

/*
 * Bind one listening socket per address of ADDRS (N of them) with BACKLOG
 * (or borrow the one G->from has on that address) for a route whose connections
 * get a copy of OWNER (route, pool, hooks; its list, count and closed hook are
 * the listener's). Nothing is accepted before listener_group_start(). Returns
 * 0, or -1 with ERR filled ("listen 0.0.0.0:80: Permission denied"); the group
 * keeps what was bound before.
 */
int listener_add(struct listener_group *g, const struct conn_owner *owner,
		 const struct addr *addrs, size_t n, int backlog, char *err,
		 size_t errlen);

/*
 * The new group G takes over, for good, the sockets it borrowed from
 * G->from: their watchers in G->from stop and that group forgets them (it
 * closes only the others when stopped). Call before G starts and before
 * G->from stops; afterwards G->from is NULL. Returns how many sockets
 * changed hands. Until then stopping or freeing G leaves them open.
 */
unsigned listener_group_adopt(struct listener_group *g);

/* Start accepting on every listener. */
void listener_group_start(struct listener_group *g);

/*
 * Stop accepting for good: stop the watchers and the pause timer, and close
 * the listening sockets (clients still in the backlog are refused). Open
 * connections go on; DRAINED is called when the last one ends.
 */
void listener_group_stop(struct listener_group *g);

/* conn_close() every open connection of every listener, as END with WHY. */
void listener_group_close_conns(struct listener_group *g, enum conn_end end,
				const char *why);

/*
 * Close every connection and socket and free the listeners. DRAINED is not
 * called. The group may be initialised again.
 */
void listener_group_fini(struct listener_group *g);

#endif /* PORTY_LISTENER_H */
