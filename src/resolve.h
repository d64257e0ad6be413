/* SPDX-License-Identifier: MIT */
/* Non-blocking host name resolution with c-ares, driven by a libev loop. */
#ifndef PORTY_RESOLVE_H
#define PORTY_RESOLVE_H

#include <stddef.h>

#include <sys/socket.h>

#include <ev.h>

struct resolver;      /* one per loop; private to resolve.c */
struct resolve_query; /* one lookup in flight; private to resolve.c */

/* The STATUS a resolve_done_fn receives. */
enum resolve_status {
	RESOLVE_OK = 0,
	RESOLVE_NOT_FOUND, /* no such host, or it has no address */
	RESOLVE_TIMEOUT,   /* timeout_ms passed, or c-ares gave up */
	RESOLVE_FAILED,    /* server failure, refusal, bad name, no memory */
};

/*
 * Called once per query unless it was cancelled, always from the loop and
 * never from inside resolve_start(). STATUS is an enum resolve_status:
 * RESOLVE_OK with 1..NADDRS addresses (AF_INET and AF_INET6, the port set
 * to the one asked for, in c-ares' order), or an error with REASON, a
 * static text ("no such host", "timeout", "DNS server failure", ...), and
 * no addresses. ADDRS is valid only during the call. The query is gone
 * once the callback runs: don't pass it to resolve_cancel() afterwards.
 * The callback may start and cancel other queries, and may free the
 * resolver.
 */
typedef void resolve_done_fn(void *arg, int status, const char *reason,
			     const struct sockaddr_storage *addrs,
			     size_t naddrs);

/*
 * Create a resolver on LOOP (borrowed: it must outlive the resolver).
 * c-ares reads /etc/resolv.conf and /etc/hosts (lookup order "files, then
 * DNS" unless resolv.conf says otherwise). An idle resolver has no active
 * watcher. Returns the resolver, or NULL with ERR filled.
 */
struct resolver *resolve_new(struct ev_loop *loop, char *err, size_t errlen);

/*
 * Free R: every query still in flight is forgotten without its callback
 * running, and every watcher is stopped. R may be NULL.
 */
void resolve_free(struct resolver *r);

/*
 * Start resolving NAME, a host name or an IPv4/IPv6 literal (without
 * brackets), for PORT. IP literals and /etc/hosts names take c-ares' local
 * paths and need no network, but are still answered from the loop, on its
 * next iteration. TIMEOUT_MS (0: none but c-ares' own, from resolv.conf)
 * bounds the whole lookup, then the callback gets RESOLVE_TIMEOUT. CB runs
 * once, with ARG, unless the query is cancelled. NAME is copied. Returns
 * the query, or NULL when out of memory (CB will not run).
 *
 * Positive DNS answers are cached per resolver by name (case-insensitive)
 * for their TTL, at most 300 s, for at most 64 names (least recently used
 * dropped first). Errors, /etc/hosts answers and literals are not cached.
 */
struct resolve_query *resolve_start(struct resolver *r, const char *name,
				    unsigned port, unsigned timeout_ms,
				    resolve_done_fn *cb, void *arg);

/*
 * Forget Q, a query whose callback has not run yet: the callback will not
 * run. Safe when the answer has arrived but is not delivered yet. A query
 * still waiting for a DNS server keeps its memory until c-ares lets go of
 * it (answer, c-ares' own timeout, or resolve_free()).
 */
void resolve_cancel(struct resolve_query *q);

/*
 * For tests: send DNS queries to SERVERS, c-ares' "host:port,..." list
 * (e.g. "127.0.0.1:5353"), instead of resolv.conf's. /etc/hosts is still
 * read first. Returns 0, or -1 when c-ares refuses the list.
 */
int resolve_set_servers(struct resolver *r, const char *servers);

#endif /* PORTY_RESOLVE_H */
