/* SPDX-License-Identifier: MIT */
/* The serving process: listeners, process-wide limits, reload, graceful stop. */
#ifndef PORTY_SERVER_H
#define PORTY_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

struct config;
struct server;

/*
 * Bind a listener for every enabled route of CFG (with SO_REUSEPORT when
 * REUSEPORT: one of several worker processes), log one line per route and
 * one once all are bound. Returns the server, which owns CFG from now on,
 * or NULL with ERR filled ("listen 0.0.0.0:80: Permission denied") when a
 * listener cannot be set up; CFG is then still the caller's.
 */
struct server *server_start(struct ev_loop *loop, struct config *cfg,
			    bool reuseport, char *err, size_t errlen);

/* The configuration new connections get (owned by the server). */
const struct config *server_config(const struct server *srv);

/*
 * Serve CFG from now on (SIGHUP). Listening sockets whose address is in
 * both configurations stay open and change hands, so no client waiting to
 * be accepted is refused; new addresses are bound, removed ones closed.
 * Open connections finish with the configuration they started with, which
 * is freed after the last of them. Returns 0 (the server owns CFG), or -1
 * with ERR filled when CFG cannot be served (a bind failed, a target does
 * not resolve...): nothing changed, and CFG is still the caller's.
 */
int server_reload(struct server *srv, struct config *cfg, char *err,
		  size_t errlen);

/*
 * Graceful stop: close the listeners, let open connections (of every
 * configuration) finish for up to shutdown_timeout_seconds, then close the
 * rest and ev_break() the loop. Called again, closes the rest at once.
 */
void server_shutdown(struct server *srv);

/* Free everything; the loop must no longer run the server's watchers. */
void server_free(struct server *srv);

#endif /* PORTY_SERVER_H */
