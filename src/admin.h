/* SPDX-License-Identifier: MIT */
/* The [admin] endpoint: a tiny HTTP/1.1 server for /metrics and /status. */
#ifndef PORTY_ADMIN_H
#define PORTY_ADMIN_H

#include <stddef.h>

#include <ev.h>

struct config;
struct metrics_text;
struct stats;

/* Largest request head the endpoint reads (431 beyond). */
#define ADMIN_HEAD_MAX 8192

/* Admin clients served at once; more wait in the backlog. */
#define ADMIN_MAX_CONNS 32

struct admin;

/*
 * Bind CFG's [admin] listen address (every address its host resolves to;
 * blocking: start-up only) on LOOP and serve the counters of ST (borrowed:
 * it must outlive the endpoint). A client must send its request head
 * within header_timeout_seconds. Returns the endpoint, or NULL with ERR
 * filled ("admin: listen 127.0.0.1:9901: Address already in use").
 */
struct admin *admin_start(struct ev_loop *loop, const struct config *cfg,
			  const struct stats *st, char *err, size_t errlen);

/* Close the endpoint's sockets and clients and free it; NULL is fine. */
void admin_free(struct admin *a);

/*
 * The whole response to the request head HEAD (LEN bytes, ending with the
 * empty line) about ST at wall-clock time NOW, appended to OUT: 200 with
 * the Prometheus text for GET /metrics, the status JSON for GET /status
 * (HEAD: the same heads, no body), 404 for other paths, 405 for other
 * methods, 400 for a malformed head, 505 for a version other than 1.x.
 * Returns the status. Pure; exposed for the unit tests.
 */
unsigned admin_answer(const struct stats *st, const char *head, size_t len,
		      double now, struct metrics_text *out);

#endif /* PORTY_ADMIN_H */
