/* SPDX-License-Identifier: MIT */
/* The serving process: route listeners, process-wide limits, graceful stop. */
#ifndef PORTY_SERVER_H
#define PORTY_SERVER_H

#include <stddef.h>

#include <ev.h>

struct config;
struct server;

/*
 * Bind a listener for every enabled route of CFG (borrowed: it must outlive
 * the server), log one line per route and one once all are bound. Returns
 * the server, or NULL with ERR filled ("listen 0.0.0.0:80: Permission
 * denied") when a listener cannot be set up.
 */
struct server *server_start(struct ev_loop *loop, const struct config *cfg,
			    char *err, size_t errlen);

/*
 * Graceful stop: close the listeners, let open connections finish for up to
 * shutdown_timeout_seconds, then close the rest and ev_break() the loop.
 */
void server_shutdown(struct server *srv);

/* Free everything; the loop must no longer run the server's watchers. */
void server_free(struct server *srv);

#endif /* PORTY_SERVER_H */
