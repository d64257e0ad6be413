/* SPDX-License-Identifier: MIT */
/* The upstream side: the target, non-blocking connect, timeout, retries. */
#ifndef PORTY_UPSTREAM_H
#define PORTY_UPSTREAM_H

#include <stddef.h>

#include <ev.h>

#include "addr.h"

struct conn;
struct ssl_ctx_st;

/* Addresses kept per target ("localhost" gives ::1 and 127.0.0.1). */
#define UPSTREAM_MAX_ADDRS 8

/* Retry backoff: 100 ms * 2^k, at most 2 s, then +-20% jitter. */
#define UPSTREAM_BACKOFF_BASE   0.1
#define UPSTREAM_BACKOFF_MAX    2.0
#define UPSTREAM_BACKOFF_JITTER 0.2

/* A backend: where to connect, resolved once at start-up. */
struct upstream {
	char name[280];                        /* "host:port" as configured */
	struct addr addrs[UPSTREAM_MAX_ADDRS]; /* tried in this order */
	size_t naddrs;
	struct ssl_ctx_st *tls; /* borrowed: speak TLS with it, or NULL */
	const char *sni;        /* borrowed: the name sent and verified */
};

/*
 * Resolve HOST:PORT into U (blocking; start-up only). Returns 0, or -1 with
 * ERR filled with the resolver's reason.
 */
int upstream_init(struct upstream *u, const char *host, unsigned port,
		  char *err, size_t errlen);

/*
 * Connect C's upstream side to C's owner's upstream: CONN_CONNECTING, each
 * address in turn; a failed round is retried max_retries times after a
 * backoff (upstream_backoff()); each connect() may take connect_timeout_ms.
 * The client is not read meanwhile: its bytes wait in the kernel. On success
 * C's owner's connected hook runs; when every attempt failed C is closed
 * with "connect ADDR: REASON (after N attempts)". May close C: call it last
 * and return. The owner's start hook in TCP mode.
 */
void upstream_connect(struct conn *c);

/*
 * The wait before retry K (0 for the first retry), in seconds; R in [0, 1)
 * picks the jitter. Exposed for the unit tests.
 */
ev_tstamp upstream_backoff(unsigned k, double r);

#endif /* PORTY_UPSTREAM_H */
