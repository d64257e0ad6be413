/* SPDX-License-Identifier: MIT */
/* Per-route counters: connections, bytes, HTTP responses, connect failures. */
#include "auto-config.h"

#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "addr.h"
#include "config.h"

const double stats_duration_bounds[STATS_NBUCKETS] = {STATS_DURATION_BOUNDS};

void
stats_observe(struct route_stats *s, double seconds)
{
	size_t i;

	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < STATS_NBUCKETS; i++)
		if (seconds <= stats_duration_bounds[i])
			break;
	s->duration[i]++;
	s->duration_sum += seconds;
}

struct stats *
stats_new(void)
{
	struct stats *st = calloc(1, sizeof(*st));

	if (st != NULL)
		st->start = ev_time();
	return st;
}

static void
stats_route_free(struct route_stats *s)
{
	if (s == NULL)
		return;
	free(s->name);
	free(s->listen);
	free(s);
}

/* The counters named NAME among the first N of ST, or NULL. */
static struct route_stats *
stats_find(const struct stats *st, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(st->v[i]->name, name) == 0)
			return st->v[i];
	return NULL;
}

int
stats_attach(struct stats *st, struct config *cfg)
{
	struct route_stats **v, *s;
	size_t i, j, k, nold = st->n, cur = 0;
	char listen[300];
	char *text;

	/* Room for every old entry plus every route being new. */
	v = calloc(nold + cfg->nroutes + 1, sizeof(*v));
	if (v == NULL)
		return -1;
	for (i = 0; i < cfg->nroutes; i++) {
		struct route *r = &cfg->routes[i];

		r->stats = NULL;
		if (!r->enabled || r->name == NULL)
			continue;
		s = stats_find(st, nold, r->name);
		if (s == NULL) {
			s = calloc(1, sizeof(*s));
			if (s == NULL || (s->name = strdup(r->name)) == NULL) {
				free(s);
				goto nomem;
			}
		}
		addr_format_hostport(r->listen_addr, r->listen_port, listen,
				     sizeof(listen));
		text = strdup(listen);
		if (text == NULL) {
			if (stats_find(st, nold, r->name) != s)
				stats_route_free(s);
			goto nomem;
		}
		free(s->listen);
		s->listen = text;
		s->http = r->mode == ROUTE_MODE_HTTP;
		s->current = true;
		r->stats = s;
		v[cur++] = s;
	}
	/* Old entries that the new config does not name, after the current. */
	k = cur;
	for (j = 0; j < nold; j++) {
		for (i = 0; i < cur; i++)
			if (v[i] == st->v[j])
				break;
		if (i < cur)
			continue;
		st->v[j]->current = false;
		v[k++] = st->v[j];
	}
	free(st->v);
	st->v = v;
	st->n = k;
	return 0;
nomem:
	/* Keep the registry as it was; forget the routes' pointers. */
	for (i = 0; i < cur; i++)
		if (stats_find(st, nold, v[i]->name) != v[i])
			stats_route_free(v[i]);
	for (i = 0; i < cfg->nroutes; i++)
		cfg->routes[i].stats = NULL;
	free(v);
	return -1;
}

size_t
stats_current(const struct stats *st)
{
	size_t n = 0;

	while (n < st->n && st->v[n]->current)
		n++;
	return n;
}

void
stats_free(struct stats *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n; i++)
		stats_route_free(st->v[i]);
	free(st->v);
	free(st);
}
