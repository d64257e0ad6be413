/* SPDX-License-Identifier: MIT */
/* Per-route counters: connections, bytes, HTTP responses, connect failures. */
#ifndef PORTY_STATS_H
#define PORTY_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;

/* Upper bounds (seconds) of the request-duration histogram's buckets. */
#define STATS_DURATION_BOUNDS                                                  \
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0
#define STATS_NBUCKETS 11 /* the bounds above; +Inf is one more */

extern const double stats_duration_bounds[STATS_NBUCKETS];

/*
 * One route's counters. The serving code bumps them through the inline
 * functions below, reached by the route's `stats` pointer: no lock, no
 * allocation, a few additions. They belong to the registry (struct stats),
 * not to the config, so a reload can point the new config's routes of the
 * same name at the same counters.
 */
struct route_stats {
	char *name;            /* owned: the route's name */
	char *listen;          /* owned: "addr:port" as configured */
	bool http;             /* mode http: request metrics apply */
	bool current;          /* a route of the running config (else kept for a
				  route that may come back, and not shown) */
	uint64_t conns_active; /* gauge: open client connections */
	uint64_t conns_total;  /* client connections accepted */
	uint64_t bytes_in;     /* read from clients */
	uint64_t bytes_out;    /* written to clients */
	uint64_t requests;     /* HTTP requests ended (answered or not) */
	uint64_t responses[5]; /* HTTP responses by class: 1xx..5xx */
	uint64_t connect_failures; /* connects given up after every retry */
	uint64_t retries;          /* connect attempts beyond the first, and
				      requests repeated on a fresh upstream */
	uint64_t duration[STATS_NBUCKETS + 1]; /* per bucket, not cumulative;
						  the last is +Inf */
	double duration_sum;                   /* seconds, all requests */
};

/* Every route's counters, in the running config's order. */
struct stats {
	struct route_stats **v; /* owned, each owned; current ones first */
	size_t n;
	double start; /* wall clock at stats_new(), for uptime */
};

/* An empty registry, or NULL when memory is short. */
struct stats *stats_new(void);

/*
 * Give every enabled route of CFG its counters (route->stats): those of
 * the route with the same name if the registry has one (a reload keeps
 * them), else new zeroed ones. Disabled routes get NULL. Counters of names
 * CFG no longer has are kept but no longer shown. Returns 0, or -1 when
 * memory is short (then some routes may have none: bumps on NULL are
 * no-ops).
 */
int stats_attach(struct stats *st, struct config *cfg);

/* Free ST and its counters; no route may use them any more. */
void stats_free(struct stats *st);

/* The registry's routes of the running config: number of them. */
size_t stats_current(const struct stats *st);

/* A client connection was accepted. */
static inline void
stats_conn_open(struct route_stats *s)
{
	if (s == NULL)
		return;
	s->conns_active++;
	s->conns_total++;
}

/*
 * A client connection ended having moved BYTES_IN and BYTES_OUT. A tcp
 * route counts its bytes here; an http route counts them per request
 * (stats_request()), on the route that served each.
 */
static inline void
stats_conn_close(struct route_stats *s, uint64_t bytes_in, uint64_t bytes_out)
{
	if (s == NULL)
		return;
	if (s->conns_active > 0)
		s->conns_active--;
	if (!s->http) {
		s->bytes_in += bytes_in;
		s->bytes_out += bytes_out;
	}
}

/* Connecting to the backend failed for good (every retry too). */
static inline void
stats_connect_failed(struct route_stats *s)
{
	if (s != NULL)
		s->connect_failures++;
}

/* One more attempt at the backend: a retry after a failed connect. */
static inline void
stats_retry(struct route_stats *s)
{
	if (s != NULL)
		s->retries++;
}

/* Count one request's duration in the histogram (out of line: a loop). */
void stats_observe(struct route_stats *s, double seconds);

/*
 * An HTTP request ended: STATUS is the response's (0: none was sent), the
 * request moved BYTES_IN and BYTES_OUT, and took SECONDS.
 */
static inline void
stats_request(struct route_stats *s, unsigned status, uint64_t bytes_in,
	      uint64_t bytes_out, double seconds)
{
	if (s == NULL)
		return;
	s->requests++;
	if (status >= 100 && status < 600)
		s->responses[status / 100 - 1]++;
	s->bytes_in += bytes_in;
	s->bytes_out += bytes_out;
	stats_observe(s, seconds);
}

#endif /* PORTY_STATS_H */
